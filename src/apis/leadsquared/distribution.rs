//! `POST /Leads/LeadDistribution/FilterByLeadField?accessKey=&secretKey=&responseformat=`.

use std::sync::Arc;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::error::LsqError;
use super::query::{Cell, Query, QueryError, Request, Table, run};
use super::{Catalog, LeadSquared, QueryResult};
use crate::shared::http::{JSON, server_failure};
use crate::shared::request::{Buffered, parse_json, query_pairs};

/// JSON (default) or CSV, from `responseformat` (any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

pub(crate) async fn filter_by_lead_field(
    State(state): State<LeadSquared>,
    Caller {
        catalog: lsq,
        index,
        now,
        query: pairs,
    }: Caller,
    Buffered(body): Buffered,
) -> Result<Response, LsqError> {
    let Some(account) = lsq.account_at(index) else {
        return Err(LsqError::InvalidAccess);
    };
    let format = match param(&pairs, "responseformat").map(str::trim) {
        None | Some("") => Format::Json,
        Some(f) if f.eq_ignore_ascii_case("json") => Format::Json,
        Some(f) if f.eq_ignore_ascii_case("csv") => Format::Csv,
        Some(other) => {
            return Err(LsqError::Query(QueryError::InvalidInput(format!(
                "Invalid Input! Parameter Name: ResponseFormat. '{other}' is not JSON or CSV."
            ))));
        }
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(LsqError::Query(QueryError::InvalidInput(
            "Invalid Input! Parameter Name: You have not passed Parameter.".to_owned(),
        )));
    }
    // The same query at the same virtual instant gives the same table:
    // repeated polls (and load tests) skip the scan of every lead.
    let key = (account.serial, now, state.writes_version(&lsq, index), body.clone());
    let result = match lsq.results.get(&key) {
        Some(result) => result,
        None => {
            let request: Request = parse_json(&body, None)?;
            warn_of_unknown_members(&body);
            let query = Query::from_request(request)?;
            let leads = state.dataset(&lsq, index, now);
            let result = Arc::new(QueryResult::new(run(
                &query,
                &account.users,
                &leads,
                now.naive_utc(),
            )));
            lsq.results.get_or_insert_with(key, || result)
        }
    };
    Ok(match format {
        Format::Json => {
            let json = result.json(|table| {
                // Plain data with string keys always serializes.
                serde_json::to_vec(&JsonTable(table)).unwrap_or_default().into()
            });
            ([(header::CONTENT_TYPE, JSON)], json).into_response()
        }
        Format::Csv => csv_response(&result.table),
    })
}

/// A query parameter by name, without regard to case: the vendor's docs
/// spell `responseformat` and `ResponseFormat`, `accesskey` and `accessKey`.
pub(crate) fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A call's account, from its key pair (query or `x-LSQ-*` headers), within
/// the account's rate limit; checked before the handler runs.
pub(crate) struct Caller {
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) index: usize,
    /// The virtual instant the call was admitted at.
    pub(crate) now: DateTime<Utc>,
    /// The query's parameters, decoded once.
    pub(crate) query: Vec<(String, String)>,
}

/// Which of the account's budgets a call counts against: LeadSquared
/// limits its bulk calls apart from the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Standard,
    Bulk,
}

impl FromRequestParts<LeadSquared> for Caller {
    type Rejection = LsqError;

    async fn from_request_parts(parts: &mut Parts, state: &LeadSquared) -> Result<Self, LsqError> {
        Self::admit(parts, state, Class::Standard)
    }
}

impl Caller {
    /// The call's account, counted against its `class` budget.
    pub(crate) fn admit(parts: &Parts, state: &LeadSquared, class: Class) -> Result<Self, LsqError> {
        let pairs = query_pairs(parts.uri.query());
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let access_key = param(&pairs, "accessKey").or_else(|| header("x-LSQ-AccessKey"));
        let secret_key = param(&pairs, "secretKey").or_else(|| header("x-LSQ-SecretKey"));
        let catalog = state.leadsquared.catalog();
        let (index, account) = match (access_key, secret_key) {
            (Some(access), Some(secret)) => catalog.account(access, secret).ok_or(LsqError::InvalidAccess)?,
            _ => return Err(LsqError::InvalidAccess),
        };
        let now = state.clock.now();
        let admitted = match class {
            Class::Standard => state.leadsquared.limiter.admit(&account.access_key, account.limit, now),
            Class::Bulk => {
                let key = format!("{}\u{0}bulk", account.access_key);
                state.leadsquared.limiter.admit(&key, account.bulk_limit, now)
            }
        };
        admitted.map_err(LsqError::RateLimited)?;
        Ok(Self {
            catalog,
            index,
            now,
            query: pairs,
        })
    }
}

