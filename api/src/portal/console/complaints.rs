//! The console's complaint desk: the queues (new, mine, overdue, unmatched, open, all), a
//! complaint's page with its deadline and history, every lifecycle move with its reason,
//! who handles it, matching to a merchant by name, and one move for a selection. Every
//! form goes through the same service as the API, audited the same way.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use fangxin_core::complaints::{self, ComplaintFilter, ComplaintView};
use fangxin_core::error::{AppError, AppResult};
use fangxin_scoring::domain::{Channel, ComplaintCategory, ComplaintKind, ComplaintStatus};
use serde::Deserialize;

use super::frame::{Draft, Frame, Section};
use super::programmes::{actor_names, actor_zh};
use crate::portal::forms::{app_error, redirect, refused, render};
use crate::portal::session::{Csrf, RegulatorPage};
use crate::portal::stamp;
use crate::state::AppState;

/// Complaints a queue page shows.
const PER_PAGE: u64 = 50;
/// The most overdue complaints the overdue queue lists (it is sorted by lateness, not
/// paged).
const OVERDUE_ROWS: usize = 200;
/// The most complaints one bulk move takes.
const BULK_MAX: usize = 200;

/// The queues a clerk works from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    New,
    Mine,
    Overdue,
    Unmatched,
    Open,
    All,
}

impl Queue {
    const ALL: [Queue; 6] = [
        Queue::New,
        Queue::Mine,
        Queue::Overdue,
        Queue::Unmatched,
        Queue::Open,
        Queue::All,
    ];

    fn parse(s: &str) -> Queue {
        Queue::ALL
            .into_iter()
            .find(|q| q.code() == s)
            .unwrap_or(Queue::New)
    }

    fn code(self) -> &'static str {
        match self {
            Queue::New => "new",
            Queue::Mine => "mine",
            Queue::Overdue => "overdue",
            Queue::Unmatched => "unmatched",
            Queue::Open => "open",
            Queue::All => "all",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Queue::New => "新收到",
            Queue::Mine => "我的",
            Queue::Overdue => "逾期",
            Queue::Unmatched => "待匹配",
            Queue::Open => "办理中",
            Queue::All => "全部",
        }
    }

    fn explain(self) -> &'static str {
        match self {
            Queue::New => {
                "收到后尚未决定是否受理的，最新的在前。投诉须在收到之日起 7 个工作日内决定是否受理。"
            }
            Queue::Mine => "由我承办、尚未办结的，最新的在前。",
            Queue::Overdue => "超过本阶段法定期限仍未办结的，逾期最久的在前。",
            Queue::Unmatched => "只有商户名称、尚未确认是哪家商户的。匹配后才计入该商户的信用分。",
            Queue::Open => "已收到、已受理或调解中的，最新的在前。",
            Queue::All => "全部投诉、举报和咨询，最新的在前。",
        }
    }

    fn filter(self, me: i64, page: u64, per_page: u64) -> ComplaintFilter {
        let mut f = ComplaintFilter {
            page: Some(page),
            per_page: Some(per_page),
            ..Default::default()
        };
        match self {
            Queue::New => f.status = Some(ComplaintStatus::Received.code().into()),
            Queue::Mine => {
                f.assignee_id = Some(me);
                f.open = true;
            }
            Queue::Unmatched => f.unmatched = true,
            Queue::Open => f.open = true,
            Queue::Overdue | Queue::All => {}
        }
        f
    }
}

/// How many complaints each queue holds, for the tabs and the workbench.
pub async fn queue_counts(
    state: &AppState,
    me: i64,
    now: DateTime<Utc>,
) -> AppResult<Vec<(Queue, u64)>> {
    let calendar = &state.scoring.calendar;
    let mut out = Vec::with_capacity(Queue::ALL.len());
    for q in Queue::ALL {
        let n = match q {
            Queue::Overdue => complaints::overdue(&state.db, calendar, 0, now).await?.0,
            _ => {
                complaints::list(&state.db, q.filter(me, 1, 1), None, calendar, now)
                    .await?
                    .total
            }
        };
        out.push((q, n));
    }
    Ok(out)
}

/// The count of one queue among `counts`.
pub fn count_of(counts: &[(Queue, u64)], queue: Queue) -> u64 {
    counts
        .iter()
        .find(|(q, _)| *q == queue)
        .map_or(0, |(_, n)| *n)
}

struct Row {
    id: i64,
    ticket: String,
    kind: &'static str,
    merchant: String,
    received: String,
    status: String,
    due: String,
    late: bool,
    assignee: String,
}

