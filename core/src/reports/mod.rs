//! The half-year complaint analysis (投诉举报分析), computed from the records: totals by
//! kind and channel with shares (the seed's 2018 table is the model), by industry, street
//! and category against the previous period, hot topics (jieba words that rose most),
//! handling within the statutory deadlines, money, satisfaction and the professional
//! claimants' share. The public version (`/stats`) leaves out what names anyone: the
//! merchants with the most complaints, the complaint texts' words and the claimants.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use fangxin_scoring::calendar::WorkCalendar;
use fangxin_scoring::calendar::deadlines::{ACCEPT_COMPLAINT, DECIDE_REPORT, END_MEDIATION};
use fangxin_scoring::domain::{Channel, ComplaintCategory, ComplaintKind, ComplaintStatus};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use crate::store::entities::{claimant_review, complaint, merchant};

/// Complaints read per round trip.
const BATCH: u64 = 5_000;
/// Hot topics listed.
const TOPICS: usize = 15;
/// A word counts as a topic once this many complaints of the period use it.
const TOPIC_MIN: u64 = 3;
/// Merchants listed among those with the most complaints.
const TOP_MERCHANTS: usize = 10;

/// Words too common in complaints to say anything about a topic.
const STOPWORDS: &[&str] = &[
    "要求",
    "商家",
    "购买",
    "投诉",
    "消费者",
    "进行",
    "没有",
    "一个",
    "存在",
    "处理",
    "问题",
    "表示",
    "认为",
    "已经",
    "但是",
    "因为",
    "所以",
    "我们",
    "他们",
    "自己",
    "可以",
    "不能",
    "现在",
    "当时",
    "之后",
    "以后",
    "时候",
    "情况",
    "相关",
    "反映",
    "称",
    "其",
    "该",
    "于",
    "的",
    "了",
    "在",
    "是",
    "和",
    "与",
    "及",
    "并",
    "对",
    "等",
    "后",
    "未",
    "无",
    "店内",
    "协商",
    "未果",
    "退款",
    "赔偿",
];

/// A period of Beijing days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// Checks a period asked for: `from` not after `to`, at most a year and a day long.
    pub fn new(from: NaiveDate, to: NaiveDate) -> AppResult<Period> {
        if from > to {
            return Err(AppError::invalid_field(
                "from",
                "invalid_period",
                "from must not be after to",
            ));
        }
        if (to - from).num_days() > 366 {
            return Err(AppError::invalid_field(
                "to",
                "invalid_period",
                "a report covers at most one year",
            ));
        }
        Ok(Period { from, to })
    }

    /// The last complete half-year before `today`: January–June or July–December.
    pub fn last_half_year(today: NaiveDate) -> Period {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or(today);
        if today.month() <= 6 {
            Period {
                from: date(today.year() - 1, 7, 1),
                to: date(today.year() - 1, 12, 31),
            }
        } else {
            Period {
                from: date(today.year(), 1, 1),
                to: date(today.year(), 6, 30),
            }
        }
    }

    /// The six months up to `today` (the public statistics page).
    pub fn recent_half_year(today: NaiveDate) -> Period {
        Period {
            from: today - TimeDelta::days(182),
            to: today,
        }
    }

    /// The period of the same length just before this one: the same number of whole
    /// months when the period is whole months (the first half-year before the second),
    /// else the same number of days.
    pub fn previous(self) -> Period {
        let after = self.to + TimeDelta::days(1);
        if self.from.day() == 1 && after.day() == 1 {
            let months = (after.year() * 12 + after.month0() as i32)
                - (self.from.year() * 12 + self.from.month0() as i32);
            if let Some(from) = u32::try_from(months)
                .ok()
                .and_then(|m| self.from.checked_sub_months(chrono::Months::new(m)))
            {
                return Period {
                    from,
                    to: self.from - TimeDelta::days(1),
                };
            }
        }
        let days = (self.to - self.from).num_days() + 1;
        Period {
            from: self.from - TimeDelta::days(days),
            to: self.from - TimeDelta::days(1),
        }
    }

    fn contains(self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }

    /// `[start, end)` in UTC: the district's midnight of `from` to its midnight after `to`.
    fn bounds(self) -> (DateTime<Utc>, DateTime<Utc>) {
        let midnight = |d: NaiveDate| {
            crate::clock::start_of_day(d)
                .unwrap_or_else(|| d.and_time(chrono::NaiveTime::MIN).and_utc())
        };
        (midnight(self.from), midnight(self.to + TimeDelta::days(1)))
    }
}

