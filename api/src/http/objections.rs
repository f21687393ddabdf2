//! `POST /api/v1/me/objections` (enterprise), `POST /api/v1/admin/objections/{id}`.

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
use crate::objections::{self, NewObjection, ObjectionDecision, ObjectionView};

#[utoipa::path(
    post,
    path = "/api/v1/me/objections",
    tag = "enterprise",
    summary = "Object to a record",
    request_body = NewObjection,
    responses((status = 201, description = "Filed", body = ObjectionView), StaffErrors),
    security(("bearer" = []))
)]
pub async fn file(
    State(state): State<AppState>,
    session: Session,
    RequestId(request_id): RequestId,
    req: Result<Json<NewObjection>, JsonRejection>,
) -> AppResult<(StatusCode, Json<ObjectionView>)> {
    let merchant_id = session.own_merchant()?;
    let req = json_body(req)?;
    let view = objections::file(
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
    path = "/api/v1/admin/objections/{id}",
    tag = "regulator",
    summary = "Accept (correcting the record) or reject an objection",
    params(("id" = i64, Path, description = "Record id")),
    request_body = ObjectionDecision,
    responses((status = 200, description = "Decided", body = ObjectionView), StaffErrors),
    security(("bearer" = []))
)]
pub async fn decide(
    State(state): State<AppState>,
    session: Session,
    RequestId(request_id): RequestId,
    ApiPath(id): ApiPath<i64>,
    req: Result<Json<ObjectionDecision>, JsonRejection>,
) -> AppResult<Json<ObjectionView>> {
    session.require(&[Role::Regulator, Role::Admin])?;
    let req = json_body(req)?;
    let view = objections::decide(
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
