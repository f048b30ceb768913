//! Balance Analytics: generate a report (plain or FCRA) and read it back as
//! JSON or PDF. Generate errors are `ObbErrorMessage` bodies; report reads
//! answer `ErrorMessage` bodies like the aggregation calls.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::Finicity;
use super::auth::Partner;
use super::error::{ApiError, ObbError};
use super::report::{self, Constraints, Refusal, ReportRequest};
use super::{parse_customer_id, pdf};
use crate::shared::http::JSON;
use crate::shared::request::{BodyError, Buffered, Head, parse_json, query_pairs, query_value};

/// Permissible purpose codes accepted on the FCRA read (the vendor's
/// documentation lists these; its spec lists none).
pub(crate) const PURPOSES: [&str; 5] = ["99", "8J", "31", "1B", "3F"];

pub(crate) async fn generate(
    state: State<Finicity>,
    caller: Partner<ObbError>,
    customer_id: Result<Path<String>, PathRejection>,
    query: RawQuery,
    Buffered(body): Buffered,
) -> Result<Response, ObbError> {
    generate_report(state, caller, customer_id, query, body, false)
}

pub(crate) async fn generate_fcra(
    state: State<Finicity>,
    caller: Partner<ObbError>,
    customer_id: Result<Path<String>, PathRejection>,
    query: RawQuery,
    Buffered(body): Buffered,
) -> Result<Response, ObbError> {
    generate_report(state, caller, customer_id, query, body, true)
}

/// Checks in this order, and stores nothing unless all pass: credentials
/// (401), the path's id and the body (400), the customer (404), whose it is
/// (403), that it is a business (409), then the constraints (400).
fn generate_report(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ObbError>,
    customer_id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    body: Bytes,
    fcra: bool,
) -> Result<Response, ObbError> {
    let now = state.clock.now();
    let finicity = &state.finicity;
    let id = customer_id
        .ok()
        .and_then(|Path(id)| parse_customer_id(&id))
        .ok_or_else(|| {
            ObbError::bad_request("Invalid parameter 'customerId': a numeric customer ID is required")
        })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ObbError::bad_request("Missing required request body"));
    }
    // serde would read a JSON array as the struct's fields in order.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(match serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
            Ok(_) => ObbError::bad_request("Invalid value for '.': the request body must be a JSON object"),
            Err(_) => ObbError::bad_request("Malformed JSON in request body"),
        });
    }
    let constraints: Constraints = parse_json(&body, None).map_err(|e| match e {
        BodyError::Malformed { .. } => ObbError::bad_request("Malformed JSON in request body"),
        BodyError::Invalid { path, reason } => {
            ObbError::bad_request(format!("Invalid value for '{path}': {reason}"))
        }
    })?;
    let pairs = query_pairs(query.as_deref());
    let reference_number = query_value(&pairs, "reference-number").map(str::to_owned);
    if reference_number.as_ref().is_some_and(|r| r.chars().count() > 255) {
        return Err(ObbError::bad_request(
            "'reference-number' must be at most 255 characters",
        ));
    }

    let customer = finicity
        .customers
        .get(id)
        .ok_or_else(ObbError::customer_not_found)?;
    if customer.partner != caller.partner {
        return Err(ObbError::forbidden());
    }
    let (account_ids, length_days) = report::scope(&customer, &constraints).map_err(refused)?;

    let requester_name = finicity
        .auth
        .partner(caller.partner)
        .map(|p| p.name.clone())
        .unwrap_or_default();
    let spec = finicity.reports.create(ReportRequest {
        fcra,
        partner: caller.partner,
        requester_name,
        customer,
        account_ids,
        length_days,
        reference_number,
        created: now,
    });
    Ok(Json(spec.ack()).into_response())
}

/// A refusal in the vendor's words.
fn refused(refusal: Refusal) -> ObbError {
    match refusal {
        Refusal::NotABusiness => ObbError::not_a_business(),
        Refusal::Length(days) => ObbError::bad_request(format!(
            "Invalid lengthOfReport {days}: must be one of 30, 90, 180, 270, 365 or 730"
        )),
        Refusal::NoAccountsListed => ObbError::bad_request("accountIds must list at least one account"),
        Refusal::ForeignAccount { account, customer } => ObbError::bad_request(format!(
            "Account {account} does not belong to customer {customer}"
        )),
        Refusal::NoAccounts { customer } => {
            ObbError::bad_request(format!("Customer {customer} has no accounts"))
        }
    }
}

