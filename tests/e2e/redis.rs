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
