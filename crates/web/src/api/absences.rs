//! `/api/v1/absences`: absences and substitutes (замещение).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use prospekt_app::absences::{AbsenceRow, NewAbsenceInput};
use prospekt_domain::absence::{AbsenceKind, Period, parse_date};
use prospekt_domain::ids::UserId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::counterparties::{Ref, parse_id};
use super::json::ApiJson;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;

#[derive(Debug, Serialize, ToSchema)]
pub struct AbsenceDto {
    pub id: uuid::Uuid,
    /// Who is away.
    pub user: Ref,
    /// Who stands in, with the same rights over the absent user's records.
    pub substitute: Ref,
    /// leave | sick_leave | business_trip | other
    pub kind: String,
    pub starts_on: NaiveDate,
    /// Inclusive.
    pub ends_on: NaiveDate,
    pub note: Option<String>,
}

impl From<AbsenceRow> for AbsenceDto {
    fn from(a: AbsenceRow) -> Self {
        AbsenceDto {
            id: a.id,
            user: Ref {
                id: a.user_id,
                name: a.user_name,
            },
            substitute: Ref {
                id: a.substitute_id,
                name: a.substitute_name,
            },
            kind: a.kind,
            starts_on: a.starts_on,
            ends_on: a.ends_on,
            note: a.note,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateAbsence {
    pub user_id: String,
    pub substitute_id: String,
    pub kind: String,
    /// YYYY-MM-DD
    pub starts_on: String,
    /// YYYY-MM-DD, inclusive.
    pub ends_on: String,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AbsenceParams {
    /// Show absences ending on or after this date (default: today).
    pub from: Option<String>,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_absences, create_absence))
        .routes(routes!(delete_absence))
}

/// Current and future absences the caller may see: all (directors, administrators), the
/// department (head), or those involving the caller.
#[utoipa::path(get, path = "/api/v1/absences", tag = "absences", params(AbsenceParams),
    responses((status = 200, body = Vec<AbsenceDto>)))]
async fn list_absences(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<AbsenceParams>,
) -> Result<Json<Vec<AbsenceDto>>, ApiError> {
    let from = match p.from.as_deref().filter(|s| !s.is_empty()) {
        Some(f) => parse_date("from", f).map_err(|e| ApiError::field(caller.lang, &e))?,
        None => prospekt_app::access::company_today(),
    };
    let rows = state
        .app
        .absences(&caller.actor, from)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(Json(rows.into_iter().map(AbsenceDto::from).collect()))
}

/// Register an absence and its substitute (head of the department, commercial director, administrator).
#[utoipa::path(post, path = "/api/v1/absences", tag = "absences", request_body = CreateAbsence,
    responses((status = 201, body = AbsenceDto), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_absence(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateAbsence>,
) -> Result<(StatusCode, Json<AbsenceDto>), ApiError> {
    let lang = caller.lang;
    let field = |e| ApiError::field(lang, &e);
    let user: UserId = parse_id("user_id", &b.user_id).map_err(field)?;
    let substitute: UserId = parse_id("substitute_id", &b.substitute_id).map_err(field)?;
    let kind = AbsenceKind::parse(&b.kind).map_err(field)?;
    let period = Period::new(
        parse_date("starts_on", &b.starts_on).map_err(field)?,
        parse_date("ends_on", &b.ends_on).map_err(field)?,
    )
    .map_err(field)?;
    let row = state
        .app
        .create_absence(
            &caller.actor,
            &NewAbsenceInput {
                user,
                substitute,
                kind,
                period,
                note: b.note.as_deref(),
            },
        )
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Cancel an absence.
#[utoipa::path(delete, path = "/api/v1/absences/{id}", tag = "absences", params(("id" = uuid::Uuid, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn delete_absence(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: uuid::Uuid = parse_id("id", &id).map_err(|e| ApiError::field(caller.lang, &e))?;
    state
        .app
        .delete_absence(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(StatusCode::NO_CONTENT)
}
