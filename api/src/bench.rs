//! `fangxin bench …`: measurements on real data, recorded in docs/benchmarks.md. Speed is
//! measured here, never asserted in tests.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use fangxin_indexer::{MerchantIndex, SearchRequest};
use pinyin::ToPinyin;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
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
        index.search_uncached(&request(bq, false))?;
    }
    let mut api: BTreeMap<&'static str, Tally> = BTreeMap::new();
    let mut suggest: BTreeMap<&'static str, Tally> = BTreeMap::new();
    for bq in queries {
        for (suggesting, tallies) in [(false, &mut api), (true, &mut suggest)] {
            let req = request(bq, suggesting);
            let started = Instant::now();
            let r = index.search_uncached(&req)?;
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

/// Characters rare in shop names, for merchants nobody else is called; each with a common
/// character of the same sound, for a typo by ear.
const RARE: &[(char, char)] = &[
    ('琨', '昆'),
    ('珑', '龙'),
    ('瑾', '谨'),
    ('璟', '景'),
    ('翎', '铃'),
    ('澈', '彻'),
    ('麓', '路'),
    ('岚', '蓝'),
    ('霁', '记'),
    ('曦', '西'),
    ('钰', '玉'),
    ('骁', '萧'),
    ('弈', '亿'),
    ('瑄', '宣'),
    ('琦', '奇'),
    ('珈', '加'),
    ('岫', '秀'),
    ('蔻', '扣'),
    ('翦', '剪'),
    ('琰', '眼'),
];

/// Shop words and the legal form of an individual business of each.
const SHOPS: &[(&str, &str, &str)] = &[
    ("米线", "餐饮", "餐饮店"),
    ("茶馆", "餐饮", "茶馆"),
    ("超市", "零售", "商行"),
    ("大药房", "药店", "药店"),
    ("美发", "美容美发", "美发店"),
    ("汽修", "汽车销售维修", "汽车修理部"),
    ("烧烤", "餐饮", "餐饮店"),
    ("书店", "零售", "书店"),
];

/// `fangxin bench findability`: adds `n` merchants with distinctive names to the index (not
/// the database), searches each by every kind of query people type, reports how often the
/// merchant is in the top three and how long each kind takes, then takes them out again.
pub fn findability(index: &MerchantIndex, n: usize, seed: u64) -> anyhow::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let before = index.committed_payload()?.unwrap_or_default();
    let mut added = Vec::with_capacity(n);
    let mut used = std::collections::HashSet::new();
    while added.len() < n {
        let a = rng.random_range(0..RARE.len());
        let b = rng.random_range(0..RARE.len());
        let s = rng.random_range(0..SHOPS.len());
        // Each pair of rare characters once: the merchant's part of the name is its own.
        if a == b || !used.insert((a, b)) {
            continue;
        }
        let (shop, industry, form) = SHOPS[s];
        let prefix: String = [RARE[a].0, RARE[b].0].iter().collect();
        let i = added.len() as u32;
        let uscc = fangxin_scoring::Uscc::from_parts('9', '2', "530102", &format!("BF{i:06}"))?;
        let street = ["华山街道", "护国街道", "大观街道", "龙翔街道"][i as usize % 4];
        let doc = fangxin_indexer::MerchantDoc {
            uscc: uscc.to_string(),
            name: format!("昆明市五华区{prefix}{form}"),
            sign_name: Some(format!("{prefix}{shop}")),
            former_names: Vec::new(),
            street: street.to_owned(),
            industry: industry.to_owned(),
            address: format!("昆明市五华区华山南路{}号", i + 1),
            status: "operating".to_owned(),
            score: Some(88),
            grade: Some("A".to_owned()),
            trusted: false,
            listing: None,
            latitude: Some(25.043),
            longitude: Some(102.705),
        };
        index.upsert(&doc)?;
        added.push((doc, a, b, shop));
    }
    index.commit(before)?;
    println!(
        "{} documents, {} of them added for this run",
        index.num_docs(),
        added.len()
    );
    let mut tallies: BTreeMap<&'static str, Tally> = BTreeMap::new();
    let mut ask = |kind: &'static str, q: String, target: &str| -> anyhow::Result<()> {
        let started = Instant::now();
        let r = index.search_uncached(&SearchRequest::query(&q))?;
        let elapsed = started.elapsed();
        let t = tallies.entry(kind).or_default();
        t.times.push(elapsed);
        let found = r.hits.iter().take(3).any(|h| h.doc.uscc == target)
            || r.uscc_hint
                .as_ref()
                .and_then(|h| h.did_you_mean.as_ref())
                .is_some_and(|s| s.uscc == target);
        if found {
            t.found_target += 1;
        } else if t.times.len() - t.found_target <= 2 {
            println!("  missed ({kind}): {q}");
        }
        Ok(())
    };
    for (doc, a, b, shop) in &added {
        let sign = doc.sign_name.clone().unwrap_or_default();
        let target = doc.uscc.as_str();
        let py = full_pinyin(&sign);
        let prefix: String = [RARE[*a].0, RARE[*b].0].iter().collect();
        ask("sign_name", sign.clone(), target)?;
        ask("part_of_name", prefix.clone(), target)?;
        ask("pinyin", py.concat(), target)?;
        ask(
            "initials",
            py.iter().filter_map(|s| s.chars().next()).collect(),
            target,
        )?;
        let mut typo: Vec<char> = py.concat().chars().collect();
        let i = typo.len() / 2;
        typo.swap(i, i + 1);
        ask("pinyin_typo", typo.into_iter().collect(), target)?;
        ask("question", format!("{sign}怎么样"), target)?;
        ask("other_order", format!("{shop} {prefix}"), target)?;
        ask(
            "branch_in_brackets",
            format!("{sign}（华山南路店）"),
            target,
        )?;
        ask(
            "homophone",
            format!("{}{}{shop}", RARE[*a].1, RARE[*b].0),
            target,
        )?;
        ask(
            "traditional",
            zhconv::zhconv(&sign, zhconv::Variant::ZhHant),
            target,
        )?;
        let mut wrong: Vec<char> = target.chars().collect();
        wrong[12] = if wrong[12] == '1' { '2' } else { '1' };
        ask("uscc_one_wrong", wrong.into_iter().collect(), target)?;
    }
    println!(
        "\n{:<20} {:>6} {:>9} {:>9} {:>9} {:>12}",
        "query kind", "n", "p50 ms", "p99 ms", "max ms", "top 3"
    );
    let (mut all, mut found) = (Vec::new(), 0);
    for (kind, t) in &tallies {
        let mut times = t.times.clone();
        times.sort();
        all.extend(times.iter().copied());
        found += t.found_target;
        println!(
            "{:<20} {:>6} {:>9.3} {:>9.3} {:>9.3} {:>11.1}%",
            kind,
            times.len(),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(times.last().copied().unwrap_or_default()),
            100.0 * t.found_target as f64 / times.len().max(1) as f64
        );
    }
    all.sort();
    println!(
        "{:<20} {:>6} {:>9.3} {:>9.3} {:>9.3} {:>11.1}%",
        "all",
        all.len(),
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99)),
        ms(all.last().copied().unwrap_or_default()),
        100.0 * found as f64 / all.len().max(1) as f64
    );
    for (doc, ..) in &added {
        index.delete(&doc.uscc)?;
    }
    index.commit(before)?;
    println!("the {} added merchants are taken out again", added.len());
    Ok(())
}

