//! What each page shows, gathered from the services and shaped for its template.

use askama::Template;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use fangxin_scoring::Uscc;
use fangxin_scoring::domain::{
    ComplaintCategory, ListingKind, Pledge, SpotCheckOutcome, TrustedLevel,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::charts;
use super::{HomeQuery, PageError, stamp};
use crate::search::{SearchHit, SearchParams, SearchResponse};
use crate::state::AppState;
use fangxin_core::complaints::ComplaintStats;
use fangxin_core::error::AppError;
use fangxin_core::merchants::{MerchantProfile, PenaltySummary};
use fangxin_core::store::entities::{complaint, listing, spot_check_result, trusted_enrolment};

type PageResult = Result<String, PageError>;

pub struct FilterOption {
    value: String,
    label: String,
    count: Option<u64>,
    selected: bool,
}

pub struct Filter {
    name: &'static str,
    label: &'static str,
    options: Vec<FilterOption>,
}

pub struct HitLine {
    uscc: String,
    sign_name: String,
    name: String,
    sign_highlight: Option<String>,
    name_highlight: Option<String>,
    street: String,
    address: String,
    /// The list the merchant is on now, in Chinese.
    listing: Option<&'static str>,
    /// 「350 米」, nearby only.
    distance: String,
    /// Opens the place in a map app, nearby only.
    map: Option<String>,
    industry: String,
    grade_label: String,
    grade_class: String,
    score: Option<i32>,
    trusted: bool,
    closed: bool,
}

pub struct WarningLine {
    title: String,
    published_on: NaiveDate,
    category: String,
    summary: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    q: String,
    searched: bool,
    /// Highest scores first instead of the best matches.
    by_score: bool,
    error: Option<String>,
    /// For a mistyped USCC: what is wrong, and the code likely meant (text, link).
    uscc_problem: Option<String>,
    did_you_mean: Option<(String, String)>,
    filters: Vec<Filter>,
    total: usize,
    total_text: String,
    hits: Vec<HitLine>,
    prev: Option<String>,
    next: Option<String>,
    /// Numbered pages around this one: (number, link; `None` for this page, "…" gaps).
    pages: Vec<(String, Option<String>)>,
    /// The district's streets with their directory links, for browsing its
    /// trusted-consumption units.
    streets: Vec<(String, String)>,
    warnings: Vec<WarningLine>,
    as_of: String,
}

fn grade_parts(grade: Option<&str>) -> (String, String) {
    match grade {
        Some(g) => (g.to_owned(), g.to_owned()),
        None => ("未评".to_owned(), "none".to_owned()),
    }
}

fn query_string(pairs: &[(&str, String)]) -> String {
    let encoded: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    if encoded.is_empty() {
        "/".to_owned()
    } else {
        format!("/?{}", encoded.join("&"))
    }
}

pub(crate) fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn summary(text: &str, chars: usize) -> String {
    let mut s: String = text.chars().take(chars).collect();
    if text.chars().count() > chars {
        s.push('…');
    }
    s
}

pub async fn home(state: &AppState, q: HomeQuery, now: DateTime<Utc>) -> PageResult {
    let warnings = fangxin_core::warnings::list(
        &state.reads,
        fangxin_core::warnings::WarningQuery {
            per_page: Some(3),
            ..Default::default()
        },
        now,
    )
    .await?
    .rows
    .into_iter()
    .map(|w| WarningLine {
        summary: summary(&w.body, 80),
        title: w.title,
        published_on: w.published_on,
        category: super::zh::warning_category_zh(&w.category).to_owned(),
    })
    .collect();
    let searched = !(q.q.trim().is_empty()
        && q.street.is_empty()
        && q.industry.is_empty()
        && q.grade.is_empty()
        && q.trusted.is_empty());
    let mut page = HomePage {
        q: q.q.clone(),
        searched,
        by_score: q.sort == "score",
        error: None,
        uscc_problem: None,
        did_you_mean: None,
        filters: Vec::new(),
        total: 0,
        total_text: String::new(),
        hits: Vec::new(),
        prev: None,
        next: None,
        pages: Vec::new(),
        streets: state
            .settings
            .district
            .streets
            .iter()
            .map(|s| (s.clone(), format!("/trusted?street={}", urlencode(s))))
            .collect(),
        warnings,
        as_of: stamp(now),
    };
    if !searched {
        return Ok(page.render()?);
    }
    let trusted = match q.trusted.as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    let params = SearchParams {
        q: q.q.clone(),
        street: Some(q.street.clone()),
        industry: Some(q.industry.clone()),
        grade: Some(q.grade.clone()),
        trusted,
        sort: Some(q.sort.clone()),
        page: q.page,
        per_page: Some(20),
    };
    let results = match crate::search::run_search(state, params).await {
        Ok(r) => r,
        Err(e @ AppError::InvalidInput { .. }) => {
            page.error = Some(format!("查询条件有误：{}", super::zh::message(&e)));
            return Ok(page.render()?);
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(hint) = &results.uscc_hint {
        page.uscc_problem = Some(uscc_problem_zh(hint.check.as_deref()));
        page.did_you_mean = hint.did_you_mean.as_ref().map(|s| {
            (
                format!("{}（第 {} 位）", s.uscc, s.position),
                format!("/m/{}", s.uscc),
            )
        });
    }
    page.filters = filters_of(&results, &q);
    page.total = results.total;
    page.total_text = if results.total_exact {
        results.total.to_string()
    } else {
        format!("{} 以上", results.total)
    };
    let link = |p: usize| {
        query_string(&[
            ("q", q.q.clone()),
            ("street", q.street.clone()),
            ("industry", q.industry.clone()),
            ("grade", q.grade.clone()),
            ("trusted", q.trusted.clone()),
            ("sort", q.sort.clone()),
            ("page", if p > 1 { p.to_string() } else { String::new() }),
        ])
    };
    if results.page > 1 {
        page.prev = Some(link(results.page - 1));
    }
    if results.page * results.per_page < results.total {
        page.next = Some(link(results.page + 1));
    }
    page.pages = numbered_pages(results.page, results.total, results.per_page, link);
    page.hits = results.hits.into_iter().map(hit_line).collect();
    Ok(page.render()?)
}

/// A mistyped USCC's problem, in Chinese.
fn uscc_problem_zh(check: Option<&str>) -> String {
    match check {
        Some("check_character") => {
            "这个统一社会信用代码的第 18 位校验码对不上：代码中有一位输错了。".to_owned()
        }
        Some("organisation_code_check") => {
            "这个统一社会信用代码的组织机构代码部分（第 9–17 位）校验未通过：其中有一位输错了。"
                .to_owned()
        }
        Some(_) => "这不是有效的统一社会信用代码。".to_owned(),
        None => "这个统一社会信用代码校验无误，但本区没有登记这家商户。".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "trusted.html")]
struct TrustedPage {
    filters: Vec<Filter>,
    street: String,
    industry: String,
    total: usize,
    hits: Vec<HitLine>,
    prev: Option<String>,
    next: Option<String>,
    pages: Vec<(String, Option<String>)>,
    as_of: String,
}

/// 放心消费单位名录: the district's trusted-consumption units by street and industry, as the
/// 12315 platform lists them, with the counts of each.
pub async fn trusted_directory(
    state: &AppState,
    q: super::TrustedQuery,
    now: DateTime<Utc>,
) -> PageResult {
    let params = SearchParams {
        q: String::new(),
        street: Some(q.street.clone()),
        industry: Some(q.industry.clone()),
        grade: None,
        trusted: Some(true),
        sort: Some("score".into()),
        page: q.page,
        per_page: Some(20),
    };
    let results = crate::search::run_search(state, params).await?;
    let home = HomeQuery {
        street: q.street.clone(),
        industry: q.industry.clone(),
        trusted: "true".into(),
        ..Default::default()
    };
    let filters = filters_of(&results, &home)
        .into_iter()
        .filter(|f| f.name == "street" || f.name == "industry")
        .collect();
    let link = |p: usize| {
        query_string(&[
            ("street", q.street.clone()),
            ("industry", q.industry.clone()),
            ("page", if p > 1 { p.to_string() } else { String::new() }),
        ])
        .replacen('/', "/trusted", 1)
    };
    let mut page = TrustedPage {
        filters,
        street: q.street.clone(),
        industry: q.industry.clone(),
        total: results.total,
        hits: Vec::new(),
        prev: (results.page > 1).then(|| link(results.page - 1)),
        next: (results.page * results.per_page < results.total).then(|| link(results.page + 1)),
        pages: numbered_pages(results.page, results.total, results.per_page, link),
        as_of: stamp(now),
    };
    page.hits = results.hits.into_iter().map(hit_line).collect();
    Ok(page.render()?)
}

/// Page numbers to show: the first, the last, and four either side of the current one,
/// with "…" for the gaps; at most the pages the service serves (10,000 matches).
fn numbered_pages(
    current: usize,
    total: usize,
    per_page: usize,
    link: impl Fn(usize) -> String,
) -> Vec<(String, Option<String>)> {
    let per_page = per_page.max(1);
    let last = total.min(10_000).div_ceil(per_page);
    if last <= 1 {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut gap = false;
    for p in 1..=last {
        if p == 1 || p == last || p.abs_diff(current) <= 4 {
            out.push((p.to_string(), (p != current).then(|| link(p))));
            gap = false;
        } else if !gap {
            out.push(("…".to_owned(), None));
            gap = true;
        }
    }
    out
}

/// The search filters with their counts; a chosen value stays listed even without hits.
fn filters_of(results: &SearchResponse, q: &HomeQuery) -> Vec<Filter> {
    let facets = results.facets.clone().unwrap_or_default();
    let option = |value: &str, label: String, count: Option<u64>, current: &str| FilterOption {
        selected: value == current,
        value: value.to_owned(),
        label,
        count,
    };
    let grade_options = ["A", "B", "C", "D"]
        .iter()
        .map(|g| {
            let count = facets.grade.iter().find(|f| f.value == *g).map(|f| f.count);
            option(
                g,
                format!("{g} 级"),
                count.or(results.facets.as_ref().map(|_| 0)),
                &q.grade,
            )
        })
        .collect();
    let from_facets = |list: &[fangxin_indexer::FacetCount], current: &str| -> Vec<FilterOption> {
        let mut options: Vec<FilterOption> = list
            .iter()
            .map(|f| option(&f.value, f.value.clone(), Some(f.count), current))
            .collect();
        if !current.is_empty() && !options.iter().any(|o| o.value == current) {
            options.push(option(current, current.to_owned(), None, current));
        }
        options
    };
    let trusted_count = facets
        .trusted
        .iter()
        .find(|f| f.value == "true")
        .map(|f| f.count);
    vec![
        Filter {
            name: "street",
            label: "街道",
            options: from_facets(&facets.street, &q.street),
        },
        Filter {
            name: "industry",
            label: "行业",
            options: from_facets(&facets.industry, &q.industry),
        },
        Filter {
            name: "grade",
            label: "信用等级",
            options: grade_options,
        },
        Filter {
            name: "trusted",
            label: "放心消费",
            options: vec![option(
                "true",
                "放心消费单位".into(),
                trusted_count,
                &q.trusted,
            )],
        },
    ]
}

/// One hit as the result list shows it.
fn hit_line(h: SearchHit) -> HitLine {
    let (grade_label, grade_class) = grade_parts(h.grade.as_deref());
    let distance = h.distance_m.map(distance_zh).unwrap_or_default();
    let map = match (h.latitude, h.longitude, h.distance_m) {
        (Some(lat), Some(lng), Some(_)) => Some(format!(
            "https://uri.amap.com/marker?position={lng:.6},{lat:.6}&name={}&coordinate=wgs84&callnative=1",
            url::form_urlencoded::byte_serialize(
                h.sign_name.as_deref().unwrap_or(&h.name).as_bytes()
            )
            .collect::<String>()
        )),
        _ => None,
    };
    HitLine {
        address: h.address.clone(),
        listing: h
            .listing
            .as_deref()
            .and_then(ListingKind::parse)
            .map(|k| k.label_zh()),
        distance,
        map,
        sign_name: h.sign_name.clone().unwrap_or_else(|| h.name.clone()),
        sign_highlight: h.highlights.sign_name.filter(|_| h.sign_name.is_some()),
        name_highlight: h.highlights.name,
        closed: h.status != "operating",
        uscc: h.uscc,
        name: h.name,
        street: h.street,
        industry: h.industry,
        grade_label,
        grade_class,
        score: h.score,
        trusted: h.trusted,
    }
}

/// 「80 米」, 「1.2 公里」.
fn distance_zh(m: f64) -> String {
    if m < 1000.0 {
        format!("{} 米", m.round() as i64)
    } else {
        format!("{:.1} 公里", m / 1000.0)
    }
}

#[derive(Template)]
#[template(path = "nearby.html")]
struct NearbyPage {
    q: String,
    point: Option<(f64, f64)>,
    radius_m: i64,
    radius_text: String,
    radii: Vec<(i64, &'static str)>,
    error: Option<String>,
    total: usize,
    hits: Vec<HitLine>,
    prev: Option<String>,
    next: Option<String>,
    pages: Vec<(String, Option<String>)>,
    as_of: String,
}

/// 附近: merchants around the visitor's position (sent only when they allow it), nearest
/// first, each with its distance and a link to open it in a map app.
pub async fn nearby(state: &AppState, q: super::NearbyQuery, now: DateTime<Utc>) -> PageResult {
    let radius_m = q
        .radius_m
        .unwrap_or(1_000)
        .clamp(1, crate::search::MAX_RADIUS_M as i64);
    let mut page = NearbyPage {
        q: q.q.clone(),
        point: q.lat.zip(q.lng),
        radius_m,
        radius_text: distance_zh(radius_m as f64),
        radii: vec![
            (500, "500 米"),
            (1_000, "1 公里"),
            (2_000, "2 公里"),
            (5_000, "5 公里"),
        ],
        error: None,
        total: 0,
        hits: Vec::new(),
        prev: None,
        next: None,
        pages: Vec::new(),
        as_of: stamp(now),
    };
    let Some((lat, lng)) = page.point else {
        return Ok(page.render()?);
    };
    let params = crate::search::NearbyParams {
        lat,
        lng,
        radius_m: Some(radius_m as f64),
        q: q.q.clone(),
        street: None,
        industry: None,
        grade: None,
        trusted: None,
        page: q.page,
        per_page: Some(20),
    };
    let results = match crate::search::run_nearby(state, params).await {
        Ok(r) => r,
        Err(e @ AppError::InvalidInput { .. }) => {
            page.error = Some(format!("位置或范围有误：{}", super::zh::message(&e)));
            page.point = None;
            return Ok(page.render()?);
        }
        Err(e) => return Err(e.into()),
    };
    let link = |p: usize| {
        query_string(&[
            ("lat", format!("{lat:.6}")),
            ("lng", format!("{lng:.6}")),
            ("radius_m", radius_m.to_string()),
            ("q", q.q.clone()),
            ("page", if p > 1 { p.to_string() } else { String::new() }),
        ])
        .replacen("/?", "/nearby?", 1)
    };
    if results.page > 1 {
        page.prev = Some(link(results.page - 1));
    }
    if results.page * results.per_page < results.total {
        page.next = Some(link(results.page + 1));
    }
    page.pages = numbered_pages(results.page, results.total, results.per_page, link);
    page.total = results.total;
    page.hits = results.hits.into_iter().map(hit_line).collect();
    Ok(page.render()?)
}

pub struct FactorLine {
    pub(super) label: String,
    pub(super) points: String,
    pub(super) class: &'static str,
    pub(super) expires: String,
}

pub struct AnswerLine {
    received_on: NaiveDate,
    category: String,
    response: String,
    responded_on: String,
}

pub struct CheckLine {
    checked_on: String,
    product: String,
    outcome: String,
    failed_items: Option<String>,
}

pub struct ListingLine {
    kind_label: String,
    reason: String,
    authority: String,
    listed_on: NaiveDate,
}

#[derive(Template)]
#[template(path = "merchant.html")]
struct MerchantPage {
    m: MerchantProfile,
    display_name: String,
    grade_label: String,
    grade_class: String,
    score: Option<i32>,
    score_text: String,
    base: i32,
    low_confidence: bool,
    factors: Vec<FactorLine>,
    review_on: Option<NaiveDate>,
    score_chart: Option<String>,
    history_caption: String,
    /// When the scoring method last changed for this merchant, so that a step is not read as
    /// a new record.
    method_changed: Option<String>,
    penalties: Vec<PenaltySummary>,
    stats: ComplaintStats,
    growth: String,
    answered: String,
    /// The last 12 months as labelled columns: month, count, column height in per cent.
    month_bars: Vec<(String, u64, u32)>,
    months_caption: String,
    answers: Vec<AnswerLine>,
    trusted_level: Option<String>,
    pledges: Vec<String>,
    spot_checks: Vec<CheckLine>,
    listings: Vec<ListingLine>,
    as_of: String,
    /// One sentence for search engines and link previews (`description`, `og:description`).
    share_summary: String,
}

fn percent(p: Option<f64>) -> String {
    p.map_or_else(|| "—".to_owned(), |p| format!("{p:.0}%"))
}

use fangxin_core::clock::month_start;

#[derive(Template)]
#[template(path = "card.html")]
struct CardPage {
    display_name: String,
    name: String,
    uscc: String,
    grade_label: String,
    grade_class: String,
    score: Option<i32>,
    trusted_level: Option<String>,
    /// The QR code as inline SVG.
    qr: String,
    link: String,
    authority: &'static str,
    as_of_day: NaiveDate,
    as_of: String,
}

/// A merchant's card to print: name, grade and a QR code to its page, which always shows
/// the current record (the card says so, and the day its grade was read).
pub async fn card(state: &AppState, uscc: &Uscc, base: &str, now: DateTime<Utc>) -> PageResult {
    let today = fangxin_core::clock::today(now);
    let m = fangxin_core::merchants::find_by_uscc(&state.reads, uscc).await?;
    let explained = match fangxin_core::scores::explain(&state.reads, uscc).await {
        Ok(s) => Some(s),
        Err(AppError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let (trusted_level, _) = trusted_parts(state, m.id, today).await?;
    let link = format!("{base}/m/{}", m.uscc);
    let qr = qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("qr code: {e}")))?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // The SVG scales with the card; its text twin is the link printed under it.
    let qr = qr
        .replacen("<?xml version=\"1.0\" standalone=\"yes\"?>", "", 1)
        .replacen(
            "<svg ",
            "<svg role=\"img\" aria-label=\"指向商户页面的二维码\" ",
            1,
        );
    let (grade_label, grade_class) = grade_parts(explained.as_ref().map(|s| s.grade.as_str()));
    CardPage {
        display_name: m.sign_name.clone().unwrap_or_else(|| m.name.clone()),
        name: m.name,
        uscc: m.uscc,
        grade_label,
        grade_class,
        score: explained.as_ref().map(|s| s.score),
        trusted_level,
        qr,
        link,
        authority: "昆明市五华区市场监督管理局",
        as_of_day: today,
        as_of: stamp(now),
    }
    .render()
    .map_err(PageError::from)
}

pub async fn merchant(state: &AppState, uscc: &Uscc, now: DateTime<Utc>) -> PageResult {
    let today = fangxin_core::clock::today(now);
    let id = fangxin_core::merchants::find_by_uscc(&state.reads, uscc)
        .await?
        .id;
    // The parts are independent reads: asked at once, on connections of their own, the
    // page waits for the slowest rather than for their sum.
    let (m, explained, mut history, stats, months, answers, spot_checks, listings, trusted) = tokio::try_join!(
        fangxin_core::merchants::profile(&state.reads, uscc, now),
        async {
            match fangxin_core::scores::explain(&state.reads, uscc).await {
                Ok(s) => Ok(Some(s)),
                Err(AppError::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        },
        async {
            Ok::<_, AppError>(
                fangxin_core::scores::history(&state.reads, uscc, 200)
                    .await
                    .unwrap_or_default(),
            )
        },
        fangxin_core::complaints::stats(&state.reads, uscc, now),
        complaints_per_month(state, id, today, now),
        recent_answers(state, id),
        published_checks(state, id),
        current_listings(state, id),
        trusted_parts(state, id, today),
    )?;
    let (trusted_level, pledges) = trusted;
    history.reverse();
    let (grade_label, grade_class) = grade_parts(explained.as_ref().map(|s| s.grade.as_str()));
    let factors = factor_lines(explained.as_ref());
    let points: Vec<(NaiveDate, i32)> = history.iter().map(|h| (h.as_of, h.score)).collect();
    // A line that never moved is an empty panel: one sentence says it better.
    let moved = points.windows(2).any(|w| w[0].1 != w[1].1);
    let score_chart = if moved {
        charts::score_over_time(&points, today, "信用分走势")
    } else {
        None
    };
    let history_caption = match (history.first(), history.last()) {
        (Some(first), Some(last)) if moved => format!(
            "{} 起 {} 分，现为 {} 分。纵轴 0–100 分，横轴 {} 至今天；背景色为等级区间：A 85 分以上，B 70–84，C 60–69，D 60 以下。",
            first.as_of, first.score, last.score, first.as_of
        ),
        (Some(first), Some(last)) => {
            format!("自 {} 起一直为 {} 分，没有变化。", first.as_of, last.score)
        }
        _ => String::new(),
    };
    let months_caption = months
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let d = month_start(today, 11 - i as u32);
            format!("{}年{}月 {n} 件", d.year(), d.month())
        })
        .collect::<Vec<_>>()
        .join("，");
    let top = months.iter().copied().max().unwrap_or(0).max(1);
    let month_bars = if months.iter().any(|n| *n > 0) {
        months
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let d = month_start(today, 11 - i as u32);
                (
                    format!("{}月", d.month()),
                    *n,
                    (n * 70).div_ceil(top) as u32,
                )
            })
            .collect()
    } else {
        vec![]
    };
    let display_name = m.sign_name.clone().unwrap_or_else(|| m.name.clone());
    let share_summary = format!(
        "{}（{}）：信用等级 {}{}；公示中的行政处罚 {} 条，近12个月投诉举报 {} 件。",
        m.name,
        m.street,
        grade_label,
        explained
            .as_ref()
            .map_or_else(String::new, |s| format!("，{} 分", s.score)),
        m.penalties_in_publicity.len(),
        stats.last_12_months,
    );
    let page = MerchantPage {
        share_summary,
        display_name,
        grade_label,
        grade_class,
        score: explained.as_ref().map(|s| s.score),
        score_text: explained
            .as_ref()
            .map_or_else(String::new, |s| s.score.to_string()),
        base: explained.as_ref().map_or(100, |s| s.base),
        low_confidence: explained.as_ref().is_some_and(|s| s.confidence == "low"),
        factors,
        review_on: explained.as_ref().and_then(|s| s.review_on),
        score_chart,
        method_changed: method_changed(&history),
        history_caption,
        penalties: m.penalties_in_publicity.clone(),
        growth: stats.growth_percent.map_or_else(
            || "—".to_owned(),
            |g| format!("{}{g:.0}%", if g > 0.0 { "+" } else { "" }),
        ),
        answered: percent(stats.answered_percent),
        stats,
        month_bars,
        months_caption,
        answers,
        trusted_level,
        pledges,
        spot_checks,
        listings,
        as_of: stamp(now),
        m,
    };
    Ok(page.render()?)
}

/// Complaints and reports per month over the last 12 months, oldest first.
async fn complaints_per_month(
    state: &AppState,
    id: i64,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<u64>, AppError> {
    let since = month_start(today, 11);
    // The window the counts beside the chart use: from the district's midnight on the
    // first of the month, not UTC's.
    let since_time = fangxin_core::clock::months_back(now, 12);
    let received: Vec<DateTime<Utc>> = complaint::Entity::find()
        .select_only()
        .column(complaint::Column::ReceivedAt)
        .filter(complaint::Column::MerchantId.eq(id))
        .filter(complaint::Column::Kind.ne("inquiry"))
        .filter(complaint::Column::ReceivedAt.gte(since_time))
        .into_tuple()
        .all(&state.reads)
        .await
        .map_err(AppError::from)?;
    let mut months = vec![0u64; 12];
    for r in received {
        let d = fangxin_core::clock::date_of(r);
        let index =
            (d.year() * 12 + d.month0() as i32) - (since.year() * 12 + since.month0() as i32);
        if let Some(slot) = usize::try_from(index).ok().and_then(|i| months.get_mut(i)) {
            *slot += 1;
        }
    }
    Ok(months)
}

/// The merchant's five latest answers to complaints.
async fn recent_answers(state: &AppState, id: i64) -> Result<Vec<AnswerLine>, AppError> {
    Ok(complaint::Entity::find()
        .filter(complaint::Column::MerchantId.eq(id))
        .filter(complaint::Column::MerchantResponse.is_not_null())
        .order_by_desc(complaint::Column::RespondedAt)
        .limit(5)
        .all(&state.reads)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|c| AnswerLine {
            received_on: fangxin_core::clock::date_of(c.received_at),
            category: c
                .category
                .as_deref()
                .and_then(ComplaintCategory::parse)
                .map_or(String::new(), |c| c.label_zh().to_owned()),
            response: c.merchant_response.unwrap_or_default(),
            responded_on: c
                .responded_at
                .map(|t| fangxin_core::clock::date_of(t).to_string())
                .unwrap_or_default(),
        })
        .collect())
}

/// The ten latest published spot checks.
async fn published_checks(state: &AppState, id: i64) -> Result<Vec<CheckLine>, AppError> {
    Ok(spot_check_result::Entity::find()
        .filter(spot_check_result::Column::MerchantId.eq(id))
        .filter(spot_check_result::Column::Published.eq(true))
        .filter(spot_check_result::Column::Outcome.is_not_null())
        .order_by_desc(spot_check_result::Column::CheckedOn)
        .limit(10)
        .all(&state.reads)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|c| CheckLine {
            checked_on: c.checked_on.map(|d| d.to_string()).unwrap_or_default(),
            product: c.product.unwrap_or_default(),
            outcome: c
                .outcome
                .as_deref()
                .and_then(SpotCheckOutcome::parse)
                .map_or(String::new(), |o| o.label_zh().to_owned()),
            failed_items: c.failed_items,
        })
        .collect())
}

/// The lists the merchant is on now.
async fn current_listings(state: &AppState, id: i64) -> Result<Vec<ListingLine>, AppError> {
    Ok(listing::Entity::find()
        .filter(listing::Column::MerchantId.eq(id))
        .filter(listing::Column::RemovedOn.is_null())
        .all(&state.reads)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|l| ListingLine {
            kind_label: ListingKind::parse(&l.kind)
                .map_or(l.kind.clone(), |k| k.label_zh().to_owned()),
            reason: l.reason,
            authority: l.authority,
            listed_on: l.listed_on,
        })
        .collect())
}

/// The trusted-consumption level and pledges, while the enrolment is active and valid.
async fn trusted_parts(
    state: &AppState,
    id: i64,
    today: NaiveDate,
) -> Result<(Option<String>, Vec<String>), AppError> {
    let enrolment = trusted_enrolment::Entity::find()
        .filter(trusted_enrolment::Column::MerchantId.eq(id))
        .filter(trusted_enrolment::Column::Status.eq("active"))
        .one(&state.reads)
        .await
        .map_err(AppError::from)?
        .filter(|t| t.valid_from <= today && t.valid_to.is_none_or(|end| end >= today));
    let pledges = enrolment
        .as_ref()
        .map(|t| {
            t.pledges
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().and_then(Pledge::parse))
                .map(|p| p.label_zh().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let trusted_level = enrolment
        .as_ref()
        .and_then(|t| TrustedLevel::parse(&t.level))
        .map(|l| l.label_zh().to_owned());

    Ok((trusted_level, pledges))
}

/// The score's factors as the page lists them.
pub(super) fn factor_lines(explained: Option<&fangxin_core::scores::ScoreView>) -> Vec<FactorLine> {
    explained
        .map(|s| {
            s.factors
                .iter()
                .map(|f| FactorLine {
                    label: f.label_zh.clone(),
                    points: if f.points > 0 {
                        format!("+{}", f.points)
                    } else {
                        f.points.to_string()
                    },
                    class: if f.points >= 0 { "plus" } else { "minus" },
                    expires: f
                        .expires_at
                        .map_or_else(|| "仍在计入".to_owned(), |d| format!("{d} 起")),
                })
                .collect()
        })
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "scoring.html")]
struct ScoringPage {
    base: i32,
    version: String,
    /// (grade, its scores, what it means)
    grades: Vec<(&'static str, String, String)>,
    caps: Vec<String>,
    penalty_floor: i64,
    complaint_years: i64,
    complaint_half_life: i64,
    /// What lifts a merchant above the start (model v2).
    lifts: Vec<String>,
    /// What a broken trusted-consumption pledge costs, if anything.
    broken_pledge: Option<String>,
    as_of: String,
}

/// 评分说明: what the score counts and what each grade means, from the model in use.
pub async fn scoring_explained(state: &AppState, now: DateTime<Utc>) -> PageResult {
    use fangxin_scoring::Grade;
    let m = &state.scoring.model;
    let g = &m.grades;
    let range = |low: i32, high: i32| format!("{low}–{high} 分");
    let mut grades = vec![
        ("A", format!("{} 分及以上", g.a), "放心：没有警告以上、仍在公示期内的行政处罚，近一年没有抽检不合格，投诉不高于同行业。".to_owned()),
        ("B", range(g.b, g.a - 1), "基本放心：有轻微的现行记录，例如公示期内的罚款、一年内一次抽检不合格，或投诉明显高于同行业。".to_owned()),
        ("C", range(g.c, g.b - 1), "谨慎：有严重或反复的记录，或被列入经营异常名录。".to_owned()),
        ("D", format!("{} 分以下", g.c), "不放心：被列入严重违法失信名单，或被吊销许可证件、责令关闭且仍在公示期内。".to_owned()),
    ];
    let mut caps = Vec::new();
    if let Some(c) = &m.grade_caps {
        let at_most = |grade: Grade| format!("等级不高于 {}", grade.as_str());
        caps.push(format!(
            "公示期内有警告以上的行政处罚（罚款、没收、通报批评等）：{}。",
            at_most(c.penalty_above_warning)
        ));
        caps.push(format!(
            "公示期内有严重的行政处罚（情节严重，责令停产停业，暂扣许可证件，降低资质等级，限制开展生产经营活动或限制从业，或罚款 {} 元以上）：{}。",
            c.large_fine_yuan,
            at_most(c.serious_penalty)
        ));
        caps.push(format!(
            "两项以上警告以上的行政处罚同时在公示期内：{}。",
            at_most(c.repeated_penalties)
        ));
        caps.push(format!(
            "{} 天内抽检不合格：{}；两次以上：{}。",
            c.check_window_days,
            at_most(c.unqualified_check),
            at_most(c.repeated_checks)
        ));
    } else {
        grades[0].2 = "分数在 A 级区间；现行记录按分值扣减。".into();
    }
    caps.push(format!(
        "列入经营异常名录：分数不高于 {} 分。",
        m.caps.abnormal
    ));
    caps.push(format!(
        "列入严重违法失信名单，或被吊销许可证件、责令关闭：分数不高于 {} 分。",
        m.caps.serious
    ));
    let mut lifts = Vec::new();
    if let Some(h) = &m.history {
        lifts.push(format!(
            "经营年限：成立满两年起，每满一年加 {} 分，最多 {} 分；有现行不良记录（公示期内警告以上的行政处罚、名录记录、{} 天内抽检不合格、放心消费资格被撤销）期间不加，记录结束后恢复。",
            h.tenure_points_per_year,
            h.tenure_cap,
            h.clean_window_days
        ));
        lifts.push(format!(
            "投诉少于同行业：按时间衰减后的投诉举报低于同行业平均的，最多加 {} 分；成立不满 {} 年的不加，经营年限越长、依据越充分，加分越多。",
            h.below_industry_points, h.below_industry_min_years
        ));
    }
    if m.complaints.answered_weight < 1.0 {
        lifts.push("商家答复过的投诉、调解达成协议的投诉，计入时分量减轻。".to_owned());
    }
    lifts.push(format!(
        "放心消费：承诺单位、示范单位在有效期内加分，承诺先行赔付、无理由退货等另有加分，合计不超过 {} 分。",
        m.trusted.cap.round() as i64
    ));
    let broken_pledge = (m.trusted.revoked_points > 0.0).then(|| {
        format!(
            "放心消费单位违反承诺被撤销资格的，不仅失去加分，撤销之日起 {} 天内另扣 {} 分。",
            m.trusted.revoked_days, m.trusted.revoked_points
        )
    });
    Ok(ScoringPage {
        lifts,
        broken_pledge,
        base: m.base.round() as i32,
        version: m.version.clone(),
        grades,
        caps,
        penalty_floor: (m.penalties.min_weight * 100.0).round() as i64,
        complaint_years: m.complaints.window_days / 365,
        complaint_half_life: m.complaints.half_life_days.round() as i64,
        as_of: stamp(now),
    }
    .render()?)
}

/// 「评分方法于…更新」: the day of the latest change of model in a merchant's score history
/// (oldest first), with the scores either side.
fn method_changed(history: &[fangxin_core::scores::ScoreHistoryEntry]) -> Option<String> {
    history
        .windows(2)
        .rev()
        .find(|w| w[0].model_version != w[1].model_version)
        .map(|w| {
            format!(
                "评分方法于 {} 更新（{} → {}），分数由 {} 变为 {}：这一变化来自评分方法，并非新的记录。",
                w[1].as_of, w[0].model_version, w[1].model_version, w[0].score, w[1].score
            )
        })
}

/// The Atom feed of a merchant's public changes: score changes, penalties, spot checks.
pub async fn atom(state: &AppState, uscc: &Uscc, now: DateTime<Utc>) -> Result<String, AppError> {
    use atom_syndication::{Entry, Feed, Link, Person, Text};
    let m = fangxin_core::merchants::profile(&state.reads, uscc, now).await?;
    let name = m.sign_name.clone().unwrap_or_else(|| m.name.clone());
    let page = format!("/m/{}", m.uscc);
    let mut history = fangxin_core::scores::history(&state.reads, uscc, 200)
        .await
        .unwrap_or_default();
    history.reverse();
    let mut entries: Vec<Entry> = Vec::new();
    let entry = |id: String, title: String, at: DateTime<Utc>, summary: String| {
        let mut e = Entry::default();
        e.set_id(id);
        e.set_title(Text::plain(title));
        e.set_updated(at.fixed_offset());
        e.set_summary(Some(Text::plain(summary)));
        let mut link = Link::default();
        link.set_href(page.clone());
        e.set_links(vec![link]);
        e
    };
    for (i, h) in history.iter().enumerate() {
        let previous = i.checked_sub(1).and_then(|p| history.get(p));
        let title = match previous {
            Some(p) => format!("{name} 信用分 {} → {}（{} 级）", p.score, h.score, h.grade),
            None => format!("{name} 信用分 {}（{} 级）", h.score, h.grade),
        };
        entries.push(entry(
            format!("urn:fangxin:{}:score:{}", m.uscc, h.computed_at.timestamp()),
            title,
            h.computed_at,
            format!("模型 {}，评分日期 {}", h.model_version, h.as_of),
        ));
    }
    for p in &m.penalties_in_publicity {
        let at = p
            .decided_on
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .unwrap_or(now);
        entries.push(entry(
            format!("urn:fangxin:{}:penalty:{}", m.uscc, p.decision_no),
            format!("{name} 行政处罚 {}", p.decision_no),
            at,
            format!("{}：{}（{}）", p.violation_type, p.content, p.authority),
        ));
    }
    entries.sort_by_key(|e| std::cmp::Reverse(*e.updated()));
    entries.truncate(50);
    let mut feed = Feed::default();
    feed.set_id(format!("urn:fangxin:merchant:{}", m.uscc));
    feed.set_title(Text::plain(format!("{name} 的信用变化 · 放心")));
    feed.set_updated(entries.first().map_or(now.fixed_offset(), |e| *e.updated()));
    let mut author = Person::default();
    author.set_name("放心 Fangxin");
    feed.set_authors(vec![author]);
    let mut link = Link::default();
    link.set_href(page);
    feed.set_links(vec![link]);
    feed.set_entries(entries);
    Ok(feed.to_string())
}

pub struct ListItem {
    title: String,
    href: Option<String>,
    body: String,
    meta: String,
    /// A record that counts against the merchant (a failed spot check) reads as such.
    adverse: bool,
    /// More of the record behind a disclosure (a decision's facts and legal basis).
    details: Vec<(&'static str, String)>,
}

/// One choice of a list's filter: its words, its address, whether it is the one shown.
pub struct ListFilter {
    label: String,
    href: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    heading: &'static str,
    total: u64,
    filters: Vec<ListFilter>,
    items: Vec<ListItem>,
    csv_href: String,
    prev: Option<String>,
    next: Option<String>,
    /// 「第 3 页，共 12 页」.
    page_of: Option<String>,
    as_of: String,
}

/// Where a visitor is in a keyed list: a numbered page (`?page=`), or the next or previous
/// page by key (`?after=`/`?before=`, what the pager's links carry). A cursor the list cannot
/// read shows the first page rather than an error page.
#[derive(Debug, Clone, Default)]
pub struct ListAt {
    pub page: Option<u64>,
    pub after: Option<String>,
    pub before: Option<String>,
}

impl ListAt {
    fn readable(text: Option<String>) -> Option<String> {
        text.filter(|t| fangxin_core::paging::Cursor::parse(t).is_some())
    }

    /// `(page, after, before)` with at most one of them set.
    fn query(self) -> (Option<u64>, Option<String>, Option<String>) {
        match (Self::readable(self.after), Self::readable(self.before)) {
            (Some(a), _) => (None, Some(a), None),
            (None, Some(b)) => (None, None, Some(b)),
            (None, None) => (
                self.page.filter(|p| (1..=1_000_000).contains(p)),
                None,
                None,
            ),
        }
    }
}

/// The pager's links, by key, keeping the list's filter; the first page has a plain address.
fn list_links<T>(
    path: &str,
    p: &fangxin_core::paging::Page<T>,
) -> (Option<String>, Option<String>) {
    let join = if path.contains('?') { '&' } else { '?' };
    let prev = match (p.page, &p.prev_cursor) {
        (2, Some(_)) => Some(path.to_owned()),
        (_, Some(c)) => Some(format!("{path}{join}before={c}")),
        (n, None) if n > 1 && p.rows.is_empty() => Some(path.to_owned()),
        _ => None,
    };
    let next = p
        .next_cursor
        .as_ref()
        .map(|c| format!("{path}{join}after={c}"));
    (prev, next)
}

/// 「第 3 页，共 12 页」 under a list with more than one page.
fn page_of<T>(p: &fangxin_core::paging::Page<T>) -> Option<String> {
    let pages = p.total.div_ceil(p.per_page.max(1)).max(1);
    (pages > 1).then(|| format!("第 {} 页，共 {pages} 页", p.page))
}

pub async fn penalties(
    state: &AppState,
    at: ListAt,
    category: Option<&str>,
    now: DateTime<Utc>,
) -> PageResult {
    let (page, after, before) = at.query();
    use fangxin_scoring::domain::PenaltyCategory;
    // A category the list does not know shows every decision rather than an error page.
    let category = category.and_then(PenaltyCategory::parse);
    let p = fangxin_core::penalties::public_list(
        &state.reads,
        fangxin_core::penalties::PenaltyQuery {
            authority: None,
            category: category.map(|c| c.code().to_owned()),
            from: None,
            to: None,
            page,
            after,
            before,
            per_page: Some(20),
            export: false,
        },
        now,
    )
    .await?;
    let here = match category {
        Some(c) => format!("/penalties?category={}", c.code()),
        None => "/penalties".to_owned(),
    };
    let (prev, next) = list_links(&here, &p);
    let page_of = page_of(&p);
    let filters = std::iter::once(ListFilter {
        label: "全部".to_owned(),
        href: "/penalties".to_owned(),
        current: category.is_none(),
    })
    .chain(PenaltyCategory::ALL.iter().map(|c| ListFilter {
        label: c.label_zh().to_owned(),
        href: format!("/penalties?category={}", c.code()),
        current: category == Some(*c),
    }))
    .collect();
    let items = p
        .rows
        .into_iter()
        .map(|r| ListItem {
            details: [
                ("违法事实", r.facts.clone()),
                ("处罚依据", r.legal_basis.clone()),
            ]
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .collect(),
            adverse: false,
            href: Some(format!("/m/{}", r.uscc)),
            title: format!("{} · {}", r.party_name, r.decision_no),
            body: format!("{}：{}", r.violation_type, r.content),
            meta: format!(
                "{} · 决定日期 {}{}{}",
                r.authority,
                r.decided_on,
                match super::zh::penalty_amounts(r.fine_fen, r.confiscated_fen) {
                    a if a.is_empty() => a,
                    a => format!(" · {a}"),
                },
                r.publicity_end
                    .map_or(String::new(), |e| format!(" · 公示至 {e}"))
            ),
        })
        .collect();
    Ok(ListPage {
        filters,
        heading: "行政处罚信息公示",
        total: p.total,
        items,
        csv_href: match category {
            Some(c) => format!("/api/v1/penalties?format=csv&category={}", c.code()),
            None => "/api/v1/penalties?format=csv".into(),
        },
        prev,
        next,
        page_of,
        as_of: stamp(now),
    }
    .render()?)
}

pub async fn warnings(
    state: &AppState,
    at: ListAt,
    category: Option<&str>,
    now: DateTime<Utc>,
) -> PageResult {
    let (page, after, before) = at.query();
    let categories = fangxin_core::warnings::categories(&state.reads).await?;
    // A category the list does not know shows every warning rather than an empty page.
    let category = category
        .map(str::trim)
        .and_then(|c| {
            categories
                .iter()
                .find(|k| *k == c || super::zh::warning_category_zh(k) == c)
        })
        .cloned();
    let p = fangxin_core::warnings::list(
        &state.reads,
        fangxin_core::warnings::WarningQuery {
            page,
            after,
            before,
            per_page: Some(20),
            category: category.clone(),
            export: false,
        },
        now,
    )
    .await?;
    let here = match &category {
        Some(c) => format!("/warnings?category={}", urlencode(c)),
        None => "/warnings".to_owned(),
    };
    let (prev, next) = list_links(&here, &p);
    let page_of = page_of(&p);
    let filters: Vec<ListFilter> = std::iter::once(ListFilter {
        label: "全部".to_owned(),
        href: "/warnings".to_owned(),
        current: category.is_none(),
    })
    .chain(categories.iter().map(|c| ListFilter {
        label: super::zh::warning_category_zh(c).to_owned(),
        href: format!("/warnings?category={}", urlencode(c)),
        current: category.as_deref() == Some(c.as_str()),
    }))
    .collect();
    let items = p
        .rows
        .into_iter()
        .map(|w| ListItem {
            details: vec![],
            adverse: false,
            title: w.title,
            href: None,
            body: w.body,
            meta: format!(
                "{} · {}",
                w.published_on,
                super::zh::warning_category_zh(&w.category)
            ),
        })
        .collect();
    Ok(ListPage {
        filters: if categories.len() > 1 {
            filters
        } else {
            vec![]
        },
        heading: "消费警示与提示",
        total: p.total,
        items,
        csv_href: match &category {
            Some(c) => format!("/api/v1/warnings?format=csv&category={}", urlencode(c)),
            None => "/api/v1/warnings?format=csv".into(),
        },
        prev,
        next,
        page_of,
        as_of: stamp(now),
    }
    .render()?)
}

pub async fn spot_checks(
    state: &AppState,
    at: ListAt,
    outcome: Option<&str>,
    now: DateTime<Utc>,
) -> PageResult {
    let (page, after, before) = at.query();
    // An outcome the list does not know shows every result rather than an error page.
    let outcome = outcome
        .and_then(fangxin_scoring::domain::SpotCheckOutcome::parse)
        .map(|o| o.code());
    let p = fangxin_core::spotchecks::public_list(
        &state.reads,
        fangxin_core::spotchecks::SpotCheckQuery {
            outcome: outcome.map(str::to_owned),
            page,
            after,
            before,
            per_page: Some(20),
            export: false,
        },
        now,
    )
    .await?;
    let here = match outcome {
        Some(o) => format!("/spot-checks?outcome={o}"),
        None => "/spot-checks".to_owned(),
    };
    let (prev, next) = list_links(&here, &p);
    let page_of = page_of(&p);
    let filters = [
        ("全部", None),
        ("合格", Some("qualified")),
        ("不合格", Some("unqualified")),
    ]
    .into_iter()
    .map(|(label, code)| ListFilter {
        label: label.to_owned(),
        href: code.map_or("/spot-checks".to_owned(), |c| {
            format!("/spot-checks?outcome={c}")
        }),
        current: code == outcome,
    })
    .collect();
    let items = p
        .rows
        .into_iter()
        .map(|c| ListItem {
            details: vec![],
            adverse: c.outcome.as_deref() == Some("unqualified"),
            href: Some(format!("/m/{}", c.uscc)),
            title: format!(
                "{} · {} · {}",
                c.sign_name.clone().unwrap_or_else(|| c.name.clone()),
                c.product.clone().unwrap_or_default(),
                c.outcome_label.clone().unwrap_or_default()
            ),
            body: c
                .failed_items
                .clone()
                .map(|f| format!("不合格项目：{f}"))
                .unwrap_or_default(),
            meta: format!(
                "{} · 抽检日期 {}{}",
                c.name,
                c.checked_on.map(|d| d.to_string()).unwrap_or_default(),
                c.batch
                    .as_deref()
                    .map_or(String::new(), |b| format!(" · 批次 {b}"))
            ),
        })
        .collect();
    Ok(ListPage {
        filters,
        heading: "双随机抽检结果公示",
        total: p.total,
        items,
        csv_href: match outcome {
            Some(o) => format!("/api/v1/spot-checks?format=csv&outcome={o}"),
            None => "/api/v1/spot-checks?format=csv".into(),
        },
        prev,
        next,
        page_of,
        as_of: stamp(now),
    }
    .render()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_step_back_across_years() {
        let d = NaiveDate::from_ymd_opt(2026, 2, 14).unwrap();
        assert_eq!(
            month_start(d, 0),
            NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
        );
        assert_eq!(
            month_start(d, 11),
            NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()
        );
        assert_eq!(urlencode("老 店&"), "%E8%80%81%20%E5%BA%97%26");
    }

    use fangxin_core::scores::ScoreHistoryEntry;

    fn entry(score: i32, version: &str, day: &str) -> ScoreHistoryEntry {
        ScoreHistoryEntry {
            score,
            grade: "A".into(),
            model_version: version.into(),
            as_of: day.parse().unwrap(),
            computed_at: fangxin_core::clock::now(),
        }
    }

    #[test]
    fn page_numbers_show_the_ends_and_the_neighbourhood() {
        let pages = numbered_pages(10, 1_000, 20, |p| format!("?page={p}"));
        let labels: Vec<&str> = pages.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "1", "…", "6", "7", "8", "9", "10", "11", "12", "13", "14", "…", "50"
            ]
        );
        assert!(pages.iter().any(|(l, href)| l == "10" && href.is_none()));
        assert!(numbered_pages(1, 15, 20, |p| p.to_string()).is_empty());
        // Never beyond the 10,000 matches the service serves.
        let deep = numbered_pages(1, 50_000, 20, |p| p.to_string());
        assert_eq!(deep.last().unwrap().0, "500");
    }

    #[test]
    fn a_change_of_method_is_told_apart_from_a_new_record() {
        let same = [
            entry(90, "v1.0", "2026-01-01"),
            entry(84, "v1.0", "2026-06-01"),
        ];
        assert_eq!(method_changed(&same), None);
        let changed = [
            entry(90, "v1.0", "2026-01-01"),
            entry(86, "v1.0", "2026-06-01"),
            entry(84, "v2.0", "2026-12-01"),
        ];
        let note = method_changed(&changed).unwrap();
        assert!(note.contains("评分方法于 2026-12-01 更新"), "{note}");
        assert!(note.contains("86 变为 84"));
    }
}
