//! The regulator's workbench (`/admin`, what waits for the clerk), the applications to
//! decide, the penalty and warning forms, and file imports with a row-by-row report.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use fangxin_scoring::domain::PenaltyCategory;
use serde::Deserialize;

use super::super::session::{Csrf, RegulatorPage};
use super::super::stamp;
use super::frame::{Draft, Frame, Section};
use crate::state::AppState;
use fangxin_core::error::AppError;

use super::super::forms::{Notice, app_error, redirect, refused, render};

/// What waits for the clerk: the queues' counts.
pub struct Desk {
    pub new: u64,
    pub mine: u64,
    pub overdue: u64,
    pub unmatched: u64,
    pub applications: u64,
    pub claimants: u64,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct DeskPage {
    frame: Frame,
    desk: Desk,
    /// When, who, what, which record.
    audit: Vec<(String, String, String, String)>,
    as_of: String,
}

#[derive(Template)]
#[template(path = "console_applications.html")]
struct ApplicationsPage {
    frame: Frame,
    queue: Vec<QueueItem>,
    draft: Draft,
    as_of: String,
}

#[derive(Template)]
#[template(path = "console_penalties.html")]
struct PenaltiesPage {
    frame: Frame,
    categories: Vec<(&'static str, &'static str)>,
    /// The penalty form as the clerk left it: blank with defaults, or what was typed
    /// with the problem beside its field.
    penalty: PenaltyForm,
    as_of: String,
}

#[derive(Template)]
#[template(path = "console_warnings.html")]
struct WarningsPage {
    frame: Frame,
    warning: WarningDraft,
    as_of: String,
}

#[derive(Template)]
#[template(path = "console_imports.html")]
struct ImportsPage {
    frame: Frame,
    /// The kind last imported, chosen again.
    kind: String,
    report: Option<fangxin_core::imports::ImportReport>,
    /// The report's problems in Chinese: line, column, what is wrong.
    problems: Vec<(u64, String, String)>,
    /// Only the header is at fault: no row was read.
    header_only: bool,
    as_of: String,
}

/// A refused form's one problem: the field it belongs to (a form field's name), when one
/// does, and the Chinese message. Shown beside that field, or at the top of the form.
#[derive(Debug, Clone, Default)]
pub struct FieldProblem {
    pub field: Option<&'static str>,
    pub message: Option<String>,
    /// The fields the form shows problems beside.
    fields: &'static [&'static str],
}

impl FieldProblem {
    /// The problem of a refused submission, placed by its field.
    fn of(fields: &'static [&'static str], field: Option<&'static str>, message: String) -> Self {
        FieldProblem {
            field,
            message: Some(message),
            fields,
        }
    }

    fn is_some(&self) -> bool {
        self.message.is_some()
    }

    /// The problem to show beside `field`.
    fn at(&self, field: &str) -> Option<&str> {
        (self.field == Some(field))
            .then_some(self.message.as_deref())
            .flatten()
    }

    /// The problem to show at the top of the form (and the page): one no field owns.
    fn general(&self) -> Option<&str> {
        match self.field {
            Some(f) if self.fields.contains(&f) => None,
            _ => self.message.as_deref(),
        }
    }
}

/// The penalty form's values, kept across a refused submission so that nothing typed is
/// lost.
#[derive(Debug, Clone, Default)]
pub struct PenaltyForm {
    pub decision_no: String,
    pub uscc: String,
    pub categories: Vec<String>,
    pub fine_yuan: String,
    pub violation_type: String,
    pub facts: String,
    pub legal_basis: String,
    pub authority: String,
    pub decided_on: String,
    pub procedure: String,
    pub problem: FieldProblem,
}

/// The authority the console's forms suggest.
const AUTHORITY: &str = "昆明市五华区市场监督管理局";

impl PenaltyForm {
    fn blank(today: String) -> Self {
        PenaltyForm {
            authority: AUTHORITY.into(),
            decided_on: today,
            procedure: "ordinary".into(),
            ..Default::default()
        }
    }

