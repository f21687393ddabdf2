//! Every route × every role: the status each must get.

use crate::helpers::{Backend, TestApp};

/// (method, path, JSON body, [public, enterprise, regulator, admin]); `{uscc}` is the
/// enterprise's own merchant. 0 means "any of 200, 202, 409" (a rebuild may be running).
pub(crate) const MATRIX: &[(&str, &str, Option<&str>, [u16; 4])] = &[
    ("GET", "/healthz", None, [200, 200, 200, 200]),
    ("GET", "/readyz", None, [200, 200, 200, 200]),
    ("GET", "/metrics", None, [200, 200, 200, 200]),
    (
        "GET",
        "/api/v1/merchants/search?q=%E5%BA%97",
        None,
        [200, 200, 200, 200],
    ),
    (
        "GET",
        "/api/v1/merchants/suggest?q=ld",
        None,
        [200, 200, 200, 200],
    ),
    (
        "GET",
        "/api/v1/merchants/nearby?lat=25.043&lng=102.705",
        None,
        [200, 200, 200, 200],
    ),
    (
        "GET",
        "/api/v1/merchants/{uscc}",
        None,
        [200, 200, 200, 200],
    ),
    (
        "GET",
        "/api/v1/merchants/{uscc}/score",
        None,
        [200, 200, 200, 200],
    ),
    (
        "GET",
        "/api/v1/merchants/{uscc}/score-history",
        None,
        [200, 200, 200, 200],
    ),
    (
        "GET",
        "/api/v1/merchants/{uscc}/complaint-stats",
        None,
        [200, 200, 200, 200],
    ),
    ("GET", "/api/v1/penalties", None, [200, 200, 200, 200]),
    ("GET", "/api/v1/warnings", None, [200, 200, 200, 200]),
    (
        "POST",
        "/api/v1/auth/login",
        Some(r#"{"username":"x","password":"y"}"#),
        [401, 401, 401, 401],
    ),
    (
        "POST",
        "/api/v1/admin/penalties",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    (
        "POST",
        "/api/v1/admin/complaints",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    (
        "GET",
        "/api/v1/admin/complaints",
        None,
        [401, 403, 200, 200],
    ),
    (
        "GET",
        "/api/v1/admin/complaints/1",
        None,
        [401, 403, 200, 200],
    ),
    (
        "POST",
        "/api/v1/admin/complaints/1/transition",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    (
        "PUT",
        "/api/v1/admin/complaints/1/assignee",
        Some("{\"assignee_id\": null}"),
        [401, 403, 200, 200],
    ),
    (
        "POST",
        "/api/v1/admin/warnings",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    ("GET", "/api/v1/me/complaints", None, [401, 200, 403, 403]),
    ("GET", "/api/v1/me/record", None, [401, 200, 403, 403]),
    (
        "POST",
        "/api/v1/me/credit-repairs",
        Some("{}"),
        [401, 400, 403, 403],
    ),
    (
        "POST",
        "/api/v1/admin/credit-repairs/1",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    (
        "POST",
        "/api/v1/me/complaints/1/answer",
        Some("{}"),
        [401, 400, 403, 403],
    ),
    ("POST", "/api/v1/admin/reindex", None, [401, 403, 0, 0]),
    ("GET", "/api/v1/admin/audit-log", None, [401, 403, 200, 200]),
    (
        "POST",
        "/api/v1/admin/complaints/1/merchant",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    ("GET", "/api/v1/admin/claimants", None, [401, 403, 200, 200]),
    (
        "GET",
        "/api/v1/admin/reports/complaints",
        None,
        [401, 403, 200, 200],
    ),
    (
        "GET",
        "/api/v1/admin/claimants/nobody",
        None,
        [401, 403, 404, 404],
    ),
    (
        "POST",
        "/api/v1/admin/claimants/nobody/review",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    (
        "GET",
        "/api/v1/penalties/999999",
        None,
        [404, 404, 404, 404],
    ),
    (
        "GET",
        "/api/v1/admin/penalties/999999",
        None,
        [401, 403, 404, 404],
    ),
    (
        "POST",
        "/api/v1/admin/penalties/1/correction",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    (
        "POST",
        "/api/v1/admin/penalties/1/revocation",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    (
        "GET",
        "/api/v1/admin/inspectors",
        None,
        [401, 403, 200, 200],
    ),
    (
        "POST",
        "/api/v1/admin/inspectors",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    (
        "POST",
        "/api/v1/admin/spot-check-plans",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    (
        "GET",
        "/api/v1/spot-check-plans/999999",
        None,
        [404, 404, 404, 404],
    ),
    (
        "GET",
        "/api/v1/spot-check-plans/999999/frame",
        None,
        [404, 404, 404, 404],
    ),
    (
        "POST",
        "/api/v1/admin/spot-checks/1/result",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    ("GET", "/api/v1/spot-checks", None, [200, 200, 200, 200]),
    (
        "POST",
        "/api/v1/admin/listings",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    (
        "POST",
        "/api/v1/admin/listings/1/removal",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    (
        "POST",
        "/api/v1/admin/trusted",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    (
        "POST",
        "/api/v1/admin/trusted/1",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    (
        "POST",
        "/api/v1/me/objections",
        Some("{}"),
        [401, 400, 403, 403],
    ),
    (
        "POST",
        "/api/v1/admin/objections/1",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    (
        "POST",
        "/api/v1/admin/merchants",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    (
        "PUT",
        "/api/v1/admin/merchants/{uscc}",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    (
        "POST",
        "/api/v1/admin/merchants/{uscc}/status",
        Some("{}"),
        [401, 403, 400, 400],
    ),
    ("GET", "/api/v1/admin/accounts", None, [401, 403, 403, 200]),
    (
        "POST",
        "/api/v1/admin/accounts",
        Some("{}"),
        [401, 403, 403, 400],
    ),
    (
        "PATCH",
        "/api/v1/admin/accounts/1",
        Some("{}"),
        [401, 403, 403, 400],
    ),
    (
        "POST",
        "/api/v1/admin/imports/merchants",
        Some("{}"),
        [401, 403, 415, 415],
    ),
    ("POST", "/api/v1/auth/logout", None, [204, 204, 204, 204]),
];

async fn every_route_answers_every_role_as_expected(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let uscc = app.search("").await.hits[0].uscc.clone();
    let tokens = [
        None,
        Some(app.token_for("enterprise", Some(&uscc)).await),
        Some(app.token_for("regulator", None).await),
        Some(app.token_for("admin", None).await),
    ];
    let roles = ["public", "enterprise", "regulator", "admin"];
    let mut failures = Vec::new();
    for (method, path, body, expected) in MATRIX {
        let path = path.replace("{uscc}", &uscc);
        for (i, token) in tokens.iter().enumerate() {
            // Logout last, so it does not revoke the tokens the other rows need.
            let mut req = match *method {
                "GET" => app.client.get(app.url(&path)),
                "PUT" => app.client.put(app.url(&path)),
                "PATCH" => app.client.patch(app.url(&path)),
                _ => app.client.post(app.url(&path)),
            };
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if let Some(b) = body {
                req = req
                    .header("content-type", "application/json")
                    .body(b.to_string());
            }
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let ok = match expected[i] {
                0 => matches!(status, 202 | 409),
                e => status == e,
            };
            if !ok {
                failures.push(format!(
                    "{method} {path} as {}: {status}, expected {}",
                    roles[i], expected[i]
                ));
            }
            if status >= 400 {
                let ct = r
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                if !ct.starts_with("application/problem+json") {
                    failures.push(format!(
                        "{method} {path} as {}: {status} without problem+json ({ct})",
                        roles[i]
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    app.finish().await;
}

crate::on_every_backend!(every_route_answers_every_role_as_expected);
