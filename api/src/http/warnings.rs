//! `POST /api/v1/admin/warnings`, `GET /api/v1/warnings`.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use chrono::Utc;
use fangxin_scoring::domain::Role;

use super::AppState;
use super::auth::RequestId;
use super::extract::json_body;
use crate::accounts::Session;
use crate::error::AppResult;
use crate::warnings::{self, NewWarning, WarningPage, WarningView};

pub async fn publish(
    State(state): State<AppState>,
    session: Session,
    RequestId(request_id): RequestId,
    req: Result<Json<NewWarning>, JsonRejection>,
) -> AppResult<(StatusCode, Json<WarningView>)> {
    session.require(&[Role::Regulator, Role::Admin])?;
    let req = json_body(req)?;
    let view = warnings::publish(&state.db, req, &session.actor(request_id), Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

pub async fn list(State(state): State<AppState>) -> AppResult<Json<WarningPage>> {
    Ok(Json(warnings::list(&state.db, 50).await?))
}
