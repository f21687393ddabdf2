//! Layered configuration: `config/default.toml` (compiled in), then a file, then
//! `FANGXIN__SECTION__KEY` environment variables.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::{Deserialize, Serialize};

const DEFAULTS: &str = include_str!("../../config/default.toml");

/// A string that never prints: URLs with passwords, keys.
#[derive(Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"***\"" })
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub district: DistrictSettings,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub index: IndexSettings,
    pub search: SearchSettings,
    pub penalties: PenaltySettings,
    pub scoring: ScoringSettings,
    pub calendar: fangxin_scoring::calendar::WorkCalendar,
    pub privacy: PrivacySettings,
    pub limits: LimitSettings,
    pub imports: ImportSettings,
    pub demo: DemoSettings,
    pub log: LogSettings,
}

/// The district the bureau serves.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DistrictSettings {
    /// Its offset from UTC in minutes east (Beijing: 480): what "today" is.
    pub utc_offset_minutes: i32,
    /// Its subdistricts and towns; empty takes any street.
    #[serde(default)]
    pub streets: Vec<String>,
}

/// Requests per minute and client address (0: no limit).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LimitSettings {
    pub login_per_minute: u32,
    pub public_per_minute: u32,
    /// Addresses the public limit does not apply to (a trusted proxy, a load test).
    pub exempt: Vec<std::net::IpAddr>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ImportSettings {
    /// Largest file `POST /api/v1/admin/imports/…` accepts, in bytes.
    pub max_file_bytes: u64,
    /// Bad rows listed in a report at most (the count is always complete).
    pub max_reported_errors: usize,
    /// See `ImportContext::defer_indexes_from_rows`.
    #[serde(default = "default_defer_indexes_from_rows")]
    pub defer_indexes_from_rows: u64,
}

