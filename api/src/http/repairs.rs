//! `POST /api/v1/me/credit-repairs` (enterprise), `POST /api/v1/admin/credit-repairs/{id}`.

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
use crate::repairs::{self, Application, Decision, RepairView};

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
    session: Session,
    RequestId(request_id): RequestId,
    req: Result<Json<Application>, JsonRejection>,
) -> AppResult<(StatusCode, Json<RepairView>)> {
    let merchant_id = session.own_merchant()?;
    let req = json_body(req)?;
    let view = repairs::apply(
        &state.db,
        merchant_id,
        req,
        &session.actor(request_id),
        Utc::now(),
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
    session: Session,
    RequestId(request_id): RequestId,
    ApiPath(id): ApiPath<i64>,
    req: Result<Json<Decision>, JsonRejection>,
) -> AppResult<Json<RepairView>> {
    session.require(&[Role::Regulator, Role::Admin])?;
    let req = json_body(req)?;
    let view = repairs::decide(
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
