//! `/api/v1/departments` and `/api/v1/territories`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use prospekt_app::org::{DepartmentRow, TerritoryRow};
use prospekt_domain::ids::UserId;
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
pub struct DepartmentDto {
    pub id: uuid::Uuid,
    pub name: String,
    pub head: Option<super::counterparties::Ref>,
}

impl From<DepartmentRow> for DepartmentDto {
    fn from(d: DepartmentRow) -> Self {
        let head = d.head_user_id.map(|id| super::counterparties::Ref {
            id,
            name: d.head_name.unwrap_or_default(),
        });
        DepartmentDto {
            id: d.id,
            name: d.name,
            head,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TerritoryDto {
    pub id: uuid::Uuid,
    pub code: String,
    pub name: String,
}

impl From<TerritoryRow> for TerritoryDto {
    fn from(t: TerritoryRow) -> Self {
        TerritoryDto {
            id: t.id,
            code: t.code,
            name: t.name,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateDepartment {
    pub name: String,
    pub head_user_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTerritory {
    pub code: String,
    pub name: String,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_departments, create_department))
        .routes(routes!(list_territories, create_territory))
}

#[utoipa::path(get, path = "/api/v1/departments", tag = "organisation", responses((status = 200, body = Vec<DepartmentDto>)))]
async fn list_departments(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<DepartmentDto>>, ApiError> {
    let rows = state
        .app
        .departments(&caller.actor)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(Json(rows.into_iter().map(DepartmentDto::from).collect()))
}

/// Create a department (administrators).
#[utoipa::path(post, path = "/api/v1/departments", tag = "organisation", request_body = CreateDepartment,
    responses((status = 201, body = DepartmentDto), (status = 403, body = crate::error::ErrorBody)))]
async fn create_department(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateDepartment>,
) -> Result<(StatusCode, Json<DepartmentDto>), ApiError> {
    let lang = caller.lang;
    let head = body
        .head_user_id
        .as_deref()
        .map(|h| parse_id::<UserId>("head_user_id", h))
        .transpose()
        .map_err(|e| ApiError::field(lang, &e))?;
    let row = state
        .app
        .create_department(&caller.actor, &body.name, head)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(get, path = "/api/v1/territories", tag = "organisation", responses((status = 200, body = Vec<TerritoryDto>)))]
async fn list_territories(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<TerritoryDto>>, ApiError> {
    let rows = state
        .app
        .territories(&caller.actor)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(Json(rows.into_iter().map(TerritoryDto::from).collect()))
}

/// Create a territory or segment, e.g. «Москва и Московская область» (administrators).
#[utoipa::path(post, path = "/api/v1/territories", tag = "organisation", request_body = CreateTerritory,
    responses((status = 201, body = TerritoryDto), (status = 403, body = crate::error::ErrorBody)))]
async fn create_territory(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateTerritory>,
) -> Result<(StatusCode, Json<TerritoryDto>), ApiError> {
    let row = state
        .app
        .create_territory(&caller.actor, &body.code, &body.name)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}