fn default_defer_indexes_from_rows() -> u64 {
    50_000
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PrivacySettings {
    pub complainant_key_secret: Secret,
    /// Keys that seal complainants' contacts: the first seals, all open. Empty: one random
    /// key kept in the data directory (`contact.key`).
    #[serde(default)]
    pub contact_keys: Vec<Secret>,
}

fn default_model() -> String {
    "v1".into()
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ScoringSettings {
    /// The shipped model the file's keys go over: `v1` or `v2`.
    #[serde(default = "default_model")]
    pub model: String,
    pub model_file: String,
    pub sweep_interval_minutes: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ServerSettings {
    pub bind: String,
    pub max_body_bytes: usize,
    /// Mark the portal's cookies Secure (set when served over TLS).
    pub secure_cookies: bool,
    /// Bearer token for `/metrics`; empty means only loopback clients may read it.
    #[serde(default)]
    pub metrics_token: Secret,
    /// A client has this long to send a request's headers (and an idle connection this long
    /// to start its next request), in ms.
    pub header_timeout_ms: u64,
    /// Longest pause while a request body arrives, in ms.
    pub body_timeout_ms: u64,
    /// Connections served at once; further clients wait to be accepted.
    pub max_connections: usize,
    /// On SIGTERM or Ctrl-C, how long `/readyz` says "draining" while requests are still
    /// served, before the listener closes and open requests finish, in ms.
    #[serde(default = "default_drain_ms")]
    pub drain_ms: u64,
    /// How old the stored public statistics may grow before one replica computes them
    /// again, in seconds.
    #[serde(default = "default_aggregates_refresh_seconds")]
    pub aggregates_refresh_seconds: u64,
    /// Sooner, once the change feed has moved this many events past the stored data (a bulk
    /// import, a claimant review) …
    #[serde(default = "default_aggregates_refresh_changes")]
    pub aggregates_refresh_changes: u64,
    /// … but no sooner than this many seconds after the last computation.
    #[serde(default = "default_aggregates_min_gap_seconds")]
    pub aggregates_min_gap_seconds: u64,
    /// The key the portal's CSRF tokens are signed with; empty: a random key kept in the data
    /// directory (`csrf.key`). Replicas behind one address must share one.
    #[serde(default)]
    pub csrf_key: Secret,
    /// The address people reach the portal at (`https://fangxin.example.gov.cn`), for the
    /// QR code on a merchant's printed card. Empty: the address the request came to.
    #[serde(default)]
    pub public_url: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DatabaseSettings {
    pub url: Secret,
    pub max_connections: u32,
    /// Longest wait for a connection (and for connecting), in ms.
    pub acquire_timeout_ms: u64,
    /// A read-only copy (a PostgreSQL hot standby) for what the public reads: pages,
    /// the public API, exports and the change-feed follower. Empty: everything reads the
    /// primary.
    #[serde(default)]
    pub read_url: Secret,
    /// How far the read-only copy may lag behind the primary, in ms, before `/readyz`
    /// says this replica is not ready (and a load balancer routes around it).
    #[serde(default = "default_max_replica_lag_ms")]
    pub max_replica_lag_ms: u64,
    /// SQLite only: the public reads get a pool of their own whose connections read the file
    /// through a memory map of this many MiB (`PRAGMA mmap_size`) instead of copying pages in
    /// with `pread`; 0: they share the writers' pool. See config/default.toml.
    #[serde(default = "default_sqlite_read_mmap_mb")]
    pub sqlite_read_mmap_mb: u64,
}

fn default_aggregates_refresh_seconds() -> u64 {
    300
}

fn default_aggregates_refresh_changes() -> u64 {
    1_000
}

fn default_aggregates_min_gap_seconds() -> u64 {
    60
}

fn default_drain_ms() -> u64 {
    1_000
}

fn default_max_replica_lag_ms() -> u64 {
    5_000
}

fn default_sqlite_read_mmap_mb() -> u64 {
    2_048
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RedisSettings {
    pub url: Secret,
    /// Longest wait for any Redis call; past it the process serves without Redis.
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct IndexSettings {
    pub dir: String,
    pub poll_interval_ms: u64,
    pub lookback_events: i64,
    pub lookback_seconds: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SearchSettings {
    pub max_per_page: usize,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PenaltySettings {
    pub lower_amount_threshold_yuan: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DemoSettings {
    pub merchants: u64,
    pub seed: u64,
    pub as_of: chrono::NaiveDate,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LogSettings {
    pub filter: String,
    pub format: String,
}

impl Settings {
    /// Loads the layers; `file` is the `--config` file, `data_dir` the `--data-dir` flag.
    pub fn load(file: Option<&Path>, data_dir: Option<&Path>) -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Toml::string(DEFAULTS));
        if let Some(f) = file {
            if !f.exists() {
                anyhow::bail!("config file {} does not exist", f.display());
            }
            figment = figment.merge(Toml::file(f));
        }
        figment = figment.merge(Env::prefixed("FANGXIN__").split("__"));
        let mut settings: Settings = figment.extract()?;
        if let Some(d) = data_dir {
            settings.data_dir = d.to_path_buf();
        }
        settings.apply_district()?;
        Ok(settings)
    }

    /// Makes the district's settings those of the domain: its clock and its streets.
    pub fn apply_district(&self) -> anyhow::Result<()> {
        fangxin_core::clock::set_utc_offset_minutes(self.district.utc_offset_minutes)
            .map_err(anyhow::Error::msg)?;
        fangxin_core::checks::set_district_streets(&self.district.streets);
        self.apply_privacy()
    }

    /// Makes the configured contact keys the ones that seal and open complainants' contacts;
    /// without any, the key kept in the data directory (made on first use).
    fn apply_privacy(&self) -> anyhow::Result<()> {
        use fangxin_core::privacy::{self, ContactKey};
        let mut keys = Vec::new();
        for k in &self.privacy.contact_keys {
            keys.push(
                ContactKey::from_config(k.expose())
                    .map_err(|e| anyhow::anyhow!("[privacy] contact_keys: {e}"))?,
            );
        }
        if keys.is_empty() {
            let path = self.data_dir.join("contact.key");
            let key = match std::fs::read(&path) {
                Ok(bytes) if bytes.len() == 32 => {
                    let mut key = [0u8; 32];
                    key.copy_from_slice(&bytes);
                    ContactKey::from_bytes(key)
                }
                _ => {
                    let mut key = [0u8; 32];
                    rand::RngCore::fill_bytes(&mut rand::rng(), &mut key);
                    std::fs::create_dir_all(&self.data_dir)?;
                    std::fs::write(&path, key)
                        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
                    #[cfg(unix)]
                    {
                        use std::os::unix::fs::PermissionsExt;
                        let _ =
                            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
                    }
                    ContactKey::from_bytes(key)
                }
            };
            keys.push(key);
        }
        privacy::set_contact_keys(keys);
        Ok(())
    }

    /// The defaults alone, with the data directory given (tests).
    pub fn defaults_in(data_dir: &Path) -> anyhow::Result<Settings> {
        let mut s: Settings = Figment::from(Toml::string(DEFAULTS)).extract()?;
        s.data_dir = data_dir.to_path_buf();
        Ok(s)
    }

    /// The database URL to use: the configured one, or SQLite in the data directory.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("fangxin.db").display()
            )
        } else {
            self.database.url.expose().trim().to_owned()
        }
    }

    pub fn index_dir(&self) -> PathBuf {
        if self.index.dir.trim().is_empty() {
            self.data_dir.join("index")
        } else {
            PathBuf::from(&self.index.dir)
        }
    }

    /// Where uploads are spooled and non-UTF-8 import files are copied as UTF-8.
    pub fn imports_dir(&self) -> PathBuf {
        self.data_dir.join("imports")
    }

    /// How imports run under these settings, scoring with `scoring`.
    pub fn import_context<'a>(
        &self,
        scoring: &'a fangxin_core::scores::Scoring,
    ) -> fangxin_core::imports::ImportContext<'a> {
        fangxin_core::imports::ImportContext {
            scoring,
            lower_amount_threshold_fen: self.penalties.lower_amount_threshold_yuan * 100,
            max_reported_errors: self.imports.max_reported_errors,
            defer_indexes_from_rows: self.imports.defer_indexes_from_rows,
            scratch_dir: self.imports_dir(),
            // One connection for the import's transaction, one for its checks, and at
            // least one left for everything else.
            check_beside_writes: self.database.max_connections >= 3,
        }
    }

    /// The scoring model (built in, with the configured file's keys over it) and the
    /// working-day calendar.
    pub fn scoring(&self) -> anyhow::Result<fangxin_core::scores::Scoring> {
        let shipped = match self.scoring.model.trim() {
            "" | "v1" => fangxin_scoring::model::MODEL_V1_TOML,
            "v2" => fangxin_scoring::model::MODEL_V2_TOML,
            other => anyhow::bail!("[scoring] model is v1 or v2, not {other:?}"),
        };
        let mut figment = Figment::from(Toml::string(shipped));
        let file = self.scoring.model_file.trim();
        if !file.is_empty() {
            if !Path::new(file).exists() {
                anyhow::bail!("scoring model file {file} does not exist");
            }
            figment = figment.merge(Toml::file(file));
        }
        let merged: toml::Value = figment.extract()?;
        let model = fangxin_scoring::Model::from_toml(&toml::to_string(&merged)?)?;
        Ok(fangxin_core::scores::Scoring {
            model,
            calendar: self.work_calendar()?,
        })
    }

    /// The working-day calendar: the State Council's schedules Fangxin ships, the years added
    /// with `fangxin calendar add-year` (`calendar.toml` in the data directory), and the days
    /// of `[calendar]` in the settings.
    pub fn work_calendar(&self) -> anyhow::Result<fangxin_scoring::calendar::WorkCalendar> {
        use fangxin_scoring::calendar::WorkCalendar;
        let mut calendar = WorkCalendar::shipped();
        let added = self.added_calendar_file();
        if added.exists() {
            let text = std::fs::read_to_string(&added)?;
            let years = WorkCalendar::from_schedule(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", added.display()))?;
            calendar.merge(&years);
        }
        calendar.merge(&self.calendar);
        Ok(calendar)
    }

    /// Where `fangxin calendar add-year` keeps the years it adds.
    pub fn added_calendar_file(&self) -> PathBuf {
        self.data_dir.join("calendar.toml")
    }

    pub fn redis_url(&self) -> Option<&str> {
        (!self.redis.url.is_empty()).then(|| self.redis.url.expose().trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_point_into_the_data_dir() {
        let s = Settings::defaults_in(Path::new("/tmp/x")).unwrap();
        assert_eq!(s.database_url(), "sqlite:///tmp/x/fangxin.db?mode=rwc");
        assert_eq!(s.index_dir(), PathBuf::from("/tmp/x/index"));
        assert!(s.redis_url().is_none());
        assert_eq!(s.penalties.lower_amount_threshold_yuan, 10_000);
        assert_eq!(s.scoring().unwrap().model.version, "v2.1");
    }

    #[test]
    fn a_model_file_overrides_single_keys() {
        let dir = std::env::temp_dir().join(format!("fx-model-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("model.toml");
        std::fs::write(&file, "version = \"v1.0-local\"\n[grades]\na = 88\n").unwrap();
        let mut s = Settings::defaults_in(&dir).unwrap();
        s.scoring.model_file = file.display().to_string();
        let scoring = s.scoring().unwrap();
        assert_eq!(scoring.model.version, "v1.0-local");
        assert_eq!(scoring.model.grades.a, 88);
        assert_eq!(scoring.model.grades.b, 70);
    }

    #[test]
    fn the_calendar_holds_the_shipped_years_an_added_year_and_configured_days() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Settings::defaults_in(dir.path()).unwrap();
        let day = |t: &str| t.parse::<chrono::NaiveDate>().unwrap();
        let c = s.work_calendar().unwrap();
        assert!(
            !c.is_working_day(day("2026-02-16")),
            "Spring Festival 2026 ships"
        );
        assert!(c.is_working_day(day("2027-02-08")), "2027 is not known yet");
        std::fs::write(
            s.added_calendar_file(),
            "[2027]\noff = [\"2027-02-06..2027-02-12\"]\nwork = [\"2027-02-14\"]\n",
        )
        .unwrap();
        s.calendar.holidays.insert(day("2027-03-01"));
        let c = s.work_calendar().unwrap();
        assert!(
            !c.is_working_day(day("2027-02-08")),
            "the added year counts"
        );
        assert!(c.is_working_day(day("2027-02-14")));
        assert!(
            !c.is_working_day(day("2027-03-01")),
            "a configured day counts"
        );
        assert!(
            !c.is_working_day(day("2026-10-01")),
            "and the shipped years stay"
        );
    }

    #[test]
    fn the_model_is_chosen_by_name_and_an_unknown_model_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Settings::defaults_in(dir.path()).unwrap();
        assert_eq!(s.scoring().unwrap().model.version, "v2.1");
        s.scoring.model = "v1".into();
        assert_eq!(s.scoring().unwrap().model.version, "v1.0");
        s.scoring.model = "v2".into();
        let scoring = s.scoring().unwrap();
        assert_eq!(scoring.model.version, "v2.1");
        assert!(scoring.model.grade_caps.is_some());
        s.scoring.model = "v9".into();
        assert!(s.scoring().is_err());
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("postgres://u:pw@h/db");
        assert_eq!(format!("{s:?}"), "\"***\"");
    }
}
