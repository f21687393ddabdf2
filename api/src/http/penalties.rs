//! `POST /api/v1/admin/penalties` and `GET /api/v1/penalties`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::Utc;
use fangxin_scoring::domain::Role;

use super::AppState;
use super::auth::RequestId;
use super::extract::json_body;
use crate::accounts::Session;
use crate::error::{AppError, AppResult};
use crate::penalties::{self, PenaltyPage, PenaltyQuery, PenaltyRecord, PublishPenalty};

pub async fn publish(
    State(state): State<AppState>,
    session: Session,
    RequestId(request_id): RequestId,
    body: Result<Json<PublishPenalty>, JsonRejection>,
) -> AppResult<(StatusCode, Json<PenaltyRecord>)> {
    session.require(&[Role::Regulator, Role::Admin])?;
    let body = json_body(body)?;
    let record = penalties::publish(
        &state.db,
        body,
        &state.scoring,
        state.settings.penalties.lower_amount_threshold_yuan * 100,
        &session.actor(request_id),
        Utc::now(),
    )
    .await?;
    state.notifier.changed().await;
    Ok((StatusCode::CREATED, Json(record)))
}

pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<PenaltyQuery>, QueryRejection>,
) -> AppResult<Json<PenaltyPage>> {
    let Query(query) = query.map_err(|e| AppError::invalid("invalid_query", e.body_text()))?;
    Ok(Json(
        penalties::public_list(&state.db, query, Utc::now()).await?,
    ))
}
