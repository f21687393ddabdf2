//! The complaint analysis: shares computed from the counts, the seed's 2018 table as the
//! fixture; the public statistics page names no one.

use chrono::{NaiveDate, TimeDelta, TimeZone, Utc};
use fangxin_core::store::entities::complaint;
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::Value;

use crate::helpers::{Backend, Options, TestApp};

/// The seed's 2018 table: complaints and reports by channel, 7,900 in all.
const SEED_2018: [(&str, &str, u32); 10] = [
    ("12315", "complaint", 4591),
    ("12315", "report", 700),
    ("12345", "complaint", 947),
    ("12365", "complaint", 67),
    ("12331", "complaint", 92),
    ("internet", "complaint", 1369),
    ("consumer_association", "complaint", 9),
    ("city_supervision", "complaint", 3),
    ("city_transfer", "complaint", 6),
    ("letter", "complaint", 116),
];

async fn load_seed_2018(app: &TestApp) {
    let start = Utc.with_ymd_and_hms(2018, 1, 1, 2, 0, 0).unwrap();
    let mut rows = Vec::new();
    for (channel, kind, count) in SEED_2018 {
        for i in 0..count {
            let received = start + TimeDelta::hours(i64::from(i % 8000));
            rows.push(complaint::ActiveModel {
                channel: Set(channel.into()),
                ticket_no: Set(format!("{channel}-{kind}-{i}")),
                kind: Set(kind.into()),
                status: Set("settled".into()),
                received_at: Set(received),
                accepted_at: Set(Some(received + TimeDelta::days(1))),
                closed_at: Set(Some(received + TimeDelta::days(10))),
                merchant_id: Set(None),
                merchant_name: Set("某商户".into()),
                category: Set(Some("quality".into())),
                industry: Set(None),
                street: Set(None),
                amount_involved_fen: Set(100),
                amount_recovered_fen: Set(50),
                satisfaction: Set(Some("satisfied".into())),
                complainant_key: Set(None),
                text: Set("商品质量问题".into()),
                punitive_demand: Set(false),
                purchase_quantity: Set(None),
                merchant_response: Set(None),
                responded_at: Set(None),
                created_at: Set(received),
                updated_at: Set(received),
                ..Default::default()
            });
        }
    }
    for chunk in rows.chunks(500) {
        complaint::Entity::insert_many(chunk.to_vec())
            .exec(&app.state.db)
            .await
            .unwrap();
    }
}

fn share(rows: &Value, key: &str) -> f64 {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("{key} in {rows}"))["share"]
        .as_f64()
        .unwrap()
}

async fn the_seed_2018_table_gives_shares_from_its_counts(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            demo_merchants: None,
            ..Default::default()
        },
    )
    .await;
    load_seed_2018(&app).await;
    let regulator = app.token_for("regulator", None).await;
    let (code, report) = app
        .get_json_as(
            "/api/v1/admin/reports/complaints?from=2018-01-01&to=2018-12-31",
            &regulator,
        )
        .await;
    assert_eq!(code, 200, "{report}");
    assert_eq!(report["total"], 7900);
    let rows = &report["by_channel_kind"];
    let expected = [
        ("12315/complaint", 58.11),
        ("12315/report", 8.86),
        ("12345/complaint", 11.99),
        ("12365/complaint", 0.85),
        ("12331/complaint", 1.16),
        ("internet/complaint", 17.33),
        ("consumer_association/complaint", 0.11),
        ("city_supervision/complaint", 0.04),
        ("city_transfer/complaint", 0.08),
        ("letter/complaint", 1.47),
    ];
    for (key, value) in expected {
        assert_eq!(share(rows, key), value, "{key}");
    }
    let hundredths: i64 = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["share"].as_f64().unwrap() * 100.0).round() as i64)
        .sum();
    assert_eq!(hundredths, 10_000, "the shares add up to 100 %");
    // The seed prints 1.47 % for its last group: the letters alone. The group's four
    // items together are 1.70 %.
    let group: f64 = [
        "consumer_association/complaint",
        "city_supervision/complaint",
        "city_transfer/complaint",
        "letter/complaint",
    ]
    .iter()
    .map(|k| share(rows, k))
    .sum();
    assert_eq!((group * 100.0).round() / 100.0, 1.70);
    assert_eq!(share(&report["by_channel"], "12315"), 66.97);
    assert_eq!(report["previous_period"]["from"], "2017-01-01");
    assert_eq!(report["handling"]["satisfaction"]["percent"], 100.0);
    assert_eq!(report["handling"]["amount_involved_fen"], 790_000);

    // The same as CSV, with a BOM for Excel.
    let csv = app
        .client
        .get(app.url("/api/v1/admin/reports/complaints?from=2018-01-01&to=2018-12-31&format=csv"))
        .bearer_auth(&regulator)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'));
    assert!(
        text.contains(",channel_kind,letter/complaint,来信 投诉,116,1.47,0,"),
        "{text}"
    );

    // Bad periods are named.
    for (query, field) in [
        ("from=2018-12-31&to=2018-01-01", "from"),
        ("from=2016-01-01&to=2018-12-31", "to"),
        ("from=2018-01-01", "to"),
        ("from=2018-13-01&to=2018-12-31", ""),
    ] {
        let (code, problem) = app
            .get_json_as(
                &format!("/api/v1/admin/reports/complaints?{query}"),
                &regulator,
            )
            .await;
        assert_eq!(code, 400, "{query}: {problem}");
        if !field.is_empty() {
            assert_eq!(problem["field"], field, "{query}");
        }
    }
    app.finish().await;
}

