//! Accounts, passwords and bearer tokens.
//!
//! Passwords are hashed with argon2id on blocking threads. A login returns a random
//! bearer token; only its SHA-256 is stored, with an expiry, and logout revokes it. Five
//! failed logins in a row lock an account for fifteen minutes; every address is limited
//! to twenty login attempts a minute.

mod limiter;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use chrono::{DateTime, TimeDelta, Utc};
use fangxin_scoring::Uscc;
use fangxin_scoring::domain::Role;
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use limiter::RateLimiter;

use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::store::entities::{account, api_token};

const MAX_FAILED_LOGINS: i32 = 5;
const LOCK_MINUTES: i64 = 15;
const TOKEN_HOURS: i64 = 12;

/// Who is calling, once a bearer token is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub account_id: i64,
    pub username: String,
    pub role: Role,
    /// The merchant an enterprise account is bound to.
    pub merchant_id: Option<i64>,
}

impl Session {
    /// Refuses unless the caller holds one of `roles`.
    pub fn require(&self, roles: &[Role]) -> AppResult<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden {
                code: "forbidden",
                message: "this account's role may not do this".into(),
            })
        }
    }

    /// The merchant of an enterprise account; refuses every other role.
    pub fn own_merchant(&self) -> AppResult<i64> {
        self.require(&[Role::Enterprise])?;
        self.merchant_id.ok_or(AppError::Forbidden {
            code: "forbidden",
            message: "this enterprise account is not bound to a merchant".into(),
        })
    }

    pub fn actor(&self, request_id: Option<String>) -> Actor {
        Actor {
            account_id: Some(self.account_id),
            role: self.role.code().to_owned(),
            request_id,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAccount {
    pub username: String,
    pub password: String,
    pub role: Role,
    /// Required for enterprise accounts: the merchant they act for.
    pub uscc: Option<Uscc>,
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuedToken {
    pub token: String,
    pub token_type: String,
    pub expires_at: DateTime<Utc>,
    pub role: Role,
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Counts a login attempt against the account: false when it is locked, or when the tries
/// left are all taken by attempts in flight.
async fn take_attempt<C: ConnectionTrait>(db: &C, id: i64, now: DateTime<Utc>) -> AppResult<bool> {
    use sea_orm::sea_query::ExprTrait;
    let taken = account::Entity::update_many()
        .col_expr(
            account::Column::FailedLogins,
            Expr::col(account::Column::FailedLogins).add(1),
        )
        .col_expr(
            account::Column::LockedUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .filter(account::Column::Id.eq(id))
        .filter(account::Column::FailedLogins.lt(MAX_FAILED_LOGINS))
        .filter(
            Condition::any()
                .add(account::Column::LockedUntil.is_null())
                .add(account::Column::LockedUntil.lte(now)),
        )
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// The refusal of a locked account, with the time it opens again.
async fn locked<C: ConnectionTrait>(db: &C, id: i64, now: DateTime<Utc>) -> AppResult<AppError> {
    let until = account::Entity::find_by_id(id)
        .one(db)
        .await?
        .and_then(|a| a.locked_until)
        .filter(|until| *until > now)
        // The last tries are still being checked: the lock is a moment away.
        .unwrap_or(now + TimeDelta::minutes(LOCK_MINUTES));
    Ok(AppError::TooManyRequests {
        code: "account_locked",
        message: format!(
            "too many failed logins: this account is locked until {} UTC",
            until.format("%Y-%m-%d %H:%M")
        ),
        retry_after_secs: (until - now).num_seconds().max(1) as u64,
    })
}

fn invalid_credentials() -> AppError {
    AppError::Unauthenticated {
        code: "invalid_credentials",
        message: "wrong username or password".into(),
    }
}

async fn hash_password(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(anyhow::anyhow!("password hashing: {e}")))
    })
    .await?
}

async fn verify_password(password: String, stored: String) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return Ok(false);
        };
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await?
}

/// Creates an account (audited). Usernames are unique; passwords at least 10 characters.
pub async fn create<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    new: NewAccount,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    let username = new.username.trim().to_owned();
    if username.is_empty() || username.chars().count() > 64 {
        return Err(AppError::invalid(
            "invalid_username",
            "a username has 1 to 64 characters",
        ));
    }
    if new.password.chars().count() < 10 {
        return Err(AppError::invalid(
            "weak_password",
            "a password has at least 10 characters",
        ));
    }
    let merchant_id = match (new.role, &new.uscc) {
        (Role::Enterprise, Some(uscc)) => Some(crate::merchants::find_by_uscc(db, uscc).await?.id),
        (Role::Enterprise, None) => {
            return Err(AppError::invalid(
                "missing_uscc",
                "an enterprise account is bound to a merchant: give its USCC",
            ));
        }
        (_, _) => None,
    };
    if account::Entity::find()
        .filter(account::Column::Username.eq(&username))
        .one(db)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict {
            code: "username_taken",
            message: format!("the username {username} is taken"),
        });
    }
    let password_hash = hash_password(new.password).await?;
    let txn = crate::store::begin_write(db).await?;
    let saved = account::Entity::insert(account::ActiveModel {
        username: Set(username.clone()),
        password_hash: Set(password_hash),
        role: Set(new.role.code().to_owned()),
        merchant_id: Set(merchant_id),
        display_name: Set(new.display_name),
        active: Set(true),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        audit::Entry {
            note: None,
            action: "account.create",
            entity: "account",
            entity_id: saved.id.to_string(),
            subject: None,
            before: None,
            after: serde_json::to_value(&saved).ok(),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(saved.id)
}

/// Checks a password and issues a bearer token.
pub async fn login<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> AppResult<IssuedToken> {
    let Some(acc) = account::Entity::find()
        .filter(account::Column::Username.eq(username.trim()))
        .one(db)
        .await?
    else {
        // Spend the same time as a real check, so timing does not reveal usernames.
        let _ = hash_password(password.to_owned()).await;
        return Err(invalid_credentials());
    };
    // Each attempt takes one of the five tries before its password is checked, in one
    // statement, so parallel guesses cannot all read the same count: the sixth finds none left.
    if !take_attempt(db, acc.id, now).await? {
        return Err(locked(db, acc.id, now).await?);
    }
    let ok = acc.active && verify_password(password.to_owned(), acc.password_hash.clone()).await?;
    if !ok {
        // The fifth failure locks the account (and gives the tries back for afterwards).
        account::Entity::update_many()
            .col_expr(account::Column::FailedLogins, Expr::value(0))
            .col_expr(
                account::Column::LockedUntil,
                Expr::value(Some(now + TimeDelta::minutes(LOCK_MINUTES))),
            )
            .col_expr(account::Column::UpdatedAt, Expr::value(now))
            .filter(account::Column::Id.eq(acc.id))
            .filter(account::Column::FailedLogins.gte(MAX_FAILED_LOGINS))
            .exec(db)
            .await?;
        return Err(invalid_credentials());
    }
    let update = account::ActiveModel {
        id: Set(acc.id),
        updated_at: Set(now),
        ..Default::default()
    };
    let role = Role::parse(&acc.role).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("account {} has an unknown role", acc.id))
    })?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let expires_at = now + TimeDelta::hours(TOKEN_HOURS);
    let txn = crate::store::begin_write(db).await?;
    let mut update = update;
    update.failed_logins = Set(0);
    update.locked_until = Set(None);
    account::Entity::update(update).exec(&txn).await?;
    api_token::Entity::insert(api_token::ActiveModel {
        account_id: Set(acc.id),
        token_hash: Set(token_hash(&token)),
        name: Set(Some("login".into())),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        last_used_at: Set(None),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(IssuedToken {
        token,
        token_type: "Bearer".into(),
        expires_at,
        role,
    })
}

/// The session a bearer token stands for.
pub async fn authenticate<C: ConnectionTrait>(
    db: &C,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<Session> {
    let unauthenticated = || AppError::Unauthenticated {
        code: "invalid_token",
        message: "the bearer token is unknown, expired or revoked; log in again".into(),
    };
    let stored = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(token_hash(token.trim())))
        .one(db)
        .await?
        .ok_or_else(unauthenticated)?;
    if stored.revoked_at.is_some() || stored.expires_at <= now {
        return Err(unauthenticated());
    }
    let acc = account::Entity::find_by_id(stored.account_id)
        .one(db)
        .await?
        .filter(|a| a.active)
        .ok_or_else(unauthenticated)?;
    let role = Role::parse(&acc.role).ok_or_else(unauthenticated)?;
    Ok(Session {
        account_id: acc.id,
        username: acc.username,
        role,
        merchant_id: acc.merchant_id,
    })
}

/// Revokes a bearer token.
pub async fn logout<C: ConnectionTrait>(db: &C, token: &str, now: DateTime<Utc>) -> AppResult<()> {
    api_token::Entity::update_many()
        .col_expr(
            api_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(api_token::Column::TokenHash.eq(token_hash(token.trim())))
        .exec(db)
        .await?;
    Ok(())
}

/// An account as admins see it (never its password hash).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountView {
    pub id: i64,
    pub username: String,
    pub role: Role,
    /// The merchant an enterprise account acts for.
    pub uscc: Option<String>,
    pub display_name: Option<String>,
    pub active: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

async fn view<C: ConnectionTrait>(db: &C, a: account::Model) -> AppResult<AccountView> {
    let uscc = match a.merchant_id {
        Some(id) => crate::store::entities::merchant::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|m| m.uscc),
        None => None,
    };
    Ok(AccountView {
        id: a.id,
        username: a.username,
        role: Role::parse(&a.role).unwrap_or(Role::Enterprise),
        uscc,
        display_name: a.display_name,
        active: a.active,
        locked_until: a.locked_until,
        created_at: a.created_at,
    })
}

/// One account by id, or 404.
pub async fn get<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<AccountView> {
    let a = account::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound {
            code: "account_not_found",
            message: format!("no account {id}"),
        })?;
    view(db, a).await
}

