//! Spot checks: inspectors, plans (draws), results, and the public lists.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use axum::http::HeaderMap;
use axum::response::Response;

use super::AppState;
use super::extract::{ApiPath, ApiQuery, Body, Regulator};
use super::openapi::{PublicErrors, StaffErrors};
use crate::export::{self, FormatParam};
use crate::http::error::ApiResult;
use fangxin_core::spotchecks::{
    self, CheckView, Frame, InspectorView, NewInspector, NewPlan, PlanView, ResultEntry,
    SpotCheckPage, SpotCheckQuery,
};

#[utoipa::path(
    post,
    path = "/api/v1/admin/inspectors",
    tag = "regulator",
    summary = "Add an inspector to the pool",
    request_body = NewInspector,
    responses((status = 201, description = "Added", body = InspectorView), StaffErrors),
    security(("bearer" = []))
)]
pub async fn add_inspector(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    Body(req): Body<NewInspector>,
) -> ApiResult<(StatusCode, Json<InspectorView>)> {
    let view =
        spotchecks::add_inspector(&state.db, req, &actor, fangxin_core::clock::now()).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/inspectors",
    tag = "regulator",
    summary = "The inspector pool",
    responses((status = 200, description = "Inspectors", body = Vec<InspectorView>), StaffErrors),
    security(("bearer" = []))
)]
pub async fn inspectors(
    State(state): State<AppState>,
    Regulator(_regulator): Regulator,
) -> ApiResult<Json<Vec<InspectorView>>> {
    Ok(Json(spotchecks::inspectors(&state.db).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/spot-check-plans",
    tag = "regulator",
    summary = "Draw a 双随机 spot-check plan",
    request_body = NewPlan,
    responses((status = 201, description = "Drawn; the seed and frame are published", body = PlanView), StaffErrors),
    security(("bearer" = []))
)]
pub async fn draw(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    Body(req): Body<NewPlan>,
) -> ApiResult<(StatusCode, Json<PlanView>)> {
    let plan = spotchecks::draw_plan(&state.db, req, &actor, fangxin_core::clock::now()).await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

#[utoipa::path(
    get,
    path = "/api/v1/spot-check-plans/{id}",
    tag = "public",
    summary = "A spot-check plan with its seed, drawn merchants and results",
    params(("id" = i64, Path, description = "Record id")),
    responses((status = 200, description = "The plan", body = PlanView), PublicErrors)
)]
pub async fn plan(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PlanView>> {
    Ok(Json(spotchecks::plan_view(&state.reads, id).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/spot-check-plans/{id}/frame",
    tag = "public",
    summary = "A plan's sampling frame and inspector pool, to replay its draw",
    params(("id" = i64, Path, description = "Record id")),
    responses((status = 200, description = "The frame", body = Frame), PublicErrors)
)]
pub async fn frame(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Frame>> {
    Ok(Json(spotchecks::frame(&state.reads, id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/spot-checks/{id}/result",
    tag = "regulator",
    summary = "Record the result of a drawn check",
    params(("id" = i64, Path, description = "Record id")),
    request_body = ResultEntry,
    responses((status = 200, description = "Recorded and public", body = CheckView), StaffErrors),
    security(("bearer" = []))
)]
pub async fn record_result(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    ApiPath(id): ApiPath<i64>,
    Body(req): Body<ResultEntry>,
) -> ApiResult<Json<CheckView>> {
    let view = spotchecks::record_result(
        &state.db,
        id,
        req,
        &state.scoring,
        &actor,
        fangxin_core::clock::now(),
    )
    .await?;
    state.notifier.changed().await;
    Ok(Json(view))
}

#[utoipa::path(
    get,
    path = "/api/v1/spot-checks",
    tag = "public",
    summary = "Published spot-check results (JSON or CSV)",
    params(SpotCheckQuery, FormatParam),
    responses((status = 200, description = "Results, newest first; all rows as CSV", content((SpotCheckPage = "application/json"), (String = "text/csv"))), PublicErrors)
)]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<SpotCheckQuery>,
    ApiQuery(format): ApiQuery<FormatParam>,
) -> ApiResult<Response> {
    let now = fangxin_core::clock::now();
    let db = state.reads.clone();
    Ok(
        export::json_or_csv(&headers, &format, "spot-checks", query, now, move |q| {
            let db = db.clone();
            async move { spotchecks::public_list(&db, q, now).await }
        })
        .await?,
    )
}
