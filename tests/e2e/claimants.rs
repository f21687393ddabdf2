//! Professional claimants: flagged by the assessment, reviewed by a person, and only then
//! down-weighted in scores.

use std::collections::BTreeSet;

use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::helpers::{Backend, Options, TestApp};

async fn queue(app: &TestApp, token: &str, status: &str) -> Vec<Value> {
    let mut items = Vec::new();
    for page in 1.. {
        let (code, body) = app
            .get_json_as(
                &format!("/api/v1/admin/claimants?status={status}&per_page=200&page={page}"),
                token,
            )
            .await;
        assert_eq!(code, 200, "{body}");
        let got = body["items"].as_array().unwrap().clone();
        let done = got.len() < 200;
        items.extend(got);
        if done {
            break;
        }
    }
    items
}

fn keys(items: &[Value]) -> BTreeSet<String> {
    items
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_owned())
        .collect()
}

/// A demo district big enough for its heavy ordinary complainants to be heavy.
async fn district(backend: Backend) -> TestApp {
    TestApp::spawn_with(
        backend,
        Options {
            demo_merchants: Some(1_000),
            ..Default::default()
        },
    )
    .await
}

async fn the_demo_claimants_are_flagged_and_heavy_ordinary_complainants_are_not(backend: Backend) {
    let app = district(backend).await;
    let regulator = app.token_for("regulator", None).await;
    let flagged = queue(&app, &regulator, "flagged").await;
    let everyone = queue(&app, &regulator, "all").await;
    let flagged_keys = keys(&flagged);
    // The demo's professional claimants are `pc…`, its heavy ordinary complainants `hc…`.
    let professionals: BTreeSet<String> = keys(&everyone)
        .into_iter()
        .filter(|k| k.starts_with("pc"))
        .collect();
    assert_eq!(professionals.len(), 3, "{everyone:?}");
    assert_eq!(flagged_keys, professionals, "precision and recall are 1");
    let heavy: Vec<&Value> = everyone
        .iter()
        .filter(|i| i["key"].as_str().unwrap().starts_with("hc"))
        .collect();
    for i in &everyone {
        eprintln!(
            "{} {} {} 90d={} 365d={} signals={}",
            i["key"],
            i["status"],
            i["risk_level"],
            i["complaints_90_days"],
            i["complaints_365_days"],
            i["signals"].as_array().unwrap().len()
        );
    }
    assert!(
        !heavy.is_empty(),
        "the demo has heavy ordinary complainants"
    );
    for h in heavy {
        assert_eq!(h["status"], "watch", "{h}");
        assert!(h["complaints_365_days"].as_i64().unwrap() >= 20, "{h}");
        assert!(h["signals"].as_array().unwrap().len() >= 2, "{h}");
    }
    // Highest risk first, each with the signals that fired and their thresholds.
    let first = &flagged[0];
    assert_eq!(first["risk_level"], "high");
    let signal = &first["signals"][0];
    assert!(signal["figure"].as_f64().unwrap() >= signal["threshold"].as_f64().unwrap());
    assert!(signal["label_zh"].as_str().is_some());

    // The claim file lists every complaint with its merchant and outcome.
    let key = first["key"].as_str().unwrap();
    let (code, file) = app
        .get_json_as(&format!("/api/v1/admin/claimants/{key}"), &regulator)
        .await;
    assert_eq!(code, 200, "{file}");
    let complaints = file["complaints"].as_array().unwrap();
    assert_eq!(
        complaints.len() as u64,
        file["totals"]["complaints"].as_u64().unwrap()
    );
    assert!(complaints.len() > 50);
    assert!(complaints[0]["merchant_uscc"].is_string());
    assert!(file["totals"]["merchants"].as_u64().unwrap() > 10);
    assert_eq!(file["assessment"]["level"], "high");

    // Unknown keys and bad filters are clear errors.
    let (code, problem) = app
        .get_json_as("/api/v1/admin/claimants/nobody", &regulator)
        .await;
    assert_eq!(
        (code, problem["code"].as_str()),
        (404, Some("claimant_not_found"))
    );
    let (code, problem) = app
        .get_json_as("/api/v1/admin/claimants?status=maybe", &regulator)
        .await;
    assert_eq!((code, problem["field"].as_str()), (400, Some("status")));
    app.finish().await;
}

