//! Reading `/decisioning` reports: one report (JSON, or PDF once it
//! succeeded), a customer's report list, and the admin API's view of
//! reports and callback deliveries.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use super::super::Finicity;
use super::super::aggregation::owned_customer;
use super::super::analytics::{Format, PURPOSES, negotiate, pdf_response};
use super::super::auth::Partner;
use super::super::error::ApiError;
use super::super::pdf;
use super::report;
use super::store::{Purpose, Status};
use crate::shared::admin::AdminError;
use crate::shared::http::JSON;
use crate::shared::request::{BodyError, Buffered, Head, parse_json_value, query_pairs, query_value};
use crate::shared::time::format_seconds;

/// Permissible purpose codes the read accepts: the old flow's, and `1W`,
/// which the vendor's own tests send.
fn purpose_known(code: &str) -> bool {
    PURPOSES.contains(&code) || code == "1W"
}

/// `GET /decisioning/v3/customers/{customerId}/reports/{reportId}`: the
/// minimal report while in progress (or failed), the whole one after.
/// A CRA report needs a permissible `purpose` (the vendor enforces it
/// since 11 August 2026).
pub(crate) async fn get_report(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    path: Result<Path<(String, String)>, PathRejection>,
    Head { headers, uri }: Head,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let Ok(Path((customer_id, report_id))) = path else {
        return Err(ApiError::ResourceNotFound);
    };
    let customer = owned_customer(&state, caller, Ok(Path(customer_id)))?;
    if customer.security_freeze {
        return Err(ApiError::SecurityFreeze);
    }
    let found = state
        .decisioning
        .reports
        .get(&report_id)
        .filter(|r| r.request.customer.id == customer.id && r.request.partner == caller.partner)
        .ok_or(ApiError::ResourceNotFound)?;
    let pairs = query_pairs(uri.query());
    if query_value(&pairs, "onBehalfOf").is_some_and(|v| v.chars().count() > 255) {
        return Err(ApiError::InvalidField(
            "\"onBehalfOf\" length must be less than or equal to 255 characters long".into(),
        ));
    }
    if found.request.purpose == Purpose::Cra {
        match query_value(&pairs, "purpose").map(str::trim) {
            None | Some("") => return Err(ApiError::decisioning("Permissible Purpose Code is required")),
            Some(code) if !purpose_known(code) => {
                return Err(ApiError::decisioning(format!(
                    "Permissible Purpose Code is invalid: use one of {}, 1W",
                    PURPOSES.join(", ")
                )));
            }
            Some(_) => {}
        }
    }
    let format = negotiate(&headers).ok_or(ApiError::NotAcceptable)?;
    let status = found.status(now);
    if status != Status::Success {
        if format == Format::Pdf {
            return Err(ApiError::decisioning(format!(
                "Report {} is not ready as a PDF: its status is {}",
                found.id,
                if status == Status::Failure { "failure" } else { "inProgress" }
            )));
        }
        return Ok(Json(report::ack(&found, now)).into_response());
    }
    let pdf = format == Format::Pdf;
    let body = state
        .finicity
        .rendered
        .get_or_insert_with((found.id.clone(), pdf), || {
            let finished = report::build(&found, now);
            if pdf {
                Bytes::from(pdf::render_decisioning(&finished, &found))
            } else {
                Bytes::from(serde_json::to_vec(&finished).unwrap_or_default())
            }
        });
    Ok(if pdf {
        pdf_response(body, &found.id)
    } else {
        ([(header::CONTENT_TYPE, JSON)], body).into_response()
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportSummary<'a> {
    id: &'a str,
    request_id: &'a str,
    requester_name: &'a str,
    created_date: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumer_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumer_ssn: Option<&'a str>,
    #[serde(rename = "type")]
    kind: String,
    status: Status,
}

/// `GET /decisioning/v1/customers/{customerId}/reports`: the caller's
/// reports on the customer, oldest first, with their status now.
pub(crate) async fn list_reports(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    customer_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let customer = owned_customer(&state, caller, customer_id)?;
    if customer.security_freeze {
        return Err(ApiError::SecurityFreeze);
    }
    let reports = state.decisioning.reports.of_customer(customer.id);
    let summaries: Vec<ReportSummary<'_>> = reports
        .iter()
        .filter(|r| r.request.partner == caller.partner)
        .map(|r| ReportSummary {
            id: &r.id,
            request_id: &r.request_id,
            requester_name: &r.request.requester_name,
            created_date: r.request.created.timestamp(),
            consumer_id: r.request.consumer.as_ref().map(|c| c.id.as_str()),
            consumer_ssn: r.request.consumer.as_ref().map(|c| c.ssn.as_str()).filter(|s| !s.is_empty()),
            kind: r.type_code(),
            status: r.status(now),
        })
        .collect();
    Ok(Json(json!({ "reports": summaries })).into_response())
}

/// `GET /__admin/finicity/reports`: every `/decisioning` report, oldest
/// first, with its status now and when it finishes.
pub(crate) async fn admin_reports(State(state): State<Finicity>) -> Json<Value> {
    let now = state.clock.now();
    let reports: Vec<Value> = state
        .decisioning
        .reports
        .all()
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "customerId": r.request.customer.id,
                "type": r.type_code(),
                "status": r.status(now),
                "createdDate": format_seconds(r.request.created),
                "finishes": format_seconds(r.finishes),
                "callbackUrl": r.request.callback_url,
            })
        })
        .collect();
    Json(json!({ "reports": reports }))
}

/// `POST /__admin/finicity/reports/{reportId}/outcome` with
/// `{"outcome": "failure"}` (or `"success"`): how a report still in
/// progress will end. 409 once it has finished.
pub(crate) async fn admin_set_outcome(
    State(state): State<Finicity>,
    report_id: Result<Path<String>, PathRejection>,
    Buffered(body): Buffered,
) -> Result<Json<Value>, AdminError> {
    let now = state.clock.now();
    let id = report_id.map(|Path(id)| id).unwrap_or_default();
    let found = state
        .decisioning
        .reports
        .get(&id)
        .ok_or_else(|| AdminError::not_found(format!("no /decisioning report {id}")))?;
    let value = parse_json_value(&body, None).map_err(|e| match e {
        BodyError::Malformed { reason } => AdminError::bad_request(format!("malformed JSON: {reason}")),
        BodyError::Invalid { path, reason } => AdminError::bad_request(format!("{path}: {reason}")),
    })?;
    let fails = match value.get("outcome").and_then(Value::as_str) {
        Some("failure") => true,
        Some("success") => false,
        _ => {
            return Err(AdminError::bad_request(
                "body must be {\"outcome\": \"success\"} or {\"outcome\": \"failure\"}",
            ));
        }
    };
    if found.status(now) != Status::InProgress {
        return Err(AdminError::conflict(format!(
            "report {id} has finished; only a report in progress can be given an outcome"
        )));
    }
    found.fails.store(fails, std::sync::atomic::Ordering::Relaxed);
    Ok(Json(json!({
        "id": found.id,
        "outcome": if fails { "failure" } else { "success" },
        "finishes": format_seconds(found.finishes),
    })))
}

/// `GET /__admin/finicity/callbacks`: every Report Listener delivery, oldest first.
pub(crate) async fn admin_callbacks(State(state): State<Finicity>) -> Json<Value> {
    Json(json!({ "deliveries": state.decisioning.callbacks.deliveries() }))
}
