//! Writes reach the index through the change feed.

use fangxin_core::audit::Actor;
use fangxin_core::merchants::{self, NewMerchant};
use fangxin_core::store::entities::{audit_log, change_event};
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
        fangxin_core::clock::now(),
    )
    .await
    .expect("merchant written");
    fangxin_core::scores::rescore_one(
        &app.state.db,
        id,
        &app.state.scoring,
        fangxin_core::clock::now(),
    )
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
    // Count this merchant's documents: the typo-tolerant pass may add look-alikes.
    let copies = |r: &fangxin_api::search::SearchResponse, u: &Uscc| {
        r.hits.iter().filter(|h| h.uscc == u.as_str()).count()
    };
    app.wait_for_search("重启测试", |r| copies(r, &uscc) == 1)
        .await;
    // The document shows once the merchant's event is applied; its score's event may still
    // be on its way. Wait for the index to reach the feed's head before noting the cursor.
    let head = fangxin_core::indexing::head(&app.state.db).await.unwrap();
    let mut cursor_before = 0;
    for _ in 0..200 {
        cursor_before = app
            .state
            .index
            .current()
            .committed_payload()
            .unwrap()
            .map_or(0, |p| p.cursor);
        if cursor_before >= head {
            break;
        }
        app.state.notifier.changed().await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(cursor_before, head, "the index caught up with the feed");

    let app = app.restart().await;
    // Nothing new: the same document, the same cursor, no rebuild.
    let r = app.search("重启测试").await;
    assert_eq!(
        copies(&r, &uscc),
        1,
        "one document for the merchant: {:?}",
        r.hits
    );
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
    let r = app
        .wait_for_search("重启之后", |r| copies(r, &second) == 1)
        .await;
    assert_eq!(copies(&r, &second), 1);
    app.finish().await;
}

