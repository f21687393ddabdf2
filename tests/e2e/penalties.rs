//! A regulator publishes a penalty; consumers see it.

use serde_json::json;

use crate::helpers::{Backend, TestApp};

/// A merchant with a clean record and an A, to watch its score fall.
async fn clean_merchant(app: &TestApp) -> (String, i64) {
    let mut req = app.client.get(app.url("/api/v1/merchants/search"));
    req = req.query(&[("grade", "A"), ("per_page", "50")]);
    let body: serde_json::Value = req.send().await.unwrap().json().await.unwrap();
    for hit in body["hits"].as_array().unwrap() {
        let uscc = hit["uscc"].as_str().unwrap();
        let (_, profile) = app.get_json(&format!("/api/v1/merchants/{uscc}")).await;
        if profile["penalties_in_publicity"]
            .as_array()
            .unwrap()
            .is_empty()
            && profile["score"]["factors"].as_array().unwrap().is_empty()
        {
            return (uscc.to_owned(), profile["score"]["score"].as_i64().unwrap());
        }
    }
    panic!("no clean merchant in the demo");
}

fn decision(uscc: &str, no: &str) -> serde_json::Value {
    json!({
        "decision_no": no,
        "uscc": uscc,
        "categories": ["罚款", "没收违法所得"],
        "fine_yuan": "20000",
        "confiscated_yuan": 1500.5,
        "violation_type": "销售超过保质期的食品",
        "facts": "经查，当事人销售超过保质期的预包装食品。",
        "legal_basis": "《中华人民共和国食品安全法》第一百二十四条",
        "authority": "昆明市五华区市场监督管理局",
        "decided_on": fangxin_core::clock::today(fangxin_core::clock::now()).to_string(),
        "procedure": "ordinary"
    })
}

async fn a_published_penalty_reaches_profile_score_and_search(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (uscc, before) = clean_merchant(&app).await;
    let regulator = app.token_for("regulator", None).await;
    let post = |body: serde_json::Value, token: Option<String>| {
        let app = &app;
        async move {
            app.post_json("/api/v1/admin/penalties", token.as_deref(), body)
                .await
        }
    };

    let (status, body) = post(
        decision(&uscc, "五市监处罚〔2026〕9001号"),
        Some(regulator.clone()),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["fine_fen"], 2_000_000);
    assert_eq!(body["confiscated_fen"], 150_050);
    assert_eq!(body["status"], "in_publicity");
    // 20,000 yuan is above the lower-amount threshold: three years of publicity.
    let end =
        chrono::NaiveDate::parse_from_str(body["publicity_end"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap();
    assert!((end - fangxin_core::clock::today(fangxin_core::clock::now())).num_days() > 1000);

    let (_, profile) = app.get_json(&format!("/api/v1/merchants/{uscc}")).await;
    let after = profile["score"]["score"].as_i64().unwrap();
    assert!(after < before, "{after} < {before}");
    assert_eq!(
        profile["penalties_in_publicity"][0]["decision_no"],
        "五市监处罚〔2026〕9001号"
    );
    let r = app
        .wait_for_search(&uscc, |r| {
            r.hits.first().and_then(|h| h.score) == Some(after as i32)
        })
        .await;
    assert_eq!(
        r.hits[0].score,
        Some(after as i32),
        "search shows the new score"
    );

    let (status, list) = app.get_json("/api/v1/penalties?per_page=200").await;
    assert_eq!(status, 200);
    assert!(
        list["penalties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["decision_no"] == "五市监处罚〔2026〕9001号")
    );

    // The publication is in the audit log with who did it.
    let audit = app
        .client
        .get(app.url("/api/v1/admin/audit-log?action=penalty.publish"))
        .bearer_auth(&regulator)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(audit["total"], 1);
    assert_eq!(audit["entries"][0]["actor_role"], "regulator");
    assert!(audit["entries"][0]["request_id"].is_string());

    // The same decision twice is a conflict naming the record.
    let (status, body) = post(
        decision(&uscc, "五市监处罚〔2026〕9001号"),
        Some(regulator.clone()),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("penalty_exists"))
    );

    // Bad input, each with its code; nothing written.
    let cases = [
        ("uscc", json!("91350100M000100Y44"), "invalid_uscc"),
        ("categories", json!(["打屁股"]), "invalid_category"),
        ("categories", json!([]), "missing_field"),
        ("fine_yuan", json!("-5"), "invalid_amount"),
        ("fine_yuan", json!("12.345"), "invalid_amount"),
        ("decided_on", json!("2999-01-01"), "future_date"),
        ("procedure", json!("quick"), "invalid_procedure"),
        ("facts", json!("  "), "missing_field"),
    ];
    for (n, (field, value, code)) in cases.iter().enumerate() {
        let mut body = decision(&uscc, &format!("五市监处罚〔2026〕95{n:02}号"));
        body[*field] = value.clone();
        let (status, problem) = post(body, Some(regulator.clone())).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (400, Some(*code)),
            "{field}: {problem}"
        );
    }
    let (status, problem) = post(json!({"nonsense": true}), Some(regulator.clone())).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_body"))
    );

    // The enterprise sees the penalty in its record, with when it stops counting and how
    // to end it early.
    let own = app.token_for("enterprise", Some(&uscc)).await;
    let record: serde_json::Value = app
        .client
        .get(app.url("/api/v1/me/record"))
        .bearer_auth(&own)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        record["penalties"][0]["decision_no"],
        "五市监处罚〔2026〕9001号"
    );
    let raise = record["what_would_raise_it"].as_array().unwrap();
    assert!(
        raise
            .iter()
            .any(|i| i["from"].is_string() && i["points"].as_i64() > Some(0)),
        "{raise:?}"
    );
    assert!(
        raise
            .iter()
            .any(|i| i["label_zh"].as_str().unwrap().contains("信用修复"))
    );

    // Consumers and enterprises may not publish.
    let (status, _) = post(decision(&uscc, "五市监处罚〔2026〕9100号"), None).await;
    assert_eq!(status, 401);
    let enterprise = app.token_for("enterprise", Some(&uscc)).await;
    let (status, _) = post(
        decision(&uscc, "五市监处罚〔2026〕9100号"),
        Some(enterprise),
    )
    .await;
    assert_eq!(status, 403);
    app.finish().await;
}

