//! The demo district: a deterministic, realistic Wuhua district (same seed, same data),
//! streamed to the database in batches so a million merchants fit in bounded memory.

mod vocab;

/// The consumer warnings the demo publishes: (title, category code, text).
pub use vocab::WARNINGS;

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveTime, TimeDelta, Utc};
use fangxin_scoring::Uscc;
use fangxin_scoring::domain::{PenaltyCategory, PenaltyStatus, Procedure};
use fangxin_scoring::publicity::publicity_end;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryTrait, Statement,
};
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::progress::Progress;
use crate::store::entities::{
    complaint, listing, merchant, penalty, spot_check_result, trusted_enrolment,
};
use vocab::{INDUSTRIES, Industry, STREETS};

const BATCH: u64 = 1000;
/// The tables the generator fills row by row.
const LOADED_TABLES: [&str; 6] = [
    "merchants",
    "penalties",
    "complaints",
    "trusted_enrolments",
    "listings",
    "spot_check_results",
];
/// USCC characters usable in the generated organisation codes.
const CODE_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    pub merchants: u64,
    pub seed: u64,
    pub as_of: NaiveDate,
    pub lower_amount_threshold_fen: i64,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct DemoSummary {
    pub merchants: u64,
    pub penalties: u64,
    pub complaints: u64,
    pub claimant_complaints: u64,
    pub trusted: u64,
    pub listings: u64,
    pub spot_checks: u64,
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn pick_weighted<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut r = rng.random_range(0..total.max(1));
    for item in items {
        let w = weight(item);
        if r < w {
            return item;
        }
        r -= w;
    }
    &items[items.len() - 1]
}

/// Poisson-distributed count (Knuth for small means, normal approximation above 30).
fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 30.0 {
        let u1: f64 = rng.random::<f64>().max(1e-12);
        let u2: f64 = rng.random();
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        return (mean + z * mean.sqrt()).round().max(0.0) as u32;
    }
    let l = (-mean).exp();
    let mut k = 0;
    let mut p = 1.0;
    loop {
        p *= rng.random::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

/// A log-uniform amount in fen between two yuan amounts, rounded to whole yuan.
fn amount_fen(rng: &mut ChaCha8Rng, min_yuan: f64, max_yuan: f64) -> i64 {
    let x = rng.random_range(min_yuan.ln()..max_yuan.ln()).exp();
    (x.round() as i64) * 100
}

fn organisation_body(i: u64) -> String {
    // "MA" then six base-31 digits of the merchant number: unique up to 887 million.
    let mut s = String::from("MA");
    let mut digits = [b'0'; 6];
    let mut n = i;
    for d in digits.iter_mut().rev() {
        *d = CODE_CHARS[(n % 31) as usize];
        n /= 31;
    }
    s.push_str(std::str::from_utf8(&digits).unwrap_or("000000"));
    s
}

fn at_time(rng: &mut ChaCha8Rng, day: NaiveDate) -> DateTime<Utc> {
    // Office hours in Beijing time (UTC+8): 01:00–10:00 UTC.
    let secs = rng.random_range(3600..36_000);
    let time = NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).unwrap_or_default();
    day.and_time(time).and_utc()
}

fn days_before(as_of: NaiveDate, days: i64) -> NaiveDate {
    as_of - TimeDelta::days(days)
}

struct Generated {
    merchant: merchant::ActiveModel,
    penalties: Vec<penalty::ActiveModel>,
    complaints: Vec<complaint::ActiveModel>,
    trusted: Option<trusted_enrolment::ActiveModel>,
    listings: Vec<listing::ActiveModel>,
    spot_checks: Vec<spot_check_result::ActiveModel>,
}

