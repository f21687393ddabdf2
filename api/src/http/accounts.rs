//! `/api/v1/admin/accounts`: admins manage who may log in.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::AppState;
use super::extract::{Admin, ApiPath, Body};
use super::openapi::StaffErrors;
use crate::http::error::ApiResult;
use fangxin_core::accounts::{self, AccountChange, AccountView, NewAccount};

#[utoipa::path(
    post,
    path = "/api/v1/admin/accounts",
    tag = "admin",
    summary = "Create an account",
    request_body = NewAccount,
    responses((status = 201, description = "Created", body = AccountView), StaffErrors),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Body(req): Body<NewAccount>,
) -> ApiResult<(StatusCode, Json<AccountView>)> {
    let id = accounts::create(&state.db, req, &actor, fangxin_core::clock::now()).await?;
    Ok((
        StatusCode::CREATED,
        Json(accounts::get(&state.db, id).await?),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/accounts",
    tag = "admin",
    summary = "Every account",
    responses((status = 200, description = "Accounts by username", body = Vec<AccountView>), StaffErrors),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Admin(_admin): Admin,
) -> ApiResult<Json<Vec<AccountView>>> {
    Ok(Json(accounts::list(&state.db).await?))
}

#[utoipa::path(
    patch,
    path = "/api/v1/admin/accounts/{id}",
    tag = "admin",
    summary = "Switch an account off or on, or set its password",
    params(("id" = i64, Path, description = "Record id")),
    request_body = AccountChange,
    responses((status = 200, description = "Changed; its tokens are revoked", body = AccountView), StaffErrors),
    security(("bearer" = []))
)]
pub async fn change(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ApiPath(id): ApiPath<i64>,
    Body(req): Body<AccountChange>,
) -> ApiResult<Json<AccountView>> {
    Ok(Json(
        accounts::change(&state.db, id, req, &actor, fangxin_core::clock::now()).await?,
    ))
}
