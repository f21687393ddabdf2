//! The regulator's console pages for the programmes it runs: trusted-consumption
//! enrolment and status, listings, the spot-check draw and its results, and the audit
//! log. Every form goes through the same service as the API, audited the same way, and a
//! refused form comes back as it was typed.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use fangxin_scoring::domain::{ListingKind, Pledge, TrustedLevel, TrustedStatus};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;

use super::super::forms::{Notice, app_error, redirect, render};
use super::super::session::{Csrf, RegulatorPage};
use super::super::stamp;
use super::frame::{Draft, Frame, Section};
use super::workbench::{Back, Posted, regulator_form_then};
use crate::state::AppState;
use fangxin_core::error::{AppError, AppResult};
use fangxin_core::store::entities::{listing, merchant, spot_check_plan, trusted_enrolment};

/// The authority the console's forms suggest.
pub const AUTHORITY: &str = "昆明市五华区市场监督管理局";

pub struct PlanLine {
    pub id: i64,
    pub title: String,
    pub drawn: String,
    pub checks: usize,
}

fn day(t: DateTime<Utc>) -> String {
    t.with_timezone(&fangxin_core::clock::offset())
        .format("%Y-%m-%d")
        .to_string()
}

pub struct EnrolmentLine {
    pub uscc: String,
    pub name: String,
    pub level: &'static str,
    pub status: &'static str,
    pub valid: String,
}

#[derive(Template)]
#[template(path = "console_trusted.html")]
struct TrustedPage {
    frame: Frame,
    levels: Vec<(&'static str, &'static str)>,
    pledges: Vec<(&'static str, &'static str)>,
    recent: Vec<EnrolmentLine>,
    today: String,
    draft: Draft,
    as_of: String,
}

/// The trusted-consumption page: enrol, change a status, the latest enrolments.
pub async fn trusted_page(
    state: &AppState,
    page: &RegulatorPage,
    headers: &HeaderMap,
    notice_code: Option<&str>,
    draft: Draft,
) -> Response {
    let now = fangxin_core::clock::now();
    let recent = async {
        let rows = trusted_enrolment::Entity::find()
            .order_by_desc(trusted_enrolment::Column::UpdatedAt)
            .order_by_desc(trusted_enrolment::Column::Id)
            .limit(20)
            .all(&state.db)
            .await?;
        let merchants: std::collections::HashMap<i64, merchant::Model> = merchant::Entity::find()
            .filter(merchant::Column::Id.is_in(rows.iter().map(|r| r.merchant_id)))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        AppResult::Ok(
            rows.into_iter()
                .filter_map(|r| {
                    let m = merchants.get(&r.merchant_id)?;
                    Some(EnrolmentLine {
                        uscc: m.uscc.clone(),
                        name: m.sign_name.clone().unwrap_or_else(|| m.name.clone()),
                        level: TrustedLevel::parse(&r.level).map_or("", |l| l.label_zh()),
                        status: TrustedStatus::parse(&r.status).map_or("", |s| s.label_zh()),
                        valid: match r.valid_to {
                            Some(to) => format!("{} 至 {to}", r.valid_from),
                            None => format!("{} 起", r.valid_from),
                        },
                    })
                })
                .collect::<Vec<_>>(),
        )
    }
    .await;
    let recent = match recent {
        Ok(r) => r,
        Err(e) => return app_error(e),
    };
    let (frame, csrf) = Frame::of(state, page, headers, Section::Trusted);
    render(
        TrustedPage {
            frame: frame.with_notice(notice_code),
            levels: TrustedLevel::ALL
                .iter()
                .map(|l| (l.code(), l.label_zh()))
                .collect(),
            pledges: Pledge::ALL
                .iter()
                .map(|p| (p.code(), p.label_zh()))
                .collect(),
            recent,
            today: fangxin_core::clock::today(now).to_string(),
            draft,
            as_of: stamp(now),
        },
        &csrf,
    )
}

