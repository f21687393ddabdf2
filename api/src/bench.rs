//! `fangxin bench …`: measurements on real data, recorded in docs/benchmarks.md. Speed is
//! measured here, never asserted in tests.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use fangxin_indexer::{MerchantIndex, SearchRequest};
use pinyin::ToPinyin;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};

use fangxin_core::store::entities::merchant;

/// One query of the mix, with what a consumer meant.
#[derive(Debug, Clone)]
pub struct BenchQuery {
    pub kind: &'static str,
    pub q: String,
    pub street: Option<String>,
    pub target: String,
}

fn full_pinyin(s: &str) -> Vec<String> {
    s.chars()
        .filter_map(|c| c.to_pinyin().map(|p| p.plain().replace('ü', "v")))
        .collect()
}

/// A realistic mix drawn from the merchants in the database: whole sign names, parts of
/// sign and legal names, pinyin, initials, pinyin with a typo, USCCs, and parts of names
/// within a street.
pub async fn query_mix(
    db: &DatabaseConnection,
    n: usize,
    seed: u64,
) -> anyhow::Result<Vec<BenchQuery>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let bounds: (Option<i64>, Option<i64>) = merchant::Entity::find()
        .select_only()
        .column_as(merchant::Column::Id.min(), "lo")
        .column_as(merchant::Column::Id.max(), "hi")
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or((None, None));
    let (Some(lo), Some(hi)) = bounds else {
        anyhow::bail!("no merchants in the database");
    };
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let at = rng.random_range(lo..=hi);
        let Some(m) = merchant::Entity::find()
            .filter(merchant::Column::Id.gte(at))
            .order_by_asc(merchant::Column::Id)
            .one(db)
            .await?
        else {
            continue;
        };
        let sign = m.sign_name.clone().unwrap_or_else(|| m.name.clone());
        let chars: Vec<char> = sign.chars().collect();
        let legal: Vec<char> = m.name.trim_start_matches("昆明市五华区").chars().collect();
        let py = full_pinyin(&sign);
        let q = match out.len() % 8 {
            0 => ("sign_name", sign.clone(), None),
            1 if chars.len() >= 3 => {
                let len = rng.random_range(2..=3.min(chars.len()));
                let start = rng.random_range(0..=chars.len() - len);
                (
                    "part_of_sign",
                    chars[start..start + len].iter().collect(),
                    None,
                )
            }
            2 if legal.len() >= 4 => {
                let len = rng.random_range(3..=4);
                let start = rng.random_range(0..=legal.len() - len);
                (
                    "part_of_legal_name",
                    legal[start..start + len].iter().collect(),
                    None,
                )
            }
            3 if py.len() >= 2 => ("pinyin", py[..py.len().min(3)].concat(), None),
            4 if py.len() >= 3 => (
                "initials",
                py[..3].iter().filter_map(|s| s.chars().next()).collect(),
                None,
            ),
            5 if py.len() >= 3 => {
                let mut word: Vec<char> = py[..3].concat().chars().collect();
                if word.len() >= 6 {
                    let i = rng.random_range(1..word.len() - 1);
                    word.swap(i, i + 1);
                }
                ("pinyin_typo", word.into_iter().collect(), None)
            }
            6 => ("uscc", m.uscc.to_lowercase(), None),
            7 if chars.len() >= 2 => (
                "part_with_street",
                chars[chars.len() - 2..].iter().collect(),
                Some(m.street.clone()),
            ),
            _ => continue,
        };
        out.push(BenchQuery {
            kind: q.0,
            q: q.1,
            street: q.2,
            target: m.uscc.clone(),
        });
    }
    Ok(out)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[derive(Default)]
struct Tally {
    times: Vec<Duration>,
    found_target: usize,
    hits: usize,
}

