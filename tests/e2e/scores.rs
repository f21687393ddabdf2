//! Scores: explained over the API, kept current by writes, the sweep and full rescores.

use chrono::TimeDelta;
use fangxin_core::scores::{self, FullRescore, rescore_all, rescore_due};
use fangxin_core::store::entities::{merchant, penalty, score, score_history};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use tokio::sync::watch;

use crate::helpers::{Backend, TestApp};

async fn penalised_merchant(app: &TestApp) -> (merchant::Model, penalty::Model) {
    let today = fangxin_core::clock::today(fangxin_core::clock::now());
    let p = penalty::Entity::find()
        .filter(penalty::Column::Status.eq("in_publicity"))
        .filter(penalty::Column::PublicityEnd.gte(today))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("a penalty in publicity in the demo");
    let m = merchant::Entity::find_by_id(p.merchant_id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    (m, p)
}

async fn the_score_explains_itself(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (m, p) = penalised_merchant(&app).await;
    let (status, body) = app
        .get_json(&format!("/api/v1/merchants/{}/score", m.uscc))
        .await;
    assert_eq!(status, 200, "{body}");
    let factors = body["factors"].as_array().unwrap();
    let sum: i64 = factors.iter().map(|f| f["points"].as_i64().unwrap()).sum();
    assert_eq!(
        body["base"].as_i64().unwrap() + sum,
        body["score"].as_i64().unwrap()
    );
    let penalty_factor = factors
        .iter()
        .find(|f| {
            f["records"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["kind"] == "penalty" && r["id"] == p.id)
        })
        .expect("the penalty is a factor");
    assert!(penalty_factor["points"].as_i64().unwrap() < 0);
    assert!(
        penalty_factor["label_zh"]
            .as_str()
            .unwrap()
            .contains(&p.decision_no)
    );
    assert_eq!(
        penalty_factor["expires_at"].as_str().unwrap(),
        (p.publicity_end.unwrap() + TimeDelta::days(1)).to_string()
    );
    assert_eq!(body["model_version"], "v2.1");

    let (status, body) = app
        .get_json(&format!("/api/v1/merchants/{}/score-history", m.uscc))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["history"].as_array().unwrap().len(), 1);

    let (status, body) = app
        .get_json("/api/v1/merchants/91350100M000100Y43/score")
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "merchant_not_found");
    app.finish().await;
}