/// `GET /admin/trusted`.
pub async fn trusted(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Query(q): Query<Notice>,
) -> Response {
    trusted_page(&state, &page, &headers, q.done.as_deref(), Draft::none()).await
}

#[derive(Template)]
#[template(path = "console_listings.html")]
struct ListingsPage {
    frame: Frame,
    kinds: Vec<(&'static str, &'static str)>,
    authority: &'static str,
    today: String,
    draft: Draft,
    as_of: String,
}

/// The listings page: put a merchant on a list, take it off.
pub async fn listings_page(
    state: &AppState,
    page: &RegulatorPage,
    headers: &HeaderMap,
    notice_code: Option<&str>,
    draft: Draft,
) -> Response {
    let now = fangxin_core::clock::now();
    let (frame, csrf) = Frame::of(state, page, headers, Section::Listings);
    render(
        ListingsPage {
            frame: frame.with_notice(notice_code),
            kinds: ListingKind::ALL
                .iter()
                .map(|k| (k.code(), k.label_zh()))
                .collect(),
            authority: AUTHORITY,
            today: fangxin_core::clock::today(now).to_string(),
            draft,
            as_of: stamp(now),
        },
        &csrf,
    )
}

/// `GET /admin/listings`.
pub async fn listings(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Query(q): Query<Notice>,
) -> Response {
    listings_page(&state, &page, &headers, q.done.as_deref(), Draft::none()).await
}

#[derive(Template)]
#[template(path = "console_spot_checks.html")]
struct SpotChecksPage {
    frame: Frame,
    plans: Vec<PlanLine>,
    draft: Draft,
    as_of: String,
}

/// The spot-check page: draw a plan, the plans drawn.
pub async fn spot_checks_page(
    state: &AppState,
    page: &RegulatorPage,
    headers: &HeaderMap,
    notice_code: Option<&str>,
    draft: Draft,
) -> Response {
    let plans = match spot_check_plan::Entity::find()
        .order_by_desc(spot_check_plan::Column::Id)
        .limit(50)
        .all(&state.db)
        .await
    {
        Ok(p) => p,
        Err(e) => return app_error(e.into()),
    };
    let (frame, csrf) = Frame::of(state, page, headers, Section::SpotChecks);
    render(
        SpotChecksPage {
            frame: frame.with_notice(notice_code),
            plans: plans
                .into_iter()
                .map(|p| PlanLine {
                    id: p.id,
                    title: p.title,
                    drawn: day(p.drawn_at),
                    checks: p.sample_size.max(0) as usize,
                })
                .collect(),
            draft,
            as_of: stamp(fangxin_core::clock::now()),
        },
        &csrf,
    )
}

/// `GET /admin/spot-checks`.
pub async fn spot_checks(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Query(q): Query<Notice>,
) -> Response {
    spot_checks_page(&state, &page, &headers, q.done.as_deref(), Draft::none()).await
}