    fn has(&self, category: &str) -> bool {
        self.categories.iter().any(|c| c == category)
    }
}

/// The penalty form's fields that can show a problem beside them.
const PENALTY_FIELDS: &[&str] = &[
    "decision_no",
    "uscc",
    "categories",
    "fine_yuan",
    "violation_type",
    "facts",
    "legal_basis",
    "authority",
    "decided_on",
    "procedure",
];

/// The warning form's values, kept like the penalty form's.
#[derive(Debug, Clone)]
pub struct WarningDraft {
    pub title: String,
    pub category: String,
    pub body: String,
    pub problem: FieldProblem,
}

impl Default for WarningDraft {
    fn default() -> Self {
        WarningDraft {
            title: String::new(),
            category: "消费警示".into(),
            body: String::new(),
            problem: FieldProblem::default(),
        }
    }
}

const WARNING_FIELDS: &[&str] = &["title", "category", "body"];

/// An import report's problems as a clerk reads them.
fn problems_zh(report: &fangxin_core::imports::ImportReport) -> Vec<(u64, String, String)> {
    report
        .errors
        .iter()
        .map(|e| {
            let column = match e.column.as_deref() {
                None => "—".to_owned(),
                Some(c) => match crate::portal::zh::column_zh(c) {
                    "" => c.to_owned(),
                    zh => format!("{zh}（{c}）"),
                },
            };
            let message = crate::portal::zh::import_problem(report.kind, e)
                .unwrap_or_else(|| format!("这一行有误（{}）。", e.code));
            (e.line, column, message)
        })
        .collect()
}

/// A pending application for the regulator to decide.
pub struct QueueItem {
    anchor: String,
    title: String,
    merchant: String,
    filed: String,
    body: String,
    action: String,
    /// The value that grants it (`approved` for repairs, `accepted` for objections).
    yes: &'static str,
    /// The evidence attached.
    files: Vec<fangxin_core::attachments::AttachmentInfo>,
}

fn files_of(
    files: &[fangxin_core::attachments::AttachmentInfo],
    kind: &str,
    id: i64,
) -> Vec<fangxin_core::attachments::AttachmentInfo> {
    files
        .iter()
        .filter(|f| f.owner_kind == kind && f.owner_id == id)
        .cloned()
        .collect()
}

/// `GET /admin/attachments/{id}`: evidence an enterprise attached, as a download.
pub async fn attachment(
    State(state): State<AppState>,
    _: RegulatorPage,
    Path(id): Path<i64>,
) -> Response {
    match fangxin_core::attachments::get(&state.db, id, None).await {
        Ok((info, bytes)) => crate::portal::enterprise::download(&info, bytes),
        Err(e) => app_error(e),
    }
}

