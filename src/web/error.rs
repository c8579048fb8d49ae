//! One error type for every handler. It answers with an RFC 9457 problem document;
//! for pages (anything outside `/api`) the `error_pages` middleware turns that into a
//! translated HTML page, so handlers never decide the representation themselves.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::db::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// Not signed in: pages redirect to the sign-in page, the API answers 401.
    #[error("sign-in required")]
    Unauthenticated,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("too many requests")]
    RateLimited { retry_after_seconds: u64 },
    #[error("payload too large")]
    PayloadTooLarge,
    /// The database cannot be reached; the client may retry.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn internal(error: impl std::fmt::Display) -> Self {
        Self::Internal(error.to_string())
    }

    /// The translation key of the page title for this error.
    pub fn title_key(status: StatusCode) -> &'static str {
        match status.as_u16() {
            400 | 422 => "error-bad-request",
            401 => "error-unauthenticated",
            403 => "error-forbidden",
            404 => "error-not-found",
            409 => "error-conflict",
            413 => "error-too-large",
            429 => "error-rate-limited",
            503 => "error-unavailable",
            _ => "error-internal",
        }
    }
}

impl From<StorageError> for AppError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::Pool(e) => Self::Unavailable(e.to_string()),
            StorageError::Busy => Self::Unavailable(StorageError::Busy.to_string()),
            StorageError::Query(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        crate::db::note_query_error(&error);
        match error {
            Error::NotFound => Self::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => Self::Conflict(info.message().to_owned()),
            // A dropped connection (PostgreSQL restarted) is worth a retry, not a 500.
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                Self::Unavailable(info.message().to_owned())
            }
            Error::DatabaseError(DatabaseErrorKind::UnableToSendCommand, info) => {
                Self::Unavailable(info.message().to_owned())
            }
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<handlebars::RenderError> for AppError {
    fn from(error: handlebars::RenderError) -> Self {
        Self::Internal(format!("template: {error}"))
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        // One log line per error, at the level its cause deserves; details of server-side
        // failures go to the log, never to the client.
        let detail = match self {
            Self::Internal(cause) => {
                tracing::error!(error = %cause, "request failed");
                None
            }
            Self::Unavailable(cause) => {
                // The database out of reach, or the register's turns for ranking all taken.
                tracing::warn!(error = %cause, "service unavailable");
                None
            }
            Self::BadRequest(message) | Self::Conflict(message) => Some(message.as_str()),
            Self::Forbidden(reason) => Some(*reason),
            _ => None,
        };
        let problem = Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail,
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        match self {
            Self::RateLimited { retry_after_seconds } => {
                response.insert_header((header::RETRY_AFTER, retry_after_seconds.to_string()));
            }
            Self::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        response.json(problem)
    }
}

pub type AppResult<T> = Result<T, AppError>;
