//! `GET /api/v1/me/record`: an enterprise's own full record.

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use fangxin_scoring::domain::Role;

use super::AppState;
use crate::accounts::Session;
use crate::enterprise::{self, EnterpriseRecord};
use crate::error::{AppError, AppResult};

pub async fn record(
    State(state): State<AppState>,
    session: Session,
) -> AppResult<Json<EnterpriseRecord>> {
    session.require(&[Role::Enterprise])?;
    let merchant_id = session.merchant_id.ok_or(AppError::Forbidden {
        code: "forbidden",
        message: "this enterprise account is not bound to a merchant".into(),
    })?;
    Ok(Json(
        enterprise::record(&state.db, merchant_id, &state.scoring, Utc::now()).await?,
    ))
}
