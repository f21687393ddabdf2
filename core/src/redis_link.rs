//! Redis as a helper that may go away. Rate limits and feed wake-ups use it when it answers
//! and fall back to this process when it does not; readers must not wait for it. Every call is
//! bounded by a short timeout, and after a failure Redis is left alone (callers fall back at
//! once) while one probe at a time, off the request path, checks whether it is back.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// How long Redis is left alone after a failure before the next probe.
const REST: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct RedisLink {
    conn: ConnectionManager,
    client: redis::Client,
    state: Arc<LinkState>,
}

struct LinkState {
    timeout: Duration,
    started: Instant,
    /// Milliseconds since `started` before which Redis is not asked (0: it is up).
    resting_until_ms: AtomicU64,
    probing: AtomicBool,
}

/// What `/readyz` says of Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Up,
    /// Not answering: the process serves on without it.
    Degraded,
}

impl RedisLink {
    /// A link that connects on first use, so a process starts while Redis is away.
    /// `timeout` bounds every call (connecting included).
    pub fn new(client: redis::Client, timeout: Duration) -> redis::RedisResult<Self> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(REST);
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        Ok(RedisLink {
            conn,
            client,
            state: Arc::new(LinkState {
                timeout,
                started: Instant::now(),
                resting_until_ms: AtomicU64::new(0),
                probing: AtomicBool::new(false),
            }),
        })
    }

    /// The client, for connections of their own (pub/sub).
    pub fn client(&self) -> &redis::Client {
        &self.client
    }

    /// Runs `call` on the shared connection within the timeout. `None` when Redis failed
    /// lately (until a background probe finds it back), or fails or is slow now: the caller
    /// falls back.
    pub async fn run<T, F, Fut>(&self, what: &'static str, call: F) -> Option<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        if self.resting() {
            self.probe_later();
            return None;
        }
        match tokio::time::timeout(self.state.timeout, call(self.conn.clone())).await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(e)) => {
                self.failed(what, &e.to_string());
                None
            }
            Err(_) => {
                self.failed(what, "timed out");
                None
            }
        }
    }

    /// Asks Redis now (within the timeout), resting or not: for readiness.
    pub async fn health(&self) -> Health {
        if self.ping().await {
            self.state.resting_until_ms.store(0, Ordering::Relaxed);
            Health::Up
        } else {
            self.failed("ping", "no answer");
            Health::Degraded
        }
    }

    async fn ping(&self) -> bool {
        let mut conn = self.conn.clone();
        let pong = tokio::time::timeout(
            self.state.timeout,
            redis::cmd("PING").query_async::<String>(&mut conn),
        )
        .await;
        matches!(pong, Ok(Ok(_)))
    }

    fn now_ms(&self) -> u64 {
        self.state.started.elapsed().as_millis() as u64
    }

    fn resting(&self) -> bool {
        self.state.resting_until_ms.load(Ordering::Relaxed) != 0
    }

    fn failed(&self, what: &str, error: &str) {
        let was = self
            .state
            .resting_until_ms
            .swap(self.now_ms() + REST.as_millis() as u64, Ordering::Relaxed);
        if was == 0 {
            tracing::warn!(
                call = what,
                error,
                "Redis does not answer: falling back to this process until it does"
            );
        }
    }

    /// After the rest, one probe in the background; requests keep falling back meanwhile.
    fn probe_later(&self) {
        let until = self.state.resting_until_ms.load(Ordering::Relaxed);
        if self.now_ms() < until || self.state.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let link = self.clone();
        tokio::spawn(async move {
            if link.ping().await {
                link.state.resting_until_ms.store(0, Ordering::Relaxed);
                tracing::info!("Redis answers again");
            } else {
                link.state
                    .resting_until_ms
                    .store(link.now_ms() + REST.as_millis() as u64, Ordering::Relaxed);
            }
            link.state.probing.store(false, Ordering::Release);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A port nothing listens on: Redis is "down".
    fn closed_port() -> u16 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }

    #[tokio::test]
    async fn a_missing_redis_costs_callers_nothing_after_the_first_failure() {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}", closed_port())).unwrap();
        let link = RedisLink::new(client, Duration::from_millis(200)).unwrap();
        let first = Instant::now();
        let got = link
            .run("test", |mut c| async move {
                redis::cmd("PING").query_async::<String>(&mut c).await
            })
            .await;
        assert!(got.is_none());
        assert!(first.elapsed() < Duration::from_secs(1));
        let rest = Instant::now();
        for _ in 0..1000 {
            let got = link
                .run("test", |mut c| async move {
                    redis::cmd("PING").query_async::<String>(&mut c).await
                })
                .await;
            assert!(got.is_none());
        }
        // A thousand calls while resting: no waiting on the network at all.
        assert!(rest.elapsed() < Duration::from_millis(200));
        assert_eq!(link.health().await, Health::Degraded);
    }
}
