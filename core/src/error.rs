//! The service's error type. Each variant has a stable `code`; `http::error` maps every
//! variant to a status in one place.

use fangxin_scoring::UsccError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    InvalidUscc(#[from] UsccError),
    #[error("no merchant with unified social credit code {0}")]
    MerchantNotFound(String),
    #[error("{message}")]
    InvalidInput {
        code: &'static str,
        message: String,
        /// The request field (or import column) at fault, when one is.
        field: Option<&'static str>,
    },
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    #[error("{message}")]
    Unauthenticated { code: &'static str, message: String },
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    TooManyRequests {
        code: &'static str,
        message: String,
        retry_after_secs: u64,
    },
    /// 413: a body or file above the configured limit.
    #[error("{message}")]
    TooLarge { code: &'static str, message: String },
    /// 415: a body in a format the endpoint does not read.
    #[error("{message}")]
    UnsupportedMediaType { code: &'static str, message: String },
    /// 422: well-formed but refused as a whole, with the details (an import's report).
    #[error("{message}")]
    Rejected {
        code: &'static str,
        message: String,
        details: Box<serde_json::Value>,
    },
    /// 503: a dependency (the database) does not answer now; the client may try again later.
    #[error("{message}")]
    Unavailable {
        code: &'static str,
        message: String,
        retry_after_secs: u64,
    },
    #[error("database error")]
    Database(#[source] sea_orm::DbErr),
    #[error("search index error")]
    Index(#[from] fangxin_indexer::IndexError),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// The stable, documented code clients can match on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::InvalidUscc(_) => "invalid_uscc",
            AppError::MerchantNotFound(_) => "merchant_not_found",
            AppError::InvalidInput { code, .. } => code,
            AppError::NotFound { code, .. } => code,
            AppError::Unauthenticated { code, .. } => code,
            AppError::Forbidden { code, .. } => code,
            AppError::Conflict { code, .. } => code,
            AppError::TooManyRequests { code, .. } => code,
            AppError::TooLarge { code, .. } => code,
            AppError::UnsupportedMediaType { code, .. } => code,
            AppError::Rejected { code, .. } => code,
            AppError::Unavailable { code, .. } => code,
            AppError::Database(_) => "database_error",
            AppError::Index(_) => "index_error",
            AppError::Internal(_) => "internal_error",
        }
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        AppError::InvalidInput {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// Bad input in one named field: problem documents and import reports name it.
    pub fn invalid_field(
        field: &'static str,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        AppError::InvalidInput {
            code,
            message: message.into(),
            field: Some(field),
        }
    }

    /// A write refused by a unique index: a concurrent request recorded the same key first.
    /// The capability that knows the key turns it into a 409 naming the recorded record.
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            AppError::Conflict {
                code: UNIQUE_VIOLATION,
                ..
            }
        )
    }

    /// The field at fault, for errors about one field.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            AppError::InvalidInput { field, .. } => *field,
            AppError::InvalidUscc(_) | AppError::MerchantNotFound(_) => Some("uscc"),
            _ => None,
        }
    }
}

/// The code of a write refused by a unique index that no capability named more precisely.
const UNIQUE_VIOLATION: &str = "already_recorded";

impl From<sea_orm::DbErr> for AppError {
    /// A unique index refusing a write is a conflict (409), never a server error: on both
    /// backends it means a concurrent request recorded the same key first.
    fn from(e: sea_orm::DbErr) -> Self {
        match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => AppError::Conflict {
                code: UNIQUE_VIOLATION,
                message: "a record with the same key was recorded at the same moment; \
                          reload it before trying again"
                    .into(),
            },
            _ if database_unreachable(&e) => AppError::Unavailable {
                code: "database_unavailable",
                message: "the database does not answer just now; try again in a few seconds".into(),
                retry_after_secs: 5,
            },
            _ => AppError::Database(e),
        }
    }
}

/// The database is away (down, restarting, unreachable, or its pool is exhausted): nothing
/// is wrong with the request, and the same request may succeed in a moment.
fn database_unreachable(e: &sea_orm::DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};
    match e {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(RuntimeErr::SqlxError(inner))
        | DbErr::Exec(RuntimeErr::SqlxError(inner))
        | DbErr::Query(RuntimeErr::SqlxError(inner)) => {
            matches!(
                **inner,
                Sqlx::Io(_)
                    | Sqlx::Tls(_)
                    | Sqlx::PoolTimedOut
                    | Sqlx::PoolClosed
                    | Sqlx::WorkerCrashed
            ) || admin_shutdown(inner)
        }
        DbErr::Conn(_) => true,
        _ => false,
    }
}

/// PostgreSQL closing sessions as it shuts down or restarts (class 57P: operator intervention).
fn admin_shutdown(e: &sea_orm::sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| code.starts_with("57P"))
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

pub type AppResult<T> = Result<T, AppError>;
