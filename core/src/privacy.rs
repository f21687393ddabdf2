//! Complainants' personal data: sealed at rest, masked wherever anyone but a regulator reads.
//! This module owns the `complainant_contacts` table: intake records a contact through it,
//! regulators' views and the claimant review open one through it.
//!
//! - **At rest.** Names, phone and ID numbers in `complainant_contacts` are sealed with
//!   XChaCha20-Poly1305 under the district's contact key, bound to the row's complainant key
//!   and the field, so a value cannot be moved to another person or field. A sealed value reads
//!   `v1.<key id>.<base64(nonce ‖ ciphertext)>`; rows written before sealing existed are plain
//!   text and are read as they are until `fangxin privacy reseal` seals them.
//! - **Key rotation.** The first key is current; earlier ones stay listed for reading only.
//!   Add a new key in front, run `fangxin privacy reseal` (every row is opened with whichever
//!   key sealed it and sealed again with the current one), then drop the old key.
//! - **Masking.** A mobile number shows its first 3 and last 4 digits; any other number at
//!   most its last 2. Complaint texts shown outside the regulator
//!   role have mobile and landline numbers, ID numbers and bank-card numbers starred out.

use std::sync::RwLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};
use crate::store::entities::complainant_contact;

/// One contact key: 32 bytes, known by the first 8 hex digits of its hash.
#[derive(Clone)]
pub struct ContactKey {
    id: String,
    key: [u8; 32],
}

impl ContactKey {
    /// A key from its configured text: 64 hex digits, or any longer secret (hashed to 32
    /// bytes).
    pub fn from_config(text: &str) -> Result<ContactKey, String> {
        let text = text.trim();
        let key: [u8; 32] = match hex::decode(text) {
            Ok(bytes) if bytes.len() == 32 => bytes.try_into().map_err(|_| "32 bytes")?,
            _ if text.len() >= 32 => Sha256::digest(text.as_bytes()).into(),
            _ => return Err("a contact key is 64 hex digits or a secret of 32+ characters".into()),
        };
        Ok(ContactKey::from_bytes(key))
    }

    pub fn from_bytes(key: [u8; 32]) -> ContactKey {
        let id = hex::encode(&Sha256::digest(key)[..4]);
        ContactKey { id, key }
    }

