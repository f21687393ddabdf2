//! Wake-ups for feed followers. In process a `Notify`; with Redis, a pub/sub channel so
//! that every replica wakes. A lost wake-up only adds latency: followers also poll.

use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::{Notify, watch};

const CHANNEL: &str = "fangxin:change_events";

#[derive(Clone)]
pub struct FeedNotifier {
    local: Arc<Notify>,
    redis: Option<redis::aio::ConnectionManager>,
}

impl FeedNotifier {
    pub fn in_process() -> Self {
        FeedNotifier {
            local: Arc::new(Notify::new()),
            redis: None,
        }
    }

    /// Publishes wake-ups through Redis as well, and listens for other replicas'.
    pub async fn with_redis(
        client: redis::Client,
        shutdown: watch::Receiver<bool>,
    ) -> redis::RedisResult<Self> {
        let manager = client.get_connection_manager().await?;
        let local = Arc::new(Notify::new());
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(CHANNEL).await?;
        let wake = local.clone();
        tokio::spawn(async move {
            let mut shutdown = shutdown;
            let mut messages = pubsub.into_on_message();
            loop {
                tokio::select! {
                    _ = shutdown.changed() => break,
                    msg = messages.next() => match msg {
                        Some(_) => wake.notify_waiters(),
                        None => {
                            tracing::warn!("redis wake-up subscription closed, falling back to polling");
                            break;
                        }
                    },
                }
            }
        });
        Ok(FeedNotifier {
            local,
            redis: Some(manager),
        })
    }

    /// Tells followers that new events are committed.
    pub async fn changed(&self) {
        self.local.notify_waiters();
        if let Some(mut conn) = self.redis.clone() {
            let published: redis::RedisResult<i64> = redis::cmd("PUBLISH")
                .arg(CHANNEL)
                .arg("1")
                .query_async(&mut conn)
                .await;
            if let Err(e) = published {
                tracing::warn!(error = %e, "redis wake-up not published");
            }
        }
    }

    /// Waits for the next wake-up.
    pub async fn notified(&self) {
        self.local.notified().await;
    }
}
