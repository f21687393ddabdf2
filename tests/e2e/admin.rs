//! Regulators keep the register; admins manage accounts; limits protect the service.

use fangxin_scoring::Uscc;
use serde_json::json;

use crate::helpers::{Backend, Options, TestApp};

fn code(n: u32) -> String {
    Uscc::from_parts('9', '2', "530102", &format!("RG{n:06}"))
        .unwrap()
        .to_string()
}

async fn a_regulator_registers_renames_and_deregisters_a_merchant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let regulator = app.token_for("regulator", None).await;
    let new = json!({
        "uscc": code(1), "name": "昆明市五华区春城鲜花店", "sign_name": "春城鲜花",
        "kind": "individual", "industry": "零售", "street": "莲华",
        "address": "昆明市五华区莲华路9号", "established_on": "2021-04-01"
    });
    let (status, profile) = app
        .post_json("/api/v1/admin/merchants", Some(&regulator), new.clone())
        .await;
    assert_eq!(status, 201, "{profile}");
    assert_eq!(profile["street"], "莲华街道");
    assert_eq!(
        profile["score"]["grade"], "A",
        "a new merchant is scored at once"
    );
    let (status, body) = app
        .post_json("/api/v1/admin/merchants", Some(&regulator), new)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("merchant_exists"))
    );

    // Renamed: the old legal name stays searchable as a former name.
    let r = app
        .client
        .put(app.url(&format!("/api/v1/admin/merchants/{}", code(1))))
        .bearer_auth(&regulator)
        .json(&json!({
            "name": "昆明市五华区春城花艺店", "sign_name": "春城花艺", "kind": "individual",
            "industry": "零售", "street": "莲华街道", "address": "昆明市五华区莲华路9号"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let profile: serde_json::Value = r.json().await.unwrap();
    assert_eq!(profile["former_names"], json!(["昆明市五华区春城鲜花店"]));
    let found = app
        .wait_for_search("春城鲜花店", |r| {
            r.hits.iter().any(|h| h.uscc == code(1))
        })
        .await;
    assert_eq!(found.hits[0].uscc, code(1));

    let (status, profile) = app
        .post_json(
            &format!("/api/v1/admin/merchants/{}/status", code(1)),
            Some(&regulator),
            json!({"status": "deregistered", "reason": "申请注销登记"}),
        )
        .await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(profile["status_label"], "注销");
    let (status, body) = app
        .post_json(
            &format!("/api/v1/admin/merchants/{}/status", code(1)),
            Some(&regulator),
            json!({"status": "bankrupt", "reason": "x"}),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid_body")));

    // Bad input names its field.
    let (status, body) = app
        .post_json(
            "/api/v1/admin/merchants",
            Some(&regulator),
            json!({"uscc": code(2), "name": " ", "kind": "individual", "industry": "餐饮",
                   "street": "护国", "address": "x"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        (body["code"].as_str(), body["field"].as_str()),
        (Some("missing_field"), Some("name"))
    );
    let (status, body) = app
        .post_json(
            "/api/v1/admin/merchants",
            Some(&regulator),
            json!({"uscc": code(3), "name": "未来店", "kind": "individual", "industry": "餐饮",
                   "street": "护国", "address": "x", "established_on": "2999-01-01"}),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("established_on"))
    );
    let (_, log) = app
        .get_json_as("/api/v1/admin/audit-log?action=merchant.status", &regulator)
        .await;
    assert!(log.to_string().contains("申请注销登记"), "{log}");
    app.finish().await;
}

async fn an_admin_manages_accounts_over_the_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.token_for("admin", None).await;
    let regulator = app.token_for("regulator", None).await;
    let (status, account) = app
        .post_json(
            "/api/v1/admin/accounts",
            Some(&admin),
            json!({"username": "wang.inspector", "password": "correct horse battery", "role": "regulator",
                   "display_name": "王科员"}),
        )
        .await;
    assert_eq!(status, 201, "{account}");
    assert!(account.get("password_hash").is_none());
    let (status, login) = app.login("wang.inspector", "correct horse battery").await;
    assert_eq!(status, 200);
    let token = login["token"].as_str().unwrap().to_owned();
    let (status, list) = app.get_json_as("/api/v1/admin/accounts", &admin).await;
    assert_eq!(status, 200);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|a| a["username"] == "wang.inspector")
    );
    // Regulators do not manage accounts.
    let (status, _) = app.get_json_as("/api/v1/admin/accounts", &regulator).await;
    assert_eq!(status, 403);

    // Switched off: the token stops working at once, and the login fails.
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/admin/accounts/{}", account["id"])))
        .bearer_auth(&admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, _) = app.get_json_as("/api/v1/admin/complaints", &token).await;
    assert_eq!(status, 401);
    let (status, _) = app.login("wang.inspector", "correct horse battery").await;
    assert_eq!(status, 401);
    // An enterprise account needs its merchant.
    let (status, body) = app
        .post_json(
            "/api/v1/admin/accounts",
            Some(&admin),
            json!({"username": "shop", "password": "correct horse battery", "role": "enterprise"}),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (400, Some("missing_uscc")));
    app.finish().await;
}

async fn public_endpoints_are_rate_limited_per_address(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            public_per_minute: 5,
            ..Default::default()
        },
    )
    .await;
    let regulator = app.token_for("regulator", None).await;
    for _ in 0..5 {
        assert_eq!(app.get("/api/v1/penalties").await.status(), 200);
    }
    let r = app.get("/api/v1/merchants/search?q=店").await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    // Health checks and signed-in staff are not limited by the public limit.
    assert_eq!(app.get("/healthz").await.status(), 200);
    let (status, _) = app
        .get_json_as("/api/v1/admin/complaints", &regulator)
        .await;
    assert_eq!(status, 200);
    // A token that does not verify lifts nothing: still limited, and a 401 where it counts.
    let forged = app
        .client
        .get(app.url("/api/v1/merchants/search?q=店"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 429);
    // A portal page that is limited is a Chinese page, not JSON.
    let page = app.get("/?q=店").await;
    assert_eq!(page.status(), 429);
    assert!(page.headers().get("retry-after").is_some());
    let content_type = page.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(page.text().await.unwrap().contains("请求过于频繁"));
    app.finish().await;
}

/// A bearer token that does not verify is a 401 naming the problem, never a pass.
async fn an_invalid_token_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = app
        .get_json_as("/api/v1/admin/complaints", "forged-token")
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("invalid_token")),
        "{body}"
    );
    app.finish().await;
}

async fn an_oversized_body_is_refused_with_a_problem(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            max_body_bytes: Some(2_048),
            ..Default::default()
        },
    )
    .await;
    let regulator = app.token_for("regulator", None).await;
    let (status, body) = app
        .post_json(
            "/api/v1/admin/warnings",
            Some(&regulator),
            json!({"title": "警惕", "body": "很长".repeat(2_000), "category": "food"}),
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["code"], "body_too_large");
    let (status, body) = app
        .post_raw(
            "/api/v1/admin/warnings",
            Some(&regulator),
            "application/json",
            "{\"title\": ",
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid_body")));
    let (status, body) = app
        .post_raw(
            "/api/v1/admin/warnings",
            Some(&regulator),
            "text/plain",
            "hello",
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    app.finish().await;
}

crate::on_every_backend!(
    a_regulator_registers_renames_and_deregisters_a_merchant,
    an_admin_manages_accounts_over_the_api,
    public_endpoints_are_rate_limited_per_address,
    an_invalid_token_is_refused,
    an_oversized_body_is_refused_with_a_problem,
);