async fn a_simple_procedure_decision_is_recorded_but_never_public(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (uscc, before) = clean_merchant(&app).await;
    let regulator = app.token_for("regulator", None).await;
    let mut body = decision(&uscc, "五市监简罚〔2026〕7号");
    body["categories"] = json!(["警告"]);
    body["fine_yuan"] = serde_json::Value::Null;
    body["confiscated_yuan"] = serde_json::Value::Null;
    body["procedure"] = json!("simple");
    let r = app
        .client
        .post(app.url("/api/v1/admin/penalties"))
        .bearer_auth(regulator)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: serde_json::Value = r.json().await.unwrap();
    assert_eq!(created["status"], "not_public");
    assert!(created["publicity_end"].is_null());
    let (_, profile) = app.get_json(&format!("/api/v1/merchants/{uscc}")).await;
    assert!(
        profile["penalties_in_publicity"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(profile["score"]["score"].as_i64().unwrap(), before);
    app.finish().await;
}

async fn credit_repair_too_early_then_approved(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (uscc, before) = clean_merchant(&app).await;
    let regulator = app.token_for("regulator", None).await;
    let enterprise = app.token_for("enterprise", Some(&uscc)).await;
    let send = |path: String, token: String, body: serde_json::Value| {
        let app = &app;
        async move { app.post_json(&path, Some(&token), body).await }
    };
    let today = fangxin_core::clock::today(fangxin_core::clock::now());
    // One recent decision, one seven months old.
    let recent = decision(&uscc, "五市监处罚〔2026〕9201号");
    let mut old = decision(&uscc, "五市监处罚〔2026〕9202号");
    old["decided_on"] = json!((today - chrono::TimeDelta::days(213)).to_string());
    for d in [recent, old] {
        let (status, body) = send("/api/v1/admin/penalties".into(), regulator.clone(), d).await;
        assert_eq!(status, 201, "{body}");
    }
    let application = |no: &str| json!({"decision_no": no, "pledge": "本单位承诺依法经营", "evidence": "罚款缴纳凭证、整改报告"});

    let (status, problem) = send(
        "/api/v1/me/credit-repairs".into(),
        enterprise.clone(),
        application("五市监处罚〔2026〕9201号"),
    )
    .await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("too_early")));
    let eligible = today.checked_add_months(chrono::Months::new(6)).unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&eligible.to_string()),
        "{problem}"
    );

    let (status, applied) = send(
        "/api/v1/me/credit-repairs".into(),
        enterprise.clone(),
        application("五市监处罚〔2026〕9202号"),
    )
    .await;
    assert_eq!(status, 201, "{applied}");
    // The owner's page says the application waits, and offers no second form for it.
    let me = |token: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/me"))
                .header("cookie", format!("fangxin_session={token}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let page = me(enterprise.clone()).await;
    let card = |page: &str, no: &str| {
        let start = page
            .find(&format!("<strong>{no}</strong>"))
            .expect("the penalty has its card");
        page[start..]
            .split("<div class=\"card\" id=\"penalty-")
            .next()
            .unwrap_or("")
            .to_owned()
    };
    let waiting = card(&page, "五市监处罚〔2026〕9202号");
    assert!(waiting.contains("等待审核"), "{waiting}");
    assert!(
        !waiting.contains("/me/credit-repairs"),
        "no second application form"
    );
    assert!(
        card(&page, "五市监处罚〔2026〕9201号").contains("/me/credit-repairs"),
        "the other penalty keeps its form"
    );
    let (_, mid) = app
        .get_json(&format!("/api/v1/merchants/{uscc}/score"))
        .await;

    let path = format!("/api/v1/admin/credit-repairs/{}", applied["id"]);
    let (status, decided) = send(
        path,
        regulator.clone(),
        json!({"decision": "approved", "reason": "已履行处罚并完成整改"}),
    )
    .await;
    assert_eq!(
        (status, decided["status"].as_str()),
        (200, Some("approved")),
        "{decided}"
    );
    let (_, profile) = app.get_json(&format!("/api/v1/merchants/{uscc}")).await;
    let public: Vec<&str> = profile["penalties_in_publicity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["decision_no"].as_str().unwrap())
        .collect();
    assert_eq!(
        public,
        vec!["五市监处罚〔2026〕9201号"],
        "the repaired decision left publicity"
    );
    let (_, after) = app
        .get_json(&format!("/api/v1/merchants/{uscc}/score"))
        .await;
    assert!(after["score"].as_i64() > mid["score"].as_i64());
    // Repaired: the page no longer says it is public until a date, and shows the reason.
    let page = me(enterprise.clone()).await;
    let repaired = card(&page, "五市监处罚〔2026〕9202号");
    assert!(repaired.contains("已信用修复，停止公示"), "{repaired}");
    assert!(!repaired.contains("公示至"), "{repaired}");
    assert!(
        page.contains("理由：已履行处罚并完成整改"),
        "the clerk's reason is shown"
    );
    assert!(after["score"].as_i64() < Some(before));

    // Food, drugs and special equipment wait a year.
    let mut food = decision(&uscc, "五市监处罚〔2026〕9203号");
    food["decided_on"] = json!((today - chrono::TimeDelta::days(213)).to_string());
    food["special_sector"] = json!(true);
    let (status, _) = send("/api/v1/admin/penalties".into(), regulator.clone(), food).await;
    assert_eq!(status, 201);
    let (status, problem) = send(
        "/api/v1/me/credit-repairs".into(),
        enterprise.clone(),
        application("五市监处罚〔2026〕9203号"),
    )
    .await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("too_early")));
    assert!(problem["detail"].as_str().unwrap().contains("12 months"));

    // Another merchant's penalty is not found for this enterprise.
    let other = app
        .token_for("enterprise", Some(&app.search("").await.hits[5].uscc))
        .await;
    let (status, _) = send(
        "/api/v1/me/credit-repairs".into(),
        other,
        application("五市监处罚〔2026〕9201号"),
    )
    .await;
    assert_eq!(status, 404);
    app.finish().await;
}