/// `fangxin bench nearby`: in-process latency of nearby searches around random points of
/// the district, at several radii, with and without words.
pub fn nearby(index: &MerchantIndex, queries: usize, seed: u64) -> anyhow::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut tallies: BTreeMap<&'static str, Tally> = BTreeMap::new();
    let kinds: [(&'static str, f64, &str); 4] = [
        ("500 m", 500.0, ""),
        ("1 km", 1_000.0, ""),
        ("2 km", 2_000.0, ""),
        ("1 km + 米线", 1_000.0, "米线"),
    ];
    let mut requests = Vec::with_capacity(queries);
    for i in 0..queries {
        let (kind, radius_m, q) = kinds[i % kinds.len()];
        // Around the town centre, where shops are densest.
        let lat = 25.03 + rng.random_range(0.0..0.05);
        let lng = 102.68 + rng.random_range(0.0..0.04);
        requests.push((
            kind,
            fangxin_indexer::NearbyRequest {
                lat,
                lng,
                radius_m,
                q: q.to_owned(),
                street: None,
                industry: None,
                grade: None,
                trusted: None,
                page: 1,
                per_page: 20,
            },
        ));
    }
    for (_, r) in requests.iter().take(queries / 4) {
        index.nearby(r)?;
    }
    for (kind, r) in &requests {
        let started = Instant::now();
        let res = index.nearby(r)?;
        let elapsed = started.elapsed();
        let t = tallies.entry(kind).or_default();
        t.times.push(elapsed);
        t.hits += res.total;
        t.found_target += usize::from(!res.hits.is_empty());
    }
    println!(
        "{} documents, {} nearby searches",
        index.num_docs(),
        queries
    );
    println!(
        "{:<14} {:>6} {:>9} {:>9} {:>9} {:>14}",
        "kind", "n", "p50 ms", "p99 ms", "max ms", "mean in circle"
    );
    for (kind, t) in &tallies {
        let mut times = t.times.clone();
        times.sort();
        println!(
            "{:<14} {:>6} {:>9.3} {:>9.3} {:>9.3} {:>14.0}",
            kind,
            times.len(),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(times.last().copied().unwrap_or_default()),
            t.hits as f64 / times.len().max(1) as f64
        );
    }
    Ok(())
}

/// One kind of write, timed.
fn write_report(kind: &str, times: &mut [Duration]) {
    times.sort();
    println!(
        "{:<12} {:>6} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
        kind,
        times.len(),
        ms(percentile(times, 0.5)),
        ms(percentile(times, 0.9)),
        ms(percentile(times, 0.99)),
        ms(times.last().copied().unwrap_or_default())
    );
}