fn report(title: &str, tallies: &BTreeMap<&'static str, Tally>) -> Vec<Duration> {
    println!("\n{title}");
    println!(
        "{:<20} {:>6} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "query kind", "n", "p50 ms", "p90 ms", "p99 ms", "max ms", "target in top 20"
    );
    let mut all = Vec::new();
    for (kind, t) in tallies {
        let mut times = t.times.clone();
        times.sort();
        all.extend(times.iter().copied());
        println!(
            "{:<20} {:>6} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.0}%",
            kind,
            times.len(),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.9)),
            ms(percentile(&times, 0.99)),
            ms(times.last().copied().unwrap_or_default()),
            100.0 * t.found_target as f64 / times.len().max(1) as f64
        );
        let _ = t.hits;
    }
    all.sort();
    println!(
        "{:<20} {:>6} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
        "all",
        all.len(),
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.9)),
        ms(percentile(&all, 0.99)),
        ms(all.last().copied().unwrap_or_default())
    );
    all
}

/// In-process search latency over the mix, as the API asks (facets and exact count) and
/// as the suggest box asks (top 8 only); with `baseline`, the same text queries answered
/// by PostgreSQL `ILIKE '%q%'` over a `pg_trgm` GIN index.
pub async fn search(
    db: &DatabaseConnection,
    index: &MerchantIndex,
    queries: &[BenchQuery],
    baseline: bool,
) -> anyhow::Result<()> {
    println!(
        "{} documents, {} queries (warm-up: the whole mix once)",
        index.num_docs(),
        queries.len()
    );
    let request = |bq: &BenchQuery, suggest: bool| {
        let mut r = SearchRequest::query(&bq.q);
        r.street = bq.street.clone();
        if suggest {
            r.per_page = 8;
            r.facets = false;
            r.count_cap = 2_000;
        } else {
            r.count_cap = 10_000;
        }
        r
    };
    for bq in queries {
        index.search(&request(bq, false))?;
    }
    let mut api: BTreeMap<&'static str, Tally> = BTreeMap::new();
    let mut suggest: BTreeMap<&'static str, Tally> = BTreeMap::new();
    for bq in queries {
        for (suggesting, tallies) in [(false, &mut api), (true, &mut suggest)] {
            let req = request(bq, suggesting);
            let started = Instant::now();
            let r = index.search(&req)?;
            let elapsed = started.elapsed();
            let t = tallies.entry(bq.kind).or_default();
            t.times.push(elapsed);
            t.hits += r.total;
            if r.hits.iter().any(|h| h.doc.uscc == bq.target) {
                t.found_target += 1;
            }
        }
    }
    let ours = report(
        "tantivy, as GET /api/v1/merchants/search answers (top 20, total and facets up to 10,000 matches):",
        &api,
    );
    report(
        "tantivy, as the suggest box asks (top 8 of at most 2,000 matches, no facets):",
        &suggest,
    );

    if baseline {
        if db.get_database_backend() != DbBackend::Postgres {
            anyhow::bail!("the pg_trgm baseline needs a PostgreSQL database");
        }
        println!(
            "\npreparing the baseline: CREATE EXTENSION pg_trgm and GIN trigram indexes on name and sign_name …"
        );
        db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS bench_trgm_name ON merchants USING gin (name gin_trgm_ops)",
        )
        .await?;
        db.execute_unprepared("CREATE INDEX IF NOT EXISTS bench_trgm_sign ON merchants USING gin (sign_name gin_trgm_ops)").await?;
        db.execute_unprepared("ANALYZE merchants").await?;
        let mut pg: BTreeMap<&'static str, Tally> = BTreeMap::new();
        let run = |bq: &BenchQuery| {
            let (filter, values): (String, Vec<sea_orm::Value>) = if bq.kind == "uscc" {
                ("uscc = $1".into(), vec![bq.q.to_uppercase().into()])
            } else {
                let pattern = format!(
                    "%{}%",
                    bq.q.replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_")
                );
                match &bq.street {
                    Some(street) => (
                        "(name ILIKE $1 OR sign_name ILIKE $1) AND street = $2".into(),
                        vec![pattern.into(), street.clone().into()],
                    ),
                    None => (
                        "(name ILIKE $1 OR sign_name ILIKE $1)".into(),
                        vec![pattern.into()],
                    ),
                }
            };
            (
                Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    format!("SELECT uscc FROM merchants WHERE {filter} LIMIT 20"),
                    values.clone(),
                ),
                Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    format!("SELECT count(*) AS n FROM merchants WHERE {filter}"),
                    values,
                ),
            )
        };
        for bq in queries.iter().take(queries.len() / 4) {
            let (page, count) = run(bq);
            db.query_all_raw(page).await?;
            db.query_one_raw(count).await?;
        }
        for bq in queries {
            let (page, count) = run(bq);
            let started = Instant::now();
            let rows = db.query_all_raw(page).await?;
            let n = db.query_one_raw(count).await?;
            let elapsed = started.elapsed();
            let t = pg.entry(bq.kind).or_default();
            t.times.push(elapsed);
            t.hits += n.and_then(|r| r.try_get::<i64>("", "n").ok()).unwrap_or(0) as usize;
            if rows.iter().any(|r| {
                r.try_get::<String>("", "uscc").ok().as_deref() == Some(bq.target.as_str())
            }) {
                t.found_target += 1;
            }
        }
        let theirs = report(
            "PostgreSQL ILIKE '%q%' with GIN gin_trgm_ops (page of 20 + count; custom plans):",
            &pg,
        );
        println!(
            "\nratio PostgreSQL / tantivy: p50 {:.1}×, p99 {:.1}×",
            ms(percentile(&theirs, 0.5)) / ms(percentile(&ours, 0.5)).max(1e-6),
            ms(percentile(&theirs, 0.99)) / ms(percentile(&ours, 0.99)).max(1e-6)
        );
    }
    Ok(())
}

