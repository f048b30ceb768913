//! `GET /supplyAnalytics/{leadEvents,leadPayouts,leadClientTags}?timestamp=`:
//! one hour of records per call, a `nextUrl` cursor, and the 1-hour SLA on
//! the virtual clock.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};

use super::supply_analytics_v3::{self, Version};
use super::Engine;
use super::auth::Confidential;
use super::error::EngineError;
use super::windows::{Feed, WINDOW};
use crate::shared::budget::Held;
use crate::shared::http::{json_parts_held, server_failure};
use crate::shared::json_writer::write_str;
use crate::shared::request::{Head, decoded_pairs, public_base_url};
use crate::shared::time::{format_seconds, parse_rfc3339};

/// Data is published one hour after it happens.
pub(crate) const SLA: chrono::TimeDelta = chrono::TimeDelta::hours(1);

pub(crate) async fn lead_events(state: State<Engine>, caller: Confidential, head: Head) -> Result<Response, EngineError> {
    serve(state, caller, &head.headers, head.query(), Feed::Events).await
}

pub(crate) async fn lead_payouts(state: State<Engine>, caller: Confidential, head: Head) -> Result<Response, EngineError> {
    serve(state, caller, &head.headers, head.query(), Feed::Payouts).await
}

pub(crate) async fn lead_client_tags(
    state: State<Engine>,
    caller: Confidential,
    head: Head,
) -> Result<Response, EngineError> {
    serve(state, caller, &head.headers, head.query(), Feed::ClientTags).await
}

async fn serve(
    State(state): State<Engine>,
    caller: Confidential,
    headers: &HeaderMap,
    query: Option<&str>,
    feed: Feed,
) -> Result<Response, EngineError> {
    if Version::of(headers)? == Version::V3 {
        return supply_analytics_v3::serve(State(state), caller, headers, query, feed).await;
    }
    let Confidential {
        catalog,
        company,
        scope,
    } = caller;
    let now = state.clock.now();
    let start = window_start(query, now)?;
    let next = start + WINDOW;
    let mut next_url = public_base_url(state.settings.public_url.as_deref(), headers);
    next_url.push_str(feed.path());
    next_url.push_str("?timestamp=");
    next_url.push_str(&cursor(next));
    let should_continue_polling = is_published(next, now);
    let windows = &catalog.windows;
    let budget = &state.engine.responses;
    let (data, place) = match windows.rendered_json(&company, scope, feed, start) {
        Some(data) => (data, None),
        // Generating up to 28 days of funnels takes milliseconds: off the
        // async workers, so other requests keep flowing meanwhile.
        None => {
            let place = budget.render_place().await;
            let windows = windows.clone();
            match tokio::task::spawn_blocking(move || windows.window_json(&company, scope, feed, start)).await {
                Ok(data) => (data, place),
                Err(e) => {
                    let message = format!("Window generation failed: {e}");
                    let error = EngineError::Framework {
                        status: StatusCode::INTERNAL_SERVER_ERROR,
                        message: message.clone(),
                    };
                    return Ok(server_failure(error.into_response(), message));
                }
            }
        }
    };
    let held = budget.room(data.len(), place).await;
    Ok(envelope(&next_url, should_continue_polling, data, held))
}

/// The requested window's start, checked against the SLA.
fn window_start(query: Option<&str>, now: DateTime<Utc>) -> Result<DateTime<Utc>, EngineError> {
    let given = query
        .and_then(|query| decoded_pairs(query).find(|(name, _)| name == "timestamp"))
        .map(|(_, value)| value)
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| EngineError::Missing {
            attribute: "timestamp".into(),
        })?;
    let start = parse_rfc3339(&given).ok_or_else(|| {
        EngineError::malformed(
            "timestamp",
            Some(&given),
            format!(
                "timestamp must be an ISO 8601 date-time, but is '{}'",
                super::error::shorten(&given)
            ),
        )
    })?;
    if !is_published(start, now) {
        return Err(EngineError::TimestampTooLate {
            attribute: "timestamp",
            specified: start,
            requirement: now - SLA,
        });
    }
    Ok(start)
}

/// A window is served once its start is at least an hour old.
fn is_published(start: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    start <= now - SLA
}

/// RFC 3339 in UTC with `Z`, with fractional seconds only when the cursor has them.
fn cursor(t: DateTime<Utc>) -> String {
    if t.timestamp_subsec_nanos() == 0 {
        format_seconds(t)
    } else {
        t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }
}

/// `{"nextUrl":…,"shouldContinuePolling":…,"data":[…]}` around cached data
/// bytes, sent as they are cached (not copied into one buffer).
fn envelope(next_url: &str, should_continue_polling: bool, data: Bytes, held: Option<Held>) -> Response {
    let mut head = Vec::with_capacity(next_url.len() + 64);
    head.extend_from_slice(b"{\"nextUrl\":");
    write_str(&mut head, next_url);
    head.extend_from_slice(b",\"shouldContinuePolling\":");
    head.extend_from_slice(if should_continue_polling {
        b"true"
    } else {
        b"false"
    });
    head.extend_from_slice(b",\"data\":");
    json_parts_held(
        StatusCode::OK,
        vec![Bytes::from(head), data, Bytes::from_static(b"}")],
        held,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        parse_rfc3339(s).unwrap_or_default()
    }

    #[test]
    fn sla_matches_the_vendor_examples() {
        let now = at("2020-01-01T08:15:00Z");
        assert!(!is_published(at("2020-01-01T08:00:00Z"), now));
        assert!(is_published(at("2020-01-01T07:00:00Z"), now));
        assert!(is_published(at("2020-01-01T07:10:00Z"), now));
        assert!(
            is_published(at("2020-01-01T07:15:00Z"), now),
            "exactly an hour old"
        );
        assert!(!is_published(at("2020-01-01T07:15:01Z"), now));
    }

    #[test]
    fn cursors_keep_sub_second_precision_only_when_present() {
        assert_eq!(cursor(at("2020-01-01T08:00:00Z")), "2020-01-01T08:00:00Z");
        assert_eq!(cursor(at("2020-01-01T08:00:00.250Z")), "2020-01-01T08:00:00.250Z");
        for t in ["1970-01-01T00:00:00Z", "2199-12-31T23:00:00Z", "2020-02-29T23:59:59.000001Z"] {
            assert_eq!(cursor(at(t)), at(t).to_rfc3339_opts(SecondsFormat::AutoSi, true));
        }
    }

    #[tokio::test]
    async fn the_envelope_writes_next_url_as_serde_json_does() {
        // `--public-url` is the operator's text, sent as given: it may hold
        // anything JSON must escape.
        for url in ["http://h:1/supplyAnalytics/leadEvents?timestamp=x", "http://a\"b\\c\u{1}\u{7f}é/x"] {
            for polling in [true, false] {
                let response = envelope(url, polling, Bytes::from_static(b"[1,2]"), None);
                let body = axum::body::to_bytes(response.into_body(), usize::MAX).await;
                let expected = format!(
                    r#"{{"nextUrl":{},"shouldContinuePolling":{polling},"data":[1,2]}}"#,
                    serde_json::Value::from(url)
                );
                assert_eq!(body.ok(), Some(Bytes::from(expected)));
            }
        }
    }
}
