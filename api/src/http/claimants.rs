//! `GET /api/v1/admin/claimants` (the review queue), `GET /api/v1/admin/claimants/{key}`
//! (the claim file) and `POST /api/v1/admin/claimants/{key}/review` (confirm or clear).
//! Regulators only: nothing here is public or shown to merchants.

use axum::Json;
use axum::extract::State;

use super::AppState;
use super::extract::{ApiPath, ApiQuery, Body, Regulator};
use super::openapi::StaffErrors;
use crate::http::error::ApiResult;
use fangxin_core::claimants::{
    self, ClaimFile, ClaimantPage, QueueFilter, ReviewDecision, ReviewOutcome,
};

#[utoipa::path(
    get,
    path = "/api/v1/admin/claimants",
    tag = "regulator",
    summary = "Complainants flagged as possible professional claimants, highest risk first",
    params(QueueFilter),
    responses((status = 200, description = "The queue", body = ClaimantPage), StaffErrors),
    security(("bearer" = []))
)]
pub async fn queue(
    State(state): State<AppState>,
    Regulator(_actor): Regulator,
    ApiQuery(filter): ApiQuery<QueueFilter>,
) -> ApiResult<Json<ClaimantPage>> {
    Ok(Json(claimants::queue(&state.db, filter).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/claimants/{key}",
    tag = "regulator",
    summary = "The claim file of one complainant: assessment, review and every complaint",
    params(("key" = String, Path, description = "The complainant's pseudonymous key")),
    responses((status = 200, description = "The claim file", body = ClaimFile), StaffErrors),
    security(("bearer" = []))
)]
pub async fn file(
    State(state): State<AppState>,
    Regulator(_actor): Regulator,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<ClaimFile>> {
    Ok(Json(
        claimants::claim_file(
            &state.db,
            &key,
            &state.scoring.model.claimants,
            fangxin_core::clock::now(),
        )
        .await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/claimants/{key}/review",
    tag = "regulator",
    summary = "Confirm or clear a complainant as a professional claimant (audited; rescores the merchants concerned)",
    params(("key" = String, Path, description = "The complainant's pseudonymous key")),
    request_body = ReviewDecision,
    responses((status = 200, description = "Decided", body = ReviewOutcome), StaffErrors),
    security(("bearer" = []))
)]
pub async fn review(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    ApiPath(key): ApiPath<String>,
    Body(req): Body<ReviewDecision>,
) -> ApiResult<Json<ReviewOutcome>> {
    let outcome = claimants::review(
        &state.db,
        &key,
        req,
        &state.scoring,
        &actor,
        fangxin_core::clock::now(),
    )
    .await?;
    state.notifier.changed().await;
    Ok(Json(outcome))
}
