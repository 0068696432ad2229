//! API and storage tests against a real server, each run on SQLite and on PostgreSQL.

mod authz;
mod clients;
mod counterparties;
mod deals;
mod dedup;
mod helpers;
mod orders;
mod plan;
mod platform;
mod search;
mod security;
mod storage;
mod transfer;
