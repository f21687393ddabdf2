//! The logged-in pages: login and logout, the enterprise's own record (`/me`) with its
//! answers to complaints, and the regulator's workbench (`/admin`) with the penalty form.
//! Every form carries a CSRF token; every change goes through the same services as the
//! API, audited the same way.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use fangxin_scoring::domain::{Channel, ComplaintStatus, PenaltyCategory, PenaltyStatus, Role};
use serde::Deserialize;

use super::session::{Csrf, PageSession, RegulatorPage, login_cookie, logout_cookie};
use super::{PageError, error_page, stamp};
use crate::request::ClientAddr;
use crate::state::AppState;
use fangxin_core::error::AppError;

pub(super) fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

pub(super) fn render<T: Template>(page: T, csrf: &Csrf) -> Response {
    match page.render() {
        Ok(html) => csrf.attach(Html(html).into_response()),
        Err(e) => {
            let e = PageError::from(e);
            error_page(e.status, e.title, &e.message)
        }
    }
}

pub(super) fn refused() -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        "无法提交",
        "表单已过期或来源不明。请回到页面重新填写后提交。",
    )
}

pub(super) fn app_error(e: AppError) -> Response {
    let e = PageError::from(e);
    error_page(e.status, e.title, &e.message)
}

/// Only a local path may be the page after login.
fn local(next: &str) -> Option<&str> {
    (next.starts_with('/') && !next.starts_with("//") && !next.contains('\\')).then_some(next)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
    as_of: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let csrf = Csrf::of(&headers, state.settings.server.secure_cookies);
    render(
        LoginPage {
            csrf: csrf.token.clone(),
            next: local(&q.next).unwrap_or("").to_owned(),
            username: String::new(),
            error: None,
            as_of: stamp(Utc::now()),
        },
        &csrf,
    )
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    csrf: String,
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if !Csrf::check(&headers, &form.csrf) {
        return refused();
    }
    let secure = state.settings.server.secure_cookies;
    let csrf = Csrf::of(&headers, secure);
    let again = |message: &str| {
        render(
            LoginPage {
                csrf: csrf.token.clone(),
                next: local(&form.next).unwrap_or("").to_owned(),
                username: form.username.clone(),
                error: Some(message.to_owned()),
                as_of: stamp(Utc::now()),
            },
            &csrf,
        )
    };
    let ip = addr.map(|a| a.ip().to_string()).unwrap_or_default();
    for key in [format!("ip:{ip}"), format!("user:{}", form.username.trim())] {
        if state.login_limiter.check(&key).await.is_err() {
            return again("登录尝试太频繁，请一分钟后再试。");
        }
    }
    let now = Utc::now();
    match fangxin_core::accounts::login(&state.db, &form.username, &form.password, now).await {
        Ok(issued) => {
            let to = local(&form.next)
                .map(str::to_owned)
                .unwrap_or_else(|| match issued.role {
                    Role::Enterprise => "/me".to_owned(),
                    _ => "/admin".to_owned(),
                });
            let mut response = redirect(&to);
            let age = (issued.expires_at - now).num_seconds().max(60);
            if let Some(c) = login_cookie(&issued.token, age, secure) {
                response.headers_mut().append(SET_COOKIE, c);
            }
            response
        }
        Err(AppError::TooManyRequests { message, .. }) => {
            again(&format!("账户已暂时锁定：{message}"))
        }
        Err(AppError::Unauthenticated { .. }) => again("用户名或密码不正确。"),
        Err(e) => app_error(e),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !Csrf::check(&headers, &form.csrf) {
        return refused();
    }
    if let Some(token) = super::session::cookie(&headers, super::session::SESSION_COOKIE) {
        let _ = fangxin_core::accounts::logout(&state.db, &token, Utc::now()).await;
    }
    let mut response = redirect("/");
    if let Some(c) = logout_cookie(state.settings.server.secure_cookies) {
        response.headers_mut().append(SET_COOKIE, c);
    }
    response
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
    in_publicity: bool,
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

#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    done: Option<String>,
}

fn notice(done: Option<&str>) -> Option<String> {
    match done? {
        "answered" => Some("回复已提交，将与投诉统计一起公示。".into()),
        "published" => Some("行政处罚已发布，商户页面和信用分已更新。".into()),
        "warning" => Some("消费警示已发布。".into()),
        "repair" => Some("信用修复申请已提交，等待审核。".into()),
        "decided" => Some("已作出决定，商户和申请人可以看到结果。".into()),
        "objection" => Some("异议已提交，等待审核。".into()),
        "enrolled" => Some("已登记为放心消费单位，商户页面将显示承诺。".into()),
        "trusted" => Some("放心消费单位状态已变更，信用分已重新计算。".into()),
        "listed" => Some("已列入名录，信用分已重新计算。".into()),
        "unlisted" => Some("已移出名录，信用分已重新计算。".into()),
        "matched" => Some("投诉已匹配到商户，该商户的信用分已重新计算。".into()),
        _ => None,
    }
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
    let now = Utc::now();
    let record =
        match fangxin_core::enterprise::record(&state.db, merchant_id, &state.scoring, now).await {
            Ok(r) => r,
            Err(e) => return app_error(e),
        };
    let (applications, repair_from) = match applications_of(state, merchant_id).await {
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

/// The enterprise's credit-repair applications and objections as lines, and the day each
/// penalty becomes repairable.
async fn applications_of(
    state: &AppState,
    merchant_id: i64,
) -> Result<
    (
        Vec<String>,
        std::collections::HashMap<i64, chrono::NaiveDate>,
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
        lines.push(format!("信用修复 {decision}：{}", status(&r.status)));
    }
    for o in objection::Entity::find()
        .filter(objection::Column::MerchantId.eq(merchant_id))
        .order_by_desc(objection::Column::Id)
        .all(&state.db)
        .await?
    {
        lines.push(format!(
            "异议（{} {}）：{}",
            o.record_kind,
            o.record_id,
            status(&o.status)
        ));
    }
    Ok((lines, repair_from))
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
            fangxin_core::repairs::apply(db, merchant_id, req, &actor, Utc::now()).await
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
            fangxin_core::objections::file(db, merchant_id, req, &actor, Utc::now()).await
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
                Utc::now(),
            )
            .await
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    csrf: String,
    username: String,
    notice: Option<String>,
    error: Option<String>,
    unmatched: u64,
    complaints_total: u64,
    claimants_flagged: u64,
    desk: super::console::DeskData,
    categories: Vec<(&'static str, &'static str)>,
    authority: String,
    today: String,
    audit: Vec<(String, String, String)>,
    report: Option<fangxin_core::imports::ImportReport>,
    queue: Vec<QueueItem>,
    as_of: String,
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
        })
        .collect();
    items.extend(objections.into_iter().map(|o| QueueItem {
        anchor: format!("objection-{}", o.id),
        title: format!("异议（{} {}）", o.record_kind, o.record_id),
        merchant: names.get(&o.merchant_id).cloned().unwrap_or_default(),
        filed: when(o.filed_at),
        body: o.reason,
        action: format!("/admin/objections/{}", o.id),
        yes: "accepted",
    }));
    Ok(items)
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    csrf: String,
    decision: String,
    reason: String,
}

