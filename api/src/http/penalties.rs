//! `POST /api/v1/admin/penalties` and `GET /api/v1/penalties`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::extract::{ApiPath, ApiQuery, Body, Regulator};
use super::openapi::{PublicErrors, StaffErrors};
use crate::export::{self, FormatParam};
use crate::http::error::ApiResult;
use fangxin_core::penalties::{
    self, Correction, PenaltyDetail, PenaltyPage, PenaltyQuery, PenaltyRecord, PublishPenalty,
    Revocation,
};

#[utoipa::path(
    post,
    path = "/api/v1/admin/penalties",
    tag = "regulator",
    summary = "Publish a penalty decision",
    request_body = PublishPenalty,
    responses((status = 201, description = "Recorded; publicity worked out", body = PenaltyRecord), StaffErrors),
    security(("bearer" = []))
)]
pub async fn publish(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    Body(body): Body<PublishPenalty>,
) -> ApiResult<(StatusCode, Json<PenaltyRecord>)> {
    let record = penalties::publish(
        &state.db,
        body,
        &state.scoring,
        state.settings.penalties.lower_amount_threshold_yuan * 100,
        &actor,
        fangxin_core::clock::now(),
    )
    .await?;
    state.notifier.changed().await;
    Ok((StatusCode::CREATED, Json(record)))
}

#[utoipa::path(
    get,
    path = "/api/v1/penalties",
    tag = "public",
    summary = "Penalties in publicity (JSON or CSV)",
    params(PenaltyQuery, FormatParam),
    responses((status = 200, description = "Decisions, newest first; all rows as CSV", content((PenaltyPage = "application/json"), (String = "text/csv"))), PublicErrors)
)]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<PenaltyQuery>,
    ApiQuery(format): ApiQuery<FormatParam>,
) -> ApiResult<Response> {
    let now = fangxin_core::clock::now();
    if !export::wants_csv(&headers, format.format.as_deref())? {
        return Ok(Json(penalties::public_list(&state.reads, query, now).await?).into_response());
    }
    let db = state.reads.clone();
    Ok(
        export::csv_export(&format, "penalties", query, now, move |q| {
            let db = db.clone();
            async move { penalties::export_lines(&db, q, now).await }
        })
        .await?,
    )
}

/// `GET /api/v1/penalties/{id}`: a decision in publicity with its corrections.
#[utoipa::path(
    get,
    path = "/api/v1/penalties/{id}",
    tag = "public",
    summary = "A decision in publicity with its corrections",
    params(("id" = i64, Path, description = "Record id")),
    responses((status = 200, description = "The decision", body = PenaltyDetail), PublicErrors)
)]
pub async fn public_detail(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PenaltyDetail>> {
    Ok(Json(penalties::detail(&state.reads, id, true).await?))
}

/// `GET /api/v1/admin/penalties/{id}`: any decision, whatever its status.
#[utoipa::path(
    get,
    path = "/api/v1/admin/penalties/{id}",
    tag = "regulator",
    summary = "Any decision with its history",
    params(("id" = i64, Path, description = "Record id")),
    responses((status = 200, description = "The decision", body = PenaltyDetail), StaffErrors),
    security(("bearer" = []))
)]
pub async fn detail(
    State(state): State<AppState>,
    Regulator(_regulator): Regulator,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PenaltyDetail>> {
    Ok(Json(penalties::detail(&state.db, id, false).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/penalties/{id}/correction",
    tag = "regulator",
    summary = "Correct a decision (the old version is kept)",
    params(("id" = i64, Path, description = "Record id")),
    request_body = Correction,
    responses((status = 200, description = "Corrected", body = PenaltyDetail), StaffErrors),
    security(("bearer" = []))
)]
pub async fn correct(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    ApiPath(id): ApiPath<i64>,
    Body(req): Body<Correction>,
) -> ApiResult<Json<PenaltyDetail>> {
    let detail = penalties::correct(
        &state.db,
        id,
        req,
        &state.scoring,
        state.settings.penalties.lower_amount_threshold_yuan * 100,
        &actor,
        fangxin_core::clock::now(),
    )
    .await?;
    state.notifier.changed().await;
    Ok(Json(detail))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/penalties/{id}/revocation",
    tag = "regulator",
    summary = "Revoke a decision",
    params(("id" = i64, Path, description = "Record id")),
    request_body = Revocation,
    responses((status = 200, description = "Revoked", body = PenaltyDetail), StaffErrors),
    security(("bearer" = []))
)]
pub async fn revoke(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    ApiPath(id): ApiPath<i64>,
    Body(req): Body<Revocation>,
) -> ApiResult<Json<PenaltyDetail>> {
    let detail = penalties::revoke(
        &state.db,
        id,
        req,
        &state.scoring,
        &actor,
        fangxin_core::clock::now(),
    )
    .await?;
    state.notifier.changed().await;
    Ok(Json(detail))
}
