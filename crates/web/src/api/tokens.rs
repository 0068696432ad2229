//! `/api/v1/tokens`: the caller's own API tokens.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use prospekt_app::auth::TokenRow;
use prospekt_domain::ids::TokenId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::counterparties::parse_id;
use super::json::ApiJson;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    pub id: uuid::Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<TokenRow> for TokenDto {
    fn from(t: TokenRow) -> Self {
        TokenDto {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
            last_used_at: t.last_used_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateToken {
    pub name: String,
    /// Days until the token expires; absent = never.
    pub expires_in_days: Option<u32>,
}

/// The new token. `token` is shown only in this answer and is stored only as a hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedTokenDto {
    pub id: uuid::Uuid,
    pub token: String,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "session", responses((status = 200, body = Vec<TokenDto>)))]
async fn list_tokens(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<TokenDto>>, ApiError> {
    let rows = state
        .app
        .my_tokens(&caller.actor)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(Json(rows.into_iter().map(TokenDto::from).collect()))
}

/// Issue an API token for yourself.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "session", request_body = CreateToken,
    responses((status = 201, body = IssuedTokenDto), (status = 422, body = crate::error::ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateToken>,
) -> Result<(StatusCode, Json<IssuedTokenDto>), ApiError> {
    let valid_for = b.expires_in_days.map(|d| Duration::days(i64::from(d)));
    let t = state
        .app
        .issue_my_token(&caller.actor, &b.name, valid_for)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedTokenDto {
            id: t.id.as_uuid(),
            token: t.secret,
        }),
    ))
}

/// Revoke one of your tokens (administrators: any token).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "session", params(("id" = uuid::Uuid, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: TokenId = parse_id("id", &id).map_err(|e| ApiError::field(caller.lang, &e))?;
    state
        .app
        .revoke_token(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(StatusCode::NO_CONTENT)
}