/// Shares in percent, to two decimals, that add up to exactly 100 (largest remainder):
/// each share is its count's exact share rounded down to a hundredth of a percent, and
/// the hundredths left over go to the largest remainders. All zeros when the total is 0.
pub fn shares(counts: &[u64]) -> Vec<f64> {
    let total: u128 = counts.iter().map(|&c| u128::from(c)).sum();
    if total == 0 {
        return vec![0.0; counts.len()];
    }
    let mut units: Vec<u128> = Vec::with_capacity(counts.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(counts.len());
    for (i, &c) in counts.iter().enumerate() {
        let exact = u128::from(c) * 10_000;
        units.push(exact / total);
        remainders.push((exact % total, i));
    }
    let left = 10_000 - units.iter().sum::<u128>();
    // Largest remainder first; ties to the larger count, then the earlier row.
    remainders.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(counts[b.1].cmp(&counts[a.1]))
            .then(a.1.cmp(&b.1))
    });
    for &(_, i) in remainders.iter().take(left as usize) {
        units[i] += 1;
    }
    units.into_iter().map(|u| u as f64 / 100.0).collect()
}

/// `part` of `whole` in percent, to two decimals; `None` when there is no whole.
fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (10_000.0 * part as f64 / whole as f64).round() / 100.0)
}

/// Change against the previous period in percent; `None` when it had none.
fn change(now: u64, before: u64) -> Option<f64> {
    (before > 0).then(|| (10_000.0 * (now as f64 - before as f64) / before as f64).round() / 100.0)
}

/// One row of a breakdown.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Row {
    pub key: String,
    pub label: String,
    pub count: u64,
    /// Percent of the breakdown's total; the rows add up to 100.
    pub share: f64,
    /// The count in the previous period of the same length.
    pub previous: u64,
    pub change_percent: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ratio {
    pub part: u64,
    pub whole: u64,
    pub percent: Option<f64>,
}

impl Ratio {
    fn of(part: u64, whole: u64) -> Ratio {
        Ratio {
            part,
            whole,
            percent: percent(part, whole),
        }
    }
}

