//! The schema and the store on each backend.

use fangxin_core::store::entities::{merchant, score, score_history};
use fangxin_migrations::{Migrator, MigratorTrait};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::helpers::{Backend, Options, TestApp};

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
    let db = app.state.db.clone();
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

crate::on_every_backend!(
    migrations_go_down_and_up_again,
    demo_generation_is_deterministic,
    rescoring_records_history_only_on_change,
);