/// Write → visible in search: renames merchants through the service and times until the
/// new sign name is found, with the server's follower running in process.
pub async fn feed_latency(app_state: &crate::state::AppState, writes: usize) -> anyhow::Result<()> {
    use fangxin_core::merchants::{self, NewMerchant};
    let db = &app_state.db;
    let mut times = Vec::with_capacity(writes);
    let sample: Vec<merchant::Model> = merchant::Entity::find()
        .order_by_asc(merchant::Column::Id)
        .limit(writes as u64)
        .all(db)
        .await?;
    for (n, m) in sample.iter().enumerate() {
        let token = format!("延迟测试{n:05}号店");
        let uscc = fangxin_scoring::Uscc::parse(&m.uscc)?;
        let kind = fangxin_scoring::domain::MerchantKind::parse(&m.kind)
            .unwrap_or(fangxin_scoring::domain::MerchantKind::Individual);
        let started = Instant::now();
        merchants::upsert(
            db,
            NewMerchant {
                uscc,
                name: m.name.clone(),
                sign_name: Some(token.clone()),
                former_names: vec![],
                kind,
                industry: m.industry.clone(),
                street: m.street.clone(),
                address: m.address.clone(),
                legal_representative: m.legal_representative.clone(),
                established_on: m.established_on,
            },
            &fangxin_core::audit::Actor::system(),
            fangxin_core::clock::now(),
        )
        .await?;
        app_state.notifier.changed().await;
        let mut req = SearchRequest::query(&token);
        req.facets = false;
        req.count_cap = 1;
        loop {
            let index = app_state.index.current();
            let r = tokio::task::spawn_blocking({
                let req = req.clone();
                move || index.search(&req)
            })
            .await??;
            if r.hits.iter().any(|h| h.doc.uscc == m.uscc) {
                break;
            }
            if started.elapsed() > Duration::from_secs(10) {
                anyhow::bail!("write {n} not visible after 10 s");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        times.push(started.elapsed());
        // Put the old name back (also through the feed) before the next write.
        merchants::upsert(
            db,
            NewMerchant {
                uscc: fangxin_scoring::Uscc::parse(&m.uscc)?,
                name: m.name.clone(),
                sign_name: m.sign_name.clone(),
                former_names: vec![],
                kind,
                industry: m.industry.clone(),
                street: m.street.clone(),
                address: m.address.clone(),
                legal_representative: m.legal_representative.clone(),
                established_on: m.established_on,
            },
            &fangxin_core::audit::Actor::system(),
            fangxin_core::clock::now(),
        )
        .await?;
        app_state.notifier.changed().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    times.sort();
    println!(
        "write → visible in search over {} writes: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        times.len(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.9)),
        ms(percentile(&times, 0.99)),
        ms(times.last().copied().unwrap_or_default())
    );
    Ok(())
}