/// How complaints and reports were handled, against the statutory deadlines (in working
/// days, with the configured holidays).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Handling {
    /// Complaints decided (accepted or not) within 7 working days of receipt; an undecided
    /// one past its deadline counts as late.
    pub accepted_within_7: Ratio,
    /// Mediations ended within 45 working days of acceptance; an open one past its
    /// deadline counts as late.
    pub mediation_within_45: Ratio,
    /// Reports decided within 15 working days of receipt.
    pub reports_decided_within_15: Ratio,
    pub converted_to_case: u64,
    /// Settled among closed complaints.
    pub settled: Ratio,
    pub amount_involved_fen: i64,
    pub amount_recovered_fen: i64,
    /// Satisfied or basically satisfied among closed cases whose satisfaction is known.
    pub satisfaction: Ratio,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Topic {
    pub word: String,
    /// Complaints of the period using the word.
    pub count: u64,
    pub previous: u64,
    /// How far the count exceeds the previous one scaled to this period's volume.
    pub rise: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MerchantRow {
    pub uscc: Option<String>,
    pub name: String,
    pub count: u64,
    pub previous: u64,
    pub change_percent: Option<f64>,
}

/// The share of complaints and reports filed by professional claimants.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimantShare {
    /// From complainants a regulator confirmed.
    pub confirmed: Ratio,
    /// From complainants flagged and waiting for a review.
    pub flagged: Ratio,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplaintReport {
    pub period: Period,
    pub previous_period: Period,
    /// Complaints and reports (inquiries are counted in `by_kind` only, as the seed does):
    /// every breakdown but `by_kind` sums to this.
    pub total: u64,
    pub previous_total: u64,
    /// Inquiries (咨询) in the period: `by_kind` sums to `total` plus these.
    pub inquiries: u64,
    pub previous_inquiries: u64,
    pub change_percent: Option<f64>,
    pub by_kind: Vec<Row>,
    pub by_channel: Vec<Row>,
    /// Channel and kind together, as the seed's table lists them (12315 complaints, 12315
    /// reports, 12345, …).
    pub by_channel_kind: Vec<Row>,
    pub by_industry: Vec<Row>,
    pub by_street: Vec<Row>,
    pub by_category: Vec<Row>,
    pub handling: Handling,
    /// Regulators only.
    pub top_merchants: Option<Vec<MerchantRow>>,
    /// Regulators only: words from the complaint texts.
    pub hot_topics: Option<Vec<Topic>>,
    /// Regulators only.
    pub claimants: Option<ClaimantShare>,
    pub generated_at: DateTime<Utc>,
}

/// Who the report is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Regulator,
    Public,
}

#[derive(Default)]
struct Counts {
    kind: BTreeMap<String, u64>,
    channel: BTreeMap<String, u64>,
    channel_kind: BTreeMap<(String, String), u64>,
    industry: BTreeMap<String, u64>,
    street: BTreeMap<String, u64>,
    category: BTreeMap<String, u64>,
    merchant: HashMap<(Option<i64>, String), u64>,
    words: HashMap<String, u64>,
    total: u64,
}

#[derive(Default)]
struct HandlingTally {
    accepted: (u64, u64),
    mediation: (u64, u64),
    reports: (u64, u64),
    converted: u64,
    settled: (u64, u64),
    involved: i64,
    recovered: i64,
    satisfied: (u64, u64),
    confirmed: u64,
    flagged: u64,
}

const UNKNOWN: &str = "未登记";

fn tally_handling(
    t: &mut HandlingTally,
    c: &complaint::Model,
    kind: ComplaintKind,
    status: Option<ComplaintStatus>,
    calendar: &WorkCalendar,
    today: NaiveDate,
) {
    use ComplaintStatus::*;
    let received = crate::clock::date_of(c.received_at);
    let closed = c.closed_at.map(crate::clock::date_of);
    let accepted = c.accepted_at.map(crate::clock::date_of);
    t.involved += c.amount_involved_fen;
    t.recovered += c.amount_recovered_fen;
    if status == Some(ConvertedToCase) {
        t.converted += 1;
    }
    if let Some(s) = c.satisfaction.as_deref() {
        t.satisfied.1 += 1;
        if matches!(s, "satisfied" | "basically_satisfied") {
            t.satisfied.0 += 1;
        }
    }
    match kind {
        ComplaintKind::Complaint => {
            let due = calendar.add_working_days(received, ACCEPT_COMPLAINT);
            let decided = accepted.or(if status == Some(Rejected) {
                closed
            } else {
                None
            });
            match decided {
                Some(day) => {
                    t.accepted.1 += 1;
                    if day <= due {
                        t.accepted.0 += 1;
                    }
                }
                None if due < today => t.accepted.1 += 1,
                None => {}
            }
            if let Some(acc) = accepted {
                let due = calendar.add_working_days(acc, END_MEDIATION);
                match (status, closed) {
                    (Some(Received | Accepted | Mediating), _) | (_, None) => {
                        if due < today {
                            t.mediation.1 += 1;
                        }
                    }
                    (_, Some(day)) => {
                        t.mediation.1 += 1;
                        if day <= due {
                            t.mediation.0 += 1;
                        }
                    }
                }
            }
            if let Some(s) = status
                && !matches!(s, Received | Accepted | Mediating)
            {
                t.settled.1 += 1;
                if s == Settled {
                    t.settled.0 += 1;
                }
            }
        }
        ComplaintKind::Report => {
            let due = calendar.add_working_days(received, DECIDE_REPORT);
            match (status, closed) {
                (Some(Received | Accepted | Mediating), _) | (_, None) => {
                    if due < today {
                        t.reports.1 += 1;
                    }
                }
                (_, Some(day)) => {
                    t.reports.1 += 1;
                    if day <= due {
                        t.reports.0 += 1;
                    }
                }
            }
        }
        ComplaintKind::Inquiry => {}
    }
}

