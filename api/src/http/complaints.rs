//! Complaint endpoints: regulators' intake and queues, enterprises' answers, public stats.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Utc;
use fangxin_scoring::Uscc;
use fangxin_scoring::domain::Role;
use serde::Deserialize;

use super::AppState;
use super::auth::RequestId;
use super::extract::{ApiPath, json_body};
use crate::accounts::Session;
use crate::complaints::{
    self, ComplaintFilter, ComplaintPage, ComplaintView, IntakeContext, IntakeResult, NewComplaint,
    Transition,
};
use crate::error::{AppError, AppResult};

pub async fn intake(
    State(state): State<AppState>,
    session: Session,
    RequestId(request_id): RequestId,
    req: Result<Json<NewComplaint>, JsonRejection>,
) -> AppResult<(StatusCode, Json<IntakeResult>)> {
    session.require(&[Role::Regulator, Role::Admin])?;
    let req = json_body(req)?;
    let index = state.index.current();
    let ctx = IntakeContext {
        scoring: &state.scoring,
        key_secret: state.settings.privacy.complainant_key_secret.expose(),
        index: Some(&index),
    };
    let result =
        complaints::intake(&state.db, req, &ctx, &session.actor(request_id), Utc::now()).await?;
    if result.created {
        state.notifier.changed().await;
    }
    let status = if result.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(result)))
}

pub async fn list(
    State(state): State<AppState>,
    session: Session,
    filter: Result<Query<ComplaintFilter>, QueryRejection>,
) -> AppResult<Json<ComplaintPage>> {
    session.require(&[Role::Regulator, Role::Admin])?;
    let Query(filter) = filter.map_err(|e| AppError::invalid("invalid_query", e.body_text()))?;
    Ok(Json(
        complaints::list(&state.db, filter, None, &state.scoring.calendar, Utc::now()).await?,
    ))
}

pub async fn get(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<ComplaintView>> {
    session.require(&[Role::Regulator, Role::Admin])?;
    Ok(Json(
        complaints::get(&state.db, id, None, &state.scoring.calendar, Utc::now()).await?,
    ))
}

pub async fn transition(
    State(state): State<AppState>,
    session: Session,
    RequestId(request_id): RequestId,
    ApiPath(id): ApiPath<i64>,
    req: Result<Json<Transition>, JsonRejection>,
) -> AppResult<Json<ComplaintView>> {
    session.require(&[Role::Regulator, Role::Admin])?;
    let req = json_body(req)?;
    let view = complaints::transition(
        &state.db,
        id,
        req,
        &state.scoring,
        &session.actor(request_id),
        Utc::now(),
    )
    .await?;
    state.notifier.changed().await;
    Ok(Json(view))
}

pub async fn my_complaints(
    State(state): State<AppState>,
    session: Session,
    filter: Result<Query<ComplaintFilter>, QueryRejection>,
) -> AppResult<Json<ComplaintPage>> {
    let merchant_id = session.own_merchant()?;
    let Query(filter) = filter.map_err(|e| AppError::invalid("invalid_query", e.body_text()))?;
    Ok(Json(
        complaints::list(
            &state.db,
            filter,
            Some(merchant_id),
            &state.scoring.calendar,
            Utc::now(),
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct Answer {
    pub text: String,
}

pub async fn answer(
    State(state): State<AppState>,
    session: Session,
    RequestId(request_id): RequestId,
    ApiPath(id): ApiPath<i64>,
    req: Result<Json<Answer>, JsonRejection>,
) -> AppResult<Json<ComplaintView>> {
    let merchant_id = session.own_merchant()?;
    let req = json_body(req)?;
    let view = complaints::answer(
        &state.db,
        id,
        merchant_id,
        &req.text,
        &state.scoring,
        &session.actor(request_id),
        Utc::now(),
    )
    .await?;
    state.notifier.changed().await;
    Ok(Json(view))
}

pub async fn stats(
    State(state): State<AppState>,
    ApiPath(uscc): ApiPath<String>,
    headers: axum::http::HeaderMap,
    Query(format): Query<super::export::FormatParam>,
) -> AppResult<axum::response::Response> {
    let uscc = Uscc::parse(&uscc)?;
    let csv = super::export::wants_csv(&headers, format.format.as_deref())?;
    let now = Utc::now();
    let stats = complaints::stats(&state.db, &uscc, now).await?;
    if csv {
        return super::export::csv_response(&format!("complaint-stats-{uscc}"), now, [stats]);
    }
    Ok(Json(stats).into_response())
}
