//! Page and page size of list endpoints, checked the same way everywhere.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

/// Default page size of the public lists.
pub const DEFAULT_PER_PAGE: u64 = 20;
/// Largest page size of the public lists.
pub const MAX_PER_PAGE: u64 = 200;
/// Largest page an export reads at a time: a batch is one query for the rows and one for
/// their merchants' codes, so the fewer batches the faster the file, while memory stays at
/// one batch (about 2 MB of penalties) and a pooled connection is held for one batch only.
pub const EXPORT_BATCH: u64 = 2_000;

/// `(page, per_page)`: pages start at 1, a page holds 1 to `max` items.
pub fn checked(
    page: Option<u64>,
    per_page: Option<u64>,
    default: u64,
    max: u64,
) -> AppResult<(u64, u64)> {
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(default);
    if page == 0 || per_page == 0 || per_page > max {
        return Err(AppError::invalid(
            "invalid_paging",
            format!("page starts at 1; per_page is 1 to {max}"),
        ));
    }
    if page > 1_000_000 {
        return Err(AppError::invalid(
            "invalid_paging",
            "page is at most 1,000,000",
        ));
    }
    Ok((page, per_page))
}

/// The public lists' paging: 20 a page by default, at most 200.
pub fn paging(page: Option<u64>, per_page: Option<u64>) -> AppResult<(u64, u64)> {
    checked(page, per_page, DEFAULT_PER_PAGE, MAX_PER_PAGE)
}

/// Where a page of a keyed list starts: a numbered page (what people pick), or the row after
/// or before which it starts (what API clients and the portal's next and previous links
/// carry). A page far down found by key costs what the first page costs; a numbered page
/// still skips the rows before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seek {
    Page(u64),
    After(Cursor),
    Before(Cursor),
}

/// A row's place in a list ordered newest first by a date and then by id, and the number of
/// the page it was shown on: `2026-11-30.4182.3`. Clients pass it back as they got it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub on: NaiveDate,
    pub id: i64,
    pub page: u64,
}

impl Cursor {
    pub fn parse(text: &str) -> Option<Cursor> {
        let mut parts = text.trim().split('.');
        let on = NaiveDate::parse_from_str(parts.next()?, "%Y-%m-%d").ok()?;
        let id = parts.next()?.parse().ok()?;
        let page: u64 = parts.next()?.parse().ok()?;
        (parts.next().is_none() && (1..=1_000_000).contains(&page)).then_some(Cursor {
            on,
            id,
            page,
        })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}.{}.{}",
            self.on.format("%Y-%m-%d"),
            self.id,
            self.page
        )
    }
}

/// The start of a page of a keyed list from its query: at most one of `page`, `after` and
/// `before`; a cursor that is not one this service wrote is refused.
pub fn seek(
    page: Option<u64>,
    after: Option<&str>,
    before: Option<&str>,
    per_page: Option<u64>,
    export: bool,
) -> AppResult<(Seek, u64)> {
    let max = if export { EXPORT_BATCH } else { MAX_PER_PAGE };
    let (number, per_page) = checked(page, per_page, DEFAULT_PER_PAGE, max)?;
    let cursor = |text: &str| {
        Cursor::parse(text).ok_or_else(|| {
            AppError::invalid(
                "invalid_cursor",
                "a cursor is passed back as a page's next_cursor or prev_cursor gave it",
            )
        })
    };
    let given = [page.is_some(), after.is_some(), before.is_some()];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(AppError::invalid(
            "invalid_paging",
            "give one of page, after and before",
        ));
    }
    let seek = match (after, before) {
        (Some(a), _) => Seek::After(cursor(a)?),
        (_, Some(b)) => Seek::Before(cursor(b)?),
        _ => Seek::Page(number),
    };
    Ok((seek, per_page))
}

/// How many rows `select` matches, or 0 when the caller reads page after page and does not
/// show a total (an export).
pub async fn total<E, C>(db: &C, select: &sea_orm::Select<E>, export: bool) -> AppResult<u64>
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
    C: sea_orm::ConnectionTrait,
{
    use sea_orm::PaginatorTrait;
    if export {
        return Ok(0);
    }
    Ok(select.clone().count(db).await?)
}

