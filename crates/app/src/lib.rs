//! Prospekt application services: every use case takes an [`Actor`], asks the [`policy`]
//! whether this actor may act on this record, applies the domain rules and writes through
//! storage in one transaction together with its audit entry.
//!
//! The web layer and the CLI call only this crate; neither filters records by itself.

pub mod absences;
pub mod access;
pub mod actor;
pub mod audit;
pub mod auth;
pub mod clients;
pub mod counterparties;
pub mod dedup;
mod error;
pub mod export;
mod group_write;
pub mod import;
pub mod org;
pub mod plan;
pub mod policy;
pub mod search;
pub mod users;

use prospekt_storage::Db;

pub use actor::Actor;
pub use error::AppError;

/// The application: the database handle and a write queue, so any number of app servers
/// can run side by side (no state that servers would have to share).
#[derive(Clone, Debug)]
pub struct App {
    db: Db,
    group_writer: group_write::GroupWriter,
}

impl App {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            group_writer: group_write::GroupWriter::default(),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Whether the database answers (for `/healthz`).
    pub async fn health(&self) -> Result<(), AppError> {
        self.db.ping().await.map_err(AppError::from)
    }
}

/// Current time truncated to microseconds: both databases then store and return the same value.
pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::{SubsecRound, Utc};
    Utc::now().trunc_subsecs(6)
}