async fn an_empty_start_serves_an_empty_index(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            demo_merchants: None,
            redis: None,
            database_url: None,
            ..Default::default()
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

mod gaps_and_replicas {
    use std::time::{Duration, Instant};

    use fangxin_core::feed;
    use fangxin_core::store::{self, entities::merchant};
    use fangxin_scoring::Uscc;
    use sea_orm::{ActiveValue::Set, EntityTrait};

    use super::create_and_announce;
    use crate::helpers::{Backend, Options, TestApp};

    /// Writes a merchant and its change event in a transaction held open for `hold`:
    /// on PostgreSQL its event id is taken early and becomes visible late.
    async fn slow_write(app: &TestApp, uscc: Uscc, sign: &str, hold: Duration) {
        let db = &app.state.db;
        let txn = store::begin_write(db).await.unwrap();
        let now = fangxin_core::clock::now();
        let m = merchant::Entity::insert(merchant::ActiveModel {
            uscc: Set(uscc.to_string()),
            name: Set(format!("昆明市五华区{sign}商行")),
            sign_name: Set(Some(sign.to_owned())),
            former_names: Set(serde_json::json!([])),
            kind: Set("individual".into()),
            industry: Set("零售".into()),
            street: Set("龙翔街道".into()),
            address: Set("昆明市五华区文林街1号".into()),
            legal_representative: Set(None),
            established_on: Set(None),
            status: Set("operating".into()),
            latitude: Set(None),
            longitude: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await
        .unwrap();
        feed::append(&txn, m.id, &m.uscc, "merchant", now)
            .await
            .unwrap();
        tokio::time::sleep(hold).await;
        txn.commit().await.unwrap();
    }

    async fn wait_consistent(app: &TestApp) -> fangxin_core::indexing::IndexCheck {
        let started = Instant::now();
        loop {
            app.state.notifier.changed().await;
            let report = fangxin_core::indexing::check(
                &app.state.db,
                app.state.index.current(),
                100_000,
                fangxin_core::clock::now(),
            )
            .await
            .unwrap();
            if report.is_consistent() || started.elapsed() > Duration::from_secs(15) {
                return report;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn concurrent_writers_and_late_commits_lose_nothing(backend: Backend) {
        let app = std::sync::Arc::new(TestApp::spawn(backend).await);
        let mut tasks = Vec::new();
        for w in 0..6u32 {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                for n in 0..12u32 {
                    let uscc =
                        Uscc::from_parts('9', '2', "530102", &format!("MF{w:02}{n:04}")).unwrap();
                    if n % 4 == 0 {
                        // Every fourth write holds its transaction open while others commit.
                        slow_write(
                            &app,
                            uscc,
                            &format!("迟到商行{w}{n}"),
                            Duration::from_millis(300),
                        )
                        .await;
                    } else {
                        create_and_announce(&app, &uscc, &format!("并发小店{w}{n}")).await;
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let report = wait_consistent(&app).await;
        assert!(report.is_consistent(), "{:#?}", report.differences);
        assert_eq!(report.merchants_in_database, 300 + 72);
        let late = app.search("迟到商行").await;
        assert_eq!(late.total, 18, "every late commit is searchable");
        if let Ok(app) = std::sync::Arc::try_unwrap(app) {
            app.finish().await;
        }
    }

    async fn a_second_replica_follows_the_same_database(backend: Backend) {
        let first = TestApp::spawn(backend.clone()).await;
        let second = TestApp::spawn_with(
            backend,
            Options {
                demo_merchants: None,
                redis: None,
                database_url: Some(first.database_url()),
                ..Default::default()
            },
        )
        .await;
        // The second replica built its own index from the shared database at start.
        assert_eq!(second.search("").await.total, 300);
        let uscc = Uscc::from_parts('9', '2', "530102", "MG000001").unwrap();
        create_and_announce(&first, &uscc, "副本可见测试店").await;
        let r = second.wait_for_search("副本可见", |r| r.total == 1).await;
        assert_eq!(
            r.total, 1,
            "a write through one replica is found through the other"
        );
        second.finish().await;
        first.finish().await;
    }

    async fn a_rebuild_swaps_in_while_serving(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let before = app.state.index.current();
        let old_dir = before.dir().unwrap().to_path_buf();
        drop(before);
        let root = app.settings.index_dir();

        // Keep searching while another "process" rebuilds.
        let client = app.client.clone();
        let url = app.url("/api/v1/merchants/search?q=%E9%A4%90%E9%A5%AE");
        let searching = tokio::spawn(async move {
            let mut ok = 0;
            for _ in 0..60 {
                let r = client.get(&url).send().await.unwrap();
                assert_eq!(r.status(), 200);
                ok += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            ok
        });
        let n =
            fangxin_core::indexing::rebuild(&app.state.db, &root, None, fangxin_core::clock::now())
                .await
                .unwrap();
        assert_eq!(n, 300);
        let started = Instant::now();
        while app.state.index.current().dir() == Some(old_dir.as_path())
            && started.elapsed() < Duration::from_secs(10)
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_ne!(
            app.state.index.current().dir(),
            Some(old_dir.as_path()),
            "switched"
        );
        assert_eq!(searching.await.unwrap(), 60);
        assert_eq!(app.search("").await.total, 300);
        // The new generation follows the feed like the old one.
        let uscc = Uscc::from_parts('9', '2', "530102", "MG000002").unwrap();
        create_and_announce(&app, &uscc, "重建之后新店").await;
        assert_eq!(
            app.wait_for_search("重建之后", |r| r.total == 1)
                .await
                .total,
            1
        );
        assert!(
            !old_dir.exists(),
            "the old generation is removed after the switch"
        );
        app.finish().await;
    }

    crate::on_every_backend!(
        concurrent_writers_and_late_commits_lose_nothing,
        a_second_replica_follows_the_same_database,
        a_rebuild_swaps_in_while_serving,
    );
}
