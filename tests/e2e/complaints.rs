//! Complaints from intake to answer, as a regulator and an enterprise live them.

use serde_json::json;

use crate::helpers::{Backend, TestApp};

async fn a_complaint_from_intake_to_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hits = app.search("").await.hits;
    let (target, other) = (&hits[0], &hits[1]);
    let regulator = app.token_for("regulator", None).await;
    let received_day =
        fangxin_core::clock::today(fangxin_core::clock::now()) - chrono::TimeDelta::days(8);
    let ticket = json!({
        "channel": "12315",
        "ticket_no": "GS2026TEST0001",
        "kind": "complaint",
        "uscc": target.uscc,
        "merchant_name": target.name,
        "received_at": format!("{received_day} 10:15:00"),
        "category": "expiry",
        "amount_involved_yuan": "88.50",
        "text": "购买的酸奶已过保质期。请回电13812341234，身份证530102198001011234。",
        "complainant": { "name": "张三丰", "phone": "13812341234" }
    });
    let (status, body) = app
        .post_json("/api/v1/admin/complaints", Some(&regulator), ticket.clone())
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["complaint"]["id"].as_i64().unwrap();
    assert_eq!(body["complaint"]["merchant"]["uscc"], target.uscc.as_str());
    assert_eq!(body["complaint"]["amount_involved_fen"], 8850);
    assert_eq!(
        body["complaint"]["received_at"],
        format!("{received_day}T02:15:00Z"),
        "Beijing 10:15 is 02:15 UTC"
    );
    assert_eq!(
        body["complaint"]["complainant_phone"], "13812341234",
        "regulators see contacts"
    );
    assert!(body["complaint"]["due_on"].is_string());
    assert!(
        body["complaint"]["text"]
            .as_str()
            .unwrap()
            .contains("13812341234"),
        "regulators read the text as it came"
    );
    // At rest the contact is sealed: neither the name nor the number is in the row.
    use sea_orm::{ConnectionTrait, Statement};
    let backend = app.state.db.get_database_backend();
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT name, phone FROM complainant_contacts",
        ))
        .await
        .unwrap()
        .unwrap();
    let stored: String = row.try_get("", "phone").unwrap();
    let name: String = row.try_get("", "name").unwrap();
    assert!(
        stored.starts_with("v1.") && !stored.contains("1381234"),
        "{stored}"
    );
    assert!(name.starts_with("v1.") && !name.contains("张"), "{name}");

    // The same export imported twice changes nothing.
    let (status, again) = app
        .post_json("/api/v1/admin/complaints", Some(&regulator), ticket)
        .await;
    assert_eq!(status, 200);
    assert_eq!(again["created"], false);
    assert_eq!(again["complaint"]["id"], id);

    // Out of order: a received complaint cannot be settled; the allowed moves are named.
    let path = format!("/api/v1/admin/complaints/{id}/transition");
    let (status, problem) = app
        .post_json(&path, Some(&regulator), json!({"to": "settled"}))
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("invalid_transition"))
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("accepted, rejected, converted_to_case")
    );
    for step in ["accepted", "mediating"] {
        let (status, body) = app
            .post_json(&path, Some(&regulator), json!({"to": step}))
            .await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some(step)),
            "{body}"
        );
    }
    let (status, body) = app
        .post_json(
            &path,
            Some(&regulator),
            json!({"to": "settled", "amount_recovered_yuan": 88.5, "satisfaction": "satisfied"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["amount_recovered_fen"], 8850);
    assert!(body["closed_at"].is_string());
    assert!(body["due_on"].is_null() && body["overdue"] == false);

    // The merchant sees it, the complainant masked, and answers.
    let enterprise = app.token_for("enterprise", Some(&target.uscc)).await;
    let (status, mine) = app.get_json_as("/api/v1/me/complaints", &enterprise).await;
    assert_eq!(status, 200);
    let seen = mine["complaints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(seen["complainant_phone"], "138****1234");
    assert_eq!(seen["complainant_name"], "张**");
    let text = seen["text"].as_str().unwrap();
    assert!(
        !text.contains("13812341234") && !text.contains("530102198001011234"),
        "numbers that name the complainant stay with the regulator: {text}"
    );
    assert!(text.starts_with("购买的酸奶已过保质期。"), "{text}");
    assert!(seen["complainant_key"].is_null());
    let answer = format!("/api/v1/me/complaints/{id}/answer");
    let (status, body) = app
        .post_json(
            &answer,
            Some(&enterprise),
            json!({"text": "已全额退款并下架该批次商品。"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["merchant_response"], "已全额退款并下架该批次商品。");

    // Another merchant cannot see or answer it: 404, not a hint that it exists.
    let stranger = app.token_for("enterprise", Some(&other.uscc)).await;
    let (status, _) = app
        .post_json(&answer, Some(&stranger), json!({"text": "不是我的"}))
        .await;
    assert_eq!(status, 404);
    // And enterprises cannot use the regulator's queue.
    let (status, _) = app
        .get_json_as("/api/v1/admin/complaints", &enterprise)
        .await;
    assert_eq!(status, 403);

    // Public statistics count it; no personal data in them.
    let (status, stats) = app
        .get_json(&format!(
            "/api/v1/merchants/{}/complaint-stats",
            target.uscc
        ))
        .await;
    assert_eq!(status, 200);
    assert!(stats["last_12_months"].as_u64().unwrap() >= 1);
    assert!(stats["settled"].as_u64().unwrap() >= 1);
    assert!(!stats.to_string().contains("1381234"));
    app.finish().await;
}

async fn a_complaint_naming_an_unknown_shop_waits_for_a_person(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let regulator = app.token_for("regulator", None).await;
    // A merchant whose legal name nobody else uses (as legal or sign name): the demo's
    // names can repeat, and a repeated name must not be matched.
    let mut known = None;
    for hit in app.search("").await.hits {
        use fangxin_core::store::entities::merchant;
        use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter};
        let same = merchant::Entity::find()
            .filter(
                Condition::any()
                    .add(merchant::Column::Name.eq(hit.name.as_str()))
                    .add(merchant::Column::SignName.eq(hit.name.as_str())),
            )
            .count(&app.state.db)
            .await
            .unwrap();
        if same == 1 {
            known = Some(hit);
            break;
        }
    }
    let known = known.expect("a merchant with a unique legal name");
    // Exactly the legal name: matched.
    let (status, body) = app
        .post_json(
            "/api/v1/admin/complaints",
            Some(&regulator),
            json!({
                "channel": "12345", "ticket_no": "SZ-1", "kind": "complaint",
                "merchant_name": known.name, "received_at": "2026-11-21T08:00:00+08:00",
                "text": "服务态度差。"
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["complaint"]["merchant"]["uscc"], known.uscc.as_str());

    // A name nobody has exactly: no silent guess, suggestions for a person to confirm.
    let sign = known.sign_name.clone().unwrap();
    let (status, body) = app
        .post_json(
            "/api/v1/admin/complaints",
            Some(&regulator),
            json!({
                "channel": "internet", "ticket_no": "WL-1", "kind": "complaint",
                "merchant_name": format!("{sign}(路口那家)"), "received_at": "2026-11-21 09:00:00",
                "text": "价格欺诈。"
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(body["complaint"]["merchant"].is_null());
    let (_, queue) = app
        .get_json_as("/api/v1/admin/complaints?unmatched=true", &regulator)
        .await;
    assert!(
        queue["complaints"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["ticket_no"] == "WL-1")
    );

    for (field, value, code) in [
        ("channel", json!("fax"), "invalid_channel"),
        ("kind", json!("rant"), "invalid_kind"),
        ("received_at", json!("last tuesday"), "invalid_time"),
        ("received_at", json!("2999-01-01 00:00:00"), "future_date"),
        ("uscc", json!("123"), "invalid_uscc"),
        ("amount_involved_yuan", json!("-3"), "invalid_amount"),
    ] {
        let mut body = json!({
            "channel": "12315", "ticket_no": format!("BAD-{field}-{code}"), "kind": "complaint",
            "merchant_name": "某店", "received_at": "2026-11-21 09:00:00", "text": "x"
        });
        body[field] = value;
        let (status, problem) = app
            .post_json("/api/v1/admin/complaints", Some(&regulator), body)
            .await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (400, Some(code)),
            "{field}: {problem}"
        );
    }
    app.finish().await;
}

async fn a_person_matches_a_complaint_to_its_merchant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hits = app.search("").await.hits;
    let regulator = app.token_for("regulator", None).await;
    let (status, body) = app
        .post_json(
            "/api/v1/admin/complaints",
            Some(&regulator),
            json!({
                "channel": "12345",
                "ticket_no": "SZ2026MATCH01",
                "kind": "complaint",
                "merchant_name": "街角那家店",
                "received_at": "2026-01-05 10:00:00",
                "text": "价格标示不清"
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["complaint"]["id"].as_i64().unwrap();
    // Received in January and never accepted: overdue, and in the console's queue.
    let (total, late) = fangxin_core::complaints::overdue(
        &app.state.db,
        &app.state.scoring.calendar,
        500,
        fangxin_core::clock::now(),
    )
    .await
    .unwrap();
    assert!(total >= 1 && late.iter().any(|c| c.id == id && c.overdue));
    assert!(
        late.windows(2).all(|w| w[0].due_on <= w[1].due_on),
        "most overdue first"
    );
    let path = format!("/api/v1/admin/complaints/{id}/merchant");
    let (status, matched) = app
        .post_json(&path, Some(&regulator), json!({"uscc": hits[0].uscc}))
        .await;
    assert_eq!(status, 200, "{matched}");
    assert_eq!(matched["merchant"]["uscc"], hits[0].uscc.as_str());
    // The same again changes nothing; another merchant is a conflict.
    let (status, _) = app
        .post_json(&path, Some(&regulator), json!({"uscc": hits[0].uscc}))
        .await;
    assert_eq!(status, 200);
    let (status, problem) = app
        .post_json(&path, Some(&regulator), json!({"uscc": hits[1].uscc}))
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("already_matched"))
    );
    let (status, problem) = app
        .post_json(&path, Some(&regulator), json!({"uscc": "123"}))
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_uscc"))
    );
    // It now counts for the merchant, and the match is audited.
    let (_, stats) = app
        .get_json(&format!(
            "/api/v1/merchants/{}/complaint-stats",
            hits[0].uscc
        ))
        .await;
    assert!(stats["last_12_months"].as_u64().unwrap() >= 1, "{stats}");
    let (_, audit) = app
        .get_json_as(
            &format!("/api/v1/admin/audit-log?entity=complaint&entity_id={id}"),
            &regulator,
        )
        .await;
    assert_eq!(audit["entries"][0]["action"], "complaint.match");
    app.finish().await;
}

/// The same ticket sent twice at the same moment (a hotline system retrying): one complaint
/// is recorded, and both senders get it back — never a conflict or a server error.
async fn the_same_ticket_sent_twice_at_once_is_recorded_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let regulator = app.token_for("regulator", None).await;
    let received =
        fangxin_core::clock::today(fangxin_core::clock::now()) - chrono::TimeDelta::days(1);
    let body = serde_json::json!({
        "channel": "12315", "ticket_no": "RACE-1", "kind": "complaint",
        "merchant_name": "某某小店", "received_at": format!("{received} 09:30:00"),
        "text": "购买的商品有质量问题"
    });
    let send = || app.post_json("/api/v1/admin/complaints", Some(&regulator), body.clone());
    let ((a, body_a), (b, body_b)) = tokio::join!(send(), send());
    let mut statuses = [a, b];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 201], "{body_a} {body_b}");
    assert_eq!(body_a["complaint"]["id"], body_b["complaint"]["id"]);
    let (_, audit) = app
        .get_json_as(
            "/api/v1/admin/audit-log?entity=complaint&q=12315/RACE-1",
            &regulator,
        )
        .await;
    assert_eq!(audit["total"], 1, "{audit}");
    app.finish().await;
}

/// Contacts written before sealing existed are sealed by `reseal`; after a new key is put
/// first (rotation), `reseal` moves every row to it, and every row still opens.
async fn contacts_are_sealed_again_when_the_key_rotates(backend: Backend) {
    use fangxin_core::privacy::{self, ContactKey};
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn_with(
        backend,
        crate::helpers::Options {
            demo_merchants: Some(10),
            ..Default::default()
        },
    )
    .await;
    let db = &app.state.db;
    let backend = db.get_database_backend();
    // A row from before sealing: plain text.
    db.execute_raw(Statement::from_string(
        backend,
        "INSERT INTO complainant_contacts (complainant_key, name, phone, id_number, created_at) \
         VALUES ('ckplain', '李四', '13900001111', NULL, '2026-01-01T00:00:00Z')",
    ))
    .await
    .unwrap();
    let phone = |key: &'static str| async move {
        fangxin_core::privacy::contact_of(db, key)
            .await
            .unwrap()
            .and_then(|c| c.phone())
    };
    assert_eq!(phone("ckplain").await.as_deref(), Some("13900001111"));
    let (sealed, _) = fangxin_core::privacy::reseal_contacts(db, |_| {})
        .await
        .unwrap();
    assert!(sealed >= 1);
    let stored = |key: &'static str| async move {
        let row = db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT phone FROM complainant_contacts WHERE complainant_key = '{key}'"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<String>("", "phone").unwrap()
    };
    let first = stored("ckplain").await;
    assert!(first.starts_with("v1."), "{first}");
    assert_eq!(phone("ckplain").await.as_deref(), Some("13900001111"));

    // Rotation: a new key in front; the old one still opens until the reseal is done.
    let new = ContactKey::random();
    let new_id = new.id().to_owned();
    privacy::set_contact_keys(vec![new]);
    let (sealed, _) = fangxin_core::privacy::reseal_contacts(db, |_| {})
        .await
        .unwrap();
    assert!(sealed >= 1);
    let after = stored("ckplain").await;
    assert_eq!(privacy::sealed_with(&after), Some(new_id.as_str()));
    assert_eq!(phone("ckplain").await.as_deref(), Some("13900001111"));
    app.finish().await;
}

crate::on_every_backend!(
    contacts_are_sealed_again_when_the_key_rotates,
    the_same_ticket_sent_twice_at_once_is_recorded_once,
    a_complaint_from_intake_to_answer,
    a_complaint_naming_an_unknown_shop_waits_for_a_person,
    a_person_matches_a_complaint_to_its_merchant,
);
