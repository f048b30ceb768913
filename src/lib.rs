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

use crate::shared::family::Family;
use crate::shared::http::{AdminAccess, HttpContext, with_layers};
use crate::shared::routes::Routes;
pub use crate::state::AppState;

/// The whole product: every family's routes, the admin API and the shared layers.
pub fn app(state: AppState) -> Router {
    let routes = routes()
        .into_router()
        .fallback(not_found)
        .with_state(state.clone());
    let ctx = HttpContext {
        clock: state.clock.clone(),
        journal: state.journal.clone(),
        faults: state.faults.clone(),
        render_error: framework_error,
        body_timeout: state.settings.body_timeout,
    };
    let admin = AdminAccess {
        allowed_origins: state.settings.admin_allow_origins.clone(),
        token: state.settings.admin_token.clone(),
    };
    with_layers(routes, ctx, admin)
}

/// Every route leadsim serves, vendor APIs and control plane alike.
pub fn routes() -> Routes {
    Routes::new()
        .merge(apis::engine::routes())
        .merge(apis::data_analytics::routes())
        .merge(apis::finicity::routes())
        .merge(apis::leadsquared::routes())
        .merge(admin::page_routes())
        .nest("/__admin", admin::routes())
        .nest("/__admin/engine", apis::engine::admin_routes())
        .nest("/__admin/data_analytics", apis::data_analytics::admin_routes())
}

async fn not_found(uri: Uri) -> Response {
    let path = uri.path();
    framework_error(
        Family::of_path(path),
        StatusCode::NOT_FOUND,
        &format!("No route for {path}"),
    )
}

/// Framework errors (404, 405, 413) in the shape of the family owning the path.
fn framework_error(family: Family, status: StatusCode, message: &str) -> Response {
    match family {
        Family::Engine => apis::engine::error::framework_error(status, message),
        Family::DataAnalytics => apis::data_analytics::error::framework_error(status, message),
        Family::Finicity => apis::finicity::error::framework_error(status, message),
        Family::LeadSquared => apis::leadsquared::error::framework_error(status, message),
        _ => shared::admin::AdminError::response(status, framework_code(status), message),
    }
}

fn framework_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        _ => "bad_request",
    }
}
