//! `POST /api/v1/me/credit-repairs` (enterprise), `POST /api/v1/admin/credit-repairs/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::AppState;
use super::extract::{ApiPath, Body, Enterprise, Regulator};
use super::openapi::StaffErrors;
use crate::http::error::ApiResult;
use fangxin_core::repairs::{self, Application, Decision, RepairView};

#[utoipa::path(
    post,
    path = "/api/v1/me/credit-repairs",
    tag = "enterprise",
    summary = "Apply for credit repair of a penalty",
    request_body = Application,
    responses((status = 201, description = "Queued for a decision; refusals say when it becomes possible", body = RepairView), StaffErrors),
    security(("bearer" = []))
)]
pub async fn apply(
    State(state): State<AppState>,
    Enterprise { merchant_id, actor }: Enterprise,
    Body(req): Body<Application>,
) -> ApiResult<(StatusCode, Json<RepairView>)> {
    let view = repairs::apply(
        &state.db,
        merchant_id,
        req,
        vec![],
        &actor,
        fangxin_core::clock::now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/credit-repairs/{id}",
    tag = "regulator",
    summary = "Decide a credit-repair application",
    params(("id" = i64, Path, description = "Record id")),
    request_body = Decision,
    responses((status = 200, description = "Decided", body = RepairView), StaffErrors),
    security(("bearer" = []))
)]
pub async fn decide(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    ApiPath(id): ApiPath<i64>,
    Body(req): Body<Decision>,
) -> ApiResult<Json<RepairView>> {
    let view = repairs::decide(
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
