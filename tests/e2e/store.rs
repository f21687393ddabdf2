//! The schema and the store on each backend.

use fangxin_core::store::entities::{merchant, penalty, score, score_history};
use fangxin_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, EntityTrait, PaginatorTrait};

use crate::helpers::{Backend, Options, TestApp};

/// One connection to the app's database for running migrations. On SQLite the pool's other
/// connections keep the schema they last read until their next transaction, and an `ALTER
/// TABLE` parsed on one that has not seen the last change fails ("duplicate column name"), as
/// CI saw once: the test's migrations run on a connection of their own.
async fn migration_connection(app: &TestApp) -> DatabaseConnection {
    let mut options = ConnectOptions::new(app.database_url());
    options.max_connections(1).min_connections(1);
    Database::connect(options)
        .await
        .expect("a connection for migrations")
}

/// Takes the app's database back to before the named migration, on a connection of its own
/// (returned, to go up again with).
async fn down_to_before(app: &TestApp, migration: &str) -> DatabaseConnection {
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let at = names
        .iter()
        .position(|n| n == migration)
        .unwrap_or_else(|| panic!("no migration {migration}"));
    let migrations = migration_connection(app).await;
    Migrator::down(&migrations, Some((names.len() - at) as u32))
        .await
        .unwrap_or_else(|e| panic!("down to before {migration}: {e}"));
    migrations
}

async fn migrations_go_down_and_up_again(backend: Backend) {
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
    let db = migration_connection(&app).await;
    let applied = Migrator::get_applied_migrations(&db).await.unwrap();
    assert_eq!(applied.len(), Migrator::migrations().len());
    Migrator::down(&db, None)
        .await
        .expect("every migration goes down");
    assert!(
        Migrator::get_applied_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );
    Migrator::up(&db, None).await.expect("and up again");
    assert_eq!(merchant::Entity::find().count(&db).await.unwrap(), 0);
    app.finish().await;
}

async fn demo_generation_is_deterministic(backend: Backend) {
    let a = TestApp::spawn(backend.clone()).await;
    let b = TestApp::spawn(backend).await;
    let list = |db: sea_orm::DatabaseConnection| async move {
        merchant::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.uscc, m.name, m.sign_name, m.industry, m.street))
            .collect::<Vec<_>>()
    };
    let left = list(a.state.db.clone()).await;
    let right = list(b.state.db.clone()).await;
    assert_eq!(left.len(), 300);
    assert_eq!(left, right);
    for (uscc, ..) in &left {
        let parsed = fangxin_scoring::Uscc::parse(uscc).expect("valid USCC");
        assert_eq!(parsed.division(), "530102");
    }
    a.finish().await;
    b.finish().await;
}

async fn rescoring_records_history_only_on_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = app.state.db.clone();
    assert_eq!(score::Entity::find().count(&db).await.unwrap(), 300);
    let history = score_history::Entity::find().count(&db).await.unwrap();
    assert_eq!(history, 300, "one history row per first score");
    let (_running, stop) = tokio::sync::watch::channel(false);
    fangxin_core::scores::rescore_all(
        &db,
        &app.state.scoring,
        fangxin_core::clock::now(),
        Default::default(),
        stop,
    )
    .await
    .unwrap();
    assert_eq!(
        score_history::Entity::find().count(&db).await.unwrap(),
        history,
        "nothing changed, nothing recorded"
    );
    app.finish().await;
}

/// A decision keeps its party's code (the public list and its export read it from there), and
/// the migration that brought the column gave it to every decision recorded before.
async fn decisions_keep_their_partys_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = app.state.db.clone();
    let codes = |db: sea_orm::DatabaseConnection| async move {
        let usccs: std::collections::HashMap<i64, String> = merchant::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.id, m.uscc))
            .collect();
        let penalties = penalty::Entity::find().all(&db).await.unwrap();
        assert!(!penalties.is_empty(), "the demo district has decisions");
        for p in &penalties {
            assert_eq!(p.uscc, usccs[&p.merchant_id], "decision {}", p.decision_no);
        }
        penalties.len()
    };
    let recorded = codes(db.clone()).await;
    // Back to before the column, the decisions still there, and up again.
    let migrations = down_to_before(&app, "m20261205_000020_penalty_uscc").await;
    Migrator::up(&migrations, None).await.expect("and up again");
    migrations.close().await.ok();
    assert_eq!(codes(db.clone()).await, recorded);
    app.finish().await;
}

/// Every score keeps its explanation when its factors change column type (`jsonb` to `json`
/// on PostgreSQL, migration 23) and back.
async fn scores_keep_their_explanations_across_the_factors_column(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Read on a new connection each time: on PostgreSQL a statement a connection prepared
    // before the column changed type fails after it ("cached plan must not change result
    // type"), so the app's pool is not used across the migration.
    let explanations = || async {
        let db = migration_connection(&app).await;
        let mut scores: Vec<(i64, i32, serde_json::Value)> = score::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.merchant_id, s.score, s.factors))
            .collect();
        db.close().await.ok();
        scores.sort_by_key(|s| s.0);
        scores
    };
    let before = explanations().await;
    assert_eq!(before.len(), 300);
    assert!(
        before
            .iter()
            .any(|s| s.2.as_array().is_some_and(|f| !f.is_empty())),
        "some scores are explained by factors"
    );
    let migrations = down_to_before(&app, "m20261206_000023_scores_factors_json").await;
    assert_eq!(explanations().await, before);
    Migrator::up(&migrations, None).await.expect("and up again");
    migrations.close().await.ok();
    assert_eq!(explanations().await, before);
    app.finish().await;
}

crate::on_every_backend!(
    decisions_keep_their_partys_code,
    scores_keep_their_explanations_across_the_factors_column,
    migrations_go_down_and_up_again,
    demo_generation_is_deterministic,
    rescoring_records_history_only_on_change,
);