async fn pending_queue(state: &AppState) -> Result<Vec<QueueItem>, AppError> {
    use fangxin_core::store::entities::{credit_repair, merchant, objection, penalty};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    let repairs = credit_repair::Entity::find()
        .filter(credit_repair::Column::Status.eq("pending"))
        .order_by_asc(credit_repair::Column::FiledAt)
        .limit(50)
        .all(&state.db)
        .await?;
    let objections = objection::Entity::find()
        .filter(objection::Column::Status.eq("pending"))
        .order_by_asc(objection::Column::FiledAt)
        .limit(50)
        .all(&state.db)
        .await?;
    let mut files =
        fangxin_core::attachments::of(&state.db, "credit_repair", repairs.iter().map(|r| r.id))
            .await?;
    files.extend(
        fangxin_core::attachments::of(&state.db, "objection", objections.iter().map(|o| o.id))
            .await?,
    );
    let merchant_ids: Vec<i64> = repairs
        .iter()
        .map(|r| r.merchant_id)
        .chain(objections.iter().map(|o| o.merchant_id))
        .collect();
    let names: std::collections::HashMap<i64, String> = merchant::Entity::find()
        .filter(merchant::Column::Id.is_in(merchant_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.sign_name.unwrap_or(m.name)))
        .collect();
    let decisions: std::collections::HashMap<i64, String> = penalty::Entity::find()
        .filter(penalty::Column::Id.is_in(repairs.iter().map(|r| r.penalty_id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.decision_no))
        .collect();
    let when = |t: chrono::DateTime<Utc>| {
        t.with_timezone(&fangxin_core::clock::offset())
            .format("%Y-%m-%d")
            .to_string()
    };
    let mut items: Vec<QueueItem> = repairs
        .into_iter()
        .map(|r| QueueItem {
            anchor: format!("repair-{}", r.id),
            title: format!(
                "信用修复申请 {}",
                decisions.get(&r.penalty_id).cloned().unwrap_or_default()
            ),
            merchant: names.get(&r.merchant_id).cloned().unwrap_or_default(),
            filed: when(r.filed_at),
            body: format!("承诺：{} 整改：{}", r.pledge, r.evidence),
            action: format!("/admin/credit-repairs/{}", r.id),
            yes: "approved",
            files: files_of(&files, "credit_repair", r.id),
        })
        .collect();
    items.extend(objections.into_iter().map(|o| QueueItem {
        anchor: format!("objection-{}", o.id),
        title: format!(
            "异议：{}（记录 {}）",
            crate::portal::zh::record_kind_zh(&o.record_kind),
            o.record_id
        ),
        merchant: names.get(&o.merchant_id).cloned().unwrap_or_default(),
        filed: when(o.filed_at),
        body: o.reason,
        action: format!("/admin/objections/{}", o.id),
        yes: "accepted",
        files: files_of(&files, "objection", o.id),
    }));
    Ok(items)
}

/// The page a refused console form is shown again on, with what was typed.
#[derive(Debug, Clone, Copy)]
pub enum Back {
    Applications,
    Trusted,
    Listings,
    SpotChecks,
}

/// Shows `back` again with the refused form's draft.
async fn show(
    state: &AppState,
    page: &RegulatorPage,
    headers: &HeaderMap,
    back: Back,
    draft: Draft,
) -> Response {
    match back {
        Back::Applications => applications_page(state, page, headers, None, draft).await,
        Back::Trusted => super::programmes::trusted_page(state, page, headers, None, draft).await,
        Back::Listings => super::programmes::listings_page(state, page, headers, None, draft).await,
        Back::SpotChecks => {
            super::programmes::spot_checks_page(state, page, headers, None, draft).await
        }
    }
}

/// A console form as it was posted: which page it is on, which form of that page, the
/// fields it shows problems beside, and what was typed.
pub struct Posted {
    pub back: Back,
    pub form: String,
    pub fields: &'static [&'static str],
    pub pairs: Vec<(String, String)>,
}

impl Posted {
    fn csrf(&self) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == "csrf")
            .map_or("", |(_, v)| v.as_str())
    }
}

/// A regulator's form (the `RegulatorPage` extractor checked the role): checks the CSRF
/// token, runs the change, then goes to the page `then` names for the result. Bad input
/// shows the form's page again with what was typed and the problem, in Chinese, beside
/// its field.
pub(super) async fn regulator_form_then<F, Fut, T>(
    state: &AppState,
    page: &RegulatorPage,
    headers: &HeaderMap,
    posted: Posted,
    then: impl FnOnce(&T) -> String,
    run: F,
) -> Response
where
    F: FnOnce(fangxin_core::audit::Actor) -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    if !Csrf::check(headers, posted.csrf()) {
        return refused();
    }
    match run(page.0.session.actor(None)).await {
        Ok(done) => {
            state.notifier.changed().await;
            redirect(&then(&done))
        }
        Err(
            e @ (AppError::InvalidInput { .. }
            | AppError::Conflict { .. }
            | AppError::NotFound { .. }
            | AppError::InvalidUscc(_)
            | AppError::MerchantNotFound(_)),
        ) => {
            let draft = Draft::refused(posted.form, posted.fields, posted.pairs, &e);
            show(state, page, headers, posted.back, draft).await
        }
        Err(e) => app_error(e),
    }
}

