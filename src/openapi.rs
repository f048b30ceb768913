//! leadsim's own OpenAPI descriptions (`openapi/<name>.yaml`), compiled in
//! and served under `/__admin/openapi` so generated SDKs and contract tools
//! can be pointed at a running leadsim. Each family declares its own in its
//! spec; the control plane's is here.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::shared::admin::AdminError;
use crate::shared::admin::AdminPath as Path;
use crate::shared::family::Families;
use crate::state::AppState;

/// The control plane's description.
const ADMIN: (&str, &str) = ("admin", include_str!("../openapi/admin.yaml"));

/// (name, spec text): the control plane's, then every family's, by name.
pub fn specs(families: Families) -> Vec<(&'static str, &'static str)> {
    let mut specs: Vec<_> = families
        .vendors()
        .flat_map(|family| family.spec().openapi.iter().copied())
        .collect();
    specs.sort_by_key(|(name, _)| *name);
    specs.insert(0, ADMIN);
    specs
}

/// `GET /__admin/openapi`: which specs there are and where.
pub(crate) async fn index(State(state): State<AppState>) -> Json<serde_json::Value> {
    let specs: Vec<_> = specs(state.families)
        .iter()
        .map(|(name, _)| json!({ "family": name, "url": format!("/__admin/openapi/{name}.yaml") }))
        .collect();
    Json(json!({ "specs": specs }))
}

/// `GET /__admin/openapi/{name}.yaml`.
pub(crate) async fn spec(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let specs = specs(state.families);
    let found = file
        .strip_suffix(".yaml")
        .and_then(|wanted| specs.iter().find(|(name, _)| *name == wanted));
    match found {
        Some((_, text)) => {
            let mut response = (*text).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/yaml"));
            response
        }
        None => AdminError::response(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("No spec named {file}; GET /__admin/openapi lists them"),
        ),
    }
}