fn bump<K: Ord>(map: &mut BTreeMap<K, u64>, key: K) {
    *map.entry(key).or_insert(0) += 1;
}

fn topic_words(text: &str) -> HashSet<String> {
    fangxin_indexer::words(text)
        .into_iter()
        .filter(|w| {
            w.chars().count() >= 2
                && w.chars().all(|c| c.is_alphabetic())
                && !STOPWORDS.contains(&w.as_str())
        })
        .collect()
}

fn rows(
    now: &BTreeMap<String, u64>,
    before: &BTreeMap<String, u64>,
    label: impl Fn(&str) -> String,
) -> Vec<Row> {
    let mut keys: Vec<&String> = now.keys().collect();
    // Largest first; a category that vanished still shows with 0.
    for k in before.keys() {
        if !now.contains_key(k) {
            keys.push(k);
        }
    }
    keys.sort_by(|a, b| {
        let (x, y) = (now.get(*a).unwrap_or(&0), now.get(*b).unwrap_or(&0));
        y.cmp(x).then(a.cmp(b))
    });
    let counts: Vec<u64> = keys.iter().map(|k| *now.get(*k).unwrap_or(&0)).collect();
    let pct = shares(&counts);
    keys.iter()
        .zip(counts)
        .zip(pct)
        .map(|((k, count), share)| {
            let previous = *before.get(*k).unwrap_or(&0);
            Row {
                key: (*k).clone(),
                label: label(k),
                count,
                share,
                previous,
                change_percent: change(count, previous),
            }
        })
        .collect()
}

fn channel_label(code: &str) -> String {
    Channel::parse(code).map_or_else(|| code.to_owned(), |c| c.label_zh().to_owned())
}

fn kind_label(code: &str) -> String {
    ComplaintKind::parse(code).map_or_else(|| code.to_owned(), |k| k.label_zh().to_owned())
}

/// Computes the report for `period` as of `now`, reading the complaints of both periods in
/// batches.
pub async fn complaints<C: ConnectionTrait>(
    db: &C,
    period: Period,
    audience: Audience,
    calendar: &WorkCalendar,
    now: DateTime<Utc>,
) -> AppResult<ComplaintReport> {
    let regulator = audience == Audience::Regulator;
    let claimants = if regulator {
        claimant_keys(db).await?
    } else {
        ClaimantKeys::default()
    };
    let tally = tally(db, period, regulator, &claimants, calendar, now).await?;
    let top_merchants = if regulator {
        Some(top_merchants(db, &tally.cur, &tally.prev).await?)
    } else {
        None
    };
    let hot_topics = regulator.then(|| hot_topics(&tally.cur, &tally.prev));
    Ok(assemble(
        period,
        tally,
        top_merchants,
        hot_topics,
        regulator,
        now,
    ))
}

/// The keys of complainants a regulator confirmed as professional claimants, and of those
/// flagged for review.
#[derive(Default)]
struct ClaimantKeys {
    confirmed: HashSet<String>,
    flagged: HashSet<String>,
}

