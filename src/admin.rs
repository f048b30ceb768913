//! The control plane under `/__admin`: health, reset, the virtual clock and
//! the request journal. JSON in, JSON out; errors are
//! `{"error": "<code>", "message": "..."}`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::IntoResponse;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::shared::admin::AdminError;
use crate::shared::journal::Filter;
use crate::shared::request::{parse_json, query_pairs};
use crate::shared::routes::Routes;
use crate::shared::time::parse_rfc3339;
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .get("/health", health)
        .post("/reset", reset)
        .get("/clock", clock)
        .put("/clock", set_clock)
        .delete("/clock", release_clock)
        .post("/clock/advance", advance_clock)
        .get("/requests", list_requests)
        .delete("/requests", clear_requests)
        .get("/openapi", crate::openapi::index)
        .get("/openapi/{file}", crate::openapi::spec)
}

async fn health(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "seed": state.seed.value(),
        "clock": state.clock.status(),
        "fixtures": state.fixtures_summary(),
    }))
}

async fn reset(State(state): State<AppState>) -> Json<serde_json::Value> {
    state.reset();
    Json(json!({ "status": "reset", "clock": state.clock.status() }))
}

async fn clock(State(state): State<AppState>) -> impl IntoResponse {
    Json(state.clock.status())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetClock {
    now: String,
}

async fn set_clock(State(state): State<AppState>, body: Bytes) -> Result<impl IntoResponse, AdminError> {
    let SetClock { now } = parse_json(&body, None)?;
    let at = parse_rfc3339(&now)
        .ok_or_else(|| AdminError::bad_request(format!("now: '{now}' is not an RFC 3339 timestamp")))?;
    state.clock.set(at);
    Ok(Json(state.clock.status()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: f64,
}

/// A century either way is far beyond any test's need and keeps chrono in range.
const MAX_ADVANCE_SECONDS: f64 = 100.0 * 366.0 * 86_400.0;

async fn advance_clock(State(state): State<AppState>, body: Bytes) -> Result<impl IntoResponse, AdminError> {
    let Advance { seconds } = parse_json(&body, None)?;
    if !seconds.is_finite() || seconds.abs() > MAX_ADVANCE_SECONDS {
        return Err(AdminError::bad_request(format!(
            "seconds: must be a number between -{MAX_ADVANCE_SECONDS} and {MAX_ADVANCE_SECONDS}"
        )));
    }
    // Whole milliseconds: finer steps are noise for an analytics simulator.
    state
        .clock
        .advance(TimeDelta::milliseconds((seconds * 1000.0).round() as i64));
    Ok(Json(state.clock.status()))
}

async fn release_clock(State(state): State<AppState>) -> impl IntoResponse {
    state.clock.release();
    Json(state.clock.status())
}

async fn list_requests(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, AdminError> {
    let filter = journal_filter(query.as_deref())?;
    Ok(Json(state.journal.list(&filter)))
}

async fn clear_requests(State(state): State<AppState>) -> impl IntoResponse {
    Json(json!({ "cleared": state.journal.clear() }))
}

fn journal_filter(query: Option<&str>) -> Result<Filter, AdminError> {
    let mut filter = Filter {
        limit: Some(100),
        ..Filter::default()
    };
    for (name, value) in query_pairs(query) {
        match name.as_str() {
            "method" => filter.method = Some(value),
            "path" => filter.path_prefix = Some(value),
            "since" => filter.since = Some(parse_since(&value)?),
            "limit" => {
                let limit = value.parse::<usize>().map_err(|_| {
                    AdminError::bad_request(format!("limit: '{value}' is not a non-negative integer"))
                })?;
                filter.limit = Some(limit);
            }
            other => {
                return Err(AdminError::bad_request(format!(
                    "{other}: unknown filter (use method, path, since or limit)"
                )));
            }
        }
    }
    Ok(filter)
}

fn parse_since(value: &str) -> Result<DateTime<Utc>, AdminError> {
    parse_rfc3339(value)
        .ok_or_else(|| AdminError::bad_request(format!("since: '{value}' is not an RFC 3339 timestamp")))
}
