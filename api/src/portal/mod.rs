//! The portal: server-rendered pages in Simplified Chinese (askama templates in
//! `api/templates/`), readable on a phone, usable without JavaScript. Every string from a
//! record is escaped by the templates; only the search highlights (escaped by the index,
//! matches in `<em>`) and the server-drawn SVG charts are inserted as HTML.
//!
//! `public` serves everyone (search, the merchant page, the lists), `report` the complaint
//! analysis, `login` the sign-in, `enterprise` an enterprise's own pages, `console` the
//! regulator's; `forms`, `session` and `zh` are what the logged-in pages share.

mod charts;
mod console;
mod enterprise;
mod forms;
mod login;
mod public;
mod report;
pub mod session;
mod zh;

pub use report::render_report;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use fangxin_scoring::Uscc;
use serde::Deserialize;

use crate::state::AppState;
use fangxin_core::error::AppError;

/// The portal's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/assets/suggest.js", get(suggest_js))
        .route("/assets/card.js", get(card_js))
        .route("/favicon.ico", get(favicon))
        .route("/assets/favicon.svg", get(favicon))
        .route("/about/scoring", get(scoring_explained))
        .route("/nearby", get(nearby))
        .route("/trusted", get(trusted_directory))
        .route("/m/{uscc}", get(merchant))
        .route("/m/{uscc}/feed.atom", get(atom))
        .route("/m/{uscc}/card", get(card))
        .route("/penalties", get(penalties))
        .route("/warnings", get(warnings))
        .route("/spot-checks", get(spot_checks))
        .route("/stats", get(report::stats))
        .route("/login", get(login::login_form).post(login::login))
        .route("/logout", axum::routing::post(login::logout))
        .route("/me", get(enterprise::me))
        .route(
            "/me/complaints/{id}/answer",
            axum::routing::post(enterprise::answer),
        )
        .route(
            "/me/credit-repairs",
            axum::routing::post(enterprise::apply_repair),
        )
        .route(
            "/me/objections",
            axum::routing::post(enterprise::file_objection),
        )
        .route("/me/attachments/{id}", get(enterprise::my_attachment))
        .route("/admin", get(console::workbench::admin))
        .route(
            "/admin/attachments/{id}",
            get(console::workbench::attachment),
        )
        .route("/admin/reports/complaints", get(report::admin_report))
        .route(
            "/admin/trusted",
            get(console::programmes::trusted).post(console::programmes::enrol),
        )
        .route(
            "/admin/trusted/status",
            axum::routing::post(console::programmes::trusted_status),
        )
        .route(
            "/admin/listings",
            get(console::programmes::listings).post(console::programmes::list_merchant),
        )
        .route(
            "/admin/listings/removal",
            axum::routing::post(console::programmes::unlist),
        )
        .route("/admin/complaints", get(console::complaints::list))
        .route(
            "/admin/complaints/bulk",
            axum::routing::post(console::complaints::bulk),
        )
        .route("/admin/complaints/{id}", get(console::complaints::show))
        .route(
            "/admin/complaints/{id}/transition",
            axum::routing::post(console::complaints::transition),
        )
        .route(
            "/admin/complaints/{id}/assignee",
            axum::routing::post(console::complaints::assignee),
        )
        .route(
            "/admin/complaints/{id}/merchant",
            axum::routing::post(console::complaints::match_merchant),
        )
        .route("/admin/applications", get(console::workbench::applications))
        .route(
            "/admin/spot-checks",
            get(console::programmes::spot_checks).post(console::programmes::draw),
        )
        .route("/admin/spot-checks/{id}", get(console::programmes::plan))
        .route(
            "/admin/spot-checks/{plan}/checks/{id}",
            axum::routing::post(console::programmes::record_result),
        )
        .route("/admin/audit", get(console::programmes::audit))
        .route("/admin/claimants", get(console::claimants::claimant_queue))
        .route(
            "/admin/claimants/{key}",
            get(console::claimants::claim_file),
        )
        .route(
            "/admin/claimants/{key}/review",
            axum::routing::post(console::claimants::review),
        )
        .route(
            "/admin/credit-repairs/{id}",
            axum::routing::post(console::workbench::decide_repair),
        )
        .route(
            "/admin/objections/{id}",
            axum::routing::post(console::workbench::decide_objection),
        )
        .route(
            "/admin/penalties",
            get(console::workbench::penalties).post(console::workbench::publish_penalty),
        )
        .route(
            "/admin/warnings",
            get(console::workbench::warnings).post(console::workbench::publish_warning),
        )
        // Import files have their own limit ([imports] max_file_bytes), counted as they come.
        .route(
            "/admin/imports",
            get(console::workbench::imports)
                .post(console::workbench::upload_import)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/admin/imports/template/{kind}",
            axum::routing::get(console::workbench::import_template),
        )
}

