//! `/api/v1/merchants/{uscc}/score` and `/score-history`.

use axum::Json;
use axum::extract::State;
use fangxin_scoring::Uscc;
use serde::Serialize;

use super::AppState;
use super::extract::ApiPath;
use super::openapi::PublicErrors;
use crate::http::error::ApiResult;
use fangxin_core::scores::{self, ScoreHistoryEntry, ScoreView};

#[utoipa::path(
    get,
    path = "/api/v1/merchants/{uscc}/score",
    tag = "public",
    summary = "A merchant's trust score, every factor explained",
    params(("uscc" = String, Path, description = "Unified social credit code: 18 characters of 0-9 and A-Y without I, O, S, V, Z; the last is a check character the pattern cannot express", pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$", min_length = 18, max_length = 18)),
    responses((status = 200, description = "The score", body = ScoreView), PublicErrors)
)]
pub async fn score(
    State(state): State<AppState>,
    ApiPath(uscc): ApiPath<String>,
) -> ApiResult<Json<ScoreView>> {
    let uscc = Uscc::parse(&uscc)?;
    Ok(Json(scores::explain(&state.reads, &uscc).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScoreHistory {
    pub uscc: String,
    pub history: Vec<ScoreHistoryEntry>,
}

#[utoipa::path(
    get,
    path = "/api/v1/merchants/{uscc}/score-history",
    tag = "public",
    summary = "A merchant's score over time",
    params(("uscc" = String, Path, description = "Unified social credit code: 18 characters of 0-9 and A-Y without I, O, S, V, Z; the last is a check character the pattern cannot express", pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$", min_length = 18, max_length = 18)),
    responses((status = 200, description = "Changes, oldest first", body = ScoreHistory), PublicErrors)
)]
pub async fn history(
    State(state): State<AppState>,
    ApiPath(uscc): ApiPath<String>,
) -> ApiResult<Json<ScoreHistory>> {
    let uscc = Uscc::parse(&uscc)?;
    let history = scores::history(&state.reads, &uscc, 500).await?;
    Ok(Json(ScoreHistory {
        uscc: uscc.to_string(),
        history,
    }))
}
