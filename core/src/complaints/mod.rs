//! Complaints, reports and inquiries from every channel: intake (idempotent on channel and
//! ticket number), the lifecycle with its statutory deadlines, matching to a merchant,
//! the merchant's answer, and the statistics the complaint-publicity rules publish.
//!
//! Complainants are pseudonymous everywhere but in `complainant_contacts`: their key is a
//! keyed hash of phone or ID number, and only regulators see contact data, masked for
//! everyone else.

mod import;

pub use import::{
    ImportRow, ImportedComplaint, Prepared, SATISFACTION, Tickets, import_batch,
    may_skip_key_checks, prepare,
};

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use fangxin_scoring::Uscc;
use fangxin_scoring::calendar::{WorkCalendar, deadlines};
use fangxin_scoring::domain::{Channel, ComplaintCategory, ComplaintKind, ComplaintStatus};
use hmac::{Hmac, Mac};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::privacy;
use crate::scores::{self, Scoring};
use crate::store::entities::{complaint, merchant};
use crate::yuan::Yuan;

/// What a channel sends about a complainant; stored apart, never shown unmasked outside
/// the regulator role.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplainantContact {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub id_number: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewComplaint {
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = "^(12315|12345|12365|12331|96128|internet|consumer_association|city_transfer|city_supervision|letter|visit)$"
        )
    )]
    pub channel: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
    pub ticket_no: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^(complaint|report|inquiry)$"))]
    pub kind: String,
    pub uscc: Option<String>,
    pub merchant_name: String,
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?$"
        )
    )]
    /// RFC 3339, or `YYYY-MM-DD HH:MM:SS` in Beijing time.
    pub received_at: String,
    pub category: Option<String>,
    pub amount_involved_yuan: Option<Yuan>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub text: String,
    pub complainant: Option<ComplainantContact>,
    #[serde(default)]
    pub punitive_demand: bool,
    pub purchase_quantity: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MerchantRef {
    pub uscc: String,
    pub name: String,
    pub sign_name: Option<String>,
}

/// A complaint as regulators see it (enterprises get the same with the contact masked).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplaintView {
    pub id: i64,
    pub channel: String,
    pub ticket_no: String,
    pub kind: String,
    pub status: String,
    pub status_label: String,
    pub received_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub merchant: Option<MerchantRef>,
    pub merchant_name: String,
    pub category: Option<String>,
    pub amount_involved_fen: i64,
    pub amount_recovered_fen: i64,
    pub satisfaction: Option<String>,
    pub text: String,
    /// The deadline of the current stage, and whether it has passed.
    pub due_on: Option<NaiveDate>,
    pub overdue: bool,
    pub merchant_response: Option<String>,
    pub responded_at: Option<DateTime<Utc>>,
    pub complainant_key: Option<String>,
    /// Masked (`138****1234`) unless the caller is a regulator.
    pub complainant_phone: Option<String>,
    pub complainant_name: Option<String>,
    /// Transitions allowed from here.
    pub next: Vec<String>,
    /// The account handling it, if any.
    pub assignee_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntakeResult {
    /// False when this channel's ticket was already recorded (nothing changed).
    pub created: bool,
    pub complaint: ComplaintView,
    /// When the merchant could not be matched for sure: candidates for a person to confirm.
    pub merchant_suggestions: Vec<MerchantRef>,
}

/// Parses RFC 3339 or `YYYY-MM-DD HH:MM:SS` (the district's time).
pub fn parse_time(input: &str) -> AppResult<DateTime<Utc>> {
    let t = input.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(t, fmt)
            && let Some(t) = crate::clock::from_local(naive)
        {
            return Ok(t);
        }
    }
    Err(AppError::invalid(
        "invalid_time",
        format!("{t:?} is not a time: use RFC 3339 or YYYY-MM-DD HH:MM:SS (Beijing time)"),
    ))
}

/// The allowed next statuses (DOMAIN.md): received → accepted | rejected; accepted →
/// mediating; mediating → settled | mediation failed | withdrawn; any → converted to case.
pub fn allowed_next(kind: ComplaintKind, from: ComplaintStatus) -> Vec<ComplaintStatus> {
    use ComplaintStatus::*;
    let mut next = match from {
        Received => vec![Accepted, Rejected],
        Accepted if kind == ComplaintKind::Complaint => vec![Mediating, Withdrawn],
        Accepted => vec![Rejected],
        Mediating => vec![Settled, MediationFailed, Withdrawn],
        _ => vec![],
    };
    if from != ConvertedToCase && kind != ComplaintKind::Inquiry {
        next.push(ConvertedToCase);
    }
    if kind == ComplaintKind::Inquiry && from == Received {
        next = vec![Settled];
    }
    next
}

