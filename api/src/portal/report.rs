//! The complaint analysis as a page: public `/stats`, the console's
//! `/admin/reports/complaints`, and `fangxin report … --format html`.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::forms::app_error;
use super::session::RegulatorPage;
use super::{Page, PageError, stamp};
use crate::state::AppState;
use fangxin_core::reports::{ComplaintReport, Period, Row};

struct SectionView {
    id: &'static str,
    title: &'static str,
    column: &'static str,
    rows: Vec<RowView>,
    /// The rows' sum, this period and the one before.
    sum: u64,
    previous_sum: u64,
    /// What the sum holds, when it is not the report's total.
    note: Option<String>,
}

struct RowView {
    label: String,
    /// The bar's length: the share against the largest row's, in per cent.
    bar: u32,
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
    let top = rows.iter().map(|r| r.count).max().unwrap_or(0).max(1);
    SectionView {
        id,
        title,
        column,
        sum: rows.iter().map(|r| r.count).sum(),
        previous_sum: rows.iter().map(|r| r.previous).sum(),
        note: None,
        rows: rows
            .iter()
            .map(|r| {
                let (change, class) = change_text(r.change_percent);
                RowView {
                    label: r.label.clone(),
                    bar: (r.count * 100).div_ceil(top) as u32,
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
    /// The console's frame, when a regulator reads it there.
    frame: Option<super::console::frame::Frame>,
    error: Option<String>,
    from: NaiveDate,
    to: NaiveDate,
    previous_from: NaiveDate,
    previous_to: NaiveDate,
    total: u64,
    previous_total: u64,
    inquiries: u64,
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
    frame: Option<super::console::frame::Frame>,
    error: Option<String>,
) -> Result<String, askama::Error> {
    let console = frame.is_some();
    let h = &report.handling;
    ReportPage {
        title: if console {
            "投诉举报分析"
        } else {
            "投诉举报统计（近半年）"
        },
        frame,
        error,
        from: report.period.from,
        to: report.period.to,
        previous_from: report.previous_period.from,
        previous_to: report.previous_period.to,
        total: report.total,
        previous_total: report.previous_total,
        inquiries: report.inquiries,
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
            (
                "涉及金额",
                fangxin_scoring::money::display_yuan(h.amount_involved_fen),
            ),
            (
                "为消费者挽回经济损失",
                fangxin_scoring::money::display_yuan(h.amount_recovered_fen),
            ),
            ("满意及基本满意", ratio(&h.satisfaction)),
        ],
        sections: vec![
            SectionView {
                note: (report.inquiries > 0).then(|| {
                    format!(
                        "含咨询 {} 件：咨询不计入投诉举报总数，只在本表列出。",
                        report.inquiries
                    )
                }),
                ..section("by-kind", "按类型", "类型", &report.by_kind)
            },
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

/// `/stats`: the public half-year statistics (no merchant named, no complaint text), as
/// the background worker last stored them (`[server] aggregates_refresh_seconds`): a
/// visitor never waits for the count. Each replica renders a stored result once.
pub async fn stats(State(state): State<AppState>) -> Page {
    let result = async {
        let stored =
            fangxin_core::aggregates::get(&state.reads, fangxin_core::aggregates::PUBLIC_STATS)
                .await?
                .ok_or_else(|| PageError {
                    status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    title: "统计正在生成",
                    message: "投诉举报统计正在后台生成，通常不超过一分钟。请稍后刷新本页。".into(),
                    retry_after: Some(30),
                })?;
        let mut cached = state.stats_page.lock().await;
        if let Some((at, html)) = cached.as_ref()
            && *at == stored.computed_at
        {
            return Ok(html.clone());
        }
        let report: ComplaintReport = serde_json::from_str(&stored.body).map_err(|e| {
            PageError::from(fangxin_core::error::AppError::Internal(anyhow::anyhow!(
                "stored public statistics: {e}"
            )))
        })?;
        let html = render_report(&report, None, None).map_err(PageError::from)?;
        *cached = Some((stored.computed_at, html.clone()));
        Ok(html)
    }
    .await;
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
    page: RegulatorPage,
    headers: HeaderMap,
    q: Result<Query<PeriodQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let now = fangxin_core::clock::now();
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
    let report = match fangxin_core::aggregates::regulator_report(
        &state.db,
        period,
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
            crate::export::Columns::Chinese,
        )
        .unwrap_or_else(app_error);
    }
    let (frame, csrf) = super::console::frame::Frame::of(
        &state,
        &page,
        &headers,
        super::console::frame::Section::Reports,
    );
    match render_report(&report, Some(frame), error) {
        Ok(html) => csrf.attach(Html(html).into_response()),
        Err(e) => {
            let e = PageError::from(e);
            super::error_page(e.status, e.title, &e.message)
        }
    }
}
