//! Logging in and out of the pages. The bearer token of `POST /api/v1/auth/login` is kept
//! in an HttpOnly cookie; after login a person lands on the page they asked for, if it is
//! one of ours.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::Response;
use fangxin_scoring::domain::Role;
use serde::Deserialize;

use super::session::{Csrf, login_cookie, logout_cookie};
use super::stamp;
use crate::request::ClientAddr;
use crate::state::AppState;
use fangxin_core::error::AppError;

use super::forms::{app_error, redirect, refused, render};

/// Only a path of this site may be the page after login. Browsers drop tabs and line breaks
/// from a URL and read `\\` as `/`, so `/\t/host` would become `//host`, another site: a
/// `next` is taken only when it is printable ASCII without a backslash, starts with one `/`, and
/// resolves against this site to this site.
fn local(next: &str) -> Option<&str> {
    let printable = next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    let one_slash = next.starts_with('/') && !next.starts_with("//");
    if !printable || !one_slash {
        return None;
    }
    let base = url::Url::parse("http://fangxin.invalid/").ok()?;
    let joined = base.join(next).ok()?;
    (joined.origin() == base.origin()).then_some(next)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
    as_of: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    // Someone already logged in (the menu's 我的 leads here) goes on to their own page.
    if let Some(token) = super::session::cookie(&headers, super::session::SESSION_COOKIE)
        && let Ok(session) =
            fangxin_core::accounts::authenticate(&state.db, &token, fangxin_core::clock::now())
                .await
    {
        let to = local(&q.next)
            .map(str::to_owned)
            .unwrap_or_else(|| home_of(session.role).to_owned());
        return redirect(&to);
    }
    let csrf = Csrf::of(&headers, state.settings.server.secure_cookies);
    render(
        LoginPage {
            csrf: csrf.token.clone(),
            next: local(&q.next).unwrap_or("").to_owned(),
            username: String::new(),
            error: None,
            as_of: stamp(fangxin_core::clock::now()),
        },
        &csrf,
    )
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    csrf: String,
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if !Csrf::check(&headers, &form.csrf) {
        return refused();
    }
    let secure = state.settings.server.secure_cookies;
    let csrf = Csrf::of(&headers, secure);
    let again = |message: &str| {
        render(
            LoginPage {
                csrf: csrf.token.clone(),
                next: local(&form.next).unwrap_or("").to_owned(),
                username: form.username.clone(),
                error: Some(message.to_owned()),
                as_of: stamp(fangxin_core::clock::now()),
            },
            &csrf,
        )
    };
    let ip = addr.map(|a| a.ip().to_string()).unwrap_or_default();
    for key in [format!("ip:{ip}"), format!("user:{}", form.username.trim())] {
        if state.login_limiter.check(&key).await.is_err() {
            return again("登录尝试太频繁，请一分钟后再试。");
        }
    }
    let now = fangxin_core::clock::now();
    match fangxin_core::accounts::login(&state.db, &form.username, &form.password, now).await {
        Ok(issued) => {
            let to = local(&form.next)
                .map(str::to_owned)
                .unwrap_or_else(|| home_of(issued.role).to_owned());
            let mut response = redirect(&to);
            let age = (issued.expires_at - now).num_seconds().max(60);
            if let Some(c) = login_cookie(&issued.token, age, secure) {
                response.headers_mut().append(SET_COOKIE, c);
            }
            response
        }
        Err(AppError::TooManyRequests {
            retry_after_secs, ..
        }) => {
            // The lock's end in the district's time, to the minute (rounded up).
            let until = (now + chrono::TimeDelta::seconds(retry_after_secs as i64 + 59))
                .with_timezone(&fangxin_core::clock::offset());
            again(&format!(
                "登录失败次数过多，账户已暂时锁定，请于 {} 后再试。",
                until.format("%Y-%m-%d %H:%M")
            ))
        }
        Err(AppError::Unauthenticated { .. }) => again("用户名或密码不正确。"),
        Err(e) => app_error(e),
    }
}

/// Where a role's own pages start.
fn home_of(role: Role) -> &'static str {
    match role {
        Role::Enterprise => "/me",
        _ => "/admin",
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !Csrf::check(&headers, &form.csrf) {
        return refused();
    }
    if let Some(token) = super::session::cookie(&headers, super::session::SESSION_COOKIE) {
        let _ = fangxin_core::accounts::logout(&state.db, &token, fangxin_core::clock::now()).await;
    }
    let mut response = redirect("/");
    if let Some(c) = logout_cookie(state.settings.server.secure_cookies) {
        response.headers_mut().append(SET_COOKIE, c);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::local;

    #[test]
    fn only_paths_of_this_site_are_taken() {
        for ok in [
            "/",
            "/me",
            "/m/91530102MA6K0XYZ12?tab=penalties",
            "/search?q=%E9%A4%90",
        ] {
            assert_eq!(local(ok), Some(ok), "{ok}");
        }
        for bad in [
            "",
            "//evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\n/evil.example",
            "/\r\nSet-Cookie: x=1",
            "/\0",
            "https://evil.example/",
            "/ /evil.example",
            "/餐饮",
            "evil.example",
        ] {
            assert_eq!(local(bad), None, "{bad:?}");
        }
    }
}