async fn claimant_keys<C: ConnectionTrait>(db: &C) -> AppResult<ClaimantKeys> {
    let status_keys = |s: &'static str| async move {
        claimant_review::Entity::find()
            .select_only()
            .column(claimant_review::Column::ComplainantKey)
            .filter(claimant_review::Column::Status.eq(s))
            .into_tuple::<String>()
            .all(db)
            .await
    };
    Ok(ClaimantKeys {
        confirmed: status_keys("confirmed").await?.into_iter().collect(),
        flagged: status_keys("flagged").await?.into_iter().collect(),
    })
}

/// The period's and the previous period's counts, and the period's handling.
struct Tally {
    cur: Counts,
    prev: Counts,
    handling: HandlingTally,
}

/// Reads the complaints of both periods in batches and counts them.
async fn tally<C: ConnectionTrait>(
    db: &C,
    period: Period,
    regulator: bool,
    claimants: &ClaimantKeys,
    calendar: &WorkCalendar,
    now: DateTime<Utc>,
) -> AppResult<Tally> {
    let (start, _) = period.previous().bounds();
    let (_, end) = period.bounds();
    let today = crate::clock::today(now);
    let (confirmed, flagged) = (&claimants.confirmed, &claimants.flagged);
    let mut cur = Counts::default();
    let mut prev = Counts::default();
    let mut handling = HandlingTally::default();
    let mut last = 0i64;
    loop {
        let batch = complaint::Entity::find()
            .filter(complaint::Column::ReceivedAt.gte(start))
            .filter(complaint::Column::ReceivedAt.lt(end))
            .filter(complaint::Column::Id.gt(last))
            .order_by_asc(complaint::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        let Some(tail) = batch.last() else { break };
        last = tail.id;
        let mut texts: Vec<(bool, String)> = Vec::new();
        for c in &batch {
            let day = crate::clock::date_of(c.received_at);
            let in_period = period.contains(day);
            let counts = if in_period { &mut cur } else { &mut prev };
            let Some(kind) = ComplaintKind::parse(&c.kind) else {
                continue;
            };
            bump(&mut counts.kind, c.kind.clone());
            if kind == ComplaintKind::Inquiry {
                continue;
            }
            counts.total += 1;
            bump(&mut counts.channel, c.channel.clone());
            bump(
                &mut counts.channel_kind,
                (c.channel.clone(), c.kind.clone()),
            );
            bump(
                &mut counts.industry,
                c.industry.clone().unwrap_or_else(|| UNKNOWN.into()),
            );
            bump(
                &mut counts.street,
                c.street.clone().unwrap_or_else(|| UNKNOWN.into()),
            );
            bump(
                &mut counts.category,
                c.category.clone().unwrap_or_else(|| "other".into()),
            );
            if regulator {
                *counts
                    .merchant
                    .entry((c.merchant_id, c.merchant_name.clone()))
                    .or_insert(0) += 1;
                texts.push((in_period, c.text.clone()));
            }
            if in_period {
                let status = ComplaintStatus::parse(&c.status);
                tally_handling(&mut handling, c, kind, status, calendar, today);
                if let Some(key) = c.complainant_key.as_deref() {
                    if confirmed.contains(key) {
                        handling.confirmed += 1;
                    } else if flagged.contains(key) {
                        handling.flagged += 1;
                    }
                }
            }
        }
        if !texts.is_empty() {
            // Cutting words is CPU work: off the async threads.
            let cut = tokio::task::spawn_blocking(move || {
                texts
                    .into_iter()
                    .map(|(in_period, text)| (in_period, topic_words(&text)))
                    .collect::<Vec<_>>()
            })
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("cutting words: {e}")))?;
            for (in_period, words) in cut {
                let counts = if in_period { &mut cur } else { &mut prev };
                for w in words {
                    *counts.words.entry(w).or_insert(0) += 1;
                }
            }
        }
    }
    Ok(Tally {
        cur,
        prev,
        handling,
    })
}

