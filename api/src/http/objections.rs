//! `POST /api/v1/me/objections` (enterprise), `POST /api/v1/admin/objections/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::AppState;
use super::extract::{ApiPath, Body, Enterprise, Regulator};
use super::openapi::StaffErrors;
use crate::http::error::ApiResult;
use fangxin_core::objections::{self, NewObjection, ObjectionDecision, ObjectionView};

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
    Enterprise { merchant_id, actor }: Enterprise,
    Body(req): Body<NewObjection>,
) -> ApiResult<(StatusCode, Json<ObjectionView>)> {
    let view = objections::file(
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
    Regulator(actor): Regulator,
    ApiPath(id): ApiPath<i64>,
    Body(req): Body<ObjectionDecision>,
) -> ApiResult<Json<ObjectionView>> {
    let view = objections::decide(
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
