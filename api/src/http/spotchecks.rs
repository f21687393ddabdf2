//! Spot checks: inspectors, plans (draws), results, and the public lists.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::Utc;

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::export::{self, FormatParam};
use super::extract::{ApiPath, Body, Regulator};
use crate::error::{AppError, AppResult};
use crate::spotchecks::{
    self, CheckView, Frame, InspectorView, NewInspector, NewPlan, PlanView, ResultEntry,
    SpotCheckQuery,
};

pub async fn add_inspector(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    Body(req): Body<NewInspector>,
) -> AppResult<(StatusCode, Json<InspectorView>)> {
    let view = spotchecks::add_inspector(&state.db, req, &actor, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

pub async fn inspectors(
    State(state): State<AppState>,
    Regulator(_): Regulator,
) -> AppResult<Json<Vec<InspectorView>>> {
    Ok(Json(spotchecks::inspectors(&state.db).await?))
}

pub async fn draw(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    Body(req): Body<NewPlan>,
) -> AppResult<(StatusCode, Json<PlanView>)> {
    let plan = spotchecks::draw_plan(&state.db, req, &actor, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

pub async fn plan(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<PlanView>> {
    Ok(Json(spotchecks::plan_view(&state.db, id).await?))
}

pub async fn frame(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Frame>> {
    Ok(Json(spotchecks::frame(&state.db, id).await?))
}

pub async fn record_result(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    ApiPath(id): ApiPath<i64>,
    Body(req): Body<ResultEntry>,
) -> AppResult<Json<CheckView>> {
    let view =
        spotchecks::record_result(&state.db, id, req, &state.scoring, &actor, Utc::now()).await?;
    state.notifier.changed().await;
    Ok(Json(view))
}

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<SpotCheckQuery>, QueryRejection>,
    format: Result<Query<FormatParam>, QueryRejection>,
) -> AppResult<Response> {
    let Query(query) = query.map_err(|e| AppError::invalid("invalid_query", e.body_text()))?;
    let Query(format) = format.map_err(|e| AppError::invalid("invalid_query", e.body_text()))?;
    let now = Utc::now();
    if !export::wants_csv(&headers, format.format.as_deref())? {
        return Ok(Json(spotchecks::public_list(&state.db, query, now).await?).into_response());
    }
    let rows = export::all_pages(|page, per_page| {
        let q = SpotCheckQuery {
            page: Some(page),
            per_page: Some(per_page),
            ..query.clone()
        };
        let db = &state.db;
        async move { Ok(spotchecks::public_list(db, q, now).await?.results) }
    })
    .await?;
    export::csv_response("spot-checks", now, rows)
}