/// The statuses of a complaint still being handled.
pub const OPEN: [ComplaintStatus; 3] = [
    ComplaintStatus::Received,
    ComplaintStatus::Accepted,
    ComplaintStatus::Mediating,
];

fn is_closed(status: ComplaintStatus) -> bool {
    !matches!(
        status,
        ComplaintStatus::Received | ComplaintStatus::Accepted | ComplaintStatus::Mediating
    )
}

/// The pseudonymous key of a complainant: a keyed hash of the phone or ID number.
pub fn complainant_key(secret: &str, contact: &ComplainantContact) -> Option<String> {
    let basis = contact
        .id_number
        .as_deref()
        .map(|s| s.trim().to_uppercase())
        .filter(|s| !s.is_empty())
        .or_else(|| {
            contact
                .phone
                .as_deref()
                .map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>())
                .filter(|s| !s.is_empty())
        })?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(basis.as_bytes());
    Some(format!(
        "ck{}",
        &hex::encode(mac.finalize().into_bytes())[..30]
    ))
}

async fn view<C: ConnectionTrait>(
    db: &C,
    c: complaint::Model,
    calendar: &WorkCalendar,
    regulator: bool,
    now: DateTime<Utc>,
) -> AppResult<ComplaintView> {
    let kind = ComplaintKind::parse(&c.kind).unwrap_or(ComplaintKind::Complaint);
    let status = ComplaintStatus::parse(&c.status).unwrap_or(ComplaintStatus::Received);
    let due_on = deadlines::current_due_on(
        kind,
        status,
        crate::clock::date_of(c.received_at),
        c.accepted_at.map(crate::clock::date_of),
        calendar,
    );
    let merchant = match c.merchant_id {
        Some(id) => merchant::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|m| MerchantRef {
                uscc: m.uscc,
                name: m.name,
                sign_name: m.sign_name,
            }),
        None => None,
    };
    let contact = match &c.complainant_key {
        Some(key) => privacy::contact_of(db, key).await?,
        None => None,
    };
    Ok(ComplaintView {
        id: c.id,
        channel: c.channel,
        ticket_no: c.ticket_no,
        kind: c.kind,
        status_label: status.label_zh().to_owned(),
        status: c.status,
        received_at: c.received_at,
        accepted_at: c.accepted_at,
        closed_at: c.closed_at,
        merchant,
        merchant_name: c.merchant_name,
        category: c.category,
        amount_involved_fen: c.amount_involved_fen,
        amount_recovered_fen: c.amount_recovered_fen,
        satisfaction: c.satisfaction,
        // Numbers that name a person stay with the regulator.
        text: if regulator {
            c.text
        } else {
            privacy::redact(&c.text)
        },
        due_on,
        overdue: due_on.is_some_and(|d| d < crate::clock::today(now)),
        merchant_response: c.merchant_response,
        responded_at: c.responded_at,
        complainant_key: regulator.then_some(c.complainant_key).flatten(),
        complainant_phone: contact.as_ref().and_then(|c| c.phone()).map(|p| {
            if regulator {
                p
            } else {
                privacy::mask_phone(&p)
            }
        }),
        complainant_name: contact
            .as_ref()
            .and_then(|c| c.name())
            .map(|n| if regulator { n } else { privacy::mask_name(&n) }),
        next: allowed_next(kind, status)
            .into_iter()
            .map(|s| s.code().to_owned())
            .collect(),
        // Who handles it is the bureau's business.
        assignee_id: regulator.then_some(c.assignee_id).flatten(),
    })
}

/// Finds the merchant a complaint names: the USCC when given, else a merchant whose
/// legal or sign name is exactly the name received (only when exactly one). Otherwise
/// none, with search suggestions for a person to confirm — never a silent guess.
async fn match_merchant<C: ConnectionTrait>(
    db: &C,
    uscc: Option<&Uscc>,
    name: &str,
    index: Option<std::sync::Arc<fangxin_indexer::MerchantIndex>>,
) -> AppResult<(Option<merchant::Model>, Vec<MerchantRef>)> {
    if let Some(u) = uscc {
        return Ok((Some(crate::merchants::find_by_uscc(db, u).await?), vec![]));
    }
    let name = name.trim();
    let exact = merchant::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(merchant::Column::Name.eq(name))
                .add(merchant::Column::SignName.eq(name)),
        )
        .limit(2)
        .all(db)
        .await?;
    if exact.len() == 1 {
        return Ok((exact.into_iter().next(), vec![]));
    }
    let suggestions = match index {
        Some(index) => suggest_merchants(index, name, 5).await,
        None => vec![],
    };
    Ok((None, suggestions))
}

