//! HTTP wiring: the router, its layers and shared state. Capabilities live in their own
//! modules; this one only connects them to routes.

pub use crate::state::AppState;

mod accounts;
mod admin;
pub mod auth;
mod claimants;
mod complaints;
pub mod error;
mod extract;
mod health;
mod imports;
mod listings;
mod me;
pub(crate) mod merchants;
mod objections;
pub mod openapi;
mod penalties;
mod repairs;
mod reports;
mod scores;
mod spotchecks;
mod trusted;
mod warnings;

use axum::extract::DefaultBodyLimit;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes with their documentation.
pub fn api_routes(max_body: usize) -> OpenApiRouter<AppState> {
    // The import route streams its body to disk under its own limit ([imports]
    // max_file_bytes); every other body is refused above `max_body` with a 413 problem.
    let (schemas, paths, upload) = routes!(imports::upload);
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
        .routes(routes!(merchants::search))
        .routes(routes!(merchants::suggest))
        .routes(routes!(merchants::nearby))
        .routes(routes!(merchants::profile))
        .routes(routes!(scores::score))
        .routes(routes!(scores::history))
        .routes(routes!(complaints::stats))
        .routes(routes!(penalties::list))
        .routes(routes!(penalties::public_detail))
        .routes(routes!(warnings::list))
        .routes(routes!(spotchecks::list))
        .routes(routes!(spotchecks::plan))
        .routes(routes!(spotchecks::frame))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(me::record))
        .routes(routes!(complaints::my_complaints))
        .routes(routes!(complaints::answer))
        .routes(routes!(repairs::apply))
        .routes(routes!(objections::file))
        .routes(routes!(merchants::create))
        .routes(routes!(merchants::update))
        .routes(routes!(merchants::change_status))
        .routes(routes!(penalties::publish))
        .routes(routes!(penalties::detail))
        .routes(routes!(penalties::correct))
        .routes(routes!(penalties::revoke))
        .routes(routes!(complaints::intake, complaints::list))
        .routes(routes!(complaints::get))
        .routes(routes!(complaints::transition))
        .routes(routes!(complaints::assign_merchant))
        .routes(routes!(complaints::assign))
        .routes(routes!(warnings::publish))
        .routes(routes!(listings::create))
        .routes(routes!(listings::remove))
        .routes(routes!(trusted::enrol))
        .routes(routes!(trusted::change))
        .routes(routes!(objections::decide))
        .routes(routes!(repairs::decide))
        .routes(routes!(spotchecks::add_inspector, spotchecks::inspectors))
        .routes(routes!(spotchecks::draw))
        .routes(routes!(spotchecks::record_result))
        .routes(routes!(admin::reindex))
        .routes(routes!(admin::audit_log))
        .routes(routes!(claimants::queue))
        .routes(routes!(claimants::file))
        .routes(routes!(claimants::review))
        .routes(routes!(reports::complaints))
        .routes(routes!(accounts::create, accounts::list))
        .routes(routes!(accounts::change))
        .layer(DefaultBodyLimit::max(max_body))
        .routes((schemas, paths, upload.layer(DefaultBodyLimit::disable())))
}
