//! Building the application and running it are two steps, so tests boot the real thing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use fangxin_core::aggregates::{KEPT, PUBLIC_STATS};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Settings;
use crate::state::AppState;
use crate::telemetry;
use fangxin_core::demo::{self, DemoOptions};
use fangxin_core::feed::FeedNotifier;
use fangxin_core::indexing::{self, IndexFollower, SharedIndex};
use fangxin_core::redis_link::{Health, RedisLink};
use fangxin_core::store::entities::merchant;
use fangxin_core::{scores, store};

/// Stops a running app from elsewhere (tests, signal handlers).
#[derive(Clone)]
pub struct ShutdownHandle(Arc<watch::Sender<bool>>);

impl ShutdownHandle {
    pub fn trigger(&self) {
        let _ = self.0.send(true);
    }
}

pub struct App {
    listener: TcpListener,
    state: AppState,
    shutdown_tx: Arc<watch::Sender<bool>>,
    workers: Vec<JoinHandle<()>>,
    /// Passes of the sweep finished (the first runs at start-up).
    sweeps: watch::Receiver<u64>,
}

/// Opens the database (migrating it) for a command-line job, which may wait for connections
/// as long as it takes (half a minute).
pub async fn open_database(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    open_database_waiting(settings, Duration::from_secs(30)).await
}

/// Opens the database (migrating it); a connection is waited for at most `acquire_timeout`.
pub async fn open_database_waiting(
    settings: &Settings,
    acquire_timeout: Duration,
) -> anyhow::Result<DatabaseConnection> {
    let db = store::connect(
        &settings.database_url(),
        settings.database.max_connections,
        acquire_timeout,
        0,
    )
    .await
    .context("cannot connect to the database")?;
    store::migrate(&db).await.context("migrations failed")?;
    Ok(db)
}

/// The configured CSRF key, or the one kept in the data directory (made on first start).
fn csrf_key(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    let configured = settings.server.csrf_key.expose().trim();
    if !configured.is_empty() {
        return Ok(configured.as_bytes().to_vec());
    }
    let path = settings.data_dir.join("csrf.key");
    if let Ok(key) = std::fs::read(&path)
        && key.len() >= 32
    {
        return Ok(key);
    }
    let mut key = vec![0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut key);
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("cannot create {}", settings.data_dir.display()))?;
    std::fs::write(&path, &key).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(key)
}

pub fn open_index(settings: &Settings) -> anyhow::Result<Arc<SharedIndex>> {
    let dir = settings.index_dir();
    SharedIndex::open(&dir).map(Arc::new).with_context(|| {
        format!(
            "cannot open the search index in {} (is another fangxin process using it?)",
            dir.display()
        )
    })
}

/// Generates the demo district, scores it and leaves indexing to start-up.
pub async fn generate_demo(
    db: &DatabaseConnection,
    settings: &Settings,
    merchants: u64,
    seed: u64,
) -> anyhow::Result<demo::DemoSummary> {
    let summary = demo::generate(
        db,
        DemoOptions {
            merchants,
            seed,
            as_of: settings.demo.as_of,
            lower_amount_threshold_fen: settings.penalties.lower_amount_threshold_yuan * 100,
        },
    )
    .await?;
    let (_keep_running, never) = watch::channel(false);
    let scoring = settings.scoring()?;
    // Assess complainants first: the flags wait for a regulator and change no score.
    let claimants = fangxin_core::claimants::reassess_all(
        db,
        &scoring.model.claimants,
        fangxin_core::clock::now(),
    )
    .await?;
    tracing::info!(
        assessed = claimants.assessed,
        flagged = claimants.flagged,
        "complainants assessed"
    );
    scores::rescore_all(
        db,
        &scoring,
        fangxin_core::clock::now(),
        scores::FullRescore {
            restart: true,
            ..Default::default()
        },
        never,
    )
    .await?;
    Ok(summary)
}