/// Merchants whose names are like `name`, best first (at most `n`): what a person picks
/// from to match a complaint that came with a name only. Search is CPU work, so it runs
/// off the async runtime; suggestions are a help, so a failed search only means none.
pub async fn suggest_merchants(
    index: std::sync::Arc<fangxin_indexer::MerchantIndex>,
    name: &str,
    n: usize,
) -> Vec<MerchantRef> {
    let name = name.trim();
    if name.is_empty() {
        return vec![];
    }
    let mut req = fangxin_indexer::SearchRequest::query(name);
    req.per_page = n;
    req.facets = false;
    req.count_cap = 2_000;
    match tokio::task::spawn_blocking(move || index.search(&req)).await {
        Ok(Ok(r)) => r
            .hits
            .into_iter()
            .map(|h| MerchantRef {
                uscc: h.doc.uscc,
                name: h.doc.name,
                sign_name: h.doc.sign_name,
            })
            .collect(),
        _ => vec![],
    }
}

/// Everything intake needs besides the request.
pub struct IntakeContext<'a> {
    pub scoring: &'a Scoring,
    pub key_secret: &'a str,
    /// The search index, for suggestions when a name matches no merchant exactly.
    pub index: Option<std::sync::Arc<fangxin_indexer::MerchantIndex>>,
}

/// The parts of a new complaint checked without the database.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidComplaint {
    pub channel: Channel,
    pub ticket_no: String,
    pub kind: ComplaintKind,
    pub received_at: DateTime<Utc>,
    pub category: Option<String>,
    pub involved: i64,
    pub uscc: Option<Uscc>,
}

/// Checks a complaint as a channel sends it; intake and import share it.
pub fn validate(req: &NewComplaint, now: DateTime<Utc>) -> AppResult<ValidComplaint> {
    let channel = Channel::parse(req.channel.trim()).ok_or_else(|| {
        let allowed: Vec<&str> = Channel::ALL.iter().map(|c| c.code()).collect();
        AppError::invalid_field(
            "channel",
            "invalid_channel",
            format!(
                "unknown channel {:?}; one of: {}",
                req.channel,
                allowed.join(", ")
            ),
        )
    })?;
    let ticket_no = req.ticket_no.trim().to_owned();
    if ticket_no.is_empty() || ticket_no.len() > 64 {
        return Err(AppError::invalid_field(
            "ticket_no",
            "invalid_ticket",
            "ticket_no has 1 to 64 characters",
        ));
    }
    let kind = ComplaintKind::parse(req.kind.trim()).ok_or_else(|| {
        AppError::invalid_field(
            "kind",
            "invalid_kind",
            "kind must be complaint, report or inquiry",
        )
    })?;
    let received_at = parse_time(&req.received_at).map_err(|e| match e {
        AppError::InvalidInput { code, message, .. } => {
            AppError::invalid_field("received_at", code, message)
        }
        other => other,
    })?;
    if received_at > now + TimeDelta::minutes(5) {
        return Err(AppError::invalid_field(
            "received_at",
            "future_date",
            "received_at cannot be in the future",
        ));
    }
    crate::checks::date(
        "received_at",
        crate::clock::date_of(received_at),
        crate::checks::EARLIEST_COMPLAINT,
        crate::clock::today(now + TimeDelta::minutes(5)),
    )?;
    crate::checks::line("ticket_no", &ticket_no)?;
    crate::checks::line("merchant_name", &req.merchant_name)?;
    crate::checks::text("text", &req.text)?;
    if let Some(contact) = &req.complainant {
        for (field, value) in [
            ("complainant.name", &contact.name),
            ("complainant.phone", &contact.phone),
            ("complainant.id_number", &contact.id_number),
        ] {
            if let Some(v) = value {
                crate::checks::line(field, v)?;
            }
        }
    }
    let category = match req
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(c) => Some(
            ComplaintCategory::parse(c)
                .ok_or_else(|| {
                    AppError::invalid_field(
                        "category",
                        "invalid_category",
                        format!("unknown complaint category {c:?}"),
                    )
                })?
                .code()
                .to_owned(),
        ),
        None => None,
    };
    let involved = req
        .amount_involved_yuan
        .as_ref()
        .map(|y| y.fen("amount_involved_yuan"))
        .transpose()?
        .unwrap_or(0);
    if req.text.trim().is_empty() {
        return Err(AppError::invalid_field(
            "text",
            "missing_field",
            "text must not be empty",
        ));
    }
    if req.merchant_name.trim().is_empty()
        && req.uscc.as_deref().is_none_or(|u| u.trim().is_empty())
    {
        return Err(AppError::invalid_field(
            "merchant_name",
            "missing_field",
            "a complaint names its merchant: merchant_name or uscc",
        ));
    }
    if req.purchase_quantity.is_some_and(|q| q < 0) {
        return Err(AppError::invalid_field(
            "purchase_quantity",
            "invalid_quantity",
            "purchase_quantity cannot be negative",
        ));
    }
    let uscc = req
        .uscc
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(Uscc::parse)
        .transpose()?;
    Ok(ValidComplaint {
        channel,
        ticket_no,
        kind,
        received_at,
        category,
        involved,
        uscc,
    })
}

