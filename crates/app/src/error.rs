//! The application's error: what the user may be told, separate from what went wrong inside.

use prospekt_domain::FieldError;
use prospekt_storage::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input: which field and why (localized by the web layer from the code).
    #[error("invalid input: {0}")]
    Invalid(FieldError),
    /// No such record, or one the actor may not see: both answer the same so that
    /// existence does not leak.
    #[error("not found")]
    NotFound,
    /// The actor may see the record but not do this to it.
    #[error("forbidden")]
    Forbidden,
    /// No valid credentials.
    #[error("unauthenticated")]
    Unauthenticated,
    /// Login failed: wrong login or wrong password, deliberately indistinguishable.
    #[error("invalid credentials")]
    BadCredentials,
    /// Too many failed logins: try again after the given number of seconds.
    #[error("too many attempts")]
    TooManyAttempts { retry_after_secs: i64 },
    /// Someone else changed the record since it was read.
    #[error("version conflict")]
    Conflict {
        current_version: i64,
        changed_by: Option<String>,
    },
    /// A unique value is taken (login, INN+KPP, …).
    #[error("already exists: {field}")]
    Duplicate { field: &'static str },
    /// A service Prospekt depends on (the mail server) refused or is not configured.
    #[error("{service} unavailable: {reason}")]
    Unavailable { service: &'static str, reason: String },
    /// Anything else; the cause is logged, the user sees an opaque message.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Invalid(e)
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound => AppError::NotFound,
            DbError::Conflict => AppError::Conflict {
                current_version: 0,
                changed_by: None,
            },
            other => AppError::Internal(other.to_string()),
        }
    }
}
