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
    OpenApiRouter::new().routes(routes!(me))
}

/// The user behind the token or session.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, body = MeDto), (status = 401, body = crate::error::ErrorBody)))]
async fn me(caller: Caller) -> Json<MeDto> {
    Json(MeDto::from(&caller.actor))
}
