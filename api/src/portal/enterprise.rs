//! The enterprise's own record (`/me`): the score and why, every penalty (expired ones
//! too) with its type, complaints with the complainants masked and its answers, listings,
//! spot checks, trusted-consumption status and expiry, objections and credit repairs with
//! the clerk's reasons and the evidence attached. Every form carries a CSRF token, goes
//! through the same services as the API, and comes back as it was typed when refused.

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

use super::console::frame::Draft;
use super::forms::{Notice, app_error, notice, redirect, refused, render};
use fangxin_core::attachments::{self, AttachmentInfo};

/// Another record an objection can be filed against: a listing or a spot check.
pub struct RecordLine {
    /// The objection form's key: `objection-{kind}-{id}`.
    key: String,
    kind: &'static str,
    id: i64,
    title: String,
    detail: String,
    meta: String,
}

/// The enterprise's trusted-consumption enrolment as it stands.
pub struct TrustedLine {
    level: String,
    status: String,
    active: bool,
    pledges: String,
    valid: String,
    reason: Option<String>,
}

/// One application (objection or credit repair) with its outcome and evidence.
pub struct ApplicationLine {
    text: String,
    /// The clerk's reason, once decided.
    reason: Option<String>,
    files: Vec<AttachmentInfo>,
}
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
    /// The forms' keys on the page.
    repair_key: String,
    objection_key: String,
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
    draft: Draft,
    applications: Vec<ApplicationLine>,
    base: i32,
    factors: Vec<super::public::FactorLine>,
    trusted: Vec<TrustedLine>,
    listings: Vec<RecordLine>,
    spot_checks: Vec<RecordLine>,
    max_files: usize,
    max_megabytes: usize,
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
    me_page(&state, &page, &headers, q.done.as_deref(), Draft::none()).await
}

