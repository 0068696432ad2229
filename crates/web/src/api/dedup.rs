//! Keeping the base clean over the API: archive/restore, bank accounts, the duplicate report,
//! merge, and a counterparty's change history.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use prospekt_app::dedup::{BankAccountInput, BankAccountRow, Reason};
use prospekt_domain::FieldError;
use prospekt_domain::ids::CounterpartyId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::AuditEntryDto;
use super::counterparties::{CounterpartyDto, parse_id};
use super::json::ApiJson;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(archive_counterparty))
        .routes(routes!(restore_counterparty))
        .routes(routes!(list_bank_accounts, add_bank_account))
        .routes(routes!(remove_bank_account))
        .routes(routes!(list_duplicates))
        .routes(routes!(merge_counterparty))
        .routes(routes!(counterparty_history))
}

/// The version read, for changes that carry no other fields.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VersionBody {
    pub version: i64,
}

async fn set_archived(
    state: AppState,
    caller: Caller,
    id: String,
    version: i64,
    archive: bool,
) -> Result<Json<CounterpartyDto>, ApiError> {
    let lang = caller.lang;
    let id: CounterpartyId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let row = state
        .app
        .set_counterparty_archived(&caller.actor, id, version, archive)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(row.into()))
}

/// Archive a counterparty: it leaves lists and duplicate checks, keeps everything, can be restored.
#[utoipa::path(post, path = "/api/v1/counterparties/{id}/archive", tag = "counterparties",
    params(("id" = uuid::Uuid, Path)), request_body = VersionBody,
    responses((status = 200, body = CounterpartyDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn archive_counterparty(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<VersionBody>,
) -> Result<Json<CounterpartyDto>, ApiError> {
    set_archived(state, caller, id, b.version, true).await
}

/// Bring an archived counterparty back (not one merged into another).
#[utoipa::path(post, path = "/api/v1/counterparties/{id}/restore", tag = "counterparties",
    params(("id" = uuid::Uuid, Path)), request_body = VersionBody,
    responses((status = 200, body = CounterpartyDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn restore_counterparty(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<VersionBody>,
) -> Result<Json<CounterpartyDto>, ApiError> {
    set_archived(state, caller, id, b.version, false).await
}

/// A settlement account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BankAccountDto {
    #[serde(default)]
    pub id: Option<uuid::Uuid>,
    /// 9 digits.
    pub bik: String,
    /// 20 digits, checked against the BIK.
    pub account: String,
    pub corr_account: Option<String>,
    pub bank_name: String,
}

impl From<BankAccountRow> for BankAccountDto {
    fn from(r: BankAccountRow) -> Self {
        BankAccountDto {
            id: Some(r.id),
            bik: r.bik,
            account: r.account,
            corr_account: r.corr_account,
            bank_name: r.bank_name,
        }
    }
}

/// Bank accounts of a counterparty.
#[utoipa::path(get, path = "/api/v1/counterparties/{id}/bank-accounts", tag = "counterparties",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Vec<BankAccountDto>), (status = 404, body = crate::error::ErrorBody)))]
async fn list_bank_accounts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<BankAccountDto>>, ApiError> {
    let lang = caller.lang;
    let id: CounterpartyId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let rows = state
        .app
        .bank_accounts(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(rows.into_iter().map(BankAccountDto::from).collect()))
}

/// Add a bank account; the account's control key is checked against the BIK.
#[utoipa::path(post, path = "/api/v1/counterparties/{id}/bank-accounts", tag = "counterparties",
    params(("id" = uuid::Uuid, Path)), request_body = BankAccountDto,
    responses((status = 201, body = BankAccountDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn add_bank_account(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<BankAccountDto>,
) -> Result<(StatusCode, Json<BankAccountDto>), ApiError> {
    let lang = caller.lang;
    let id: CounterpartyId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let input = BankAccountInput {
        bik: b.bik,
        account: b.account,
        corr_account: b.corr_account,
        bank_name: b.bank_name,
    };
    let row = state
        .app
        .add_bank_account(&caller.actor, id, &input)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Remove a bank account.
#[utoipa::path(delete, path = "/api/v1/bank-accounts/{id}", tag = "counterparties",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn remove_bank_account(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let lang = caller.lang;
    let id: uuid::Uuid = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    state
        .app
        .remove_bank_account(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DuplicateParams {
    /// inn | name_city | phone | email; all when absent.
    pub reason: Option<String>,
    /// Groups per reason, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// One member of a duplicate group.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateMemberDto {
    pub id: uuid::Uuid,
    pub name: String,
    pub inn: Option<String>,
    pub kpp: Option<String>,
    pub city: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub owner_name: Option<String>,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Counterparties that look like one business, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateGroupDto {
    /// inn | name_city | phone | email
    pub reason: String,
    /// What they share (the INN, "name / city", the phone or the e-mail).
    pub key: String,
    pub members: Vec<DuplicateMemberDto>,
}

pub fn parse_reason(raw: &str) -> Result<Reason, FieldError> {
    Reason::ALL
        .into_iter()
        .find(|r| r.as_str() == raw)
        .ok_or_else(|| FieldError::new("reason", "invalid_reason").with("value", raw))
}

/// Likely duplicates in the caller's reach: the same INN, the same name in the same city,
/// the same phone or the same e-mail.
#[utoipa::path(get, path = "/api/v1/duplicates", tag = "counterparties", params(DuplicateParams),
    responses((status = 200, body = Vec<DuplicateGroupDto>), (status = 422, body = crate::error::ErrorBody)))]
async fn list_duplicates(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<DuplicateParams>,
) -> Result<Json<Vec<DuplicateGroupDto>>, ApiError> {
    let lang = caller.lang;
    let reason = p
        .reason
        .as_deref()
        .filter(|r| !r.is_empty())
        .map(parse_reason)
        .transpose()
        .map_err(|e| ApiError::field(lang, &e))?;
    let groups = state
        .app
        .duplicate_groups(&caller.actor, reason, p.limit.unwrap_or(50))
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(
        groups
            .into_iter()
            .map(|g| DuplicateGroupDto {
                reason: g.reason.as_str().to_owned(),
                key: g.key,
                members: g
                    .members
                    .into_iter()
                    .map(|m| DuplicateMemberDto {
                        id: m.id,
                        name: m.name,
                        inn: m.inn,
                        kpp: m.kpp,
                        city: m.city,
                        phone: m.phone,
                        email: m.email,
                        owner_name: m.owner_name,
                        version: m.version,
                        created_at: m.created_at,
                    })
                    .collect(),
            })
            .collect(),
    ))
}

/// Which record to fold into the one in the path, with both versions as read.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MergeBody {
    /// The survivor's version.
    pub version: i64,
    pub duplicate_id: String,
    pub duplicate_version: i64,
}

/// What a merge did.
#[derive(Debug, Serialize, ToSchema)]
pub struct MergeResult {
    pub counterparty: CounterpartyDto,
    /// Rows moved from the duplicate, per kind (contacts, bank_accounts, activities, …).
    #[schema(value_type = Object)]
    pub moved: serde_json::Map<String, serde_json::Value>,
    /// Fields of the survivor that were empty and took the duplicate's value.
    pub filled: Vec<String>,
}

/// Merge a duplicate into this counterparty: its contacts, accounts, activities, deals, orders,
/// invoices and payments move here, empty fields are filled, and the duplicate is archived
/// with a link to this record. One transaction, recorded in the audit log.
#[utoipa::path(post, path = "/api/v1/counterparties/{id}/merge", tag = "counterparties",
    params(("id" = uuid::Uuid, Path, description = "The survivor")), request_body = MergeBody,
    responses((status = 200, body = MergeResult), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn merge_counterparty(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MergeBody>,
) -> Result<Json<MergeResult>, ApiError> {
    let lang = caller.lang;
    let field = |e: FieldError| ApiError::field(lang, &e);
    let id: CounterpartyId = parse_id("id", &id).map_err(field)?;
    let dup: CounterpartyId = parse_id("duplicate_id", &b.duplicate_id).map_err(field)?;
    let out = state
        .app
        .merge_counterparties(&caller.actor, id, b.version, dup, b.duplicate_version)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(MergeResult {
        counterparty: out.survivor.into(),
        moved: out
            .moved
            .into_iter()
            .map(|(t, n)| (t.to_owned(), serde_json::json!(n)))
            .collect(),
        filled: out.filled.into_iter().map(str::to_owned).collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct HistoryParams {
    /// 1–500, default 100.
    pub limit: Option<i64>,
}

/// Who changed what and when on this counterparty (and on records merged into it), newest first.
#[utoipa::path(get, path = "/api/v1/counterparties/{id}/history", tag = "counterparties",
    params(("id" = uuid::Uuid, Path), HistoryParams),
    responses((status = 200, body = Vec<AuditEntryDto>), (status = 404, body = crate::error::ErrorBody)))]
async fn counterparty_history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(p): Query<HistoryParams>,
) -> Result<Json<Vec<AuditEntryDto>>, ApiError> {
    let lang = caller.lang;
    let id: CounterpartyId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let rows = state
        .app
        .counterparty_history(&caller.actor, id, p.limit.unwrap_or(100).clamp(1, 500))
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(rows.into_iter().map(AuditEntryDto::from).collect()))
}
