//! The control plane under `/__admin`: health, reset, the virtual clock and
//! the request journal. JSON in, JSON out; errors are
//! `{"error": "<code>", "message": "..."}`.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::Duration;

use crate::fixtures::Posted;
use crate::shared::admin::{AdminError, AdminPath as Path};
use crate::shared::family::{Families, Family};
use crate::shared::faults::{FaultRequest, FaultView};
use crate::shared::journal::{FaultFilter, Filter, MAX_LIMIT};
use crate::shared::plugin::{FamilyApi, Tenant};
use crate::shared::rate_limit::RateLimitSpec;
use crate::shared::request::{Buffered, parse_json, query_pairs};
use crate::shared::routes::Routes;
use crate::shared::time::parse_rfc3339;
use crate::state::AppState;
use crate::tenants::{self, NewTenant};

/// The HTML page, with and without the trailing slash (a nested `/` route
/// would only give the bare prefix).
pub(crate) fn page_routes() -> Routes<AppState> {
    Routes::new(Family::ADMIN)
        .get("/__admin", crate::admin_page::page)
        .get("/__admin/", crate::admin_page::page)
}

/// Nested under `/__admin`.
pub(crate) fn routes() -> Routes<AppState> {
    Routes::new(Family::ADMIN)
        .get("/health", health)
        .post("/reset", reset)
        .get("/clock", clock)
        .put("/clock", set_clock)
        .delete("/clock", release_clock)
        .post("/clock/advance", advance_clock)
        .get("/requests", list_requests)
        .delete("/requests", clear_requests)
        .get("/faults", list_faults)
        .post("/faults", add_fault)
        .delete("/faults", clear_faults)
        .get("/faults/{id}", get_fault)
        .delete("/faults/{id}", remove_fault)
        .post("/fixtures", merge_fixtures)
        .get("/tenants", list_tenants)
        .post("/tenants", create_tenant)
        .get("/tenants/{family}/{id}", get_tenant)
        .put("/tenants/{family}/{id}/rateLimit", set_tenant_rate_limit)
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

async fn set_clock(
    State(state): State<AppState>,
    Buffered(body): Buffered,
) -> Result<impl IntoResponse, AdminError> {
    let SetClock { now } = parse_json(&body, None)?;
    let at = parse_rfc3339(&now)
        .ok_or_else(|| AdminError::bad_request(format!("now: '{now}' is not an RFC 3339 timestamp")))?;
    state
        .clock
        .set(at)
        .map_err(|e| AdminError::bad_request(format!("now: {e}")))?;
    Ok(Json(state.clock.status()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: f64,
}

/// The clock's whole range, either way: larger steps can only leave it.
const MAX_ADVANCE_SECONDS: f64 = 231.0 * 366.0 * 86_400.0;

async fn advance_clock(
    State(state): State<AppState>,
    Buffered(body): Buffered,
) -> Result<impl IntoResponse, AdminError> {
    let Advance { seconds } = parse_json(&body, None)?;
    if !seconds.is_finite() || seconds.abs() > MAX_ADVANCE_SECONDS {
        return Err(AdminError::bad_request(format!(
            "seconds: must be a number between -{MAX_ADVANCE_SECONDS} and {MAX_ADVANCE_SECONDS}"
        )));
    }
    // Whole milliseconds: finer steps are noise for an analytics simulator.
    state
        .clock
        .advance(TimeDelta::milliseconds((seconds * 1000.0).round() as i64))
        .map_err(|e| AdminError::bad_request(format!("seconds: {e}")))?;
    Ok(Json(state.clock.status()))
}

async fn release_clock(State(state): State<AppState>) -> impl IntoResponse {
    state.clock.release();
    Json(state.clock.status())
}

/// Longest a `GET /__admin/requests?wait=` may hold the connection.
const MAX_WAIT_SECONDS: f64 = 60.0;

async fn list_requests(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, AdminError> {
    let JournalQuery { filter, wait } = journal_query(state.families, query.as_deref())?;
    let Some(Wait { count, timeout }) = wait else {
        return Ok(Json(json!(state.journal.list(&filter))));
    };
    let (listing, satisfied) = state.journal.wait_for(&filter, count, timeout).await;
    let mut body = json!(listing);
    body["waited"] = json!({ "count": count, "satisfied": satisfied });
    Ok(Json(body))
}

struct JournalQuery {
    filter: Filter,
    wait: Option<Wait>,
}

/// `wait=<seconds>&count=<n>`: answer once `n` requests match (default 1).
struct Wait {
    count: usize,
    timeout: Duration,
}

async fn clear_requests(State(state): State<AppState>) -> impl IntoResponse {
    Json(json!({ "cleared": state.journal.clear() }))
}

fn journal_query(families: Families, query: Option<&str>) -> Result<JournalQuery, AdminError> {
    let mut filter = Filter {
        limit: Some(100),
        ..Filter::default()
    };
    let mut wait_seconds = None;
    let mut count = None;
    for (name, value) in query_pairs(query) {
        match name.as_str() {
            "family" => {
                let family = families.named(&value);
                filter.family = Some(family.ok_or_else(|| {
                    AdminError::bad_request(format!(
                        "family: '{value}' is not one of {}, unknown",
                        families.names(None)
                    ))
                })?);
            }
            "method" => filter.method = Some(value),
            "path" => filter.path_prefix = Some(value),
            // 0: calls an injected fault dropped without an answer.
            "status" => {
                let status = parse_number(&name, &value, 0..=599)?;
                if (1..100).contains(&status) {
                    return Err(AdminError::bad_request(format!(
                        "status: '{value}' is not 0 (dropped) or an HTTP status from 100 to 599"
                    )));
                }
                filter.status = Some(status as u16);
            }
            "credential" => filter.credential = Some(value),
            "body" => filter.body_contains = Some(value),
            "since" => filter.since = Some(parse_since(&value)?),
            "fault" => {
                filter.fault = Some(match value.as_str() {
                    "true" => FaultFilter::Injected,
                    "false" => FaultFilter::NotInjected,
                    id if id.starts_with("fault-") => FaultFilter::Id(value),
                    _ => {
                        return Err(AdminError::bad_request(format!(
                            "fault: '{value}' is not true, false or a fault id such as fault-1"
                        )));
                    }
                });
            }
            "limit" => filter.limit = Some(parse_number(&name, &value, 0..=MAX_LIMIT)?),
            "count" => count = Some(parse_number(&name, &value, 1..=usize::MAX)?),
            "wait" => {
                let seconds = value
                    .parse::<f64>()
                    .ok()
                    .filter(|s| (0.0..=MAX_WAIT_SECONDS).contains(s))
                    .ok_or_else(|| {
                        AdminError::bad_request(format!(
                            "wait: '{value}' is not a number of seconds between 0 and {MAX_WAIT_SECONDS}"
                        ))
                    })?;
                wait_seconds = Some(seconds);
            }
            other => {
                return Err(AdminError::bad_request(format!(
                    "{other}: unknown filter (use family, method, path, status, credential, body, since, fault, limit, wait or count)"
                )));
            }
        }
    }
    let wait = match (wait_seconds, count) {
        (Some(seconds), count) => Some(Wait {
            count: count.unwrap_or(1),
            timeout: Duration::from_secs_f64(seconds),
        }),
        (None, Some(_)) => return Err(AdminError::bad_request("count: only with wait")),
        (None, None) => None,
    };
    Ok(JournalQuery { filter, wait })
}

fn parse_number(
    name: &str,
    value: &str,
    range: std::ops::RangeInclusive<usize>,
) -> Result<usize, AdminError> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            let bounds = match *range.end() {
                usize::MAX => format!("of at least {}", range.start()),
                end => format!("between {} and {end}", range.start()),
            };
            AdminError::bad_request(format!("{name}: '{value}' is not an integer {bounds}"))
        })
}

fn parse_since(value: &str) -> Result<DateTime<Utc>, AdminError> {
    parse_rfc3339(value)
        .ok_or_else(|| AdminError::bad_request(format!("since: '{value}' is not an RFC 3339 timestamp")))
}

#[derive(Serialize)]
struct FaultList {
    faults: Vec<FaultView>,
}

async fn list_faults(State(state): State<AppState>) -> impl IntoResponse {
    Json(FaultList {
        faults: state.faults.list(),
    })
}

async fn add_fault(
    State(state): State<AppState>,
    Buffered(body): Buffered,
) -> Result<impl IntoResponse, AdminError> {
    let request: FaultRequest = parse_json(&body, None)?;
    let fault = state
        .faults
        .add(request, state.clock.now())
        .map_err(AdminError::bad_request)?;
    Ok((StatusCode::CREATED, Json(fault)))
}

async fn get_fault(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, AdminError> {
    state.faults.get(&id).map(Json).ok_or_else(|| no_fault(&id))
}

async fn remove_fault(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, AdminError> {
    state.faults.remove(&id).map(Json).ok_or_else(|| no_fault(&id))
}

async fn clear_faults(State(state): State<AppState>) -> impl IntoResponse {
    Json(json!({ "removed": state.faults.clear() }))
}

fn no_fault(id: &str) -> AdminError {
    AdminError::not_found(format!(
        "No active fault '{id}' (faults that ran out of times are retired)"
    ))
}

/// `POST /__admin/fixtures`: merges fixture documents in at run time.
async fn merge_fixtures(
    State(state): State<AppState>,
    Buffered(body): Buffered,
) -> Result<impl IntoResponse, AdminError> {
    let posted = Posted::parse(state.families, &body).map_err(|e| AdminError::bad_request(e.to_string()))?;
    let merged = state
        .merge_fixtures(&posted)
        .map_err(|e| AdminError::bad_request(e.to_string()))?;
    Ok(Json(
        json!({ "merged": merged, "fixtures": state.fixtures_summary() }),
    ))
}

#[derive(Serialize)]
struct TenantList {
    tenants: Vec<Tenant>,
}

async fn list_tenants(State(state): State<AppState>) -> impl IntoResponse {
    Json(TenantList {
        tenants: tenants::list(&state),
    })
}

async fn create_tenant(
    State(state): State<AppState>,
    Buffered(body): Buffered,
) -> Result<impl IntoResponse, AdminError> {
    let request: NewTenant = parse_json(&body, None)?;
    let tenant = tenants::create(&state, request)?;
    Ok((StatusCode::CREATED, Json(tenant)))
}

async fn get_tenant(
    State(state): State<AppState>,
    Path((family, id)): Path<(String, String)>,
) -> Result<impl IntoResponse, AdminError> {
    let api = vendor(&state, &family)?;
    api.tenant(&id)
        .map(Json)
        .ok_or_else(|| AdminError::not_found(format!("No {} tenant '{id}'", family)))
}

async fn set_tenant_rate_limit(
    State(state): State<AppState>,
    Path((family, id)): Path<(String, String)>,
    Buffered(body): Buffered,
) -> Result<impl IntoResponse, AdminError> {
    let api = vendor(&state, &family)?;
    let limit: Option<RateLimitSpec> = parse_json(&body, None)?;
    if let Some(limit) = limit {
        limit
            .validate("rateLimit", ".")
            .map_err(|e| AdminError::bad_request(e.reason))?;
    }
    Ok(Json(tenants::set_rate_limit(&state, api, &id, limit)?))
}

fn vendor<'a>(state: &'a AppState, name: &str) -> Result<&'a dyn FamilyApi, AdminError> {
    state
        .families
        .vendor(name)
        .and_then(|family| state.api(family))
        .ok_or_else(|| {
            AdminError::not_found(format!(
                "No family '{name}'; use {}",
                state.families.names(Some("or"))
            ))
        })
}
