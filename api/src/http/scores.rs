//! `/api/v1/merchants/{uscc}/score` and `/score-history`.

use axum::Json;
use axum::extract::State;
use fangxin_scoring::Uscc;
use serde::Serialize;

use super::AppState;
use super::extract::ApiPath;
use crate::error::AppResult;
use crate::scores::{self, ScoreHistoryEntry, ScoreView};

pub async fn score(
    State(state): State<AppState>,
    ApiPath(uscc): ApiPath<String>,
) -> AppResult<Json<ScoreView>> {
    let uscc = Uscc::parse(&uscc)?;
    Ok(Json(scores::explain(&state.db, &uscc).await?))
}

#[derive(Debug, Serialize)]
pub struct ScoreHistory {
    pub uscc: String,
    pub history: Vec<ScoreHistoryEntry>,
}

pub async fn history(
    State(state): State<AppState>,
    ApiPath(uscc): ApiPath<String>,
) -> AppResult<Json<ScoreHistory>> {
    let uscc = Uscc::parse(&uscc)?;
    let history = scores::history(&state.db, &uscc, 500).await?;
    Ok(Json(ScoreHistory {
        uscc: uscc.to_string(),
        history,
    }))
}
