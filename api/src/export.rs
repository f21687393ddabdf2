//! CSV exports of the public lists (`?format=csv` or `Accept: text/csv`): every matching
//! row, not one page, UTF-8 with a byte-order mark so spreadsheet programs read the
//! Chinese, and a freshness stamp — the `data_as_of` column of every row, the
//! `X-Data-As-Of` and `Last-Modified` headers and the file name.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use fangxin_core::error::{AppError, AppResult};
use fangxin_core::paging::{Listed, Page};

/// Rows an export holds at most; narrow the filters for more.
pub const MAX_ROWS: u64 = 100_000;

/// The `format` query parameter of the lists.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParam {
    pub format: Option<String>,
}

/// Whether the caller asked for CSV: `?format=csv` wins over `Accept`.
pub fn wants_csv(headers: &HeaderMap, format: Option<&str>) -> AppResult<bool> {
    match format.map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) if f.eq_ignore_ascii_case("csv") => Ok(true),
        Some(f) if f.eq_ignore_ascii_case("json") => Ok(false),
        Some(f) => Err(AppError::invalid_field(
            "format",
            "invalid_format",
            format!("format is json or csv, not {f:?}"),
        )),
        None => Ok(headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| {
                accept
                    .split(',')
                    .any(|part| part.split(';').next().unwrap_or("").trim() == "text/csv")
            })),
    }
}

/// A row of an export: its columns, and its cells in that order.
pub trait CsvRow {
    const COLUMNS: &'static [&'static str];
    fn cells(&self) -> Vec<String>;
}

/// Writes rows as a CSV download named `{name}-{as_of}.csv`.
pub fn csv_response<R: CsvRow>(
    name: &str,
    as_of: DateTime<Utc>,
    rows: impl IntoIterator<Item = R>,
) -> AppResult<Response> {
    let stamp = as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let file = format!("{name}-{}.csv", as_of.format("%Y%m%dT%H%M%SZ"));
    let mut response = csv_bytes(as_of, rows)?.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&stamp) {
        headers.insert("x-data-as-of", v);
    }
    if let Ok(v) = HeaderValue::from_str(&as_of.format("%a, %d %b %Y %H:%M:%S GMT").to_string()) {
        headers.insert(header::LAST_MODIFIED, v);
    }
    Ok(response)
}

/// CSV with a BOM (so Excel reads the Chinese) and a `data_as_of` column first.
pub fn csv_bytes<R: CsvRow>(
    as_of: DateTime<Utc>,
    rows: impl IntoIterator<Item = R>,
) -> AppResult<Vec<u8>> {
    let stamp = as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut out = Vec::with_capacity(64 * 1024);
    out.extend_from_slice("\u{feff}".as_bytes());
    {
        let fail = |e: csv::Error| AppError::Internal(anyhow::anyhow!("writing CSV: {e}"));
        let mut writer = csv::Writer::from_writer(&mut out);
        writer
            .write_record(std::iter::once("data_as_of").chain(R::COLUMNS.iter().copied()))
            .map_err(fail)?;
        for row in rows {
            writer
                .write_record(
                    std::iter::once(stamp.clone()).chain(row.cells().into_iter().map(neutralised)),
                )
                .map_err(fail)?;
        }
        writer
            .flush()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("writing CSV: {e}")))?;
    }
    Ok(out)
}

/// A cell that a spreadsheet would run as a formula (it begins with `=`, `+`, `-`, `@`, a tab
/// or a carriage return) gets a leading `'`, as OWASP advises, so that a shop or complaint
/// text cannot run code in the reader's Excel. A plain number (`-12.5`, `-3%`) stays a number.
pub fn neutralised(cell: String) -> String {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if !risky || is_plain_number(&cell) {
        return cell;
    }
    format!("'{cell}")
}

fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix('-').unwrap_or(cell);
    let digits = digits.strip_suffix('%').unwrap_or(digits);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let fraction = parts.next();
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

impl CsvRow for fangxin_core::reports::ReportLine {
    const COLUMNS: &'static [&'static str] = &[
        "section",
        "key",
        "label",
        "count",
        "share_percent",
        "previous",
        "change_percent",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.section.to_owned(),
            self.key.clone(),
            self.label.clone(),
            self.count.clone(),
            self.share.clone(),
            self.previous.clone(),
            self.change.clone(),
        ]
    }
}

/// Every row of a paged list, page by page, up to `MAX_ROWS`.
pub async fn all_pages<T, F, Fut>(mut fetch: F) -> AppResult<Vec<T>>
where
    F: FnMut(u64, u64) -> Fut,
    Fut: std::future::Future<Output = AppResult<Vec<T>>>,
{
    let per_page = fangxin_core::paging::MAX_PER_PAGE;
    let mut rows = Vec::new();
    let mut page = 1;
    loop {
        let batch = fetch(page, per_page).await?;
        let done = (batch.len() as u64) < per_page;
        rows.extend(batch);
        if done || rows.len() as u64 >= MAX_ROWS {
            return Ok(rows);
        }
        page += 1;
    }
}

