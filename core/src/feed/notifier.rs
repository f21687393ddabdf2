//! Wake-ups for feed followers. In process a `Notify`; with Redis, a pub/sub channel so
//! that every replica wakes. A lost wake-up only adds latency: followers also poll.

use std::sync::Arc;

use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{Notify, watch};

use crate::redis_link::RedisLink;

const CHANNEL: &str = "fangxin:change_events";

#[derive(Clone)]
pub struct FeedNotifier {
    local: Arc<Notify>,
    redis: Option<RedisLink>,
}

impl FeedNotifier {
    pub fn in_process() -> Self {
        FeedNotifier {
            local: Arc::new(Notify::new()),
            redis: None,
        }
    }

    /// Publishes wake-ups through Redis as well, and listens for other replicas'. While Redis
    /// is away, wake-ups stay in this process (followers poll), and the subscription is made
    /// again when it is back.
    pub fn with_redis(link: RedisLink, shutdown: watch::Receiver<bool>) -> Self {
        let local = Arc::new(Notify::new());
        tokio::spawn(listen(link.client().clone(), local.clone(), shutdown));
        FeedNotifier {
            local,
            redis: Some(link),
        }
    }

    /// Tells followers that new events are committed.
    pub async fn changed(&self) {
        self.local.notify_waiters();
        if let Some(link) = &self.redis {
            link.run("feed wake-up", |mut conn| async move {
                redis::cmd("PUBLISH")
                    .arg(CHANNEL)
                    .arg("1")
                    .query_async::<i64>(&mut conn)
                    .await
            })
            .await;
        }
    }

    /// Waits for the next wake-up.
    pub async fn notified(&self) {
        self.local.notified().await;
    }
}

/// Other replicas' wake-ups, for as long as the process runs: subscribes, and again after
/// Redis went away, every few seconds until it is back.
async fn listen(client: redis::Client, wake: Arc<Notify>, mut shutdown: watch::Receiver<bool>) {
    const AGAIN: Duration = Duration::from_secs(3);
    let mut warned = false;
    loop {
        let subscribed = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(CHANNEL).await?;
            redis::RedisResult::Ok(pubsub)
        };
        if let Ok(Ok(pubsub)) = tokio::time::timeout(AGAIN, subscribed).await {
            if warned {
                tracing::info!("Redis wake-ups subscribed again");
            }
            warned = false;
            // Events committed while the subscription was down: followers catch up now.
            wake.notify_waiters();
            let mut messages = pubsub.into_on_message();
            loop {
                tokio::select! {
                    _ = shutdown.changed() => return,
                    msg = messages.next() => match msg {
                        Some(_) => wake.notify_waiters(),
                        None => break,
                    },
                }
            }
        }
        if !warned {
            tracing::warn!("Redis wake-up subscription lost: followers poll until it is back");
            warned = true;
        }
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tokio::time::sleep(AGAIN) => {}
        }
    }
}