/// The decision form's fields.
const DECISION_FIELDS: &[&str] = &["decision", "reason"];

/// A decision on an application, from the applications page.
async fn decide<F, Fut, T>(
    state: &AppState,
    page: &RegulatorPage,
    headers: &HeaderMap,
    anchor: String,
    pairs: Vec<(String, String)>,
    run: F,
) -> Response
where
    F: FnOnce(String, String, fangxin_core::audit::Actor) -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let (decision, reason) = (get("decision"), get("reason"));
    let posted = Posted {
        back: Back::Applications,
        form: anchor,
        fields: DECISION_FIELDS,
        pairs,
    };
    regulator_form_then(
        state,
        page,
        headers,
        posted,
        |_| "/admin/applications?done=decided".into(),
        |actor| run(decision, reason, actor),
    )
    .await
}

pub async fn decide_repair(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (db, scoring) = (&state.db, &state.scoring);
    let anchor = format!("repair-{id}");
    decide(
        &state,
        &page,
        &headers,
        anchor,
        pairs,
        |decision, reason, actor| async move {
            let req = fangxin_core::repairs::Decision { decision, reason };
            fangxin_core::repairs::decide(db, id, req, scoring, &actor, fangxin_core::clock::now())
                .await
        },
    )
    .await
}

pub async fn decide_objection(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (db, scoring) = (&state.db, &state.scoring);
    let anchor = format!("objection-{id}");
    decide(
        &state,
        &page,
        &headers,
        anchor,
        pairs,
        |decision, reason, actor| async move {
            let req = fangxin_core::objections::ObjectionDecision { decision, reason };
            fangxin_core::objections::decide(
                db,
                id,
                req,
                scoring,
                &actor,
                fangxin_core::clock::now(),
            )
            .await
        },
    )
    .await
}

/// `GET /admin`: what waits for the clerk, and what was done last.
pub async fn admin(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Query(q): Query<Notice>,
) -> Response {
    let now = fangxin_core::clock::now();
    let me = page.0.session.account_id;
    let loaded = async {
        let counts = super::complaints::queue_counts(&state, me, now).await?;
        let applications = pending_queue(&state).await?.len() as u64;
        let claimants = fangxin_core::claimants::counts(&state.db)
            .await?
            .get("flagged")
            .copied()
            .unwrap_or(0);
        let log = fangxin_core::audit::list(
            &state.db,
            fangxin_core::audit::AuditFilter {
                per_page: Some(10),
                ..Default::default()
            },
        )
        .await?;
        let names =
            super::programmes::actor_names(&state, log.rows.iter().filter_map(|e| e.actor_id))
                .await?;
        Ok::<_, AppError>((counts, applications, claimants, log.rows, names))
    }
    .await;
    let (counts, applications, claimants, log, names) = match loaded {
        Ok(l) => l,
        Err(e) => return app_error(e),
    };
    use super::complaints::{Queue, count_of};
    let desk = Desk {
        new: count_of(&counts, Queue::New),
        mine: count_of(&counts, Queue::Mine),
        overdue: count_of(&counts, Queue::Overdue),
        unmatched: count_of(&counts, Queue::Unmatched),
        applications,
        claimants,
    };
    let audit = log
        .into_iter()
        .map(|e| {
            (
                e.at.with_timezone(&fangxin_core::clock::offset())
                    .format("%m-%d %H:%M")
                    .to_string(),
                super::programmes::actor_zh(&e.actor_role, e.actor_id, &names),
                crate::portal::zh::audit_action_zh(&e.action),
                format!(
                    "{} {}",
                    crate::portal::zh::entity_zh(&e.entity).unwrap_or(&e.entity),
                    e.subject.unwrap_or(e.entity_id)
                ),
            )
        })
        .collect();
    let (frame, csrf) = Frame::of(&state, &page, &headers, Section::Desk);
    render(
        DeskPage {
            frame: frame.with_notice(q.done.as_deref()),
            desk,
            audit,
            as_of: stamp(now),
        },
        &csrf,
    )
}