pub(crate) async fn get_report(
    state: State<Finicity>,
    caller: Partner<ApiError>,
    report_id: Result<Path<String>, PathRejection>,
    head: Head,
) -> Result<Response, ApiError> {
    read_report(state, caller, report_id, &head, false)
}

pub(crate) async fn get_report_fcra(
    state: State<Finicity>,
    caller: Partner<ApiError>,
    report_id: Result<Path<String>, PathRejection>,
    head: Head,
) -> Result<Response, ApiError> {
    read_report(state, caller, report_id, &head, true)
}

/// A report is read only through the route of its own kind: an FCRA report
/// needs a permissible purpose, so the plain route does not serve it, and
/// the FCRA route does not serve plain reports. Either way it is 404, as
/// for an unknown id or another partner's report.
fn read_report(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    report_id: Result<Path<String>, PathRejection>,
    Head { headers, uri }: &Head,
    fcra: bool,
) -> Result<Response, ApiError> {
    let finicity = &state.finicity;
    if fcra {
        let pairs = query_pairs(uri.query());
        match query_value(&pairs, "purpose").map(str::trim) {
            None | Some("") => return Err(ApiError::InvalidField("\"purpose\" is required".into())),
            Some(p) if !PURPOSES.contains(&p) => {
                return Err(ApiError::InvalidField(format!(
                    "\"purpose\" must be one of [{}]",
                    PURPOSES.join(", ")
                )));
            }
            Some(_) => {}
        }
    }
    let format = negotiate(headers).ok_or(ApiError::NotAcceptable)?;
    let spec = report_id
        .ok()
        .and_then(|Path(id)| finicity.reports.get(&id))
        .filter(|s| s.request.partner == caller.partner && s.request.fcra == fcra)
        .ok_or(ApiError::ResourceNotFound)?;
    let pdf = format == Format::Pdf;
    let body = finicity.rendered.get_or_insert_with((spec.id.clone(), pdf), || {
        let report = report::build(&spec);
        if pdf {
            Bytes::from(pdf::render(&report, spec.request.fcra))
        } else {
            // Plain data serializes infallibly.
            Bytes::from(serde_json::to_vec(&report).unwrap_or_default())
        }
    });
    Ok(match format {
        Format::Json => ([(header::CONTENT_TYPE, JSON)], body).into_response(),
        Format::Pdf => pdf_response(body, &spec.id),
    })
}

/// A report's PDF, inline, named after the report.
pub(crate) fn pdf_response(body: Bytes, report_id: &str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(value) = HeaderValue::from_str(&format!("inline; filename=\"{report_id}.pdf\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Pdf,
}

/// The representation `Accept` prefers: the highest q among JSON and PDF,
/// the first listed on a tie; JSON for no header or only wildcards; `None`
/// when neither is acceptable.
pub(crate) fn negotiate(headers: &HeaderMap) -> Option<Format> {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    if accept.trim().is_empty() {
        return Some(Format::Json);
    }
    let mut best: Option<(Format, f32)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let format = match media.as_str() {
            "application/json" | "application/*" | "*/*" => Format::Json,
            "application/pdf" => Format::Pdf,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(_, best_q)| q > best_q) {
            best = Some((format, q));
        }
    }
    best.map(|(format, _)| format)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Option<Format> {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(header::ACCEPT, v);
        }
        negotiate(&headers)
    }

    #[test]
    fn accept_picks_the_preferred_representation() {
        assert_eq!(accept(""), Some(Format::Json));
        assert_eq!(accept("application/json"), Some(Format::Json));
        assert_eq!(accept("application/pdf"), Some(Format::Pdf));
        assert_eq!(accept("application/json, application/pdf"), Some(Format::Json));
        assert_eq!(
            accept("application/json;q=0.5, application/pdf"),
            Some(Format::Pdf)
        );
        assert_eq!(accept("*/*"), Some(Format::Json));
        assert_eq!(accept("text/html"), None);
        assert_eq!(accept("application/pdf;q=0"), None);
    }
}
