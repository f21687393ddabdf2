//! Bearer authentication and the auth endpoints.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::Deserialize;

use super::AppState;
use super::extract::json_body;
pub use crate::request::{ClientAddr, RequestId};
use fangxin_core::accounts::{self, IssuedToken, Session};
use fangxin_core::error::AppError;

use crate::http::error::ApiResult;

fn bearer(parts: &Parts) -> Option<&str> {
    bearer_token(&parts.headers)
}

/// The bearer token of an `Authorization` header, if it carries one.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The session of the bearer token the request carries; a 401 without a valid one.
pub async fn session(parts: &Parts, state: &AppState) -> Result<Session, AppError> {
    let token = bearer(parts).ok_or(AppError::Unauthenticated {
        code: "unauthenticated",
        message: "log in first: send Authorization: Bearer <token> from POST /api/v1/auth/login"
            .into(),
    })?;
    accounts::authenticate(&state.db, token, fangxin_core::clock::now()).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    summary = "Log in: a bearer token",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "The token", body = IssuedToken),
        (status = 400, description = "The body is not a login request", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong username or password", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than the service accepts", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts or the account is locked", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The service failed; nothing internal is revealed", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database does not answer just now", body = super::error::Problem, content_type = "application/problem+json")
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> ApiResult<Json<IssuedToken>> {
    let body = json_body(body)?;
    let ip = addr.map(|a| a.ip().to_string()).unwrap_or_default();
    for key in [format!("ip:{ip}"), format!("user:{}", body.username.trim())] {
        if let Err(retry_after_secs) = state.login_limiter.check(&key).await {
            return Err(AppError::TooManyRequests {
                code: "rate_limited",
                message: "too many login attempts; wait a minute".into(),
                retry_after_secs,
            }
            .into());
        }
    }
    Ok(Json(
        accounts::login(
            &state.db,
            &body.username,
            &body.password,
            fangxin_core::clock::now(),
        )
        .await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    summary = "Revoke the bearer token",
    responses((status = 204, description = "Logged out")),
    security(("bearer" = []))
)]
pub async fn logout(State(state): State<AppState>, parts: Parts) -> ApiResult<StatusCode> {
    if let Some(token) = bearer(&parts) {
        accounts::logout(&state.db, token, fangxin_core::clock::now()).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