/// Records a complaint from a channel. The same channel and ticket again changes nothing.
pub async fn intake<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    req: NewComplaint,
    ctx: &IntakeContext<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<IntakeResult> {
    let valid = validate(&req, now)?;
    let ValidComplaint {
        channel,
        ticket_no,
        kind,
        received_at,
        category,
        involved,
        uscc,
    } = valid;
    if let Some(known) = already_taken_in(db, channel, &ticket_no, ctx, now).await? {
        return Ok(known);
    }
    let ticket = ticket_no.clone();
    let (merchant, suggestions) =
        match_merchant(db, uscc.as_ref(), &req.merchant_name, ctx.index.clone()).await?;
    let key = req
        .complainant
        .as_ref()
        .and_then(|c| complainant_key(ctx.key_secret, c));

    let txn = crate::store::begin_write(db).await?;
    if let (Some(key), Some(contact)) = (&key, &req.complainant) {
        privacy::record_contact(
            &txn,
            key,
            [
                contact.name.as_deref(),
                contact.phone.as_deref(),
                contact.id_number.as_deref(),
            ],
            now,
        )
        .await?;
    }
    let saved = complaint::Entity::insert(complaint::ActiveModel {
        channel: Set(channel.code().to_owned()),
        ticket_no: Set(ticket_no),
        kind: Set(kind.code().to_owned()),
        status: Set(ComplaintStatus::Received.code().to_owned()),
        received_at: Set(received_at),
        accepted_at: Set(None),
        closed_at: Set(None),
        merchant_id: Set(merchant.as_ref().map(|m| m.id)),
        merchant_name: Set(req.merchant_name.trim().to_owned()),
        category: Set(category),
        industry: Set(merchant.as_ref().map(|m| m.industry.clone())),
        street: Set(merchant.as_ref().map(|m| m.street.clone())),
        amount_involved_fen: Set(involved),
        amount_recovered_fen: Set(0),
        satisfaction: Set(None),
        complainant_key: Set(key),
        text: Set(req.text.trim().to_owned()),
        punitive_demand: Set(req.punitive_demand),
        purchase_quantity: Set(req.purchase_quantity),
        merchant_response: Set(None),
        responded_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await;
    let saved = match saved {
        Ok(saved) => saved,
        Err(e) => {
            // The same ticket taken in by a request running at the same moment: intake is
            // idempotent, so this one answers as a repeat would.
            let e = AppError::from(e);
            drop(txn);
            if e.is_unique_violation()
                && let Some(known) = already_taken_in(db, channel, &ticket, ctx, now).await?
            {
                return Ok(known);
            }
            return Err(e);
        }
    };
    // The audit row carries no personal data: the contact lives in its own table.
    audit::record(
        &txn,
        actor,
        audit::Entry {
            note: None,
            action: "complaint.intake",
            entity: "complaint",
            entity_id: saved.id.to_string(),
            subject: Some(format!("{}/{}", saved.channel, saved.ticket_no)),
            before: None,
            after: serde_json::to_value(&saved).ok(),
        },
        now,
    )
    .await?;
    scores::commit_and_rescore(db, txn, merchant.as_ref(), "complaint", ctx.scoring, now).await?;
    crate::claimants::reassess_after_write(
        db,
        saved.complainant_key.as_deref(),
        &ctx.scoring.model.claimants,
        now,
    )
    .await;
    Ok(IntakeResult {
        created: true,
        complaint: view(db, saved, &ctx.scoring.calendar, true, now).await?,
        merchant_suggestions: suggestions,
    })
}

/// The answer to a ticket already taken in: the recorded complaint, `created: false`.
async fn already_taken_in<C: ConnectionTrait>(
    db: &C,
    channel: Channel,
    ticket_no: &str,
    ctx: &IntakeContext<'_>,
    now: DateTime<Utc>,
) -> AppResult<Option<IntakeResult>> {
    let Some(existing) = complaint::Entity::find()
        .filter(complaint::Column::Channel.eq(channel.code()))
        .filter(complaint::Column::TicketNo.eq(ticket_no))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(IntakeResult {
        created: false,
        complaint: view(db, existing, &ctx.scoring.calendar, true, now).await?,
        merchant_suggestions: vec![],
    }))
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transition {
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = "^(received|accepted|rejected|mediating|settled|mediation_failed|withdrawn|converted_to_case)$"
        )
    )]
    pub to: String,
    pub amount_recovered_yuan: Option<Yuan>,
    pub satisfaction: Option<String>,
    /// Why: kept with the move in the complaint's history. Required to reject (不予受理)
    /// and to end a mediation that failed, whose reasons the complainant is told.
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub note: Option<String>,
}

