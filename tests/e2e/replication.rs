//! Real replication: a PostgreSQL primary and a streaming hot standby, made with `initdb`
//! and `pg_basebackup -R` on ports of their own, with `fangxin serve` replicas that write to
//! the primary and read what the public reads from the standby. Runs where PostgreSQL
//! runs (`FANGXIN_TEST_DATABASE_URL` set, as in CI); its server binaries must be installed.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{Backend, Options, TestApp};
use crate::pg_cluster::Cluster;

/// Waits up to `within` for `check`; returns how long it took, or `None`.
async fn within<F, Fut>(within: Duration, mut check: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < within {
        if check().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// Two replicas read from a streaming standby: a penalty published through one is on
/// the other's merchant page and in its search within 2 s; `/readyz` reports the standby's
/// lag and turns unready while replay is held back past the bound, ready again after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_read_from_a_streaming_standby() {
    if Backend::postgres().is_none() {
        eprintln!("skipped: FANGXIN_TEST_DATABASE_URL is not set");
        return;
    }
    let cluster = tokio::task::spawn_blocking(Cluster::start).await.unwrap();
    let (primary, standby) = (Cluster::url(cluster.primary), Cluster::url(cluster.standby));
    let options = |demo: Option<u64>| Options {
        demo_merchants: demo,
        database_url: Some(primary.clone()),
        read_url: Some((standby.clone(), 1_000)),
        ..Default::default()
    };
    let first = TestApp::spawn_with(Backend::Sqlite, options(Some(200))).await;
    let second = TestApp::spawn_with(Backend::Sqlite, options(None)).await;
    // The second built its index from the standby: every demo merchant is found.
    let caught_up = within(Duration::from_secs(20), || async {
        second.search("").await.total == 200
    })
    .await;
    assert!(
        caught_up.is_some(),
        "the second replica's index is complete"
    );

    let (status, ready) = second.get_json("/readyz").await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["read_replica"]["status"], "ok", "{ready}");

    // A penalty through the first replica reaches the second's page and search.
    let regulator = first.token_for("regulator", None).await;
    let hit = second.search("").await.hits[10].clone();
    let today = fangxin_core::clock::today(fangxin_core::clock::now());
    let decision = "五市监处罚〔2026〕7001号";
    let (status, body) = first
        .post_json(
            "/api/v1/admin/penalties",
            Some(&regulator),
            json!({
                "decision_no": decision,
                "uscc": hit.uscc,
                "categories": ["fine"],
                "fine_yuan": "20000",
                "violation_type": "销售过期食品",
                "facts": "经查，当事人销售超过保质期的食品。",
                "legal_basis": "《食品安全法》第一百二十四条",
                "authority": "昆明市五华区市场监督管理局",
                "decided_on": today.to_string(),
                "procedure": "ordinary",
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let seen = within(Duration::from_secs(2), || async {
        let page = second
            .get(&format!("/m/{}", hit.uscc))
            .await
            .text()
            .await
            .unwrap_or_default();
        let found = second.search(&hit.uscc).await;
        page.contains(decision)
            && found
                .hits
                .first()
                .is_some_and(|h| h.score != hit.score || h.grade != hit.grade)
    })
    .await;
    assert!(
        seen.is_some(),
        "the other replica shows the penalty and its new score within 2 s"
    );

    // Replay held back on the standby: past the bound, the replicas say they are not
    // ready (a load balancer routes around them); replay resumed, they are again.
    use sea_orm::{ConnectionTrait, Database, Statement};
    let on_standby = Database::connect(standby.as_str()).await.unwrap();
    let run = |sql: &'static str| {
        let db = &on_standby;
        async move {
            db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap();
        }
    };
    run("SELECT pg_wal_replay_pause()").await;
    let (status, body) = first
        .post_json(
            "/api/v1/admin/warnings",
            Some(&regulator),
            json!({"title": "复制延迟测试", "body": "……", "category": "消费警示"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let unready = within(Duration::from_secs(10), || async {
        second.get("/readyz").await.status() == 503
    })
    .await;
    assert!(
        unready.is_some(),
        "a lagging standby makes its replicas unready"
    );
    run("SELECT pg_wal_replay_resume()").await;
    let ready = within(Duration::from_secs(10), || async {
        second.get("/readyz").await.status() == 200
    })
    .await;
    assert!(ready.is_some(), "ready again once the standby caught up");
    let (_, warnings) = second.get_json("/api/v1/warnings").await;
    assert!(warnings.to_string().contains("复制延迟测试"));
    on_standby.close().await.ok();
    second.finish().await;
    first.finish().await;
    drop(cluster);
}
