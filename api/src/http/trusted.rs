//! `POST /api/v1/admin/trusted`, `POST /api/v1/admin/trusted/{id}`.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use chrono::Utc;
use fangxin_scoring::domain::Role;

use super::AppState;
use super::auth::RequestId;
use super::extract::{ApiPath, json_body};
use super::openapi::StaffErrors;
use crate::accounts::Session;
use crate::error::AppResult;
use crate::trusted::{self, Enrolment, EnrolmentView, StatusChange};

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
    session: Session,
    RequestId(request_id): RequestId,
    req: Result<Json<Enrolment>, JsonRejection>,
) -> AppResult<(StatusCode, Json<EnrolmentView>)> {
    session.require(&[Role::Regulator, Role::Admin])?;
    let req = json_body(req)?;
    let view = trusted::enrol(
        &state.db,
        req,
        &state.scoring,
        &session.actor(request_id),
        Utc::now(),
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
    session: Session,
    RequestId(request_id): RequestId,
    ApiPath(id): ApiPath<i64>,
    req: Result<Json<StatusChange>, JsonRejection>,
) -> AppResult<Json<EnrolmentView>> {
    session.require(&[Role::Regulator, Role::Admin])?;
    let req = json_body(req)?;
    let view = trusted::change(
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