impl App {
    /// Connects, migrates, (with `demo`) fills an empty database with the demo district,
    /// brings the index up to date, starts the workers and binds the listener.
    pub async fn build(settings: Settings, demo: bool) -> anyhow::Result<App> {
        let metrics = telemetry::metrics_handle();
        settings.apply_district()?;
        crate::portal::session::set_csrf_key(&csrf_key(&settings)?);
        let leftovers = fangxin_core::imports::Spool::clear_leftovers(&settings.imports_dir());
        if leftovers > 0 {
            tracing::info!(
                files = leftovers,
                "removed upload spool files of an earlier run"
            );
        }
        let scoring = Arc::new(settings.scoring()?);
        // A server fails fast when the database is away, rather than hold requests.
        let acquire = Duration::from_millis(settings.database.acquire_timeout_ms.max(100));
        let db = open_database_waiting(&settings, acquire).await?;
        if demo && merchant::Entity::find().count(&db).await? == 0 {
            tracing::info!(
                merchants = settings.demo.merchants,
                seed = settings.demo.seed,
                "generating the demo district"
            );
            let summary =
                generate_demo(&db, &settings, settings.demo.merchants, settings.demo.seed).await?;
            tracing::info!(?summary, "demo district ready");
        }
        // The public reads, and the index follows the feed, from the read-only copy when
        // there is one: a page and a search answer never run ahead of each other. On SQLite
        // they have a pool of their own that maps the file into memory: an export at a
        // million merchants reads its pages a quarter faster than by `pread`, while a writer's
        // connection that maps the file was slower (docs/benchmarks.md, issue #19).
        let mmap = settings.database.sqlite_read_mmap_mb << 20;
        let reads = match settings.database.read_url.expose().trim() {
            "" if mmap > 0 && store::sqlite_file(&settings.database_url()).is_some() => {
                store::connect(
                    &settings.database_url(),
                    settings.database.max_connections,
                    acquire,
                    mmap,
                )
                .await
                .context("cannot open the database's read pool")?
            }
            "" => db.clone(),
            url => store::connect(url, settings.database.max_connections, acquire, 0)
                .await
                .context("cannot connect to the read-only database (read_url)")?,
        };
        if !store::wait_for_replay(&db, &reads, Duration::from_secs(30)).await? {
            tracing::warn!(
                "the read-only database is more than 30 s behind the primary: \
                 the index starts from it and follows the feed as it catches up"
            );
        }
        let index = open_index(&settings)?;
        let merchants = merchant::Entity::find().count(&reads).await?;
        let current = index.current();
        // tantivy reads disk: off the async runtime, like every index call.
        let (docs, payload) = {
            let current = current.clone();
            tokio::task::spawn_blocking(move || {
                current.committed_payload().map(|p| (current.num_docs(), p))
            })
            .await??
        };
        let cursor = payload.map_or(0, |p| p.cursor);
        let head = indexing::head(&reads).await?;
        if (docs == 0 && merchants > 0) || cursor > head {
            // An empty index, or one that followed another database: rebuild it.
            tracing::info!(merchants, cursor, head, "building the search index");
            indexing::reindex(&reads, current.clone(), fangxin_core::clock::now()).await?;
        }
        drop(current);

        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (notifier, redis) = match settings.redis_url() {
            Some(url) => {
                let client = redis::Client::open(url).context("invalid redis url")?;
                let timeout = Duration::from_millis(settings.redis.timeout_ms.max(1));
                let link = RedisLink::new(client, timeout).context("invalid redis settings")?;
                if link.health().await == Health::Degraded {
                    tracing::warn!("Redis does not answer: serving without it until it does");
                }
                let notifier = FeedNotifier::with_redis(link.clone(), shutdown_rx.clone());
                (notifier, Some(link))
            }
            None => (FeedNotifier::in_process(), None),
        };
        let follower = IndexFollower::new(
            reads.clone(),
            index.clone(),
            settings.index.lookback_events,
            settings.index.lookback_seconds,
        )
        .await?;
        let worker = tokio::spawn(indexing::run_index_follower(
            follower,
            notifier.clone(),
            Duration::from_millis(settings.index.poll_interval_ms.max(10)),
            shutdown_rx,
        ));

        // The aggregates are stored before the first visitor comes (once: later starts find
        // them stored), then kept fresh in the background.
        let holder = aggregate_holder();
        let seconds = |s: u64| chrono::TimeDelta::seconds(i64::try_from(s).unwrap_or(i64::MAX));
        let policy = fangxin_core::aggregates::Policy {
            every: seconds(settings.server.aggregates_refresh_seconds.max(1)),
            changes: i64::try_from(settings.server.aggregates_refresh_changes.max(1))
                .unwrap_or(i64::MAX),
            min_gap: seconds(settings.server.aggregates_min_gap_seconds),
        };
        // Only the public statistics are awaited: the regulators' report is computed on
        // request until the background has stored it, so a first start does not wait twice.
        refresh_aggregates(&db, &reads, &scoring, &holder, &policy, &[PUBLIC_STATS]).await;
        let aggregates = tokio::spawn(run_aggregates(
            db.clone(),
            reads.clone(),
            scoring.clone(),
            holder,
            policy,
            shutdown_tx.subscribe(),
        ));

        let (sweep_passes, sweeps) = watch::channel(0u64);
        let sweep = tokio::spawn(fangxin_core::jobs::run_daily_sweep(
            db.clone(),
            scoring.clone(),
            notifier.clone(),
            Duration::from_secs(settings.scoring.sweep_interval_minutes.max(1) * 60),
            shutdown_tx.subscribe(),
            sweep_passes,
        ));

        let listener = TcpListener::bind(&settings.server.bind)
            .await
            .with_context(|| format!("cannot listen on {}", settings.server.bind))?;
        let state = AppState {
            db,
            reads,
            index,
            notifier,
            redis: redis.clone(),
            scoring,
            metrics,
            login_limiter: Arc::new(fangxin_core::accounts::RateLimiter::new(
                "login",
                settings.limits.login_per_minute,
                Duration::from_secs(60),
                redis.clone(),
            )),
            public_limiter: Arc::new(fangxin_core::accounts::RateLimiter::new(
                "public",
                settings.limits.public_per_minute,
                Duration::from_secs(60),
                redis.clone(),
            )),
            reindex_running: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            draining: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            stats_page: Arc::default(),
            settings: Arc::new(settings),
        };
        Ok(App {
            listener,
            state,
            shutdown_tx: Arc::new(shutdown_tx),
            workers: vec![worker, sweep, aggregates],
            sweeps,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The shared state, for tests that write through the services directly.
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Passes of the sweep finished so far; the first runs at start-up.
    pub fn sweeps(&self) -> watch::Receiver<u64> {
        self.sweeps.clone()
    }

    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.shutdown_tx.clone())
    }

    /// Serves until Ctrl-C, SIGTERM or the shutdown handle; then stops the workers, which
    /// commit what they hold.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let router = crate::router::router(self.state.clone());
        let mut stop = self.shutdown_tx.subscribe();
        let tx = self.shutdown_tx.clone();
        let draining = self.state.draining.clone();
        let drain = Duration::from_millis(self.state.settings.server.drain_ms);
        let signals = tokio::spawn(async move {
            wait_for_signal().await;
            // Lame duck first: unready, still serving, for as long as the balancer takes
            // to notice; then stop taking connections and finish those open.
            draining.store(true, std::sync::atomic::Ordering::SeqCst);
            tracing::info!(drain_ms = drain.as_millis() as u64, "stopping: draining");
            tokio::time::sleep(drain).await;
            let _ = tx.send(true);
        });
        let server = &self.state.settings.server;
        let limits = crate::serve::ConnectionLimits {
            header_timeout: Duration::from_millis(server.header_timeout_ms.max(100)),
            body_timeout: Duration::from_millis(server.body_timeout_ms.max(100)),
            max_connections: server.max_connections.max(1),
        };
        crate::serve::serve(
            self.listener,
            router,
            limits,
            async move {
                let _ = stop.wait_for(|s| *s).await;
            },
            Duration::from_secs(30),
        )
        .await;
        let _ = self.shutdown_tx.send(true);
        signals.abort();
        for w in self.workers {
            let _ = w.await;
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// The lease holder's name of this process in the aggregates table.
fn aggregate_holder() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        fangxin_core::clock::now()
            .timestamp_nanos_opt()
            .unwrap_or(0)
    )
}

/// Computes and stores each of `names` that is due, if this process takes its lease;
/// the data is read from the read-only copy when there is one.
async fn refresh_aggregates(
    db: &DatabaseConnection,
    reads: &DatabaseConnection,
    scoring: &fangxin_core::scores::Scoring,
    holder: &str,
    policy: &fangxin_core::aggregates::Policy,
    names: &[&str],
) {
    use fangxin_core::aggregates::{self, Refreshed};
    for &name in names {
        let started = std::time::Instant::now();
        let now = fangxin_core::clock::now();
        match aggregates::refresh(db, reads, name, holder, policy, &scoring.calendar, now).await {
            Ok(Refreshed::NotDue) => {}
            Ok(done) => tracing::info!(
                aggregate = name,
                seconds = started.elapsed().as_secs_f64(),
                stored = done == Refreshed::Stored,
                "aggregate computed"
            ),
            Err(e) => tracing::warn!(aggregate = name, error = %e, "aggregate not computed"),
        }
    }
}

/// Keeps the aggregates computed and stored: whenever one is older than the policy's
/// interval, or the change feed has moved far enough past it, by whichever replica takes
/// the lease; the others serve what is stored.
async fn run_aggregates(
    db: DatabaseConnection,
    reads: DatabaseConnection,
    scoring: Arc<fangxin_core::scores::Scoring>,
    holder: String,
    policy: fangxin_core::aggregates::Policy,
    mut stop: watch::Receiver<bool>,
) {
    // Check often enough to replace a stale result soon after it is due.
    let check = (policy
        .every
        .min(policy.min_gap)
        .to_std()
        .unwrap_or_default()
        / 5)
    .clamp(Duration::from_millis(200), Duration::from_secs(30));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(check) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        refresh_aggregates(&db, &reads, &scoring, &holder, &policy, &KEPT).await;
    }
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// A demo account made by `serve --demo`, with the password it was given this time.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub username: &'static str,
    pub role: fangxin_scoring::domain::Role,
    pub password: String,
    /// The merchant an enterprise account acts for.
    pub uscc: Option<String>,
}

