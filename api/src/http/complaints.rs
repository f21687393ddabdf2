//! Complaint endpoints: regulators' intake and queues, enterprises' answers, public stats.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use fangxin_scoring::Uscc;
use serde::Deserialize;

use super::AppState;
use super::extract::{ApiPath, ApiQuery, Body, Enterprise, Regulator};
use super::openapi::{PublicErrors, StaffErrors};
use crate::http::error::ApiResult;
use fangxin_core::complaints::{
    self, ComplaintFilter, ComplaintPage, ComplaintView, IntakeContext, IntakeResult, NewComplaint,
    Transition,
};

#[utoipa::path(
    post,
    path = "/api/v1/admin/complaints",
    tag = "regulator",
    summary = "Record a complaint, report or inquiry from a channel",
    request_body = NewComplaint,
    responses((status = 201, description = "Recorded (200-like `created: false` when the ticket was known)", body = IntakeResult), StaffErrors),
    security(("bearer" = []))
)]
pub async fn intake(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    Body(req): Body<NewComplaint>,
) -> ApiResult<(StatusCode, Json<IntakeResult>)> {
    let ctx = IntakeContext {
        scoring: &state.scoring,
        key_secret: state.settings.privacy.complainant_key_secret.expose(),
        index: Some(state.index.current()),
    };
    let result =
        complaints::intake(&state.db, req, &ctx, &actor, fangxin_core::clock::now()).await?;
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

#[utoipa::path(
    get,
    path = "/api/v1/admin/complaints",
    tag = "regulator",
    summary = "Complaints for the regulator's queues",
    params(ComplaintFilter),
    responses((status = 200, description = "Complaints, newest first", body = ComplaintPage), StaffErrors),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Regulator(_actor): Regulator,
    ApiQuery(filter): ApiQuery<ComplaintFilter>,
) -> ApiResult<Json<ComplaintPage>> {
    Ok(Json(
        complaints::list(
            &state.db,
            filter,
            None,
            &state.scoring.calendar,
            fangxin_core::clock::now(),
        )
        .await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/complaints/{id}",
    tag = "regulator",
    summary = "One complaint with its deadlines",
    params(("id" = i64, Path, description = "Record id")),
    responses((status = 200, description = "The complaint", body = ComplaintView), StaffErrors),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    Regulator(_actor): Regulator,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ComplaintView>> {
    Ok(Json(
        complaints::get(
            &state.db,
            id,
            None,
            &state.scoring.calendar,
            fangxin_core::clock::now(),
        )
        .await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/complaints/{id}/transition",
    tag = "regulator",
    summary = "Move a complaint along its lifecycle",
    params(("id" = i64, Path, description = "Record id")),
    request_body = Transition,
    responses((status = 200, description = "Moved; a 409 lists the allowed moves", body = ComplaintView), StaffErrors),
    security(("bearer" = []))
)]
pub async fn transition(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    ApiPath(id): ApiPath<i64>,
    Body(req): Body<Transition>,
) -> ApiResult<Json<ComplaintView>> {
    let view = complaints::transition(
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
    post,
    path = "/api/v1/admin/complaints/{id}/merchant",
    tag = "regulator",
    summary = "Match a complaint that arrived with a name only to a merchant",
    params(("id" = i64, Path, description = "Record id")),
    request_body = complaints::MerchantMatch,
    responses((status = 200, description = "Matched (the merchant rescored); 409 if matched to another", body = ComplaintView), StaffErrors),
    security(("bearer" = []))
)]
pub async fn assign_merchant(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    ApiPath(id): ApiPath<i64>,
    Body(req): Body<complaints::MerchantMatch>,
) -> ApiResult<Json<ComplaintView>> {
    let view = complaints::assign_merchant(
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
    put,
    path = "/api/v1/admin/complaints/{id}/assignee",
    tag = "regulator",
    summary = "Give a complaint to a member of staff, or to nobody",
    params(("id" = i64, Path, description = "Record id")),
    request_body = complaints::Assignment,
    responses((status = 200, description = "Assigned (audited; nothing public changes)", body = ComplaintView), StaffErrors),
    security(("bearer" = []))
)]
pub async fn assign(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    ApiPath(id): ApiPath<i64>,
    Body(req): Body<complaints::Assignment>,
) -> ApiResult<Json<ComplaintView>> {
    let view = complaints::assign(
        &state.db,
        id,
        req,
        &state.scoring.calendar,
        &actor,
        fangxin_core::clock::now(),
    )
    .await?;
    Ok(Json(view))
}

#[utoipa::path(
    get,
    path = "/api/v1/me/complaints",
    tag = "enterprise",
    summary = "The enterprise's complaints (complainants masked)",
    params(ComplaintFilter),
    responses((status = 200, description = "Complaints", body = ComplaintPage), StaffErrors),
    security(("bearer" = []))
)]
pub async fn my_complaints(
    State(state): State<AppState>,
    Enterprise {
        merchant_id,
        actor: _,
    }: Enterprise,
    ApiQuery(filter): ApiQuery<ComplaintFilter>,
) -> ApiResult<Json<ComplaintPage>> {
    Ok(Json(
        complaints::list(
            &state.db,
            filter,
            Some(merchant_id),
            &state.scoring.calendar,
            fangxin_core::clock::now(),
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Answer {
    pub text: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/me/complaints/{id}/answer",
    tag = "enterprise",
    summary = "Answer a complaint",
    params(("id" = i64, Path, description = "Record id")),
    request_body = Answer,
    responses((status = 200, description = "Answered", body = ComplaintView), StaffErrors),
    security(("bearer" = []))
)]
pub async fn answer(
    State(state): State<AppState>,
    Enterprise { merchant_id, actor }: Enterprise,
    ApiPath(id): ApiPath<i64>,
    Body(req): Body<Answer>,
) -> ApiResult<Json<ComplaintView>> {
    let view = complaints::answer(
        &state.db,
        id,
        merchant_id,
        &req.text,
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
    path = "/api/v1/merchants/{uscc}/complaint-stats",
    tag = "public",
    summary = "A merchant's complaint statistics, as the complaint-publicity rules publish them (JSON or CSV)",
    params(("uscc" = String, Path, description = "Unified social credit code: 18 characters of 0-9 and A-Y without I, O, S, V, Z; the last is a check character the pattern cannot express", pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$", min_length = 18, max_length = 18), crate::export::FormatParam),
    responses((status = 200, description = "Statistics", content((fangxin_core::complaints::ComplaintStats = "application/json"), (String = "text/csv"))), PublicErrors)
)]
pub async fn stats(
    State(state): State<AppState>,
    ApiPath(uscc): ApiPath<String>,
    headers: axum::http::HeaderMap,
    ApiQuery(format): ApiQuery<crate::export::FormatParam>,
) -> ApiResult<axum::response::Response> {
    let uscc = Uscc::parse(&uscc)?;
    let csv = crate::export::wants_csv(&headers, format.format.as_deref())?;
    let columns = crate::export::Columns::parse(format.columns.as_deref())?;
    let now = fangxin_core::clock::now();
    let stats = complaints::stats(&state.reads, &uscc, now).await?;
    if csv {
        return Ok(crate::export::csv_response(
            &format!("complaint-stats-{uscc}"),
            now,
            [stats],
            columns,
        )?);
    }
    Ok(Json(stats).into_response())
}