/// The longest reason a move keeps.
pub const NOTE_MAX_CHARS: usize = 2_000;

/// The moves whose reason the complainant must be told.
pub fn needs_reason(to: ComplaintStatus) -> bool {
    matches!(
        to,
        ComplaintStatus::Rejected | ComplaintStatus::MediationFailed
    )
}

fn not_found(id: i64) -> AppError {
    AppError::NotFound {
        code: "complaint_not_found",
        message: format!("no complaint {id}"),
    }
}

/// Moves a complaint along its lifecycle; an invalid move is a 409 listing the allowed.
pub async fn transition<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    id: i64,
    req: Transition,
    scoring: &Scoring,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<ComplaintView> {
    let c = complaint::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| not_found(id))?;
    let kind = ComplaintKind::parse(&c.kind).unwrap_or(ComplaintKind::Complaint);
    let from = ComplaintStatus::parse(&c.status).unwrap_or(ComplaintStatus::Received);
    let to = ComplaintStatus::parse(&req.to).ok_or_else(|| {
        AppError::invalid("invalid_status", format!("unknown status {:?}", req.to))
    })?;
    let allowed = allowed_next(kind, from);
    if !allowed.contains(&to) {
        let list: Vec<&str> = allowed.iter().map(|s| s.code()).collect();
        return Err(AppError::Conflict {
            code: "invalid_transition",
            message: format!(
                "a {} that is {} cannot become {}; allowed: {}",
                kind.code(),
                from.code(),
                to.code(),
                if list.is_empty() {
                    "none (it is closed)".to_owned()
                } else {
                    list.join(", ")
                }
            ),
        });
    }
    let note = req
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if note.is_none() && needs_reason(to) {
        return Err(AppError::invalid_field(
            "note",
            "reason_required",
            format!("a move to {} needs a reason (note)", to.code()),
        ));
    }
    if note
        .as_deref()
        .is_some_and(|n| n.chars().count() > NOTE_MAX_CHARS)
    {
        return Err(AppError::invalid_field(
            "note",
            "note_too_long",
            format!("a note has at most {NOTE_MAX_CHARS} characters"),
        ));
    }
    let recovered = req
        .amount_recovered_yuan
        .as_ref()
        .map(|y| y.fen("amount_recovered_yuan"))
        .transpose()?;
    if let Some(r) = recovered
        && c.amount_involved_fen > 0
        && r > c.amount_involved_fen
    {
        return Err(AppError::invalid(
            "invalid_amount",
            "amount_recovered_yuan cannot exceed the amount involved",
        ));
    }
    let before = serde_json::to_value(&c).ok();
    let mut active = complaint::ActiveModel {
        id: Set(c.id),
        status: Set(to.code().to_owned()),
        updated_at: Set(now),
        ..Default::default()
    };
    if to == ComplaintStatus::Accepted {
        active.accepted_at = Set(Some(now));
    }
    if is_closed(to) {
        active.closed_at = Set(Some(now));
    }
    if let Some(r) = recovered {
        active.amount_recovered_fen = Set(r);
    }
    if let Some(s) = req
        .satisfaction
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if !matches!(s, "satisfied" | "basically_satisfied" | "unsatisfied") {
            return Err(AppError::invalid(
                "invalid_satisfaction",
                "satisfaction is satisfied, basically_satisfied or unsatisfied",
            ));
        }
        active.satisfaction = Set(Some(s.to_owned()));
    }
    let txn = crate::store::begin_write(db).await?;
    let saved = complaint::Entity::update(active).exec(&txn).await?;
    audit::record(
        &txn,
        actor,
        audit::Entry {
            note,
            action: &format!("complaint.{}", to.code()),
            entity: "complaint",
            entity_id: saved.id.to_string(),
            subject: None,
            before,
            after: serde_json::to_value(&saved).ok(),
        },
        now,
    )
    .await?;
    let merchant = match saved.merchant_id {
        Some(mid) => merchant::Entity::find_by_id(mid).one(&txn).await?,
        None => None,
    };
    scores::commit_and_rescore(db, txn, merchant.as_ref(), "complaint", scoring, now).await?;
    // A withdrawal soon after receipt is a claimant signal.
    crate::claimants::reassess_after_write(
        db,
        saved.complainant_key.as_deref(),
        &scoring.model.claimants,
        now,
    )
    .await;
    view(db, saved, &scoring.calendar, true, now).await
}

