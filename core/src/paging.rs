//! Page and page size of list endpoints, checked the same way everywhere.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

/// Default page size of the public lists.
pub const DEFAULT_PER_PAGE: u64 = 20;
/// Largest page size of the public lists.
pub const MAX_PER_PAGE: u64 = 200;

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

/// Rows a list endpoint pages through: the JSON key that holds them, and the name of a page of
/// them in the OpenAPI document.
pub trait Listed {
    /// The key of the rows in a page's JSON: `penalties`, `warnings`, …
    const ROWS: &'static str;
    /// The page's schema name: `PenaltyPage`, `WarningPage`, …
    const PAGE: &'static str;
    /// Whether a page states when it was read (`as_of`): the public lists do.
    const STAMPED: bool = false;
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
}

impl<T> Page<T> {
    pub fn new(total: u64, page: u64, per_page: u64, rows: Vec<T>) -> Self {
        Self {
            total,
            page,
            per_page,
            rows,
            as_of: None,
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
        }
    }
}

impl<T: Listed + Serialize> Serialize for Page<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let fields = if self.as_of.is_some() { 5 } else { 4 };
        let mut out = s.serialize_struct(T::PAGE, fields)?;
        out.serialize_field("total", &self.total)?;
        out.serialize_field("page", &self.page)?;
        out.serialize_field("per_page", &self.per_page)?;
        out.serialize_field(T::ROWS, &self.rows)?;
        match &self.as_of {
            Some(at) => out.serialize_field("as_of", at)?,
            None => out.skip_field("as_of")?,
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
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "total" => total = Some(map.next_value()?),
                        "page" => page = Some(map.next_value()?),
                        "per_page" => per_page = Some(map.next_value()?),
                        "as_of" => as_of = map.next_value()?,
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
