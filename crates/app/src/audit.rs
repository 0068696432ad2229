//! Writing and reading the audit log. Entries of a change go into the change's transaction.

use chrono::{DateTime, Utc};
use prospekt_domain::ids::UserId;
use prospekt_storage::Tx;
use prospekt_storage::repo::audit::{self, AuditEntry};

pub use prospekt_storage::repo::audit::{AuditFilter, AuditRow};
use uuid::Uuid;

use crate::policy::may_read_audit;
use crate::{Actor, App, AppError, now};

/// Who did it, and on whose behalf when standing in for an absent colleague.
#[derive(Debug, Clone, Copy)]
pub struct By {
    pub actor: Option<UserId>,
    pub on_behalf_of: Option<UserId>,
}

impl By {
    pub fn actor(a: &Actor) -> Self {
        By {
            actor: Some(a.user_id),
            on_behalf_of: None,
        }
    }
    /// The console operator (CLI commands run by whoever holds the server).
    pub const CONSOLE: By = By {
        actor: None,
        on_behalf_of: None,
    };
}

pub(crate) async fn record_tx(
    tx: &mut Tx,
    by: By,
    action: &str,
    entity: &str,
    entity_id: Option<Uuid>,
    changes: serde_json::Value,
) -> Result<(), AppError> {
    audit::append_tx(
        tx,
        &AuditEntry {
            at: now(),
            actor_id: by.actor.map(|u| u.as_uuid()),
            on_behalf_of_id: by.on_behalf_of.map(|u| u.as_uuid()),
            action,
            entity,
            entity_id,
            changes: &changes.to_string(),
            ip: None,
        },
    )
    .await?;
    Ok(())
}

/// Changed fields as `{"field": [before, after]}`, only those that differ.
pub fn diff(pairs: &[(&str, serde_json::Value, serde_json::Value)]) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (field, before, after) in pairs {
        if before != after {
            map.insert((*field).to_owned(), serde_json::json!([before, after]));
        }
    }
    serde_json::Value::Object(map)
}

impl App {
    /// Records an event that has no other write: a denial, an export, a failed login.
    pub(crate) async fn record(
        &self,
        by: By,
        action: &str,
        entity: &str,
        entity_id: Option<Uuid>,
        changes: serde_json::Value,
        ip: Option<&str>,
    ) -> Result<(), AppError> {
        audit::append(
            self.db(),
            &AuditEntry {
                at: now(),
                actor_id: by.actor.map(|u| u.as_uuid()),
                on_behalf_of_id: by.on_behalf_of.map(|u| u.as_uuid()),
                action,
                entity,
                entity_id,
                changes: &changes.to_string(),
                ip,
            },
        )
        .await?;
        Ok(())
    }

    /// Records that the actor was refused, then returns the error to give them.
    pub(crate) async fn deny(&self, actor: &Actor, entity: &str, id: Option<Uuid>, err: AppError) -> AppError {
        let detail =
            serde_json::json!({ "refused": match err { AppError::NotFound => "out_of_scope", _ => "forbidden" } });
        if let Err(e) = self.record(By::actor(actor), "denied", entity, id, detail, None).await {
            return e;
        }
        err
    }

    /// The audit log, newest first. Administrators and directors only.
    pub async fn audit_log(&self, actor: &Actor, filter: &AuditFilter) -> Result<Vec<AuditRow>, AppError> {
        if !may_read_audit(actor.role) {
            return Err(self.deny(actor, "audit_log", None, AppError::Forbidden).await);
        }
        Ok(audit::list(self.db(), filter).await?)
    }
}

/// Parses an RFC 3339 timestamp or a date (start of that day, UTC) for audit filters.
pub fn parse_instant(field: &'static str, raw: &str) -> Result<DateTime<Utc>, prospekt_domain::FieldError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| prospekt_domain::FieldError::new(field, "invalid_date").with("value", raw))
}
