//! A dependency goes away while people read: Redis and PostgreSQL are stopped under a running
//! app (throwaway servers on free ports, never the machine's shared ones). Readers must not
//! wait for the missing one, refusals say "try again" (503 with Retry-After), and everything
//! recovers when it is back, without a restart.

use std::time::{Duration, Instant};

use fangxin_scoring::Uscc;

use crate::feed::create_and_announce;
use crate::helpers::{Backend, Options, TestApp, redis_url};
use crate::throwaway::{ThrowawayPostgres, ThrowawayRedis};

/// Far above what a reader should ever wait, far below the 9–30 s stalls these tests guard
/// against: a bound on hanging, not a speed measurement.
const NO_STALL: Duration = Duration::from_secs(3);

async fn timed_get(app: &TestApp, path: &str) -> (u16, Duration, reqwest::Response) {
    let started = Instant::now();
    let response = app.get(path).await;
    (response.status().as_u16(), started.elapsed(), response)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_do_not_wait_for_a_redis_that_went_away() {
    if redis_url().is_none() {
        eprintln!("skipped: FANGXIN_TEST_REDIS_URL is not set");
        return;
    }
    let mut redis = ThrowawayRedis::start()
        .expect("redis-server must be installed where FANGXIN_TEST_REDIS_URL is set");
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            demo_merchants: Some(50),
            redis: Some(redis.url()),
            // A limit, so every anonymous request asks Redis for its count.
            public_per_minute: 100_000,
            ..Default::default()
        },
    )
    .await;
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(
        (status, body["redis"].as_str()),
        (200, Some("ok")),
        "{body}"
    );

    redis.kill();
    for round in 0..5 {
        for path in [
            "/api/v1/merchants/search?q=%E9%A4%90%E9%A5%AE",
            "/",
            "/api/v1/penalties",
            "/readyz",
        ] {
            let (status, took, _) = timed_get(&app, path).await;
            assert_eq!(status, 200, "{path} with Redis down");
            assert!(took < NO_STALL, "{path} took {took:?} (round {round})");
        }
    }
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(
        (status, body["redis"].as_str()),
        (200, Some("degraded")),
        "Redis down is degraded, not unready: {body}"
    );
    // Writes still reach search: the wake-up stays in process.
    let uscc = Uscc::from_parts('9', '2', "530102", "MC000077").unwrap();
    let started = Instant::now();
    create_and_announce(&app, &uscc, "红云断线测试店").await;
    assert!(started.elapsed() < NO_STALL);
    let found = app.wait_for_search("断线测试", |r| r.total == 1).await;
    assert_eq!(found.total, 1);

    redis.resume().expect("redis-server starts again");
    let started = Instant::now();
    loop {
        let (_, body) = app.get_json("/readyz").await;
        if body["redis"] == "ok" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "Redis is back but readiness still says {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_fails_fast_and_recovers_by_itself() {
    if Backend::postgres().is_none() {
        eprintln!("skipped: FANGXIN_TEST_DATABASE_URL is not set");
        return;
    }
    let pg = ThrowawayPostgres::start().expect(
        "PostgreSQL's server binaries must be installed where FANGXIN_TEST_DATABASE_URL is set",
    );
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            demo_merchants: Some(50),
            database_url: Some(pg.url()),
            ..Default::default()
        },
    )
    .await;
    let uscc = app.search("").await.hits[0].uscc.clone();
    let (status, _, _) = timed_get(&app, "/api/v1/penalties").await;
    assert_eq!(status, 200);

    pg.kill();
    for round in 0..3 {
        let (status, took, response) = timed_get(&app, "/api/v1/penalties").await;
        assert_eq!(status, 503, "round {round}");
        assert!(
            took < NO_STALL,
            "the API waited {took:?} for a database that is down"
        );
        assert!(response.headers().contains_key("retry-after"));
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "database_unavailable", "{body}");

        let (status, took, response) = timed_get(&app, &format!("/m/{uscc}")).await;
        assert_eq!(status, 503, "the merchant page with the database down");
        assert!(took < NO_STALL, "the page waited {took:?}");
        assert!(response.headers().contains_key("retry-after"));
        let html = response.text().await.unwrap();
        assert!(html.contains("请几秒钟后刷新"), "a Chinese page: {html}");

        // Search needs only its index.
        let (status, took, _) =
            timed_get(&app, "/api/v1/merchants/search?q=%E9%A4%90%E9%A5%AE").await;
        assert_eq!(status, 200);
        assert!(took < NO_STALL);

        let (status, took, _) = timed_get(&app, "/readyz").await;
        assert_eq!(status, 503);
        // The server gives each check half a second (0.5 s measured); the rest is slack for
        // a loaded CI machine, far below the 30 s hang this guards against.
        assert!(
            took < Duration::from_millis(1500),
            "readiness took {took:?}"
        );
    }

    pg.resume();
    let started = Instant::now();
    loop {
        let (status, _, _) = timed_get(&app, "/api/v1/penalties").await;
        if status == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the database is back but the API still answers {status}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (status, _, _) = timed_get(&app, &format!("/m/{uscc}")).await;
    assert_eq!(status, 200);
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 200, "{body}");
    app.finish().await;
}

/// Reads until the server closes the connection (or `limit` passes); what it sent.
async fn read_until_closed(stream: &mut tokio::net::TcpStream, limit: Duration) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&got).into_owned()),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// Clients that send half a request are dropped, and cannot hold every connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_clients_are_dropped() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            demo_merchants: Some(20),
            connection_limits: Some((1_000, 1_000, 4)),
            ..Default::default()
        },
    )
    .await;
    let connect = || tokio::net::TcpStream::connect(app.addr);

    // Half the headers, then nothing: closed after the header timeout.
    let mut half_headers = connect().await.unwrap();
    half_headers
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    assert!(
        read_until_closed(&mut half_headers, Duration::from_secs(10))
            .await
            .is_some(),
        "a client that never finishes its headers is dropped"
    );

    // Headers and part of the body, then nothing: refused and closed.
    let mut half_body = connect().await.unwrap();
    half_body
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"username\"",
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut half_body, Duration::from_secs(10))
        .await
        .expect("a body that stops arriving is not waited for");
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");

    // Four stalled clients fill every slot; a fifth is served once they are dropped.
    let mut stalled = Vec::new();
    for _ in 0..4 {
        let mut s = connect().await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        stalled.push(s);
    }
    let (status, body) = app.get_json("/healthz").await;
    assert_eq!(status, 200, "{body}");
    app.finish().await;
}
