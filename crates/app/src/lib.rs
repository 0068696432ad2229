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
pub mod bank;
pub mod catalog;
pub mod clients;
pub mod counterparties;
pub mod deals;
pub mod dedup;
mod error;
pub mod export;
mod group_write;
pub mod import;
pub mod mail;
mod offer_doc;
pub mod offers;
pub mod orders;
pub mod org;
pub mod plan;
pub mod policy;
pub mod receivable_docs;
pub mod receivables;
pub mod search;
pub mod users;

use prospekt_storage::Db;

pub use actor::Actor;
pub use error::AppError;

/// The application: the database handle, its group-commit write queues and a few seconds'
/// memory of checked API tokens, so any number of app servers can run side by side (no state
/// that servers would have to share).
#[derive(Clone)]
pub struct App {
    db: Db,
    group_writer: group_write::GroupWriter<group_write::PlannedWrite>,
    submit_writer: group_write::GroupWriter<group_write::Submission>,
    /// API tokens checked in the last seconds.
    token_cache: std::sync::Arc<auth::TokenCache>,
    /// Outgoing mail, when an SMTP server is configured.
    mailer: Option<mail::Mailer>,
    /// The PDF engine, built on first use (parsing fonts takes a moment).
    docs: std::sync::Arc<std::sync::OnceLock<prospekt_docs::DocEngine>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("db", &self.db)
            .field("mailer", &self.mailer)
            .finish_non_exhaustive()
    }
}

impl App {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            group_writer: group_write::GroupWriter::default(),
            submit_writer: group_write::GroupWriter::default(),
            token_cache: Default::default(),
            mailer: None,
            docs: Default::default(),
        }
    }

    /// Sends mail through this SMTP server.
    pub fn with_mailer(mut self, mailer: mail::Mailer) -> Self {
        self.mailer = Some(mailer);
        self
    }

    pub fn mailer(&self) -> Option<&mail::Mailer> {
        self.mailer.as_ref()
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