/// Every account, by username.
pub async fn list<C: ConnectionTrait>(db: &C) -> AppResult<Vec<AccountView>> {
    use sea_orm::QueryOrder;
    let rows = account::Entity::find()
        .order_by_asc(account::Column::Username)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        out.push(view(db, a).await?);
    }
    Ok(out)
}

/// A member of the bureau's staff who can handle a complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Staff {
    pub id: i64,
    /// The display name, else the username.
    pub name: String,
}

/// The active regulators and admins, by name: whom a complaint can be assigned to.
pub async fn staff<C: ConnectionTrait>(db: &C) -> AppResult<Vec<Staff>> {
    use sea_orm::{QueryOrder, QuerySelect};
    let rows: Vec<(i64, String, Option<String>)> = account::Entity::find()
        .select_only()
        .columns([
            account::Column::Id,
            account::Column::Username,
            account::Column::DisplayName,
        ])
        .filter(account::Column::Active.eq(true))
        .filter(account::Column::Role.is_in([Role::Regulator.code(), Role::Admin.code()]))
        .order_by_asc(account::Column::Username)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, username, display)| Staff {
            id,
            name: display.filter(|d| !d.trim().is_empty()).unwrap_or(username),
        })
        .collect())
}

/// An admin's change to an account: switch it off or on, or set a new password. Either
/// change revokes the account's tokens and lifts a lock.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountChange {
    pub active: Option<bool>,
    pub password: Option<String>,
}

