//! `/api/v1/merchants/…`: search and the public profile.

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use fangxin_indexer::{Facets, Highlights, SearchRequest, SortOrder};
use fangxin_scoring::Uscc;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::extract::{ApiPath, ApiQuery, Body, Regulator};
use super::openapi::{PublicErrors, StaffErrors};
use fangxin_core::error::AppError;

use crate::http::error::ApiResult;
use axum::http::StatusCode;
use fangxin_core::merchants::{self, MerchantProfile};

/// Matches counted (and ranked) at most; see `SearchRequest::count_cap`.
const COUNT_CAP: usize = 10_000;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    pub street: Option<String>,
    pub industry: Option<String>,
    pub grade: Option<String>,
    pub trusted: Option<bool>,
    pub sort: Option<String>,
    pub page: Option<usize>,
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
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
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
#[utoipa::path(
    get,
    path = "/api/v1/merchants/search",
    tag = "public",
    summary = "Search merchants by sign name, legal name, pinyin, initials or USCC",
    params(SearchParams),
    responses((status = 200, description = "Hits, facets and highlights", body = SearchResponse), PublicErrors)
)]
pub async fn search(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> ApiResult<Json<SearchResponse>> {
    Ok(Json(run_search(&state, params).await?))
}

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

/// The top names for a search box: cheap enough for every keystroke (no facets, no
/// exact count).
#[tracing::instrument(skip(state, params))]
#[utoipa::path(
    get,
    path = "/api/v1/merchants/suggest",
    tag = "public",
    summary = "Suggestions as the user types",
    params(SuggestParams),
    responses((status = 200, description = "Suggestions", body = SuggestResponse), PublicErrors)
)]
pub async fn suggest(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SuggestParams>,
) -> ApiResult<Json<SuggestResponse>> {
    if params.q.chars().count() > 100 {
        return Err(AppError::invalid(
            "query_too_long",
            "a suggestion query is at most 100 characters",
        )
        .into());
    }
    if params.q.trim().is_empty() {
        return Ok(Json(SuggestResponse {
            suggestions: Vec::new(),
        }));
    }
    let mut request = SearchRequest::query(&params.q);
    request.per_page = 8;
    request.facets = false;
    // Rank within the first 2,000 matches: enough for a name being typed, and bounded.
    request.count_cap = 2_000;
    let index = state.index.current();
    let results = tokio::task::spawn_blocking(move || index.search(&request)).await??;
    Ok(Json(SuggestResponse {
        suggestions: results
            .hits
            .into_iter()
            .map(|h| Suggestion {
                uscc: h.doc.uscc,
                sign_name: h.doc.sign_name,
                name: h.doc.name,
                street: h.doc.street,
                grade: h.doc.grade,
                highlights: h.highlights,
            })
            .collect(),
    }))
}

#[tracing::instrument(skip(state))]
#[utoipa::path(
    get,
    path = "/api/v1/merchants/{uscc}",
    tag = "public",
    summary = "A merchant's public record and score",
    params(("uscc" = String, Path, description = "Unified social credit code")),
    responses((status = 200, description = "The profile", body = MerchantProfile), PublicErrors)
)]
pub async fn profile(
    State(state): State<AppState>,
    ApiPath(uscc): ApiPath<String>,
) -> ApiResult<Json<MerchantProfile>> {
    let uscc = Uscc::parse(&uscc)?;
    Ok(Json(
        merchants::profile(&state.db, &uscc, Utc::now()).await?,
    ))
}

/// `POST /api/v1/admin/merchants`: registers a merchant.
#[utoipa::path(
    post,
    path = "/api/v1/admin/merchants",
    tag = "regulator",
    summary = "Register a merchant",
    request_body = merchants::NewMerchant,
    responses((status = 201, description = "Registered and scored", body = MerchantProfile), StaffErrors),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    Body(req): Body<merchants::NewMerchant>,
) -> ApiResult<(StatusCode, Json<MerchantProfile>)> {
    let profile = merchants::create(&state.db, req, &state.scoring, &actor, Utc::now()).await?;
    state.notifier.changed().await;
    Ok((StatusCode::CREATED, Json(profile)))
}

/// `PUT /api/v1/admin/merchants/{uscc}`: changes its registration data.
#[utoipa::path(
    put,
    path = "/api/v1/admin/merchants/{uscc}",
    tag = "regulator",
    summary = "Change a merchant's registration data",
    params(("uscc" = String, Path, description = "Unified social credit code")),
    request_body = merchants::MerchantUpdate,
    responses((status = 200, description = "Changed; an old legal name is kept among the former names", body = MerchantProfile), StaffErrors),
    security(("bearer" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    ApiPath(uscc): ApiPath<String>,
    Body(req): Body<merchants::MerchantUpdate>,
) -> ApiResult<Json<MerchantProfile>> {
    let uscc = Uscc::parse(&uscc)?;
    let profile =
        merchants::update(&state.db, &uscc, req, &state.scoring, &actor, Utc::now()).await?;
    state.notifier.changed().await;
    Ok(Json(profile))
}

/// `POST /api/v1/admin/merchants/{uscc}/status`: deregistered, revoked, operating.
#[utoipa::path(
    post,
    path = "/api/v1/admin/merchants/{uscc}/status",
    tag = "regulator",
    summary = "Change a merchant's registration status",
    params(("uscc" = String, Path, description = "Unified social credit code")),
    request_body = merchants::StatusChange,
    responses((status = 200, description = "Changed", body = MerchantProfile), StaffErrors),
    security(("bearer" = []))
)]
pub async fn change_status(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    ApiPath(uscc): ApiPath<String>,
    Body(req): Body<merchants::StatusChange>,
) -> ApiResult<Json<MerchantProfile>> {
    let uscc = Uscc::parse(&uscc)?;
    let profile = merchants::change_status(&state.db, &uscc, req, &actor, Utc::now()).await?;
    state.notifier.changed().await;
    Ok(Json(profile))
}
