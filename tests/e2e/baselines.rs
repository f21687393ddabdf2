//! Industry baselines kept as data: a score computed from the kept baselines is the score
//! computed from a fresh count of the whole district, after any sequence of writes.

use std::collections::HashMap;

use fangxin_core::audit::Actor;
use fangxin_core::scores::{self, baselines};
use fangxin_core::store::entities::merchant;
use fangxin_core::{complaints, penalties};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{EntityTrait, QueryOrder};

use crate::helpers::{Backend, TestApp};

/// Kept and fresh baselines agree industry by industry, and every merchant scores the same
/// with either.
async fn assert_kept_scores_as_fresh(app: &TestApp, ids: &[i64], round: usize) {
    let db = &app.state.db;
    let scoring = &app.state.scoring;
    let now = fangxin_core::clock::now();
    let kept = baselines::kept(db, now, scoring).await.unwrap();
    let fresh: HashMap<_, _> = baselines::compute(db, now, scoring, None)
        .await
        .unwrap()
        .into_iter()
        .map(|(industry, c)| (industry, c.baseline))
        .collect();
    assert_eq!(
        kept.len(),
        fresh.len(),
        "round {round}: the same industries"
    );
    for (industry, f) in &fresh {
        let k = &kept[industry];
        assert!(
            (k.mean_complaints - f.mean_complaints).abs() < 1e-9,
            "round {round}, {industry}: kept {} fresh {}",
            k.mean_complaints,
            f.mean_complaints
        );
        assert_eq!(
            k.typical_fine_fen, f.typical_fine_fen,
            "round {round}, {industry}"
        );
    }
    let calendar = &scoring.calendar;
    let today = fangxin_core::clock::today(now);
    let with_kept = scores::load_facts(db, ids, now, &kept, calendar)
        .await
        .unwrap();
    let with_fresh = scores::load_facts(db, ids, now, &fresh, calendar)
        .await
        .unwrap();
    for id in ids {
        let a = fangxin_scoring::score(&with_kept[id], today, &scoring.model);
        let b = fangxin_scoring::score(&with_fresh[id], today, &scoring.model);
        assert_eq!(a.score, b.score, "round {round}, merchant {id}");
        assert_eq!(a.grade, b.grade, "round {round}, merchant {id}");
    }
}

async fn kept_baselines_score_as_a_fresh_count_after_any_writes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = &app.state.db;
    let merchants = merchant::Entity::find()
        .order_by_asc(merchant::Column::Id)
        .all(db)
        .await
        .unwrap();
    let ids: Vec<i64> = merchants.iter().map(|m| m.id).collect();
    assert_kept_scores_as_fresh(&app, &ids, 0).await;

    let actor = Actor::system();
    let mut rng = ChaCha8Rng::seed_from_u64(0xBA5E);
    let today = fangxin_core::clock::today(fangxin_core::clock::now());
    let ctx = complaints::IntakeContext {
        scoring: &app.state.scoring,
        key_secret: app.state.settings.privacy.complainant_key_secret.expose(),
        index: None,
    };
    let mut n = 0;
    for round in 1..=4 {
        for _ in 0..6 {
            n += 1;
            let m = &merchants[rng.random_range(0..merchants.len())];
            if rng.random_bool(0.6) {
                let kind = ["complaint", "report", "complaint"][rng.random_range(0..3)];
                let req: complaints::NewComplaint = serde_json::from_value(serde_json::json!({
                    "channel": "12315",
                    "ticket_no": format!("BASE-{n}"),
                    "kind": kind,
                    "uscc": m.uscc,
                    "merchant_name": m.name,
                    "received_at": fangxin_core::clock::now().to_rfc3339(),
                    "category": "price",
                    "text": "价格与标价不符",
                }))
                .unwrap();
                complaints::intake(db, req, &ctx, &actor, fangxin_core::clock::now())
                    .await
                    .unwrap();
            } else {
                let fine = rng.random_range(1..200) * 500;
                let req: penalties::PublishPenalty = serde_json::from_value(serde_json::json!({
                    "decision_no": format!("五市监罚〔2026〕基{n}号"),
                    "uscc": m.uscc,
                    "categories": ["fine"],
                    "fine_yuan": fine.to_string(),
                    "violation_type": "未按规定明码标价",
                    "facts": "商品未标明价格",
                    "legal_basis": "《价格违法行为行政处罚规定》第十三条",
                    "authority": "五华区市场监督管理局",
                    "decided_on": today.to_string(),
                    "procedure": "ordinary",
                }))
                .unwrap();
                penalties::publish(
                    db,
                    req,
                    &app.state.scoring,
                    app.state.settings.penalties.lower_amount_threshold_yuan * 100,
                    &actor,
                    fangxin_core::clock::now(),
                )
                .await
                .unwrap();
            }
        }
        // A small district: every write's industry was counted again on the write.
        assert_kept_scores_as_fresh(&app, &ids, round).await;
    }
    app.finish().await;
}

crate::on_every_backend!(kept_baselines_score_as_a_fresh_count_after_any_writes);