/// The merchants with the most complaints in the period, against the previous one.
async fn top_merchants<C: ConnectionTrait>(
    db: &C,
    cur: &Counts,
    prev: &Counts,
) -> AppResult<Vec<MerchantRow>> {
    let mut top: Vec<(&(Option<i64>, String), &u64)> = cur.merchant.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    top.truncate(TOP_MERCHANTS);
    let ids: Vec<i64> = top.iter().filter_map(|((id, _), _)| *id).collect();
    let usccs: HashMap<i64, (String, String)> = merchant::Entity::find()
        .select_only()
        .column(merchant::Column::Id)
        .column(merchant::Column::Uscc)
        .column(merchant::Column::Name)
        .filter(merchant::Column::Id.is_in(ids))
        .into_tuple::<(i64, String, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, uscc, name)| (id, (uscc, name)))
        .collect();
    Ok(top
        .into_iter()
        .map(|((id, name), &count)| {
            let known = id.and_then(|id| usccs.get(&id));
            let previous = *prev.merchant.get(&(*id, name.clone())).unwrap_or(&0);
            MerchantRow {
                uscc: known.map(|(u, _)| u.clone()),
                name: known.map_or_else(|| name.clone(), |(_, n)| n.clone()),
                count,
                previous,
                change_percent: change(count, previous),
            }
        })
        .collect())
}

/// The words that rose most against the previous period, scaled to this period's volume.
fn hot_topics(cur: &Counts, prev: &Counts) -> Vec<Topic> {
    // The previous period's counts scaled to this period's volume.
    let scale = if prev.total > 0 {
        cur.total as f64 / prev.total as f64
    } else {
        1.0
    };
    let mut topics: Vec<Topic> = cur
        .words
        .iter()
        .filter(|(_, n)| **n >= TOPIC_MIN)
        .map(|(w, &count)| {
            let previous = *prev.words.get(w).unwrap_or(&0);
            Topic {
                word: w.clone(),
                count,
                previous,
                rise: ((count as f64 - previous as f64 * scale) * 10.0).round() / 10.0,
            }
        })
        .filter(|t| t.rise > 0.0)
        .collect();
    topics.sort_by(|a, b| {
        b.rise
            .total_cmp(&a.rise)
            .then(b.count.cmp(&a.count))
            .then(a.word.cmp(&b.word))
    });
    topics.truncate(TOPICS);
    topics
}

/// The report from its parts.
fn assemble(
    period: Period,
    tally: Tally,
    top_merchants: Option<Vec<MerchantRow>>,
    hot_topics: Option<Vec<Topic>>,
    regulator: bool,
    now: DateTime<Utc>,
) -> ComplaintReport {
    let Tally {
        cur,
        prev,
        handling,
    } = tally;
    let previous = period.previous();
    let channel_kind = |c: &Counts| -> BTreeMap<String, u64> {
        c.channel_kind
            .iter()
            .map(|((ch, k), n)| (format!("{ch}/{k}"), *n))
            .collect()
    };
    let (ck_now, ck_before) = (channel_kind(&cur), channel_kind(&prev));
    let h = handling;
    ComplaintReport {
        period,
        previous_period: previous,
        total: cur.total,
        previous_total: prev.total,
        inquiries: cur
            .kind
            .get(ComplaintKind::Inquiry.code())
            .copied()
            .unwrap_or(0),
        previous_inquiries: prev
            .kind
            .get(ComplaintKind::Inquiry.code())
            .copied()
            .unwrap_or(0),
        change_percent: change(cur.total, prev.total),
        by_kind: rows(&cur.kind, &prev.kind, kind_label),
        by_channel: rows(&cur.channel, &prev.channel, channel_label),
        by_channel_kind: rows(&ck_now, &ck_before, |key| {
            let (ch, k) = key.split_once('/').unwrap_or((key, ""));
            format!("{} {}", channel_label(ch), kind_label(k))
        }),
        by_industry: rows(&cur.industry, &prev.industry, str::to_owned),
        by_street: rows(&cur.street, &prev.street, str::to_owned),
        by_category: rows(&cur.category, &prev.category, |k| {
            ComplaintCategory::parse(k).map_or_else(|| k.to_owned(), |c| c.label_zh().to_owned())
        }),
        handling: Handling {
            accepted_within_7: Ratio::of(h.accepted.0, h.accepted.1),
            mediation_within_45: Ratio::of(h.mediation.0, h.mediation.1),
            reports_decided_within_15: Ratio::of(h.reports.0, h.reports.1),
            converted_to_case: h.converted,
            settled: Ratio::of(h.settled.0, h.settled.1),
            amount_involved_fen: h.involved,
            amount_recovered_fen: h.recovered,
            satisfaction: Ratio::of(h.satisfied.0, h.satisfied.1),
        },
        top_merchants,
        hot_topics,
        claimants: regulator.then(|| ClaimantShare {
            confirmed: Ratio::of(h.confirmed, cur.total),
            flagged: Ratio::of(h.flagged, cur.total),
        }),
        generated_at: now,
    }
}

