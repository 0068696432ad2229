//! Request extractors: who is calling (authentication only — authorization is the app's) and
//! in which language to answer.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header::{ACCEPT_LANGUAGE, AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use prospekt_app::{Actor, AppError};

use crate::AppState;
use crate::error::ApiError;
use crate::i18n::Lang;

pub const SESSION_COOKIE: &str = "prospekt_session";
pub const LANG_COOKIE: &str = "prospekt_lang";

/// The value of a cookie from the request headers.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// Language asked for explicitly by the request: the language cookie, then `Accept-Language`.
fn requested_lang(parts: &Parts) -> Option<Lang> {
    cookie(parts, LANG_COOKIE).and_then(Lang::from_code).or_else(|| {
        parts
            .headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language)
    })
}

/// The language for an anonymous request (Russian unless the client asks for English).
pub struct ReqLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ReqLang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ReqLang(requested_lang(parts).unwrap_or(Lang::Ru)))
    }
}

fn bearer(parts: &Parts) -> Option<Result<&str, ()>> {
    let value = parts.headers.get(AUTHORIZATION)?;
    // A malformed Authorization header is an error, never silently anonymous.
    Some(
        value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(()),
    )
}

/// An authenticated caller with the language to answer in: the request's explicit language,
/// else the user's own setting.
pub struct Caller {
    pub actor: Actor,
    pub lang: Lang,
    /// The session secret when authenticated by cookie (needed for logout).
    pub session: Option<String>,
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<Caller>, ApiError> {
    let explicit = requested_lang(parts);
    let fallback = explicit.unwrap_or(Lang::Ru);
    let result = match bearer(parts) {
        Some(Ok(token)) => state.app.token_actor(token).await.map(|a| (a, None)),
        Some(Err(())) => Err(AppError::Unauthenticated),
        None => match cookie(parts, SESSION_COOKIE) {
            Some(secret) => state
                .app
                .session_actor(secret)
                .await
                .map(|a| (a, Some(secret.to_owned()))),
            None => return Ok(None),
        },
    };
    match result {
        Ok((actor, session)) => {
            let lang = explicit.or_else(|| Lang::from_code(&actor.locale)).unwrap_or(Lang::Ru);
            Ok(Some(Caller { actor, lang, session }))
        }
        Err(e) => Err(ApiError::from_app(fallback, e)),
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match authenticate(parts, state).await? {
            Some(c) => Ok(c),
            None => {
                let lang = requested_lang(parts).unwrap_or(Lang::Ru);
                Err(ApiError::from_app(lang, AppError::Unauthenticated))
            }
        }
    }
}

impl OptionalFromRequestParts<AppState> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Option<Self>, Self::Rejection> {
        authenticate(parts, state).await
    }
}

/// The client's address as the server saw it (for login throttling and the audit log).
/// Absent when the server runs without connection info (never in production).
pub struct PeerIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        ))
    }
}