async fn me_page(
    state: &AppState,
    page: &PageSession,
    headers: &HeaderMap,
    done: Option<&str>,
    draft: Draft,
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
    let explained = record.score.as_ref();
    let trusted = record
        .trusted
        .iter()
        .map(|t| TrustedLine {
            level: t.level_label.clone(),
            status: fangxin_scoring::domain::TrustedStatus::parse(&t.status)
                .map_or(t.status.clone(), |s| s.label_zh().to_owned()),
            active: t.status == "active",
            pledges: t
                .pledges
                .iter()
                .map(|p| {
                    fangxin_scoring::domain::Pledge::parse(p)
                        .map_or(p.as_str(), |p| p.label_zh())
                        .to_owned()
                })
                .collect::<Vec<_>>()
                .join("、"),
            valid: match t.valid_to {
                Some(to) => format!("{} 至 {to}", t.valid_from),
                None => format!("{} 起，长期有效", t.valid_from),
            },
            reason: t.status_reason.clone().filter(|r| !r.trim().is_empty()),
        })
        .collect();
    let listings = record
        .listings
        .iter()
        .map(|l| RecordLine {
            key: format!("objection-listing-{}", l.id),
            kind: "listing",
            id: l.id,
            title: l.kind_label.clone(),
            detail: l.reason.clone(),
            meta: match (l.removed_on, &l.removal_reason) {
                (Some(on), Some(why)) => format!(
                    "{} · 列入日期 {} · 已于 {on} 移出：{why}",
                    l.authority, l.listed_on
                ),
                (Some(on), None) => {
                    format!(
                        "{} · 列入日期 {} · 已于 {on} 移出",
                        l.authority, l.listed_on
                    )
                }
                _ => format!("{} · 列入日期 {}", l.authority, l.listed_on),
            },
        })
        .collect();
    let spot_checks = record
        .spot_checks
        .iter()
        .map(|c| RecordLine {
            key: format!("objection-spot_check-{}", c.id),
            kind: "spot_check",
            id: c.id,
            title: match c.outcome.as_deref() {
                Some("unqualified") => "不合格".to_owned(),
                Some("qualified") => "合格".to_owned(),
                _ => "待检验".to_owned(),
            },
            detail: [
                c.product.clone(),
                c.batch.clone().map(|b| format!("批次 {b}")),
                c.failed_items.clone().map(|f| format!("不合格项目：{f}")),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
            meta: c
                .checked_on
                .map_or_else(String::new, |d| format!("检验日期 {d}")),
        })
        .collect();
    render(
        MePage {
            csrf: csrf.token.clone(),
            notice: notice(done),
            error: draft.top_any().map(str::to_owned),
            draft,
            applications,
            base: explained.map_or(0, |s| s.base),
            factors: super::public::factor_lines(explained),
            trusted,
            listings,
            spot_checks,
            max_files: attachments::MAX_FILES,
            max_megabytes: attachments::MAX_BYTES / (1024 * 1024),
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
                    repair_key: format!("repair-{}", p.id),
                    objection_key: format!("objection-penalty-{}", p.id),
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

/// An application's line with the clerk's reason, which the owner needs most when the
/// answer is no, and the files attached to it.
fn application(
    text: String,
    reason: Option<&str>,
    files: &[AttachmentInfo],
    (kind, id): (&str, i64),
) -> ApplicationLine {
    ApplicationLine {
        text,
        reason: reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned),
        files: files
            .iter()
            .filter(|f| f.owner_kind == kind && f.owner_id == id)
            .cloned()
            .collect(),
    }
}

/// The enterprise's credit-repair applications and objections as lines, the day each
/// penalty becomes repairable, and the penalties with a repair waiting for a decision.
async fn applications_of(
    state: &AppState,
    merchant_id: i64,
) -> Result<
    (
        Vec<ApplicationLine>,
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
    let repairs = credit_repair::Entity::find()
        .filter(credit_repair::Column::MerchantId.eq(merchant_id))
        .order_by_desc(credit_repair::Column::Id)
        .all(&state.db)
        .await?;
    let objections = objection::Entity::find()
        .filter(objection::Column::MerchantId.eq(merchant_id))
        .order_by_desc(objection::Column::Id)
        .all(&state.db)
        .await?;
    let mut files =
        attachments::of(&state.db, "credit_repair", repairs.iter().map(|r| r.id)).await?;
    files.extend(attachments::of(&state.db, "objection", objections.iter().map(|o| o.id)).await?);
    for r in repairs {
        let decision = penalties
            .iter()
            .find(|p| p.id == r.penalty_id)
            .map_or(String::new(), |p| p.decision_no.clone());
        if r.status == "pending" {
            pending.insert(r.penalty_id);
        }
        lines.push(application(
            format!("信用修复 {decision}：{}", status(&r.status)),
            r.decision_reason.as_deref(),
            &files,
            ("credit_repair", r.id),
        ));
    }
    for o in objections {
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
        lines.push(application(
            format!("对{record}的异议：{}", status(&o.status)),
            o.decision_reason.as_deref(),
            &files,
            ("objection", o.id),
        ));
    }
    Ok((lines, repair_from, pending))
}

/// An enterprise's form: checks the CSRF token and the account, runs the change, and
/// returns to `/me` with a notice, or shows the refusal on the page.
async fn enterprise_form<F, Fut, T>(
    state: &AppState,
    page: &PageSession,
    headers: &HeaderMap,
    csrf: &str,
    (key, typed): (String, Vec<(String, String)>),
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
            let draft = Draft::refused(key, &["text"], typed, &e);
            me_page(state, page, headers, None, draft).await
        }
        Err(e) => app_error(e),
    }
}

/// A multipart form as read: its text fields and its files.
struct Posted {
    fields: Vec<(String, String)>,
    files: Vec<attachments::Upload>,
}

impl Posted {
    fn get(&self, key: &str) -> String {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }
}

/// Reads a form sent as `multipart/form-data`: the `evidence` parts are files, the rest
/// text. The server's body limit bounds what is read.
async fn read_form(mut multipart: axum::extract::Multipart) -> Option<Posted> {
    let mut posted = Posted {
        fields: vec![],
        files: vec![],
    };
    while let Some(field) = multipart.next_field().await.ok()? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "evidence" {
            let file_name = field.file_name().unwrap_or("").to_owned();
            let bytes = field.bytes().await.ok()?.to_vec();
            posted.files.push(attachments::Upload { file_name, bytes });
        } else {
            posted.fields.push((name, field.text().await.ok()?));
        }
    }
    Some(posted)
}