fn day(t: DateTime<Utc>) -> String {
    t.with_timezone(&fangxin_core::clock::offset())
        .format("%Y-%m-%d")
        .to_string()
}

fn minute(t: DateTime<Utc>) -> String {
    t.with_timezone(&fangxin_core::clock::offset())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn ticket(c: &ComplaintView) -> String {
    let channel = Channel::parse(&c.channel).map_or(c.channel.as_str(), |ch| ch.label_zh());
    format!("{channel} {}", c.ticket_no)
}

fn kind_zh(kind: &str) -> &'static str {
    ComplaintKind::parse(kind).map_or("投诉", |k| k.label_zh())
}

fn merchant_of(c: &ComplaintView) -> String {
    c.merchant
        .as_ref()
        .map(|m| m.sign_name.clone().unwrap_or_else(|| m.name.clone()))
        .unwrap_or_else(|| c.merchant_name.clone())
}

fn staff_name(staff: &[fangxin_core::accounts::Staff], id: Option<i64>) -> String {
    match id {
        None => "—".into(),
        Some(id) => staff
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| format!("账户 {id}（已停用）"), |s| s.name.clone()),
    }
}

fn row(c: ComplaintView, staff: &[fangxin_core::accounts::Staff]) -> Row {
    Row {
        id: c.id,
        ticket: ticket(&c),
        kind: kind_zh(&c.kind),
        merchant: merchant_of(&c),
        received: day(c.received_at),
        status: c.status_label.clone(),
        due: c.due_on.map(|d| d.to_string()).unwrap_or_default(),
        late: c.overdue,
        assignee: staff_name(staff, c.assignee_id),
    }
}

#[derive(Template)]
#[template(path = "console_complaints.html")]
struct ListPage {
    frame: Frame,
    queue: &'static str,
    explain: &'static str,
    tabs: Vec<(&'static str, &'static str, u64)>,
    rows: Vec<Row>,
    page: u64,
    pages: u64,
    /// A bulk move's result per complaint: which, whether it went through, what happened.
    outcomes: Vec<(String, bool, String)>,
    as_of: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    queue: Option<String>,
    page: Option<u64>,
    done: Option<String>,
}

async fn list_page(
    state: &AppState,
    page: &RegulatorPage,
    headers: &HeaderMap,
    queue: Queue,
    number: u64,
    frame_notice: Option<&str>,
    error: Option<String>,
    outcomes: Vec<(String, bool, String)>,
) -> Response {
    let now = fangxin_core::clock::now();
    let me = page.0.session.account_id;
    let calendar = &state.scoring.calendar;
    let loaded = async {
        let counts = queue_counts(state, me, now).await?;
        let staff = fangxin_core::accounts::staff(&state.db).await?;
        let (total, views, per_page) = match queue {
            Queue::Overdue => {
                let (total, views) =
                    complaints::overdue(&state.db, calendar, OVERDUE_ROWS, now).await?;
                (total.min(OVERDUE_ROWS as u64), views, OVERDUE_ROWS as u64)
            }
            _ => {
                let p = complaints::list(
                    &state.db,
                    queue.filter(me, number, PER_PAGE),
                    None,
                    calendar,
                    now,
                )
                .await?;
                (p.total, p.rows, PER_PAGE)
            }
        };
        AppResult::Ok((counts, staff, total, views, per_page))
    }
    .await;
    let (counts, staff, total, views, per_page) = match loaded {
        Ok(l) => l,
        Err(e) => return app_error(e),
    };
    let (frame, csrf) = Frame::of(state, page, headers, Section::Complaints);
    render(
        ListPage {
            frame: frame.with_notice(frame_notice).with_error(error),
            queue: queue.code(),
            explain: queue.explain(),
            tabs: counts
                .iter()
                .map(|(q, n)| (q.code(), q.label(), *n))
                .collect(),
            rows: views.into_iter().map(|c| row(c, &staff)).collect(),
            page: number,
            pages: total.div_ceil(per_page).max(1),
            outcomes,
            as_of: stamp(now),
        },
        &csrf,
    )
}

/// `GET /admin/complaints?queue=…`: one queue, 50 a page.
pub async fn list(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let queue = Queue::parse(q.queue.as_deref().unwrap_or("new"));
    let number = q.page.unwrap_or(1).clamp(1, 10_000);
    list_page(
        &state,
        &page,
        &headers,
        queue,
        number,
        q.done.as_deref(),
        None,
        vec![],
    )
    .await
}