async fn an_accepted_objection_revokes_the_penalty(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (uscc, before) = clean_merchant(&app).await;
    let regulator = app.token_for("regulator", None).await;
    let enterprise = app.token_for("enterprise", Some(&uscc)).await;
    let post = |path: String, token: String, body: serde_json::Value| {
        let app = &app;
        async move { app.post_json(&path, Some(&token), body).await }
    };
    let (status, penalty) = post(
        "/api/v1/admin/penalties".into(),
        regulator.clone(),
        decision(&uscc, "五市监处罚〔2026〕9301号"),
    )
    .await;
    assert_eq!(status, 201);
    let (status, objection) = post(
        "/api/v1/me/objections".into(),
        enterprise.clone(),
        json!({"record_kind": "penalty", "record_id": penalty["id"], "reason": "处罚对象错误，涉事门店不属于本单位"}),
    )
    .await;
    assert_eq!(status, 201, "{objection}");
    assert_eq!(objection["status"], "pending");
    // An unknown or foreign record is not found.
    let (status, _) = post(
        "/api/v1/me/objections".into(),
        enterprise.clone(),
        json!({"record_kind": "penalty", "record_id": 999_999, "reason": "x"}),
    )
    .await;
    assert_eq!(status, 404);

    let (status, decided) = post(
        format!("/api/v1/admin/objections/{}", objection["id"]),
        regulator.clone(),
        json!({"decision": "accepted", "reason": "经核实，当事人认定有误，撤销该决定"}),
    )
    .await;
    assert_eq!(
        (status, decided["status"].as_str()),
        (200, Some("accepted")),
        "{decided}"
    );
    let (_, profile) = app.get_json(&format!("/api/v1/merchants/{uscc}")).await;
    assert!(
        profile["penalties_in_publicity"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(profile["score"]["score"].as_i64(), Some(before));
    // Revoked, not deleted: the enterprise's record still lists it, marked.
    let record: serde_json::Value = app
        .client
        .get(app.url("/api/v1/me/record"))
        .bearer_auth(&enterprise)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(record["penalties"][0]["status"], "revoked");
    // Revoked like any revocation: the history names the objection and its reason.
    let (_, detail) = app
        .get_json_as(
            &format!("/api/v1/admin/penalties/{}", penalty["id"]),
            &regulator,
        )
        .await;
    let revision = &detail["revisions"][0];
    assert_eq!(revision["action"], "revocation", "{detail}");
    assert!(
        revision["reason"]
            .as_str()
            .unwrap()
            .contains("经核实，当事人认定有误"),
        "{revision}"
    );
    assert_eq!(revision["before"]["status"], "in_publicity");
    assert_eq!(revision["after"]["status"], "revoked");
    let (_, audit) = app
        .get_json_as(
            "/api/v1/admin/audit-log?entity=penalty&q=五市监处罚〔2026〕9301号",
            &regulator,
        )
        .await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["penalty.revoke", "penalty.publish"], "{audit}");
    let (status, again) = post(
        format!("/api/v1/admin/objections/{}", objection["id"]),
        regulator,
        json!({"decision": "rejected", "reason": "x"}),
    )
    .await;
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("already_decided"))
    );
    app.finish().await;
}

