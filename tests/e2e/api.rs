//! The public API as a consumer's client sees it.

use fangxin_core::store::entities::penalty;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::{Backend, TestApp};

async fn health_and_readiness(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = app.get_json("/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["index"]["documents"], 300);
    assert_eq!(body["redis"], "not_configured");
    app.finish().await;
}

async fn search_hits_open_real_profiles(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let results = app.search("餐饮").await;
    assert!(results.total > 0, "the demo district has restaurants");
    assert!(results.hits.len() <= 20);
    for hit in results.hits.iter().take(5) {
        assert!(
            hit.name.contains("餐饮")
                || hit.industry == "餐饮"
                || hit.sign_name.as_deref().unwrap_or("").contains("餐饮")
        );
        let (status, profile) = app
            .get_json(&format!("/api/v1/merchants/{}", hit.uscc))
            .await;
        assert_eq!(status, 200);
        assert_eq!(profile["uscc"], hit.uscc.as_str());
        assert_eq!(profile["name"], hit.name.as_str());
        assert_eq!(profile["score"]["score"], hit.score.expect("scored"));
        assert!(profile["score"]["grade"].is_string());
    }
    app.finish().await;
}

async fn search_by_sign_name_substring_and_uscc(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app
        .search("")
        .await
        .hits
        .into_iter()
        .next()
        .expect("merchants");
    let sign = first.sign_name.clone().expect("sign name");
    let chars: Vec<char> = sign.chars().collect();
    let middle: String = chars[1..chars.len().min(4)].iter().collect();
    let by_part = app.search(&middle).await;
    assert!(
        by_part.hits.iter().any(|h| h.uscc == first.uscc) || by_part.total > 20,
        "{middle}"
    );
    let by_code = app
        .search(&format!("  {}  ", first.uscc.to_lowercase()))
        .await;
    assert_eq!(by_code.total, 1);
    assert_eq!(by_code.hits[0].uscc, first.uscc);
    app.finish().await;
}

async fn bad_input_is_problem_json(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.get("/api/v1/merchants/91350100M000100Y44").await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "invalid_uscc");
    assert_eq!(body["check"], "check_character");
    assert!(body["detail"].as_str().unwrap().contains("18th"));

    let (status, body) = app.get_json("/api/v1/merchants/12345").await;
    assert_eq!(status, 400);
    assert_eq!(body["check"], "length");

    // Well formed, passes both checks, but nobody has it.
    let (status, body) = app.get_json("/api/v1/merchants/91350100M000100Y43").await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "merchant_not_found");

    let (status, body) = app
        .get_json("/api/v1/merchants/search?q=x&per_page=1000")
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "invalid_per_page");
    let (status, body) = app.get_json("/api/v1/merchants/search?q=x&page=abc").await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "invalid_query");
    let (status, body) = app.get_json("/api/v1/merchants/search?grade=E").await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "invalid_grade");

    for hostile in [
        "\"",
        "AND OR NOT",
        "name:*",
        "((",
        "[1 TO 2]",
        "~~",
        "\\",
        "<script>",
    ] {
        let r = app
            .client
            .get(app.url("/api/v1/merchants/search"))
            .query(&[("q", hostile)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{hostile}");
    }
    let (status, body) = app.get_json("/api/v1/nowhere").await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "not_found");
    // Outside the API an unknown path is a page for people.
    let r = app.get("/nowhere").await;
    assert_eq!(r.status(), 404);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    app.finish().await;
}

async fn profile_shows_only_penalties_in_publicity(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        crate::helpers::Options {
            demo_merchants: Some(600),
            ..Default::default()
        },
    )
    .await;
    let today = fangxin_core::clock::today(fangxin_core::clock::now());
    let public = penalty::Entity::find()
        .filter(penalty::Column::Status.eq("in_publicity"))
        .filter(penalty::Column::PublicityEnd.gte(today))
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(!public.is_empty(), "the demo has penalties in publicity");
    let p = &public[0];
    let m = fangxin_core::store::entities::merchant::Entity::find_by_id(p.merchant_id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let (status, profile) = app.get_json(&format!("/api/v1/merchants/{}", m.uscc)).await;
    assert_eq!(status, 200);
    let shown: Vec<&str> = profile["penalties_in_publicity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["decision_no"].as_str().unwrap())
        .collect();
    assert!(shown.contains(&p.decision_no.as_str()));
    let factors = profile["score"]["factors"].as_array().unwrap();
    assert!(
        factors.iter().any(|f| f["code"] == "penalty"),
        "the score explains the penalty: {factors:?}"
    );

    let hidden = penalty::Entity::find()
        .filter(penalty::Column::Status.ne("in_publicity"))
        .all(&app.state.db)
        .await
        .unwrap();
    for p in hidden.iter().take(5) {
        let m = fangxin_core::store::entities::merchant::Entity::find_by_id(p.merchant_id)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        let (_, profile) = app.get_json(&format!("/api/v1/merchants/{}", m.uscc)).await;
        assert!(
            !profile["penalties_in_publicity"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["decision_no"] == p.decision_no.as_str()),
            "{} is {} and must not be public",
            p.decision_no,
            p.status
        );
    }
    app.finish().await;
}

async fn metrics_count_requests(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.search("超市").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("route=\"/api/v1/merchants/search\""));
    assert!(text.contains("http_request_duration_seconds"));
    assert!(text.contains("fangxin_index_lag_events"));
    let r = app.get("/healthz").await;
    assert!(r.headers().contains_key("x-request-id"));
    app.finish().await;
}