/// An enterprise's form with evidence: reads it, checks the CSRF token, the account and
/// the files, runs the change, and returns to `/me` with a notice; a refusal shows the
/// page again with what was typed and the problem beside its field (files must be chosen
/// again: browsers do not let a page fill a file input).
async fn evidence_form<F, Fut, T>(
    state: &AppState,
    page: &PageSession,
    headers: &HeaderMap,
    multipart: axum::extract::Multipart,
    (key_of, fields, done): (fn(&Posted) -> String, &[&'static str], &str),
    run: F,
) -> Response
where
    F: FnOnce(Posted, Vec<attachments::Evidence>, i64, fangxin_core::audit::Actor) -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    let Some(mut posted) = read_form(multipart).await else {
        let draft = Draft::with_problem(
            "upload",
            &[],
            vec![],
            None,
            "上传中断或文件过大，请重新提交。".into(),
        );
        return me_page(state, page, headers, None, draft).await;
    };
    if !Csrf::check(headers, &posted.get("csrf")) {
        return refused();
    }
    let merchant_id = match page.session.own_merchant() {
        Ok(id) => id,
        Err(e) => return app_error(e),
    };
    let key = key_of(&posted);
    let files = std::mem::take(&mut posted.files);
    let typed = posted.fields.clone();
    let result = match attachments::check(files) {
        Ok(evidence) => run(posted, evidence, merchant_id, page.session.actor(None)).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => {
            state.notifier.changed().await;
            redirect(&format!("/me?done={done}"))
        }
        Err(
            e @ (AppError::InvalidInput { .. }
            | AppError::Conflict { .. }
            | AppError::NotFound { .. }),
        ) => {
            let draft = Draft::refused(key, fields, typed, &e);
            me_page(state, page, headers, None, draft).await
        }
        Err(e) => app_error(e),
    }
}

const REPAIR_FIELDS: &[&str] = &["pledge", "evidence", "evidence_text"];
const OBJECTION_FIELDS: &[&str] = &["reason", "evidence"];

/// `POST /me/credit-repairs`: a credit-repair application with its evidence.
pub async fn apply_repair(
    State(state): State<AppState>,
    page: PageSession,
    headers: HeaderMap,
    multipart: axum::extract::Multipart,
) -> Response {
    let db = &state.db;
    evidence_form(
        &state,
        &page,
        &headers,
        multipart,
        (
            |p: &Posted| format!("repair-{}", p.get("penalty_id")),
            REPAIR_FIELDS,
            "repair",
        ),
        |posted, evidence, merchant_id, actor| async move {
            let req = fangxin_core::repairs::Application {
                decision_no: posted.get("decision_no"),
                pledge: posted.get("pledge"),
                evidence: posted.get("evidence_text"),
            };
            fangxin_core::repairs::apply(
                db,
                merchant_id,
                req,
                evidence,
                &actor,
                fangxin_core::clock::now(),
            )
            .await
        },
    )
    .await
}

/// `POST /me/objections`: an objection to one record, with its evidence.
pub async fn file_objection(
    State(state): State<AppState>,
    page: PageSession,
    headers: HeaderMap,
    multipart: axum::extract::Multipart,
) -> Response {
    let db = &state.db;
    evidence_form(
        &state,
        &page,
        &headers,
        multipart,
        (
            |p: &Posted| format!("objection-{}-{}", p.get("record_kind"), p.get("record_id")),
            OBJECTION_FIELDS,
            "objection",
        ),
        |posted, evidence, merchant_id, actor| async move {
            let req = fangxin_core::objections::NewObjection {
                record_kind: posted.get("record_kind"),
                record_id: posted.get("record_id").parse().unwrap_or(0),
                reason: posted.get("reason"),
            };
            fangxin_core::objections::file(
                db,
                merchant_id,
                req,
                evidence,
                &actor,
                fangxin_core::clock::now(),
            )
            .await
        },
    )
    .await
}

/// An attachment sent back as a download, never shown inline: its type is the one its
/// bytes were judged to be, and the browser is told not to guess another.
pub fn download(info: &AttachmentInfo, bytes: Vec<u8>) -> Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let encoded: String = info
        .file_name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, info.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"evidence-{}\"; filename*=UTF-8''{encoded}",
                    info.id
                ),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
            (header::CONTENT_SECURITY_POLICY, "sandbox".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /me/attachments/{id}`: evidence this enterprise attached.
pub async fn my_attachment(
    State(state): State<AppState>,
    page: PageSession,
    Path(id): Path<i64>,
) -> Response {
    let merchant_id = match page.session.own_merchant() {
        Ok(id) => id,
        Err(e) => return app_error(e),
    };
    match attachments::get(&state.db, id, Some(merchant_id)).await {
        Ok((info, bytes)) => download(&info, bytes),
        Err(e) => app_error(e),
    }
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
    let typed = vec![("text".to_owned(), form.text.clone())];
    enterprise_form(
        &state,
        &page,
        &headers,
        &form.csrf,
        (format!("answer-{id}"), typed),
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
