//! Enrolment under the entry rules; a refusal names the rule.

use fangxin_core::store::entities::{merchant, penalty, trusted_enrolment};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{Backend, TestApp};

async fn enrolment_follows_the_entry_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = &app.state.db;
    let today = fangxin_core::clock::today(fangxin_core::clock::now());
    let enrolled: Vec<i64> = trusted_enrolment::Entity::find()
        .all(db)
        .await
        .unwrap()
        .iter()
        .map(|t| t.merchant_id)
        .collect();
    let penalised: Vec<i64> = penalty::Entity::find()
        .all(db)
        .await
        .unwrap()
        .iter()
        .map(|p| p.merchant_id)
        .collect();
    let merchants = merchant::Entity::find()
        .filter(merchant::Column::Status.eq("operating"))
        .all(db)
        .await
        .unwrap();
    let old_clean = merchants
        .iter()
        .find(|m| {
            m.established_on
                .is_some_and(|d| (today - d).num_days() > 800)
                && !enrolled.contains(&m.id)
                && !penalised.contains(&m.id)
        })
        .expect("an established clean merchant");
    let young = merchants
        .iter()
        .find(|m| {
            m.established_on
                .is_some_and(|d| (today - d).num_days() < 300)
                && !enrolled.contains(&m.id)
        })
        .expect("a young merchant");
    let regulator = app.token_for("regulator", None).await;
    let post = |path: String, body: serde_json::Value| {
        let (app, token) = (&app, regulator.clone());
        async move { app.post_json(&path, Some(&token), body).await }
    };
    let (_, before) = app
        .get_json(&format!("/api/v1/merchants/{}/score", old_clean.uscc))
        .await;
    let (status, enrolment) = post(
        "/api/v1/admin/trusted".into(),
        json!({"uscc": old_clean.uscc, "level": "pledged", "pledges": ["advance_compensation", "no_reason_returns"]}),
    )
    .await;
    assert_eq!(status, 201, "{enrolment}");
    let (_, after) = app
        .get_json(&format!("/api/v1/merchants/{}/score", old_clean.uscc))
        .await;
    assert!(
        after["score"].as_i64() > before["score"].as_i64(),
        "{after}"
    );

    let (status, problem) = post(
        "/api/v1/admin/trusted".into(),
        json!({"uscc": young.uscc, "level": "pledged"}),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("entry_rule"))
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("at least one year in business"),
        "{problem}"
    );

    let (status, problem) = post(
        "/api/v1/admin/trusted".into(),
        json!({"uscc": old_clean.uscc, "level": "gold"}),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_level"))
    );

    // Suspend, then upgrade and reinstate after review.
    let id = enrolment["id"].as_i64().unwrap();
    let (status, body) = post(
        format!("/api/v1/admin/trusted/{id}"),
        json!({"status": "suspended", "reason": "群众举报，待核查"}),
    )
    .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("suspended")));
    let (_, suspended) = app
        .get_json(&format!("/api/v1/merchants/{}/score", old_clean.uscc))
        .await;
    assert_eq!(
        suspended["score"], before["score"],
        "a suspended pledge adds nothing"
    );
    let (status, body) = post(
        format!("/api/v1/admin/trusted/{id}"),
        json!({"status": "active", "level": "demonstration", "reason": "核查无问题，评为示范单位"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["level_label"], "示范单位");

    // A broken pledge: revoked, the unit loses its bonus and more, for a year, and the
    // explanation says until when; a revoked enrolment is never changed again.
    let (status, body) = post(
        format!("/api/v1/admin/trusted/{id}"),
        json!({"status": "revoked", "reason": "拒不履行先行赔付承诺"}),
    )
    .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("revoked")));
    let (_, revoked) = app
        .get_json(&format!("/api/v1/merchants/{}/score", old_clean.uscc))
        .await;
    assert!(
        revoked["score"].as_i64() < before["score"].as_i64(),
        "{revoked}"
    );
    let factor = revoked["factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "trusted_revoked")
        .unwrap_or_else(|| panic!("{revoked}"))
        .clone();
    assert_eq!(
        factor["expires_at"].as_str().unwrap(),
        (today + chrono::TimeDelta::days(365)).to_string()
    );
    let (status, problem) = post(
        format!("/api/v1/admin/trusted/{id}"),
        json!({"level": "pledged", "reason": "改级"}),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("invalid_transition"))
    );
    app.finish().await;
}

crate::on_every_backend!(enrolment_follows_the_entry_rules);
