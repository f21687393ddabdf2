//! Public search over the index, shared by the API and the portal: query parameters
//! become an `indexer::SearchRequest`, and the search runs on a blocking thread.

use fangxin_core::error::AppError;
use fangxin_indexer::{Facets, Highlights, SearchRequest, SortOrder, UsccHint};
use serde::{Deserialize, Serialize};

use crate::state::AppState;

/// Matches counted (and ranked) at most; see `SearchRequest::count_cap`.
const COUNT_CAP: usize = 10_000;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Shop sign or legal name, pinyin, initials, or a USCC; empty lists every merchant.
    #[serde(default)]
    #[param(max_length = 200)]
    pub q: String,
    pub street: Option<String>,
    pub industry: Option<String>,
    #[param(pattern = "^[ABCDabcd]?$")]
    pub grade: Option<String>,
    pub trusted: Option<bool>,
    #[param(pattern = "^(relevance|score)?$")]
    pub sort: Option<String>,
    /// The page, from 1; page × per_page is at most 10,000.
    #[param(minimum = 1, maximum = 100)]
    pub page: Option<usize>,
    /// Hits a page holds (at most `[search] max_per_page`, 100 by default).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SearchHit {
    pub uscc: String,
    pub name: String,
    pub sign_name: Option<String>,
    pub street: String,
    pub industry: String,
    pub status: String,
    pub score: Option<i32>,
    pub grade: Option<String>,
    pub trusted: bool,
    /// Matched parts of the names, HTML-escaped, in `<em>`.
    pub highlights: Highlights,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SearchResponse {
    /// Matches: exact up to 10,000; beyond, a lower bound (`total_exact` false, "10,000+").
    pub total: usize,
    pub total_exact: bool,
    pub page: usize,
    pub per_page: usize,
    pub hits: Vec<SearchHit>,
    /// Counts by grade, street, industry and trusted status over all matches; absent when
    /// there are more than 10,000 (narrow the search to see them).
    pub facets: Option<Facets>,
    /// For a query typed as a USCC that names no merchant: which check it fails and the one
    /// registered code a character away, if exactly one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uscc_hint: Option<UsccHint>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    #[serde(default)]
    pub q: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Suggestion {
    pub uscc: String,
    pub sign_name: Option<String>,
    pub name: String,
    pub street: String,
    pub grade: Option<String>,
    pub highlights: Highlights,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SuggestResponse {
    pub suggestions: Vec<Suggestion>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl SearchParams {
    fn into_request(self, max_per_page: usize) -> Result<SearchRequest, AppError> {
        let page = self.page.unwrap_or(1);
        if page == 0 {
            return Err(AppError::invalid("invalid_page", "page starts at 1"));
        }
        let per_page = self.per_page.unwrap_or(20);
        if per_page == 0 || per_page > max_per_page {
            return Err(AppError::invalid(
                "invalid_per_page",
                format!("per_page must be between 1 and {max_per_page}"),
            ));
        }
        if page.saturating_mul(per_page) > 10_000 {
            return Err(AppError::invalid(
                "page_too_deep",
                "results beyond the first 10,000 are not served; narrow the search",
            ));
        }
        let sort = match self.sort.as_deref().map(str::trim) {
            None | Some("") | Some("relevance") => SortOrder::Relevance,
            Some("score") => SortOrder::Score,
            Some(other) => {
                return Err(AppError::invalid(
                    "invalid_sort",
                    format!("sort must be relevance or score, not {other}"),
                ));
            }
        };
        let grade = non_empty(self.grade);
        if let Some(g) = &grade
            && fangxin_scoring::Grade::parse(g).is_none()
        {
            return Err(AppError::invalid(
                "invalid_grade",
                "grade must be one of A, B, C, D",
            ));
        }
        if self.q.chars().count() > 200 {
            return Err(AppError::invalid(
                "query_too_long",
                "a search is at most 200 characters",
            ));
        }
        Ok(SearchRequest {
            q: self.q,
            street: non_empty(self.street),
            industry: non_empty(self.industry),
            grade: grade.map(|g| g.to_ascii_uppercase()),
            trusted: self.trusted,
            sort,
            page,
            per_page,
            facets: true,
            count_cap: COUNT_CAP,
        })
    }
}

#[tracing::instrument(skip(state, params))]
/// Runs a search as the API and the portal answer it.
pub async fn run_search(
    state: &AppState,
    params: SearchParams,
) -> fangxin_core::error::AppResult<SearchResponse> {
    let request = params.into_request(state.settings.search.max_per_page)?;
    let index = state.index.current();
    let req = request.clone();
    let results = tokio::task::spawn_blocking(move || index.search(&req)).await??;
    Ok(SearchResponse {
        total: results.total,
        total_exact: results.total_exact,
        page: request.page,
        per_page: request.per_page,
        facets: results.facets,
        uscc_hint: results.uscc_hint,
        hits: results
            .hits
            .into_iter()
            .map(|h| SearchHit {
                uscc: h.doc.uscc,
                name: h.doc.name,
                sign_name: h.doc.sign_name,
                street: h.doc.street,
                industry: h.doc.industry,
                status: h.doc.status,
                score: h.doc.score,
                grade: h.doc.grade,
                trusted: h.doc.trusted,
                highlights: h.highlights,
            })
            .collect(),
    })
}