/// A list query that can ask for any page.
pub trait PagedQuery: Clone {
    fn at_page(&self, page: u64, per_page: u64) -> Self;
}

/// A public list as JSON (one page), or as CSV (every row) when the caller asked for it.
pub async fn json_or_csv<Q, T, F, Fut>(
    headers: &HeaderMap,
    format: Option<&str>,
    name: &str,
    query: Q,
    now: DateTime<Utc>,
    fetch: F,
) -> AppResult<Response>
where
    Q: PagedQuery,
    T: CsvRow + Listed + Serialize,
    F: Fn(Q) -> Fut,
    Fut: std::future::Future<Output = AppResult<Page<T>>>,
{
    if !wants_csv(headers, format)? {
        return Ok(axum::Json(fetch(query).await?).into_response());
    }
    let rows = all_pages(|page, per_page| {
        let page = fetch(query.at_page(page, per_page));
        async move { Ok(page.await?.rows) }
    })
    .await?;
    csv_response(name, now, rows)
}

macro_rules! paged {
    ($($query:ty),* $(,)?) => {$(
        impl PagedQuery for $query {
            fn at_page(&self, page: u64, per_page: u64) -> Self {
                Self {
                    page: Some(page),
                    per_page: Some(per_page),
                    ..self.clone()
                }
            }
        }
    )*};
}

paged!(
    fangxin_core::penalties::PenaltyQuery,
    fangxin_core::warnings::WarningQuery,
    fangxin_core::spotchecks::SpotCheckQuery,
);

/// Yuan with two decimals, as exports show money.
pub fn yuan(fen: i64) -> String {
    fangxin_scoring::money::format_yuan(fen)
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(T::to_string).unwrap_or_default()
}

impl CsvRow for fangxin_core::penalties::PenaltyRecord {
    const COLUMNS: &'static [&'static str] = &[
        "decision_no",
        "uscc",
        "party_name",
        "categories",
        "fine_yuan",
        "confiscated_yuan",
        "violation_type",
        "facts",
        "legal_basis",
        "content",
        "authority",
        "decided_on",
        "publicity_end",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.decision_no.clone(),
            self.uscc.clone(),
            self.party_name.clone(),
            self.category_labels.join("|"),
            yuan(self.fine_fen),
            yuan(self.confiscated_fen),
            self.violation_type.clone(),
            self.facts.clone(),
            self.legal_basis.clone(),
            self.content.clone(),
            self.authority.clone(),
            self.decided_on.to_string(),
            opt(&self.publicity_end),
        ]
    }
}

impl CsvRow for fangxin_core::warnings::WarningView {
    const COLUMNS: &'static [&'static str] = &["id", "title", "category", "published_on", "body"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.title.clone(),
            self.category.clone(),
            self.published_on.to_string(),
            self.body.clone(),
        ]
    }
}

impl CsvRow for fangxin_core::spotchecks::CheckView {
    const COLUMNS: &'static [&'static str] = &[
        "plan_id",
        "uscc",
        "name",
        "sign_name",
        "product",
        "batch",
        "standard",
        "outcome",
        "failed_items",
        "checked_on",
        "inspectors",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            opt(&self.plan_id),
            self.uscc.clone(),
            self.name.clone(),
            opt(&self.sign_name),
            opt(&self.product),
            opt(&self.batch),
            opt(&self.standard),
            opt(&self.outcome_label),
            opt(&self.failed_items),
            opt(&self.checked_on),
            self.inspectors
                .iter()
                .map(|i| format!("{}（{}）", i.name, i.unit))
                .collect::<Vec<_>>()
                .join("|"),
        ]
    }
}

impl CsvRow for fangxin_core::complaints::ComplaintStats {
    const COLUMNS: &'static [&'static str] = &[
        "uscc",
        "last_12_months",
        "previous_12_months",
        "growth_percent",
        "accepted",
        "not_accepted",
        "settled",
        "converted_to_case",
        "mediation_success_percent",
        "answered_percent",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.uscc.clone(),
            self.last_12_months.to_string(),
            self.previous_12_months.to_string(),
            opt(&self.growth_percent),
            self.accepted.to_string(),
            self.not_accepted.to_string(),
            self.settled.to_string(),
            self.converted_to_case.to_string(),
            opt(&self.mediation_success_percent),
            opt(&self.answered_percent),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::neutralised;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for (cell, out) in [
            (
                "=HYPERLINK(\"http://evil\",\"点我\")",
                "'=HYPERLINK(\"http://evil\",\"点我\")",
            ),
            ("+1+1", "'+1+1"),
            ("-1+1", "'-1+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-", "'-"),
            ("-12.5", "-12.5"),
            ("-3%", "-3%"),
            ("12", "12"),
            ("老滇味", "老滇味"),
            ("", ""),
        ] {
            assert_eq!(neutralised(cell.to_owned()), out, "{cell:?}");
        }
    }
}