/// The search box's suggestions, as a file of its own so that the Content-Security-Policy
/// can forbid inline scripts.
async fn suggest_js() -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/suggest.js"),
    )
        .into_response()
}

async fn card_js() -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/card.js"),
    )
        .into_response()
}

/// `/m/{uscc}/card`: the merchant's card to print and put on the door, with a QR code to
/// its page.
async fn card(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    axum::extract::Path(uscc): axum::extract::Path<String>,
) -> Page {
    let now = fangxin_core::clock::now();
    let base = match state.settings.server.public_url.trim_end_matches('/') {
        "" => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .filter(|h| {
                    h.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')
                    })
                })
                .unwrap_or("127.0.0.1");
            let scheme = if state.settings.server.secure_cookies {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{host}")
        }
        configured => configured.to_owned(),
    };
    page(
        async {
            let uscc = Uscc::parse(&uscc).map_err(AppError::from)?;
            public::card(&state, &uscc, &base, now).await
        }
        .await,
    )
}

/// The portal's icon (a shield with a tick), for tabs and bookmarks; browsers that ask for
/// `/favicon.ico` get the same SVG.
async fn favicon() -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "image/svg+xml"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../../assets/favicon.svg"),
    )
        .into_response()
}

/// A portal page or a friendly Chinese error page with the right status.
pub struct Page(Result<String, PageError>);

pub struct PageError {
    status: StatusCode,
    title: &'static str,
    message: String,
    /// Seconds after which trying again may succeed (`Retry-After`).
    retry_after: Option<u64>,
}

impl From<AppError> for PageError {
    /// Every variant has its own page and status, as the API gives it its own problem: a
    /// refusal is never dressed as a server error.
    fn from(e: AppError) -> Self {
        let page = |status, title, message: String| PageError {
            status,
            title,
            message,
            retry_after: None,
        };
        let server_error = |e: &AppError| {
            tracing::error!(error = %e, "portal page failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "服务暂时出错",
                "页面暂时无法显示，已记录，请稍后再试。".into(),
            )
        };
        match &e {
            AppError::MerchantNotFound(_) | AppError::NotFound { .. } => page(
                StatusCode::NOT_FOUND,
                "没有找到",
                "没有找到这个商户或页面。请检查统一社会信用代码，或回到首页按店名查询。".into(),
            ),
            AppError::InvalidUscc(_) => page(
                StatusCode::BAD_REQUEST,
                "信用代码有误",
                "这不是有效的统一社会信用代码（18位，含校验位）。请核对后再查。".into(),
            ),
            AppError::InvalidInput { .. } => {
                page(StatusCode::BAD_REQUEST, "输入有误", zh::message(&e))
            }
            AppError::Unauthenticated { .. } => page(
                StatusCode::UNAUTHORIZED,
                "请先登录",
                "登录已过期或尚未登录，请重新登录后再试。".into(),
            ),
            AppError::Forbidden { .. } => page(
                StatusCode::FORBIDDEN,
                "没有权限",
                "当前账号没有权限查看这个页面或进行这项操作。".into(),
            ),
            AppError::Conflict { .. } => page(StatusCode::CONFLICT, "无法完成", zh::message(&e)),
            AppError::TooManyRequests {
                retry_after_secs, ..
            } => PageError {
                retry_after: Some(*retry_after_secs),
                ..page(
                    StatusCode::TOO_MANY_REQUESTS,
                    "请求过于频繁",
                    "请稍等一分钟再试。".into(),
                )
            },
            AppError::Unavailable {
                retry_after_secs, ..
            } => PageError {
                retry_after: Some(*retry_after_secs),
                ..page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "服务暂时繁忙",
                    "数据库暂时无法访问，请几秒钟后刷新页面。按店名查询仍可使用。".into(),
                )
            },
            AppError::TooLarge { .. } => page(
                StatusCode::PAYLOAD_TOO_LARGE,
                "文件过大",
                "提交的内容超过了允许的大小，请拆分后再提交。".into(),
            ),
            AppError::UnsupportedMediaType { .. } => page(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "格式不支持",
                "请提交 CSV（UTF-8）或 NDJSON 文件。".into(),
            ),
            AppError::Rejected { .. } => page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "未能接受",
                zh::message(&e),
            ),
            AppError::Database(_) | AppError::Index(_) | AppError::Internal(_) => server_error(&e),
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(anyhow::anyhow!("template: {e}")).into()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    as_of: String,
}

