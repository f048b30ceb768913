//! leadsim: one axum server that simulates five analytics APIs of four vendors with
//! in-memory, deterministic, controllable state.
//!
//! The families are listed once, in [`families!`] below; everything else
//! (routes, fixtures, tenants, the journal's redaction, framework errors)
//! is driven from their specs.

mod admin;
mod admin_page;
pub mod config;
mod fixtures;
pub mod health;
mod openapi;
pub mod server;
mod shared;
mod state;
mod tenants;

pub use crate::fixtures::Fixtures;
pub use crate::openapi::specs as openapi_specs;
pub use crate::shared::family::{Families, Family};
pub use crate::shared::faults::MAX_ACTIVE_FAULTS;
pub use crate::shared::http::App;
pub use crate::shared::outbound::{MAX_IN_FLIGHT as MAX_DELIVERIES_IN_FLIGHT, raise_descriptor_limit};
pub use crate::shared::routes::{Route, Routes};
pub use crate::shared::seed::Seed;
pub use crate::shared::time::{format_seconds, parse_rfc3339};
pub use crate::state::AppState;
pub use crate::tenants::MAX_CREATED_TENANTS;

/// The families' insides that benches, examples and tests reach for.
pub mod engine {
    pub use crate::apis::engine::auth::Companies;
    pub use crate::apis::engine::generator::Simulation;
    pub use crate::apis::engine::windows::{Feed, Windows};
    pub use crate::apis::engine::{Engine, EngineState, SPEC, lead_ids};
}

/// See [`engine`].
pub mod finicity {
    pub use crate::apis::finicity::customers::ContactDetails;
    pub use crate::apis::finicity::{FinicityState, SPEC, pdf, report};
}

/// See [`engine`].
pub mod leadsquared {
    pub use crate::apis::leadsquared::{LeadSquaredState, SPEC, query};
}

use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::shared::http::{AdminAccess, HttpContext, with_layers};

/// Declares each family's module (`src/apis/<name>/`) and lists its spec in
/// [`FAMILIES`], so a family is named in exactly one place.
macro_rules! families {
    ($($family:ident),+ $(,)?) => {
        /// One module per vendor API family. Families never import each other.
        mod apis {
            $(pub(crate) mod $family;)+
        }

        /// Every family leadsim simulates, in the order listings show them.
        pub static FAMILIES: Families = Families::new(&[$(&apis::$family::SPEC),+]);
    };
}

// Adding a family is a folder under `src/apis/` and one line here.
families! {
    engine,
    data_analytics,
    finicity,
    leadsquared,
}

/// The whole product: every family's routes, the admin API and the shared layers.
pub fn app(state: AppState) -> App {
    let families = state.families;
    let routes = routes(&state)
        .into_router()
        .fallback(move |method: Method, uri: Uri| not_found(families, method, uri));
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

async fn not_found(families: Families, method: Method, uri: Uri) -> Response {
    let path = uri.path();
    // No vendor serves `/`: a person who opens leadsim's address in a
    // browser is sent to the admin page.
    if path == "/" && matches!(method, Method::GET | Method::HEAD) {
        return axum::response::Redirect::to("/__admin/").into_response();
    }
    families
        .of_path(path)
        .framework_error(StatusCode::NOT_FOUND, &format!("No route for {path}"))
}
