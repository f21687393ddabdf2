//! The OpenAPI document (`/api-docs/openapi.json`) and Swagger UI (`/docs`, vendored).
//!
//! Every route is registered through `utoipa_axum::routes!` from its handler's
//! `#[utoipa::path]`, so a route and its documentation cannot drift apart; the e2e test
//! `openapi::…` checks the document against the route × role matrix.

use std::collections::BTreeMap;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Fangxin 放心 API",
        description = "Merchant credit disclosure and trust scores for a district market-supervision bureau: \
                       public search and records, enterprise self-service, and the regulator's work. \
                       Errors are `application/problem+json` with a stable `code`. Money is integer fen \
                       in responses and yuan (at most two decimals) in requests. Times are UTC.",
        license(name = "MIT OR Apache-2.0"),
    ),
    components(schemas(super::error::Problem)),
    modifiers(&BearerAuth),
    tags(
        (name = "public", description = "Search, merchant records and open data: no login"),
        (name = "auth", description = "Log in and out"),
        (name = "enterprise", description = "An enterprise's own record, answers, objections, credit repair"),
        (name = "regulator", description = "The bureau's work: records, complaints, spot checks, imports"),
        (name = "admin", description = "Accounts"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The token from POST /api/v1/auth/login"))
                    .build(),
            ),
        );
    }
}

fn problem(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

fn responses(list: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    list.iter()
        .map(|(status, description)| ((*status).to_owned(), problem(description)))
        .collect()
}

/// The errors of a public endpoint.
pub struct PublicErrors;

impl IntoResponses for PublicErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(&[
            ("400", "Bad input: the `code` and `field` say what"),
            ("404", "No such record"),
            (
                "429",
                "Too many requests from this address; see Retry-After",
            ),
            ("500", "The service failed; nothing internal is revealed"),
            (
                "503",
                "The database does not answer just now; see Retry-After",
            ),
        ])
    }
}

/// The errors of an endpoint that needs a login.
pub struct StaffErrors;

impl IntoResponses for StaffErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(&[
            ("400", "Bad input: the `code` and `field` say what"),
            ("401", "Not logged in, or the token expired or was revoked"),
            ("403", "This account's role may not do this"),
            ("404", "No such record (or not this enterprise's)"),
            (
                "409",
                "The record's state does not allow this; the message says why",
            ),
            ("413", "The body is larger than the service accepts"),
            ("415", "The body is not in a format this endpoint reads"),
            (
                "429",
                "Too many requests from this address (a request without a valid token \
                 counts against the public limit); see Retry-After",
            ),
            ("500", "The service failed; nothing internal is revealed"),
            (
                "503",
                "The database does not answer just now; see Retry-After",
            ),
        ])
    }
}
