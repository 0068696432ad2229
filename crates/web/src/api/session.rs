//! `POST /api/v1/session` (log in, sets the session cookie) and `DELETE /api/v1/session`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::json::ApiJson;
use super::me::MeDto;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Caller, ReqLang};

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_session, delete_session))
}

/// The session cookie: HttpOnly, SameSite=Lax, and Secure when the server is told it runs behind TLS.
pub fn session_cookie(state: &AppState, secret: &str) -> String {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    format!(
        "{}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        crate::extract::SESSION_COOKIE,
        prospekt_app::auth::SESSION_TTL_HOURS * 3600
    )
}

pub fn clear_session_cookie() -> String {
    format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
        crate::extract::SESSION_COOKIE
    )
}

/// Log in with login and password; answers the user and sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = LoginRequest, security(()),
    responses((status = 200, body = MeDto), (status = 401, body = crate::error::ErrorBody)))]
async fn create_session(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    crate::extract::PeerIp(ip): crate::extract::PeerIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let (actor, secret) = state
        .app
        .login(&req.login, &req.password, ip.as_deref())
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((
        AppendHeaders([(SET_COOKIE, session_cookie(&state, &secret))]),
        Json(MeDto::from(&actor)),
    ))
}

/// Log out: ends the session of the cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204), (status = 401, body = crate::error::ErrorBody)))]
async fn delete_session(State(state): State<AppState>, caller: Caller) -> Result<impl IntoResponse, ApiError> {
    if let Some(secret) = &caller.session {
        state
            .app
            .logout(secret)
            .await
            .map_err(|e| ApiError::from_app(caller.lang, e))?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        AppendHeaders([(SET_COOKIE, clear_session_cookie())]),
    ))
}