pub async fn change<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    id: i64,
    req: AccountChange,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<AccountView> {
    if req.active.is_none() && req.password.is_none() {
        return Err(AppError::invalid(
            "missing_field",
            "give active, password or both",
        ));
    }
    if actor.account_id == Some(id) && req.active == Some(false) {
        return Err(AppError::Conflict {
            code: "cannot_deactivate_self",
            message: "an admin cannot switch off their own account".into(),
        });
    }
    let before = account::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound {
            code: "account_not_found",
            message: format!("no account {id}"),
        })?;
    let password_hash = match req.password {
        Some(p) if p.chars().count() < 10 => {
            return Err(AppError::invalid_field(
                "password",
                "weak_password",
                "a password has at least 10 characters",
            ));
        }
        Some(p) => Some(hash_password(p).await?),
        None => None,
    };
    let txn = crate::store::begin_write(db).await?;
    let mut update = account::ActiveModel {
        id: Set(id),
        failed_logins: Set(0),
        locked_until: Set(None),
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some(active) = req.active {
        update.active = Set(active);
    }
    let password_changed = password_hash.is_some();
    if let Some(hash) = password_hash {
        update.password_hash = Set(hash);
    }
    let saved = account::Entity::update(update).exec(&txn).await?;
    api_token::Entity::update_many()
        .col_expr(
            api_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(api_token::Column::AccountId.eq(id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    let mut after = serde_json::to_value(&saved).unwrap_or_default();
    if let Some(obj) = after.as_object_mut() {
        obj.insert("password_changed".into(), password_changed.into());
    }
    audit::record(
        &txn,
        actor,
        audit::Entry {
            note: None,
            action: "account.change",
            entity: "account",
            entity_id: id.to_string(),
            subject: None,
            before: serde_json::to_value(&before).ok(),
            after: Some(after),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    view(db, saved).await
}
