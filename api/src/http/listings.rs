//! `POST /api/v1/admin/listings`, `POST /api/v1/admin/listings/{id}/removal`.

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
use crate::listings::{self, ListingView, NewListing, Removal};

#[utoipa::path(
    post,
    path = "/api/v1/admin/listings",
    tag = "regulator",
    summary = "Put a merchant on the abnormal-operations or serious-violation list",
    request_body = NewListing,
    responses((status = 201, description = "Listed", body = ListingView), StaffErrors),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    session: Session,
    RequestId(request_id): RequestId,
    req: Result<Json<NewListing>, JsonRejection>,
) -> AppResult<(StatusCode, Json<ListingView>)> {
    session.require(&[Role::Regulator, Role::Admin])?;
    let req = json_body(req)?;
    let view = listings::list_merchant(
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
    path = "/api/v1/admin/listings/{id}/removal",
    tag = "regulator",
    summary = "Remove a listing",
    params(("id" = i64, Path, description = "Record id")),
    request_body = Removal,
    responses((status = 200, description = "Removed", body = ListingView), StaffErrors),
    security(("bearer" = []))
)]
pub async fn remove(
    State(state): State<AppState>,
    session: Session,
    RequestId(request_id): RequestId,
    ApiPath(id): ApiPath<i64>,
    req: Result<Json<Removal>, JsonRejection>,
) -> AppResult<Json<ListingView>> {
    session.require(&[Role::Regulator, Role::Admin])?;
    let req = json_body(req)?;
    let view = listings::remove(
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
