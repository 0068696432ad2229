//! Storage for Prospekt: one SQL code path over SQLite (the embedded default) and PostgreSQL.
//!
//! Every repository function is written once with portable SQL (`$1` placeholders,
//! `RETURNING`, `ON CONFLICT`) and expanded per backend by [`db_run!`]. Dialect differences
//! live in a few named places only: bulk loading (`bulk`), search and date arithmetic.

pub mod bulk;
mod db;
pub mod repo;

pub use db::{Backend, Db, DbError, DbUrl, MIGRATIONS_POSTGRES, MIGRATIONS_SQLITE, Tx, backup_sqlite};
