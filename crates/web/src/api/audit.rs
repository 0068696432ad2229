//! `/api/v1/audit-log`: the append-only record of every change, export, login and denial.

use axum::Json;
use axum::extract::{Query, State};
use chrono::{DateTime, Utc};
use prospekt_app::audit::{AuditFilter, AuditRow, parse_instant};
use prospekt_domain::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::counterparties::parse_id;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryDto {
    pub id: uuid::Uuid,
    pub at: DateTime<Utc>,
    pub actor: Option<super::counterparties::Ref>,
    /// Set when the actor stood in for an absent colleague.
    pub on_behalf_of: Option<super::counterparties::Ref>,
    /// create, update, delete, export, login, login_failed, login_throttled, denied,
    /// token_issue, token_revoke, password_change, password_reset, …
    pub action: String,
    pub entity: String,
    pub entity_id: Option<uuid::Uuid>,
    /// For changes: `{"field": [before, after]}`.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
    pub ip: Option<String>,
}

impl From<AuditRow> for AuditEntryDto {
    fn from(r: AuditRow) -> Self {
        let reference = |id: Option<uuid::Uuid>, name: Option<String>| {
            id.map(|id| super::counterparties::Ref {
                id,
                name: name.unwrap_or_default(),
            })
        };
        AuditEntryDto {
            id: r.id,
            at: r.at,
            actor: reference(r.actor_id, r.actor_name),
            on_behalf_of: reference(r.on_behalf_of_id, r.on_behalf_of_name),
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            changes: serde_json::from_str(&r.changes).unwrap_or(serde_json::Value::String(r.changes)),
            ip: r.ip,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntryDto>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct AuditParams {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// From this instant or date (inclusive).
    pub from: Option<String>,
    /// Until this instant or date (exclusive).
    pub to: Option<String>,
    pub cursor: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

impl AuditParams {
    pub fn to_filter(&self) -> Result<AuditFilter, FieldError> {
        let ne = |o: &Option<String>| o.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let limit = self.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(FieldError::new("limit", "invalid_limit"));
        }
        let before = match ne(&self.cursor) {
            Some(c) => {
                let bad = || FieldError::new("cursor", "invalid_cursor");
                let (at, id) = c.split_once('_').ok_or_else(bad)?;
                Some((
                    parse_instant("cursor", at).map_err(|_| bad())?,
                    id.parse().map_err(|_| bad())?,
                ))
            }
            None => None,
        };
        Ok(AuditFilter {
            entity: ne(&self.entity),
            entity_id: ne(&self.entity_id).map(|v| parse_id("entity_id", &v)).transpose()?,
            actor_id: ne(&self.actor).map(|v| parse_id("actor", &v)).transpose()?,
            action: ne(&self.action),
            from: ne(&self.from).map(|v| parse_instant("from", &v)).transpose()?,
            to: ne(&self.to).map(|v| parse_instant("to", &v)).transpose()?,
            before,
            limit,
        })
    }
}

/// The cursor names the last entry shown: its time and id.
pub fn audit_cursor(r: &AuditRow) -> String {
    format!("{}_{}", r.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true), r.id)
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// The audit log, newest first (administrators and directors).
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "audit", params(AuditParams),
    responses((status = 200, body = AuditPage), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn list_audit(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    let filter = p.to_filter().map_err(|e| ApiError::field(caller.lang, &e))?;
    let rows = state
        .app
        .audit_log(&caller.actor, &filter)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    let next_cursor = (rows.len() as i64 == filter.limit)
        .then(|| rows.last().map(audit_cursor))
        .flatten();
    Ok(Json(AuditPage {
        items: rows.into_iter().map(AuditEntryDto::from).collect(),
        next_cursor,
    }))
}