/// A merchant's answer to a complaint about it. Another merchant's complaint is 404.
pub async fn answer<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    id: i64,
    merchant_id: i64,
    text: &str,
    scoring: &Scoring,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<ComplaintView> {
    let not_found = || not_found(id);
    let c = complaint::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    if c.merchant_id != Some(merchant_id) {
        return Err(not_found());
    }
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 5_000 {
        return Err(AppError::invalid(
            "invalid_answer",
            "an answer has 1 to 5,000 characters",
        ));
    }
    let before = serde_json::to_value(&c).ok();
    let txn = crate::store::begin_write(db).await?;
    let saved = complaint::Entity::update(complaint::ActiveModel {
        id: Set(c.id),
        merchant_response: Set(Some(text.to_owned())),
        responded_at: Set(Some(now)),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        audit::Entry {
            note: None,
            action: "complaint.answer",
            entity: "complaint",
            entity_id: saved.id.to_string(),
            subject: None,
            before,
            after: serde_json::to_value(&saved).ok(),
        },
        now,
    )
    .await?;
    let m = merchant::Entity::find_by_id(merchant_id).one(&txn).await?;
    scores::commit_and_rescore(db, txn, m.as_ref(), "complaint", scoring, now).await?;
    view(db, saved, &scoring.calendar, false, now).await
}

/// One complaint, as a regulator (full contact) or the merchant concerned (masked).
pub async fn get<C: ConnectionTrait>(
    db: &C,
    id: i64,
    for_merchant: Option<i64>,
    calendar: &WorkCalendar,
    now: DateTime<Utc>,
) -> AppResult<ComplaintView> {
    let not_found = || not_found(id);
    let c = complaint::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    if let Some(mid) = for_merchant
        && c.merchant_id != Some(mid)
    {
        return Err(not_found());
    }
    view(db, c, calendar, for_merchant.is_none(), now).await
}

/// The statistics the complaint-publicity rules publish for one merchant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplaintStats {
    pub uscc: String,
    /// Complaints and reports received in the last 12 months: this month and the 11
    /// before it, from the first day's midnight in the district's time (the months of the
    /// merchant page's monthly chart, whose bars sum to this).
    pub last_12_months: u64,
    /// The same for the 12 months before those.
    pub previous_12_months: u64,
    /// Change against the previous 12 months, in per cent; `None` when there were none.
    pub growth_percent: Option<f64>,
    pub accepted: u64,
    pub not_accepted: u64,
    pub settled: u64,
    pub converted_to_case: u64,
    /// Settled among mediations that ended (settled or failed), in per cent.
    pub mediation_success_percent: Option<f64>,
    /// Complaints the merchant answered, in per cent.
    pub answered_percent: Option<f64>,
    pub as_of: DateTime<Utc>,
}

fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (10_000.0 * part as f64 / whole as f64).round() / 100.0)
}