/// `POST /admin/complaints/bulk`: one move (or taking them on) for every complaint
/// ticked. Each is done on its own; the page says which went through and why the others
/// did not.
pub async fn bulk(
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
    let queue = Queue::parse(&get("queue"));
    let action = get("action");
    let note = get("note");
    let mut ids: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "ids")
        .filter_map(|(_, v)| v.trim().parse().ok())
        .collect();
    ids.dedup();
    let problem = if ids.is_empty() {
        Some("请先勾选要处理的投诉举报。".to_owned())
    } else if ids.len() > BULK_MAX {
        Some(format!("一次最多处理 {BULK_MAX} 件，请分批勾选。"))
    } else if action.is_empty() {
        Some("请选择要进行的操作。".to_owned())
    } else if ComplaintStatus::parse(&action).is_some_and(complaints::needs_reason)
        && note.is_empty()
    {
        Some("不予受理须写明理由，投诉人会被告知。".to_owned())
    } else {
        None
    };
    if problem.is_some() {
        return list_page(&state, &page, &headers, queue, 1, None, problem, vec![]).await;
    }
    let actor = page.0.session.actor(None);
    let me = page.0.session.account_id;
    let mut outcomes = Vec::with_capacity(ids.len());
    let mut changed = false;
    for id in ids {
        let now = fangxin_core::clock::now();
        let label = match complaints::get(&state.db, id, None, &state.scoring.calendar, now).await {
            Ok(c) => ticket(&c),
            Err(e) => {
                outcomes.push((format!("第 {id} 件"), false, crate::portal::zh::message(&e)));
                continue;
            }
        };
        let done = if action == "assign_me" {
            complaints::assign(
                &state.db,
                id,
                complaints::Assignment {
                    assignee_id: Some(me),
                },
                &state.scoring.calendar,
                &actor,
                now,
            )
            .await
        } else {
            complaints::transition(
                &state.db,
                id,
                complaints::Transition {
                    to: action.clone(),
                    amount_recovered_yuan: None,
                    satisfaction: None,
                    note: Some(note.clone()).filter(|n| !n.is_empty()),
                },
                &state.scoring,
                &actor,
                now,
            )
            .await
        };
        match done {
            Ok(c) => {
                changed = true;
                let what = if action == "assign_me" {
                    "已由我承办".to_owned()
                } else {
                    format!("已改为{}", c.status_label)
                };
                outcomes.push((label, true, what));
            }
            Err(e @ (AppError::Internal(_) | AppError::Unavailable { .. })) => {
                // Stop at an outage: what went through stays, the rest is reported.
                outcomes.push((label, false, crate::portal::zh::message(&e)));
                break;
            }
            Err(e) => outcomes.push((label, false, crate::portal::zh::message(&e))),
        }
    }
    if changed {
        state.notifier.changed().await;
    }
    list_page(&state, &page, &headers, queue, 1, None, None, outcomes).await
}

/// What a move is called on the button a clerk presses.
fn move_label(kind: ComplaintKind, to: ComplaintStatus) -> &'static str {
    use ComplaintStatus::*;
    match to {
        Accepted => "受理",
        Rejected => "不予受理",
        Mediating => "开始调解",
        Settled if kind == ComplaintKind::Inquiry => "答复办结",
        Settled => "调解成功，办结",
        MediationFailed => "调解不成，终止调解",
        Withdrawn => "投诉人撤回",
        ConvertedToCase => "转为立案调查",
        Received => "退回收到状态",
    }
}

struct Detail {
    id: i64,
    ticket: String,
    kind: &'static str,
    channel: String,
    status: String,
    due: String,
    late: bool,
    received: String,
    accepted: String,
    closed: String,
    merchant: String,
    uscc: Option<String>,
    category: String,
    involved: String,
    recovered: String,
    satisfaction: String,
    complainant: String,
    assignee: String,
    text: String,
    response: Option<String>,
}

#[derive(Template)]
#[template(path = "console_complaint.html")]
struct DetailPage {
    frame: Frame,
    c: Detail,
    back: &'static str,
    moves: Vec<(&'static str, &'static str)>,
    settles: bool,
    /// Whom it can be given to: account, name, whether it is theirs now.
    staff: Vec<(i64, String, bool)>,
    find: String,
    candidates: Vec<complaints::MerchantRef>,
    /// When, who, what, why.
    history: Vec<(String, String, String, String)>,
    draft: Draft,
    as_of: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    find: Option<String>,
    done: Option<String>,
    queue: Option<String>,
}