/// Complaints `from..to` of one complainant's flood against one merchant (ticket numbers
/// by position, so later parts of a flood are new tickets).
fn flood_ndjson(uscc: &str, name: &str, key: &str, from: usize, to: usize) -> String {
    let channels = ["12315", "internet", "12345"];
    let categories = ["food_label", "expiry", "false_advertising"];
    let mut out = String::new();
    for i in from..to {
        let received = fangxin_core::clock::now() - TimeDelta::days(1 + (i % 80) as i64);
        out.push_str(
            &json!({
                "channel": channels[i % 3],
                "ticket_no": format!("FLOOD{i:05}"),
                "kind": "complaint",
                "uscc": uscc,
                "merchant_name": name,
                "received_at": received.format("%Y-%m-%d %H:%M:%S").to_string(),
                "category": categories[i % 3],
                "complainant_key": key,
                "text": "所购食品标签不规范，要求十倍赔偿。",
                "punitive_demand": true,
                "purchase_quantity": 30,
            })
            .to_string(),
        );
        out.push('\n');
    }
    out
}

async fn score_of(app: &TestApp, uscc: &str) -> i64 {
    let (code, body) = app
        .get_json(&format!("/api/v1/merchants/{uscc}/score"))
        .await;
    assert_eq!(code, 200, "{body}");
    let factors: Vec<String> = body["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{}={}", f["code"], f["points"]))
        .collect();
    eprintln!("{uscc}: {} {factors:?}", body["score"]);
    body["score"].as_i64().unwrap()
}

async fn a_confirmed_flood_moves_a_score_by_two_points_at_most(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let regulator = app.token_for("regulator", None).await;
    // A merchant with complaints of its own already (the harder case: the flood must not
    // shift the industry's mean either).
    let hits = app.search("").await.hits;
    let mut target = &hits[0];
    for hit in &hits {
        let (_, body) = app
            .get_json(&format!("/api/v1/merchants/{}/score", hit.uscc))
            .await;
        // A merchant whose complaints cost points, and whose grade no record caps (under a
        // cap, a flood's points would hide below it).
        if body["factors"].as_array().is_some_and(|f| {
            f.iter().any(|f| f["code"] == "complaints")
                && !f
                    .iter()
                    .any(|f| f["code"].as_str().is_some_and(|c| c.starts_with("cap")))
        }) {
            target = hit;
            break;
        }
    }
    let before = score_of(&app, &target.uscc).await;

    // Two hundred claims from one complainant against one merchant, imported at once.
    let (code, report) = app
        .post_raw(
            "/api/v1/admin/imports/complaints",
            Some(&regulator),
            "application/x-ndjson",
            flood_ndjson(&target.uscc, &target.name, "pcflood01", 0, 200),
        )
        .await;
    assert_eq!(code, 200, "{report}");
    // Unreviewed, the flood counts in full: an algorithm alone never lowers a weight.
    let unreviewed = score_of(&app, &target.uscc).await;
    assert!(unreviewed < before - 10, "{before} -> {unreviewed}");
    let flagged = keys(&queue(&app, &regulator, "flagged").await);
    assert!(flagged.contains("pcflood01"), "{flagged:?}");

    // A reason is required.
    let path = "/api/v1/admin/claimants/pcflood01/review";
    let (code, problem) = app
        .post_json(
            path,
            Some(&regulator),
            json!({"decision": "confirm", "reason": "  "}),
        )
        .await;
    assert_eq!((code, problem["field"].as_str()), (400, Some("reason")));

    let (code, outcome) = app
        .post_json(
            path,
            Some(&regulator),
            json!({"decision": "confirm", "reason": "二百件标签投诉，均要求十倍赔偿，核实为职业索赔"}),
        )
        .await;
    assert_eq!(code, 200, "{outcome}");
    assert_eq!(outcome["claimant"]["status"], "confirmed");
    assert_eq!(outcome["merchants_rescored"], 1);
    let confirmed = score_of(&app, &target.uscc).await;
    assert!(
        (before - confirmed).abs() <= 2,
        "{before} -> {confirmed} once confirmed"
    );
    assert!(!keys(&queue(&app, &regulator, "flagged").await).contains("pcflood01"));

    // Audited, with the reason and who decided.
    let (_, audit) = app
        .get_json_as(
            "/api/v1/admin/audit-log?entity=claimant&entity_id=pcflood01",
            &regulator,
        )
        .await;
    assert_eq!(audit["entries"][0]["action"], "claimant.confirm");

    // The enterprise learns only that some complaints weigh less after review; the
    // public sees nothing of it.
    let owner = app.token_for("enterprise", Some(&target.uscc)).await;
    let (code, record) = app.get_json_as("/api/v1/me/record", &owner).await;
    assert_eq!(code, 200);
    let note = record["reviewed_complaints_note"].as_str().unwrap();
    assert!(!note.contains("pcflood01"), "{note}");
    let text = record.to_string();
    assert!(!text.contains("pcflood01"));
    let page = app
        .get(&format!("/m/{}", target.uscc))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("pcflood01") && !page.contains("职业索赔"));

    // Cleared, the complaints count in full again.
    let (code, _) = app
        .post_json(
            path,
            Some(&regulator),
            json!({"decision": "clear", "reason": "复核后认定为正常消费维权"}),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(score_of(&app, &target.uscc).await, unreviewed);
    // A cleared complainant stays cleared while the record does not worsen.
    fangxin_core::claimants::reassess_all(
        &app.state.db,
        &app.state.scoring.model.claimants,
        fangxin_core::clock::now(),
    )
    .await
    .unwrap();
    let cleared = keys(&queue(&app, &regulator, "cleared").await);
    assert!(cleared.contains("pcflood01"));

    // More of the same: the row on record follows the counts, and the decision stands.
    let flood_row = |items: Vec<Value>| {
        items
            .into_iter()
            .find(|i| i["key"] == "pcflood01")
            .unwrap_or_else(|| panic!("pcflood01 is not in the queue"))
    };
    let more = |from, to| flood_ndjson(&target.uscc, &target.name, "pcflood01", from, to);
    let import = "/api/v1/admin/imports/complaints";
    let ndjson = "application/x-ndjson";
    let (code, report) = app
        .post_raw(import, Some(&regulator), ndjson, more(200, 300))
        .await;
    assert_eq!(code, 200, "{report}");
    let row = flood_row(queue(&app, &regulator, "cleared").await);
    assert_eq!(row["complaints_365_days"], 300, "{row}");
    assert_eq!(row["risk_level"], "high", "{row}");
    // Confirmed again, then more: still confirmed, at the weight the decision set.
    let (code, _) = app
        .post_json(
            path,
            Some(&regulator),
            json!({"decision": "confirm", "reason": "新增投诉仍为职业索赔"}),
        )
        .await;
    assert_eq!(code, 200);
    let weight = flood_row(queue(&app, &regulator, "confirmed").await)["weight"].clone();
    let (code, report) = app
        .post_raw(import, Some(&regulator), ndjson, more(300, 350))
        .await;
    assert_eq!(code, 200, "{report}");
    let row = flood_row(queue(&app, &regulator, "confirmed").await);
    assert_eq!(row["complaints_365_days"], 350, "{row}");
    assert_eq!(row["weight"], weight, "{row}");
    assert_eq!(row["status"], "confirmed", "{row}");
    app.finish().await;
}

