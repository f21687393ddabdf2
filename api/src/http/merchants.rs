//! `/api/v1/merchants/…`: search and the public profile.

use axum::Json;
use axum::extract::State;
use fangxin_indexer::SearchRequest;
use fangxin_scoring::Uscc;

use super::AppState;
use super::extract::{ApiPath, ApiQuery, Body, Regulator};
use super::openapi::{PublicErrors, StaffErrors};
use crate::search::{
    NearbyParams, NearbyResponse, SearchParams, SearchResponse, SuggestParams, SuggestResponse,
    Suggestion, run_nearby, run_search,
};
use fangxin_core::error::AppError;

use crate::http::error::ApiResult;
use axum::http::StatusCode;
use fangxin_core::merchants::{self, MerchantProfile};

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

#[utoipa::path(
    get,
    path = "/api/v1/merchants/nearby",
    tag = "public",
    summary = "Merchants near a point, nearest first, with their distance in metres",
    params(NearbyParams),
    responses((status = 200, description = "Merchants by distance", body = NearbyResponse), PublicErrors)
)]
pub async fn nearby(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<NearbyParams>,
) -> ApiResult<Json<NearbyResponse>> {
    Ok(Json(run_nearby(&state, params).await?))
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
    params(("uscc" = String, Path, description = "Unified social credit code: 18 characters of 0-9 and A-Y without I, O, S, V, Z; the last is a check character the pattern cannot express", pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$", min_length = 18, max_length = 18)),
    responses((status = 200, description = "The profile", body = MerchantProfile), PublicErrors)
)]
pub async fn profile(
    State(state): State<AppState>,
    ApiPath(uscc): ApiPath<String>,
) -> ApiResult<Json<MerchantProfile>> {
    let uscc = Uscc::parse(&uscc)?;
    Ok(Json(
        merchants::profile(&state.reads, &uscc, fangxin_core::clock::now()).await?,
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
    let profile = merchants::create(
        &state.db,
        req,
        &state.scoring,
        &actor,
        fangxin_core::clock::now(),
    )
    .await?;
    state.notifier.changed().await;
    Ok((StatusCode::CREATED, Json(profile)))
}

/// `PUT /api/v1/admin/merchants/{uscc}`: changes its registration data.
#[utoipa::path(
    put,
    path = "/api/v1/admin/merchants/{uscc}",
    tag = "regulator",
    summary = "Change a merchant's registration data",
    params(("uscc" = String, Path, description = "Unified social credit code: 18 characters of 0-9 and A-Y without I, O, S, V, Z; the last is a check character the pattern cannot express", pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$", min_length = 18, max_length = 18)),
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
    let profile = merchants::update(
        &state.db,
        &uscc,
        req,
        &state.scoring,
        &actor,
        fangxin_core::clock::now(),
    )
    .await?;
    state.notifier.changed().await;
    Ok(Json(profile))
}

/// `POST /api/v1/admin/merchants/{uscc}/status`: deregistered, revoked, operating.
#[utoipa::path(
    post,
    path = "/api/v1/admin/merchants/{uscc}/status",
    tag = "regulator",
    summary = "Change a merchant's registration status",
    params(("uscc" = String, Path, description = "Unified social credit code: 18 characters of 0-9 and A-Y without I, O, S, V, Z; the last is a check character the pattern cannot express", pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$", min_length = 18, max_length = 18)),
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
    let profile =
        merchants::change_status(&state.db, &uscc, req, &actor, fangxin_core::clock::now()).await?;
    state.notifier.changed().await;
    Ok(Json(profile))
}