/// Write latency at the database's size, through the same core calls the API's handlers
/// make (and waking the feed follower as they do): a penalty published, a complaint taken
/// in, that penalty corrected, that complaint answered by the merchant — on `writes`
/// merchants spread over the district. The records stay (decision numbers `BENCH-…`,
/// tickets `BENCH-…`): run it on a copy of a demo district, not on real data.
pub async fn writes(app_state: &crate::state::AppState, writes: usize) -> anyhow::Result<()> {
    use fangxin_core::audit::Actor;
    use fangxin_core::{complaints, penalties};
    let db = &app_state.db;
    let total: u64 = merchant::Entity::find().count(db).await?;
    let step = (total / writes.max(1) as u64).max(1);
    let ids: Vec<i64> = (0..writes as u64).map(|i| (i * step + 1) as i64).collect();
    let sample: Vec<merchant::Model> = merchant::Entity::find()
        .filter(merchant::Column::Id.is_in(ids))
        .all(db)
        .await?;
    println!(
        "{} merchants in the database ({:?}); {} writes of each kind",
        total,
        db.get_database_backend(),
        sample.len()
    );
    // What the start-up sweep does: count the baselines for the day, if not yet counted.
    let started = Instant::now();
    fangxin_core::scores::baselines::for_today(db, fangxin_core::clock::now(), &app_state.scoring)
        .await?;
    println!(
        "industry baselines for today: {:.2} s (counted at start-up and by the daily sweep, not by a write)",
        started.elapsed().as_secs_f64()
    );
    let threshold = app_state.settings.penalties.lower_amount_threshold_yuan * 100;
    let actor = Actor::system();
    let run = fangxin_core::clock::now().timestamp();
    let today = fangxin_core::clock::today(fangxin_core::clock::now());
    let record = |n: usize, uscc: &str, fine: u32| -> anyhow::Result<penalties::PublishPenalty> {
        Ok(serde_json::from_value(serde_json::json!({
            "decision_no": format!("BENCH-{run}-{n:05}"),
            "uscc": uscc,
            "categories": ["fine"],
            "fine_yuan": fine.to_string(),
            "violation_type": "未按规定明码标价",
            "facts": "基准测试：商品未标明价格",
            "legal_basis": "《价格违法行为行政处罚规定》第十三条",
            "authority": "五华区市场监督管理局",
            "decided_on": today.to_string(),
            "procedure": "ordinary",
        }))?)
    };
    let (mut publish, mut intake, mut correct, mut answer) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (n, m) in sample.iter().enumerate() {
        let started = Instant::now();
        let published = penalties::publish(
            db,
            record(n, &m.uscc, 2_000)?,
            &app_state.scoring,
            threshold,
            &actor,
            fangxin_core::clock::now(),
        )
        .await?;
        app_state.notifier.changed().await;
        publish.push(started.elapsed());

        let complaint: complaints::NewComplaint = serde_json::from_value(serde_json::json!({
            "channel": "12315",
            "ticket_no": format!("BENCH-{run}-{n:05}"),
            "kind": "complaint",
            "uscc": m.uscc,
            "merchant_name": m.name,
            "received_at": fangxin_core::clock::now().to_rfc3339(),
            "category": "price",
            "text": "基准测试：结账价格与标价不符",
        }))?;
        let ctx = complaints::IntakeContext {
            scoring: &app_state.scoring,
            key_secret: app_state.settings.privacy.complainant_key_secret.expose(),
            index: Some(app_state.index.current()),
        };
        let started = Instant::now();
        let taken =
            complaints::intake(db, complaint, &ctx, &actor, fangxin_core::clock::now()).await?;
        app_state.notifier.changed().await;
        intake.push(started.elapsed());

        let started = Instant::now();
        penalties::correct(
            db,
            published.id,
            penalties::Correction {
                reason: "基准测试：罚款金额更正".into(),
                record: record(n, &m.uscc, 1_500)?,
            },
            &app_state.scoring,
            threshold,
            &actor,
            fangxin_core::clock::now(),
        )
        .await?;
        app_state.notifier.changed().await;
        correct.push(started.elapsed());

        let started = Instant::now();
        complaints::answer(
            db,
            taken.complaint.id,
            m.id,
            "已核实，已按标价退还差额。",
            &app_state.scoring,
            &actor,
            fangxin_core::clock::now(),
        )
        .await?;
        app_state.notifier.changed().await;
        answer.push(started.elapsed());
    }
    println!(
        "\n{:<12} {:>6} {:>9} {:>9} {:>9} {:>9}",
        "write", "n", "p50 ms", "p90 ms", "p99 ms", "max ms"
    );
    write_report("publish", &mut publish);
    write_report("intake", &mut intake);
    write_report("correct", &mut correct);
    write_report("answer", &mut answer);
    Ok(())
}