pub async fn stats<C: ConnectionTrait>(
    db: &C,
    uscc: &Uscc,
    now: DateTime<Utc>,
) -> AppResult<ComplaintStats> {
    let m = crate::merchants::find_by_uscc(db, uscc).await?;
    // The window the monthly chart beside these counts shows (`clock::months_back`).
    let year = crate::clock::months_back(now, 12);
    let two_years = crate::clock::months_back(now, 24);
    let counted = || {
        complaint::Entity::find()
            .filter(complaint::Column::MerchantId.eq(m.id))
            .filter(complaint::Column::Kind.ne(ComplaintKind::Inquiry.code()))
    };
    let last: Vec<complaint::Model> = counted()
        .filter(complaint::Column::ReceivedAt.gte(year))
        .all(db)
        .await?;
    let previous = counted()
        .filter(complaint::Column::ReceivedAt.gte(two_years))
        .filter(complaint::Column::ReceivedAt.lt(year))
        .count(db)
        .await?;
    let n = last.len() as u64;
    let by = |s: ComplaintStatus| last.iter().filter(|c| c.status == s.code()).count() as u64;
    let settled = by(ComplaintStatus::Settled);
    let failed = by(ComplaintStatus::MediationFailed);
    let not_accepted = by(ComplaintStatus::Rejected);
    let received = by(ComplaintStatus::Received);
    let answered = last
        .iter()
        .filter(|c| c.merchant_response.is_some())
        .count() as u64;
    Ok(ComplaintStats {
        uscc: m.uscc,
        last_12_months: n,
        previous_12_months: previous,
        growth_percent: (previous > 0)
            .then(|| (10_000.0 * (n as f64 - previous as f64) / previous as f64).round() / 100.0),
        accepted: n - not_accepted - received,
        not_accepted,
        settled,
        converted_to_case: by(ComplaintStatus::ConvertedToCase),
        mediation_success_percent: percent(settled, settled + failed),
        answered_percent: percent(answered, n),
        as_of: now,
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ComplaintFilter {
    pub status: Option<String>,
    /// Only complaints waiting for a merchant match.
    #[serde(default)]
    pub unmatched: bool,
    /// Only those this account handles.
    pub assignee_id: Option<i64>,
    /// Only those still open (received, accepted or in mediation).
    #[serde(default)]
    pub open: bool,
    /// The page, from 1.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000000))]
    pub page: Option<u64>,
    /// Rows a page holds.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub per_page: Option<u64>,
}

/// A page of complaints.
pub type ComplaintPage = crate::paging::Page<ComplaintView>;

impl crate::paging::Listed for ComplaintView {
    const ROWS: &'static str = "complaints";
    const PAGE: &'static str = "ComplaintPage";
}

/// Complaints for the regulator's queues, newest first; or one merchant's own.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: ComplaintFilter,
    for_merchant: Option<i64>,
    calendar: &WorkCalendar,
    now: DateTime<Utc>,
) -> AppResult<ComplaintPage> {
    let (page, per_page) = crate::paging::paging(filter.page, filter.per_page)?;
    let mut select = complaint::Entity::find();
    if let Some(mid) = for_merchant {
        select = select.filter(complaint::Column::MerchantId.eq(mid));
    }
    if filter.unmatched {
        select = select.filter(complaint::Column::MerchantId.is_null());
    }
    if let Some(a) = filter.assignee_id {
        select = select.filter(complaint::Column::AssigneeId.eq(a));
    }
    if filter.open {
        select = select.filter(complaint::Column::Status.is_in(OPEN.iter().map(|s| s.code())));
    }
    if let Some(s) = filter
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let s = ComplaintStatus::parse(s)
            .ok_or_else(|| AppError::invalid("invalid_status", format!("unknown status {s:?}")))?;
        select = select.filter(complaint::Column::Status.eq(s.code()));
    }
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_desc(complaint::Column::ReceivedAt)
        .order_by_desc(complaint::Column::Id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    let mut complaints = Vec::with_capacity(rows.len());
    for c in rows {
        complaints.push(view(db, c, calendar, for_merchant.is_none(), now).await?);
    }
    Ok(crate::paging::Page::new(total, page, per_page, complaints))
}

/// Which merchant a complaint that arrived with a name only is about.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MerchantMatch {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$"))]
    pub uscc: String,
}

/// Matches a complaint to a merchant (a person confirming what intake could not be sure
/// of): audited, the merchant rescored and its change event written, the complainant
/// reassessed. A complaint already matched to another merchant is a 409; to the same one,
/// nothing changes.
pub async fn assign_merchant<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    id: i64,
    req: MerchantMatch,
    scoring: &Scoring,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<ComplaintView> {
    let uscc = Uscc::parse(&req.uscc)?;
    let c = complaint::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| not_found(id))?;
    let m = crate::merchants::find_by_uscc(db, &uscc).await?;
    match c.merchant_id {
        Some(mid) if mid == m.id => return view(db, c, &scoring.calendar, true, now).await,
        Some(_) => {
            return Err(AppError::Conflict {
                code: "already_matched",
                message: format!("complaint {id} is already matched to another merchant"),
            });
        }
        None => {}
    }
    let before = serde_json::to_value(&c).ok();
    let key = c.complainant_key.clone();
    let mut active: complaint::ActiveModel = c.into();
    active.merchant_id = Set(Some(m.id));
    active.industry = Set(Some(m.industry.clone()));
    active.street = Set(Some(m.street.clone()));
    active.updated_at = Set(now);
    let txn = crate::store::begin_write(db).await?;
    let saved = complaint::Entity::update(active).exec(&txn).await?;
    audit::record(
        &txn,
        actor,
        audit::Entry {
            note: None,
            action: "complaint.match",
            entity: "complaint",
            entity_id: saved.id.to_string(),
            subject: None,
            before,
            after: serde_json::to_value(&saved).ok(),
        },
        now,
    )
    .await?;
    scores::commit_and_rescore(db, txn, Some(&m), "complaint", scoring, now).await?;
    crate::claimants::reassess_after_write(db, key.as_deref(), &scoring.model.claimants, now).await;
    view(db, saved, &scoring.calendar, true, now).await
}

/// Who handles a complaint: an active regulator's account, or nobody.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignment {
    /// The account to handle it; `null` to take it off everyone's queue.
    pub assignee_id: Option<i64>,
}

