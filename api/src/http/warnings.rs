//! `POST /api/v1/admin/warnings`, `GET /api/v1/warnings`.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::Response;

use super::AppState;
use super::extract::{ApiQuery, Body, Regulator};
use super::openapi::{PublicErrors, StaffErrors};
use crate::export::{self, FormatParam};
use crate::http::error::ApiResult;
use fangxin_core::warnings::{self, NewWarning, WarningQuery, WarningView};

#[utoipa::path(
    post,
    path = "/api/v1/admin/warnings",
    tag = "regulator",
    summary = "Publish a consumer warning or typical case",
    request_body = NewWarning,
    responses((status = 201, description = "Published", body = WarningView), StaffErrors),
    security(("bearer" = []))
)]
pub async fn publish(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    Body(req): Body<NewWarning>,
) -> ApiResult<(StatusCode, Json<WarningView>)> {
    let view = warnings::publish(&state.db, req, &actor, fangxin_core::clock::now()).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(
    get,
    path = "/api/v1/warnings",
    tag = "public",
    summary = "Consumer warnings (JSON or CSV)",
    params(WarningQuery, FormatParam),
    responses((status = 200, description = "Warnings, newest first; all rows as CSV", content((fangxin_core::warnings::WarningPage = "application/json"), (String = "text/csv"))), PublicErrors)
)]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<WarningQuery>,
    ApiQuery(format): ApiQuery<FormatParam>,
) -> ApiResult<Response> {
    let now = fangxin_core::clock::now();
    let db = state.reads.clone();
    Ok(
        export::json_or_csv(&headers, &format, "warnings", query, now, move |q| {
            let db = db.clone();
            async move { warnings::list(&db, q, now).await }
        })
        .await?,
    )
}
