//! Fixed-window rate limits. With Redis configured the counters live there, so every
//! replica shares them; without it (or while Redis does not answer) they are kept in
//! process. A Redis that fails is left alone for a while (`RedisLink`), so a request never
//! waits for it beyond one short timeout.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub struct RateLimiter {
    /// Names the limit in Redis keys (`fangxin:rl:{name}:…`).
    name: &'static str,
    limit: u32,
    window: Duration,
    local: Mutex<HashMap<String, (Instant, u32)>>,
    redis: Option<crate::redis_link::RedisLink>,
}

impl RateLimiter {
    /// `limit` hits per `window` and key; a limit of 0 lets everything through.
    pub fn new(
        name: &'static str,
        limit: u32,
        window: Duration,
        redis: Option<crate::redis_link::RedisLink>,
    ) -> Self {
        RateLimiter {
            name,
            limit,
            window,
            local: Mutex::new(HashMap::new()),
            redis,
        }
    }

    /// Counts a hit for `key`; `Err(seconds)` until the window ends when over the limit.
    pub async fn check(&self, key: &str) -> Result<(), u64> {
        if self.limit == 0 {
            return Ok(());
        }
        if let Some(redis) = &self.redis {
            let window = self.window.as_secs().max(1);
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs();
            let redis_key = format!("fangxin:rl:{}:{key}:{}", self.name, now / window);
            let counted = redis
                .run("rate limit", |mut conn| async move {
                    let (count,): (u64,) = redis::pipe()
                        .atomic()
                        .incr(&redis_key, 1u64)
                        .expire(&redis_key, (window * 2) as i64)
                        .ignore()
                        .query_async(&mut conn)
                        .await?;
                    Ok(count)
                })
                .await;
            if let Some(count) = counted {
                if count > u64::from(self.limit) {
                    return Err((window - now % window).max(1));
                }
                return Ok(());
            }
        }
        self.check_local(key)
    }

    fn check_local(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut hits = match self.local.lock() {
            Ok(h) => h,
            Err(poisoned) => poisoned.into_inner(),
        };
        if hits.len() > 100_000 {
            hits.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = hits.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > self.limit {
            let left = self.window.saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limits_per_key() {
        let l = RateLimiter::new("test", 2, Duration::from_secs(60), None);
        assert!(l.check("a").await.is_ok());
        assert!(l.check("a").await.is_ok());
        assert!(l.check("a").await.is_err());
        assert!(l.check("b").await.is_ok());
    }

    #[tokio::test]
    async fn zero_means_unlimited() {
        let l = RateLimiter::new("test", 0, Duration::from_secs(60), None);
        for _ in 0..100 {
            assert!(l.check("a").await.is_ok());
        }
    }
}
