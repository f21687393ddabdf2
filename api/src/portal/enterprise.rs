//! The enterprise's own record (`/me`): every penalty (expired ones too), complaints with
//! the complainants masked and its answers, objections and credit repair. Every form
//! carries a CSRF token and goes through the same services as the API.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use fangxin_scoring::domain::{Channel, ComplaintStatus, PenaltyStatus, Role};
use serde::Deserialize;

use super::session::{Csrf, PageSession};
use super::stamp;
use crate::state::AppState;
use fangxin_core::error::AppError;

use super::forms::{Notice, app_error, notice, redirect, refused, render};
pub struct ComplaintLine {
    id: i64,
    received: String,
    channel: String,
    status: String,
    complainant: Option<String>,
    text: String,
    response: String,
}

pub struct ImprovementLine {
    label: String,
    points: i32,
    from: Option<chrono::NaiveDate>,
}

pub struct PenaltyLine {
    id: i64,
    in_publicity: bool,
    /// A credit repair of this penalty waits for a decision: no second form.
    repair_pending: bool,
    /// Repaired: publicity stopped early, whatever the end date said.
    repaired: bool,
    violation_type: String,
    /// The fine and confiscation, as money reads.
    amounts: String,
    repair_from: Option<chrono::NaiveDate>,
    decision_no: String,
    status: String,
    content: String,
    decided_on: chrono::NaiveDate,
    publicity_end: Option<chrono::NaiveDate>,
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    csrf: String,
    notice: Option<String>,
    error: Option<String>,
    applications: Vec<String>,
    display_name: String,
    uscc: String,
    grade_label: String,
    grade_class: String,
    score: Option<i32>,
    reviewed_note: Option<String>,
    improvements: Vec<ImprovementLine>,
    open_complaints: Vec<ComplaintLine>,
    answered: Vec<ComplaintLine>,
    penalties: Vec<PenaltyLine>,
    as_of: String,
}

pub async fn me(
    State(state): State<AppState>,
    page: PageSession,
    headers: HeaderMap,
    Query(q): Query<Notice>,
) -> Response {
    me_page(&state, &page, &headers, q.done.as_deref(), None).await
}

async fn me_page(
    state: &AppState,
    page: &PageSession,
    headers: &HeaderMap,
    done: Option<&str>,
    error: Option<String>,
) -> Response {
    let Some(merchant_id) = page
        .session
        .merchant_id
        .filter(|_| page.session.role == Role::Enterprise)
    else {
        return redirect("/admin");
    };
    let now = fangxin_core::clock::now();
    let record =
        match fangxin_core::enterprise::record(&state.db, merchant_id, &state.scoring, now).await {
            Ok(r) => r,
            Err(e) => return app_error(e),
        };
    let (applications, repair_from, repairs_pending) =
        match applications_of(state, merchant_id).await {
            Ok(a) => a,
            Err(e) => return app_error(e),
        };
    let csrf = Csrf::of(headers, state.settings.server.secure_cookies);
    let line = |c: &fangxin_core::complaints::ComplaintView| ComplaintLine {
        id: c.id,
        received: c
            .received_at
            .with_timezone(&fangxin_core::clock::offset())
            .format("%Y-%m-%d")
            .to_string(),
        channel: Channel::parse(&c.channel)
            .map_or(c.channel.clone(), |ch| ch.label_zh().to_owned()),
        status: ComplaintStatus::parse(&c.status)
            .map_or(c.status.clone(), |s| s.label_zh().to_owned()),
        complainant: c.complainant_name.clone(),
        text: c.text.clone(),
        response: c.merchant_response.clone().unwrap_or_default(),
    };
    let (answered, open): (Vec<_>, Vec<_>) = record
        .complaints
        .iter()
        .partition(|c| c.merchant_response.is_some());
    let (grade_label, grade_class) = match record.score.as_ref() {
        Some(s) => (s.grade.clone(), s.grade.clone()),
        None => ("未评".to_owned(), "none".to_owned()),
    };
    render(
        MePage {
            csrf: csrf.token.clone(),
            notice: notice(done),
            error,
            applications,
            display_name: record
                .sign_name
                .clone()
                .unwrap_or_else(|| record.name.clone()),
            uscc: record.uscc.clone(),
            grade_label,
            grade_class,
            score: record.score.as_ref().map(|s| s.score),
            reviewed_note: record.reviewed_complaints_note.clone(),
            improvements: record
                .what_would_raise_it
                .iter()
                .map(|i| ImprovementLine {
                    label: i.label_zh.clone(),
                    points: i.points,
                    from: i.from,
                })
                .collect(),
            open_complaints: open.into_iter().map(line).collect(),
            answered: answered.into_iter().map(line).collect(),
            penalties: record
                .penalties
                .iter()
                .map(|p| PenaltyLine {
                    id: p.id,
                    in_publicity: p.status == PenaltyStatus::InPublicity.code(),
                    repair_pending: repairs_pending.contains(&p.id),
                    repaired: p.status == PenaltyStatus::Repaired.code(),
                    violation_type: p.violation_type.clone(),
                    amounts: super::zh::penalty_amounts(p.fine_fen, p.confiscated_fen),
                    repair_from: repair_from.get(&p.id).copied(),
                    decision_no: p.decision_no.clone(),
                    status: PenaltyStatus::parse(&p.status)
                        .map_or(p.status.clone(), |s| s.label_zh().to_owned()),
                    content: p.content.clone(),
                    decided_on: p.decided_on,
                    publicity_end: p.publicity_end,
                })
                .collect(),
            as_of: stamp(now),
        },
        &csrf,
    )
}