/// With a token configured, `/metrics` wants it even from this machine.
async fn metrics_want_the_token_when_one_is_set(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        crate::helpers::Options {
            demo_merchants: None,
            metrics_token: Some("scrape-me-please".into()),
            ..Default::default()
        },
    )
    .await;
    let (status, problem) = app.get_json("/metrics").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-me-please!")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-me-please")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    assert!(right.text().await.unwrap().contains("http_requests_total"));
    app.finish().await;
}

async fn warnings_are_published_and_listed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, before) = app.get_json("/api/v1/warnings").await;
    let regulator = app.token_for("regulator", None).await;
    let r = app
        .client
        .post(app.url("/api/v1/admin/warnings"))
        .bearer_auth(&regulator)
        .json(&serde_json::json!({
            "title": "警惕“免费体检”推销保健品",
            "body": "<b>不要</b>轻信免费体检后推荐的高价保健品。",
            "category": "elderly"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let (status, after) = app.get_json("/api/v1/warnings").await;
    assert_eq!(status, 200);
    assert_eq!(
        after["total"].as_u64(),
        before["total"].as_u64().map(|n| n + 1)
    );
    assert_eq!(after["warnings"][0]["title"], "警惕“免费体检”推销保健品");
    let r = app
        .client
        .post(app.url("/api/v1/admin/warnings"))
        .bearer_auth(&regulator)
        .json(&serde_json::json!({"title": "", "body": "x", "category": "y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = app
        .client
        .get(app.url("/api/v1/admin/complaints/abc"))
        .bearer_auth(&regulator)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "invalid_path");
    app.finish().await;
}

async fn nearby_lists_shops_by_distance_with_a_map_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // The middle of 华山街道, where the demo puts many shops.
    let (status, body) = app
        .get_json("/api/v1/merchants/nearby?lat=25.043&lng=102.705&radius_m=500")
        .await;
    assert_eq!(status, 200, "{body}");
    let hits = body["hits"].as_array().unwrap();
    assert!(!hits.is_empty(), "{body}");
    let distances: Vec<f64> = hits
        .iter()
        .map(|h| h["distance_m"].as_f64().unwrap())
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
    assert!(distances.iter().all(|d| *d <= 500.0));
    assert!(
        hits.iter()
            .all(|h| h["latitude"].is_number() && h["address"].is_string())
    );
    let total = body["total"].as_u64().unwrap();
    // Wider holds more; words narrow it.
    let (_, wide) = app
        .get_json("/api/v1/merchants/nearby?lat=25.043&lng=102.705&radius_m=5000")
        .await;
    assert!(wide["total"].as_u64().unwrap() > total);
    // Bad positions and radii are problems, not server errors.
    for bad in [
        "lat=95&lng=102.7",
        "lat=25&lng=200",
        "lat=25&lng=102.7&radius_m=0",
        "lat=25&lng=102.7&radius_m=50000",
        "lat=abc&lng=102.7",
        "lng=102.7",
    ] {
        let r = app.get(&format!("/api/v1/merchants/nearby?{bad}")).await;
        assert_eq!(r.status(), 400, "{bad}");
        assert_eq!(
            r.headers()["content-type"].to_str().unwrap(),
            "application/problem+json"
        );
    }
    // The portal's page lists them by distance, each with a map link; without a position
    // it explains what the button does.
    let r = app.get("/nearby?lat=25.043&lng=102.705&radius_m=500").await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("由近及远") && page.contains(" 米"), "{page}");
    assert!(page.contains("uri.amap.com/marker") && page.contains("在地图中打开"));
    let r = app.get("/nearby").await;
    let page = r.text().await.unwrap();
    assert!(page.contains("允许"), "{page}");
    let r = app.get("/").await;
    let home = r.text().await.unwrap();
    assert!(home.contains("id=\"nearby\""), "the 附近 button");
    // The empty search page offers the directory of trusted-consumption units by street.
    assert!(home.contains("放心消费单位名录") && home.contains("/trusted?street="));
    let (_, trusted) = app
        .get_json("/api/v1/merchants/search?trusted=true&per_page=1")
        .await;
    let units = trusted["total"].as_u64().unwrap();
    let r = app.get("/trusted").await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(
        page.contains(&format!("共 {units} 家放心消费单位")),
        "{page}"
    );
    let street = trusted["facets"]["street"][0]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let in_street = trusted["facets"]["street"][0]["count"].as_u64().unwrap();
    let r = app
        .get(&format!(
            "/trusted?street={}",
            url::form_urlencoded::byte_serialize(street.as_bytes()).collect::<String>()
        ))
        .await;
    let page = r.text().await.unwrap();
    assert!(
        page.contains(&format!("共 {in_street} 家放心消费单位")),
        "{page}"
    );
    app.finish().await;
}

crate::on_every_backend!(
    nearby_lists_shops_by_distance_with_a_map_link,
    warnings_are_published_and_listed,
    health_and_readiness,
    search_hits_open_real_profiles,
    search_by_sign_name_substring_and_uscc,
    bad_input_is_problem_json,
    profile_shows_only_penalties_in_publicity,
    metrics_count_requests,
    metrics_want_the_token_when_one_is_set,
);
