//! Liveness, readiness and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fangxin_core::redis_link::Health;
use serde_json::json;
use std::time::Duration;

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

/// The process can serve: the database and the index answer, each within a second, and the
/// read-only copy (`[database] read_url`), when there is one, lags the primary by no more
/// than `max_replica_lag_ms`. Redis is reported but never makes the process unready:
/// without it, limits and wake-ups stay in process (`"redis": "degraded"`).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    summary = "Readiness: database and index answer (Redis is reported, degraded or not)",
    responses((status = 200, description = "Ready", body = Object), (status = 503, description = "Not ready", body = super::error::Problem, content_type = "application/problem+json"))
)]
pub async fn readyz(State(state): State<AppState>) -> Response {
    // The three are asked at once, each for at most half a second: readiness answers within a
    // second whatever is down.
    const WITHIN: Duration = Duration::from_millis(500);
    let index = state.index.current();
    let (database, docs, redis, lag) = tokio::join!(
        async {
            matches!(
                tokio::time::timeout(WITHIN, state.db.ping()).await,
                Ok(Ok(()))
            )
        },
        async {
            tokio::time::timeout(
                WITHIN,
                tokio::task::spawn_blocking(move || index.num_docs()),
            )
            .await
            .ok()
            .and_then(Result::ok)
        },
        async {
            match &state.redis {
                None => "not_configured",
                Some(link) => match link.health().await {
                    Health::Up => "ok",
                    Health::Degraded => "degraded",
                },
            }
        },
        async {
            if state.settings.database.read_url.is_empty() {
                return None;
            }
            Some(
                tokio::time::timeout(WITHIN, fangxin_core::store::replica_lag_ms(&state.reads))
                    .await
                    .ok()
                    .and_then(Result::ok),
            )
        },
    );
    let max_lag = state.settings.database.max_replica_lag_ms;
    // `None`: no read-only copy; `Some(None)`: it does not answer.
    let replica = lag.map(|l| match l {
        Some(ms) if ms <= max_lag => json!({ "status": "ok", "lag_ms": ms }),
        Some(ms) => json!({ "status": "lagging", "lag_ms": ms, "max_lag_ms": max_lag }),
        None => json!({ "status": "unavailable" }),
    });
    let mut failing = Vec::new();
    if !database {
        failing.push("database");
    }
    if docs.is_none() {
        failing.push("index");
    }
    if state.draining.load(std::sync::atomic::Ordering::SeqCst) {
        failing.push("the server (draining before it stops)");
    }
    if let Some(r) = &replica
        && r["status"] != "ok"
    {
        failing.push("read replica");
    }
    if failing.is_empty() {
        let mut body = json!({
            "status": "ready",
            "database": "ok",
            "index": { "status": "ok", "documents": docs.unwrap_or(0) },
            "redis": redis,
        });
        if let Some(r) = replica {
            body["read_replica"] = r;
        }
        Json(body).into_response()
    } else {
        let mut problem = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!("not ready: {} unavailable", failing.join(", ")),
        )
        .into_response();
        problem.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("5"),
        );
        problem
    }
}

/// Prometheus text format, for loopback clients or with `[server] metrics_token`.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    summary = "Prometheus metrics (loopback clients, or the bearer token of [server] metrics_token)",
    responses(
        (status = 200, description = "Metrics in the Prometheus text format", body = String, content_type = "text/plain"),
        (status = 401, description = "A token is configured and this is not it", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "No token is configured and the client is not on this machine", body = super::error::Problem, content_type = "application/problem+json")
    )
)]
pub async fn metrics(
    State(state): State<AppState>,
    super::auth::ClientAddr(peer): super::auth::ClientAddr,
    headers: axum::http::HeaderMap,
) -> Response {
    let token = &state.settings.server.metrics_token;
    if token.is_empty() {
        if !peer.is_some_and(|p| p.ip().is_loopback()) {
            return crate::http::error::ApiError(fangxin_core::error::AppError::Forbidden {
                code: "metrics_forbidden",
                message: "metrics are served to this machine only, or with the configured token"
                    .into(),
            })
            .into_response();
        }
    } else {
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let expected = token.expose().trim().as_bytes();
        let matches = given.len() == expected.len()
            && given
                .as_bytes()
                .iter()
                .zip(expected)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !matches {
            return crate::http::error::ApiError(fangxin_core::error::AppError::Unauthenticated {
                code: "unauthenticated",
                message: "send the metrics token as a bearer token".into(),
            })
            .into_response();
        }
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