/// Generates the demo district into an empty database.
pub async fn generate(db: &DatabaseConnection, opts: DemoOptions) -> AppResult<DemoSummary> {
    let existing = merchant::Entity::find().count(db).await?;
    if existing > 0 {
        return Err(AppError::invalid(
            "database_not_empty",
            format!(
                "the database already holds {existing} merchants; generate the demo into an empty data directory"
            ),
        ));
    }
    let now = crate::clock::now();
    let progress = Progress::new("demo", opts.merchants);
    // About one professional claimant per thousand merchants, each filing hundreds.
    let claimants = (opts.merchants / 1000).max(3);
    let claimant_complaints_per_merchant = (claimants as f64 * 250.0) / opts.merchants as f64;

    // The generator draws on a thread of its own and hands over each batch's insert
    // statements, ready to run, while the previous batch is being written.
    let backend = db.get_database_backend();
    let (batches, mut ready) = tokio::sync::mpsc::channel::<AppResult<(u64, Vec<Statement>)>>(2);
    let generator = tokio::task::spawn_blocking(move || {
        let mut summary = DemoSummary::default();
        let mut start = 0;
        while start < opts.merchants {
            let end = (start + BATCH).min(opts.merchants);
            let batch = (start..end)
                .map(|i| {
                    generate_merchant(
                        i,
                        &opts,
                        now,
                        claimants,
                        claimant_complaints_per_merchant,
                        &mut summary,
                    )
                })
                .collect::<AppResult<Vec<_>>>()
                .map(|batch| (end, insert_statements(backend, batch)));
            let failed = batch.is_err();
            if batches.blocking_send(batch).is_err() || failed {
                break;
            }
            start = end;
        }
        summary
    });
    // Empty tables take their rows faster without secondary indexes to keep in step; each
    // index is built once, sorted, after the last batch.
    // Dropped and made again each on one connection, in a transaction: on SQLite another
    // pooled connection may still hold the schema from before the drop and refuse to make
    // an index it believes exists ("index … already exists").
    let txn = crate::store::begin_write(db).await?;
    let deferred = crate::store::DeferredIndexes::drop_for_load(
        &txn,
        &LOADED_TABLES,
        crate::store::Unique::Drop,
    )
    .await?;
    txn.commit().await?;
    let written = async {
        while let Some(batch) = ready.recv().await {
            let (end, statements) = batch?;
            let txn = crate::store::begin_write(db).await?;
            for statement in statements {
                txn.execute_raw(statement).await?;
            }
            txn.commit().await?;
            progress.set(end);
        }
        AppResult::Ok(())
    }
    .await;
    drop(ready);
    let generated = generator.await;
    tracing::info!(
        indexes = deferred.len(),
        "building the indexes of the loaded tables"
    );
    let restored = async {
        let txn = crate::store::begin_write(db).await?;
        deferred.restore(&txn).await?;
        txn.commit().await
    }
    .await;
    written?;
    restored?;
    let mut summary =
        generated.map_err(|e| AppError::Internal(anyhow::anyhow!("demo generator: {e}")))?;
    crate::store::sync_id_sequence(db, "merchants").await?;
    write_fixed_tables(db, now, opts.as_of).await?;
    crate::store::analyze(db).await?;
    summary.merchants = opts.merchants;
    progress.finish();
    Ok(summary)
}

fn generate_merchant(
    i: u64,
    opts: &DemoOptions,
    now: DateTime<Utc>,
    claimants: u64,
    claimant_rate: f64,
    summary: &mut DemoSummary,
) -> AppResult<Generated> {
    // One stream per merchant, drawn in a fixed order: each part below takes its draws
    // after the one before, so the district is the same for the same seed.
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i);
    let rng = &mut rng;
    let m = demo_identity(rng, i, opts, now)?;
    let (penalties, recent_penalty) = demo_penalties(rng, &m, opts, now);
    summary.penalties += penalties.len() as u64;
    let complaints = demo_complaints(rng, &m, now, claimants, claimant_rate, summary);
    let listings = demo_listings(rng, &m, now);
    summary.listings += listings.len() as u64;
    let clean = !recent_penalty && listings.is_empty();
    let trusted = demo_trusted(rng, &m, clean, now);
    summary.trusted += u64::from(trusted.is_some());
    let spot_checks = demo_spot_checks(rng, &m, now);
    summary.spot_checks += spot_checks.len() as u64;
    Ok(Generated {
        merchant: m.row,
        penalties,
        complaints,
        trusted,
        listings,
        spot_checks,
    })
}

/// A generated merchant: its row and what the other parts draw from.
struct DemoMerchant {
    row: merchant::ActiveModel,
    i: u64,
    id: i64,
    as_of: NaiveDate,
    uscc: String,
    name: String,
    sign_name: String,
    industry: &'static Industry,
    street: &'static str,
    established_on: NaiveDate,
    operating: bool,
}

