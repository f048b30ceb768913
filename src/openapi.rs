//! leadsim's own OpenAPI descriptions (`openapi/<family>.yaml`), compiled
//! in and served under `/__admin/openapi` so generated SDKs and contract
//! tools can be pointed at a running leadsim.

use crate::shared::admin::AdminPath as Path;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::shared::admin::AdminError;

/// (family, spec text): every vendor family and the control plane (`admin`).
pub const SPECS: &[(&str, &str)] = &[
    ("admin", include_str!("../openapi/admin.yaml")),
    ("data_analytics", include_str!("../openapi/data_analytics.yaml")),
    ("engine", include_str!("../openapi/engine.yaml")),
    ("finicity", include_str!("../openapi/finicity.yaml")),
    ("leadsquared", include_str!("../openapi/leadsquared.yaml")),
];

/// `GET /__admin/openapi`: which specs there are and where.
pub async fn index() -> Json<serde_json::Value> {
    let specs: Vec<_> = SPECS
        .iter()
        .map(|(family, _)| json!({ "family": family, "url": format!("/__admin/openapi/{family}.yaml") }))
        .collect();
    Json(json!({ "specs": specs }))
}

/// `GET /__admin/openapi/{family}.yaml`.
pub async fn spec(Path(file): Path<String>) -> Response {
    let found = file
        .strip_suffix(".yaml")
        .and_then(|family| SPECS.iter().find(|(name, _)| *name == family));
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
