//! leadsim: one axum server that simulates five vendor analytics APIs with
//! in-memory, deterministic, controllable state.
//!
//! [`app`] is the one place that lists every family.

pub mod admin;
pub mod admin_page;
pub mod apis;
pub mod config;
pub mod fixtures;
pub mod openapi;
pub mod server;
pub mod shared;
pub mod state;
pub mod tenants;

use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::response::Response;

use crate::shared::family::{Families, Family};
use crate::shared::http::{AdminAccess, HttpContext, with_layers};
use crate::shared::routes::Routes;
pub use crate::state::AppState;

/// Every family leadsim simulates, in the order listings show them. Adding
/// a family is a folder under `src/apis/` and one line here.
pub static FAMILIES: Families = Families::new(&[
    &apis::engine::SPEC,
    &apis::data_analytics::SPEC,
    &apis::finicity::SPEC,
    &apis::leadsquared::SPEC,
]);

/// The whole product: every family's routes, the admin API and the shared layers.
pub fn app(state: AppState) -> Router {
    let families = state.families;
    let routes = routes(&state)
        .into_router()
        .fallback(move |uri: Uri| not_found(families, uri));
    let ctx = HttpContext {
        clock: state.clock.clone(),
        journal: state.journal.clone(),
        faults: state.faults.clone(),
        families,
        redaction: state.redaction.clone(),
        body_timeout: state.settings.body_timeout,
    };
    let admin = AdminAccess {
        allowed_origins: state.settings.admin_allow_origins.clone(),
        token: state.settings.admin_token.clone(),
    };
    with_layers(routes, ctx, admin)
}

/// Every route leadsim serves, vendor APIs and control plane alike, each
/// over its own state: a family's handlers see only that family's slice.
pub fn routes(state: &AppState) -> Routes {
    let control = Routes::new(Family::ADMIN)
        .merge(admin::page_routes())
        .nest("/__admin", admin::routes())
        .with_state(state.clone());
    state.apis().fold(control, |routes, api| {
        let prefix = format!("/__admin/{}", api.family().as_str());
        routes.merge(api.routes()).nest(&prefix, api.admin_routes())
    })
}

async fn not_found(families: Families, uri: Uri) -> Response {
    let path = uri.path();
    families
        .of_path(path)
        .framework_error(StatusCode::NOT_FOUND, &format!("No route for {path}"))
}
