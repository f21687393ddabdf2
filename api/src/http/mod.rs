//! HTTP wiring: the router, its layers and shared state. Capabilities live in their own
//! modules; this one only connects them to routes.

mod accounts;
mod admin;
pub mod auth;
mod claimants;
mod complaints;
pub mod error;
pub mod export;
mod extract;
mod health;
mod imports;
mod listings;
mod me;
pub(crate) mod merchants;
mod objections;
pub mod openapi;
mod penalties;
mod repairs;
mod reports;
mod scores;
mod spotchecks;
mod trusted;
mod warnings;

pub use merchants::{SearchHit, SearchParams, SearchResponse, SuggestResponse, run_search};

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use error::Problem;
use fangxin_core::feed::FeedNotifier;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub index: Arc<fangxin_core::feed::SharedIndex>,
    pub settings: Arc<Settings>,
    pub notifier: FeedNotifier,
    pub redis: Option<redis::aio::ConnectionManager>,
    pub scoring: Arc<fangxin_core::scores::Scoring>,
    pub metrics: PrometheusHandle,
    /// Login attempts per address and per username.
    pub login_limiter: Arc<fangxin_core::accounts::RateLimiter>,
    /// Public endpoints, per client address.
    pub public_limiter: Arc<fangxin_core::accounts::RateLimiter>,
    /// Set while an index rebuild runs.
    pub reindex_running: Arc<std::sync::atomic::AtomicBool>,
    /// The public statistics page, computed at most once per few minutes: the lock makes
    /// concurrent visitors wait for one computation instead of each running it.
    pub stats_page: Arc<tokio::sync::Mutex<Option<(std::time::Instant, String)>>>,
}

/// The whole HTTP surface. Every route comes from its handler's `#[utoipa::path]`, so the
/// OpenAPI document lists exactly what is served.
pub fn router(state: AppState) -> Router {
    let (router, api) = api_routes(state.settings.server.max_body_bytes).split_for_parts();
    router
        // The document at /api-docs/openapi.json and the (vendored) Swagger UI at /docs.
        .merge(SwaggerUi::new("/docs").url("/api-docs/openapi.json", api))
        .merge(crate::portal::routes())
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

/// The routes with their documentation.
pub fn api_routes(max_body: usize) -> OpenApiRouter<AppState> {
    // The import route streams its body to disk under its own limit ([imports]
    // max_file_bytes); every other body is refused above `max_body` with a 413 problem.
    let (schemas, paths, upload) = routes!(imports::upload);
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
        .routes(routes!(merchants::search))
        .routes(routes!(merchants::suggest))
        .routes(routes!(merchants::profile))
        .routes(routes!(scores::score))
        .routes(routes!(scores::history))
        .routes(routes!(complaints::stats))
        .routes(routes!(penalties::list))
        .routes(routes!(penalties::public_detail))
        .routes(routes!(warnings::list))
        .routes(routes!(spotchecks::list))
        .routes(routes!(spotchecks::plan))
        .routes(routes!(spotchecks::frame))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(me::record))
        .routes(routes!(complaints::my_complaints))
        .routes(routes!(complaints::answer))
        .routes(routes!(repairs::apply))
        .routes(routes!(objections::file))
        .routes(routes!(merchants::create))
        .routes(routes!(merchants::update))
        .routes(routes!(merchants::change_status))
        .routes(routes!(penalties::publish))
        .routes(routes!(penalties::detail))
        .routes(routes!(penalties::correct))
        .routes(routes!(penalties::revoke))
        .routes(routes!(complaints::intake, complaints::list))
        .routes(routes!(complaints::get))
        .routes(routes!(complaints::transition))
        .routes(routes!(complaints::assign_merchant))
        .routes(routes!(warnings::publish))
        .routes(routes!(listings::create))
        .routes(routes!(listings::remove))
        .routes(routes!(trusted::enrol))
        .routes(routes!(trusted::change))
        .routes(routes!(objections::decide))
        .routes(routes!(repairs::decide))
        .routes(routes!(spotchecks::add_inspector, spotchecks::inspectors))
        .routes(routes!(spotchecks::draw))
        .routes(routes!(spotchecks::record_result))
        .routes(routes!(admin::reindex))
        .routes(routes!(admin::audit_log))
        .routes(routes!(claimants::queue))
        .routes(routes!(claimants::file))
        .routes(routes!(claimants::review))
        .routes(routes!(reports::complaints))
        .routes(routes!(accounts::create, accounts::list))
        .routes(routes!(accounts::change))
        .layer(DefaultBodyLimit::max(max_body))
        .routes((schemas, paths, upload.layer(DefaultBodyLimit::disable())))
}

/// An unknown path: a problem document under `/api/`, a Chinese page elsewhere.
async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        Problem::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint").into_response()
    } else {
        crate::portal::error_page(
            StatusCode::NOT_FOUND,
            "没有找到",
            "没有这个页面。可以回到首页按店名、拼音或信用代码查询商户。",
        )
    }
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
                return crate::http::error::ApiError(
                    fangxin_core::error::AppError::TooManyRequests {
                        code: "rate_limited",
                        message: format!(
                            "too many requests from this address: at most {} a minute",
                            state.settings.limits.public_per_minute
                        ),
                        retry_after_secs,
                    },
                )
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