/// A form's fields as pairs (check boxes repeat a name).
struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, key: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }

    fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    }

    fn date(&self, key: &'static str) -> AppResult<Option<NaiveDate>> {
        let v = self.get(key);
        if v.is_empty() {
            return Ok(None);
        }
        v.parse().map(Some).map_err(|_| {
            AppError::invalid_field(key, "invalid_date", "a date is written YYYY-MM-DD")
        })
    }

    /// A list typed into one box, split at commas, 、 or spaces.
    fn list(&self, key: &str) -> Vec<String> {
        self.get(key)
            .split([',', '，', '、', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// A console form: its fields read as pairs, then `regulator_form_then` (CSRF, role, the
/// change, the page after it; a refused form shown again on `back` as it was typed).
async fn console_form<T, F, Fut>(
    state: &AppState,
    page: &RegulatorPage,
    headers: &HeaderMap,
    pairs: Vec<(String, String)>,
    (back, form, fields): (Back, &'static str, &'static [&'static str]),
    then: impl FnOnce(&T) -> String,
    run: F,
) -> Response
where
    F: FnOnce(Fields, fangxin_core::audit::Actor) -> Fut,
    Fut: std::future::Future<Output = AppResult<T>>,
{
    let f = Fields(pairs.clone());
    let posted = Posted {
        back,
        form: form.to_owned(),
        fields,
        pairs,
    };
    regulator_form_then(state, page, headers, posted, then, |actor| run(f, actor)).await
}

const ENROL_FIELDS: &[&str] = &["uscc", "level", "pledges", "valid_from", "valid_to"];
const STATUS_FIELDS: &[&str] = &["uscc", "reason"];
const LIST_FIELDS: &[&str] = &["uscc", "reason", "authority", "listed_on"];
const REMOVAL_FIELDS: &[&str] = &["uscc", "reason"];
const RESULT_FIELDS: &[&str] = &["product", "outcome", "failed_items", "checked_on"];
const DRAW_FIELDS: &[&str] = &[
    "title",
    "streets",
    "industries",
    "grades",
    "sample_size",
    "seed",
];

/// `POST /admin/trusted`: enrol a trusted-consumption unit.
pub async fn enrol(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (db, scoring) = (&state.db, &state.scoring);
    console_form(
        &state,
        &page,
        &headers,
        pairs,
        (Back::Trusted, "enrol", ENROL_FIELDS),
        |_| "/admin/trusted?done=enrolled".into(),
        |f, actor| async move {
            let req = fangxin_core::trusted::Enrolment {
                uscc: f.get("uscc"),
                level: f.get("level"),
                pledges: f.all("pledges"),
                service_station: f.get("service_station") == "on",
                odr_member: f.get("odr_member") == "on",
                valid_from: f.date("valid_from")?,
                valid_to: f.date("valid_to")?,
            };
            fangxin_core::trusted::enrol(db, req, scoring, &actor, fangxin_core::clock::now()).await
        },
    )
    .await
}

/// `POST /admin/trusted/status`: suspend, reinstate or revoke a merchant's enrolment.
pub async fn trusted_status(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (db, scoring) = (&state.db, &state.scoring);
    console_form(
        &state,
        &page,
        &headers,
        pairs,
        (Back::Trusted, "status", STATUS_FIELDS),
        |_| "/admin/trusted?done=trusted".into(),
        |f, actor| async move {
            let uscc = fangxin_scoring::Uscc::parse(&f.get("uscc"))?;
            let m = fangxin_core::merchants::find_by_uscc(db, &uscc).await?;
            let current = trusted_enrolment::Entity::find()
                .filter(trusted_enrolment::Column::MerchantId.eq(m.id))
                .filter(trusted_enrolment::Column::Status.ne(TrustedStatus::Revoked.code()))
                .order_by_desc(trusted_enrolment::Column::Id)
                .one(db)
                .await?
                .ok_or(AppError::NotFound {
                    code: "enrolment_not_found",
                    message: format!("{uscc} has no enrolment to change"),
                })?;
            let req = fangxin_core::trusted::StatusChange {
                status: Some(f.get("status")).filter(|s| !s.is_empty()),
                level: None,
                reason: f.get("reason"),
            };
            fangxin_core::trusted::change(
                db,
                current.id,
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

/// `POST /admin/listings`: put a merchant on a list.
pub async fn list_merchant(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (db, scoring) = (&state.db, &state.scoring);
    console_form(
        &state,
        &page,
        &headers,
        pairs,
        (Back::Listings, "list", LIST_FIELDS),
        |_| "/admin/listings?done=listed".into(),
        |f, actor| async move {
            let req = fangxin_core::listings::NewListing {
                uscc: f.get("uscc"),
                kind: f.get("kind"),
                reason: f.get("reason"),
                authority: f.get("authority"),
                listed_on: f.date("listed_on")?.ok_or_else(|| {
                    AppError::invalid_field("listed_on", "missing_field", "listed_on is required")
                })?,
            };
            fangxin_core::listings::list_merchant(
                db,
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

/// `POST /admin/listings/removal`: take a merchant off a list.
pub async fn unlist(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (db, scoring) = (&state.db, &state.scoring);
    console_form(
        &state,
        &page,
        &headers,
        pairs,
        (Back::Listings, "removal", REMOVAL_FIELDS),
        |_| "/admin/listings?done=unlisted".into(),
        |f, actor| async move {
            let uscc = fangxin_scoring::Uscc::parse(&f.get("uscc"))?;
            let m = fangxin_core::merchants::find_by_uscc(db, &uscc).await?;
            let kind = f.get("kind");
            let current = listing::Entity::find()
                .filter(listing::Column::MerchantId.eq(m.id))
                .filter(listing::Column::Kind.eq(kind.as_str()))
                .filter(listing::Column::RemovedOn.is_null())
                .order_by_desc(listing::Column::Id)
                .one(db)
                .await?
                .ok_or(AppError::NotFound {
                    code: "listing_not_found",
                    message: format!("{uscc} is not on that list"),
                })?;
            let req = fangxin_core::listings::Removal {
                removed_on: f.date("removed_on")?,
                reason: f.get("reason"),
            };
            fangxin_core::listings::remove(
                db,
                current.id,
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

/// `POST /admin/spot-checks`: draw a plan, then show it for the results.
pub async fn draw(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let db = &state.db;
    console_form(
        &state,
        &page,
        &headers,
        pairs,
        (Back::SpotChecks, "draw", DRAW_FIELDS),
        |plan: &fangxin_core::spotchecks::PlanView| format!("/admin/spot-checks/{}", plan.id),
        |f, actor| async move {
            let sample_size = f.get("sample_size").parse().map_err(|_| {
                AppError::invalid_field(
                    "sample_size",
                    "invalid_sample_size",
                    "sample_size is a whole number",
                )
            })?;
            let seed = match f.get("seed") {
                s if s.is_empty() => None,
                s => Some(s.parse().map_err(|_| {
                    AppError::invalid_field("seed", "invalid_seed", "seed is a whole number")
                })?),
            };
            let req = fangxin_core::spotchecks::NewPlan {
                title: f.get("title"),
                streets: f.list("streets"),
                industries: f.list("industries"),
                grades: f.all("grades"),
                sample_size,
                seed,
            };
            fangxin_core::spotchecks::draw_plan(db, req, &actor, fangxin_core::clock::now()).await
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    frame: Frame,
    plan: fangxin_core::spotchecks::PlanView,
    /// When it was drawn, in the district's time.
    drawn: String,
    draft: Draft,
    today: String,
    as_of: String,
}

async fn plan_page(
    state: &AppState,
    page: &RegulatorPage,
    headers: &HeaderMap,
    id: i64,
    draft: Draft,
) -> Response {
    let plan = match fangxin_core::spotchecks::plan_view(&state.db, id).await {
        Ok(p) => p,
        Err(e) => return app_error(e),
    };
    let now = fangxin_core::clock::now();
    let (frame, csrf) = Frame::of(state, page, headers, Section::SpotChecks);
    render(
        PlanPage {
            frame,
            drawn: plan
                .drawn_at
                .with_timezone(&fangxin_core::clock::offset())
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            plan,
            draft,
            today: fangxin_core::clock::today(now).to_string(),
            as_of: stamp(now),
        },
        &csrf,
    )
}

/// `/admin/spot-checks/{id}`: a drawn plan with a result form for each merchant.
pub async fn plan(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    plan_page(&state, &page, &headers, id, Draft::none()).await
}

/// `POST /admin/spot-checks/{plan}/checks/{id}`: enter one result.
pub async fn record_result(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    Path((plan, id)): Path<(i64, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(pairs.clone());
    if !Csrf::check(&headers, &f.get("csrf")) {
        return super::super::forms::refused();
    }
    let result = async {
        let req = fangxin_core::spotchecks::ResultEntry {
            outcome: f.get("outcome"),
            product: f.get("product"),
            batch: Some(f.get("batch")).filter(|s| !s.is_empty()),
            standard: Some(f.get("standard")).filter(|s| !s.is_empty()),
            failed_items: Some(f.get("failed_items")).filter(|s| !s.is_empty()),
            checked_on: f.date("checked_on")?.ok_or_else(|| {
                AppError::invalid_field("checked_on", "missing_field", "checked_on is required")
            })?,
        };
        fangxin_core::spotchecks::record_result(
            &state.db,
            id,
            req,
            &state.scoring,
            &page.0.session.actor(None),
            fangxin_core::clock::now(),
        )
        .await
    }
    .await;
    match result {
        Ok(_) => {
            state.notifier.changed().await;
            redirect(&format!("/admin/spot-checks/{plan}#check-{id}"))
        }
        Err(
            e @ (AppError::InvalidInput { .. }
            | AppError::Conflict { .. }
            | AppError::NotFound { .. }),
        ) => {
            let draft = Draft::refused(format!("check-{id}"), RESULT_FIELDS, pairs, &e);
            plan_page(&state, &page, &headers, plan, draft).await
        }
        Err(e) => app_error(e),
    }
}

/// The actions the audit log's filter offers, in the order a clerk looks for them.
const AUDIT_ACTIONS: &[&str] = &[
    "penalty.publish",
    "penalty.correct",
    "penalty.publicity_end",
    "penalty.repaired",
    "complaint.intake",
    "complaint.match",
    "complaint.assign",
    "complaint.accepted",
    "complaint.rejected",
    "complaint.mediating",
    "complaint.settled",
    "complaint.mediation_failed",
    "complaint.withdrawn",
    "complaint.converted_to_case",
    "complaint.answer",
    "objection.file",
    "objection.accept",
    "objection.reject",
    "credit_repair.apply",
    "credit_repair.approve",
    "credit_repair.reject",
    "trusted.enrol",
    "trusted.change",
    "trusted.suspend",
    "listing.create",
    "listing.remove",
    "spot_check_plan.draw",
    "spot_check.result",
    "claimant.confirm",
    "claimant.clear",
    "warning.publish",
    "import.complaints",
    "import.penalties",
    "import.merchants",
    "merchant.create",
    "merchant.update",
    "merchant.status",
    "account.create",
    "account.change",
    "complainant.phone",
    "complainant.name",
    "complainant.id_number",
];

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    frame: Frame,
    /// The kinds of record to filter by: code, Chinese name.
    entities: Vec<(&'static str, &'static str)>,
    /// The actions to filter by: code, Chinese name.
    actions: Vec<(String, String)>,
    entries: Vec<(String, String, String, String, String)>,
    entity: String,
    entity_id: String,
    action: String,
    page: u64,
    pages: u64,
    total: u64,
    query: String,
    as_of: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    entity: String,
    #[serde(default)]
    entity_id: String,
    #[serde(default)]
    action: String,
    page: Option<u64>,
}

/// `/admin/audit`: the audit log, filtered, 50 a page.
pub async fn audit(
    State(state): State<AppState>,
    page: RegulatorPage,
    headers: HeaderMap,
    q: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let filled = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let number = q.page.unwrap_or(1).clamp(1, 1_000_000);
    let log = match fangxin_core::audit::list(
        &state.db,
        fangxin_core::audit::AuditFilter {
            entity: filled(&q.entity),
            entity_id: None,
            // The one box takes a record's id or its number (a decision number, a USCC).
            q: filled(&q.entity_id),
            actor_id: None,
            action: filled(&q.action),
            page: Some(number),
            per_page: Some(50),
        },
    )
    .await
    {
        Ok(l) => l,
        Err(e) => return app_error(e),
    };
    let query = format!(
        "entity={}&entity_id={}&action={}",
        super::super::public::urlencode(&q.entity),
        super::super::public::urlencode(&q.entity_id),
        super::super::public::urlencode(&q.action)
    );
    let names = match actor_names(&state, log.rows.iter().filter_map(|e| e.actor_id)).await {
        Ok(n) => n,
        Err(e) => return app_error(e),
    };
    let (frame, csrf) = Frame::of(&state, &page, &headers, Section::Audit);
    render(
        AuditPage {
            frame,
            entities: [
                "penalty",
                "complaint",
                "merchant",
                "objection",
                "credit_repair",
                "trusted",
                "listing",
                "spot_check_plan",
                "spot_check",
                "claimant",
                "warning",
                "import",
                "account",
                "complainant",
            ]
            .into_iter()
            .map(|e| (e, crate::portal::zh::entity_zh(e).unwrap_or(e)))
            .collect(),
            actions: AUDIT_ACTIONS
                .iter()
                .map(|a| (a.to_string(), crate::portal::zh::audit_action_zh(a)))
                .chain(
                    // An action typed into the address that the list lacks stays chosen.
                    Some(q.action.trim())
                        .filter(|a| !a.is_empty() && !AUDIT_ACTIONS.contains(a))
                        .map(|a| (a.to_owned(), crate::portal::zh::audit_action_zh(a))),
                )
                .collect(),
            entries: log
                .rows
                .into_iter()
                .map(|e| {
                    (
                        e.at.with_timezone(&fangxin_core::clock::offset())
                            .format("%Y-%m-%d %H:%M:%S")
                            .to_string(),
                        actor_zh(&e.actor_role, e.actor_id, &names),
                        crate::portal::zh::audit_action_zh(&e.action),
                        format!(
                            "{} {}",
                            crate::portal::zh::entity_zh(&e.entity).unwrap_or(&e.entity),
                            e.entity_id
                        ),
                        e.request_id.unwrap_or_default(),
                    )
                })
                .collect(),
            entity: q.entity,
            entity_id: q.entity_id,
            action: q.action,
            page: log.page,
            pages: log.total.div_ceil(log.per_page.max(1)).max(1),
            total: log.total,
            query,
            as_of: stamp(fangxin_core::clock::now()),
        },
        &csrf,
    )
}

/// The names of the accounts that acted: their display name, else their username.
pub(super) async fn actor_names(
    state: &AppState,
    ids: impl Iterator<Item = i64>,
) -> Result<std::collections::HashMap<i64, String>, AppError> {
    use fangxin_core::store::entities::account;
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(account::Entity::find()
        .select_only()
        .columns([
            account::Column::Id,
            account::Column::Username,
            account::Column::DisplayName,
        ])
        .filter(account::Column::Id.is_in(ids))
        .into_tuple::<(i64, String, Option<String>)>()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|(id, username, display)| {
            (
                id,
                display.filter(|d| !d.trim().is_empty()).unwrap_or(username),
            )
        })
        .collect())
}

/// Who acted, as a clerk reads it: 「王芳（监管人员）」, or 「系统」 for the sweep and imports
/// run from the command line.
pub(super) fn actor_zh(
    role: &str,
    id: Option<i64>,
    names: &std::collections::HashMap<i64, String>,
) -> String {
    let role_zh = fangxin_scoring::domain::Role::parse(role).map(|r| r.label_zh());
    match (id.and_then(|id| names.get(&id)), role_zh) {
        (Some(name), Some(role)) => format!("{name}（{role}）"),
        (Some(name), None) => name.clone(),
        (None, Some(role)) => role.to_owned(),
        (None, None) if role == "system" || role.is_empty() => "系统".to_owned(),
        (None, None) => role.to_owned(),
    }
}
