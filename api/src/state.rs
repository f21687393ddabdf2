//! What every handler, page and worker of the server can reach.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;

use crate::config::Settings;
use fangxin_core::feed::FeedNotifier;

/// A stored aggregate's computation time and its page.
pub type RenderedStats = (chrono::DateTime<chrono::Utc>, String);

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The primary: every write, and reads that must see their own writes.
    pub db: DatabaseConnection,
    /// What the public reads (`[database] read_url`, a hot standby), else the primary.
    pub reads: DatabaseConnection,
    pub index: Arc<fangxin_core::indexing::SharedIndex>,
    pub settings: Arc<Settings>,
    pub notifier: FeedNotifier,
    pub redis: Option<fangxin_core::redis_link::RedisLink>,
    pub scoring: Arc<fangxin_core::scores::Scoring>,
    pub metrics: PrometheusHandle,
    /// Login attempts per address and per username.
    pub login_limiter: Arc<fangxin_core::accounts::RateLimiter>,
    /// Public endpoints, per client address.
    pub public_limiter: Arc<fangxin_core::accounts::RateLimiter>,
    /// Set while an index rebuild runs.
    pub reindex_running: Arc<std::sync::atomic::AtomicBool>,
    /// Set when a signal asked the process to stop: `/readyz` answers 503 so the load
    /// balancer stops sending requests, while those already sent are still served.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
    /// The public statistics page as last rendered, with the stored result's computation
    /// time: rendered again only when the background worker stored a newer one.
    pub stats_page: Arc<tokio::sync::Mutex<Option<RenderedStats>>>,
}
