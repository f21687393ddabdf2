//! HTTP wiring: the router, its layers and shared state. Capabilities live in their own
//! modules; this one only connects them to routes.

mod accounts;
mod admin;
pub mod auth;
mod complaints;
pub mod error;
mod export;
mod extract;
mod health;
mod imports;
mod listings;
mod me;
mod merchants;
mod objections;
mod penalties;
mod repairs;
mod scores;
mod spotchecks;
mod trusted;
mod warnings;

pub use merchants::{SearchHit, SearchResponse, SuggestResponse};

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::config::Settings;
use crate::feed::FeedNotifier;
use error::Problem;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub index: Arc<crate::feed::SharedIndex>,
    pub settings: Arc<Settings>,
    pub notifier: FeedNotifier,
    pub redis: Option<redis::aio::ConnectionManager>,
    pub scoring: Arc<crate::scores::Scoring>,
    pub metrics: PrometheusHandle,
    /// Login attempts per address and per username.
    pub login_limiter: Arc<crate::accounts::RateLimiter>,
    /// Public endpoints, per client address.
    pub public_limiter: Arc<crate::accounts::RateLimiter>,
    /// Set while an index rebuild runs.
    pub reindex_running: Arc<std::sync::atomic::AtomicBool>,
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let max_body = state.settings.server.max_body_bytes;
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/api/v1/merchants/search", get(merchants::search))
        .route("/api/v1/merchants/suggest", get(merchants::suggest))
        .route("/api/v1/merchants/{uscc}", get(merchants::profile))
        .route("/api/v1/merchants/{uscc}/score", get(scores::score))
        .route(
            "/api/v1/merchants/{uscc}/score-history",
            get(scores::history),
        )
        .route("/api/v1/admin/merchants", post(merchants::create))
        .route("/api/v1/admin/merchants/{uscc}", put(merchants::update))
        .route(
            "/api/v1/admin/merchants/{uscc}/status",
            post(merchants::change_status),
        )
        .route(
            "/api/v1/admin/accounts",
            post(accounts::create).get(accounts::list),
        )
        .route("/api/v1/admin/accounts/{id}", patch(accounts::change))
        .route(
            "/api/v1/admin/inspectors",
            post(spotchecks::add_inspector).get(spotchecks::inspectors),
        )
        .route("/api/v1/admin/spot-check-plans", post(spotchecks::draw))
        .route("/api/v1/spot-check-plans/{id}", get(spotchecks::plan))
        .route(
            "/api/v1/spot-check-plans/{id}/frame",
            get(spotchecks::frame),
        )
        .route(
            "/api/v1/admin/spot-checks/{id}/result",
            post(spotchecks::record_result),
        )
        .route("/api/v1/spot-checks", get(spotchecks::list))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/admin/reindex", post(admin::reindex))
        .route("/api/v1/admin/audit-log", get(admin::audit_log))
        .route("/api/v1/admin/penalties", post(penalties::publish))
        .route("/api/v1/penalties", get(penalties::list))
        .route("/api/v1/penalties/{id}", get(penalties::public_detail))
        .route("/api/v1/admin/penalties/{id}", get(penalties::detail))
        .route(
            "/api/v1/admin/penalties/{id}/correction",
            post(penalties::correct),
        )
        .route(
            "/api/v1/admin/penalties/{id}/revocation",
            post(penalties::revoke),
        )
        .route("/api/v1/admin/warnings", post(warnings::publish))
        .route("/api/v1/admin/listings", post(listings::create))
        .route("/api/v1/admin/trusted", post(trusted::enrol))
        .route("/api/v1/admin/trusted/{id}", post(trusted::change))
        .route(
            "/api/v1/admin/listings/{id}/removal",
            post(listings::remove),
        )
        .route("/api/v1/warnings", get(warnings::list))
        .route(
            "/api/v1/admin/complaints",
            post(complaints::intake).get(complaints::list),
        )
        .route("/api/v1/admin/complaints/{id}", get(complaints::get))
        .route(
            "/api/v1/admin/complaints/{id}/transition",
            post(complaints::transition),
        )
        .route("/api/v1/me/record", get(me::record))
        .route("/api/v1/me/credit-repairs", post(repairs::apply))
        .route("/api/v1/me/objections", post(objections::file))
        .route("/api/v1/admin/objections/{id}", post(objections::decide))
        .route("/api/v1/admin/credit-repairs/{id}", post(repairs::decide))
        .route("/api/v1/me/complaints", get(complaints::my_complaints))
        .route(
            "/api/v1/me/complaints/{id}/answer",
            post(complaints::answer),
        )
        .route(
            "/api/v1/merchants/{uscc}/complaint-stats",
            get(complaints::stats),
        )
        // JSON bodies above the limit are refused with a 413 problem (`body_too_large`).
        .layer(DefaultBodyLimit::max(max_body))
        // Import files stream to disk under their own limit ([imports] max_file_bytes).
        .route(
            "/api/v1/admin/imports/{kind}",
            post(imports::upload).layer(DefaultBodyLimit::disable()),
        )
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), limit_public))
        .with_state(state)
        .layer(middleware::from_fn(record_metrics))
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let request_id = req
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!(
                "request",
                method = %req.method(),
                path = %req.uri().path(),
                request_id = %request_id,
            )
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

async fn not_found() -> Response {
    Problem::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint").into_response()
}

/// Limits requests without a bearer token per client address (`[limits]
/// public_per_minute`); health checks, metrics and logins are not limited by it.
async fn limit_public(
    axum::extract::State(state): axum::extract::State<AppState>,
    auth::ClientAddr(addr): auth::ClientAddr,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    // Logins have their own limits, per address and per username.
    let exempt_path =
        matches!(path, "/healthz" | "/readyz" | "/metrics") || path.starts_with("/api/v1/auth/");
    let signed_in = req
        .headers()
        .contains_key(axum::http::header::AUTHORIZATION);
    if !exempt_path && !signed_in {
        let ip = addr.map(|a| a.ip());
        let exempt_addr = ip.is_some_and(|ip| state.settings.limits.exempt.contains(&ip));
        if !exempt_addr {
            let key = ip.map(|ip| ip.to_string()).unwrap_or_default();
            if let Err(retry_after_secs) = state.public_limiter.check(&key).await {
                return crate::error::AppError::TooManyRequests {
                    code: "rate_limited",
                    message: format!(
                        "too many requests from this address: at most {} a minute",
                        state.settings.limits.public_per_minute
                    ),
                    retry_after_secs,
                }
                .into_response();
            }
        }
    }
    next.run(req).await
}

/// Counts requests by route and status and times them.
async fn record_metrics(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