/// One page of a keyed list: its rows, its number, and the cursors of its neighbours.
pub struct Keyed<M> {
    pub rows: Vec<M>,
    pub page: u64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

/// Reads one page of `select`, newest first by `(date, id)`, from where `seek` says, as rows
/// of `M` (the entity's model, or a narrower row an export selects). It asks for one row more
/// than a page holds, to know whether another page follows; with an index on the filter's
/// equality columns then `date`, a page by key reads only its own rows.
pub async fn keyed<E, M, C>(
    db: &C,
    select: sea_orm::Select<E>,
    (date, id): (E::Column, E::Column),
    seek: Seek,
    per_page: u64,
    key: impl Fn(&M) -> (NaiveDate, i64),
) -> AppResult<Keyed<M>>
where
    E: sea_orm::EntityTrait,
    M: sea_orm::FromQueryResult + Send + Sync,
    C: sea_orm::ConnectionTrait,
{
    use sea_orm::sea_query::{Expr, ExprTrait};
    use sea_orm::{QueryFilter, QueryOrder, QuerySelect};
    let ask = per_page + 1;
    // The key compared as a row value, `(date, id) < (on, id)`: both databases read it as a
    // range of the list's index. Spelt as `date <= on AND (date < on OR id < id)`,
    // PostgreSQL took another index and sorted the whole list for every page (30 ms against
    // 7 ms for an export's batch of 2,000 at a million merchants).
    let key_of = |c: &Cursor| Expr::tuple([Expr::val(c.on), Expr::val(c.id)]);
    let columns = || {
        Expr::tuple([
            Expr::col((E::default(), date)),
            Expr::col((E::default(), id)),
        ])
    };
    let (mut rows, page, more_before) = match seek {
        Seek::Page(n) => {
            let rows = select
                .order_by_desc(date)
                .order_by_desc(id)
                .offset((n - 1) * per_page)
                .limit(ask)
                .into_model::<M>()
                .all(db)
                .await?;
            (rows, n, n > 1)
        }
        Seek::After(c) => {
            let rows = select
                .filter(columns().lt(key_of(&c)))
                .order_by_desc(date)
                .order_by_desc(id)
                .limit(ask)
                .into_model::<M>()
                .all(db)
                .await?;
            (rows, c.page.saturating_add(1), true)
        }
        Seek::Before(c) => {
            let mut rows = select
                .filter(columns().gt(key_of(&c)))
                .order_by_asc(date)
                .order_by_asc(id)
                .limit(ask)
                .into_model::<M>()
                .all(db)
                .await?;
            let more = rows.len() as u64 > per_page;
            rows.truncate(per_page as usize);
            rows.reverse();
            // The list may have grown since the cursor was written: a page with rows before
            // it is not the first, one without them is.
            let page = if more {
                Ord::max(c.page.saturating_sub(1), 2)
            } else {
                1
            };
            let next = rows.last().map(|r| at(&key, r, page));
            let prev = if more {
                rows.first().map(|r| at(&key, r, page))
            } else {
                None
            };
            return Ok(Keyed {
                rows,
                page,
                prev,
                next,
            });
        }
    };
    let more_after = rows.len() as u64 > per_page;
    rows.truncate(per_page as usize);
    let prev = more_before
        .then(|| rows.first().map(|r| at(&key, r, page)))
        .flatten();
    let next = more_after
        .then(|| rows.last().map(|r| at(&key, r, page)))
        .flatten();
    Ok(Keyed {
        rows,
        page,
        prev,
        next,
    })
}

fn at<M>(key: &impl Fn(&M) -> (NaiveDate, i64), row: &M, page: u64) -> String {
    let (on, id) = key(row);
    Cursor { on, id, page }.to_string()
}

/// Rows a list endpoint pages through: the JSON key that holds them, and the name of a page of
/// them in the OpenAPI document.
pub trait Listed {
    /// The key of the rows in a page's JSON: `penalties`, `warnings`, …
    const ROWS: &'static str;
    /// The page's schema name: `PenaltyPage`, `WarningPage`, …
    const PAGE: &'static str;
    /// Whether a page states when it was read (`as_of`): the public lists do.
    const STAMPED: bool = false;
    /// Whether it pages by key too (`after=`/`before=` and the cursors in the answer).
    const KEYED: bool = false;
}

/// One page of a list: where it is in the whole, its rows, and (for public lists) when it was
/// read. The JSON names the rows by what they are (`{"total":…,"penalties":[…]}`).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// Rows matching the filter, over all pages.
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    pub rows: Vec<T>,
    /// When this answer was read from the database (public lists state it; staff lists do not).
    pub as_of: Option<DateTime<Utc>>,
    /// Where the next and the previous page start (`after=` and `before=`), for lists that
    /// page by key: a page far down costs what the first costs.
    pub next_cursor: Option<String>,
    pub prev_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn new(total: u64, page: u64, per_page: u64, rows: Vec<T>) -> Self {
        Self {
            total,
            page,
            per_page,
            rows,
            as_of: None,
            next_cursor: None,
            prev_cursor: None,
        }
    }

    /// The same page with the keys of its neighbours.
    pub fn with_cursors(self, prev: Option<String>, next: Option<String>) -> Self {
        Self {
            prev_cursor: prev,
            next_cursor: next,
            ..self
        }
    }

    /// The same page stamped with the time it was read.
    pub fn read_at(self, as_of: DateTime<Utc>) -> Self {
        Self {
            as_of: Some(as_of),
            ..self
        }
    }

    /// The same place in the list with other rows.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            total: self.total,
            page: self.page,
            per_page: self.per_page,
            rows: self.rows.into_iter().map(f).collect(),
            as_of: self.as_of,
            next_cursor: self.next_cursor,
            prev_cursor: self.prev_cursor,
        }
    }
}

