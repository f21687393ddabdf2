//! CSV exports of the public lists (`?format=csv` or `Accept: text/csv`): every matching
//! row, not one page, UTF-8 with a byte-order mark so spreadsheet programs read the
//! Chinese, and a freshness stamp — the `data_as_of` column of every row, the
//! `X-Data-As-Of` and `Last-Modified` headers and the file name. The header row is in
//! Chinese for people; `?columns=en` gives the JSON field names, for programs.

use std::borrow::Cow;

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use fangxin_core::error::{AppError, AppResult};
use fangxin_core::paging::{Listed, Page};

/// The `format` and `columns` query parameters of the lists.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParam {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// A CSV's header row: `zh`, Chinese column names (default), or `en`, the JSON field
    /// names (stable, for programs).
    pub columns: Option<String>,
}

/// The language of a CSV's header row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Columns {
    /// Chinese column names, for people opening the file in a spreadsheet.
    #[default]
    Chinese,
    /// The JSON field names, for programs (the open-data users).
    Fields,
}

impl Columns {
    pub fn parse(columns: Option<&str>) -> AppResult<Columns> {
        match columns.map(str::trim).unwrap_or("") {
            "" | "zh" => Ok(Columns::Chinese),
            "en" => Ok(Columns::Fields),
            other => Err(AppError::invalid_field(
                "columns",
                "invalid_columns",
                format!("columns is zh (Chinese names) or en (field names), not {other:?}"),
            )),
        }
    }

    fn names<R: CsvRow>(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Columns::Chinese => ("数据时间", R::COLUMNS_ZH),
            Columns::Fields => ("data_as_of", R::COLUMNS),
        }
    }
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

/// A row of an export: its columns (field names and Chinese names), and its cells in
/// that order (borrowed where the row holds the text already).
pub trait CsvRow {
    const COLUMNS: &'static [&'static str];
    const COLUMNS_ZH: &'static [&'static str];
    fn cells(&self) -> Vec<Cow<'_, str>>;
}

/// Writes rows as a CSV download named `{name}-{as_of}.csv`.
pub fn csv_response<R: CsvRow>(
    name: &str,
    as_of: DateTime<Utc>,
    rows: impl IntoIterator<Item = R>,
    columns: Columns,
) -> AppResult<Response> {
    let mut response = csv_bytes(as_of, rows, columns)?.into_response();
    stamp_csv(&mut response, name, as_of);
    Ok(response)
}

/// A CSV download's headers: its type, its file name `{name}-{as_of}.csv`, and the time
/// of its data.
fn stamp_csv(response: &mut Response, name: &str, as_of: DateTime<Utc>) {
    let stamp = as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let file = format!("{name}-{}.csv", as_of.format("%Y%m%dT%H%M%SZ"));
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
}

/// CSV with a BOM (so Excel reads the Chinese) and a `data_as_of` column first.
pub fn csv_bytes<R: CsvRow>(
    as_of: DateTime<Utc>,
    rows: impl IntoIterator<Item = R>,
    columns: Columns,
) -> AppResult<Vec<u8>> {
    let (stamp_column, names) = columns.names::<R>();
    let fail = |e: csv::Error| AppError::Internal(anyhow::anyhow!("writing CSV: {e}"));
    let mut out = Vec::with_capacity(64 * 1024);
    out.extend_from_slice("\u{feff}".as_bytes());
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        writer
            .write_record(std::iter::once(stamp_column).chain(names.iter().copied()))
            .map_err(fail)?;
        writer
            .flush()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("writing CSV: {e}")))?;
    }
    let stamp = as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    out.extend(csv_rows(&stamp, rows.into_iter().collect())?);
    Ok(out)
}

/// A cell that a spreadsheet would run as a formula (it begins with `=`, `+`, `-`, `@`, a tab
/// or a carriage return) gets a leading `'`, as OWASP advises, so that a shop or complaint
/// text cannot run code in the reader's Excel. A plain number (`-12.5`, `-3%`) stays a number.
pub fn neutralised<'a>(cell: impl Into<Cow<'a, str>>) -> Cow<'a, str> {
    let cell = cell.into();
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if !risky || is_plain_number(&cell) {
        return cell;
    }
    Cow::Owned(format!("'{cell}"))
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
    const COLUMNS_ZH: &'static [&'static str] = &[
        "部分",
        "代码",
        "名称",
        "件数",
        "占比（%）",
        "上期件数",
        "变化（%）",
    ];
    fn cells(&self) -> Vec<Cow<'_, str>> {
        vec![
            self.section.into(),
            self.key.as_str().into(),
            self.label.as_str().into(),
            self.count.as_str().into(),
            self.share.as_str().into(),
            self.previous.as_str().into(),
            self.change.as_str().into(),
        ]
    }
}

