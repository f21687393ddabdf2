//! Logins for the pages: the bearer token of `POST /api/v1/auth/login` kept in an
//! HttpOnly, SameSite=Lax cookie (Secure with `[server] secure_cookies`), and a CSRF token
//! on every form, signed and bound to the session: the browser holds a random nonce in its
//! own cookie, and a form's token is an HMAC of that nonce and the session cookie under the
//! server's key. A cookie an attacker plants (from a sibling domain, say) is useless without
//! the key, and a token of one login does not serve another.

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

use crate::state::AppState;
use fangxin_core::accounts::{self, Session};

pub const SESSION_COOKIE: &str = "fangxin_session";
pub const CSRF_COOKIE: &str = "fangxin_csrf";

/// The value of one cookie of the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn set_cookie(
    name: &str,
    value: &str,
    max_age: Option<i64>,
    same_site: &str,
    secure: bool,
) -> Option<HeaderValue> {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).ok()
}

static CSRF_KEY: OnceLock<Vec<u8>> = OnceLock::new();

/// Sets the key CSRF tokens are signed with (once per process; replicas share it through
/// `[server] csrf_key`). Without it a random key of this process is used.
pub fn set_csrf_key(key: &[u8]) {
    let _ = CSRF_KEY.set(key.to_vec());
}

fn csrf_key() -> &'static [u8] {
    CSRF_KEY.get_or_init(|| {
        let mut key = vec![0u8; 32];
        rand::rng().fill_bytes(&mut key);
        key
    })
}

/// The token of a form: the nonce signed together with the session it was shown to.
fn signed(nonce: &str, headers: &HeaderMap) -> String {
    let session = cookie(headers, SESSION_COOKIE).unwrap_or_default();
    let bound = Sha256::digest(session.as_bytes());
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(csrf_key()) else {
        return String::new();
    };
    mac.update(b"fangxin csrf\0");
    mac.update(nonce.as_bytes());
    mac.update(b"\0");
    mac.update(&bound);
    hex::encode(mac.finalize().into_bytes())
}

fn valid_nonce(nonce: &str) -> bool {
    nonce.len() == 64 && nonce.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The CSRF token of this browser's forms, and the cookie to set when it has no nonce yet.
pub struct Csrf {
    pub token: String,
    new_cookie: Option<HeaderValue>,
}

impl Csrf {
    pub fn of(headers: &HeaderMap, secure: bool) -> Csrf {
        match cookie(headers, CSRF_COOKIE).filter(|n| valid_nonce(n)) {
            Some(nonce) => Csrf {
                token: signed(&nonce, headers),
                new_cookie: None,
            },
            None => {
                let mut bytes = [0u8; 32];
                rand::rng().fill_bytes(&mut bytes);
                let nonce = hex::encode(bytes);
                let new_cookie = set_cookie(CSRF_COOKIE, &nonce, None, "Strict", secure);
                Csrf {
                    token: signed(&nonce, headers),
                    new_cookie,
                }
            }
        }
    }

    /// Adds the cookie to a response when the browser did not have one.
    pub fn attach(&self, mut response: Response) -> Response {
        if let Some(c) = &self.new_cookie {
            response.headers_mut().append(SET_COOKIE, c.clone());
        }
        response
    }

    /// Whether a submitted form carries the token of this browser's nonce and session.
    pub fn check(headers: &HeaderMap, submitted: &str) -> bool {
        cookie(headers, CSRF_COOKIE)
            .filter(|n| valid_nonce(n))
            .is_some_and(|nonce| {
                constant_time_eq(signed(&nonce, headers).as_bytes(), submitted.as_bytes())
            })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The cookie that logs a browser in with `token` until it expires.
pub fn login_cookie(token: &str, max_age_secs: i64, secure: bool) -> Option<HeaderValue> {
    set_cookie(SESSION_COOKIE, token, Some(max_age_secs), "Lax", secure)
}

/// The cookie that logs a browser out.
pub fn logout_cookie(secure: bool) -> Option<HeaderValue> {
    set_cookie(SESSION_COOKIE, "", Some(0), "Lax", secure)
}

/// A page visitor who is logged in; anyone else is sent to the login page.
pub struct PageSession {
    pub session: Session,
}

impl FromRequestParts<AppState> for PageSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let next = parts.uri.path().to_owned();
        let to_login = || {
            (
                StatusCode::SEE_OTHER,
                [(
                    LOCATION,
                    format!("/login?next={}", super::public::urlencode(&next)),
                )],
            )
                .into_response()
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login());
        };
        match accounts::authenticate(&state.db, &token, fangxin_core::clock::now()).await {
            Ok(session) => Ok(PageSession { session }),
            Err(_) => Err(to_login()),
        }
    }
}

/// A logged-in regulator or administrator; another logged-in user is sent to their own
/// page, a visitor to the login page.
pub struct RegulatorPage(pub PageSession);

impl FromRequestParts<AppState> for RegulatorPage {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let page = PageSession::from_request_parts(parts, state).await?;
        if page
            .session
            .require(&[
                fangxin_scoring::domain::Role::Regulator,
                fangxin_scoring::domain::Role::Admin,
            ])
            .is_err()
        {
            return Err((StatusCode::SEE_OTHER, [(LOCATION, "/me".to_owned())]).into_response());
        }
        Ok(RegulatorPage(page))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookies_and_checks_tokens() {
        let nonce = "ab".repeat(32);
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_str(&format!("a=1; fangxin_csrf={nonce}; b=2")).unwrap(),
        );
        assert_eq!(cookie(&h, "fangxin_csrf"), Some(nonce.clone()));
        assert_eq!(cookie(&h, "c"), None);
        let token = Csrf::of(&h, false).token;
        assert!(Csrf::check(&h, &token));
        // The bare nonce (double submit) is not a token.
        assert!(!Csrf::check(&h, &nonce));
        assert!(!Csrf::check(&HeaderMap::new(), ""));
        // After logging in, a token of the anonymous page no longer serves.
        let mut logged_in = h.clone();
        logged_in.append(COOKIE, HeaderValue::from_static("fangxin_session=tok"));
        assert!(!Csrf::check(&logged_in, &token));
        assert!(Csrf::check(&logged_in, &Csrf::of(&logged_in, false).token));
        let c = login_cookie("t", 60, true).unwrap();
        let c = c.to_str().unwrap();
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
    }
}