impl<T: Listed + Serialize> Serialize for Page<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let fields = 4
            + usize::from(self.as_of.is_some())
            + usize::from(self.next_cursor.is_some())
            + usize::from(self.prev_cursor.is_some());
        let mut out = s.serialize_struct(T::PAGE, fields)?;
        out.serialize_field("total", &self.total)?;
        out.serialize_field("page", &self.page)?;
        out.serialize_field("per_page", &self.per_page)?;
        out.serialize_field(T::ROWS, &self.rows)?;
        match &self.as_of {
            Some(at) => out.serialize_field("as_of", at)?,
            None => out.skip_field("as_of")?,
        }
        for (name, cursor) in [
            ("next_cursor", &self.next_cursor),
            ("prev_cursor", &self.prev_cursor),
        ] {
            match cursor {
                Some(c) => out.serialize_field(name, c)?,
                None => out.skip_field(name)?,
            }
        }
        out.end()
    }
}

impl<'de, T: Listed + Deserialize<'de>> Deserialize<'de> for Page<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{Error, MapAccess, Visitor};
        struct PageVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Listed + Deserialize<'de>> Visitor<'de> for PageVisitor<T> {
            type Value = Page<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(f, "a {} object", T::PAGE)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Page<T>, A::Error> {
                let (mut total, mut page, mut per_page, mut rows, mut as_of) =
                    (None, None, None, None, None);
                let (mut next_cursor, mut prev_cursor) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "total" => total = Some(map.next_value()?),
                        "page" => page = Some(map.next_value()?),
                        "per_page" => per_page = Some(map.next_value()?),
                        "as_of" => as_of = map.next_value()?,
                        "next_cursor" => next_cursor = map.next_value()?,
                        "prev_cursor" => prev_cursor = map.next_value()?,
                        k if k == T::ROWS => rows = Some(map.next_value()?),
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(Page {
                    total: total.ok_or_else(|| A::Error::missing_field("total"))?,
                    page: page.ok_or_else(|| A::Error::missing_field("page"))?,
                    per_page: per_page.ok_or_else(|| A::Error::missing_field("per_page"))?,
                    rows: rows.ok_or_else(|| A::Error::missing_field(T::ROWS))?,
                    as_of,
                    next_cursor,
                    prev_cursor,
                })
            }
        }
        d.deserialize_map(PageVisitor(std::marker::PhantomData))
    }
}

#[cfg(feature = "openapi")]
mod schema {
    use super::{Listed, Page};
    use std::borrow::Cow;
    use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, Type};
    use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};
    use utoipa::{PartialSchema, ToSchema};

    impl<T: Listed + ToSchema> PartialSchema for Page<T> {
        fn schema() -> RefOr<Schema> {
            let count = |description: &str| {
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                    .minimum(Some(0))
                    .description(Some(description))
            };
            let rows = utoipa::openapi::schema::ArrayBuilder::new().items(RefOr::Ref(
                utoipa::openapi::Ref::from_schema_name(T::name()),
            ));
            let mut object = ObjectBuilder::new()
                .property("total", count("Rows matching the filter, over all pages."))
                .required("total")
                .property("page", count("This page's number, from 1."))
                .required("page")
                .property("per_page", count("Rows a page holds."))
                .required("per_page")
                .property(T::ROWS, rows)
                .required(T::ROWS);
            if T::STAMPED {
                let as_of = ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
                    .description(Some("When this answer was read from the database."));
                object = object.property("as_of", as_of).required("as_of");
            }
            if T::KEYED {
                for (name, description) in [
                    (
                        "next_cursor",
                        "Pass as `after` for the next page; absent on the last page.",
                    ),
                    (
                        "prev_cursor",
                        "Pass as `before` for the page before; absent on the first page.",
                    ),
                ] {
                    object = object.property(
                        name,
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .description(Some(description)),
                    );
                }
            }
            let object: Object = object.build();
            RefOr::T(Schema::Object(object))
        }
    }

    impl<T: Listed + ToSchema> ToSchema for Page<T> {
        fn name() -> Cow<'static, str> {
            Cow::Borrowed(T::PAGE)
        }

        fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
            schemas.push((T::name().into_owned(), T::schema()));
            T::schemas(schemas);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_what_it_wrote_and_nothing_else() {
        let c = Cursor {
            on: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            id: 4182,
            page: 3,
        };
        assert_eq!(c.to_string(), "2026-11-30.4182.3");
        assert_eq!(Cursor::parse(&c.to_string()), Some(c));
        for bad in [
            "",
            "2026-11-30",
            "2026-11-30.4182",
            "2026-11-30.4182.0",
            "2026-11-30.4182.3.1",
            "2026-13-30.4182.3",
            "2026-11-30.x.3",
            "yesterday",
        ] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
        assert!(matches!(
            seek(None, Some("2026-11-30.4182.3"), None, None, false),
            Ok((Seek::After(_), DEFAULT_PER_PAGE))
        ));
        assert!(seek(Some(2), Some("2026-11-30.4182.3"), None, None, false).is_err());
        assert!(seek(None, None, Some("nonsense"), None, false).is_err());
        // Only an export reads pages larger than a person is shown.
        assert!(seek(None, None, None, Some(EXPORT_BATCH), false).is_err());
        assert!(matches!(
            seek(None, None, None, Some(EXPORT_BATCH), true),
            Ok((Seek::Page(1), EXPORT_BATCH))
        ));
    }
}
