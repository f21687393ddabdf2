//! Regulator endpoints that operate the system.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;

use super::AppState;
use super::extract::{ApiQuery, Regulator};
use super::openapi::StaffErrors;
use fangxin_core::audit;
use fangxin_core::error::AppError;

use crate::http::error::ApiResult;

/// Rebuilds the search index into a new generation in the background and swaps it in;
/// searches keep being answered meanwhile. 202 when started, 409 while one runs.
#[utoipa::path(
    post,
    path = "/api/v1/admin/reindex",
    tag = "regulator",
    summary = "Rebuild the search index in the background",
    responses((status = 202, description = "Started", body = Object), StaffErrors),
    security(("bearer" = []))
)]
pub async fn reindex(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let Some(root) = state.index.root().map(|p| p.to_path_buf()) else {
        return Err(AppError::Conflict {
            code: "index_in_memory",
            message: "this server's index lives in memory and cannot be rebuilt".into(),
        }
        .into());
    };
    if state
        .reindex_running
        .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        return Err(AppError::Conflict {
            code: "reindex_running",
            message: "a rebuild of the index is already running".into(),
        }
        .into());
    }
    let now = fangxin_core::clock::now();
    audit::record(
        &state.db,
        &actor,
        audit::Entry {
            note: None,
            action: "index.rebuild",
            entity: "index",
            entity_id: "merchants".to_string(),
            subject: None,
            before: None,
            after: None,
        },
        now,
    )
    .await?;
    let task_state = state.clone();
    tokio::spawn(async move {
        let result = fangxin_core::indexing::rebuild(
            &task_state.db,
            &root,
            Some(&task_state.index),
            fangxin_core::clock::now(),
        )
        .await;
        match result {
            Ok(n) => tracing::info!(merchants = n, "index rebuilt and swapped in"),
            Err(e) => tracing::error!(error = %e, "index rebuild failed"),
        }
        task_state.reindex_running.store(false, Ordering::SeqCst);
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(
            json!({ "status": "started", "detail": "the rebuilt index is swapped in when complete" }),
        ),
    ))
}

/// `GET /api/v1/admin/audit-log`: who did what, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/audit-log",
    tag = "regulator",
    summary = "The audit log, newest first",
    params(fangxin_core::audit::AuditFilter),
    responses((status = 200, description = "Entries", body = fangxin_core::audit::AuditPage), StaffErrors),
    security(("bearer" = []))
)]
pub async fn audit_log(
    State(state): State<AppState>,
    Regulator(_actor): Regulator,
    ApiQuery(filter): ApiQuery<fangxin_core::audit::AuditFilter>,
) -> ApiResult<Json<fangxin_core::audit::AuditPage>> {
    Ok(Json(fangxin_core::audit::list(&state.db, filter).await?))
}
