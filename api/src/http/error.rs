//! Errors as `application/problem+json` (RFC 9457) with a stable `code`. Every
//! `AppError` variant is mapped here, in one match; a 500 says nothing of the internals.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::AppError;

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

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let code = self.code();
        let problem = match &self {
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
                Problem::new(StatusCode::NOT_FOUND, code, self.to_string())
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
            } => {
                let mut response =
                    Problem::new(StatusCode::TOO_MANY_REQUESTS, code, message.clone())
                        .into_response();
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
