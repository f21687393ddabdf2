//! Errors as `application/problem+json` (RFC 9457) with a stable `code`. Every
//! `AppError` variant is mapped here, in one match; a 500 says nothing of the internals.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use fangxin_core::error::AppError;

/// A domain error on its way out as a problem document. The domain's `AppError` knows no
/// HTTP; this wrapper is where its variants meet their statuses.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ApiError(pub AppError);

/// What handlers return.
pub type ApiResult<T> = Result<T, ApiError>;

impl<E> From<E> for ApiError
where
    AppError: From<E>,
{
    fn from(e: E) -> Self {
        ApiError(AppError::from(e))
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub code: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// The request field at fault, when the error is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What a refused whole (an import) was refused for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Problem {
            kind: format!("https://fangxin.example/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            code: code.to_owned(),
            detail: detail.into(),
            check: None,
            field: None,
            details: None,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(self)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ApiError(error) = self;
        let code = error.code();
        let problem = match &error {
            AppError::InvalidUscc(e) => {
                let mut p = Problem::new(
                    StatusCode::BAD_REQUEST,
                    code,
                    format!("not a valid unified social credit code: {e}"),
                );
                p.check = Some(e.check().to_owned());
                p
            }
            AppError::MerchantNotFound(_) => {
                Problem::new(StatusCode::NOT_FOUND, code, error.to_string())
            }
            AppError::InvalidInput { message, field, .. } => {
                let mut p = Problem::new(StatusCode::BAD_REQUEST, code, message.clone());
                p.field = field.map(str::to_owned);
                p
            }
            AppError::NotFound { message, .. } => {
                Problem::new(StatusCode::NOT_FOUND, code, message.clone())
            }
            AppError::Unauthenticated { message, .. } => {
                Problem::new(StatusCode::UNAUTHORIZED, code, message.clone())
            }
            AppError::Forbidden { message, .. } => {
                Problem::new(StatusCode::FORBIDDEN, code, message.clone())
            }
            AppError::Conflict { message, .. } => {
                Problem::new(StatusCode::CONFLICT, code, message.clone())
            }
            AppError::TooManyRequests {
                message,
                retry_after_secs,
                ..
            }
            | AppError::Unavailable {
                message,
                retry_after_secs,
                ..
            } => {
                let status = match error {
                    AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::TOO_MANY_REQUESTS,
                };
                let mut response = Problem::new(status, code, message.clone()).into_response();
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
                return response;
            }
            AppError::TooLarge { message, .. } => {
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE, code, message.clone())
            }
            AppError::UnsupportedMediaType { message, .. } => {
                Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, code, message.clone())
            }
            AppError::Rejected {
                message, details, ..
            } => {
                let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, message.clone());
                p.details = Some((**details).clone());
                p
            }
            AppError::Database(e) => {
                tracing::error!(error = %e, "database error");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    code,
                    "the service could not complete the request; it has been logged",
                )
            }
            AppError::Index(e) => {
                tracing::error!(error = %e, "search index error");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    code,
                    "the service could not complete the request; it has been logged",
                )
            }
            AppError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    code,
                    "the service could not complete the request; it has been logged",
                )
            }
        };
        problem.into_response()
    }
}