/// Who the merchant is: names, kind, address, age and registration status.
fn demo_identity(
    rng: &mut ChaCha8Rng,
    i: u64,
    opts: &DemoOptions,
    now: DateTime<Utc>,
) -> AppResult<DemoMerchant> {
    let id = i as i64 + 1;
    let as_of = opts.as_of;
    let industry: &Industry = pick_weighted(rng, INDUSTRIES, |x| x.weight);
    let (street, _, roads) = *pick_weighted(rng, STREETS, |s| s.1);
    let kind_roll: f64 = rng.random();
    let (kind, category_char) = if kind_roll < 0.62 {
        ("individual", '2')
    } else if kind_roll < 0.98 {
        ("enterprise", '1')
    } else {
        ("cooperative", '3')
    };
    let uscc = Uscc::from_parts('9', category_char, "530102", &organisation_body(i))?;

    let surname = *pick(rng, vocab::SURNAMES);
    let prefix = if rng.random_bool(0.25) {
        format!("{surname}记")
    } else {
        (*pick(rng, vocab::SIGN_PREFIXES)).to_owned()
    };
    let shop = *pick(rng, industry.shop_words);
    let sign_name = format!("{prefix}{shop}");
    let name = match kind {
        "individual" => format!("昆明市五华区{prefix}{}", industry.individual_form),
        "cooperative" => format!("昆明市五华区{prefix}农产品专业合作社"),
        _ => {
            let city = if rng.random_bool(0.5) {
                "云南"
            } else {
                "昆明"
            };
            let word = if rng.random_bool(0.7) {
                *pick(rng, vocab::COMPANY_WORDS)
            } else {
                ""
            };
            format!("{city}{prefix}{word}{}有限公司", industry.trade)
        }
    };
    let mut former_names = Vec::new();
    if kind == "enterprise" && rng.random_bool(0.05) {
        former_names.push(format!(
            "昆明{}{}有限公司",
            pick(rng, vocab::SIGN_PREFIXES),
            industry.trade
        ));
    }
    let road = *pick(rng, roads);
    let address = format!("昆明市五华区{road}{}号", rng.random_range(1..400));
    let age_days = ((-rng.random::<f64>().max(1e-9).ln()) * 2200.0) as i64 + 30;
    let established_on = days_before(as_of, age_days.min(30 * 365));
    let status_roll: f64 = rng.random();
    let status = if status_roll < 0.94 {
        "operating"
    } else if status_roll < 0.98 {
        "deregistered"
    } else {
        "revoked"
    };
    let legal_rep = format!("{surname}{}", pick(rng, vocab::GIVEN_NAMES));
    let centre = vocab::STREET_CENTRES
        .iter()
        .find(|c| c.0 == street)
        .map_or((25.043, 102.705, 0.005), |c| (c.1, c.2, c.3));

    let row = merchant::ActiveModel {
        id: Set(id),
        uscc: Set(uscc.to_string()),
        name: Set(name.clone()),
        sign_name: Set(Some(sign_name.clone())),
        former_names: Set(serde_json::json!(former_names)),
        kind: Set(kind.to_owned()),
        industry: Set(industry.name.to_owned()),
        street: Set(street.to_owned()),
        address: Set(address),
        legal_representative: Set(Some(legal_rep)),
        established_on: Set(Some(established_on)),
        status: Set(status.to_owned()),
        latitude: Set(Some(centre.0 + rng.random_range(-centre.2..centre.2))),
        longitude: Set(Some(centre.1 + rng.random_range(-centre.2..centre.2))),
        created_at: Set(now),
        updated_at: Set(now),
    };

    Ok(DemoMerchant {
        row,
        i,
        id,
        as_of,
        uscc: uscc.to_string(),
        name,
        sign_name,
        industry,
        street,
        established_on,
        operating: status == "operating",
    })
}

