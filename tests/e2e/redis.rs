//! With Redis configured: readiness checks it and wake-ups travel through it.

use fangxin_scoring::Uscc;

use crate::feed::create_and_announce;
use crate::helpers::{Backend, Options, TestApp, redis_url};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_checks_redis_and_writes_wake_the_index() {
    let Some(url) = redis_url() else {
        eprintln!("skipped: FANGXIN_TEST_REDIS_URL is not set");
        return;
    };
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            demo_merchants: Some(100),
            redis: Some(url),
            database_url: None,
            ..Default::default()
        },
    )
    .await;
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["redis"], "ok");
    let uscc = Uscc::from_parts('9', '2', "530102", "MC000001").unwrap();
    create_and_announce(&app, &uscc, "红云唤醒测试店").await;
    let r = app.wait_for_search("唤醒测试", |r| r.total == 1).await;
    assert_eq!(r.total, 1);
    app.finish().await;
}

/// Two replicas behind one address share the public rate limit through Redis.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_rate_limits_through_redis() {
    let Some(url) = redis_url() else {
        eprintln!("skipped: FANGXIN_TEST_REDIS_URL is not set");
        return;
    };
    // Stay inside one minute window, and start it clean.
    let second = fangxin_core::clock::now().timestamp() % 60;
    if second > 45 {
        tokio::time::sleep(std::time::Duration::from_secs((61 - second) as u64)).await;
    }
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("fangxin:rl:public:127.0.0.1:*")
        .query_async(&mut conn)
        .await
        .unwrap();
    for k in keys {
        let _: () = redis::cmd("DEL")
            .arg(k)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
    let options = || Options {
        demo_merchants: Some(50),
        redis: Some(url.clone()),
        public_per_minute: 4,
        ..Default::default()
    };
    let first = TestApp::spawn_with(Backend::Sqlite, options()).await;
    let second = TestApp::spawn_with(Backend::Sqlite, options()).await;
    for _ in 0..4 {
        assert_eq!(first.get("/api/v1/penalties").await.status(), 200);
    }
    let r = second.get("/api/v1/penalties").await;
    assert_eq!(
        r.status(),
        429,
        "the second replica counts the first's requests"
    );
    assert!(r.headers().get("retry-after").is_some());
    first.finish().await;
    second.finish().await;
}
