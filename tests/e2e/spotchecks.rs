//! 双随机、一公开: a seeded draw anyone can replay, results public and scored.

use serde_json::json;

use crate::helpers::{Backend, TestApp};

async fn a_draw_replays_from_its_seed_and_results_are_public(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let regulator = app.token_for("regulator", None).await;
    let plan_request = json!({
        "title": "2026年第四季度食品销售环节抽查", "industries": ["餐饮", "零售"],
        "sample_size": 12, "seed": 20_261_128
    });
    let (status, plan) = app
        .post_json(
            "/api/v1/admin/spot-check-plans",
            Some(&regulator),
            plan_request.clone(),
        )
        .await;
    assert_eq!(status, 201, "{plan}");
    assert_eq!(plan["seed"], 20_261_128);
    let checks = plan["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 12);
    assert!(
        checks
            .iter()
            .all(|c| c["inspectors"].as_array().unwrap().len() == 2
                && c["inspectors"][0]["id"] != c["inspectors"][1]["id"])
    );

    // Anyone replays the draw from what is published: the frame, the pool and the seed.
    let id = plan["id"].as_i64().unwrap();
    let (status, frame) = app
        .get_json(&format!("/api/v1/spot-check-plans/{id}/frame"))
        .await;
    assert_eq!(status, 200);
    let merchants: Vec<(String, u32)> = serde_json::from_value(frame["merchants"].clone()).unwrap();
    let pool: Vec<i64> = serde_json::from_value(frame["inspectors"].clone()).unwrap();
    assert_eq!(
        fangxin_scoring::spotcheck::frame_digest(merchants.iter().map(|(u, w)| (u.as_str(), *w))),
        plan["frame_digest"].as_str().unwrap()
    );
    let weights: Vec<u32> = merchants.iter().map(|(_, w)| *w).collect();
    let replay = fangxin_scoring::spotcheck::draw(&weights, pool.len(), 12, 20_261_128).unwrap();
    for (drawn, check) in replay.iter().zip(checks) {
        assert_eq!(
            merchants[drawn.frame_index].0,
            check["uscc"].as_str().unwrap()
        );
        assert_eq!(
            pool[drawn.inspectors[0]],
            check["inspectors"][0]["id"].as_i64().unwrap()
        );
        assert_eq!(
            pool[drawn.inspectors[1]],
            check["inspectors"][1]["id"].as_i64().unwrap()
        );
    }
    // The same request draws the same merchants again.
    let (_, again) = app
        .post_json(
            "/api/v1/admin/spot-check-plans",
            Some(&regulator),
            plan_request,
        )
        .await;
    let usccs = |p: &serde_json::Value| -> Vec<String> {
        p["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["uscc"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(usccs(&again), usccs(&plan));

    // A result: unqualified needs the failed items; then it is public and lowers the score.
    let check = &checks[0];
    let uscc = check["uscc"].as_str().unwrap();
    let (_, before) = app
        .get_json(&format!("/api/v1/merchants/{uscc}/score"))
        .await;
    let path = format!("/api/v1/admin/spot-checks/{}/result", check["id"]);
    let today = fangxin_core::clock::today(fangxin_core::clock::now()).to_string();
    let (status, body) = app
        .post_json(
            &path,
            Some(&regulator),
            json!({"outcome": "unqualified", "product": "散装米线", "checked_on": today}),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("failed_items"))
    );
    let (status, body) = app
        .post_json(
            &path,
            Some(&regulator),
            json!({"outcome": "不合格", "product": "散装米线",
            "batch": "20261120", "failed_items": "大肠菌群超标", "checked_on": today}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["outcome_label"], "不合格");
    let (status, body) = app
        .post_json(
            &path,
            Some(&regulator),
            json!({"outcome": "qualified", "product": "x", "checked_on": today}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("result_recorded"))
    );
    let (_, after) = app
        .get_json(&format!("/api/v1/merchants/{uscc}/score"))
        .await;
    assert!(
        after["score"].as_i64() < before["score"].as_i64(),
        "{after}"
    );
    let (_, list) = app
        .get_json("/api/v1/spot-checks?outcome=unqualified")
        .await;
    assert!(
        list["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["uscc"] == uscc && r["failed_items"] == "大肠菌群超标")
    );

    // What cannot be drawn says why.
    let (status, body) = app
        .post_json(
            "/api/v1/admin/spot-check-plans",
            Some(&regulator),
            json!({"title": "太多", "industries": ["不存在的行业"], "sample_size": 5}),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (400, Some("cannot_draw")));
    let (status, body) = app
        .post_json(
            "/api/v1/admin/spot-check-plans",
            Some(&regulator),
            json!({"title": "别区", "streets": ["不存在街道"], "sample_size": 5}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str(), body["field"].as_str()),
        (400, Some("unknown_street"), Some("streets")),
        "{body}"
    );
    let (status, body) = app
        .post_json(
            "/api/v1/admin/spot-check-plans",
            Some(&regulator),
            json!({"title": "x", "grades": ["E"], "sample_size": 5}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_grade"))
    );
    app.finish().await;
}

crate::on_every_backend!(a_draw_replays_from_its_seed_and_results_are_public);
