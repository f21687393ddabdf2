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
    #[serde(default)]
    pub address: String,
    pub industry: String,
    pub status: String,
    pub score: Option<i32>,
    pub grade: Option<String>,
    pub trusted: bool,
    /// The gravest list the merchant is on now: `serious_violation` or `abnormal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listing: Option<String>,
    /// Where the shop is (degrees), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// Metres from the point asked about (nearby search only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    /// Matched parts of the names, HTML-escaped, in `<em>`.
    pub highlights: Highlights,
}

impl SearchHit {
    fn of(
        doc: fangxin_indexer::MerchantDoc,
        highlights: Highlights,
        distance_m: Option<f64>,
    ) -> Self {
        SearchHit {
            uscc: doc.uscc,
            name: doc.name,
            sign_name: doc.sign_name,
            street: doc.street,
            address: doc.address,
            industry: doc.industry,
            status: doc.status,
            score: doc.score,
            grade: doc.grade,
            trusted: doc.trusted,
            listing: doc.listing,
            latitude: doc.latitude,
            longitude: doc.longitude,
            distance_m: distance_m.map(|d| d.round()),
            highlights,
        }
    }
}

/// The largest circle a nearby search covers.
pub const MAX_RADIUS_M: f64 = 5_000.0;

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NearbyParams {
    /// Latitude of the point, degrees (WGS-84).
    #[param(minimum = -90, maximum = 90)]
    pub lat: f64,
    /// Longitude of the point, degrees.
    #[param(minimum = -180, maximum = 180)]
    pub lng: f64,
    /// Metres around the point, 1 to 5,000 (1,000 if not given).
    #[param(minimum = 1, maximum = 5000)]
    pub radius_m: Option<f64>,
    /// Optional words to match, as in a search.
    #[serde(default)]
    #[param(max_length = 200)]
    pub q: String,
    pub street: Option<String>,
    pub industry: Option<String>,
    #[param(pattern = "^[ABCDabcd]?$")]
    pub grade: Option<String>,
    pub trusted: Option<bool>,
    #[param(minimum = 1, maximum = 100)]
    pub page: Option<usize>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<usize>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NearbyResponse {
    /// Merchants within the radius that match.
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub radius_m: f64,
    /// Nearest first, each with `distance_m`.
    pub hits: Vec<SearchHit>,
}

/// Runs a nearby search as the API and the portal answer it.
pub async fn run_nearby(
    state: &AppState,
    params: NearbyParams,
) -> fangxin_core::error::AppResult<NearbyResponse> {
    let on_earth = (-90.0..=90.0).contains(&params.lat) && (-180.0..=180.0).contains(&params.lng);
    if !on_earth {
        return Err(AppError::invalid(
            "invalid_position",
            "lat must be between -90 and 90 and lng between -180 and 180",
        ));
    }
    let radius_m = params.radius_m.unwrap_or(1_000.0);
    if !(radius_m.is_finite() && (1.0..=MAX_RADIUS_M).contains(&radius_m)) {
        return Err(AppError::invalid(
            "invalid_radius",
            format!("radius_m must be between 1 and {MAX_RADIUS_M}"),
        ));
    }
    let search = SearchParams {
        q: params.q,
        street: params.street,
        industry: params.industry,
        grade: params.grade,
        trusted: params.trusted,
        sort: None,
        page: params.page,
        per_page: params.per_page,
    }
    .into_request(state.settings.search.max_per_page)?;
    let request = fangxin_indexer::NearbyRequest {
        lat: params.lat,
        lng: params.lng,
        radius_m,
        q: search.q,
        street: search.street,
        industry: search.industry,
        grade: search.grade,
        trusted: search.trusted,
        page: search.page,
        per_page: search.per_page,
    };
    let index = state.index.current();
    let req = request.clone();
    let results = tokio::task::spawn_blocking(move || index.nearby(&req)).await??;
    Ok(NearbyResponse {
        total: results.total,
        page: request.page,
        per_page: request.per_page,
        radius_m,
        hits: results
            .hits
            .into_iter()
            .map(|h| SearchHit::of(h.doc, Highlights::default(), Some(h.distance_m)))
            .collect(),
    })
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
            .map(|h| SearchHit::of(h.doc, h.highlights, None))
            .collect(),
    })
}