/// Makes (or, on a later start, gives a fresh password to) one demo regulator and one demo
/// enterprise, acting for a merchant with a penalty and complaints, so the console and the
/// owner's page have something to show. Only `serve --demo` calls this.
pub async fn demo_accounts(db: &DatabaseConnection) -> anyhow::Result<Vec<DemoAccount>> {
    use fangxin_core::accounts::{self, AccountChange, NewAccount};
    use fangxin_core::audit::Actor;
    use fangxin_scoring::domain::Role;
    use rand::distr::{Alphanumeric, SampleString};
    use sea_orm::{ConnectionTrait, Statement};

    let backend = db.get_database_backend();
    let merchant = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT m.uscc AS uscc FROM merchants m \
             WHERE EXISTS (SELECT 1 FROM penalties p WHERE p.merchant_id = m.id) \
             AND (SELECT COUNT(*) FROM complaints c WHERE c.merchant_id = m.id) >= 2 \
             ORDER BY m.id LIMIT 1",
        ))
        .await?
        .map(|row| row.try_get::<String>("", "uscc"))
        .transpose()?;
    let uscc = match merchant {
        Some(uscc) => uscc,
        None => merchant::Entity::find()
            .one(db)
            .await?
            .map(|m| m.uscc)
            .context("the demo district has no merchants")?,
    };
    let existing = accounts::list(db).await?;
    let now = fangxin_core::clock::now();
    let mut made = Vec::new();
    for (username, role, uscc) in [
        ("demo-regulator", Role::Regulator, None),
        ("demo-enterprise", Role::Enterprise, Some(uscc)),
    ] {
        let password = Alphanumeric.sample_string(&mut rand::rng(), 16);
        match existing.iter().find(|a| a.username == username) {
            Some(account) => {
                accounts::change(
                    db,
                    account.id,
                    AccountChange {
                        active: Some(true),
                        password: Some(password.clone()),
                    },
                    &Actor::system(),
                    now,
                )
                .await?;
            }
            None => {
                let parsed = uscc
                    .as_deref()
                    .map(fangxin_scoring::Uscc::parse)
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("demo merchant: {e}"))?;
                accounts::create(
                    db,
                    NewAccount {
                        username: username.to_owned(),
                        password: password.clone(),
                        role,
                        uscc: parsed,
                        display_name: Some(
                            match role {
                                Role::Regulator => "演示监管人员",
                                _ => "演示商户",
                            }
                            .to_owned(),
                        ),
                    },
                    &Actor::system(),
                    now,
                )
                .await?;
            }
        }
        made.push(DemoAccount {
            username,
            role,
            password,
            uscc,
        });
    }
    Ok(made)
}
