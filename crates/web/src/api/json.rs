//! A JSON body extractor whose rejections use the API's error shape and language.

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use prospekt_domain::FieldError;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::extract::ReqLang;

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ReqLang(lang) =
            match <ReqLang as axum::extract::FromRequestParts<S>>::from_request_parts(&mut parts, state).await {
                Ok(l) => l,
                Err(never) => match never {},
            };
        let req = Request::from_parts(parts, body);
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => {
                let mut e = ApiError::field(
                    lang,
                    &FieldError::new("body", "invalid_json").with("detail", rejection.body_text()),
                );
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    e.status = StatusCode::PAYLOAD_TOO_LARGE;
                } else if rejection.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                    e.status = StatusCode::UNSUPPORTED_MEDIA_TYPE;
                }
                Err(e)
            }
        }
    }
}
