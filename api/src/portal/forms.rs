//! What every logged-in page and form shares: rendering with the CSRF cookie, redirects
//! after a post, and the Chinese page for a refused form or a failed service call.

use askama::Template;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{Html, IntoResponse, Response};
use fangxin_core::error::AppError;
use serde::Deserialize;

use super::session::Csrf;
use super::{PageError, error_page};

pub(super) fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

pub(super) fn render<T: Template>(page: T, csrf: &Csrf) -> Response {
    match page.render() {
        Ok(html) => csrf.attach(Html(html).into_response()),
        Err(e) => {
            let e = PageError::from(e);
            error_page(e.status, e.title, &e.message)
        }
    }
}

pub(super) fn refused() -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        "无法提交",
        "表单已过期或来源不明。请回到页面重新填写后提交。",
    )
}

pub(super) fn app_error(e: AppError) -> Response {
    let e = PageError::from(e);
    error_page(e.status, e.title, &e.message)
}

/// `?done=…` after a form went through.
#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    pub done: Option<String>,
}

/// The line a page shows after a form went through (post, redirect, get).
pub(super) fn notice(done: Option<&str>) -> Option<String> {
    match done? {
        "answered" => Some("回复已提交，将与投诉统计一起公示。".into()),
        "published" => Some("行政处罚已发布，商户页面和信用分已更新。".into()),
        "warning" => Some("消费警示已发布。".into()),
        "repair" => Some("信用修复申请已提交，等待审核。".into()),
        "decided" => Some("已作出决定，商户和申请人可以看到结果。".into()),
        "objection" => Some("异议已提交，等待审核。".into()),
        "enrolled" => Some("已登记为放心消费单位，商户页面将显示承诺。".into()),
        "trusted" => Some("放心消费单位状态已变更，信用分已重新计算。".into()),
        "listed" => Some("已列入名录，信用分已重新计算。".into()),
        "unlisted" => Some("已移出名录，信用分已重新计算。".into()),
        "matched" => Some("投诉已匹配到商户，该商户的信用分已重新计算。".into()),
        "moved" => Some("已办理，状态已更新。".into()),
        "assigned" => Some("承办人已保存。".into()),
        _ => None,
    }
}
