//! `POST /api/v1/admin/trusted`, `POST /api/v1/admin/trusted/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::AppState;
use super::extract::{ApiPath, Body, Regulator};
use super::openapi::StaffErrors;
use crate::http::error::ApiResult;
use fangxin_core::trusted::{self, Enrolment, EnrolmentView, StatusChange};

#[utoipa::path(
    post,
    path = "/api/v1/admin/trusted",
    tag = "regulator",
    summary = "Enrol a trusted-consumption unit",
    request_body = Enrolment,
    responses((status = 201, description = "Enrolled", body = EnrolmentView), StaffErrors),
    security(("bearer" = []))
)]
pub async fn enrol(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    Body(req): Body<Enrolment>,
) -> ApiResult<(StatusCode, Json<EnrolmentView>)> {
    let view = trusted::enrol(
        &state.db,
        req,
        &state.scoring,
        &actor,
        fangxin_core::clock::now(),
    )
    .await?;
    state.notifier.changed().await;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/trusted/{id}",
    tag = "regulator",
    summary = "Upgrade, suspend, reinstate or revoke an enrolment",
    params(("id" = i64, Path, description = "Record id")),
    request_body = StatusChange,
    responses((status = 200, description = "Changed", body = EnrolmentView), StaffErrors),
    security(("bearer" = []))
)]
pub async fn change(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    ApiPath(id): ApiPath<i64>,
    Body(req): Body<StatusChange>,
) -> ApiResult<Json<EnrolmentView>> {
    let view = trusted::change(
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