async fn the_public_statistics_name_no_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app.get("/stats").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("投诉举报统计（近半年）"));
    for section in ["按渠道", "按行业", "按街道", "class=\"bar\""] {
        assert!(html.contains(section), "{section}");
    }
    // One definition of the count: every table sums to the total, but the kinds, which
    // also list inquiries and say so.
    let number = |after: &str, from: &str| -> u64 {
        let rest = &from[from.find(after).unwrap_or_else(|| panic!("{after}")) + after.len()..];
        rest.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap()
    };
    let total = number("投诉举报共 <strong>", &html);
    let sum_of = |id: &str| {
        let section = &html[html.find(&format!("id=\"{id}\"")).unwrap()..];
        number(
            "<td class=\"barcell\"></td><td class=\"num\">",
            &section[section.find("<tfoot>").unwrap()..],
        )
    };
    for id in [
        "by-channel",
        "by-channel-kind",
        "by-industry",
        "by-street",
        "by-category",
    ] {
        assert_eq!(sum_of(id), total, "{id} sums to the total");
    }
    let inquiries = if html.contains("另有咨询 ") {
        number("另有咨询 ", &html)
    } else {
        0
    };
    assert_eq!(
        sum_of("by-kind"),
        total + inquiries,
        "kinds add the inquiries"
    );
    for hidden in ["投诉最多的商户", "热点词", "职业索赔", "/m/9"] {
        assert!(!html.contains(hidden), "{hidden} on the public page");
    }
    // The regulator's version is behind a login and names the merchants.
    let response = app
        .client
        .get(app.url("/admin/reports/complaints"))
        .send()
        .await
        .unwrap();
    assert!(response.url().path().starts_with("/login"));
    let today = fangxin_core::clock::date_of(fangxin_core::clock::now());
    let from: NaiveDate = today - TimeDelta::days(180);
    let regulator = app.token_for("regulator", None).await;
    let (code, report) = app
        .get_json_as(
            &format!("/api/v1/admin/reports/complaints?from={from}&to={today}"),
            &regulator,
        )
        .await;
    assert_eq!(code, 200);
    assert!(!report["top_merchants"].as_array().unwrap().is_empty());
    assert!(report["claimants"]["flagged"]["part"].as_u64().unwrap() > 0);
    app.finish().await;
}

