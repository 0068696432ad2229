//! Prospekt's web layer: HTML pages, the JSON API under `/api/v1`, its OpenAPI document, and
//! embedded static assets. Thin by design: handlers parse input into domain types, call the
//! app, and render the answer. Authorization lives in `prospekt-app`, not here.

pub mod api;
pub mod error;
pub mod extract;
pub mod i18n;
mod middleware;
mod pages;
mod static_files;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use prospekt_app::App;
use tokio::net::TcpListener;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// Mark cookies `Secure` (set when Prospekt is served behind TLS).
    pub secure_cookies: bool,
    openapi_json: Arc<String>,
}

/// Largest request body accepted, except uploads.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Largest import file accepted over HTTP (bigger files: `prospekt import` on the server).
pub const IMPORT_LIMIT: usize = 64 * 1024 * 1024;

/// Builds the whole application router.
pub fn router(app: App, secure_cookies: bool) -> Router {
    let (api, openapi) = api::router().split_for_parts();
    let openapi_json = Arc::new(openapi.to_pretty_json().unwrap_or_else(|_| "{}".to_owned()));
    let state = AppState {
        app,
        secure_cookies,
        openapi_json,
    };
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(openapi_doc))
        .route("/api/docs", get(api_docs))
        .route("/calendar/{file}", get(calendar_feed))
        .merge(api)
        .merge(pages::router())
        .merge(static_files::router())
        .fallback(middleware::not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn(middleware::csrf_guard))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        // Extractors' own 2 MiB default would cut uploads short; `body_limit` caps every body.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(middleware::body_limit))
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.app.health().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

async fn openapi_doc(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        state.openapi_json.as_str().to_owned(),
    )
}

/// A manager's plan as an iCalendar feed for a phone's calendar. The secret in the URL is the
/// only credential (calendar apps send no other); unknown or revoked secrets answer 404.
async fn calendar_feed(
    State(state): State<AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> axum::response::Response {
    let secret = file.strip_suffix(".ics").unwrap_or(&file);
    match state.app.calendar_feed(secret).await {
        Ok(body) => (
            [
                (axum::http::header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (axum::http::header::CACHE_CONTROL, "private, max-age=300"),
            ],
            body,
        )
            .into_response(),
        Err(prospekt_app::AppError::NotFound) => (StatusCode::NOT_FOUND, "not found").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "calendar feed failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

async fn api_docs() -> Html<&'static str> {
    Html(include_str!("../assets/api-docs.html"))
}

/// Serves until `shutdown` completes, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    app: App,
    secure_cookies: bool,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(app, secure_cookies).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
