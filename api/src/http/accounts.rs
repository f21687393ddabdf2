//! `/api/v1/admin/accounts`: admins manage who may log in.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;

use super::AppState;
use super::extract::{Admin, ApiPath, Body};
use crate::accounts::{self, AccountChange, AccountView, NewAccount};
use crate::error::AppResult;

pub async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Body(req): Body<NewAccount>,
) -> AppResult<(StatusCode, Json<AccountView>)> {
    let id = accounts::create(&state.db, req, &actor, Utc::now()).await?;
    Ok((
        StatusCode::CREATED,
        Json(accounts::get(&state.db, id).await?),
    ))
}

pub async fn list(
    State(state): State<AppState>,
    Admin(_): Admin,
) -> AppResult<Json<Vec<AccountView>>> {
    Ok(Json(accounts::list(&state.db).await?))
}

pub async fn change(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ApiPath(id): ApiPath<i64>,
    Body(req): Body<AccountChange>,
) -> AppResult<Json<AccountView>> {
    Ok(Json(
        accounts::change(&state.db, id, req, &actor, Utc::now()).await?,
    ))
}
