//! The console's professional-claimant queue, claim files and the confirm/clear form.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDate;
use fangxin_scoring::domain::ComplaintCategory;
use serde::Deserialize;

use super::super::forms::{app_error, redirect, refused, render};
use super::super::session::{Csrf, RegulatorPage};
use super::super::stamp;
use super::frame::{Draft, Frame, Section};
use crate::state::AppState;
use fangxin_core::error::AppError;

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
    frame: Frame,
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
    page: RegulatorPage,
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
    let (frame, csrf) = Frame::of(&state, &page, &headers, Section::Claimants);
    render(
        QueuePage {
            frame,
            statuses: vec![
                ("flagged", "待复核", count("flagged")),
                ("confirmed", "已确认", count("confirmed")),
                ("cleared", "已排除", count("cleared")),
                ("watch", "观察", count("watch")),
            ],
            status,
            total: queue.total,
            items: queue
                .rows
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
            as_of: stamp(fangxin_core::clock::now()),
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
    frame: Frame,
    key: String,
    csrf: String,
    notice: Option<&'static str>,
    draft: Draft,
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
    page: &RegulatorPage,
    headers: &HeaderMap,
    key: &str,
    notice: Option<&'static str>,
    draft: Draft,
) -> Response {
    let now = fangxin_core::clock::now();
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
    let (frame, csrf) = Frame::of(state, page, headers, Section::Claimants);
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
            frame,
            key: file.key.clone(),
            csrf: csrf.token.clone(),
            notice,
            draft,
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
                "{} 件，涉及 {} 家商户、{} 个渠道；撤回 {} 件，要求惩罚性赔偿 {} 件；涉及金额 {}，获赔 {}",
                t.complaints,
                t.merchants,
                t.channels,
                t.withdrawn,
                t.punitive_demands,
                fangxin_scoring::money::display_yuan(t.amount_involved_fen),
                fangxin_scoring::money::display_yuan(t.amount_recovered_fen)
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
                    amount: fangxin_scoring::money::display_yuan(c.amount_involved_fen),
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
    page: RegulatorPage,
    headers: HeaderMap,
    Path(key): Path<String>,
    q: Result<Query<DoneQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let notice = match q.ok().and_then(|Query(q)| q.done).as_deref() {
        Some("confirm") => Some("已确认为职业索赔人，相关商户的信用分已重新计算。"),
        Some("clear") => Some("已排除，其投诉按普通投诉计，相关商户的信用分已重新计算。"),
        _ => None,
    };
    claim_file_page(&state, &page, &headers, &key, notice, Draft::none()).await
}

const REVIEW_FIELDS: &[&str] = &["decision", "reason"];

#[derive(Debug, Deserialize)]
pub struct ReviewForm {
    csrf: String,
    decision: String,
    reason: String,
}

/// `POST /admin/claimants/{key}/review`.
pub async fn review(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Path(key): Path<String>,
    Form(form): Form<ReviewForm>,
) -> Response {
    if !Csrf::check(&headers, &form.csrf) {
        return refused();
    }
    let decision = form.decision.clone();
    let typed = vec![
        ("decision".to_owned(), form.decision.clone()),
        ("reason".to_owned(), form.reason.clone()),
    ];
    match fangxin_core::claimants::review(
        &state.db,
        &key,
        fangxin_core::claimants::ReviewDecision {
            decision: form.decision,
            reason: form.reason,
        },
        &state.scoring,
        &page.0.session.actor(None),
        fangxin_core::clock::now(),
    )
    .await
    {
        Ok(_) => {
            state.notifier.changed().await;
            redirect(&format!(
                "/admin/claimants/{}?done={}",
                super::super::public::urlencode(&key),
                if decision == "confirm" {
                    "confirm"
                } else {
                    "clear"
                }
            ))
        }
        Err(AppError::InvalidInput { field, .. }) => {
            let (field, msg) = match field {
                Some("reason") => ("reason", "请填写理由（1 至 2000 字）。"),
                _ => ("decision", "请选择确认或排除。"),
            };
            let draft =
                Draft::with_problem("review", REVIEW_FIELDS, typed, Some(field), msg.into());
            claim_file_page(&state, &page, &headers, &key, None, draft).await
        }
        Err(e) => app_error(e),
    }
}