/// A regulator's decision from the queue: checks the token and the role, runs it, and
/// returns to the workbench.
async fn regulator_form<F, Fut, T>(
    state: &AppState,
    page: &RegulatorPage,
    headers: &HeaderMap,
    csrf: &str,
    run: F,
) -> Response
where
    F: FnOnce(fangxin_core::audit::Actor) -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    regulator_form_then(
        state,
        page,
        headers,
        csrf,
        |_| "/admin?done=decided".into(),
        run,
    )
    .await
}

/// A regulator's form (the `RegulatorPage` extractor checked the role): checks the CSRF
/// token, runs the change, then goes to
/// the page `then` names for the result; bad input is shown on the workbench in Chinese.
pub(super) async fn regulator_form_then<F, Fut, T>(
    state: &AppState,
    page: &RegulatorPage,
    headers: &HeaderMap,
    csrf: &str,
    then: impl FnOnce(&T) -> String,
    run: F,
) -> Response
where
    F: FnOnce(fangxin_core::audit::Actor) -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    if !Csrf::check(headers, csrf) {
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
        ) => admin_page(state, page, headers, None, Some(super::zh::message(&e))).await,
        Err(e) => app_error(e),
    }
}

pub async fn decide_repair(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let req = fangxin_core::repairs::Decision {
        decision: form.decision,
        reason: form.reason,
    };
    let (db, scoring) = (&state.db, &state.scoring);
    regulator_form(&state, &page, &headers, &form.csrf, |actor| async move {
        fangxin_core::repairs::decide(db, id, req, scoring, &actor, Utc::now()).await
    })
    .await
}

