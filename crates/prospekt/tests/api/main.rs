//! API and storage tests against a real server, each run on SQLite and on PostgreSQL.

mod authz;
mod clients;
mod helpers;
mod platform;
mod security;
mod counterparties;
mod storage;
