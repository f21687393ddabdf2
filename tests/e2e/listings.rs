//! Listing a merchant caps its score; removal lifts the cap.

use serde_json::json;

use crate::helpers::{Backend, TestApp};

async fn a_listing_caps_the_score_until_removed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut req = app.client.get(app.url("/api/v1/merchants/search"));
    req = req.query(&[("grade", "A")]);
    let hits: serde_json::Value = req.send().await.unwrap().json().await.unwrap();
    let uscc = hits["hits"][0]["uscc"].as_str().unwrap().to_owned();
    let regulator = app.token_for("regulator", None).await;
    let today = fangxin_core::clock::today(fangxin_core::clock::now());
    let post = |path: String, body: serde_json::Value| {
        let (app, token) = (&app, regulator.clone());
        async move { app.post_json(&path, Some(&token), body).await }
    };
    let (status, listing) = post(
        "/api/v1/admin/listings".into(),
        json!({"uscc": uscc, "kind": "abnormal", "reason": "未按规定期限公示年度报告",
               "authority": "昆明市五华区市场监督管理局", "listed_on": today.to_string()}),
    )
    .await;
    assert_eq!(status, 201, "{listing}");
    assert_eq!(listing["kind_label"], "经营异常名录");
    let (_, score) = app
        .get_json(&format!("/api/v1/merchants/{uscc}/score"))
        .await;
    assert_eq!(score["score"], 69);
    assert_eq!(score["grade"], "C");
    assert!(
        score["factors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "cap_abnormal")
    );

    // Listed twice: a conflict naming the first.
    let (status, problem) = post(
        "/api/v1/admin/listings".into(),
        json!({"uscc": uscc, "kind": "abnormal", "reason": "x", "authority": "y", "listed_on": today.to_string()}),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("already_listed"))
    );

    let id = listing["id"].as_i64().unwrap();
    let (status, removed) = post(
        format!("/api/v1/admin/listings/{id}/removal"),
        json!({"reason": "已补报年度报告并公示"}),
    )
    .await;
    assert_eq!(status, 200, "{removed}");
    let (_, score) = app
        .get_json(&format!("/api/v1/merchants/{uscc}/score"))
        .await;
    assert!(score["score"].as_i64().unwrap() > 69);

    // A serious-violation listing cannot be removed within its first year.
    let (status, serious) = post(
        "/api/v1/admin/listings".into(),
        json!({"uscc": uscc, "kind": "serious_violation", "reason": "提交虚假材料取得企业登记",
               "authority": "昆明市市场监督管理局", "listed_on": today.to_string()}),
    )
    .await;
    assert_eq!(status, 201, "{serious}");
    let (_, score) = app
        .get_json(&format!("/api/v1/merchants/{uscc}/score"))
        .await;
    assert_eq!(score["grade"], "D");
    let (status, problem) = post(
        format!("/api/v1/admin/listings/{}/removal", serious["id"]),
        json!({"reason": "申请移出"}),
    )
    .await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("too_early")));
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&(today + chrono::TimeDelta::days(365)).to_string())
    );
    app.finish().await;
}

crate::on_every_backend!(a_listing_caps_the_score_until_removed);