    pub fn random() -> ContactKey {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        ContactKey::from_bytes(key)
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

static KEYS: RwLock<Vec<ContactKey>> = RwLock::new(Vec::new());

/// The keys: the current one first, then older ones still read. Set at start-up; keys set
/// before in this process stay readable (a test process runs many apps side by side).
pub fn set_contact_keys(keys: Vec<ContactKey>) {
    let mut held = match KEYS.write() {
        Ok(k) => k,
        Err(poisoned) => poisoned.into_inner(),
    };
    let earlier: Vec<ContactKey> = held
        .drain(..)
        .filter(|old| keys.iter().all(|k| k.id != old.id))
        .collect();
    *held = keys;
    held.extend(earlier);
}

fn keys() -> Vec<ContactKey> {
    let current = match KEYS.read() {
        Ok(k) => k.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    if !current.is_empty() {
        return current;
    }
    // Nothing configured (a unit test): one random key for this process.
    let key = ContactKey::random();
    match KEYS.write() {
        Ok(mut k) if k.is_empty() => {
            k.push(key);
            k.clone()
        }
        Ok(k) => k.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

const PREFIX: &str = "v1.";

fn associated(owner: &str, field: &str) -> Vec<u8> {
    format!("fangxin contact\0{owner}\0{field}").into_bytes()
}

/// Seals `value` of `field` for the complainant `owner` under the current key.
pub fn seal(owner: &str, field: &str, value: &str) -> String {
    let keys = keys();
    let Some(key) = keys.first() else {
        return String::new();
    };
    let cipher = XChaCha20Poly1305::new((&key.key).into());
    let mut nonce = [0u8; 24];
    rand::rng().fill_bytes(&mut nonce);
    let aad = associated(owner, field);
    let sealed = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: value.as_bytes(),
                aad: &aad,
            },
        )
        .unwrap_or_default();
    let mut bytes = nonce.to_vec();
    bytes.extend_from_slice(&sealed);
    format!("{PREFIX}{}.{}", key.id, URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether a stored value is sealed (and with which key).
pub fn sealed_with(stored: &str) -> Option<&str> {
    stored
        .strip_prefix(PREFIX)?
        .split_once('.')
        .map(|(id, _)| id)
}

/// Opens a stored value: a sealed one with the key that sealed it, a plain one (written
/// before sealing) as it is. `None` when no listed key opens it.
pub fn open(owner: &str, field: &str, stored: &str) -> Option<String> {
    let Some(rest) = stored.strip_prefix(PREFIX) else {
        return Some(stored.to_owned());
    };
    let (id, body) = rest.split_once('.')?;
    let keys = keys();
    let key = keys.iter().find(|k| k.id == id)?;
    let bytes = URL_SAFE_NO_PAD.decode(body).ok()?;
    if bytes.len() < 24 {
        return None;
    }
    let (nonce, sealed) = bytes.split_at(24);
    let nonce = XNonce::from(<[u8; 24]>::try_from(nonce).ok()?);
    let cipher = XChaCha20Poly1305::new((&key.key).into());
    let aad = associated(owner, field);
    let plain = cipher
        .decrypt(
            &nonce,
            Payload {
                msg: sealed,
                aad: &aad,
            },
        )
        .ok()?;
    String::from_utf8(plain).ok()
}

/// The id of the current key.
pub fn current_key_id() -> String {
    keys().first().map(|k| k.id.clone()).unwrap_or_default()
}

/// Records a complainant's contact (name, phone, ID number), sealed, unless one is recorded
/// under the key already. Part of the caller's transaction.
pub async fn record_contact<C: ConnectionTrait>(
    txn: &C,
    key: &str,
    [name, phone, id_number]: [Option<&str>; 3],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let known = complainant_contact::Entity::find()
        .filter(complainant_contact::Column::ComplainantKey.eq(key))
        .one(txn)
        .await?
        .is_some();
    if known {
        return Ok(());
    }
    let sealed = |field: &str, value: Option<&str>| value.map(|v| seal(key, field, v));
    complainant_contact::Entity::insert(complainant_contact::ActiveModel {
        complainant_key: Set(key.to_owned()),
        name: Set(sealed("name", name)),
        phone: Set(sealed("phone", phone)),
        id_number: Set(sealed("id_number", id_number)),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// A complainant's contact, opened: for regulators, who reach people, and for masking.
pub struct Contact {
    row: complainant_contact::Model,
}

impl Contact {
    fn field(&self, field: &str, value: &Option<String>) -> Option<String> {
        value
            .as_deref()
            .and_then(|v| open(&self.row.complainant_key, field, v))
    }
    pub fn name(&self) -> Option<String> {
        self.field("name", &self.row.name)
    }
    pub fn phone(&self) -> Option<String> {
        self.field("phone", &self.row.phone)
    }
    pub fn id_number(&self) -> Option<String> {
        self.field("id_number", &self.row.id_number)
    }
}

/// The contact behind a complainant key, if one was given.
pub async fn contact_of<C: ConnectionTrait>(db: &C, key: &str) -> AppResult<Option<Contact>> {
    Ok(complainant_contact::Entity::find()
        .filter(complainant_contact::Column::ComplainantKey.eq(key))
        .one(db)
        .await?
        .map(|row| Contact { row }))
}

/// Seals every contact again with the current key: after a key is added in front (rotation),
/// or to seal rows written before sealing existed. Returns (rows sealed again, rows already
/// under the current key). A row no listed key opens is an error, and nothing is half-done
/// for it.
pub async fn reseal_contacts<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    mut progress: impl FnMut(u64),
) -> AppResult<(u64, u64)> {
    let current = current_key_id();
    let (mut resealed, mut current_already) = (0u64, 0u64);
    let mut after = 0i64;
    loop {
        let rows = complainant_contact::Entity::find()
            .filter(complainant_contact::Column::Id.gt(after))
            .order_by_asc(complainant_contact::Column::Id)
            .limit(500)
            .all(db)
            .await?;
        let Some(last) = rows.last() else {
            return Ok((resealed, current_already));
        };
        after = last.id;
        let txn = crate::store::begin_write(db).await?;
        for row in rows {
            let fields = [
                ("name", &row.name),
                ("phone", &row.phone),
                ("id_number", &row.id_number),
            ];
            if fields.iter().all(|(_, v)| {
                v.as_deref()
                    .is_none_or(|v| sealed_with(v) == Some(current.as_str()))
            }) {
                current_already += 1;
                continue;
            }
            let mut again = Vec::with_capacity(3);
            for (field, value) in fields {
                again.push(match value.as_deref() {
                    None => None,
                    Some(v) => {
                        let plain = open(&row.complainant_key, field, v).ok_or_else(|| {
                            AppError::Internal(anyhow::anyhow!(
                                "contact {} ({field}) opens with none of the listed keys",
                                row.id
                            ))
                        })?;
                        Some(seal(&row.complainant_key, field, &plain))
                    }
                });
            }
            let mut active: complainant_contact::ActiveModel = row.into();
            active.name = Set(again[0].take());
            active.phone = Set(again[1].take());
            active.id_number = Set(again[2].take());
            complainant_contact::Entity::update(active)
                .exec(&txn)
                .await?;
            resealed += 1;
        }
        sea_orm::TransactionSession::commit(txn).await?;
        progress(resealed + current_already);
    }
}

/// A phone number as people other than regulators see it: a mobile number (11 digits from 1)
/// its first 3 and last 4 digits, any other of 6 digits or more its last 2, a shorter one
/// nothing.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    let n = digits.len();
    let mobile = n == 11 && digits.first() == Some(&'1');
    let (head, tail) = match n {
        _ if mobile => (3, 4),
        6.. => (0, 2),
        _ => (0, 0),
    };
    let mut out = String::with_capacity(n);
    for (i, d) in digits.iter().enumerate() {
        out.push(if i < head || i >= n - tail { *d } else { '*' });
    }
    if out.is_empty() { "****".into() } else { out }
}

/// A name as people other than regulators see it: its first character.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count().max(1))),
        None => String::new(),
    }
}

/// A text with the numbers that identify a person starred out: mobile numbers (11 digits
/// from 1), landlines with their area code, ID numbers (15 or 18 characters, the last may be
/// X), bank cards (16 to 19 digits), and 7–8 digit numbers right after a word for phone.
/// Digits may be grouped by spaces or hyphens. Amounts, dates and ticket numbers stay.
pub fn redact(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && chars[i - 1].is_ascii_alphanumeric()) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // A run of digits, with single spaces or hyphens between groups.
        let start = i;
        let mut digits = String::new();
        let mut end = i;
        while end < chars.len() {
            let c = chars[end];
            if c.is_ascii_digit() {
                digits.push(c);
                end += 1;
            } else if matches!(c, ' ' | '-')
                && end + 1 < chars.len()
                && chars[end + 1].is_ascii_digit()
                && end > start
                && chars[end - 1].is_ascii_digit()
            {
                end += 1;
            } else {
                break;
            }
        }
        // An ID number's check character.
        if digits.len() == 17 && end < chars.len() && matches!(chars[end], 'X' | 'x') {
            digits.push('X');
            end += 1;
        }
        let before: String = chars[start.saturating_sub(6)..start].iter().collect();
        let phone_word = ["电话", "手机", "联系", "号码", "tel", "Tel", "TEL"]
            .iter()
            .any(|w| before.contains(w));
        let n = digits.len();
        let personal = (n == 11 && digits.starts_with('1'))
            || ((10..=12).contains(&n) && digits.starts_with('0'))
            || n == 15
            || n == 18
            || (16..=19).contains(&n)
            || ((7..=8).contains(&n) && phone_word);
        let followed_by_alnum = end < chars.len() && chars[end].is_ascii_alphanumeric();
        for c in &chars[start..end] {
            out.push(
                if personal && !followed_by_alnum && c.is_ascii_alphanumeric() {
                    '*'
                } else {
                    *c
                },
            );
        }
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked_by_their_length() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("138 1234 1234"), "138****1234");
        assert_eq!(mask_phone("65432109"), "******09", "8 digits show 2");
        assert_eq!(mask_phone("0871-65432109"), "**********09");
        assert_eq!(mask_phone("12345"), "*****");
        assert_eq!(mask_phone(""), "****");
        assert_eq!(mask_name("张三丰"), "张**");
    }

    #[test]
    fn texts_lose_the_numbers_that_name_a_person() {
        let t = "我的手机13812341234，身份证53010219800101123X，卡号6222 0212 3456 7890 123，\
                 座机0871-65432109，电话 6543210。消费金额1280元，2026年3月5日，订单20260305。";
        let r = redact(t);
        for secret in [
            "13812341234",
            "53010219800101123X",
            "6222 0212 3456 7890 123",
            "0871-65432109",
            "6543210",
        ] {
            assert!(!r.contains(secret), "{secret} in {r}");
        }
        for kept in ["1280元", "2026年3月5日", "订单20260305"] {
            assert!(r.contains(kept), "{kept} lost in {r}");
        }
        assert!(r.contains("***********"));
    }

    #[test]
    fn sealed_values_open_only_for_their_owner_and_field() {
        let sealed = seal("ck1", "phone", "13812341234");
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("1381234"));
        assert_eq!(
            open("ck1", "phone", &sealed).as_deref(),
            Some("13812341234")
        );
        assert_eq!(open("ck2", "phone", &sealed), None, "another person's row");
        assert_eq!(open("ck1", "name", &sealed), None, "another field");
        assert_eq!(
            open("ck1", "phone", "13800000000").as_deref(),
            Some("13800000000")
        );
        assert_eq!(sealed_with(&sealed), Some(current_key_id().as_str()));
    }
}