fn satisfaction_zh(s: &str) -> &'static str {
    match s {
        "satisfied" => "满意",
        "basically_satisfied" => "基本满意",
        "unsatisfied" => "不满意",
        _ => "未回访",
    }
}

async fn detail_page(
    state: &AppState,
    page: &RegulatorPage,
    headers: &HeaderMap,
    id: i64,
    q: DetailQuery,
    draft: Draft,
) -> Response {
    let now = fangxin_core::clock::now();
    let c = match complaints::get(&state.db, id, None, &state.scoring.calendar, now).await {
        Ok(c) => c,
        Err(e) => return app_error(e),
    };
    let loaded = async {
        let staff = fangxin_core::accounts::staff(&state.db).await?;
        let log = fangxin_core::audit::list(
            &state.db,
            fangxin_core::audit::AuditFilter {
                entity: Some("complaint".into()),
                entity_id: Some(id.to_string()),
                per_page: Some(200),
                ..Default::default()
            },
        )
        .await?;
        let names = actor_names(state, log.rows.iter().filter_map(|e| e.actor_id)).await?;
        AppResult::Ok((staff, log.rows, names))
    }
    .await;
    let (staff, log, names) = match loaded {
        Ok(l) => l,
        Err(e) => return app_error(e),
    };
    let find = q
        .find
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .unwrap_or(&c.merchant_name)
        .to_owned();
    let candidates = if c.merchant.is_none() {
        complaints::suggest_merchants(state.index.current(), &find, 8).await
    } else {
        vec![]
    };
    let kind = ComplaintKind::parse(&c.kind).unwrap_or(ComplaintKind::Complaint);
    let moves: Vec<(&'static str, &'static str)> = c
        .next
        .iter()
        .filter_map(|s| ComplaintStatus::parse(s))
        .map(|s| (s.code(), move_label(kind, s)))
        .collect();
    let settles = kind == ComplaintKind::Complaint
        && moves
            .iter()
            .any(|(s, _)| *s == ComplaintStatus::Settled.code());
    let history = log
        .into_iter()
        .rev()
        .map(|e| {
            (
                minute(e.at),
                actor_zh(&e.actor_role, e.actor_id, &names),
                crate::portal::zh::audit_action_zh(&e.action),
                e.note.unwrap_or_default(),
            )
        })
        .collect();
    let complainant = match (&c.complainant_name, &c.complainant_phone) {
        (Some(n), Some(p)) => format!("{n} · {p}"),
        (Some(n), None) => n.clone(),
        (None, Some(p)) => p.clone(),
        (None, None) => "未留联系方式".into(),
    };
    let detail = Detail {
        id: c.id,
        ticket: ticket(&c),
        kind: kind.label_zh(),
        channel: Channel::parse(&c.channel).map_or(c.channel.clone(), |ch| ch.label_zh().into()),
        status: c.status_label.clone(),
        due: c.due_on.map(|d| d.to_string()).unwrap_or_default(),
        late: c.overdue,
        received: minute(c.received_at),
        accepted: c.accepted_at.map(minute).unwrap_or_default(),
        closed: c.closed_at.map(minute).unwrap_or_default(),
        merchant: merchant_of(&c),
        uscc: c.merchant.as_ref().map(|m| m.uscc.clone()),
        category: c
            .category
            .as_deref()
            .map(|k| {
                ComplaintCategory::parse(k)
                    .map_or(k, |x| x.label_zh())
                    .to_owned()
            })
            .unwrap_or_default(),
        involved: fangxin_scoring::money::display_yuan(c.amount_involved_fen),
        recovered: if c.amount_recovered_fen > 0 {
            fangxin_scoring::money::display_yuan(c.amount_recovered_fen)
        } else {
            String::new()
        },
        satisfaction: c
            .satisfaction
            .as_deref()
            .map(satisfaction_zh)
            .unwrap_or_default()
            .to_owned(),
        complainant,
        assignee: staff_name(&staff, c.assignee_id),
        text: c.text,
        response: c.merchant_response,
    };
    let back = Queue::parse(q.queue.as_deref().unwrap_or("new")).code();
    let (frame, csrf) = Frame::of(state, page, headers, Section::Complaints);
    render(
        DetailPage {
            frame: frame.with_notice(q.done.as_deref()),
            c: detail,
            back,
            moves,
            settles,
            staff: staff
                .iter()
                .map(|s| {
                    let me = s.id == page.0.session.account_id;
                    (
                        s.id,
                        if me {
                            format!("{}（我）", s.name)
                        } else {
                            s.name.clone()
                        },
                        c.assignee_id == Some(s.id),
                    )
                })
                .collect(),
            find,
            candidates,
            history,
            draft,
            as_of: stamp(now),
        },
        &csrf,
    )
}

