//! Liveness, readiness and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::error::Problem;

/// The process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    summary = "Liveness",
    responses((status = 200, description = "The process is up", body = Object))
)]
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// The process can serve: database, index and (when configured) Redis answer.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    summary = "Readiness: database, index and Redis answer",
    responses((status = 200, description = "Ready", body = Object), (status = 503, description = "Not ready", body = super::error::Problem, content_type = "application/problem+json"))
)]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let mut failing = Vec::new();
    let database = state.db.ping().await.is_ok();
    if !database {
        failing.push("database");
    }
    let index = state.index.current();
    let docs = tokio::task::spawn_blocking(move || index.num_docs())
        .await
        .ok();
    if docs.is_none() {
        failing.push("index");
    }
    let redis = match &state.redis {
        None => None,
        Some(conn) => {
            let mut conn = conn.clone();
            let pong: redis::RedisResult<String> = redis::cmd("PING").query_async(&mut conn).await;
            Some(pong.is_ok())
        }
    };
    if redis == Some(false) {
        failing.push("redis");
    }
    if failing.is_empty() {
        Json(json!({
            "status": "ready",
            "database": "ok",
            "index": { "status": "ok", "documents": docs.unwrap_or(0) },
            "redis": match redis { None => "not_configured", Some(_) => "ok" },
        }))
        .into_response()
    } else {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!("not ready: {} unavailable", failing.join(", ")),
        )
        .into_response()
    }
}

/// Prometheus text format.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    summary = "Prometheus metrics",
    responses((status = 200, description = "Metrics in the Prometheus text format", body = String, content_type = "text/plain"))
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
