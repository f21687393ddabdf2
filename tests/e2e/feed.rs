//! Writes reach the index through the change feed.

use chrono::Utc;
use fangxin_api::audit::Actor;
use fangxin_api::merchants::{self, NewMerchant};
use fangxin_api::store::entities::{audit_log, change_event};
use fangxin_scoring::Uscc;
use fangxin_scoring::domain::MerchantKind;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::{Backend, Options, TestApp};

fn new_merchant(uscc: &Uscc, sign: &str) -> NewMerchant {
    NewMerchant {
        uscc: uscc.clone(),
        name: format!("昆明市五华区{sign}餐饮店"),
        sign_name: Some(sign.to_owned()),
        former_names: vec![],
        kind: MerchantKind::Individual,
        industry: "餐饮".into(),
        street: "护国街道".into(),
        address: "昆明市五华区正义路8号".into(),
        legal_representative: None,
        established_on: Some("2020-05-01".parse().unwrap()),
    }
}

pub async fn create_and_announce(app: &TestApp, uscc: &Uscc, sign: &str) -> i64 {
    let id = merchants::upsert(
        &app.state.db,
        new_merchant(uscc, sign),
        &Actor::system(),
        Utc::now(),
    )
    .await
    .expect("merchant written");
    fangxin_api::scores::rescore_one(&app.state.db, id, &app.state.scoring, Utc::now())
        .await
        .expect("rescored");
    app.state.notifier.changed().await;
    id
}

async fn a_new_merchant_becomes_searchable(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let uscc = Uscc::from_parts('9', '2', "530102", "MB000001").unwrap();
    create_and_announce(&app, &uscc, "翠湖边过桥米线").await;
    let r = app
        .wait_for_search("翠湖边过桥", |r| {
            // The merchant's own event and its score's event may be applied in two passes.
            r.hits
                .iter()
                .any(|h| h.uscc == uscc.as_str() && h.score.is_some())
        })
        .await;
    let hit = r
        .hits
        .iter()
        .find(|h| h.uscc == uscc.as_str())
        .expect("indexed");
    assert_eq!(hit.street, "护国街道");
    assert!(hit.score.is_some(), "indexed with its score");

    // The write left its audit row and change event behind.
    let events = change_event::Entity::find()
        .filter(change_event::Column::Uscc.eq(uscc.as_str()))
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(!events.is_empty());
    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::EntityId.eq(uscc.as_str()))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "merchant.create");

    // An update (new sign name) replaces the document, it does not add one.
    create_and_announce(&app, &uscc, "翠湖新村米线").await;
    let r = app
        .wait_for_search("翠湖新村", |r| {
            r.hits.iter().any(|h| h.uscc == uscc.as_str())
        })
        .await;
    assert!(r.hits.iter().any(|h| h.uscc == uscc.as_str()));
    let old = app.search("翠湖边过桥").await;
    assert!(!old.hits.iter().any(|h| h.uscc == uscc.as_str()));
    app.finish().await;
}

async fn the_index_resumes_from_its_cursor_after_restart(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let uscc = Uscc::from_parts('9', '1', "530102", "MB000002").unwrap();
    create_and_announce(&app, &uscc, "春城重启测试超市").await;
    app.wait_for_search("重启测试", |r| r.total == 1).await;
    let cursor_before = app
        .state
        .index
        .current()
        .committed_payload()
        .unwrap()
        .unwrap()
        .cursor;
    assert!(cursor_before > 0);

    let app = app.restart().await;
    // Nothing new: the same document, the same cursor, no rebuild.
    let r = app.search("重启测试").await;
    assert_eq!(r.total, 1);
    assert_eq!(
        app.state
            .index
            .current()
            .committed_payload()
            .unwrap()
            .unwrap()
            .cursor,
        cursor_before
    );

    // And it keeps following.
    let second = Uscc::from_parts('9', '1', "530102", "MB000003").unwrap();
    create_and_announce(&app, &second, "春城重启之后商行").await;
    let r = app.wait_for_search("重启之后", |r| r.total == 1).await;
    assert_eq!(r.total, 1);
    app.finish().await;
}

async fn an_empty_start_serves_an_empty_index(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            demo_merchants: None,
            redis: None,
        },
    )
    .await;
    let r = app.search("餐饮").await;
    assert_eq!(r.total, 0);
    let uscc = Uscc::from_parts('9', '2', "530102", "MB000004").unwrap();
    create_and_announce(&app, &uscc, "第一家小吃").await;
    let r = app.wait_for_search("第一家", |r| r.total == 1).await;
    assert_eq!(r.total, 1);
    app.finish().await;
}

crate::on_every_backend!(
    a_new_merchant_becomes_searchable,
    the_index_resumes_from_its_cursor_after_restart,
    an_empty_start_serves_an_empty_index,
);