/// One line of the report's CSV: `section,key,label,count,share_percent,previous,change_percent`
/// (for the handling ratios, `count` is the part and `previous` the whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLine {
    pub section: &'static str,
    pub key: String,
    pub label: String,
    pub count: String,
    pub share: String,
    pub previous: String,
    pub change: String,
}

fn line(
    section: &'static str,
    key: &str,
    label: &str,
    count: impl ToString,
    share: Option<f64>,
    previous: impl ToString,
    change: Option<f64>,
) -> ReportLine {
    let opt = |v: Option<f64>| v.map_or_else(String::new, |v| format!("{v:.2}"));
    ReportLine {
        section,
        key: key.to_owned(),
        label: label.to_owned(),
        count: count.to_string(),
        share: opt(share),
        previous: previous.to_string(),
        change: opt(change),
    }
}

/// The report as lines of a table, for CSV.
pub fn lines(report: &ComplaintReport) -> Vec<ReportLine> {
    let mut out = Vec::new();
    let sections: [(&'static str, &[Row]); 6] = [
        ("kind", &report.by_kind),
        ("channel", &report.by_channel),
        ("channel_kind", &report.by_channel_kind),
        ("industry", &report.by_industry),
        ("street", &report.by_street),
        ("category", &report.by_category),
    ];
    for (section, rows) in sections {
        for r in rows {
            out.push(line(
                section,
                &r.key,
                &r.label,
                r.count,
                Some(r.share),
                r.previous,
                r.change_percent,
            ));
        }
    }
    let h = &report.handling;
    for (key, label, r) in [
        (
            "accepted_within_7",
            "7个工作日内决定是否受理",
            &h.accepted_within_7,
        ),
        (
            "mediation_within_45",
            "45个工作日内终结调解",
            &h.mediation_within_45,
        ),
        (
            "reports_decided_within_15",
            "15个工作日内核查处理举报",
            &h.reports_decided_within_15,
        ),
        ("settled", "调解成功", &h.settled),
        ("satisfaction", "满意及基本满意", &h.satisfaction),
    ] {
        out.push(line(
            "handling", key, label, r.part, r.percent, r.whole, None,
        ));
    }
    for (key, label, v) in [
        ("converted_to_case", "转为立案", h.converted_to_case as i64),
        (
            "amount_involved_fen",
            "涉及金额（分）",
            h.amount_involved_fen,
        ),
        (
            "amount_recovered_fen",
            "挽回经济损失（分）",
            h.amount_recovered_fen,
        ),
    ] {
        out.push(line("handling", key, label, v, None, "", None));
    }
    for m in report.top_merchants.iter().flatten() {
        out.push(line(
            "top_merchant",
            m.uscc.as_deref().unwrap_or(""),
            &m.name,
            m.count,
            None,
            m.previous,
            m.change_percent,
        ));
    }
    for t in report.hot_topics.iter().flatten() {
        out.push(line(
            "hot_topic",
            &t.word,
            &t.word,
            t.count,
            None,
            t.previous,
            Some(t.rise),
        ));
    }
    if let Some(c) = &report.claimants {
        for (key, label, r) in [
            ("confirmed", "经复核的职业索赔人", &c.confirmed),
            ("flagged", "待复核的疑似职业索赔人", &c.flagged),
        ] {
            out.push(line(
                "claimants",
                key,
                label,
                r.part,
                r.percent,
                r.whole,
                None,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed's 2018 table: complaints and reports by channel, 7,900 in all.
    const SEED_2018: [u64; 10] = [4591, 700, 947, 67, 92, 1369, 9, 3, 6, 116];

    #[test]
    fn shares_of_the_seed_table_add_up_to_100() {
        let s = shares(&SEED_2018);
        assert_eq!(
            s,
            vec![
                58.11, 8.86, 11.99, 0.85, 1.16, 17.33, 0.11, 0.04, 0.08, 1.47
            ]
        );
        let hundredths: i64 = s.iter().map(|v| (v * 100.0).round() as i64).sum();
        assert_eq!(hundredths, 10_000);
        // The seed prints 1.47 % for its last group: that is the letters alone. The
        // group's four items (consumer association, city bureau supervised and
        // transferred, letters) together are 1.70 %.
        let grouped = shares(&[4591, 700, 947, 67, 92, 1369, 9 + 3 + 6 + 116]);
        assert_eq!(grouped[6], 1.70);
    }

    #[test]
    fn shares_always_add_up_to_100() {
        for counts in [
            vec![1, 1, 1],
            vec![2, 2, 2, 2, 2, 2, 1],
            vec![1, 0, 0],
            vec![999_999, 1],
            vec![7; 13],
        ] {
            let total: i64 = shares(&counts)
                .iter()
                .map(|v| (v * 100.0).round() as i64)
                .sum();
            assert_eq!(total, 10_000, "{counts:?}");
        }
        assert_eq!(shares(&[0, 0]), vec![0.0, 0.0]);
        assert_eq!(shares(&[1, 1, 1]), vec![33.34, 33.33, 33.33]);
    }

    #[test]
    fn periods() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let p = Period::last_half_year(d("2026-11-30"));
        assert_eq!((p.from, p.to), (d("2026-01-01"), d("2026-06-30")));
        let p = Period::last_half_year(d("2026-03-01"));
        assert_eq!((p.from, p.to), (d("2025-07-01"), d("2025-12-31")));
        let prev = p.previous();
        assert_eq!((prev.from, prev.to), (d("2025-01-01"), d("2025-06-30")));
        let odd = Period::new(d("2026-01-10"), d("2026-01-19"))
            .unwrap()
            .previous();
        assert_eq!((odd.from, odd.to), (d("2025-12-31"), d("2026-01-09")));
        assert!(Period::new(d("2026-02-01"), d("2026-01-01")).is_err());
        assert!(Period::new(d("2024-01-01"), d("2026-01-01")).is_err());
        // Beijing midnight is 16:00 UTC the day before.
        let (start, end) = Period::new(d("2026-01-01"), d("2026-01-31"))
            .unwrap()
            .bounds();
        assert_eq!(start.to_rfc3339(), "2025-12-31T16:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-01-31T16:00:00+00:00");
    }

    #[test]
    fn topic_words_drop_the_common_and_the_short() {
        let w = topic_words("所购预包装食品标签未标注生产日期，要求十倍赔偿。");
        assert!(w.contains("食品标签") && w.contains("生产日期"), "{w:?}");
        assert!(!w.contains("要求") && !w.contains("，"));
    }
}
