//! What every request and response passes at the edge: security headers on every answer, and
//! input hygiene before any handler. A NUL character (U+0000) in a path, query,
//! JSON body or form is refused with 400 on every backend alike. PostgreSQL cannot store it
//! (its text types end at NUL, so it answered 500) and SQLite stored it silently; no text a
//! person types holds one. Import files check their own rows.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::error::Problem;

/// The portal's Content-Security-Policy: scripts only from this site (no inline script runs,
/// so injected markup cannot run code), nothing may frame a page, forms post only here.
/// Inline style attributes stay allowed: the pages use a few, and styles cannot run code.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; object-src 'none'; base-uri 'none'; \
                   form-action 'self'; frame-ancestors 'none'";

/// Headers every answer carries: no sniffing, no framing, no referrer to other sites, and the
/// portal's Content-Security-Policy (the Swagger UI under `/docs` brings its own scripts).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let docs = req.uri().path().starts_with("/docs");
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !docs {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    response
}

/// Refuses a request that carries a NUL anywhere a handler would read text.
pub async fn refuse_nul(
    axum::extract::State(max_body): axum::extract::State<usize>,
    req: Request,
    next: Next,
) -> Response {
    let api = req.uri().path().starts_with("/api/");
    if percent_nul(req.uri().path()) || req.uri().query().is_some_and(percent_nul) {
        return refusal(api);
    }
    let kind = body_kind(&req);
    if kind == BodyKind::Other {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, max_body).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the request body is larger than {max_body} bytes, or was cut off"),
            )
            .into_response();
        }
    };
    let nul = match kind {
        BodyKind::Json => json_nul(&bytes),
        BodyKind::Form => bytes.contains(&0) || percent_nul_bytes(&bytes),
        BodyKind::Other => false,
    };
    if nul {
        return refusal(api);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Json,
    Form,
    Other,
}

fn body_kind(req: &Request) -> BodyKind {
    let Some(content_type) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return BodyKind::Other;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        BodyKind::Json
    } else if essence == "application/x-www-form-urlencoded" {
        BodyKind::Form
    } else {
        BodyKind::Other
    }
}

fn refusal(api: bool) -> Response {
    if api {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "nul_character",
            "text may not contain the NUL character (U+0000)",
        )
        .into_response()
    } else {
        crate::portal::error_page(
            StatusCode::BAD_REQUEST,
            "输入有误",
            "提交的内容含有无法保存的控制字符（NUL），请删除后重试。",
        )
    }
}

fn percent_nul(s: &str) -> bool {
    percent_nul_bytes(s.as_bytes())
}

/// `%00` in a URL-encoded string.
fn percent_nul_bytes(s: &[u8]) -> bool {
    s.windows(3).any(|w| w == b"%00")
}

/// A NUL in JSON: raw (which is invalid JSON anyway) or escaped as `\u0000` — an escape only
/// when an odd number of backslashes leads to it (`\\u0000` is a backslash and text).
fn json_nul(body: &[u8]) -> bool {
    if body.contains(&0) {
        return true;
    }
    let mut backslashes = 0usize;
    for (i, &b) in body.iter().enumerate() {
        if b == b'\\' {
            backslashes += 1;
            continue;
        }
        if b == b'u' && backslashes % 2 == 1 && body[i + 1..].starts_with(b"0000") {
            return true;
        }
        backslashes = 0;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_where_it_is_and_only_there() {
        assert!(json_nul(br#"{"name":"a\u0000b"}"#));
        assert!(json_nul(br#"{"name":"\\\u0000"}"#));
        assert!(json_nul(b"{\"name\":\"a\0\"}"));
        assert!(
            !json_nul(br#"{"name":"a\\u0000b"}"#),
            "a backslash, then text"
        );
        assert!(!json_nul(br#"{"name":"\u4e2d"}"#));
        assert!(percent_nul("q=a%00b"));
        assert!(!percent_nul("q=a%2000"));
        assert!(!percent_nul("q=%E9%A4%90"));
    }
}
