//! The complaint analysis as a page (public `/stats`, the console's
//! `/admin/reports/complaints`, and `fangxin report … --format html`), and the console's
//! professional-claimant queue and claim files.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use fangxin_scoring::domain::ComplaintCategory;
use serde::Deserialize;

use super::charts;
use super::session::{Csrf, RegulatorPage};
use super::work::{app_error, redirect, refused, render};
use super::{Page, PageError, stamp};
use crate::state::AppState;
use fangxin_core::error::AppError;
use fangxin_core::reports::{Audience, ComplaintReport, Period, Row};

struct SectionView {
    id: &'static str,
    title: &'static str,
    column: &'static str,
    chart: Option<String>,
    rows: Vec<RowView>,
}

struct RowView {
    label: String,
    count: u64,
    share: String,
    previous: u64,
    change: String,
    class: &'static str,
}

fn change_text(change: Option<f64>) -> (String, &'static str) {
    match change {
        None => ("—".into(), ""),
        Some(c) if c > 0.0 => (format!("+{c:.2}%"), "minus"),
        Some(c) if c < 0.0 => (format!("{c:.2}%"), "plus"),
        Some(_) => ("持平".into(), ""),
    }
}

fn section(
    id: &'static str,
    title: &'static str,
    column: &'static str,
    rows: &[Row],
) -> SectionView {
    let shares: Vec<f64> = rows.iter().take(12).map(|r| r.share).collect();
    SectionView {
        id,
        title,
        column,
        chart: charts::share_bars(&shares, &format!("{title}占比条形图")),
        rows: rows
            .iter()
            .map(|r| {
                let (change, class) = change_text(r.change_percent);
                RowView {
                    label: r.label.clone(),
                    count: r.count,
                    share: format!("{:.2}", r.share),
                    previous: r.previous,
                    change,
                    class,
                }
            })
            .collect(),
    }
}

