//! "Today" is the district's date. Between 00:00 and 08:00 Beijing time (16:00–24:00 UTC)
//! the UTC date is still yesterday, so publicity, trusted validity and the index are judged
//! here at 23:30 UTC and at 00:30 UTC, and must give the district's answer both times.

use chrono::{DateTime, Months, NaiveDate, TimeDelta, Utc};
use fangxin_core::store::entities::{merchant, penalty, trusted_enrolment};
use fangxin_core::{clock, merchants, penalties};
use fangxin_scoring::Uscc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{Backend, TestApp};

fn utc(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    day.and_hms_opt(hour, minute, 0).unwrap().and_utc()
}

/// An established merchant with no penalty and no enrolment, which may enrol.
async fn clean_established(app: &TestApp, today: NaiveDate) -> merchant::Model {
    let db = &app.state.db;
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
    merchant::Entity::find()
        .filter(merchant::Column::Status.eq("operating"))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .find(|m| {
            m.established_on
                .is_some_and(|d| (today - d).num_days() > 800)
                && !enrolled.contains(&m.id)
                && !penalised.contains(&m.id)
        })
        .expect("an established clean merchant")
}

async fn the_district_date_rules_at_both_ends_of_the_utc_day(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = &app.state.db;
    let regulator = app.token_for("regulator", None).await;
    let today = clock::today(clock::now());

    // A notice of criticism is public for three months: its last day, X, is a few days on.
    let shop = clean_established(&app, today).await;
    let decided = today.checked_sub_months(Months::new(3)).unwrap() + TimeDelta::days(5);
    let (status, published) = app
        .post_json(
            "/api/v1/admin/penalties",
            Some(&regulator),
            json!({
                "decision_no": "五市监处罚〔2026〕9501号", "uscc": shop.uscc,
                "categories": ["通报批评"], "violation_type": "价格违法",
                "facts": "未明码标价", "legal_basis": "《价格法》第四十二条",
                "authority": "昆明市五华区市场监督管理局",
                "decided_on": decided.to_string(), "procedure": "ordinary"
            }),
        )
        .await;
    assert_eq!(status, 201, "{published}");
    let last_day: NaiveDate = published["publicity_end"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(last_day > today, "{last_day}");

    // A trusted enrolment valid up to the same day, on another merchant.
    let trusted_shop = clean_established(&app, today).await;
    let (status, enrolment) = app
        .post_json(
            "/api/v1/admin/trusted",
            Some(&regulator),
            json!({"uscc": trusted_shop.uscc, "level": "pledged",
                   "pledges": ["no_reason_returns"], "valid_to": last_day.to_string()}),
        )
        .await;
    assert_eq!(status, 201, "{enrolment}");

    let shop_uscc = Uscc::parse(&shop.uscc).unwrap();
    let trusted_uscc = Uscc::parse(&trusted_shop.uscc).unwrap();
    let judge = |now: DateTime<Utc>| {
        let (shop_uscc, trusted_uscc) = (shop_uscc.clone(), trusted_uscc.clone());
        async move {
            let profile = merchants::profile(db, &shop_uscc, now).await.unwrap();
            let trusted = merchants::profile(db, &trusted_uscc, now).await.unwrap();
            let docs = fangxin_core::indexing::index_documents(db, &[trusted_shop.id], now)
                .await
                .unwrap();
            (
                !profile.penalties_in_publicity.is_empty(),
                trusted.trusted.is_some(),
                docs[&trusted_shop.id].trusted,
            )
        }
    };

    // 15:30 UTC on X is 23:30 on X in Beijing: the last day of both.
    assert_eq!(judge(utc(last_day, 15, 30)).await, (true, true, true));
    // 23:30 UTC on X is already 07:30 the next day in Beijing; the UTC date still says X.
    let next = last_day + TimeDelta::days(1);
    assert_eq!(judge(utc(last_day, 23, 30)).await, (false, false, false));
    // 00:30 UTC the next day: both calendars agree.
    assert_eq!(judge(utc(next, 0, 30)).await, (false, false, false));

    // The sweep ends publicity by the same date: not at 15:30 UTC, at 23:30 UTC.
    let ended = penalties::end_due_publicity(db, utc(last_day, 15, 30))
        .await
        .unwrap();
    assert!(ended.is_empty(), "{ended:?}");
    let ended = penalties::end_due_publicity(db, utc(last_day, 23, 30))
        .await
        .unwrap();
    assert_eq!(ended, vec![shop.id]);
    let stored = penalties::find_by_decision_no(db, "五市监处罚〔2026〕9501号")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, "expired");
    app.finish().await;
}

crate::on_every_backend!(the_district_date_rules_at_both_ends_of_the_utc_day);