async fn a_reassessment_from_one_pass_finds_what_one_by_key_does(backend: Backend) {
    use sea_orm::ConnectionTrait;
    let postgres = matches!(backend, Backend::Postgres(_));
    let app = district(backend).await;
    let regulator = app.token_for("regulator", None).await;
    let db = &app.state.db;
    let model = &app.state.scoring.model.claimants;
    let now = fangxin_core::clock::now();
    let before = queue(&app, &regulator, "all").await;
    assert!(before.len() >= 6, "{before:?}");
    // Two complainants on record whose complaints have all aged out, one sorted before
    // every complainant with complaints and one after: their flags fade.
    let gone = ["aa0gone", "zz9gone"];
    for key in gone {
        use fangxin_core::store::entities::claimant_review;
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        claimant_review::ActiveModel {
            complainant_key: Set(key.to_owned()),
            status: Set("flagged".into()),
            risk_level: Set("high".into()),
            signals: Set(json!([])),
            weight: Set(0.1),
            complaints_90_days: Set(12),
            complaints_365_days: Set(40),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
    }
    let mut keys: Vec<String> = keys(&before).into_iter().collect();
    keys.extend(gone.map(str::to_owned));
    // Every row stale: each is written again.
    let stale = "UPDATE claimant_reviews SET complaints_365_days = 0, assessed_on = NULL";
    db.execute_unprepared(stale).await.unwrap();
    let all = fangxin_core::claimants::reassess_in_one_pass(db, keys.clone(), model, now)
        .await
        .unwrap();
    assert_eq!(all.one_pass, postgres);
    let one_pass = queue(&app, &regulator, "all").await;
    db.execute_unprepared(stale).await.unwrap();
    let by_key = fangxin_core::claimants::reassess(db, &keys, model, now)
        .await
        .unwrap();
    assert!(!by_key.one_pass);
    assert_eq!(
        (all.assessed, all.flagged),
        (by_key.assessed, by_key.flagged)
    );
    let looked_up = queue(&app, &regulator, "all").await;
    assert_eq!(one_pass, looked_up);
    for row in &one_pass {
        let aged_out = gone.contains(&row["key"].as_str().unwrap());
        assert_eq!(row["complaints_365_days"] == 0, aged_out, "{row}");
        assert_eq!(row["risk_level"] == "none", aged_out, "{row}");
    }
    assert_eq!(one_pass.len(), before.len() + gone.len());
    app.finish().await;
}

crate::on_every_backend!(
    a_reassessment_from_one_pass_finds_what_one_by_key_does,
    the_demo_claimants_are_flagged_and_heavy_ordinary_complainants_are_not,
    a_confirmed_flood_moves_a_score_by_two_points_at_most,
);