/// `{"TotalCount": "<n>", "Results": [...]}`, each row keyed by column in
/// column order. List rows leave out empty fields; aggregate rows keep
/// `null` (as in the vendor's example, `"Average_EngagementScore": null`).
struct JsonTable<'a>(&'a Table);

impl Serialize for JsonTable<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let table = self.0;
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("TotalCount", &table.total.to_string())?;
        let rows: Vec<JsonRow<'_>> = table.rows.iter().map(|r| JsonRow(table, r)).collect();
        map.serialize_entry("Results", &rows)?;
        map.end()
    }
}

struct JsonRow<'a>(&'a Table, &'a [Cell]);

impl Serialize for JsonRow<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let JsonRow(table, cells) = self;
        let mut map = serializer.serialize_map(None)?;
        for (column, cell) in table.columns.iter().zip(cells.iter()) {
            match cell {
                Cell::Null if table.is_list => {}
                Cell::Null => map.serialize_entry(column, &())?,
                Cell::Text(s) => map.serialize_entry(column, s)?,
                Cell::Integer(n) => map.serialize_entry(column, n)?,
                Cell::Float(f) => map.serialize_entry(column, f)?,
            }
        }
        map.end()
    }
}

/// The same rows as CSV: a header row, empty fields for nulls, served as an
/// attachment.
fn csv_response(table: &Table) -> Response {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut rows_written = writer.write_record(&table.columns);
    for row in &table.rows {
        if rows_written.is_err() {
            break;
        }
        rows_written = writer.write_record(row.iter().map(Cell::csv));
    }
    let bytes = match (rows_written, writer.into_inner()) {
        (Ok(()), Ok(bytes)) => bytes,
        // Writing to a Vec cannot fail; answer as the vendor answers failures.
        _ => {
            let response = LsqError::Query(QueryError::InvalidInput(
                "The CSV could not be written.".to_owned(),
            ))
            .into_response();
            return server_failure(response, "writing a CSV table failed");
        }
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"LeadDistribution.csv\""),
    );
    response
}

/// Members this call reads at the top of its body.
const KNOWN_MEMBERS: [&str; 4] = ["ReportFilter", "DateFilter", "Output", "Paging"];

/// LeadSquared's .NET services ignore members they do not know, and so
/// does leadsim; a body whose top-level members are not this call's (say,
/// another call's `Parameter`/`Columns`) then filters nothing, silently.
/// The log says so, naming them (once per distinct body: results are cached).
fn warn_of_unknown_members(body: &[u8]) {
    let unknown = unknown_members(body);
    if !unknown.is_empty() {
        tracing::warn!(
            "LeadSquared FilterByLeadField ignores members it does not read: {} (it reads {})",
            unknown.join(", "),
            KNOWN_MEMBERS.join(", ")
        );
    }
}

/// The body's top-level members this call does not read.
fn unknown_members(body: &[u8]) -> Vec<String> {
    let Ok(members) = serde_json::from_slice::<std::collections::BTreeMap<String, serde::de::IgnoredAny>>(body) else {
        return Vec::new();
    };
    members
        .into_keys()
        .filter(|name| !KNOWN_MEMBERS.iter().any(|known| known.eq_ignore_ascii_case(name)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::unknown_members;

    #[test]
    fn another_calls_members_are_named_as_ignored() {
        let body = br#"{"Parameter":{"LookupName":"ProspectStage"},"Columns":{},"Paging":{"PageIndex":1}}"#;
        assert_eq!(unknown_members(body), ["Columns", "Parameter"]);
        assert!(unknown_members(br#"{"reportFilter":{},"Output":{}}"#).is_empty());
        assert!(unknown_members(b"[1]").is_empty());
    }
}
