//! `TestApp`: one running Fangxin per test, on its own database and index.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fangxin_api::app::ShutdownHandle;
use fangxin_api::search::SearchResponse;
use fangxin_api::state::AppState;
use fangxin_api::{App, Settings};
use sea_orm::{ConnectionTrait, Database};
use tempfile::TempDir;

/// Runs each named test function once per backend, as `sqlite::name` and
/// `postgres::name` (the latter only does work when `FANGXIN_TEST_DATABASE_URL` is set).
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    match $crate::helpers::Backend::postgres() {
                        Some(backend) => super::$name(backend).await,
                        None => eprintln!("skipped: FANGXIN_TEST_DATABASE_URL is not set"),
                    }
                }
            )*
        }
    };
}

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    /// The server URL from `FANGXIN_TEST_DATABASE_URL`; each test makes its own database.
    Postgres(String),
}

impl Backend {
    pub fn postgres() -> Option<Backend> {
        std::env::var("FANGXIN_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .map(Backend::Postgres)
    }
}

pub fn redis_url() -> Option<String> {
    std::env::var("FANGXIN_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// Creates a fresh, empty PostgreSQL database and returns its URL.
async fn fresh_postgres(server_url: &str) -> (String, String) {
    let admin = Database::connect(server_url).await.unwrap_or_else(|e| {
        panic!("FANGXIN_TEST_DATABASE_URL is set but PostgreSQL does not answer: {e}")
    });
    let name = format!("fangxin_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");
    admin.close().await.ok();
    let base = match server_url.rsplit_once('/') {
        Some((base, tail)) if !tail.contains('@') && !base.ends_with('/') => base.to_owned(),
        _ => server_url.trim_end_matches('/').to_owned(),
    };
    (format!("{base}/{name}"), name)
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub state: AppState,
    pub settings: Settings,
    pub backend: Backend,
    shutdown: ShutdownHandle,
    server: tokio::task::JoinHandle<()>,
    pg_database: Option<String>,
    dir: TempDir,
}

pub struct Options {
    pub demo_merchants: Option<u64>,
    pub redis: Option<String>,
    /// Join an existing database (a second replica) instead of making a fresh one.
    pub database_url: Option<String>,
    /// The public rate limit per minute; tests run without one unless they set it.
    pub public_per_minute: u32,
    pub max_body_bytes: Option<usize>,
    pub metrics_token: Option<String>,
    /// `[server] header_timeout_ms`, `body_timeout_ms` and `max_connections`.
    pub connection_limits: Option<(u64, u64, usize)>,
    /// `[database] read_url` (a hot standby) and `max_replica_lag_ms`.
    pub read_url: Option<(String, u64)>,
    /// `[server] aggregates_refresh_seconds`, `aggregates_refresh_changes` and
    /// `aggregates_min_gap_seconds`.
    pub aggregates: Option<(u64, u64, u64)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            demo_merchants: Some(300),
            redis: None,
            database_url: None,
            public_per_minute: 0,
            max_body_bytes: None,
            metrics_token: None,
            connection_limits: None,
            read_url: None,
            aggregates: None,
        }
    }
}

pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl TestApp {
    /// A running app with a small demo district.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, Options::default()).await
    }

    pub async fn spawn_with(backend: Backend, options: Options) -> TestApp {
        install_crypto();
        let dir = TempDir::new().expect("temp dir");
        let mut settings = Settings::defaults_in(dir.path()).expect("default settings");
        settings.server.bind = "127.0.0.1:0".into();
        settings.index.poll_interval_ms = 50;
        // The demo's dates run up to its `as_of`; tests make it today so that "recent",
        // "young" and "in publicity" mean the same whenever they run.
        settings.demo.as_of = fangxin_core::clock::today(fangxin_core::clock::now());
        let mut pg_database = None;
        if let Some(url) = &options.database_url {
            settings.database.url = fangxin_api::config::Secret::new(url.clone());
            settings.database.max_connections = 5;
        } else if let Backend::Postgres(server) = &backend {
            let (url, name) = fresh_postgres(server).await;
            settings.database.url = fangxin_api::config::Secret::new(url);
            settings.database.max_connections = 5;
            pg_database = Some(name);
        }
        if let Some(url) = &options.redis {
            settings.redis.url = fangxin_api::config::Secret::new(url.clone());
        }
        if let Some(n) = options.demo_merchants {
            settings.demo.merchants = n;
        }
        settings.limits.public_per_minute = options.public_per_minute;
        if let Some(max) = options.max_body_bytes {
            settings.server.max_body_bytes = max;
        }
        if let Some((header, body, connections)) = options.connection_limits {
            settings.server.header_timeout_ms = header;
            settings.server.body_timeout_ms = body;
            settings.server.max_connections = connections;
        }
        if let Some((url, max_lag)) = &options.read_url {
            settings.database.read_url = fangxin_api::config::Secret::new(url.clone());
            settings.database.max_replica_lag_ms = *max_lag;
        }
        if let Some((every, changes, gap)) = options.aggregates {
            settings.server.aggregates_refresh_seconds = every;
            settings.server.aggregates_refresh_changes = changes;
            settings.server.aggregates_min_gap_seconds = gap;
        }
        if let Some(token) = &options.metrics_token {
            settings.server.metrics_token = fangxin_api::config::Secret::new(token.clone());
        }
        Self::start(
            settings,
            backend,
            options.demo_merchants.is_some(),
            pg_database,
            dir,
        )
        .await
    }