/// `GET /admin/complaints/{id}`: one complaint, its moves and its history.
pub async fn show(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Path(id): Path<i64>,
    q: Result<Query<DetailQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    detail_page(&state, &page, &headers, id, q, Draft::none()).await
}

/// The fields of the move form that show a problem beside them.
const MOVE_FIELDS: &[&str] = &["to", "note", "amount_recovered_yuan", "satisfaction"];

/// A form on a complaint's page: the token checked, the change made, then back to the
/// page with a line saying so; a refused form comes back as it was typed.
async fn complaint_form<T, Fut>(
    state: &AppState,
    page: &RegulatorPage,
    headers: &HeaderMap,
    id: i64,
    pairs: Vec<(String, String)>,
    (form, fields, done): (&'static str, &[&'static str], &'static str),
    run: impl FnOnce(fangxin_core::audit::Actor) -> Fut,
) -> Response
where
    Fut: std::future::Future<Output = AppResult<T>>,
{
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if !Csrf::check(headers, csrf) {
        return refused();
    }
    match run(page.0.session.actor(None)).await {
        Ok(_) => {
            state.notifier.changed().await;
            redirect(&format!("/admin/complaints/{id}?done={done}"))
        }
        Err(
            e @ (AppError::InvalidInput { .. }
            | AppError::Conflict { .. }
            | AppError::InvalidUscc(_)
            | AppError::MerchantNotFound(_)),
        ) => {
            let draft = Draft::refused(form, fields, pairs, &e);
            detail_page(state, page, headers, id, DetailQuery::default(), draft).await
        }
        Err(e) => app_error(e),
    }
}

fn field(pairs: &[(String, String)], k: &str) -> String {
    pairs
        .iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

/// `POST /admin/complaints/{id}/transition`: one lifecycle move, with its reason.
pub async fn transition(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let to = field(&pairs, "to");
    let req = complaints::Transition {
        to: to.clone(),
        amount_recovered_yuan: Some(field(&pairs, "amount_recovered_yuan"))
            .filter(|s| !s.is_empty())
            .map(fangxin_core::yuan::Yuan::Text),
        satisfaction: Some(field(&pairs, "satisfaction")).filter(|s| !s.is_empty()),
        note: Some(field(&pairs, "note")).filter(|s| !s.is_empty()),
    };
    let (db, scoring) = (&state.db, &state.scoring);
    if to.is_empty() {
        let draft = Draft::with_problem(
            "move",
            MOVE_FIELDS,
            pairs,
            Some("to"),
            "请选择下一步。".into(),
        );
        return detail_page(&state, &page, &headers, id, DetailQuery::default(), draft).await;
    }
    complaint_form(
        &state,
        &page,
        &headers,
        id,
        pairs.clone(),
        ("move", MOVE_FIELDS, "moved"),
        |actor| async move {
            complaints::transition(db, id, req, scoring, &actor, fangxin_core::clock::now()).await
        },
    )
    .await
}

/// `POST /admin/complaints/{id}/assignee`: who handles it.
pub async fn assignee(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let assignee_id = field(&pairs, "assignee_id").parse().ok();
    let (db, calendar) = (&state.db, &state.scoring.calendar);
    complaint_form(
        &state,
        &page,
        &headers,
        id,
        pairs.clone(),
        ("assign", &[], "assigned"),
        |actor| async move {
            complaints::assign(
                db,
                id,
                complaints::Assignment { assignee_id },
                calendar,
                &actor,
                fangxin_core::clock::now(),
            )
            .await
        },
    )
    .await
}

/// `POST /admin/complaints/{id}/merchant`: match a complaint to a merchant.
pub async fn match_merchant(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let uscc = field(&pairs, "uscc");
    let (db, scoring) = (&state.db, &state.scoring);
    complaint_form(
        &state,
        &page,
        &headers,
        id,
        pairs.clone(),
        ("match", &["uscc"], "matched"),
        |actor| async move {
            complaints::assign_merchant(
                db,
                id,
                complaints::MerchantMatch { uscc },
                scoring,
                &actor,
                fangxin_core::clock::now(),
            )
            .await
        },
    )
    .await
}
