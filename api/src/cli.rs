//! The `fangxin` command line.

use std::path::PathBuf;

use anyhow::Context;
use chrono::Utc;
use clap::{Parser, Subcommand};

use crate::app::{self, App};
use crate::config::Settings;
use crate::{feed, scores, telemetry};

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
    /// Rebuild the search index from the database.
    Reindex,
    /// Recompute trust scores.
    Rescore {
        /// Every merchant (after a model change).
        #[arg(long)]
        all: bool,
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
    let mut settings = Settings::load(cli.config.as_deref(), cli.data_dir.as_deref())?;
    telemetry::init_logs(&settings.log);
    match cli.command {
        Command::Serve { demo, bind } => {
            if let Some(bind) = bind {
                settings.server.bind = bind;
            }
            let app = App::build(settings, demo).await?;
            let addr = app.local_addr()?;
            println!("Fangxin is serving on http://{addr}/");
            println!("  search:  http://{addr}/api/v1/merchants/search?q=餐饮");
            app.run_until_stopped().await
        }
        Command::Migrate => {
            app::open_database(&settings).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Demo {
            command: DemoCommand::Generate { merchants, seed },
        } => {
            let db = app::open_database(&settings).await?;
            let merchants = merchants.unwrap_or(settings.demo.merchants);
            let seed = seed.unwrap_or(settings.demo.seed);
            let started = std::time::Instant::now();
            let summary = app::generate_demo(&db, &settings, merchants, seed).await?;
            let index = app::open_index(&settings)?;
            feed::reindex(&db, index, Utc::now().date_naive()).await?;
            println!(
                "demo district generated in {:.1}s: {}",
                started.elapsed().as_secs_f64(),
                serde_json::to_string(&summary)?
            );
            Ok(())
        }
        Command::Reindex => {
            let db = app::open_database(&settings).await?;
            let index = app::open_index(&settings)?;
            let n = feed::reindex(&db, index, Utc::now().date_naive()).await?;
            println!("indexed {n} merchants");
            Ok(())
        }
        Command::Rescore { all } => {
            if !all {
                anyhow::bail!("say which merchants to rescore: --all");
            }
            let db = app::open_database(&settings).await?;
            let n = scores::rescore_all(&db, &settings.scoring()?, Utc::now())
                .await
                .context("rescoring failed")?;
            println!("rescored {n} merchants; run `fangxin reindex` if no server follows the feed");
            Ok(())
        }
    }
}