fn ratio(r: &fangxin_core::reports::Ratio) -> String {
    match r.percent {
        Some(p) => format!("{p:.2}%（{} / {}）", r.part, r.whole),
        None => "无数据".into(),
    }
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    title: &'static str,
    console: bool,
    error: Option<String>,
    from: NaiveDate,
    to: NaiveDate,
    previous_from: NaiveDate,
    previous_to: NaiveDate,
    total: u64,
    previous_total: u64,
    change: Option<String>,
    handling: Vec<(&'static str, String)>,
    sections: Vec<SectionView>,
    top_merchants: Vec<(Option<String>, String, u64, u64, String)>,
    topics: Vec<fangxin_core::reports::Topic>,
    claimants: Vec<(&'static str, String)>,
    as_of: String,
}

/// The report as a complete HTML page (charts inline).
pub fn render_report(
    report: &ComplaintReport,
    console: bool,
    error: Option<String>,
) -> Result<String, askama::Error> {
    let h = &report.handling;
    let yuan = crate::export::yuan;
    ReportPage {
        title: if console {
            "投诉举报分析"
        } else {
            "投诉举报统计（近半年）"
        },
        console,
        error,
        from: report.period.from,
        to: report.period.to,
        previous_from: report.previous_period.from,
        previous_to: report.previous_period.to,
        total: report.total,
        previous_total: report.previous_total,
        change: report.change_percent.map(|c| {
            if c >= 0.0 {
                format!("增长 {c:.2}%")
            } else {
                format!("下降 {:.2}%", -c)
            }
        }),
        handling: vec![
            ("7个工作日内决定是否受理", ratio(&h.accepted_within_7)),
            ("45个工作日内终结调解", ratio(&h.mediation_within_45)),
            (
                "15个工作日内核查处理举报",
                ratio(&h.reports_decided_within_15),
            ),
            ("转为立案", format!("{} 件", h.converted_to_case)),
            ("调解成功", ratio(&h.settled)),
            ("涉及金额", format!("{} 元", yuan(h.amount_involved_fen))),
            (
                "为消费者挽回经济损失",
                format!("{} 元", yuan(h.amount_recovered_fen)),
            ),
            ("满意及基本满意", ratio(&h.satisfaction)),
        ],
        sections: vec![
            section("by-kind", "按类型", "类型", &report.by_kind),
            section("by-channel", "按渠道", "渠道", &report.by_channel),
            section(
                "by-channel-kind",
                "按渠道和类型",
                "渠道 / 类型",
                &report.by_channel_kind,
            ),
            section("by-industry", "按行业", "行业", &report.by_industry),
            section("by-street", "按街道", "街道", &report.by_street),
            section("by-category", "按问题类别", "类别", &report.by_category),
        ],
        top_merchants: report
            .top_merchants
            .iter()
            .flatten()
            .map(|m| {
                (
                    m.uscc.clone(),
                    m.name.clone(),
                    m.count,
                    m.previous,
                    change_text(m.change_percent).0,
                )
            })
            .collect(),
        topics: report.hot_topics.clone().unwrap_or_default(),
        claimants: report
            .claimants
            .iter()
            .flat_map(|c| {
                [
                    ("经复核确认的职业索赔人", ratio(&c.confirmed)),
                    ("待复核的疑似职业索赔人", ratio(&c.flagged)),
                ]
            })
            .collect(),
        as_of: stamp(report.generated_at),
    }
    .render()
}

/// How long the public statistics page is served from memory.
const STATS_FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(300);

/// `/stats`: the public half-year statistics (no merchant named, no complaint text),
/// recomputed at most every five minutes.
pub async fn stats(State(state): State<AppState>) -> Page {
    let mut cached = state.stats_page.lock().await;
    if let Some((at, html)) = cached.as_ref()
        && at.elapsed() < STATS_FRESH_FOR
    {
        return Page(Ok(html.clone()));
    }
    let now = Utc::now();
    let period = Period::recent_half_year(fangxin_core::clock::today(now));
    let result = async {
        let report = fangxin_core::reports::complaints(
            &state.db,
            period,
            Audience::Public,
            &state.scoring.calendar,
            now,
        )
        .await?;
        render_report(&report, false, None).map_err(PageError::from)
    }
    .await;
    if let Ok(html) = &result {
        *cached = Some((std::time::Instant::now(), html.clone()));
    }
    Page(result)
}

#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// `csv` downloads the report's table (the API wants a bearer token; this the session).
    #[serde(default)]
    format: String,
}

/// `/admin/reports/complaints?from=&to=`: the regulator's report; the last complete
/// half-year unless a period is given.
pub async fn admin_report(
    State(state): State<AppState>,
    _: RegulatorPage,
    headers: HeaderMap,
    q: Result<Query<PeriodQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let now = Utc::now();
    let today = fangxin_core::clock::today(now);
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let fallback = Period::last_half_year(today);
    let (period, error) = if q.from.is_empty() && q.to.is_empty() {
        (fallback, None)
    } else {
        match (q.from.trim().parse(), q.to.trim().parse()) {
            (Ok(from), Ok(to)) => match Period::new(from, to) {
                Ok(p) => (p, None),
                Err(_) => (
                    fallback,
                    Some("统计期应不超过一年，且起始日不晚于截止日；已显示上一个完整半年。".into()),
                ),
            },
            _ => (
                fallback,
                Some("日期格式应为 年-月-日；已显示上一个完整半年。".into()),
            ),
        }
    };
    let report = match fangxin_core::reports::complaints(
        &state.db,
        period,
        Audience::Regulator,
        &state.scoring.calendar,
        now,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return app_error(e),
    };
    if q.format == "csv" && error.is_none() {
        return crate::export::csv_response(
            &format!("complaints-report-{}-{}", period.from, period.to),
            now,
            fangxin_core::reports::lines(&report),
        )
        .unwrap_or_else(app_error);
    }
    let csrf = Csrf::of(&headers, state.settings.server.secure_cookies);
    match render_report(&report, true, error) {
        Ok(html) => csrf.attach(Html(html).into_response()),
        Err(e) => {
            let e = PageError::from(e);
            super::error_page(e.status, e.title, &e.message)
        }
    }
}

struct QueueLine {
    key: String,
    risk: String,
    recent: i32,
    year: i32,
    signals: String,
    status: &'static str,
}

fn status_zh(status: &str) -> &'static str {
    match status {
        "flagged" => "待复核",
        "confirmed" => "已确认",
        "cleared" => "已排除",
        "watch" => "观察",
        _ => "未评估",
    }
}

