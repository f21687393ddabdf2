//! The server's whole surface: the API (with its OpenAPI document and Swagger UI) and the
//! portal, under the layers every request passes — request ids, tracing, metrics,
//! compression and the public rate limit.

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

use crate::http::error::{ApiError, Problem};
use crate::request::ClientAddr;
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole HTTP surface. Every route comes from its handler's `#[utoipa::path]`, so the
/// OpenAPI document lists exactly what is served.
pub fn router(state: AppState) -> Router {
    let (router, api) =
        crate::http::api_routes(state.settings.server.max_body_bytes).split_for_parts();
    router
        // The document at /api-docs/openapi.json and the (vendored) Swagger UI at /docs.
        .merge(SwaggerUi::new("/docs").url("/api-docs/openapi.json", api))
        .merge(crate::portal::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.settings.server.max_body_bytes,
            crate::edge::refuse_nul,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), limit_public))
        .with_state(state)
        .layer(middleware::from_fn(record_metrics))
        .layer(middleware::from_fn(crate::edge::security_headers))
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

/// Limits requests per client address (`[limits] public_per_minute`) unless they carry a
/// valid bearer token; health checks, metrics and logins are not limited by it. A token
/// that does not verify lifts nothing. A limited portal page is a Chinese page, an API
/// call a problem document, both with `Retry-After`.
async fn limit_public(
    axum::extract::State(state): axum::extract::State<AppState>,
    ClientAddr(addr): ClientAddr,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    // Logins have their own limits, per address and per username.
    let exempt_path =
        matches!(path, "/healthz" | "/readyz" | "/metrics") || path.starts_with("/api/v1/auth/");
    let ip = addr.map(|a| a.ip());
    let exempt_addr = ip.is_some_and(|ip| state.settings.limits.exempt.contains(&ip));
    let token = crate::http::auth::bearer_token(req.headers()).map(str::to_owned);
    if exempt_path || exempt_addr || signed_in(&state, token.as_deref()).await {
        return next.run(req).await;
    }
    let key = ip.map(|ip| ip.to_string()).unwrap_or_default();
    let Err(retry_after_secs) = state.public_limiter.check(&key).await else {
        return next.run(req).await;
    };
    if path.starts_with("/api/") {
        return ApiError(fangxin_core::error::AppError::TooManyRequests {
            code: "rate_limited",
            message: format!(
                "too many requests from this address: at most {} a minute",
                state.settings.limits.public_per_minute
            ),
            retry_after_secs,
        })
        .into_response();
    }
    let mut page = crate::portal::error_page(
        StatusCode::TOO_MANY_REQUESTS,
        "请求过于频繁",
        &format!("这个地址的访问过于频繁，请 {retry_after_secs} 秒后再试。"),
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(&retry_after_secs.to_string()) {
        page.headers_mut()
            .insert(axum::http::header::RETRY_AFTER, v);
    }
    page
}

/// Whether the request carries a bearer token that verifies (a live session).
async fn signed_in(state: &AppState, token: Option<&str>) -> bool {
    match token {
        Some(token) => {
            fangxin_core::accounts::authenticate(&state.db, token, fangxin_core::clock::now())
                .await
                .is_ok()
        }
        None => false,
    }
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