/// Penalties: a few per cent of merchants, heavier ones rarer. Also says whether one was
/// decided in the past year (the trusted-consumption entry rule).
fn demo_penalties(
    rng: &mut ChaCha8Rng,
    m: &DemoMerchant,
    opts: &DemoOptions,
    now: DateTime<Utc>,
) -> (Vec<penalty::ActiveModel>, bool) {
    let DemoMerchant {
        i,
        id,
        as_of,
        ref uscc,
        ref name,
        ref sign_name,
        industry,
        ..
    } = *m;
    let mut penalties = Vec::new();
    let n_penalties = if rng.random_bool(0.035) {
        1 + u32::from(rng.random_bool(0.2))
    } else {
        0
    };
    let mut recent_penalty = false;
    for k in 0..n_penalties {
        let decided_on = days_before(as_of, rng.random_range(5..4 * 365));
        if (as_of - decided_on).num_days() < 365 {
            recent_penalty = true;
        }
        let (violation, basis) = *pick(rng, industry.violations);
        let roll: f64 = rng.random();
        let mut categories = if roll < 0.28 {
            vec![PenaltyCategory::Warning]
        } else if roll < 0.33 {
            vec![PenaltyCategory::PublicCriticism]
        } else if roll < 0.88 {
            let mut c = vec![PenaltyCategory::Fine];
            if rng.random_bool(0.25) {
                c.push(PenaltyCategory::ConfiscateGains);
            }
            c
        } else if roll < 0.91 {
            vec![PenaltyCategory::Fine, PenaltyCategory::PermitSuspended]
        } else if roll < 0.94 {
            vec![PenaltyCategory::Fine, PenaltyCategory::OrderedToSuspend]
        } else if roll < 0.955 {
            vec![PenaltyCategory::ConfiscateProperty, PenaltyCategory::Fine]
        } else if roll < 0.97 {
            vec![PenaltyCategory::Fine, PenaltyCategory::PermitRevoked]
        } else if roll < 0.98 {
            vec![PenaltyCategory::PersonsBarred, PenaltyCategory::Fine]
        } else if roll < 0.99 {
            vec![PenaltyCategory::BusinessRestricted, PenaltyCategory::Fine]
        } else if roll < 0.995 {
            vec![PenaltyCategory::QualificationLowered]
        } else {
            vec![PenaltyCategory::OrderedToClose, PenaltyCategory::Fine]
        };
        categories.dedup();
        let fine_fen = if categories.contains(&PenaltyCategory::Fine) {
            amount_fen(rng, 500.0, 200_000.0) / 10_000 * 10_000
        } else {
            0
        };
        let confiscated_fen = if categories.contains(&PenaltyCategory::ConfiscateGains) {
            amount_fen(rng, 100.0, 50_000.0)
        } else {
            0
        };
        let simple = categories == [PenaltyCategory::Warning] && rng.random_bool(0.3);
        let procedure = if simple {
            Procedure::Simple
        } else {
            Procedure::Ordinary
        };
        let ban_months = categories
            .iter()
            .any(|c| {
                matches!(
                    c,
                    PenaltyCategory::PersonsBarred | PenaltyCategory::BusinessRestricted
                )
            })
            .then(|| *pick(rng, &[12u32, 36, 60]));
        let end = publicity_end(
            &categories,
            fine_fen,
            procedure,
            decided_on,
            ban_months,
            opts.lower_amount_threshold_fen,
        );
        let status = match end {
            None => PenaltyStatus::NotPublic,
            Some(e) if e >= as_of => PenaltyStatus::InPublicity,
            Some(_) => PenaltyStatus::Expired,
        };
        let labels: Vec<&str> = categories.iter().map(|c| c.label_zh()).collect();
        let content = if fine_fen > 0 {
            format!("{}，罚款人民币{}元", labels.join("、"), fine_fen / 100)
        } else {
            labels.join("、")
        };
        let serious = categories.iter().any(|c| {
            matches!(
                c,
                PenaltyCategory::PermitRevoked | PenaltyCategory::OrderedToClose
            )
        });
        penalties.push(penalty::ActiveModel {
            decision_no: Set(format!(
                "五市监处罚〔{}〕{}号",
                decided_on.year(),
                i * 4 + u64::from(k) + 1
            )),
            merchant_id: Set(id),
            party_name: Set(name.clone()),
            uscc: Set(uscc.clone()),
            categories: Set(serde_json::json!(categories)),
            fine_fen: Set(fine_fen),
            confiscated_fen: Set(confiscated_fen),
            violation_type: Set(violation.to_owned()),
            facts: Set(format!(
                "经查，当事人在{sign_name}经营过程中存在{violation}的行为，执法人员现场检查并制作笔录，事实清楚，证据确凿。"
            )),
            legal_basis: Set(basis.to_owned()),
            content: Set(content),
            authority: Set("昆明市五华区市场监督管理局".into()),
            decided_on: Set(decided_on),
            procedure: Set(procedure.code().into()),
            ban_months: Set(ban_months.map(|m| m as i32)),
            serious: Set(serious),
            special_sector: Set(industry.special_sector),
            publicity_end: Set(end),
            status: Set(status.code().into()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    }

    (penalties, recent_penalty)
}

/// Complaints over three years: a long tail (most none, a few dozens), and those of
/// professional claimants.
fn demo_complaints(
    rng: &mut ChaCha8Rng,
    m: &DemoMerchant,
    now: DateTime<Utc>,
    claimants: u64,
    claimant_rate: f64,
    summary: &mut DemoSummary,
) -> Vec<complaint::ActiveModel> {
    let DemoMerchant {
        i,
        id,
        as_of,
        ref name,
        industry,
        street,
        ..
    } = *m;
    let mut rate = industry.complaint_rate * 0.6;
    if rng.random_bool(0.02) {
        rate *= 15.0;
    }
    let n_complaints = poisson(rng, rate * 3.0);
    let mut complaints = Vec::with_capacity(n_complaints as usize);
    for k in 0..n_complaints {
        let mut c = demo_complaint(rng, i, k, id, name, industry, street, as_of, now, None);
        if let Some(key) = heavy_complainant(i, k, claimants, claimant_rate) {
            c.complainant_key = Set(Some(key));
        }
        complaints.push(c);
    }
    // Professional claimants: labels, expiry, advertising wording; often withdrawn.
    let claimant_here = if matches!(industry.name, "零售" | "餐饮" | "药店" | "农贸市场")
    {
        poisson(rng, claimant_rate * 2.2)
    } else {
        0
    };
    for k in 0..claimant_here {
        let who = rng.random_range(0..claimants);
        complaints.push(demo_complaint(
            rng,
            i,
            1000 + k,
            id,
            name,
            industry,
            street,
            as_of,
            now,
            Some(who),
        ));
    }
    summary.complaints += u64::from(n_complaints);
    summary.claimant_complaints += u64::from(claimant_here);

    complaints
}

/// The abnormal-operations and serious-violation lists.
fn demo_listings(
    rng: &mut ChaCha8Rng,
    m: &DemoMerchant,
    now: DateTime<Utc>,
) -> Vec<listing::ActiveModel> {
    let (id, as_of) = (m.id, m.as_of);
    let mut listings = Vec::new();
    if rng.random_bool(0.02) {
        let listed_on = days_before(as_of, rng.random_range(10..3 * 365));
        let removed = rng.random_bool(0.3);
        listings.push(listing::ActiveModel {
            merchant_id: Set(id),
            kind: Set("abnormal".into()),
            reason: Set((*pick(rng, vocab::LISTING_REASONS_ABNORMAL)).into()),
            authority: Set("昆明市五华区市场监督管理局".into()),
            listed_on: Set(listed_on),
            removed_on: Set(removed
                .then(|| listed_on + TimeDelta::days(rng.random_range(20..200)))
                .filter(|d| *d < as_of)),
            removal_reason: Set(removed.then(|| "已补报年度报告并公示".to_owned())),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    }
    if rng.random_bool(0.002) {
        listings.push(listing::ActiveModel {
            merchant_id: Set(id),
            kind: Set("serious_violation".into()),
            reason: Set((*pick(rng, vocab::LISTING_REASONS_SERIOUS)).into()),
            authority: Set("昆明市市场监督管理局".into()),
            listed_on: Set(days_before(as_of, rng.random_range(10..2 * 365))),
            removed_on: Set(None),
            removal_reason: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    }

    listings
}

/// Trusted consumption: a few per cent of established, clean (`clean`: no penalty in the
/// past year, never listed), operating merchants.
fn demo_trusted(
    rng: &mut ChaCha8Rng,
    m: &DemoMerchant,
    clean: bool,
    now: DateTime<Utc>,
) -> Option<trusted_enrolment::ActiveModel> {
    let (id, as_of) = (m.id, m.as_of);
    // Entry rule: a year in business, no penalty or listing in the past year.
    let established_a_year = (as_of - m.established_on).num_days() > 365;
    (m.operating && established_a_year && clean && rng.random_bool(0.045)).then(|| {
        let demonstration = rng.random_bool(0.25);
        let mut pledges = vec!["first_inquiry", "incoming_inspection"];
        if rng.random_bool(0.6) {
            pledges.push("advance_compensation");
        }
        if rng.random_bool(0.5) {
            pledges.push("no_reason_returns");
        }
        if rng.random_bool(0.3) {
            pledges.push("recall");
        }
        let valid_from = days_before(as_of, rng.random_range(30..3 * 365));
        trusted_enrolment::ActiveModel {
            merchant_id: Set(id),
            level: Set(if demonstration {
                "demonstration"
            } else {
                "pledged"
            }
            .into()),
            pledges: Set(serde_json::json!(pledges)),
            service_station: Set(demonstration && rng.random_bool(0.3)),
            odr_member: Set(rng.random_bool(0.2)),
            valid_from: Set(valid_from),
            valid_to: Set(valid_from.checked_add_months(Months::new(36))),
            status: Set("active".into()),
            status_reason: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
    })
}

/// Spot checks of goods sellers.
fn demo_spot_checks(
    rng: &mut ChaCha8Rng,
    m: &DemoMerchant,
    now: DateTime<Utc>,
) -> Vec<spot_check_result::ActiveModel> {
    let (id, as_of, industry) = (m.id, m.as_of, m.industry);
    let mut spot_checks = Vec::new();
    if matches!(
        industry.name,
        "零售" | "餐饮" | "药店" | "农贸市场" | "服装鞋帽" | "家电家居" | "汽车销售维修"
    ) && rng.random_bool(0.06)
    {
        let unqualified = rng.random_bool(0.08);
        let product = *pick(rng, industry.products);
        let a = rng.random_range(1..=vocab::INSPECTORS.len() as i64);
        let b = (a % vocab::INSPECTORS.len() as i64) + 1;
        spot_checks.push(spot_check_result::ActiveModel {
            plan_id: Set(None),
            merchant_id: Set(id),
            inspectors: Set(serde_json::json!([a, b])),
            product: Set(Some(product.to_owned())),
            batch: Set(Some(format!(
                "{}{:04}",
                as_of.year(),
                rng.random_range(1..9999)
            ))),
            standard: Set(Some("GB 7718-2011".into())),
            outcome: Set(Some(
                if unqualified {
                    "unqualified"
                } else {
                    "qualified"
                }
                .into(),
            )),
            failed_items: Set(unqualified.then(|| "标签标识不符合要求".to_owned())),
            checked_on: Set(Some(days_before(as_of, rng.random_range(5..2 * 365)))),
            published: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    }

    spot_checks
}

/// Heavy but ordinary complainants (`hc…`): as many as there are professional claimants,
/// each filing dozens of real grievances a year through the usual channels, without the
/// claim-making habits. The assessment must leave them alone. Chosen by a hash of the
/// complaint's place, so the demo's random stream (and every score) stays as it was.
fn heavy_complainant(i: u64, k: u32, heavy: u64, claimant_rate: f64) -> Option<String> {
    let mut x = (i << 32 | u64::from(k)).wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    // About a hundred complaints each over the demo's three years (0.4 of a professional
    // claimant's 250), taken from the ordinary complaints — never more than 30 % of them,
    // which bites only in districts too small for the claimants' volume.
    let share = (claimant_rate * 0.4 / ORDINARY_COMPLAINTS_PER_MERCHANT).min(0.3);
    let per_million = (share * 1e6) as u64;
    (x % 1_000_000 < per_million).then(|| format!("hc{:05}", (x >> 20) % heavy))
}

/// Ordinary complaints per merchant over three years in the demo (measured on the
/// 5,000-merchant demo: 4,564 for 5,000).
const ORDINARY_COMPLAINTS_PER_MERCHANT: f64 = 0.9;

#[allow(clippy::too_many_arguments)]
fn demo_complaint(
    rng: &mut ChaCha8Rng,
    i: u64,
    k: u32,
    merchant_id: i64,
    merchant_name: &str,
    industry: &Industry,
    street: &str,
    as_of: NaiveDate,
    now: DateTime<Utc>,
    claimant: Option<u64>,
) -> complaint::ActiveModel {
    let (channel, kind, _) = if claimant.is_some() {
        *pick(
            rng,
            &[
                ("12315", "complaint", 1),
                ("internet", "complaint", 1),
                ("12345", "complaint", 1),
            ],
        )
    } else if rng.random_bool(0.08) {
        ("12315", "inquiry", 1)
    } else {
        *pick_weighted(rng, vocab::CHANNEL_SHARES, |c| c.2)
    };
    let age = rng.random_range(0..3 * 365);
    let received_at = at_time(rng, days_before(as_of, age));
    let category = if claimant.is_some() {
        *pick(rng, &["food_label", "expiry", "false_advertising"])
    } else {
        *pick(rng, industry.categories)
    };
    let status = if kind == "inquiry" {
        "settled"
    } else if age < 5 {
        "received"
    } else if age < 40 && rng.random_bool(0.5) {
        "mediating"
    } else if claimant.is_some() {
        *pick(rng, &["withdrawn", "withdrawn", "settled", "rejected"])
    } else if kind == "report" {
        // Decided within 15 working days: only recent reports are still open.
        if age < 20 {
            "accepted"
        } else {
            *pick(rng, &["converted_to_case", "rejected", "converted_to_case"])
        }
    } else {
        let r: f64 = rng.random();
        if r < 0.62 {
            "settled"
        } else if r < 0.75 {
            "mediation_failed"
        } else if r < 0.83 {
            "withdrawn"
        } else if r < 0.92 {
            "rejected"
        } else {
            "converted_to_case"
        }
    };
    let accepted_at = (status != "received" && status != "rejected")
        .then(|| received_at + TimeDelta::days(rng.random_range(1..7)));
    let closed = matches!(
        status,
        "settled" | "mediation_failed" | "withdrawn" | "rejected" | "converted_to_case"
    );
    let closed_at = closed.then(|| received_at + TimeDelta::days(rng.random_range(3..50)));
    let involved = amount_fen(
        rng,
        20.0,
        if claimant.is_some() {
            2_000.0
        } else {
            30_000.0
        },
    );
    let recovered = if status == "settled" {
        involved * rng.random_range(50..=100) / 100
    } else {
        0
    };
    let complainant_key = match claimant {
        Some(who) => format!("pc{who:05}"),
        // A small pool of repeat ordinary complainants, and many one-off ones.
        None if rng.random_bool(0.1) => format!("rc{:05}", rng.random_range(0..(i / 50 + 20))),
        None => format!("oc{i:07}{k:03}"),
    };
    let text = match category {
        "food_label" => "所购预包装食品标签未标注生产日期和配料表，要求十倍赔偿。".to_owned(),
        "expiry" => "在店内购买的食品已超过保质期，要求退款并赔偿。".to_owned(),
        "false_advertising" => "商家宣传与实际不符，存在虚假宣传，要求处理。".to_owned(),
        "prepaid_card" => "办理的预付卡商家无法正常提供服务，要求退还余额。".to_owned(),
        "price" => "结账金额与标价不一致，要求退还差价。".to_owned(),
        "after_sales" => "商品出现质量问题后商家拒绝履行三包义务。".to_owned(),
        "contract" => "商家未按约定提供服务，要求解除合同并退款。".to_owned(),
        "service" => "服务态度差，服务内容与约定不符。".to_owned(),
        _ => "购买的商品存在质量问题，与商家协商未果。".to_owned(),
    };
    let prefix = match channel {
        "12315" => "GS",
        "12345" => "SZ",
        "12365" => "ZJ",
        "12331" => "SY",
        "internet" => "WL",
        "consumer_association" => "XX",
        "city_supervision" => "DB",
        "city_transfer" => "ZB",
        _ => "XF",
    };
    complaint::ActiveModel {
        channel: Set(channel.into()),
        ticket_no: Set(format!("{prefix}{}{i:08}{k:04}", received_at.year())),
        kind: Set(kind.into()),
        status: Set(status.into()),
        received_at: Set(received_at),
        accepted_at: Set(accepted_at),
        closed_at: Set(closed_at),
        merchant_id: Set(Some(merchant_id)),
        merchant_name: Set(merchant_name.to_owned()),
        category: Set(Some(category.into())),
        industry: Set(Some(industry.name.into())),
        street: Set(Some(street.into())),
        amount_involved_fen: Set(involved),
        amount_recovered_fen: Set(recovered),
        satisfaction: Set(closed.then(|| {
            if rng.random_bool(0.9) {
                "satisfied"
            } else {
                "basically_satisfied"
            }
            .to_owned()
        })),
        complainant_key: Set(Some(complainant_key)),
        text: Set(text),
        punitive_demand: Set(claimant.is_some() && rng.random_bool(0.8)),
        purchase_quantity: Set(claimant.map(|_| rng.random_range(5..60))),
        merchant_response: Set(None),
        responded_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// The insert statements of one batch of generated merchants, 500 rows each.
fn insert_statements(backend: DbBackend, batch: Vec<Generated>) -> Vec<Statement> {
    let mut merchants = Vec::with_capacity(batch.len());
    let mut penalties = Vec::new();
    let mut complaints = Vec::new();
    let mut trusted = Vec::new();
    let mut listings = Vec::new();
    let mut spot_checks = Vec::new();
    for g in batch {
        merchants.push(g.merchant);
        penalties.extend(g.penalties);
        complaints.extend(g.complaints);
        trusted.extend(g.trusted);
        listings.extend(g.listings);
        spot_checks.extend(g.spot_checks);
    }
    let mut statements = Vec::new();
    fn push<A>(backend: DbBackend, rows: Vec<A>, statements: &mut Vec<Statement>)
    where
        A: sea_orm::ActiveModelTrait,
    {
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<A> = rows.by_ref().take(500).collect();
            statements.push(<A::Entity as EntityTrait>::insert_many(chunk).build(backend));
        }
    }
    push(backend, merchants, &mut statements);
    push(backend, penalties, &mut statements);
    push(backend, complaints, &mut statements);
    push(backend, trusted, &mut statements);
    push(backend, listings, &mut statements);
    push(backend, spot_checks, &mut statements);
    statements
}

/// Inspectors and consumer warnings: the same few rows whatever the size.
async fn write_fixed_tables(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    as_of: NaiveDate,
) -> AppResult<()> {
    use sea_orm::sea_query::{Alias, Query};
    let mut inspectors = Query::insert()
        .into_table(Alias::new("inspectors"))
        .columns([
            Alias::new("name"),
            Alias::new("unit"),
            Alias::new("active"),
            Alias::new("created_at"),
        ])
        .to_owned();
    for (name, unit) in vocab::INSPECTORS {
        inspectors
            .values([(*name).into(), (*unit).into(), true.into(), now.into()])
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    }
    db.execute(&inspectors).await?;
    let mut warnings = Query::insert()
        .into_table(Alias::new("warnings"))
        .columns([
            Alias::new("title"),
            Alias::new("body"),
            Alias::new("category"),
            Alias::new("published_on"),
            Alias::new("created_at"),
            Alias::new("updated_at"),
        ])
        .to_owned();
    for (n, (title, category, body)) in vocab::WARNINGS.iter().enumerate() {
        let published = as_of - TimeDelta::days(20 * n as i64 + 3);
        warnings
            .values([
                (*title).into(),
                (*body).into(),
                (*category).into(),
                published.into(),
                now.into(),
                now.into(),
            ])
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    }
    db.execute(&warnings).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_usccs_pass_both_checks_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for i in (0..2_000_000u64).step_by(997) {
            let u = Uscc::from_parts('9', '2', "530102", &organisation_body(i)).unwrap();
            assert!(Uscc::parse(u.as_str()).is_ok());
            assert!(seen.insert(u));
        }
    }

    #[test]
    fn same_seed_same_merchant() {
        let opts = DemoOptions {
            merchants: 10,
            seed: 7,
            as_of: "2026-11-28".parse().unwrap(),
            lower_amount_threshold_fen: 1_000_000,
        };
        let now = crate::clock::now();
        let a = generate_merchant(3, &opts, now, 3, 0.1, &mut DemoSummary::default()).unwrap();
        let b = generate_merchant(3, &opts, now, 3, 0.1, &mut DemoSummary::default()).unwrap();
        assert_eq!(a.merchant.uscc, b.merchant.uscc);
        assert_eq!(a.merchant.sign_name, b.merchant.sign_name);
        assert_eq!(a.complaints.len(), b.complaints.len());
    }
}
