//! Cross-cutting HTTP concerns: security headers, CSRF protection, the 404 fallback.

use axum::extract::Request;
use axum::http::header::{self, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::extract::ReqLang;
use crate::i18n::Lang;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                   font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; \
                   object-src 'none'";

/// Adds the security headers to every response.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    res
}

/// Rejects cross-site state-changing requests that ride on the session cookie. Requests
/// authenticated by a Bearer token carry no ambient credentials and pass. Browsers send
/// `Sec-Fetch-Site` (or at least `Origin`) on unsafe methods, which is what is checked.
pub async fn csrf_guard(req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && !req.headers().contains_key(header::AUTHORIZATION) && is_cross_site(&req) {
        let lang = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language)
            .unwrap_or(Lang::Ru);
        let message = match lang {
            Lang::Ru => "Запрос с другого сайта отклонён (защита от CSRF)",
            Lang::En => "Cross-site request rejected (CSRF protection)",
        };
        return ApiError::new(StatusCode::FORBIDDEN, "csrf_rejected", message).into_response();
    }
    next.run(req).await
}

fn is_cross_site(req: &Request) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, h)| h) != Some(host),
        (Some(_), None) => true,
        // Neither header: not a browser (curl, scripts); the cookie must have been supplied on purpose.
        (None, _) => false,
    }
}

pub async fn not_found(ReqLang(lang): ReqLang) -> Response {
    let message = match lang {
        Lang::Ru => "Такого адреса нет",
        Lang::En => "No such address",
    };
    ApiError::new(StatusCode::NOT_FOUND, "not_found", message).into_response()
}

/// Whether a path takes file uploads (imports), which get [`crate::IMPORT_LIMIT`].
fn takes_uploads(path: &str) -> bool {
    path.starts_with("/api/v1/imports/") || path == "/clients/import"
}

/// Caps request bodies: [`crate::BODY_LIMIT`] everywhere, [`crate::IMPORT_LIMIT`] on upload
/// routes. A declared length over the cap is refused before reading; a body that grows past
/// it fails its extractor with 413.
pub async fn body_limit(req: Request, next: Next) -> Response {
    let limit = if takes_uploads(req.uri().path()) {
        crate::IMPORT_LIMIT
    } else {
        crate::BODY_LIMIT
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        let (mut parts, _) = req.into_parts();
        let ReqLang(lang) =
            match <ReqLang as axum::extract::FromRequestParts<()>>::from_request_parts(&mut parts, &()).await {
                Ok(l) => l,
                Err(never) => match never {},
            };
        let mut e = ApiError::field(
            lang,
            &prospekt_domain::FieldError::new("body", "too_large").with("max_mib", (limit >> 20).to_string()),
        );
        e.status = StatusCode::PAYLOAD_TOO_LARGE;
        return e.into_response();
    }
    let (parts, body) = req.into_parts();
    let body = axum::body::Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}