async fn applications_page(
    state: &AppState,
    page: &RegulatorPage,
    headers: &HeaderMap,
    notice_code: Option<&str>,
    draft: Draft,
) -> Response {
    let queue = match pending_queue(state).await {
        Ok(q) => q,
        Err(e) => return app_error(e),
    };
    let (frame, csrf) = Frame::of(state, page, headers, Section::Applications);
    render(
        ApplicationsPage {
            frame: frame.with_notice(notice_code),
            queue,
            draft,
            as_of: stamp(fangxin_core::clock::now()),
        },
        &csrf,
    )
}

/// `GET /admin/applications`: credit repairs and objections waiting for a decision.
pub async fn applications(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Query(q): Query<Notice>,
) -> Response {
    applications_page(&state, &page, &headers, q.done.as_deref(), Draft::none()).await
}

fn penalties_page(
    state: &AppState,
    page: &RegulatorPage,
    headers: &HeaderMap,
    notice_code: Option<&str>,
    error: Option<String>,
    penalty: Option<PenaltyForm>,
) -> Response {
    let now = fangxin_core::clock::now();
    let (frame, csrf) = Frame::of(state, page, headers, Section::Penalties);
    render(
        PenaltiesPage {
            frame: frame.with_notice(notice_code).with_error(error),
            categories: PenaltyCategory::ALL
                .iter()
                .map(|c| (c.code(), c.label_zh()))
                .collect(),
            penalty: penalty
                .unwrap_or_else(|| PenaltyForm::blank(fangxin_core::clock::today(now).to_string())),
            as_of: stamp(now),
        },
        &csrf,
    )
}

/// `GET /admin/penalties`: the form that publishes a decision.
pub async fn penalties(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Query(q): Query<Notice>,
) -> Response {
    penalties_page(&state, &page, &headers, q.done.as_deref(), None, None)
}

fn warnings_page(
    state: &AppState,
    page: &RegulatorPage,
    headers: &HeaderMap,
    notice_code: Option<&str>,
    error: Option<String>,
    warning: Option<WarningDraft>,
) -> Response {
    let (frame, csrf) = Frame::of(state, page, headers, Section::Warnings);
    render(
        WarningsPage {
            frame: frame.with_notice(notice_code).with_error(error),
            warning: warning.unwrap_or_default(),
            as_of: stamp(fangxin_core::clock::now()),
        },
        &csrf,
    )
}

/// `GET /admin/warnings`: the form that publishes a consumer warning.
pub async fn warnings(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Query(q): Query<Notice>,
) -> Response {
    warnings_page(&state, &page, &headers, q.done.as_deref(), None, None)
}

fn imports_page(
    state: &AppState,
    page: &RegulatorPage,
    headers: &HeaderMap,
    error: Option<String>,
    report: Option<fangxin_core::imports::ImportReport>,
) -> Response {
    let (frame, csrf) = Frame::of(state, page, headers, Section::Imports);
    render(
        ImportsPage {
            frame: frame.with_error(error),
            kind: report
                .as_ref()
                .map_or("complaints", |r| r.kind.code())
                .to_owned(),
            problems: report.as_ref().map(problems_zh).unwrap_or_default(),
            header_only: report
                .as_ref()
                .is_some_and(|r| !r.errors.is_empty() && r.errors.iter().all(|e| e.line <= 1)),
            report,
            as_of: stamp(fangxin_core::clock::now()),
        },
        &csrf,
    )
}

/// `GET /admin/imports`: the upload form and the templates.
pub async fn imports(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
) -> Response {
    imports_page(&state, &page, &headers, None, None)
}