pub async fn decide_objection(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let req = fangxin_core::objections::ObjectionDecision {
        decision: form.decision,
        reason: form.reason,
    };
    let (db, scoring) = (&state.db, &state.scoring);
    regulator_form(&state, &page, &headers, &form.csrf, |actor| async move {
        fangxin_core::objections::decide(db, id, req, scoring, &actor, Utc::now()).await
    })
    .await
}

async fn admin_page(
    state: &AppState,
    page: &RegulatorPage,
    headers: &HeaderMap,
    notice_code: Option<&str>,
    error: Option<String>,
) -> Response {
    admin_page_with(state, page, headers, notice_code, error, None).await
}

async fn admin_page_with(
    state: &AppState,
    page: &RegulatorPage,
    headers: &HeaderMap,
    notice_code: Option<&str>,
    error: Option<String>,
    report: Option<fangxin_core::imports::ImportReport>,
) -> Response {
    let now = Utc::now();
    let calendar = &state.scoring.calendar;
    let unmatched = fangxin_core::complaints::list(
        &state.db,
        fangxin_core::complaints::ComplaintFilter {
            status: None,
            unmatched: true,
            page: Some(1),
            per_page: Some(1),
        },
        None,
        calendar,
        now,
    )
    .await
    .map(|p| p.total)
    .unwrap_or(0);
    let complaints_total = fangxin_core::complaints::list(
        &state.db,
        fangxin_core::complaints::ComplaintFilter {
            status: None,
            unmatched: false,
            page: Some(1),
            per_page: Some(1),
        },
        None,
        calendar,
        now,
    )
    .await
    .map(|p| p.total)
    .unwrap_or(0);
    let desk = match super::console::desk_data(state, now).await {
        Ok(d) => d,
        Err(e) => return app_error(e),
    };
    let claimants_flagged = fangxin_core::claimants::counts(&state.db)
        .await
        .map(|c| c.get("flagged").copied().unwrap_or(0))
        .unwrap_or(0);
    let audit = fangxin_core::audit::list(
        &state.db,
        fangxin_core::audit::AuditFilter {
            per_page: Some(10),
            ..Default::default()
        },
    )
    .await
    .map(|p| {
        p.entries
            .into_iter()
            .map(|e| {
                (
                    e.at.with_timezone(&fangxin_core::clock::offset())
                        .format("%m-%d %H:%M")
                        .to_string(),
                    e.action,
                    format!("{} {}", e.entity, e.entity_id),
                )
            })
            .collect()
    })
    .unwrap_or_default();
    let queue = match pending_queue(state).await {
        Ok(q) => q,
        Err(e) => return app_error(e),
    };
    let csrf = Csrf::of(headers, state.settings.server.secure_cookies);
    render(
        AdminPage {
            csrf: csrf.token.clone(),
            username: page.0.session.username.clone(),
            notice: notice(notice_code),
            error,
            unmatched,
            complaints_total,
            claimants_flagged,
            desk,
            categories: PenaltyCategory::ALL
                .iter()
                .map(|c| (c.code(), c.label_zh()))
                .collect(),
            authority: "昆明市五华区市场监督管理局".into(),
            today: fangxin_core::clock::today(now).to_string(),
            audit,
            report,
            queue,
            as_of: stamp(now),
        },
        &csrf,
    )
}

