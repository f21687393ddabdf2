//! The `fangxin` command line.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::app::{self, App};
use crate::config::Settings;
use crate::telemetry;
use fangxin_core::{indexing, scores};

#[derive(Debug, Parser)]
#[command(
    name = "fangxin",
    version,
    about = "放心 Fangxin: merchant credit disclosure and trust scores"
)]
pub struct Cli {
    /// Settings file layered over the defaults (config/default.toml).
    #[arg(long, global = true, env = "FANGXIN_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory for the embedded database, the index and other local state.
    #[arg(long, global = true, env = "FANGXIN_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (and, with --demo, a generated demo district when the database is empty).
    Serve {
        #[arg(long)]
        demo: bool,
        /// Address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply database migrations.
    Migrate,
    /// The demo district.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// Rebuild the search index from the database (into a new generation; a running
    /// server switches to it).
    Reindex,
    /// Accounts of enterprises, regulators and administrators.
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
    /// Measure search latency, the PostgreSQL baseline, and write-to-visible latency.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// The search index.
    Index {
        #[command(subcommand)]
        command: IndexCommand,
    },
    /// Trust scores: explanations and the grade mix.
    Score {
        #[command(subcommand)]
        command: ScoreCommand,
    },
    /// Import a CSV (header row) or NDJSON file of merchants, penalties or complaints:
    /// all or nothing, with a report of every bad row. See the README for the columns.
    Import {
        #[arg(value_enum)]
        kind: fangxin_core::imports::Kind,
        file: PathBuf,
        /// csv or ndjson; by default from the file's extension.
        #[arg(long, value_enum)]
        format: Option<fangxin_core::imports::Format>,
    },
    /// Recompute trust scores.
    Rescore {
        /// Every merchant (after a model change). Ctrl-C stops after the current batch;
        /// running it again resumes there.
        #[arg(long, conflicts_with = "due")]
        all: bool,
        /// With --all: start from the beginning instead of resuming.
        #[arg(long, requires = "all")]
        restart: bool,
        /// Only the merchants whose review day has come (what the daily sweep does).
        #[arg(long)]
        due: bool,
    },
    /// Reports computed from the records.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Professional-claimant assessments.
    Claimants {
        #[command(subcommand)]
        command: ClaimantsCommand,
    },
    /// The working-day calendar of statutory deadlines.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Complainants' personal data at rest.
    Privacy {
        #[command(subcommand)]
        command: PrivacyCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Add (or correct) a year of the State Council's holiday schedule, as its notice gives
    /// it: the days off and the weekend days worked. Kept in the data directory.
    AddYear {
        year: i32,
        /// Days off: `2027-01-01` or a range `2027-02-06..2027-02-13`; repeat or separate
        /// with commas.
        #[arg(long, value_delimiter = ',', required = true)]
        off: Vec<String>,
        /// Weekend days declared working days (调休上班).
        #[arg(long, value_delimiter = ',')]
        work: Vec<String>,
    },
    /// The days off and worked weekends of a year, and how many working days it has.
    Show { year: i32 },
}

#[derive(Debug, Subcommand)]
pub enum PrivacyCommand {
    /// Seal every complainant contact with the current key ([privacy] contact_keys, first):
    /// after adding a key (rotation), or to seal rows written before sealing existed.
    Reseal,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The complaint analysis of a period (by default the last complete half-year), written
    /// to standard output: by kind, channel, industry, street and category with shares,
    /// hot topics, handling within the deadlines and the claimants' share.
    Complaints {
        /// First day (Beijing), e.g. 2026-01-01; with --to.
        #[arg(long, requires = "to")]
        from: Option<chrono::NaiveDate>,
        /// Last day (Beijing), included.
        #[arg(long, requires = "from")]
        to: Option<chrono::NaiveDate>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Json)]
        format: ReportFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Json,
    Csv,
    Html,
}

#[derive(Debug, Subcommand)]
pub enum ClaimantsCommand {
    /// Reassess every complainant with two or more complaints in the last year (the hourly
    /// sweep does this too); prints how many are flagged for review.
    Assess,
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Create an account; the password is asked twice without echo on a terminal, or read
    /// from standard input (one line) when that is a pipe.
    Create {
        /// enterprise, regulator or admin.
        #[arg(long)]
        role: String,
        #[arg(long)]
        username: String,
        /// For enterprise accounts: the merchant's USCC.
        #[arg(long)]
        uscc: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Search latency over a realistic query mix drawn from the database.
    Search {
        #[arg(long, default_value_t = 2000)]
        queries: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Also answer the mix with PostgreSQL ILIKE over a pg_trgm GIN index.
        #[arg(long)]
        baseline: bool,
    },
    /// Findability at the index's size: adds merchants with distinctive names to the index
    /// (not the database), searches each by every kind of query people type (name, part,
    /// pinyin, initials, typos, questions, other order, brackets, homophones, traditional
    /// characters, a USCC with one wrong character), reports the share in the top three and
    /// the time per kind, then takes them out. Stop the server first: it needs the writer.
    Findability {
        #[arg(long, default_value_t = 200)]
        merchants: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Nearby-search latency around random points of the district.
    Nearby {
        #[arg(long, default_value_t = 2000)]
        queries: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Write → visible in search, with the follower running in process.
    Feed {
        #[arg(long, default_value_t = 200)]
        writes: usize,
    },
    /// Write latency at the database's size: penalties published and corrected,
    /// complaints taken in and answered, through the core calls the API makes. The records
    /// stay: run it on a copy of a demo district.
    Writes {
        #[arg(long, default_value_t = 100)]
        writes: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Compare the index with the database (counts, the feed position and a sample of
    /// documents); exits non-zero on any difference.
    Check {
        /// How many merchants to compare field by field.
        #[arg(long, default_value_t = 1000)]
        sample: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum ScoreCommand {
    /// Print a merchant's score with every factor, its points and when it stops counting.
    Explain {
        /// The merchant's unified social credit code.
        uscc: String,
    },
    /// Print how many merchants hold each grade.
    Grades,
    /// Print the grade mix overall and of the merchants holding each kind of record (a
    /// penalty in publicity, a large fine, an unqualified spot check, a listing, no record):
    /// what the grades say about the record they summarise.
    Calibrate {
        /// JSON instead of a Markdown table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Generate the demo district into an empty database, score and index it.
    Generate {
        #[arg(long)]
        merchants: Option<u64>,
        #[arg(long)]
        seed: Option<u64>,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref(), cli.data_dir.as_deref())?;
    telemetry::init_logs(&settings.log);
    match cli.command {
        Command::Serve { demo, bind } => serve(settings, demo, bind).await,
        Command::Migrate => migrate(settings).await,
        Command::Demo {
            command: DemoCommand::Generate { merchants, seed },
        } => demo_generate(settings, merchants, seed).await,
        Command::Reindex => reindex(settings).await,
        Command::Bench {
            command:
                BenchCommand::Search {
                    queries,
                    seed,
                    baseline,
                },
        } => bench_search(settings, queries, seed, baseline).await,
        Command::Accounts {
            command:
                AccountsCommand::Create {
                    role,
                    username,
                    uscc,
                },
        } => create_account(settings, role, username, uscc).await,
        Command::Bench {
            command: BenchCommand::Feed { writes },
        } => bench_feed(settings, writes).await,
        Command::Bench {
            command: BenchCommand::Writes { writes },
        } => {
            with_running_app(settings, |state| async move {
                crate::bench::writes(&state, writes).await
            })
            .await
        }
        Command::Bench {
            command: BenchCommand::Findability { merchants, seed },
        } => {
            let index = open_current_index(&settings, true)?;
            crate::bench::findability(&index, merchants, seed)
        }
        Command::Bench {
            command: BenchCommand::Nearby { queries, seed },
        } => {
            let index = open_current_index(&settings, false)?;
            crate::bench::nearby(&index, queries, seed)
        }
        Command::Index {
            command: IndexCommand::Check { sample },
        } => check_index(settings, sample).await,
        Command::Score {
            command: ScoreCommand::Explain { uscc },
        } => explain_score(settings, uscc).await,
        Command::Score {
            command: ScoreCommand::Grades,
        } => grade_mix(settings).await,
        Command::Score {
            command: ScoreCommand::Calibrate { json },
        } => calibrate(settings, json).await,
        Command::Report {
            command: ReportCommand::Complaints { from, to, format },
        } => report_complaints(settings, from, to, format).await,
        Command::Claimants {
            command: ClaimantsCommand::Assess,
        } => assess_claimants(settings).await,
        Command::Privacy {
            command: PrivacyCommand::Reseal,
        } => reseal_contacts(settings).await,
        Command::Calendar {
            command: CalendarCommand::AddYear { year, off, work },
        } => add_calendar_year(&settings, year, off, work),
        Command::Calendar {
            command: CalendarCommand::Show { year },
        } => show_calendar_year(&settings, year),
        Command::Import { kind, file, format } => import_file(settings, kind, file, format).await,
        Command::Rescore { all, restart, due } => rescore(settings, all, restart, due).await,
    }
}

/// `fangxin serve`: the API and portal until Ctrl-C.
async fn serve(mut settings: Settings, demo: bool, bind: Option<String>) -> anyhow::Result<()> {
    if let Some(bind) = bind {
        settings.server.bind = bind;
    }
    let app = App::build(settings, demo).await?;
    let addr = app.local_addr()?;
    println!("Fangxin is serving on http://{addr}/");
    println!("  search:  http://{addr}/api/v1/merchants/search?q=餐饮");
    if demo {
        // Fresh passwords on every demo start: they are printed here and nowhere else.
        let accounts = app::demo_accounts(&app.state().db).await?;
        println!("  log in:  http://{addr}/login");
        for a in accounts {
            match &a.uscc {
                Some(uscc) => println!(
                    "    {:<10} {:<16} password {}  (acts for {uscc}; page /me)",
                    a.role.code(),
                    a.username,
                    a.password
                ),
                None => println!(
                    "    {:<10} {:<16} password {}  (console /admin)",
                    a.role.code(),
                    a.username,
                    a.password
                ),
            }
        }
    }
    app.run_until_stopped().await
}

/// `fangxin migrate`.
async fn migrate(settings: Settings) -> anyhow::Result<()> {
    app::open_database(&settings).await?;
    println!("migrations applied");
    Ok(())
}

/// `fangxin demo generate`: the demo district, scored and indexed.
async fn demo_generate(
    settings: Settings,
    merchants: Option<u64>,
    seed: Option<u64>,
) -> anyhow::Result<()> {
    let db = app::open_database(&settings).await?;
    let merchants = merchants.unwrap_or(settings.demo.merchants);
    let seed = seed.unwrap_or(settings.demo.seed);
    let started = std::time::Instant::now();
    let summary = app::generate_demo(&db, &settings, merchants, seed).await?;
    indexing::rebuild(&db, &settings.index_dir(), None, fangxin_core::clock::now()).await?;
    println!(
        "demo district generated in {:.1}s: {}",
        started.elapsed().as_secs_f64(),
        serde_json::to_string(&summary)?
    );
    Ok(())
}

/// `fangxin reindex`: a new index generation.
async fn reindex(settings: Settings) -> anyhow::Result<()> {
    let db = app::open_database(&settings).await?;
    let n = indexing::rebuild(&db, &settings.index_dir(), None, fangxin_core::clock::now()).await?;
    println!(
        "indexed {n} merchants into a new generation; a running server switches to it within a second"
    );
    Ok(())
}

/// The current index generation, writable (no server may hold it) or read-only.
fn open_current_index(
    settings: &Settings,
    writable: bool,
) -> anyhow::Result<fangxin_indexer::MerchantIndex> {
    let root = settings.index_dir();
    let generation = fangxin_indexer::generations::current(&root)?
        .ok_or_else(|| anyhow::anyhow!("no search index in {}", root.display()))?;
    Ok(if writable {
        fangxin_indexer::MerchantIndex::open_or_create(&generation)?
    } else {
        fangxin_indexer::MerchantIndex::open_read_only(&generation)?
    })
}

/// `fangxin bench search`: latency over a query mix.
async fn bench_search(
    settings: Settings,
    queries: usize,
    seed: u64,
    baseline: bool,
) -> anyhow::Result<()> {
    let db = app::open_database(&settings).await?;
    let root = settings.index_dir();
    let generation = fangxin_indexer::generations::current(&root)?
        .ok_or_else(|| anyhow::anyhow!("no search index in {}", root.display()))?;
    let index = fangxin_indexer::MerchantIndex::open_read_only(&generation)?;
    let mix = crate::bench::query_mix(&db, queries, seed).await?;
    crate::bench::search(&db, &index, &mix, baseline).await
}

/// The new account's password: asked twice without echo on a terminal, else one line of
/// standard input (a script's pipe).
fn read_password(username: &str) -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("password for {username}: "))?;
        let again = rpassword::prompt_password("the same password again: ")?;
        anyhow::ensure!(
            first == again,
            "the two passwords differ; nothing was created"
        );
        return Ok(first);
    }
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    Ok(password.trim_end_matches(['\r', '\n']).to_owned())
}

/// `fangxin accounts create`: the password is asked on a terminal, or read from standard
/// input.
async fn create_account(
    settings: Settings,
    role: String,
    username: String,
    uscc: Option<String>,
) -> anyhow::Result<()> {
    let role = fangxin_scoring::domain::Role::parse(&role).ok_or_else(|| {
        anyhow::anyhow!("--role must be enterprise, regulator or admin, not {role}")
    })?;
    let uscc = uscc
        .map(|u| {
            fangxin_scoring::Uscc::parse(&u)
                .map_err(|e| anyhow::anyhow!("{u} is not a valid USCC: {e}"))
        })
        .transpose()?;
    let password = read_password(&username)?;
    let db = app::open_database(&settings).await?;
    let id = fangxin_core::accounts::create(
        &db,
        fangxin_core::accounts::NewAccount {
            username: username.clone(),
            password,
            role,
            uscc,
            display_name: None,
        },
        &fangxin_core::audit::Actor::system(),
        fangxin_core::clock::now(),
    )
    .await?;
    println!("created {} account {username} (id {id})", role.code());
    Ok(())
}

/// `fangxin bench feed`: write-to-visible latency against a server of its own.
async fn bench_feed(settings: Settings, writes: usize) -> anyhow::Result<()> {
    with_running_app(settings, |state| async move {
        crate::bench::feed_latency(&state, writes).await
    })
    .await
}

/// Runs `work` beside the whole server (feed follower, sweep) on a loopback port.
async fn with_running_app<F, Fut>(mut settings: Settings, work: F) -> anyhow::Result<()>
where
    F: FnOnce(crate::state::AppState) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    settings.server.bind = "127.0.0.1:0".into();
    let app = App::build(settings, false).await?;
    let state = app.state();
    let stop = app.shutdown_handle();
    let mut sweeps = app.sweeps();
    let server = tokio::spawn(app.run_until_stopped());
    // Measure beside a settled server, not beside its start-up sweep.
    let started = std::time::Instant::now();
    sweeps.wait_for(|n| *n > 0).await?;
    println!(
        "start-up sweep: {:.1} s (waited for before measuring)",
        started.elapsed().as_secs_f64()
    );
    let result = work(state).await;
    stop.trigger();
    let _ = server.await;
    result
}

/// `fangxin index check`: exits non-zero on any difference.
async fn check_index(settings: Settings, sample: usize) -> anyhow::Result<()> {
    let db = app::open_database(&settings).await?;
    let root = settings.index_dir();
    let generation = fangxin_indexer::generations::current(&root)?
        .ok_or_else(|| anyhow::anyhow!("no search index in {}", root.display()))?;
    let index = std::sync::Arc::new(fangxin_indexer::MerchantIndex::open_read_only(&generation)?);
    let report = indexing::check(&db, index, sample, fangxin_core::clock::now()).await?;
    println!(
        "database: {} merchants; index: {} documents at change event {} (feed head {}); {} sampled",
        report.merchants_in_database,
        report.documents_in_index,
        report.cursor,
        report.feed_head,
        report.sampled
    );
    if report.is_consistent() {
        println!("index and database agree");
        Ok(())
    } else {
        for d in report.differences.iter().take(50) {
            println!("  {d}");
        }
        anyhow::bail!(
            "{} differences between index and database",
            report.differences.len()
        )
    }
}

/// `fangxin score explain`.
async fn explain_score(settings: Settings, uscc: String) -> anyhow::Result<()> {
    let uscc = fangxin_scoring::Uscc::parse(&uscc)
        .map_err(|e| anyhow::anyhow!("{uscc} is not a valid USCC: {e}"))?;
    let db = app::open_database(&settings).await?;
    let view = scores::explain(&db, &uscc).await?;
    print!("{}", explain_table(&view));
    Ok(())
}

/// `fangxin score calibrate`: the grade mix overall and by record kind.
async fn calibrate(settings: Settings, json: bool) -> anyhow::Result<()> {
    use fangxin_core::scores::calibration;
    let db = app::open_database(&settings).await?;
    let today = fangxin_core::clock::today(fangxin_core::clock::now());
    let rows = calibration::calibration(&db, today).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print!("{}", calibration::markdown(&rows));
    }
    Ok(())
}

/// `fangxin score grades`.
async fn grade_mix(settings: Settings) -> anyhow::Result<()> {
    let db = app::open_database(&settings).await?;
    let mix = scores::grade_mix(&db).await?;
    let total: i64 = mix.iter().map(|(_, _, n)| n).sum();
    println!("grade  confidence  merchants  share");
    for (grade, confidence, n) in mix {
        println!(
            "{grade:<6} {confidence:<11} {n:>9}  {:>5.2} %",
            100.0 * n as f64 / total.max(1) as f64
        );
    }
    println!("total              {total:>9}");
    Ok(())
}

/// `fangxin report complaints` to standard output.
async fn report_complaints(
    settings: Settings,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
    format: ReportFormat,
) -> anyhow::Result<()> {
    let now = fangxin_core::clock::now();
    let today = fangxin_core::clock::today(now);
    let period = match (from, to) {
        (Some(from), Some(to)) => fangxin_core::reports::Period::new(from, to)?,
        _ => fangxin_core::reports::Period::last_half_year(today),
    };
    let db = app::open_database(&settings).await?;
    let scoring = settings.scoring()?;
    let report = fangxin_core::reports::complaints(
        &db,
        period,
        fangxin_core::reports::Audience::Regulator,
        &scoring.calendar,
        now,
    )
    .await?;
    let out: Vec<u8> = match format {
        ReportFormat::Json => serde_json::to_vec_pretty(&report)?,
        ReportFormat::Csv => crate::export::csv_bytes(
            now,
            fangxin_core::reports::lines(&report),
            crate::export::Columns::Chinese,
        )?,
        ReportFormat::Html => crate::portal::render_report(&report, None, None)?.into_bytes(),
    };
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(())
}

/// `fangxin claimants assess`.
/// `fangxin calendar add-year`: checks the year's days and writes them to the data
/// directory's `calendar.toml`, replacing what was there for that year.
fn add_calendar_year(
    settings: &Settings,
    year: i32,
    off: Vec<String>,
    work: Vec<String>,
) -> anyhow::Result<()> {
    use fangxin_scoring::calendar::YearSchedule;
    let trim = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let schedule = YearSchedule {
        off: trim(off),
        work: trim(work),
    };
    schedule.check(year).map_err(anyhow::Error::msg)?;
    let path = settings.added_calendar_file();
    let mut years: toml::Table = match std::fs::read_to_string(&path) {
        Ok(text) => text
            .parse()
            .with_context(|| format!("{} is not TOML", path.display()))?,
        Err(_) => toml::Table::new(),
    };
    years.insert(year.to_string(), toml::Value::try_from(&schedule)?);
    std::fs::create_dir_all(&settings.data_dir)?;
    std::fs::write(&path, toml::to_string(&years)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    // Read back through the same path as every start, so a mistake shows now.
    settings.work_calendar()?;
    println!("added {year} to {}", path.display());
    show_calendar_year(settings, year)
}

/// `fangxin calendar show YEAR`.
fn show_calendar_year(settings: &Settings, year: i32) -> anyhow::Result<()> {
    use chrono::Datelike;
    let calendar = settings.work_calendar()?;
    let (Some(first), Some(last)) = (
        chrono::NaiveDate::from_ymd_opt(year, 1, 1),
        chrono::NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        anyhow::bail!("{year} is not a year");
    };
    if !calendar.years().contains(&year) {
        println!("{year}: no holiday schedule known; only weekends are days off");
    }
    let days: Vec<_> = first.iter_days().take_while(|d| *d <= last).collect();
    let off: Vec<String> = days
        .iter()
        .filter(|d| calendar.holidays.contains(d) && d.weekday().num_days_from_monday() < 5)
        .map(|d| d.to_string())
        .collect();
    let worked: Vec<String> = days
        .iter()
        .filter(|d| calendar.working_weekends.contains(d))
        .map(|d| d.to_string())
        .collect();
    let working = days.iter().filter(|d| calendar.is_working_day(**d)).count();
    println!("{year}: {working} working days");
    println!("weekdays off: {}", off.join(" "));
    println!("weekends worked: {}", worked.join(" "));
    Ok(())
}

/// `fangxin privacy reseal`: every contact under the current key.
async fn reseal_contacts(settings: Settings) -> anyhow::Result<()> {
    let db = app::open_database(&settings).await?;
    let spinner = fangxin_core::progress::Spinner::new();
    let (resealed, already) = fangxin_core::privacy::reseal_contacts(&db, |n| {
        spinner.show("contacts checked", n, false);
    })
    .await?;
    spinner.finish();
    println!(
        "sealed {resealed} contacts again with key {}; {already} were already under it",
        fangxin_core::privacy::current_key_id()
    );
    Ok(())
}

async fn assess_claimants(settings: Settings) -> anyhow::Result<()> {
    let db = app::open_database(&settings).await?;
    let scoring = settings.scoring()?;
    let summary = fangxin_core::claimants::reassess_all(
        &db,
        &scoring.model.claimants,
        fangxin_core::clock::now(),
    )
    .await?;
    println!(
        "assessed {} complainants; {} waiting for a regulator's review",
        summary.assessed, summary.flagged
    );
    Ok(())
}

/// `fangxin import`: exits 1 when the file is refused.
async fn import_file(
    settings: Settings,
    kind: fangxin_core::imports::Kind,
    file: PathBuf,
    format: Option<fangxin_core::imports::Format>,
) -> anyhow::Result<()> {
    let format = match format.or_else(|| fangxin_core::imports::Format::from_path(&file)) {
        Some(f) => f,
        None => anyhow::bail!(
            "cannot tell the format of {}: name it .csv or .ndjson, or pass --format",
            file.display()
        ),
    };
    if !file.is_file() {
        anyhow::bail!("{} is not a file", file.display());
    }
    let db = app::open_database(&settings).await?;
    let scoring = settings.scoring()?;
    let ctx = settings.import_context(&scoring);
    let spinner = fangxin_core::progress::Spinner::new();
    let report = fangxin_core::imports::run(
        &db,
        kind,
        format,
        &file,
        &ctx,
        &fangxin_core::audit::Actor::system(),
        fangxin_core::clock::now(),
        &|p| {
            let (message, n, last) = p.line();
            spinner.show(&message, n, last)
        },
    )
    .await?;
    spinner.finish();
    print_import_report(&report);
    if !report.accepted {
        std::process::exit(1);
    }
    Ok(())
}

/// `fangxin rescore --all | --due`.
async fn rescore(settings: Settings, all: bool, restart: bool, due: bool) -> anyhow::Result<()> {
    let db = app::open_database(&settings).await?;
    let scoring = settings.scoring()?;
    if due {
        let (rescored, changed) =
            scores::rescore_due(&db, &scoring, fangxin_core::clock::now()).await?;
        println!(
            "rescored {rescored} merchants due for review, {changed} changed; a running server's index follows"
        );
        return Ok(());
    }
    if !all {
        anyhow::bail!("say which merchants to rescore: --all or --due");
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("stopping after the current batch…");
            let _ = stop_tx.send(true);
        }
    });
    let outcome = scores::rescore_all(
        &db,
        &scoring,
        fangxin_core::clock::now(),
        scores::FullRescore {
            restart,
            ..Default::default()
        },
        stop_rx,
    )
    .await
    .context("rescoring failed")?;
    if let Some(after) = outcome.resumed_after {
        println!("resumed after merchant id {after}");
    }
    if outcome.interrupted {
        println!(
            "interrupted after {} merchants; run the same command again to resume",
            outcome.rescored
        );
    } else {
        println!(
            "rescored {} merchants with model {}; run `fangxin reindex` if no server follows the feed",
            outcome.rescored, scoring.model.version
        );
    }
    Ok(())
}

/// Columns in a terminal: CJK characters take two cells.
fn width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

fn pad(s: &str, to: usize) -> String {
    format!("{s}{}", " ".repeat(to.saturating_sub(width(s))))
}

/// The explanation of a score as a table.
pub fn explain_table(view: &scores::ScoreView) -> String {
    let mut out = String::new();
    let sign = view.sign_name.as_deref().unwrap_or("");
    out.push_str(&format!("{sign}  {}  {}\n", view.name, view.uscc));
    out.push_str(&format!(
        "score {} (grade {}), confidence {}, model {}, as of {}\n\n",
        view.score, view.grade, view.confidence, view.model_version, view.as_of
    ));
    let label_width = view
        .factors
        .iter()
        .map(|f| width(&f.label_zh))
        .max()
        .unwrap_or(0)
        .max(20);
    out.push_str(&format!(
        "{}  {:>6}  until\n",
        pad("factor", label_width),
        "points"
    ));
    out.push_str(&format!(
        "{}  {:>6}\n",
        pad("基础分 base", label_width),
        view.base
    ));
    for f in &view.factors {
        let until = f
            .expires_at
            .map(|d| d.to_string())
            .unwrap_or_else(|| "—".into());
        out.push_str(&format!(
            "{}  {:>+6}  {until}\n",
            pad(&f.label_zh, label_width),
            f.points
        ));
    }
    out.push_str(&format!(
        "{}  {:>6}\n",
        pad("= 信任分 score", label_width),
        view.score
    ));
    if let Some(review) = view.review_on {
        out.push_str(&format!("\nnext review: {review}\n"));
    }
    out
}

fn print_import_report(r: &fangxin_core::imports::ImportReport) {
    if r.accepted {
        println!(
            "imported {} rows of {:?} ({} created, {} updated, {} unchanged, {} complaints without a merchant); {} merchants rescored in {:.1} s",
            r.rows,
            r.kind,
            r.created,
            r.updated,
            r.unchanged,
            r.unmatched,
            r.merchants_rescored,
            r.elapsed_ms as f64 / 1000.0
        );
        println!("file sha256 {}", r.sha256);
        return;
    }
    eprintln!(
        "rejected: {} of {} rows are bad; nothing was written",
        r.invalid_rows, r.rows
    );
    for e in &r.errors {
        eprintln!(
            "  line {:>7}  {:<20} {:<18} {}",
            e.line,
            e.column.as_deref().unwrap_or("-"),
            e.code,
            e.message
        );
    }
    if r.errors_truncated {
        eprintln!(
            "  … and more (the report lists the first {})",
            r.errors.len()
        );
    }
}