/// Gives a complaint to a member of staff (or to nobody), audited. The assignee must be an
/// active regulator or admin. Nothing public changes, so nothing is rescored.
pub async fn assign<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    id: i64,
    req: Assignment,
    calendar: &WorkCalendar,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<ComplaintView> {
    let c = complaint::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| not_found(id))?;
    if let Some(a) = req.assignee_id {
        let staff = crate::accounts::staff(db).await?;
        if !staff.iter().any(|s| s.id == a) {
            return Err(AppError::invalid_field(
                "assignee_id",
                "invalid_assignee",
                format!("account {a} is not an active regulator"),
            ));
        }
    }
    if c.assignee_id == req.assignee_id {
        return view(db, c, calendar, true, now).await;
    }
    let before = serde_json::to_value(&c).ok();
    let txn = crate::store::begin_write(db).await?;
    let saved = complaint::Entity::update(complaint::ActiveModel {
        id: Set(c.id),
        assignee_id: Set(req.assignee_id),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        audit::Entry {
            action: "complaint.assign",
            entity: "complaint",
            entity_id: saved.id.to_string(),
            subject: None,
            before,
            after: serde_json::to_value(&saved).ok(),
            note: None,
        },
        now,
    )
    .await?;
    sea_orm::TransactionSession::commit(txn).await?;
    view(db, saved, calendar, true, now).await
}

/// Open complaints and reports past their statutory deadline, the most overdue first (at
/// most `limit`), with how many there are in all.
pub async fn overdue<C: ConnectionTrait>(
    db: &C,
    calendar: &WorkCalendar,
    limit: usize,
    now: DateTime<Utc>,
) -> AppResult<(u64, Vec<ComplaintView>)> {
    let today = crate::clock::today(now);
    // No deadline is shorter than 7 working days, so nothing received in the last week
    // can be overdue; the rest are judged by the working-day calendar.
    // Only the columns the deadline needs, for every open candidate (through the status
    // index); whole rows only for those shown.
    type Candidate = (i64, String, String, DateTime<Utc>, Option<DateTime<Utc>>);
    let candidates: Vec<Candidate> = complaint::Entity::find()
        .select_only()
        .column(complaint::Column::Id)
        .column(complaint::Column::Kind)
        .column(complaint::Column::Status)
        .column(complaint::Column::ReceivedAt)
        .column(complaint::Column::AcceptedAt)
        .filter(complaint::Column::Status.is_in(OPEN.iter().map(|s| s.code())))
        .filter(complaint::Column::Kind.ne(ComplaintKind::Inquiry.code()))
        .filter(complaint::Column::ReceivedAt.lt(now - TimeDelta::days(7)))
        .into_tuple()
        .all(db)
        .await?;
    let mut late: Vec<(NaiveDate, i64)> = candidates
        .into_iter()
        .filter_map(|(id, kind, status, received_at, accepted_at)| {
            let due = deadlines::current_due_on(
                ComplaintKind::parse(&kind)?,
                ComplaintStatus::parse(&status)?,
                crate::clock::date_of(received_at),
                accepted_at.map(crate::clock::date_of),
                calendar,
            )?;
            (due < today).then_some((due, id))
        })
        .collect();
    let total = late.len() as u64;
    late.sort_unstable();
    late.truncate(limit);
    let ids: Vec<i64> = late.iter().map(|(_, id)| *id).collect();
    let mut rows: HashMap<i64, complaint::Model> = complaint::Entity::find()
        .filter(complaint::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut views = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(c) = rows.remove(&id) {
            views.push(view(db, c, calendar, true, now).await?);
        }
    }
    Ok((total, views))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_follow_the_lifecycle() {
        use ComplaintStatus::*;
        assert_eq!(
            allowed_next(ComplaintKind::Complaint, Received),
            vec![Accepted, Rejected, ConvertedToCase]
        );
        assert_eq!(
            allowed_next(ComplaintKind::Complaint, Mediating),
            vec![Settled, MediationFailed, Withdrawn, ConvertedToCase]
        );
        assert_eq!(
            allowed_next(ComplaintKind::Complaint, ConvertedToCase),
            Vec::<ComplaintStatus>::new()
        );
        assert!(allowed_next(ComplaintKind::Complaint, Settled).contains(&ConvertedToCase));
    }

    #[test]
    fn masks_personal_data() {
        assert_eq!(privacy::mask_phone("13812341234"), "138****1234");
        assert_eq!(privacy::mask_name("张三丰"), "张**");
    }

    #[test]
    fn keys_are_stable_and_keyed() {
        let c = ComplainantContact {
            phone: Some("138 1234 1234".into()),
            ..Default::default()
        };
        let a = complainant_key("s1", &c).unwrap();
        assert_eq!(
            a,
            complainant_key(
                "s1",
                &ComplainantContact {
                    phone: Some("13812341234".into()),
                    ..Default::default()
                }
            )
            .unwrap()
        );
        assert_ne!(a, complainant_key("s2", &c).unwrap());
        assert!(!a.contains("1234"));
    }

    #[test]
    fn times_without_offset_are_beijing_time() {
        let t = parse_time("2026-03-15 09:30:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-15T01:30:00+00:00");
        assert!(parse_time("yesterday").is_err());
    }
}