/// A time as people in the district read it (Beijing time).
fn stamp(now: DateTime<Utc>) -> String {
    now.with_timezone(&fangxin_core::clock::offset())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        match self.0 {
            Ok(html) => Html(html).into_response(),
            Err(e) => {
                let mut response = error_page(e.status, e.title, &e.message);
                if let Some(secs) = e.retry_after {
                    response
                        .headers_mut()
                        .insert(axum::http::header::RETRY_AFTER, secs.into());
                }
                response
            }
        }
    }
}

/// A friendly Chinese error page.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = ErrorPage {
        title,
        message,
        as_of: stamp(fangxin_core::clock::now()),
    }
    .render()
    .unwrap_or_else(|_| {
        format!("<!doctype html><html lang=\"zh-CN\"><title>{status}</title><p>{status}</p></html>")
    });
    (status, Html(body)).into_response()
}

fn page(result: Result<String, PageError>) -> Page {
    Page(result)
}

/// The search form's fields as the browser sends them (empty selects are empty strings).
#[derive(Debug, Default, Deserialize)]
pub struct HomeQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    street: String,
    #[serde(default)]
    industry: String,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    trusted: String,
    /// Empty for relevance, `score` for the highest scores first.
    #[serde(default)]
    sort: String,
    page: Option<usize>,
}

/// The 附近 page's query: a position (sent by the page's script when the visitor allows
/// it), a radius and optional words.
#[derive(Debug, Default, Deserialize)]
pub struct NearbyQuery {
    lat: Option<f64>,
    lng: Option<f64>,
    radius_m: Option<i64>,
    #[serde(default)]
    q: String,
    page: Option<usize>,
}

async fn nearby(
    State(state): State<AppState>,
    query: Result<Query<NearbyQuery>, axum::extract::rejection::QueryRejection>,
) -> Page {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    page(public::nearby(&state, q, fangxin_core::clock::now()).await)
}

/// The directory's query: a street and an industry, both optional.
#[derive(Debug, Default, Deserialize)]
pub struct TrustedQuery {
    #[serde(default)]
    street: String,
    #[serde(default)]
    industry: String,
    page: Option<usize>,
}

async fn trusted_directory(
    State(state): State<AppState>,
    query: Result<Query<TrustedQuery>, axum::extract::rejection::QueryRejection>,
) -> Page {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    page(public::trusted_directory(&state, q, fangxin_core::clock::now()).await)
}

async fn scoring_explained(State(state): State<AppState>) -> Page {
    page(public::scoring_explained(&state, fangxin_core::clock::now()).await)
}

async fn home(
    State(state): State<AppState>,
    query: Result<Query<HomeQuery>, axum::extract::rejection::QueryRejection>,
) -> Page {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    page(public::home(&state, q, fangxin_core::clock::now()).await)
}

async fn merchant(
    State(state): State<AppState>,
    axum::extract::Path(uscc): axum::extract::Path<String>,
) -> Page {
    let now = fangxin_core::clock::now();
    page(
        async {
            let uscc = Uscc::parse(&uscc).map_err(AppError::from)?;
            public::merchant(&state, &uscc, now).await
        }
        .await,
    )
}

async fn atom(
    State(state): State<AppState>,
    axum::extract::Path(uscc): axum::extract::Path<String>,
) -> Response {
    let result = async {
        let uscc = Uscc::parse(&uscc).map_err(AppError::from)?;
        public::atom(&state, &uscc, fangxin_core::clock::now()).await
    }
    .await;
    match result {
        Ok(xml) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/atom+xml; charset=utf-8"),
            )],
            xml,
        )
            .into_response(),
        Err(e) => {
            let e = PageError::from(e);
            error_page(e.status, e.title, &e.message)
        }
    }
}

/// The page of a list (an unreadable one is the first).
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    page: Option<u64>,
    /// The next or previous page by key, as the pager's links give it.
    after: Option<String>,
    before: Option<String>,
    /// Spot checks: `qualified` or `unqualified`.
    outcome: Option<String>,
    /// Penalties: a category's code or Chinese name (`fine`, `罚款`); warnings: a category.
    category: Option<String>,
}

async fn penalties(
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Page {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    page(
        public::penalties(
            &state,
            public::ListAt {
                page: q.page,
                after: q.after,
                before: q.before,
            },
            q.category.as_deref(),
            fangxin_core::clock::now(),
        )
        .await,
    )
}

async fn warnings(
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Page {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    page(
        public::warnings(
            &state,
            public::ListAt {
                page: q.page,
                after: q.after,
                before: q.before,
            },
            q.category.as_deref(),
            fangxin_core::clock::now(),
        )
        .await,
    )
}

async fn spot_checks(
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Page {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    page(
        public::spot_checks(
            &state,
            public::ListAt {
                page: q.page,
                after: q.after,
                before: q.before,
            },
            q.outcome.as_deref(),
            fangxin_core::clock::now(),
        )
        .await,
    )
}