/// The penalty form: `categories` repeats, so the body is read as pairs.
pub async fn publish_penalty(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    if !Csrf::check(&headers, &get("csrf")) {
        return refused();
    }
    let categories: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "categories")
        .map(|(_, v)| v.clone())
        .collect();
    let mut form = PenaltyForm {
        decision_no: get("decision_no"),
        uscc: get("uscc"),
        categories: categories.clone(),
        fine_yuan: get("fine_yuan"),
        violation_type: get("violation_type"),
        facts: get("facts"),
        legal_basis: get("legal_basis"),
        authority: get("authority"),
        decided_on: get("decided_on"),
        procedure: get("procedure"),
        problem: FieldProblem::default(),
    };
    let decided_on = match form.decided_on.parse() {
        Ok(d) => d,
        Err(_) => {
            form.problem = FieldProblem::of(
                PENALTY_FIELDS,
                Some("decided_on"),
                "决定日期格式应为 年-月-日。".into(),
            );
            return penalties_page(&state, &page, &headers, None, None, Some(form));
        }
    };
    let req = fangxin_core::penalties::PublishPenalty {
        decision_no: form.decision_no.clone(),
        uscc: form.uscc.clone(),
        categories,
        fine_yuan: (!form.fine_yuan.is_empty())
            .then(|| fangxin_core::yuan::Yuan::Text(form.fine_yuan.clone())),
        confiscated_yuan: None,
        violation_type: form.violation_type.clone(),
        facts: form.facts.clone(),
        legal_basis: form.legal_basis.clone(),
        authority: form.authority.clone(),
        decided_on,
        procedure: form.procedure.clone(),
        ban_months: None,
        serious: false,
        special_sector: false,
        content: None,
    };
    let actor = page.0.session.actor(None);
    match fangxin_core::penalties::publish(
        &state.db,
        req,
        &state.scoring,
        state.settings.penalties.lower_amount_threshold_yuan * 100,
        &actor,
        fangxin_core::clock::now(),
    )
    .await
    {
        Ok(_) => {
            state.notifier.changed().await;
            redirect("/admin/penalties?done=published")
        }
        Err(
            e @ (AppError::InvalidInput { .. }
            | AppError::InvalidUscc(_)
            | AppError::MerchantNotFound(_)
            | AppError::Conflict { .. }),
        ) => {
            let field = match e.code() {
                "penalty_exists" | "decision_no_changed" => Some("decision_no"),
                "missing_amount" | "inconsistent_amount" | "invalid_amount" => Some("fine_yuan"),
                _ => e.field(),
            };
            form.problem = FieldProblem::of(PENALTY_FIELDS, field, super::super::zh::message(&e));
            // A problem no field owns shows at the top too: no field takes the focus.
            let top = form.problem.general().map(str::to_owned);
            penalties_page(&state, &page, &headers, None, top, Some(form))
        }
        Err(e) => app_error(e),
    }
}

#[derive(Debug, Deserialize)]
pub struct WarningForm {
    csrf: String,
    title: String,
    category: String,
    body: String,
}

pub async fn publish_warning(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Form(form): Form<WarningForm>,
) -> Response {
    if !Csrf::check(&headers, &form.csrf) {
        return refused();
    }
    let mut draft = WarningDraft {
        title: form.title.clone(),
        category: form.category.clone(),
        body: form.body.clone(),
        problem: FieldProblem::default(),
    };
    let req = fangxin_core::warnings::NewWarning {
        title: form.title,
        body: form.body,
        category: form.category,
        published_on: None,
    };
    match fangxin_core::warnings::publish(
        &state.db,
        req,
        &page.0.session.actor(None),
        fangxin_core::clock::now(),
    )
    .await
    {
        Ok(_) => redirect("/admin/warnings?done=warning"),
        Err(e @ AppError::InvalidInput { .. }) => {
            draft.problem =
                FieldProblem::of(WARNING_FIELDS, e.field(), super::super::zh::message(&e));
            let top = draft.problem.general().map(str::to_owned);
            warnings_page(&state, &page, &headers, None, top, Some(draft))
        }
        Err(e) => app_error(e),
    }
}

