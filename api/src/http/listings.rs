//! `POST /api/v1/admin/listings`, `POST /api/v1/admin/listings/{id}/removal`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::AppState;
use super::extract::{ApiPath, Body, Regulator};
use super::openapi::StaffErrors;
use crate::http::error::ApiResult;
use fangxin_core::listings::{self, ListingView, NewListing, Removal};

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
    Regulator(actor): Regulator,
    Body(req): Body<NewListing>,
) -> ApiResult<(StatusCode, Json<ListingView>)> {
    let view = listings::list_merchant(
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
    Regulator(actor): Regulator,
    ApiPath(id): ApiPath<i64>,
    Body(req): Body<Removal>,
) -> ApiResult<Json<ListingView>> {
    let view = listings::remove(
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
