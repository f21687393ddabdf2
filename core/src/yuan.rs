//! Amounts of yuan as requests send them.

use fangxin_scoring::money::parse_yuan;
use serde::Deserialize;

use crate::error::{AppError, AppResult};

/// An amount of yuan as a JSON number or string (`1234.56`); parsed exactly into fen.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Yuan {
    Number(serde_json::Number),
    Text(String),
}

impl Yuan {
    /// The amount in fen; `field` names it in the error.
    pub fn fen(&self, field: &'static str) -> AppResult<i64> {
        let text = match self {
            Yuan::Number(n) => n.to_string(),
            Yuan::Text(s) => s.clone(),
        };
        parse_yuan(&text)
            .map_err(|e| AppError::invalid_field(field, "invalid_amount", format!("{field}: {e}")))
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Yuan {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                utoipa::openapi::schema::Type::String,
                utoipa::openapi::schema::Type::Number,
            ]))
            .description(Some(
                "An amount of yuan, at most two decimals, as a number or a string (`1234.56`); \
                 stored exactly as fen.",
            ))
            .examples(["1234.56"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Yuan {}
