//! `GET /api/v1/lead_analytics/search` and `/api/v1/contact_analytics/search`.

use std::borrow::Cow;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::DataAnalytics;
use super::error::DataAnalyticsError;
use super::event::{Event, EventKind, FieldError};
use super::store::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Search};
use crate::shared::http::JSON;
use crate::shared::request::{decoded_pairs, query_value};

#[derive(Serialize)]
pub(crate) struct SearchResponse {
    #[serde(serialize_with = "records")]
    recordings: Vec<Arc<Event>>,
    meta: Meta,
}

fn records<S: serde::Serializer>(events: &[Arc<Event>], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(events.iter().map(|e| e.record()))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    page: usize,
    page_size: usize,
    row_count: usize,
}

pub(crate) async fn search_lead_analytics(
    State(state): State<DataAnalytics>,
    RawQuery(query): RawQuery,
) -> Result<Response, DataAnalyticsError> {
    search(&state, EventKind::Lead, query.as_deref())
}

pub(crate) async fn search_contact_analytics(
    State(state): State<DataAnalytics>,
    RawQuery(query): RawQuery,
) -> Result<Response, DataAnalyticsError> {
    search(&state, EventKind::Contact, query.as_deref())
}

fn search(
    state: &DataAnalytics,
    kind: EventKind,
    query: Option<&str>,
) -> Result<Response, DataAnalyticsError> {
    let search = parse_search(kind, query).map_err(DataAnalyticsError::Validation)?;
    state
        .data_analytics
        .check_rate(&search.customer_id, state.clock.now())?;
    let (page, page_size) = (search.page, search.page_size);
    let body = state.data_analytics.events.search_rendered(search, |found| {
        let response = SearchResponse {
            recordings: found.recordings,
            meta: Meta {
                page,
                page_size,
                row_count: found.row_count,
            },
        };
        // Strings, numbers and string-keyed maps: serializing cannot fail.
        serde_json::to_vec(&response).map(Bytes::from).unwrap_or_default()
    });
    Ok(([(header::CONTENT_TYPE, JSON)], body).into_response())
}

/// Reads the query, naming every missing or invalid parameter at once.
/// `recording_id` may repeat, in the plain, `recording_id[]` and
/// `recording_id[0]` spellings HTTP clients use for arrays.
pub(crate) fn parse_search(kind: EventKind, query: Option<&str>) -> Result<Search, Vec<FieldError>> {
    // Borrowed where nothing was escaped: a search is read on every poll.
    let pairs: Vec<(Cow<str>, Cow<str>)> = decoded_pairs(query.unwrap_or_default()).collect();
    let mut errors = Vec::new();
    let recording_ids: Vec<String> = pairs
        .iter()
        .filter(|(k, v)| is_recording_id(k) && !v.is_empty())
        .map(|(_, v)| v.clone().into_owned())
        .collect();
    if recording_ids.is_empty() {
        errors.push(FieldError::new("recording_id", "recording_id is required"));
    }
    let mut required = |name: &str| {
        match query_value(&pairs, name) {
            Some(v) if !v.trim().is_empty() => Some(v.to_owned()),
            _ => {
                errors.push(FieldError::new(name, format!("{name} is required")));
                None
            }
        }
    };
    let customer_id = required("customer_id");
    let user_id = required("user_id");
    let entity_id = required(kind.id_field());
    let first = |name: &str| query_value(&pairs, name);
    let latest = match first("latest").map(str::to_ascii_lowercase).as_deref() {
        None | Some("false" | "0" | "") => false,
        Some("true" | "1") => true,
        Some(_) => {
            errors.push(FieldError::new("latest", "latest must be true or false"));
            false
        }
    };
    let page = match first("page") {
        None => 1,
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => {
                errors.push(FieldError::new("page", "page must be a positive integer"));
                1
            }
        },
    };
    let page_size = match first("pageSize") {
        None => DEFAULT_PAGE_SIZE,
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                errors.push(FieldError::new(
                    "pageSize",
                    format!("pageSize must be an integer from 1 to {MAX_PAGE_SIZE}"),
                ));
                DEFAULT_PAGE_SIZE
            }
        },
    };
    match (customer_id, user_id, entity_id) {
        (Some(customer_id), Some(user_id), Some(entity_id)) if errors.is_empty() => Ok(Search {
            kind,
            customer_id,
            user_id,
            entity_id,
            recording_ids,
            latest,
            page,
            page_size,
        }),
        _ => Err(errors),
    }
}

fn is_recording_id(key: &str) -> bool {
    key == "recording_id"
        || key
            .strip_prefix("recording_id[")
            .and_then(|rest| rest.strip_suffix(']'))
            .is_some_and(|index| index.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(query: &str) -> Vec<String> {
        parse_search(EventKind::Lead, Some(query))
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn every_array_spelling_of_recording_id_is_read() {
        let search = parse_search(
            EventKind::Lead,
            Some("recording_id=a&recording_id%5B%5D=b&recording_id[3]=c&customer_id=x&user_id=u&lead_id=l"),
        );
        let search = search.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(search.recording_ids, ["a", "b", "c"]);
        assert_eq!((search.page, search.page_size, search.latest), (1, 10, false));
    }

    #[test]
    fn missing_and_invalid_parameters_are_all_named() {
        assert_eq!(fields(""), ["recording_id", "customer_id", "user_id", "lead_id"]);
        assert_eq!(
            fields("recording_id=a&customer_id=x&user_id=u&lead_id=l&latest=maybe&page=0&pageSize=101"),
            ["latest", "page", "pageSize"]
        );
        assert!(fields("recording_id=a&customer_id=x&user_id=u&lead_id=l&pageSize=100&page=7").is_empty());
    }
}
