//! Mapping application errors to HTTP, in one place. The API always answers errors as
//! `{"error": {"code": "...", "message": "...", "field": "..."}}` with the message in the
//! request's language; internal causes are logged, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use prospekt_app::AppError;
use prospekt_domain::FieldError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::{Lang, field_error_message};

/// The body of every API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_inn`, `not_found`, `version_conflict`.
    pub code: String,
    /// Human-readable message in the request's language.
    pub message: String,
    /// The input field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An API error ready to be sent: status, code and localized message.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub field: Option<String>,
    /// Seconds for the `Retry-After` header (rate limiting).
    pub retry_after: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    pub fn field(lang: Lang, e: &FieldError) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: e.code.to_owned(),
            message: field_error_message(lang, e),
            field: Some(e.field.to_owned()),
            retry_after: None,
        }
    }

    pub fn from_app(lang: Lang, e: AppError) -> Self {
        let ru = lang == Lang::Ru;
        let pick = |r: &str, en: &str| if ru { r.to_owned() } else { en.to_owned() };
        match e {
            AppError::Invalid(fe) => Self::field(lang, &fe),
            AppError::NotFound => Self::new(
                StatusCode::NOT_FOUND,
                "not_found",
                pick(
                    "Запись не найдена или недоступна",
                    "The record does not exist or is not accessible",
                ),
            ),
            AppError::Forbidden => Self::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                pick("Недостаточно прав для этого действия", "You are not allowed to do this"),
            ),
            AppError::Unauthenticated => Self::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                pick(
                    "Требуется вход: передайте заголовок Authorization: Bearer <токен>",
                    "Authentication required: send Authorization: Bearer <token>",
                ),
            ),
            AppError::BadCredentials => Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                pick("Неверный логин или пароль", "Wrong login or password"),
            ),
            AppError::Conflict {
                current_version,
                changed_by,
            } => {
                let who = changed_by.unwrap_or_else(|| pick("другой пользователь", "another user"));
                Self::new(
                    StatusCode::CONFLICT,
                    "version_conflict",
                    if ru {
                        format!("Запись уже изменил {who} (версия {current_version}); обновите и повторите")
                    } else {
                        format!("{who} changed this record (version {current_version}); reload and retry")
                    },
                )
            }
            AppError::Duplicate { field } => Self {
                status: StatusCode::CONFLICT,
                code: "duplicate".into(),
                message: if ru {
                    format!("Значение поля «{field}» уже занято")
                } else {
                    format!("The value of \"{field}\" is already taken")
                },
                field: Some(field.into()),
                retry_after: None,
            },
            AppError::TooManyAttempts { retry_after_secs } => {
                let minutes = (retry_after_secs + 59) / 60;
                let mut e = Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    if ru {
                        format!("Слишком много неудачных попыток входа; повторите через {minutes} мин.")
                    } else {
                        format!("Too many failed sign-in attempts; try again in {minutes} min")
                    },
                );
                e.retry_after = Some(retry_after_secs);
                e
            }
            AppError::Unavailable { service, reason } => {
                tracing::warn!(service, %reason, "service unavailable");
                let mut e = Self::new(
                    StatusCode::BAD_GATEWAY,
                    "mail_failed",
                    if ru {
                        format!("Почтовый сервер не принял письмо: {reason}")
                    } else {
                        format!("The mail server did not accept the message: {reason}")
                    },
                );
                if reason == "not_configured" {
                    e.code = "mail_not_configured".into();
                    e.message = pick(
                        "Отправка почты не настроена: укажите SMTP-сервер (--smtp-url)",
                        "Sending e-mail is not configured: set the SMTP server (--smtp-url)",
                    );
                }
                e
            }
            AppError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    pick(
                        "Внутренняя ошибка; она записана в журнал",
                        "Internal error; it has been logged",
                    ),
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.retry_after;
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
            },
        };
        let mut res = (self.status, Json(body)).into_response();
        if let Some(secs) = retry_after
            && let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        res
    }
}