    async fn start(
        settings: Settings,
        backend: Backend,
        demo: bool,
        pg_database: Option<String>,
        dir: TempDir,
    ) -> TestApp {
        let app = App::build(settings.clone(), demo)
            .await
            .expect("app builds");
        let addr = app.local_addr().expect("bound");
        let state = app.state();
        let shutdown = app.shutdown_handle();
        let server = tokio::spawn(async move {
            app.run_until_stopped().await.expect("app runs");
        });
        TestApp {
            addr,
            client: reqwest::Client::new(),
            state,
            settings,
            backend,
            shutdown,
            server,
            pg_database,
            dir,
        }
    }

    /// Stops the app and starts it again on the same database and index directory.
    pub async fn restart(self) -> TestApp {
        self.shutdown.trigger();
        self.server.await.expect("server stopped");
        drop(self.state);
        let mut settings = self.settings;
        settings.server.bind = "127.0.0.1:0".into();
        Self::start(settings, self.backend, false, self.pg_database, self.dir).await
    }

    /// The database this app uses, for a second replica to join.
    pub fn database_url(&self) -> String {
        self.settings.database_url()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        let body = r.json().await.unwrap_or(serde_json::Value::Null);
        (status, body)
    }

    /// POSTs JSON, with a bearer token when given; returns the status and the body
    /// (`Null` when it is not JSON).
    pub async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let mut req = self.client.post(self.url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.expect("request sent");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// POSTs a raw body of `content_type` (an import file); returns the status and body.
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> (u16, serde_json::Value) {
        let mut req = self
            .client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.expect("request sent");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// GETs as the holder of `token`.
    pub async fn get_json_as(&self, path: &str, token: &str) -> (u16, serde_json::Value) {
        let r = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn search(&self, query: &str) -> SearchResponse {
        let r = self
            .client
            .get(self.url("/api/v1/merchants/search"))
            .query(&[("q", query)])
            .send()
            .await
            .expect("search sent");
        assert_eq!(r.status(), 200, "search {query}");
        r.json().await.expect("search json")
    }

    /// The USCCs of the first page of an empty search: merchants of the demo district.
    pub async fn usccs(&self) -> Vec<String> {
        self.search("")
            .await
            .hits
            .iter()
            .map(|h| h.uscc.clone())
            .collect()
    }

    /// Polls search until `found` holds or ten seconds pass (not a timing assertion:
    /// write-to-visible latency is measured in benchmarks).
    pub async fn wait_for_search(
        &self,
        query: &str,
        found: impl Fn(&SearchResponse) -> bool,
    ) -> SearchResponse {
        let started = Instant::now();
        loop {
            let r = self.search(query).await;
            if found(&r) || started.elapsed() > Duration::from_secs(10) {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Creates an account through the service (as `fangxin accounts create` does).
    pub async fn create_account(
        &self,
        role: &str,
        username: &str,
        password: &str,
        uscc: Option<&str>,
    ) {
        fangxin_core::accounts::create(
            &self.state.db,
            fangxin_core::accounts::NewAccount {
                username: username.into(),
                password: password.into(),
                role: fangxin_scoring::domain::Role::parse(role).expect("role"),
                uscc: uscc.map(|u| fangxin_scoring::Uscc::parse(u).expect("uscc")),
                display_name: None,
            },
            &fangxin_core::audit::Actor::system(),
            fangxin_core::clock::now(),
        )
        .await
        .expect("account created");
    }

    /// Logs in over the API; returns (status, body).
    pub async fn login(&self, username: &str, password: &str) -> (u16, serde_json::Value) {
        let r = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("login sent");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// A bearer token for a fresh account of `role`.
    pub async fn token_for(&self, role: &str, uscc: Option<&str>) -> String {
        let username = format!("{role}-{}", uuid::Uuid::new_v4().simple());
        self.create_account(role, &username, "a long enough password", uscc)
            .await;
        let (status, body) = self.login(&username, "a long enough password").await;
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// Stops the app and drops its PostgreSQL database.
    pub async fn finish(self) {
        self.shutdown.trigger();
        let _ = self.server.await;
        self.state.db.clone().close().await.ok();
        if let (Some(name), Backend::Postgres(server)) = (&self.pg_database, &self.backend)
            && let Ok(admin) = Database::connect(server.as_str()).await
        {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
        }
    }
}