async fn the_sweep_rescores_when_publicity_ends(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (m, p) = penalised_merchant(&app).await;
    let before = score::Entity::find_by_id(m.id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(before.next_due_on.is_some());

    // Nothing is due today (the demo was scored just now).
    let (rescored, _) = rescore_due(
        &app.state.db,
        &app.state.scoring,
        fangxin_core::clock::now(),
    )
    .await
    .unwrap();
    assert_eq!(rescored, 0);

    // The day after publicity ends, the penalty stops counting.
    let later = (p.publicity_end.unwrap() + TimeDelta::days(1))
        .and_hms_opt(3, 0, 0)
        .unwrap()
        .and_utc();
    let touched = fangxin_core::penalties::end_due_publicity(&app.state.db, later)
        .await
        .unwrap();
    assert!(touched.contains(&m.id));
    let expired = penalty::Entity::find_by_id(p.id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(expired.status, "expired");
    let (rescored, changed) = rescore_due(&app.state.db, &app.state.scoring, later)
        .await
        .unwrap();
    assert!(rescored >= 1 && changed >= 1);
    let after = score::Entity::find_by_id(m.id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let factors: Vec<fangxin_scoring::Factor> = serde_json::from_value(after.factors).unwrap();
    assert!(!factors.iter().any(|f| {
        f.records
            .iter()
            .any(|r| r.kind == "penalty" && r.id == p.id)
    }));
    assert!(after.score >= before.score);
    if after.score != before.score {
        let history = score_history::Entity::find()
            .filter(score_history::Column::MerchantId.eq(m.id))
            .count(&app.state.db)
            .await
            .unwrap();
        assert_eq!(history, 2);
    }
    app.finish().await;
}

async fn a_full_rescore_stops_and_resumes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = app.state.db.clone();
    // Change the model so every score is recomputed under a new version.
    let mut scoring = (*app.state.scoring).clone();
    scoring.model.version = "v1.0-test".into();
    scoring.model.base = 80.0;

    let small = FullRescore {
        restart: false,
        batch_size: 50,
    };
    let (stop_tx, stop_rx) = watch::channel(true);
    let first = rescore_all(&db, &scoring, fangxin_core::clock::now(), small, stop_rx)
        .await
        .unwrap();
    assert!(first.interrupted);
    assert!(first.rescored > 0 && first.rescored < 300, "{first:?}");
    drop(stop_tx);

    let (_keep, running) = watch::channel(false);
    let second = rescore_all(&db, &scoring, fangxin_core::clock::now(), small, running)
        .await
        .unwrap();
    assert!(!second.interrupted);
    assert!(second.resumed_after.is_some());
    assert_eq!(first.rescored + second.rescored, 300);
    let on_new_model = score::Entity::find()
        .filter(score::Column::ModelVersion.eq("v1.0-test"))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(on_new_model, 300);

    // A third run starts from the beginning: nothing left to resume.
    let (_keep, running) = watch::channel(false);
    let third = rescore_all(&db, &scoring, fangxin_core::clock::now(), small, running)
        .await
        .unwrap();
    assert_eq!(third.resumed_after, None);
    assert_eq!(third.rescored, 300);
    app.finish().await;
}

/// A full rescore reads every complaint in one pass sorted by merchant and hands each page
/// of merchants its share: what it stores, stopped and resumed midway, is what scoring the
/// merchants by their own queries stores.
async fn a_full_rescore_scores_as_the_merchants_alone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = app.state.db.clone();
    let scoring = (*app.state.scoring).clone();
    let now = fangxin_core::clock::now();
    let small = FullRescore {
        restart: true,
        batch_size: 7,
    };
    let (_stopped, stop) = watch::channel(true);
    let first = rescore_all(&db, &scoring, now, small, stop).await.unwrap();
    assert!(first.interrupted, "{first:?}");
    let (_keep, running) = watch::channel(false);
    let resume = FullRescore {
        restart: false,
        ..small
    };
    let second = rescore_all(&db, &scoring, now, resume, running)
        .await
        .unwrap();
    assert!(second.resumed_after.is_some() && !second.interrupted);
    let by_full = score::Entity::find().all(&db).await.unwrap();
    assert_eq!(by_full.len(), 300);
    assert!(
        by_full
            .iter()
            .any(|s| s.factors.to_string().contains("complaint")),
        "some scores weigh complaints"
    );

    // The same merchants, each batch's complaints read by its own query.
    score::Entity::delete_many().exec(&db).await.unwrap();
    let baselines = scores::baselines::refresh(&db, now, &scoring)
        .await
        .unwrap();
    let ids: Vec<i64> = by_full.iter().map(|s| s.merchant_id).collect();
    for chunk in ids.chunks(7) {
        scores::rescore(&db, chunk, &scoring, &baselines, now, false)
            .await
            .unwrap();
    }
    let mut alone = score::Entity::find().all(&db).await.unwrap();
    let mut by_full = by_full;
    alone.sort_by_key(|s| s.merchant_id);
    by_full.sort_by_key(|s| s.merchant_id);
    assert_eq!(alone.len(), by_full.len());
    for (a, f) in alone.iter().zip(&by_full) {
        assert_eq!(a, f, "merchant {}", a.merchant_id);
    }
    app.finish().await;
}

async fn a_confirmed_claimant_weighs_less_in_scores(backend: Backend) {
    use fangxin_core::store::entities::{claimant_review, complaint};
    let app = TestApp::spawn(backend).await;
    let db = app.state.db.clone();
    // The demo's professional claimants have keys pc00000…; pick the busiest merchant of one.
    let complaints = complaint::Entity::find()
        .filter(complaint::Column::ComplainantKey.eq("pc00000"))
        .all(&db)
        .await
        .unwrap();
    assert!(!complaints.is_empty());
    let merchant_id = complaints[0].merchant_id.unwrap();
    for c in complaints
        .iter()
        .filter(|c| c.merchant_id == Some(merchant_id))
        .take(1)
    {
        // Flood that merchant with the same claimant's complaints.
        for n in 0..30 {
            let mut flood: complaint::ActiveModel = c.clone().into();
            flood.id = sea_orm::ActiveValue::NotSet;
            flood.ticket_no = Set(format!("FLOOD{n:04}"));
            flood.status = Set("withdrawn".into());
            flood.received_at = Set(fangxin_core::clock::now() - TimeDelta::days(3));
            flood.insert(&db).await.unwrap();
        }
    }
    scores::rescore_one(
        &db,
        merchant_id,
        &app.state.scoring,
        fangxin_core::clock::now(),
    )
    .await
    .unwrap();
    let flooded = score::Entity::find_by_id(merchant_id)
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .score;

    let now = fangxin_core::clock::now();
    // The assessment flagged the demo's claimant already; a regulator's confirmation
    // replaces the flag.
    claimant_review::Entity::delete_many()
        .filter(claimant_review::Column::ComplainantKey.eq("pc00000"))
        .exec(&db)
        .await
        .unwrap();
    claimant_review::ActiveModel {
        complainant_key: Set("pc00000".into()),
        status: Set("confirmed".into()),
        risk_level: Set("high".into()),
        signals: Set(serde_json::json!([])),
        weight: Set(0.1),
        reason: Set(Some("test".into())),
        reviewed_by: Set(None),
        reviewed_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    scores::rescore_one(
        &db,
        merchant_id,
        &app.state.scoring,
        fangxin_core::clock::now(),
    )
    .await
    .unwrap();
    let reviewed = score::Entity::find_by_id(merchant_id)
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .score;
    assert!(reviewed > flooded, "{reviewed} > {flooded}");
    app.finish().await;
}

/// A write stands once committed, even when the rescore after it fails: the answer is a
/// success, the score says it is pending, and the sweep brings it up to date.
async fn a_failed_rescore_after_a_write_is_finished_by_the_sweep(backend: Backend) {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn(backend).await;
    let db = &app.state.db;
    let regulator = app.token_for("regulator", None).await;
    let (_, found) = app
        .get_json("/api/v1/merchants/search?grade=A&per_page=1")
        .await;
    let uscc = found["hits"][0]["uscc"]
        .as_str()
        .expect("a merchant graded A")
        .to_owned();
    let (_, before) = app
        .get_json(&format!("/api/v1/merchants/{uscc}/score"))
        .await;
    assert_eq!(before["pending"], false, "{before}");

    // Break the rescore, not the write: score history cannot be written.
    db.execute_unprepared("ALTER TABLE score_history RENAME TO score_history_away")
        .await
        .unwrap();
    let today = fangxin_core::clock::today(fangxin_core::clock::now());
    let (status, body) = app
        .post_json(
            "/api/v1/admin/penalties",
            Some(&regulator),
            serde_json::json!({
                "decision_no": "五市监处罚〔2026〕9601号", "uscc": uscc,
                "categories": ["罚款"], "fine_yuan": "50000", "violation_type": "价格违法",
                "facts": "未明码标价", "legal_basis": "《价格法》第四十二条",
                "authority": "昆明市五华区市场监督管理局",
                "decided_on": today.to_string(), "procedure": "ordinary"
            }),
        )
        .await;
    assert_eq!(status, 201, "the decision is recorded: {body}");
    let (_, waiting) = app
        .get_json(&format!("/api/v1/merchants/{uscc}/score"))
        .await;
    assert_eq!(waiting["pending"], true, "{waiting}");
    assert_eq!(waiting["score"], before["score"], "not rescored yet");

    db.execute_unprepared("ALTER TABLE score_history_away RENAME TO score_history")
        .await
        .unwrap();
    rescore_due(db, &app.state.scoring, fangxin_core::clock::now())
        .await
        .unwrap();
    let (_, after) = app
        .get_json(&format!("/api/v1/merchants/{uscc}/score"))
        .await;
    assert_eq!(after["pending"], false, "{after}");
    assert!(
        after["score"].as_i64() < before["score"].as_i64(),
        "{before} → {after}"
    );
    assert!(
        after["factors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "penalty"),
        "{after}"
    );
    app.finish().await;
}

/// `fangxin score calibrate`'s table: the grade mix overall and by record kind, on both
/// backends (its SQL reads JSON categories, booleans and dates the way each stores them).
async fn the_calibration_table_gives_the_grades_of_each_record_kind(backend: Backend) {
    use fangxin_core::scores::calibration;
    let app = TestApp::spawn_with(
        backend,
        crate::helpers::Options {
            demo_merchants: Some(1_000),
            ..Default::default()
        },
    )
    .await;
    let today = fangxin_core::clock::today(fangxin_core::clock::now());
    let rows = calibration::calibration(&app.state.db, today)
        .await
        .unwrap();
    let row = |label: &str| rows.iter().find(|r| r.label == label).unwrap().clone();
    let all = row("all");
    assert_eq!(all.merchants, 1_000, "{rows:?}");
    for r in &rows {
        assert!(r.merchants <= all.merchants, "{r:?}");
        assert_eq!(r.grades.iter().sum::<i64>(), r.merchants);
    }
    let in_publicity = row("with a penalty in publicity");
    assert!(
        in_publicity.merchants > 0,
        "the demo has penalties in publicity"
    );
    assert!(row("with a penalty above a warning in publicity").merchants <= in_publicity.merchants);
    let serious = row("on the serious-violation list");
    assert!(serious.merchants > 0);
    assert_eq!(
        serious.grades[3], serious.merchants,
        "a serious-violation listing is D"
    );
    assert!(row("with no record at all").merchants > 0);
    let table = calibration::markdown(&rows);
    assert!(table.starts_with("| merchants … | n | A | B | C | D |"));
    assert_eq!(table.lines().count(), rows.len() + 2);
    app.finish().await;
}

crate::on_every_backend!(
    the_calibration_table_gives_the_grades_of_each_record_kind,
    a_failed_rescore_after_a_write_is_finished_by_the_sweep,
    the_score_explains_itself,
    the_sweep_rescores_when_publicity_ends,
    a_full_rescore_stops_and_resumes,
    a_full_rescore_scores_as_the_merchants_alone,
    a_confirmed_claimant_weighs_less_in_scores,
);
