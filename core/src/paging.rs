//! Page and page size of list endpoints, checked the same way everywhere.

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
