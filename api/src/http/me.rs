//! `GET /api/v1/me/record`: an enterprise's own full record.

use axum::Json;
use axum::extract::State;

use super::AppState;
use super::extract::Enterprise;
use super::openapi::StaffErrors;
use crate::http::error::ApiResult;
use fangxin_core::enterprise::{self, EnterpriseRecord};

#[utoipa::path(
    get,
    path = "/api/v1/me/record",
    tag = "enterprise",
    summary = "The enterprise's whole record and what would raise its score",
    responses((status = 200, description = "The record", body = EnterpriseRecord), StaffErrors),
    security(("bearer" = []))
)]
pub async fn record(
    State(state): State<AppState>,
    Enterprise {
        merchant_id,
        actor: _,
    }: Enterprise,
) -> ApiResult<Json<EnterpriseRecord>> {
    Ok(Json(
        enterprise::record(
            &state.db,
            merchant_id,
            &state.scoring,
            fangxin_core::clock::now(),
        )
        .await?,
    ))
}