async fn a_correction_keeps_history_and_a_revocation_lifts_the_score(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (uscc, before) = clean_merchant(&app).await;
    let regulator = app.token_for("regulator", None).await;
    let (status, published) = app
        .post_json(
            "/api/v1/admin/penalties",
            Some(&regulator),
            decision(&uscc, "五市监处罚〔2026〕9101号"),
        )
        .await;
    assert_eq!(status, 201, "{published}");
    let id = published["id"].as_i64().unwrap();

    // The fine was mistyped: 20,000 yuan should have been 2,000.
    let mut corrected = decision(&uscc, "五市监处罚〔2026〕9101号");
    corrected["fine_yuan"] = json!("2000");
    let (status, detail) = app
        .post_json(
            &format!("/api/v1/admin/penalties/{id}/correction"),
            Some(&regulator),
            json!({"reason": "罚款金额录入错误，依决定书原件更正", "record": corrected}),
        )
        .await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["penalty"]["fine_fen"], 200_000);
    let revisions = detail["revisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 1);
    assert_eq!(revisions[0]["action"], "correction");
    assert_eq!(revisions[0]["before"]["fine_fen"], 2_000_000);
    assert_eq!(revisions[0]["after"]["fine_fen"], 200_000);
    // The public sees the corrected decision and its history.
    let (status, public) = app.get_json(&format!("/api/v1/penalties/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        public["revisions"][0]["reason"],
        "罚款金额录入错误，依决定书原件更正"
    );

    // A correction cannot renumber the decision.
    let renumbered = decision(&uscc, "五市监处罚〔2026〕9102号");
    let (status, body) = app
        .post_json(
            &format!("/api/v1/admin/penalties/{id}/correction"),
            Some(&regulator),
            json!({"reason": "x", "record": renumbered}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("decision_no_changed"))
    );

    let (_, score) = app
        .get_json(&format!("/api/v1/merchants/{uscc}/score"))
        .await;
    assert!(score["score"].as_i64().unwrap() < before);
    let (status, detail) = app
        .post_json(
            &format!("/api/v1/admin/penalties/{id}/revocation"),
            Some(&regulator),
            json!({"reason": "行政复议决定撤销原处罚决定"}),
        )
        .await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["penalty"]["status"], "revoked");
    assert_eq!(detail["revisions"].as_array().unwrap().len(), 2);
    let (_, score) = app
        .get_json(&format!("/api/v1/merchants/{uscc}/score"))
        .await;
    assert_eq!(
        score["score"].as_i64(),
        Some(before),
        "a revoked decision stops counting"
    );
    let (status, _) = app.get_json(&format!("/api/v1/penalties/{id}")).await;
    assert_eq!(status, 404, "a revoked decision leaves publicity");
    let (status, body) = app
        .post_json(
            &format!("/api/v1/admin/penalties/{id}/revocation"),
            Some(&regulator),
            json!({"reason": "again"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("penalty_revoked"))
    );
    let (status, admin_view) = app
        .get_json_as(&format!("/api/v1/admin/penalties/{id}"), &regulator)
        .await;
    assert_eq!(
        (status, admin_view["penalty"]["status"].as_str()),
        (200, Some("revoked"))
    );
    app.finish().await;
}

/// Two regulators publish the same decision number at the same moment: one is recorded,
/// the other is told which decision already holds the number — never a 500.
async fn the_same_decision_published_twice_at_once_is_a_conflict(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (uscc, _) = clean_merchant(&app).await;
    let regulator = app.token_for("regulator", None).await;
    let no = "五市监处罚〔2026〕9401号";
    let publish = || {
        app.post_json(
            "/api/v1/admin/penalties",
            Some(&regulator),
            decision(&uscc, no),
        )
    };
    let ((a, body_a), (b, body_b)) = tokio::join!(publish(), publish());
    let mut statuses = [a, b];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{body_a} {body_b}");
    let (conflict, recorded) = if a == 409 {
        (&body_a, &body_b)
    } else {
        (&body_b, &body_a)
    };
    assert_eq!(conflict["code"], "penalty_exists", "{conflict}");
    let detail = conflict["detail"].as_str().unwrap();
    assert!(
        detail.contains(no) && detail.contains(&format!("penalty {}", recorded["id"])),
        "{detail}"
    );
    let (_, list) = app.get_json("/api/v1/penalties?per_page=100").await;
    let copies = list["penalties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["decision_no"] == no)
        .count();
    assert_eq!(copies, 1);
    app.finish().await;
}

/// The penalty list pages by key: following `next_cursor` and then `prev_cursor` walks
/// every decision in publicity once each way, in the order of the numbered pages, through
/// decisions that share a date; the portal's pager carries the same cursors.
async fn the_penalty_list_pages_by_key_both_ways(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let regulator = app.token_for("regulator", None).await;
    // Seventeen decisions of one day: pages break between rows that share a date, and the
    // portal's list (20 a page) has more than one page.
    let (uscc, _) = clean_merchant(&app).await;
    for n in 0..17 {
        let no = format!("五市监处罚〔2026〕97{n:02}号");
        let (status, body) = app
            .post_json(
                "/api/v1/admin/penalties",
                Some(&regulator),
                decision(&uscc, &no),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (_, all) = app.get_json("/api/v1/penalties?per_page=200").await;
    let total = all["total"].as_u64().unwrap();
    assert!(total > 20, "{total}");
    let ids = |page: &serde_json::Value| -> Vec<i64> {
        page["penalties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_i64().unwrap())
            .collect()
    };
    let everything = ids(&all);
    assert!(all.get("next_cursor").is_none(), "one page holds them all");

    // Forward, three at a time.
    let (_, mut page) = app.get_json("/api/v1/penalties?per_page=3").await;
    assert!(page.get("prev_cursor").is_none(), "nothing before page 1");
    let mut forward = ids(&page);
    let mut number = 1;
    while let Some(cursor) = page["next_cursor"].as_str().map(str::to_owned) {
        let (status, next) = app
            .get_json(&format!("/api/v1/penalties?per_page=3&after={cursor}"))
            .await;
        assert_eq!(status, 200, "{next}");
        number += 1;
        assert_eq!(next["page"], number, "a page by key knows its number");
        assert_eq!(next["total"], total);
        // The same rows as the numbered page.
        let (_, numbered) = app
            .get_json(&format!("/api/v1/penalties?per_page=3&page={number}"))
            .await;
        assert_eq!(ids(&next), ids(&numbered));
        forward.extend(ids(&next));
        page = next;
    }
    assert_eq!(forward, everything, "each decision once, in order");
    assert_eq!(number, total.div_ceil(3));

    // And back from the last page.
    let mut backward = ids(&page);
    while let Some(cursor) = page["prev_cursor"].as_str().map(str::to_owned) {
        let (status, prev) = app
            .get_json(&format!("/api/v1/penalties?per_page=3&before={cursor}"))
            .await;
        assert_eq!(status, 200, "{prev}");
        number -= 1;
        assert_eq!(prev["page"], number);
        let mut rows = ids(&prev);
        rows.extend(backward);
        backward = rows;
        page = prev;
    }
    assert_eq!(number, 1);
    assert_eq!(backward, everything);

    // A cursor this service did not write, or a cursor with a page number, is refused.
    for bad in [
        "after=yesterday",
        "before=2026-01-01.x.2",
        "after=2026-01-01.5.2&page=3",
    ] {
        let (status, body) = app.get_json(&format!("/api/v1/penalties?{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            ["invalid_cursor", "invalid_paging"].contains(&body["code"].as_str().unwrap()),
            "{body}"
        );
    }

    // The portal's pager follows the same keys and says where the visitor is.
    let pages = total.div_ceil(20);
    let html = app.get("/penalties").await.text().await.unwrap();
    assert!(html.contains(&format!("第 1 页，共 {pages} 页")), "{html}");
    let start = html.find("/penalties?after=").expect("a next link by key");
    let href: String = html[start..].chars().take_while(|c| *c != '"').collect();
    let second = app.get(&href).await.text().await.unwrap();
    assert!(
        second.contains(&format!("第 2 页，共 {pages} 页")),
        "{second}"
    );
    assert!(second.contains("href=\"/penalties\" rel=\"prev\""));
    // An unreadable cursor in the portal shows the first page, not an error.
    let response = app.get("/penalties?after=nonsense").await;
    assert_eq!(response.status(), 200);
    app.finish().await;
}

crate::on_every_backend!(
    the_penalty_list_pages_by_key_both_ways,
    the_same_decision_published_twice_at_once_is_a_conflict,
    a_correction_keeps_history_and_a_revocation_lifts_the_score,
    an_accepted_objection_revokes_the_penalty,
    credit_repair_too_early_then_approved,
    a_published_penalty_reaches_profile_score_and_search,
    a_simple_procedure_decision_is_recorded_but_never_public,
);
