//! Consumer warnings and advice (消费警示 / 消费提示), with typical cases.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, EntityTrait, QueryOrder, TransactionSession,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::store::entities::warning;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewWarning {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub body: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub category: String,
    /// Defaults to today.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub published_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WarningView {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub category: String,
    pub published_on: NaiveDate,
}

impl From<warning::Model> for WarningView {
    fn from(w: warning::Model) -> Self {
        WarningView {
            id: w.id,
            title: w.title,
            body: w.body,
            category: w.category,
            published_on: w.published_on,
        }
    }
}

pub async fn publish<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    req: NewWarning,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<WarningView> {
    let title = req.title.trim();
    let body = req.body.trim();
    let category = req.category.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(AppError::invalid_field(
            "title",
            "invalid_title",
            "a title has 1 to 200 characters",
        ));
    }
    if body.is_empty() || body.chars().count() > 20_000 {
        return Err(AppError::invalid_field(
            "body",
            "invalid_body_text",
            "a warning has 1 to 20,000 characters of text",
        ));
    }
    if category.is_empty() {
        return Err(AppError::invalid_field(
            "category",
            "missing_field",
            "category must not be empty",
        ));
    }
    let today = crate::clock::today(now);
    let published_on = req.published_on.unwrap_or(today);
    if published_on > today {
        return Err(AppError::invalid(
            "future_date",
            "published_on cannot be in the future",
        ));
    }
    let txn = crate::store::begin_write(db).await?;
    let saved = warning::Entity::insert(warning::ActiveModel {
        title: Set(title.to_owned()),
        body: Set(body.to_owned()),
        category: Set(category.to_owned()),
        published_on: Set(published_on),
        created_by: Set(actor.account_id),
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
            action: "warning.publish",
            entity: "warning",
            entity_id: saved.id.to_string(),
            subject: None,
            before: None,
            after: serde_json::to_value(&saved).ok(),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(saved.into())
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct WarningQuery {
    pub category: Option<String>,
    /// The page, from 1.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000000))]
    pub page: Option<u64>,
    /// Rows a page holds.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub per_page: Option<u64>,
    /// The page after the one whose `next_cursor` this is (instead of `page`).
    pub after: Option<String>,
    /// The page before the one whose `prev_cursor` this is (instead of `page`).
    pub before: Option<String>,
    /// Read by an export, page after page: `total` is left at 0 rather than counted, and a
    /// page holds up to `paging::EXPORT_BATCH` rows.
    #[serde(skip)]
    pub export: bool,
}

/// A page of warnings.
pub type WarningPage = crate::paging::Page<WarningView>;

impl crate::paging::Listed for WarningView {
    const ROWS: &'static str = "warnings";
    const PAGE: &'static str = "WarningPage";
    const STAMPED: bool = true;
    const KEYED: bool = true;
}

/// The categories warnings have been published under, the most used first: what the
/// public list filters by.
pub async fn categories<C: ConnectionTrait>(db: &C) -> AppResult<Vec<String>> {
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::{Expr, ExprTrait};
    let rows: Vec<(String, i64)> = warning::Entity::find()
        .select_only()
        .column(warning::Column::Category)
        .column_as(Expr::col(warning::Column::Id).count(), "n")
        .group_by(warning::Column::Category)
        .order_by_desc(Expr::col(sea_orm::sea_query::Alias::new("n")))
        .order_by_asc(warning::Column::Category)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(c, _)| c).collect())
}

/// Newest first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    q: WarningQuery,
    now: DateTime<Utc>,
) -> AppResult<WarningPage> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let (seek, per_page) = crate::paging::seek(
        q.page,
        q.after.as_deref(),
        q.before.as_deref(),
        q.per_page,
        q.export,
    )?;
    let mut select = warning::Entity::find();
    if let Some(c) = q
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        select = select.filter(warning::Column::Category.eq(c));
    }
    let total = crate::paging::total(db, &select, q.export).await?;
    let page = crate::paging::keyed(
        db,
        select,
        (warning::Column::PublishedOn, warning::Column::Id),
        seek,
        per_page,
        |w: &warning::Model| (w.published_on, w.id),
    )
    .await?;
    let warnings = page.rows.into_iter().map(Into::into).collect();
    Ok(
        crate::paging::Page::new(total, page.page, per_page, warnings)
            .with_cursors(page.prev, page.next)
            .read_at(now),
    )
}
