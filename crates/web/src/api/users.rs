//! `/api/v1/users`: the user directory and its administration; `/api/v1/users/{id}/territories`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use prospekt_app::users::{NewUserInput, UserPatch, UserRow};
use prospekt_domain::Role;
use prospekt_domain::ids::{DepartmentId, TerritoryId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::counterparties::parse_id;
use super::json::ApiJson;
use super::org::TerritoryDto;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: uuid::Uuid,
    pub login: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: String,
    pub department_id: Option<uuid::Uuid>,
    pub locale: String,
    pub is_active: bool,
    /// May export lists in bulk (a separate permission).
    pub can_export: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UserRow> for UserDto {
    fn from(u: UserRow) -> Self {
        UserDto {
            id: u.id,
            login: u.login,
            display_name: u.display_name,
            email: u.email,
            role: u.role,
            department_id: u.department_id,
            locale: u.locale,
            is_active: u.is_active,
            can_export: u.can_export,
            version: u.version,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateUser {
    pub login: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: String,
    pub department_id: Option<String>,
    pub password: String,
}

/// Fields to change; absent fields stay. `version` is the one read.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateUser {
    pub version: i64,
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    pub role: Option<String>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub department_id: Option<Option<String>>,
    pub is_active: Option<bool>,
    pub can_export: Option<bool>,
    pub locale: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetPassword {
    pub new_password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SetTerritories {
    pub territory_ids: Vec<String>,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(reset_password))
        .routes(routes!(get_territories, set_territories))
}

/// The users the caller may see (everyone for administrators and directors, else the department).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, body = Vec<UserDto>)))]
async fn list_users(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<UserDto>>, ApiError> {
    let rows = state
        .app
        .users(&caller.actor)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(Json(rows.into_iter().map(UserDto::from).collect()))
}

/// Create a user (administrators).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = UserDto), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<UserDto>), ApiError> {
    let lang = caller.lang;
    let role: Role = body.role.parse().map_err(|e| ApiError::field(lang, &e))?;
    let department_id = body
        .department_id
        .as_deref()
        .map(|d| parse_id::<DepartmentId>("department_id", d))
        .transpose()
        .map_err(|e| ApiError::field(lang, &e))?;
    let row = state
        .app
        .create_user(
            &caller.actor,
            &NewUserInput {
                login: &body.login,
                display_name: &body.display_name,
                email: body.email.as_deref(),
                role,
                department_id,
                password: &body.password,
            },
        )
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = UserDto), (status = 404, body = crate::error::ErrorBody)))]
async fn get_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<UserDto>, ApiError> {
    let id: UserId = parse_id("id", &id).map_err(|e| ApiError::field(caller.lang, &e))?;
    let row = state
        .app
        .user(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(Json(row.into()))
}

/// Change a user's role, department, activity, export permission (administrators).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = uuid::Uuid, Path)), request_body = UpdateUser,
    responses((status = 200, body = UserDto), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> Result<Json<UserDto>, ApiError> {
    let lang = caller.lang;
    let id: UserId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let role = body
        .role
        .as_deref()
        .map(str::parse::<Role>)
        .transpose()
        .map_err(|e| ApiError::field(lang, &e))?;
    let department_id = match body.department_id {
        Some(Some(d)) => Some(Some(
            parse_id::<DepartmentId>("department_id", &d).map_err(|e| ApiError::field(lang, &e))?,
        )),
        Some(None) => Some(None),
        None => None,
    };
    let patch = UserPatch {
        display_name: body.display_name,
        email: body.email,
        role,
        department_id,
        is_active: body.is_active,
        can_export: body.can_export,
        locale: body.locale,
    };
    let row = state
        .app
        .update_user(&caller.actor, id, body.version, patch)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(row.into()))
}

/// Set a new password for a user; their sessions end (administrators).
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", params(("id" = uuid::Uuid, Path)), request_body = ResetPassword,
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn reset_password(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ResetPassword>,
) -> Result<StatusCode, ApiError> {
    let id: UserId = parse_id("id", &id).map_err(|e| ApiError::field(caller.lang, &e))?;
    state
        .app
        .reset_password(&caller.actor, id, &body.new_password)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Territories a user covers.
#[utoipa::path(get, path = "/api/v1/users/{id}/territories", tag = "users", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Vec<TerritoryDto>), (status = 404, body = crate::error::ErrorBody)))]
async fn get_territories(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<TerritoryDto>>, ApiError> {
    let id: UserId = parse_id("id", &id).map_err(|e| ApiError::field(caller.lang, &e))?;
    let rows = state
        .app
        .user_territories(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(Json(rows.into_iter().map(TerritoryDto::from).collect()))
}

/// Replace the territories a user covers (administrator, or the head of the user's department).
#[utoipa::path(put, path = "/api/v1/users/{id}/territories", tag = "users", params(("id" = uuid::Uuid, Path)), request_body = SetTerritories,
    responses((status = 200, body = Vec<TerritoryDto>), (status = 403, body = crate::error::ErrorBody)))]
async fn set_territories(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SetTerritories>,
) -> Result<Json<Vec<TerritoryDto>>, ApiError> {
    let lang = caller.lang;
    let id: UserId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let ids = body
        .territory_ids
        .iter()
        .map(|t| parse_id::<TerritoryId>("territory_ids", t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::field(lang, &e))?;
    let rows = state
        .app
        .set_user_territories(&caller.actor, id, &ids)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(rows.into_iter().map(TerritoryDto::from).collect()))
}