/// `/stats` serves what the background worker stored (no visitor waits for the count),
/// and one process at a time computes it, under a lease that another takes over when it
/// runs out.
async fn public_statistics_are_served_as_stored_under_a_lease(backend: Backend) {
    use fangxin_core::aggregates::{PUBLIC_STATS, get, store, try_lease};
    let app = TestApp::spawn(backend).await;
    let db = &app.state.db;
    let first = get(db, PUBLIC_STATS)
        .await
        .unwrap()
        .expect("computed before the first visitor");
    let page = app.get("/stats").await.text().await.unwrap();
    assert!(page.contains("投诉举报共"));

    // Leases: one holder at a time; the same holder may renew.
    let now = fangxin_core::clock::now();
    let ten = chrono::TimeDelta::minutes(10);
    assert!(try_lease(db, PUBLIC_STATS, "a", ten, now).await.unwrap());
    assert!(!try_lease(db, PUBLIC_STATS, "b", ten, now).await.unwrap());
    assert!(try_lease(db, PUBLIC_STATS, "a", ten, now).await.unwrap());
    // Past its time another takes over, and the first's late result is not stored.
    let later = now + chrono::TimeDelta::minutes(11);
    assert!(try_lease(db, PUBLIC_STATS, "b", ten, later).await.unwrap());
    assert!(
        !store(db, PUBLIC_STATS, "a", first.body.clone(), (now, 0), later)
            .await
            .unwrap()
    );
    // What the holder stores is what visitors get, rendered once per stored result.
    let mut report: fangxin_core::reports::ComplaintReport =
        serde_json::from_str(&first.body).unwrap();
    report.total = 424_242;
    assert!(
        store(
            db,
            PUBLIC_STATS,
            "b",
            serde_json::to_string(&report).unwrap(),
            (now, 0),
            later
        )
        .await
        .unwrap()
    );
    let page = app.get("/stats").await.text().await.unwrap();
    assert!(
        page.contains("投诉举报共 <strong>424242</strong>"),
        "served as stored"
    );
    // The lease was given up with the result: the next due computation may take it.
    assert!(try_lease(db, PUBLIC_STATS, "c", ten, later).await.unwrap());
    app.finish().await;
}

/// The stored aggregates follow the change feed: once enough has changed (here any one
/// event), they are computed again without waiting for the interval (here an hour), until
/// they count everything written; the regulators' half-year analysis is served as stored
/// too. (A complaint writes two events, its own and its merchant's new score, so a larger
/// threshold may be met between two complaints and leave the third for the hour: how many
/// events are due is `aggregates::due`'s unit test.)
async fn stored_statistics_follow_the_change_feed(backend: Backend) {
    use fangxin_core::aggregates::{PUBLIC_STATS, REGULATOR_HALF_YEAR, get};
    let app = TestApp::spawn_with(
        backend,
        Options {
            aggregates: Some((3600, 1, 0)),
            ..Options::default()
        },
    )
    .await;
    let db = &app.state.db;
    let total = |body: &str| serde_json::from_str::<Value>(body).unwrap()["total"].clone();
    let before = get(db, PUBLIC_STATS)
        .await
        .unwrap()
        .expect("computed at start");
    let regulator = app.token_for("regulator", None).await;

    // The analysis without dates is the stored one, generated when it was stored.
    let stored = get(db, REGULATOR_HALF_YEAR)
        .await
        .unwrap()
        .expect("computed at start");
    let (status, report) = app
        .get_json_as("/api/v1/admin/reports/complaints", &regulator)
        .await;
    assert_eq!(status, 200, "{report}");
    let stored_report: Value = serde_json::from_str(&stored.body).unwrap();
    assert_eq!(report["generated_at"], stored_report["generated_at"]);

    let (_, hits) = app.get_json("/api/v1/merchants/search?per_page=1").await;
    let uscc = hits["hits"][0]["uscc"].as_str().unwrap().to_owned();
    let name = hits["hits"][0]["name"].as_str().unwrap().to_owned();
    let day = fangxin_core::clock::today(fangxin_core::clock::now()) - TimeDelta::days(8);
    for n in 0..3 {
        let (status, body) = app
            .post_json(
                "/api/v1/admin/complaints",
                Some(&regulator),
                serde_json::json!({
                    "channel": "12315", "ticket_no": format!("FEED-{n}"), "kind": "complaint",
                    "uscc": uscc, "merchant_name": name, "received_at": format!("{day} 10:00:00"),
                    "category": "quality", "text": "商品有质量问题。"
                }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let expected = total(&before.body).as_u64().unwrap() + 3;
    let mut after = None;
    for _ in 0..200 {
        let now = get(db, PUBLIC_STATS).await.unwrap().unwrap();
        if now.computed_at > before.computed_at && total(&now.body).as_u64() == Some(expected) {
            after = Some(now);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let after = after.expect("the three complaints counted within 20 s, not after the hour");
    assert!(after.feed_position > before.feed_position);
    app.finish().await;
}

crate::on_every_backend!(
    stored_statistics_follow_the_change_feed,
    public_statistics_are_served_as_stored_under_a_lease,
    the_seed_2018_table_gives_shares_from_its_counts,
    the_public_statistics_name_no_one,
);