#[derive(Template)]
#[template(path = "claimants.html")]
struct QueuePage {
    status: String,
    statuses: Vec<(&'static str, &'static str, u64)>,
    items: Vec<QueueLine>,
    total: u64,
    as_of: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct StatusQuery {
    status: Option<String>,
}

/// `/admin/claimants`: the review queue.
pub async fn claimant_queue(
    State(state): State<AppState>,
    _: RegulatorPage,
    headers: HeaderMap,
    q: Result<Query<StatusQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let status = q
        .ok()
        .and_then(|Query(q)| q.status)
        .filter(|s| ["flagged", "confirmed", "cleared", "watch"].contains(&s.as_str()))
        .unwrap_or_else(|| "flagged".into());
    let result = async {
        let counts = fangxin_core::claimants::counts(&state.db).await?;
        let queue = fangxin_core::claimants::queue(
            &state.db,
            fangxin_core::claimants::QueueFilter {
                status: Some(status.clone()),
                page: Some(1),
                per_page: Some(200),
            },
        )
        .await?;
        Ok::<_, AppError>((counts, queue))
    }
    .await;
    let (counts, queue) = match result {
        Ok(r) => r,
        Err(e) => return app_error(e),
    };
    let count = |s: &str| counts.get(s).copied().unwrap_or(0);
    let csrf = Csrf::of(&headers, state.settings.server.secure_cookies);
    render(
        QueuePage {
            statuses: vec![
                ("flagged", "待复核", count("flagged")),
                ("confirmed", "已确认", count("confirmed")),
                ("cleared", "已排除", count("cleared")),
                ("watch", "观察", count("watch")),
            ],
            status,
            total: queue.total,
            items: queue
                .items
                .into_iter()
                .map(|i| QueueLine {
                    risk: i.risk_label,
                    recent: i.complaints_90_days,
                    year: i.complaints_365_days,
                    signals: i
                        .signals
                        .iter()
                        .map(|s| s.label_zh.as_str())
                        .collect::<Vec<_>>()
                        .join("、"),
                    status: status_zh(&i.status),
                    key: i.key,
                })
                .collect(),
            as_of: stamp(Utc::now()),
        },
        &csrf,
    )
}

/// One complaint of a claim file: day, channel and ticket, merchant (USCC, name),
/// category, outcome, amount.
struct ClaimLine {
    day: String,
    ticket: String,
    uscc: Option<String>,
    merchant: String,
    category: String,
    outcome: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "claim_file.html")]
struct ClaimFilePage {
    key: String,
    csrf: String,
    notice: Option<&'static str>,
    error: Option<String>,
    assessed_on: NaiveDate,
    risk: &'static str,
    status: &'static str,
    reason: Option<String>,
    weight: String,
    contact: Option<String>,
    signals: Vec<(String, String, String)>,
    totals: String,
    complaints: Vec<ClaimLine>,
    as_of: String,
}