pub async fn admin(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Query(q): Query<Notice>,
) -> Response {
    admin_page(&state, &page, &headers, q.done.as_deref(), None).await
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
    let decided_on = match get("decided_on").parse() {
        Ok(d) => d,
        Err(_) => {
            return admin_page(
                &state,
                &page,
                &headers,
                None,
                Some("决定日期格式应为 年-月-日。".into()),
            )
            .await;
        }
    };
    let fine = get("fine_yuan");
    let req = fangxin_core::penalties::PublishPenalty {
        decision_no: get("decision_no"),
        uscc: get("uscc"),
        categories: pairs
            .iter()
            .filter(|(k, _)| k == "categories")
            .map(|(_, v)| v.clone())
            .collect(),
        fine_yuan: (!fine.is_empty()).then_some(fangxin_core::yuan::Yuan::Text(fine)),
        confiscated_yuan: None,
        violation_type: get("violation_type"),
        facts: get("facts"),
        legal_basis: get("legal_basis"),
        authority: get("authority"),
        decided_on,
        procedure: get("procedure"),
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
        Utc::now(),
    )
    .await
    {
        Ok(_) => {
            state.notifier.changed().await;
            redirect("/admin?done=published")
        }
        Err(
            e @ (AppError::InvalidInput { .. }
            | AppError::InvalidUscc(_)
            | AppError::MerchantNotFound(_)
            | AppError::Conflict { .. }),
        ) => admin_page(&state, &page, &headers, None, Some(super::zh::message(&e))).await,
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
    let req = fangxin_core::warnings::NewWarning {
        title: form.title,
        body: form.body,
        category: form.category,
        published_on: None,
    };
    match fangxin_core::warnings::publish(&state.db, req, &page.0.session.actor(None), Utc::now())
        .await
    {
        Ok(_) => redirect("/admin?done=warning"),
        Err(e @ AppError::InvalidInput { .. }) => {
            admin_page(&state, &page, &headers, None, Some(super::zh::message(&e))).await
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
    let spool = match fangxin_core::imports::Spool::new(&state.settings.data_dir.join("imports")) {
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
                return admin_page(
                    &state,
                    &page,
                    &headers,
                    None,
                    Some("上传中断，请重新选择文件。".into()),
                )
                .await;
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
                                return admin_page(
                                    &state,
                                    &page,
                                    &headers,
                                    None,
                                    Some(format!(
                                        "文件超过 {max} 字节，请用命令行 fangxin import 导入。"
                                    )),
                                )
                                .await;
                            }
                            if file.write_all(&chunk).await.is_err() {
                                return app_error(AppError::Internal(anyhow::anyhow!(
                                    "import spool"
                                )));
                            }
                        }
                        Ok(None) => break,
                        Err(_) => {
                            return admin_page(
                                &state,
                                &page,
                                &headers,
                                None,
                                Some("上传中断，请重新选择文件。".into()),
                            )
                            .await;
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
        return admin_page(
            &state,
            &page,
            &headers,
            None,
            Some("请选择导入内容，并上传 .csv 或 .ndjson 文件。".into()),
        )
        .await;
    };
    let ctx = fangxin_core::imports::ImportContext {
        scoring: &state.scoring,
        lower_amount_threshold_fen: state.settings.penalties.lower_amount_threshold_yuan * 100,
        max_reported_errors: state.settings.imports.max_reported_errors,
    };
    let actor = page.0.session.actor(None);
    match fangxin_core::imports::run(
        &state.db,
        kind,
        format,
        &spool.path(),
        &ctx,
        &actor,
        Utc::now(),
        &|_| {},
    )
    .await
    {
        Ok(report) => {
            if report.accepted {
                state.notifier.changed().await;
            }
            admin_page_with(&state, &page, &headers, None, None, Some(report)).await
        }
        Err(e) => app_error(e),
    }
}
