//! `GET /api/v1/me`: who am I.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::extract::Caller;
use prospekt_app::Actor;

/// The authenticated user.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    pub id: uuid::Uuid,
    pub login: String,
    pub display_name: String,
    /// One of manager, key_account_manager, head_of_department, commercial_director,
    /// sales_support, credit_controller, administrator, general_director.
    pub role: String,
    pub department_id: Option<uuid::Uuid>,
    /// Preferred language: ru or en.
    pub locale: String,
}

impl From<&Actor> for MeDto {
    fn from(a: &Actor) -> Self {
        MeDto {
            id: a.user_id.as_uuid(),
            login: a.login.clone(),
            display_name: a.display_name.clone(),
            role: a.role.as_str().to_owned(),
            department_id: a.department_id.map(|d| d.as_uuid()),
            locale: a.locale.clone(),
        }
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(change_password))
}

#[derive(Debug, serde::Deserialize, ToSchema)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

/// Change your own password. Every session of yours ends, this one included.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "session", request_body = ChangePassword,
    responses((status = 204), (status = 422, body = crate::error::ErrorBody)))]
async fn change_password(
    axum::extract::State(state): axum::extract::State<AppState>,
    caller: Caller,
    super::json::ApiJson(b): super::json::ApiJson<ChangePassword>,
) -> Result<impl axum::response::IntoResponse, crate::error::ApiError> {
    state
        .app
        .change_password(&caller.actor, &b.current_password, &b.new_password)
        .await
        .map_err(|e| crate::error::ApiError::from_app(caller.lang, e))?;
    Ok((
        axum::http::StatusCode::NO_CONTENT,
        axum::response::AppendHeaders([(axum::http::header::SET_COOKIE, super::session::clear_session_cookie())]),
    ))
}

/// The user behind the token or session.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, body = MeDto), (status = 401, body = crate::error::ErrorBody)))]
async fn me(caller: Caller) -> Json<MeDto> {
    Json(MeDto::from(&caller.actor))
}