fn figure(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn claim_file_page(
    state: &AppState,
    headers: &HeaderMap,
    key: &str,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Response {
    let now = Utc::now();
    let file = match fangxin_core::claimants::claim_file(
        &state.db,
        key,
        &state.scoring.model.claimants,
        now,
    )
    .await
    {
        Ok(f) => f,
        Err(e) => return app_error(e),
    };
    let a = &file.assessment;
    let t = &file.totals;
    let csrf = Csrf::of(headers, state.settings.server.secure_cookies);
    let contact = match (&file.contact_name, &file.contact_phone) {
        (None, None) => None,
        (n, p) => Some(format!(
            "{} {}",
            n.as_deref().unwrap_or(""),
            p.as_deref().unwrap_or("")
        )),
    };
    render(
        ClaimFilePage {
            key: file.key.clone(),
            csrf: csrf.token.clone(),
            notice,
            error,
            assessed_on: a.as_of,
            risk: a.level.label_zh(),
            status: status_zh(file.review.as_ref().map_or("", |r| r.status.as_str())),
            reason: file.review.as_ref().and_then(|r| r.reason.clone()),
            weight: format!(
                "{}",
                if a.weight_if_confirmed < 1.0 {
                    a.weight_if_confirmed
                } else {
                    state.scoring.model.claimants.weight_low
                }
            ),
            contact,
            signals: a
                .signals
                .iter()
                .map(|s| (s.label_zh.clone(), figure(s.figure), figure(s.threshold)))
                .collect(),
            totals: format!(
                "{} 件，涉及 {} 家商户、{} 个渠道；撤回 {} 件，要求惩罚性赔偿 {} 件；涉及金额 {} 元，获赔 {} 元",
                t.complaints,
                t.merchants,
                t.channels,
                t.withdrawn,
                t.punitive_demands,
                crate::export::yuan(t.amount_involved_fen),
                crate::export::yuan(t.amount_recovered_fen)
            ),
            complaints: file
                .complaints
                .iter()
                .map(|c| ClaimLine {
                    day: c
                        .received_at
                        .with_timezone(&fangxin_core::clock::offset())
                        .format("%Y-%m-%d")
                        .to_string(),
                    ticket: format!("{} {}", c.channel, c.ticket_no),
                    uscc: c.merchant_uscc.clone(),
                    merchant: c.merchant_name.clone(),
                    category: c
                        .category
                        .as_deref()
                        .and_then(ComplaintCategory::parse)
                        .map_or("—", |k| k.label_zh())
                        .to_owned(),
                    outcome: match c.withdrawn_after_days {
                        Some(d) => format!("{}（{d} 天后）", c.status_label),
                        None => c.status_label.clone(),
                    },
                    amount: crate::export::yuan(c.amount_involved_fen),
                })
                .collect(),
            as_of: stamp(now),
        },
        &csrf,
    )
}

/// `/admin/claimants/{key}`: the claim file with the review form.
pub async fn claim_file(
    State(state): State<AppState>,
    _: RegulatorPage,
    headers: HeaderMap,
    Path(key): Path<String>,
    q: Result<Query<DoneQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let notice = match q.ok().and_then(|Query(q)| q.done).as_deref() {
        Some("confirm") => Some("已确认为职业索赔人，相关商户的信用分已重新计算。"),
        Some("clear") => Some("已排除，其投诉按普通投诉计，相关商户的信用分已重新计算。"),
        _ => None,
    };
    claim_file_page(&state, &headers, &key, notice, None).await
}

#[derive(Debug, Deserialize)]
pub struct ReviewForm {
    csrf: String,
    decision: String,
    reason: String,
}

/// `POST /admin/claimants/{key}/review`.
pub async fn review(
    State(state): State<AppState>,
    RegulatorPage(page): RegulatorPage,
    headers: HeaderMap,
    Path(key): Path<String>,
    Form(form): Form<ReviewForm>,
) -> Response {
    if !Csrf::check(&headers, &form.csrf) {
        return refused();
    }
    let decision = form.decision.clone();
    match fangxin_core::claimants::review(
        &state.db,
        &key,
        fangxin_core::claimants::ReviewDecision {
            decision: form.decision,
            reason: form.reason,
        },
        &state.scoring,
        &page.session.actor(None),
        Utc::now(),
    )
    .await
    {
        Ok(_) => {
            state.notifier.changed().await;
            redirect(&format!(
                "/admin/claimants/{}?done={}",
                super::data::urlencode(&key),
                if decision == "confirm" {
                    "confirm"
                } else {
                    "clear"
                }
            ))
        }
        Err(AppError::InvalidInput { field, .. }) => {
            let msg = match field {
                Some("reason") => "请填写理由（1 至 2000 字）。",
                _ => "请选择确认或排除。",
            };
            claim_file_page(&state, &headers, &key, None, Some(msg.into())).await
        }
        Err(e) => app_error(e),
    }
}
