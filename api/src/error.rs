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
    InvalidInput { code: &'static str, message: String },
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
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
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
            AppError::Database(_) => "database_error",
            AppError::Index(_) => "index_error",
            AppError::Internal(_) => "internal_error",
        }
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        AppError::InvalidInput {
            code,
            message: message.into(),
        }
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

pub type AppResult<T> = Result<T, AppError>;
