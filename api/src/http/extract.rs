//! Extractors whose rejections are problem documents like every other error.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use fangxin_core::error::AppError;

use crate::http::error::ApiError;
use fangxin_scoring::domain::Role;

/// A path parameter; a malformed one (`/complaints/abc`) is a 400 `invalid_path`.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = crate::http::error::ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| ApiPath(t))
            .map_err(|e| AppError::invalid("invalid_path", e.body_text()).into())
    }
}

/// Query parameters; malformed ones (`?page=x`) are a 400 `invalid_query`.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = crate::http::error::ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(t)| ApiQuery(t))
            .map_err(|e| AppError::invalid("invalid_query", e.body_text()).into())
    }
}

/// A JSON body, or a 400 `invalid_body` saying what is wrong with it.
pub fn json_body<T>(
    body: Result<axum::Json<T>, axum::extract::rejection::JsonRejection>,
) -> Result<T, AppError> {
    body.map(|axum::Json(t)| t).map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge {
                code: "body_too_large",
                message: "the request body is larger than this service accepts".into(),
            }
        } else if e.status() == axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE {
            AppError::UnsupportedMediaType {
                code: "unsupported_media_type",
                message: "send the body as JSON with Content-Type: application/json".into(),
            }
        } else {
            AppError::invalid("invalid_body", e.body_text())
        }
    })
}

/// A JSON body whose rejection is a 400 `invalid_body` problem saying what is wrong.
pub struct Body<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for Body<T>
where
    axum::Json<T>:
        axum::extract::FromRequest<S, Rejection = axum::extract::rejection::JsonRejection>,
    S: Send + Sync,
{
    type Rejection = crate::http::error::ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        Ok(Body(json_body(
            axum::Json::<T>::from_request(req, state).await,
        )?))
    }
}

/// A caller allowed to change the record (a regulator or an admin), as the audit log
/// names it. Anyone else is refused before the handler runs.
pub struct Regulator(pub fangxin_core::audit::Actor);

impl FromRequestParts<super::AppState> for Regulator {
    type Rejection = crate::http::error::ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &super::AppState,
    ) -> Result<Self, ApiError> {
        Ok(Regulator(
            staff(parts, state, &[Role::Regulator, Role::Admin]).await?,
        ))
    }
}

/// A caller allowed to manage accounts (an admin).
pub struct Admin(pub fangxin_core::audit::Actor);

impl FromRequestParts<super::AppState> for Admin {
    type Rejection = crate::http::error::ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &super::AppState,
    ) -> Result<Self, ApiError> {
        Ok(Admin(staff(parts, state, &[Role::Admin]).await?))
    }
}

async fn staff(
    parts: &mut Parts,
    state: &super::AppState,
    roles: &[Role],
) -> Result<fangxin_core::audit::Actor, AppError> {
    let session = super::auth::session(parts, state).await?;
    session.require(roles)?;
    Ok(session.actor(request_id(parts)))
}

/// An enterprise account acting for its own merchant. Every other role is refused.
pub struct Enterprise {
    pub merchant_id: i64,
    pub actor: fangxin_core::audit::Actor,
}

impl FromRequestParts<super::AppState> for Enterprise {
    type Rejection = crate::http::error::ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &super::AppState,
    ) -> Result<Self, ApiError> {
        let session = super::auth::session(parts, state).await?;
        let merchant_id = session.own_merchant()?;
        Ok(Enterprise {
            merchant_id,
            actor: session.actor(request_id(parts)),
        })
    }
}

fn request_id(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