/// A decided application's line with the clerk's reason, which the owner needs most when
/// the answer is no.
fn with_reason(line: String, reason: Option<&str>) -> String {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(reason) => format!("{line}。理由：{reason}"),
        None => line,
    }
}

/// The enterprise's credit-repair applications and objections as lines, the day each
/// penalty becomes repairable, and the penalties with a repair waiting for a decision.
async fn applications_of(
    state: &AppState,
    merchant_id: i64,
) -> Result<
    (
        Vec<String>,
        std::collections::HashMap<i64, chrono::NaiveDate>,
        std::collections::HashSet<i64>,
    ),
    AppError,
> {
    use fangxin_core::store::entities::{credit_repair, objection, penalty};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let penalties = penalty::Entity::find()
        .filter(penalty::Column::MerchantId.eq(merchant_id))
        .all(&state.db)
        .await?;
    let repair_from = penalties
        .iter()
        .map(|p| (p.id, fangxin_core::repairs::eligible_from(p)))
        .collect();
    let status = |s: &str| {
        match s {
            "pending" => "待审核",
            "approved" | "accepted" => "已同意",
            "rejected" => "未同意",
            other => other,
        }
        .to_owned()
    };
    let mut lines = Vec::new();
    let mut pending = std::collections::HashSet::new();
    for r in credit_repair::Entity::find()
        .filter(credit_repair::Column::MerchantId.eq(merchant_id))
        .order_by_desc(credit_repair::Column::Id)
        .all(&state.db)
        .await?
    {
        let decision = penalties
            .iter()
            .find(|p| p.id == r.penalty_id)
            .map_or(String::new(), |p| p.decision_no.clone());
        if r.status == "pending" {
            pending.insert(r.penalty_id);
        }
        lines.push(with_reason(
            format!("信用修复 {decision}：{}", status(&r.status)),
            r.decision_reason.as_deref(),
        ));
    }
    for o in objection::Entity::find()
        .filter(objection::Column::MerchantId.eq(merchant_id))
        .order_by_desc(objection::Column::Id)
        .all(&state.db)
        .await?
    {
        let record = match o.record_kind.as_str() {
            "penalty" => penalties
                .iter()
                .find(|p| p.id == o.record_id)
                .map(|p| format!("行政处罚 {}", p.decision_no)),
            _ => None,
        }
        .unwrap_or_else(|| {
            format!(
                "{}（记录 {}）",
                super::zh::record_kind_zh(&o.record_kind),
                o.record_id
            )
        });
        lines.push(with_reason(
            format!("对{record}的异议：{}", status(&o.status)),
            o.decision_reason.as_deref(),
        ));
    }
    Ok((lines, repair_from, pending))
}

#[derive(Debug, Deserialize)]
pub struct RepairForm {
    csrf: String,
    decision_no: String,
    pledge: String,
    evidence: String,
}

/// An enterprise's form: checks the CSRF token and the account, runs the change, and
/// returns to `/me` with a notice, or shows the refusal on the page.
async fn enterprise_form<F, Fut, T>(
    state: &AppState,
    page: &PageSession,
    headers: &HeaderMap,
    csrf: &str,
    done: &str,
    run: F,
) -> Response
where
    F: FnOnce(i64, fangxin_core::audit::Actor) -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    if !Csrf::check(headers, csrf) {
        return refused();
    }
    let merchant_id = match page.session.own_merchant() {
        Ok(id) => id,
        Err(e) => return app_error(e),
    };
    match run(merchant_id, page.session.actor(None)).await {
        Ok(_) => {
            state.notifier.changed().await;
            redirect(&format!("/me?done={done}"))
        }
        Err(e @ (AppError::InvalidInput { .. } | AppError::Conflict { .. })) => {
            me_page(state, page, headers, None, Some(super::zh::message(&e))).await
        }
        Err(e) => app_error(e),
    }
}

pub async fn apply_repair(
    State(state): State<AppState>,
    page: PageSession,
    headers: HeaderMap,
    Form(form): Form<RepairForm>,
) -> Response {
    let req = fangxin_core::repairs::Application {
        decision_no: form.decision_no,
        pledge: form.pledge,
        evidence: form.evidence,
    };
    let db = &state.db;
    enterprise_form(
        &state,
        &page,
        &headers,
        &form.csrf,
        "repair",
        |merchant_id, actor| async move {
            fangxin_core::repairs::apply(db, merchant_id, req, &actor, fangxin_core::clock::now())
                .await
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct ObjectionForm {
    csrf: String,
    record_kind: String,
    record_id: i64,
    reason: String,
}

pub async fn file_objection(
    State(state): State<AppState>,
    page: PageSession,
    headers: HeaderMap,
    Form(form): Form<ObjectionForm>,
) -> Response {
    let req = fangxin_core::objections::NewObjection {
        record_kind: form.record_kind,
        record_id: form.record_id,
        reason: form.reason,
    };
    let db = &state.db;
    enterprise_form(
        &state,
        &page,
        &headers,
        &form.csrf,
        "objection",
        |merchant_id, actor| async move {
            fangxin_core::objections::file(db, merchant_id, req, &actor, fangxin_core::clock::now())
                .await
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    csrf: String,
    text: String,
}

pub async fn answer(
    State(state): State<AppState>,
    page: PageSession,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<AnswerForm>,
) -> Response {
    let (db, scoring) = (&state.db, &state.scoring);
    enterprise_form(
        &state,
        &page,
        &headers,
        &form.csrf,
        "answered",
        |merchant_id, actor| async move {
            fangxin_core::complaints::answer(
                db,
                id,
                merchant_id,
                &form.text,
                scoring,
                &actor,
                fangxin_core::clock::now(),
            )
            .await
        },
    )
    .await
}