/// An import file uploaded from the workbench: spooled to disk, imported all or nothing,
/// and its report shown row by row.
pub async fn upload_import(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    mut multipart: axum::extract::Multipart,
) -> Response {
    use tokio::io::AsyncWriteExt;
    let spool = match fangxin_core::imports::Spool::new(&state.settings.imports_dir()) {
        Ok(s) => s,
        Err(e) => return app_error(e),
    };
    let (mut csrf, mut kind, mut format, mut received) = (String::new(), None, None, 0u64);
    let max = state.settings.imports.max_file_bytes;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return imports_page(
                    &state,
                    &page,
                    &headers,
                    Some("上传中断，请重新选择文件。".into()),
                    None,
                );
            }
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("kind") => {
                kind = fangxin_core::imports::Kind::parse(
                    field.text().await.unwrap_or_default().trim(),
                )
            }
            Some("file") => {
                // The form sends its token first; nothing is spooled without it.
                if !Csrf::check(&headers, &csrf) {
                    return refused();
                }
                format = field
                    .file_name()
                    .and_then(|n| fangxin_core::imports::Format::from_path(std::path::Path::new(n)))
                    .or_else(|| {
                        field
                            .content_type()
                            .and_then(fangxin_core::imports::Format::from_content_type)
                    });
                let Ok(mut file) = tokio::fs::File::create(spool.path()).await else {
                    return app_error(AppError::Internal(anyhow::anyhow!("import spool")));
                };
                let mut field = field;
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            received += chunk.len() as u64;
                            if received > max {
                                return imports_page(
                                    &state,
                                    &page,
                                    &headers,
                                    Some(format!(
                                        "文件超过 {max} 字节，请用命令行 fangxin import 导入。"
                                    )),
                                    None,
                                );
                            }
                            if file.write_all(&chunk).await.is_err() {
                                return app_error(AppError::Internal(anyhow::anyhow!(
                                    "import spool"
                                )));
                            }
                        }
                        Ok(None) => break,
                        Err(_) => {
                            return imports_page(
                                &state,
                                &page,
                                &headers,
                                Some("上传中断，请重新选择文件。".into()),
                                None,
                            );
                        }
                    }
                }
                let _ = file.flush().await;
            }
            _ => {}
        }
    }
    if !Csrf::check(&headers, &csrf) {
        return refused();
    }
    let (Some(kind), Some(format)) = (kind, format) else {
        return imports_page(
            &state,
            &page,
            &headers,
            Some("请选择导入内容，并上传 .csv 或 .ndjson 文件。".into()),
            None,
        );
    };
    let ctx = state.settings.import_context(&state.scoring);
    let actor = page.0.session.actor(None);
    match fangxin_core::imports::run(
        &state.db,
        kind,
        format,
        &spool.path(),
        &ctx,
        &actor,
        fangxin_core::clock::now(),
        &|_| {},
    )
    .await
    {
        Ok(report) => {
            if report.accepted {
                state.notifier.changed().await;
            }
            imports_page(&state, &page, &headers, None, Some(report))
        }
        Err(e) => app_error(e),
    }
}

/// `GET /admin/imports/template/{kind}`: a CSV to start an import from.
pub async fn import_template(
    _page: RegulatorPage,
    axum::extract::Path(kind): axum::extract::Path<String>,
) -> Response {
    let kind = kind.trim_end_matches(".csv");
    let Some(kind) = fangxin_core::imports::Kind::parse(kind) else {
        return crate::portal::error_page(
            axum::http::StatusCode::NOT_FOUND,
            "没有这种模板",
            "可下载的模板：投诉举报、行政处罚、商户登记。",
        );
    };
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"fangxin-{}-template.csv\"",
                    kind.code()
                ),
            ),
        ],
        kind.template(),
    )
        .into_response()
}
