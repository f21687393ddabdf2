//! `GET /api/v1/admin/reports/complaints?from=&to=`: the half-year complaint analysis as
//! JSON or CSV (the console shows it as a page at `/admin/reports/complaints`).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::AppState;
use super::extract::{ApiQuery, Regulator};
use super::openapi::StaffErrors;
use crate::http::error::ApiResult;
use fangxin_core::reports::{self, Period};

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First Beijing day of the period; with `to`. Both absent: the last complete half-year.
    pub from: Option<NaiveDate>,
    /// Last Beijing day of the period (included); at most a year after `from`.
    pub to: Option<NaiveDate>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// A CSV's header row: `zh`, Chinese column names (default), or `en`, field names.
    pub columns: Option<String>,
}

/// The period asked for, or the last complete half-year.
pub fn period(q: &ReportQuery, today: NaiveDate) -> fangxin_core::error::AppResult<Period> {
    match (q.from, q.to) {
        (None, None) => Ok(Period::last_half_year(today)),
        (Some(from), Some(to)) => Period::new(from, to),
        (None, Some(_)) => Err(fangxin_core::error::AppError::invalid_field(
            "from",
            "invalid_period",
            "give both from and to, or neither",
        )),
        (Some(_), None) => Err(fangxin_core::error::AppError::invalid_field(
            "to",
            "invalid_period",
            "give both from and to, or neither",
        )),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/reports/complaints",
    tag = "regulator",
    summary = "The complaint analysis of a period (by default the last complete half-year), JSON or CSV",
    params(ReportQuery),
    responses((status = 200, description = "The report", content((reports::ComplaintReport = "application/json"), (String = "text/csv"))), StaffErrors),
    security(("bearer" = []))
)]
pub async fn complaints(
    State(state): State<AppState>,
    Regulator(_actor): Regulator,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let csv = crate::export::wants_csv(&headers, q.format.as_deref())?;
    let columns = crate::export::Columns::parse(q.columns.as_deref())?;
    let now = fangxin_core::clock::now();
    let period = period(&q, fangxin_core::clock::today(now))?;
    let report =
        fangxin_core::aggregates::regulator_report(&state.db, period, &state.scoring.calendar, now)
            .await?;
    if csv {
        return Ok(crate::export::csv_response(
            &format!("complaints-report-{}-{}", period.from, period.to),
            now,
            reports::lines(&report),
            columns,
        )?);
    }
    Ok(Json(report).into_response())
}