/// A keyed list query, as an export reads it: the first page, then the page after a cursor,
/// neither counting the whole list.
pub trait PagedQuery: Clone {
    fn first(&self, per_page: u64) -> Self;
    fn after(&self, cursor: String, per_page: u64) -> Self;
}

/// A public list as JSON (one page), or as CSV (every row, by `csv_export`) when the caller
/// asked for it.
pub async fn json_or_csv<Q, T, F, Fut>(
    headers: &HeaderMap,
    format: &FormatParam,
    name: &str,
    query: Q,
    now: DateTime<Utc>,
    fetch: F,
) -> AppResult<Response>
where
    Q: PagedQuery + Send + 'static,
    T: CsvRow + Listed + Serialize + Send + 'static,
    F: Fn(Q) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = AppResult<Page<T>>> + Send + 'static,
{
    if !wants_csv(headers, format.format.as_deref())? {
        return Ok(axum::Json(fetch(query).await?).into_response());
    }
    csv_export(format, name, query, now, fetch).await
}

/// Every row of a keyed list as a CSV download.
///
/// The CSV is streamed by key: a small first page (so the first bytes leave at once), then
/// batches of `paging::EXPORT_BATCH` rows, each read only once the one before was written
/// out. Memory stays at one batch whatever the list's length, no rows are left out, and a
/// download the client abandons stops the reading. (Reading the next batch while writing
/// one was tried: on two cores, where reading and writing both want the CPU, it gained
/// nothing measurable, docs/benchmarks.md.) The first page is read before the response
/// starts, so that a failure there is still a problem response; a failure later cuts the
/// download short (and is logged).
pub async fn csv_export<Q, T, F, Fut>(
    format: &FormatParam,
    name: &str,
    query: Q,
    now: DateTime<Utc>,
    fetch: F,
) -> AppResult<Response>
where
    Q: PagedQuery + Send + 'static,
    T: CsvRow + Send + 'static,
    F: Fn(Q) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = AppResult<Page<T>>> + Send + 'static,
{
    let columns = Columns::parse(format.columns.as_deref())?;
    let query = query.first(fangxin_core::paging::MAX_PER_PAGE);
    let first = fetch(query.clone()).await?;
    let batch = fangxin_core::paging::EXPORT_BATCH;
    let more = first
        .next_cursor
        .map(|cursor| (query.after(cursor, batch), fetch));
    let rest = futures_util::stream::unfold(more, move |state| async move {
        let (query, fetch) = state?;
        match fetch(query.clone()).await {
            Ok(p) => {
                let next = p
                    .next_cursor
                    .map(|cursor| (query.after(cursor, batch), fetch));
                Some((Ok(p.rows), next))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    let pages = futures_util::stream::once(std::future::ready(Ok(first.rows))).chain(rest);
    Ok(csv_stream(name, now, columns, pages))
}

/// A CSV download written as `pages` yields rows: the byte-order mark and the header row
/// first, then each page as it comes.
pub fn csv_stream<R, S>(name: &str, as_of: DateTime<Utc>, columns: Columns, pages: S) -> Response
where
    R: CsvRow + Send + 'static,
    S: futures_util::Stream<Item = AppResult<Vec<R>>> + Send + 'static,
{
    let stamp = as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let head = csv_bytes::<R>(as_of, [], columns);
    let export = name.to_owned();
    let body = futures_util::stream::once(std::future::ready(head))
        .chain(pages.map(move |page| page.and_then(|rows| csv_rows(&stamp, rows))))
        .map(move |chunk| {
            chunk.map(axum::body::Bytes::from).map_err(|e| {
                tracing::warn!(export = %export, error = %e, "an export stopped part way");
                std::io::Error::other("the export stopped part way")
            })
        });
    let mut response = axum::body::Body::from_stream(body).into_response();
    stamp_csv(&mut response, name, as_of);
    response
}

/// Rows of a CSV without its header, each stamped with the time of the data.
fn csv_rows<R: CsvRow>(stamp: &str, rows: Vec<R>) -> AppResult<Vec<u8>> {
    let fail = |e: csv::Error| AppError::Internal(anyhow::anyhow!("writing CSV: {e}"));
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 256));
    for row in rows {
        writer.write_field(stamp).map_err(fail)?;
        for cell in row.cells() {
            writer
                .write_field(neutralised(cell).as_bytes())
                .map_err(fail)?;
        }
        // No more fields: this ends the record.
        writer.write_record(None::<&[u8]>).map_err(fail)?;
    }
    writer
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing CSV: {e}")))
}

macro_rules! paged {
    ($($query:ty),* $(,)?) => {$(
        impl PagedQuery for $query {
            fn first(&self, per_page: u64) -> Self {
                Self {
                    page: None,
                    after: None,
                    before: None,
                    per_page: Some(per_page),
                    export: true,
                    ..self.clone()
                }
            }
            fn after(&self, cursor: String, per_page: u64) -> Self {
                Self {
                    after: Some(cursor),
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

impl CsvRow for fangxin_core::penalties::PenaltyLine {
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
    const COLUMNS_ZH: &'static [&'static str] = &[
        "行政处罚决定书文号",
        "统一社会信用代码",
        "当事人名称",
        "处罚类别",
        "罚款金额（元）",
        "没收金额（元）",
        "违法行为类型",
        "违法事实",
        "处罚依据",
        "处罚内容",
        "处罚机关",
        "处罚决定日期",
        "公示截止日期",
    ];

    fn cells(&self) -> Vec<Cow<'_, str>> {
        vec![
            self.decision_no.as_str().into(),
            self.uscc.as_str().into(),
            self.party_name.as_str().into(),
            self.category_labels.join("|").into(),
            yuan(self.fine_fen).into(),
            yuan(self.confiscated_fen).into(),
            self.violation_type.as_str().into(),
            self.facts.as_str().into(),
            self.legal_basis.as_str().into(),
            self.content.as_str().into(),
            self.authority.as_str().into(),
            self.decided_on.to_string().into(),
            opt(&self.publicity_end).into(),
        ]
    }
}

impl CsvRow for fangxin_core::warnings::WarningView {
    const COLUMNS: &'static [&'static str] = &["id", "title", "category", "published_on", "body"];
    const COLUMNS_ZH: &'static [&'static str] = &["编号", "标题", "类别", "发布日期", "正文"];

    fn cells(&self) -> Vec<Cow<'_, str>> {
        vec![
            self.id.to_string().into(),
            self.title.as_str().into(),
            self.category.as_str().into(),
            self.published_on.to_string().into(),
            self.body.as_str().into(),
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
    const COLUMNS_ZH: &'static [&'static str] = &[
        "抽查计划编号",
        "统一社会信用代码",
        "名称",
        "店招名称",
        "产品",
        "批次",
        "执行标准",
        "结果",
        "不合格项目",
        "抽检日期",
        "检查人员",
    ];

    fn cells(&self) -> Vec<Cow<'_, str>> {
        vec![
            opt(&self.plan_id).into(),
            self.uscc.as_str().into(),
            self.name.as_str().into(),
            opt(&self.sign_name).into(),
            opt(&self.product).into(),
            opt(&self.batch).into(),
            opt(&self.standard).into(),
            opt(&self.outcome_label).into(),
            opt(&self.failed_items).into(),
            opt(&self.checked_on).into(),
            self.inspectors
                .iter()
                .map(|i| format!("{}（{}）", i.name, i.unit))
                .collect::<Vec<_>>()
                .join("|")
                .into(),
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
    const COLUMNS_ZH: &'static [&'static str] = &[
        "统一社会信用代码",
        "近12个月件数",
        "前12个月件数",
        "增减（%）",
        "受理",
        "不予受理",
        "调解成功",
        "转为立案",
        "调解成功率（%）",
        "商家答复率（%）",
    ];

    fn cells(&self) -> Vec<Cow<'_, str>> {
        vec![
            self.uscc.as_str().into(),
            self.last_12_months.to_string().into(),
            self.previous_12_months.to_string().into(),
            opt(&self.growth_percent).into(),
            self.accepted.to_string().into(),
            self.not_accepted.to_string().into(),
            self.settled.to_string().into(),
            self.converted_to_case.to_string().into(),
            opt(&self.mediation_success_percent).into(),
            opt(&self.answered_percent).into(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use axum::http::HeaderMap;
    use fangxin_core::error::{AppError, AppResult};
    use fangxin_core::paging::{Listed, MAX_PER_PAGE, Page};
    use futures_util::StreamExt;

    use super::{CsvRow, FormatParam, PagedQuery, json_or_csv, neutralised};

    #[derive(Clone)]
    struct Query {
        page: u64,
    }

    /// The test's cursor is the number of the page it follows.
    impl PagedQuery for Query {
        fn first(&self, _per_page: u64) -> Self {
            Query { page: 1 }
        }
        fn after(&self, cursor: String, _per_page: u64) -> Self {
            Query {
                page: cursor.parse::<u64>().unwrap_or(0) + 1,
            }
        }
    }

    #[derive(serde::Serialize)]
    struct Row(u64);

    impl Listed for Row {
        const ROWS: &'static str = "rows";
        const PAGE: &'static str = "RowPage";
    }

    impl CsvRow for Row {
        const COLUMNS: &'static [&'static str] = &["n"];
        const COLUMNS_ZH: &'static [&'static str] = &["序号"];
        fn cells(&self) -> Vec<std::borrow::Cow<'_, str>> {
            vec![self.0.to_string().into()]
        }
    }

    /// A list of `pages` full pages and a short last one; page `fail_at` fails. Counts the
    /// pages read.
    async fn export(
        pages: u64,
        fail_at: Option<u64>,
        read: Arc<AtomicU64>,
    ) -> AppResult<axum::response::Response> {
        let format = FormatParam {
            format: Some("csv".into()),
            columns: None,
        };
        json_or_csv(
            &HeaderMap::new(),
            &format,
            "rows",
            Query { page: 1 },
            fangxin_core::clock::now(),
            move |q: Query| {
                let read = read.clone();
                async move {
                    read.fetch_add(1, Ordering::SeqCst);
                    if Some(q.page) == fail_at {
                        return Err(AppError::Internal(anyhow::anyhow!(
                            "the database went away"
                        )));
                    }
                    let n = if q.page <= pages { MAX_PER_PAGE } else { 3 };
                    let first = (q.page - 1) * MAX_PER_PAGE;
                    Ok(Page {
                        total: pages * MAX_PER_PAGE + 3,
                        page: q.page,
                        per_page: MAX_PER_PAGE,
                        rows: (first..first + n).map(Row).collect(),
                        as_of: None,
                        next_cursor: (q.page <= pages).then(|| q.page.to_string()),
                        prev_cursor: None,
                    })
                }
            },
        )
        .await
    }

    #[tokio::test]
    async fn an_export_streams_page_by_page_and_stops_with_its_reader() {
        // Read whole: every row once, in order, under a Chinese header.
        let read = Arc::new(AtomicU64::new(0));
        let response = export(4, None, read.clone()).await.unwrap();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let text = std::str::from_utf8(&bytes).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("\u{feff}数据时间,序号"));
        let numbers: Vec<u64> = lines
            .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        assert_eq!(numbers, (0..4 * MAX_PER_PAGE + 3).collect::<Vec<_>>());
        assert_eq!(read.load(Ordering::SeqCst), 5);

        // Only the first page is read before the response; the rest as the body is read,
        // and nothing more once the reader goes away.
        let read = Arc::new(AtomicU64::new(0));
        let response = export(100, None, read.clone()).await.unwrap();
        assert_eq!(read.load(Ordering::SeqCst), 1);
        let mut body = response.into_body().into_data_stream();
        let _head = body.next().await.unwrap().unwrap();
        let _page_1 = body.next().await.unwrap().unwrap();
        let _page_2 = body.next().await.unwrap().unwrap();
        drop(body);
        tokio::task::yield_now().await;
        assert_eq!(
            read.load(Ordering::SeqCst),
            2,
            "an abandoned download reads no further"
        );

        // A failure on the first page is a problem response; a later one cuts the body.
        let read = Arc::new(AtomicU64::new(0));
        assert!(export(4, Some(1), read.clone()).await.is_err());
        let response = export(4, Some(3), Arc::new(AtomicU64::new(0)))
            .await
            .unwrap();
        let cut = axum::body::to_bytes(response.into_body(), usize::MAX).await;
        assert!(
            cut.is_err(),
            "a download that failed part way does not end as if whole"
        );
    }

    fn names_match<R: CsvRow>() {
        assert_eq!(R::COLUMNS.len(), R::COLUMNS_ZH.len(), "{:?}", R::COLUMNS);
        assert!(
            R::COLUMNS_ZH.iter().all(|c| !c.is_ascii()),
            "{:?}",
            R::COLUMNS_ZH
        );
    }

    #[test]
    fn every_column_has_a_chinese_name() {
        names_match::<fangxin_core::reports::ReportLine>();
        names_match::<fangxin_core::penalties::PenaltyLine>();
        names_match::<fangxin_core::warnings::WarningView>();
        names_match::<fangxin_core::spotchecks::CheckView>();
        names_match::<fangxin_core::complaints::ComplaintStats>();
    }

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
