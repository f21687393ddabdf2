//! Merchants that arrive by file: the same rules as registration, many rows at a time.

use chrono::{DateTime, Utc};
use fangxin_scoring::domain::MerchantStatus;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};

use super::{NewMerchant, by_uscc, normalize_street};
use crate::audit::{self, Actor};
use crate::error::AppResult;
use crate::store::BatchOutcome;
use crate::store::entities::merchant;

/// The stored form of a merchant row over what is recorded: former names are kept (an
/// import never forgets one), and a new legal name keeps the old among them.
fn merged(existing: Option<&merchant::Model>, m: &NewMerchant) -> merchant::Model {
    let name = m.name.trim().to_owned();
    let mut former: Vec<String> = m
        .former_names
        .iter()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    if let Some(e) = existing {
        for n in e
            .former_names
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
        {
            if !former.iter().any(|f| f == n) {
                former.push(n.to_owned());
            }
        }
        if e.name != name && !former.contains(&e.name) {
            former.push(e.name.clone());
        }
    }
    former.retain(|f| *f != name);
    merchant::Model {
        id: existing.map_or(0, |e| e.id),
        uscc: m.uscc.to_string(),
        name,
        sign_name: m
            .sign_name
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        former_names: serde_json::json!(former),
        kind: m.kind.code().to_owned(),
        industry: m.industry.trim().to_owned(),
        street: normalize_street(&m.street),
        address: m.address.trim().to_owned(),
        legal_representative: m
            .legal_representative
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        established_on: m.established_on,
        status: existing.map_or_else(
            || MerchantStatus::Operating.code().to_owned(),
            |e| e.status.clone(),
        ),
        latitude: existing.and_then(|e| e.latitude),
        longitude: existing.and_then(|e| e.longitude),
        created_at: existing.map_or(now_placeholder(), |e| e.created_at),
        updated_at: existing.map_or(now_placeholder(), |e| e.updated_at),
    }
}

fn now_placeholder() -> DateTime<Utc> {
    DateTime::<Utc>::MIN_UTC
}

/// Writes a batch of merchant rows inside an import's transaction: new merchants are
/// registered, changed ones updated (their former names kept), each with its audit entry
/// naming the file; change events for every merchant whose data changed.
pub async fn import_batch<C: ConnectionTrait>(
    txn: &C,
    rows: Vec<NewMerchant>,
    actor: &Actor,
    sha256: &str,
    now: DateTime<Utc>,
) -> AppResult<BatchOutcome> {
    let mut outcome = BatchOutcome::default();
    let mut entries = Vec::new();
    // The same USCC twice in a batch: the file's rows are identical (checked), keep one.
    let mut unique: Vec<NewMerchant> = Vec::with_capacity(rows.len());
    for m in rows {
        if unique.iter().any(|u| u.uscc == m.uscc) {
            outcome.unchanged += 1;
        } else {
            unique.push(m);
        }
    }
    let existing = by_uscc(txn, unique.iter().map(|m| m.uscc.to_string())).await?;
    let mut inserts = Vec::new();
    let mut new_usccs = Vec::new();
    let mut changed = Vec::new();
    for m in &unique {
        let current = existing.get(m.uscc.as_str());
        let target = merged(current, m);
        match current {
            None => {
                new_usccs.push(target.uscc.clone());
                entries.push(audit::Entry {
                    note: None,
                    action: "merchant.create",
                    entity: "merchant",
                    entity_id: target.uscc.clone(),
                    subject: None,
                    before: None,
                    after: Some(with_file(&target, sha256)),
                });
                let mut active = merchant::ActiveModel::from(target).reset_all();
                active.id = sea_orm::ActiveValue::NotSet;
                active.created_at = Set(now);
                active.updated_at = Set(now);
                inserts.push(active);
                outcome.created += 1;
            }
            Some(e) if *e == target => outcome.unchanged += 1,
            Some(e) => {
                entries.push(audit::Entry {
                    note: None,
                    action: "merchant.update",
                    entity: "merchant",
                    entity_id: e.uscc.clone(),
                    subject: None,
                    before: serde_json::to_value(e).ok(),
                    after: Some(with_file(&target, sha256)),
                });
                let mut active: merchant::ActiveModel = target.into();
                active.updated_at = Set(now);
                active = active.reset_all();
                active.id = sea_orm::ActiveValue::Unchanged(e.id);
                merchant::Entity::update(active).exec(txn).await?;
                changed.push((e.id, e.uscc.clone()));
                outcome.updated += 1;
            }
        }
    }
    if !inserts.is_empty() {
        merchant::Entity::insert_many(inserts)
            .exec_without_returning(txn)
            .await?;
        for (uscc, m) in by_uscc(txn, new_usccs.into_iter()).await? {
            changed.push((m.id, uscc));
        }
    }
    audit::record_many(txn, actor, entries, now).await?;
    outcome.changed = changed;
    Ok(outcome)
}

/// A merchant's audit form, naming the file it came in.
fn with_file(m: &merchant::Model, sha256: &str) -> serde_json::Value {
    let mut v = serde_json::to_value(m).unwrap_or_default();
    v["import_sha256"] = serde_json::Value::String(sha256.to_owned());
    v
}
