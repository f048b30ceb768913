//! Supply Analytics version 3 (API 1.106.0, `API-Version: 2025-04-01`):
//! the streaming feeds paged by `paginationToken` in order of
//! `paginationTimestamp` with a 5-minute SLA, and `leadsInfo`, one lead's
//! snapshot. The same simulated records as version 1, another view.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::Engine;
use super::auth::{Company, Confidential};
use super::error::{EngineError, shorten};
use super::models::{EventType, LeadClientTagV3, LeadEventV3, LeadPayoutV3};
use super::pagination_token::{Cursor, Holder, TokenError};
use super::windows::{Feed, Page, PageRequest, Position, WindowRecords};
use crate::shared::budget::Held;
use crate::shared::http::{json_parts, json_parts_held, server_failure};
use crate::shared::request::{Head, public_base_url, query_pairs, query_value};
use crate::shared::time::parse_rfc3339;

/// The header that selects a version, and the one value of it leadsim serves.
pub(crate) const API_VERSION: &str = "api-version";
pub(crate) const V3: &str = "2025-04-01";

/// Version 3 publishes records five minutes after they enter Engine.
pub(crate) const SLA: TimeDelta = TimeDelta::minutes(5);

/// Which Supply Analytics a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    /// No `API-Version` header: API 1.58.0's hourly windows.
    V1,
    V3,
}

impl Version {
    /// The version `API-Version` names (any spelling of the header name).
    pub(crate) fn of(headers: &HeaderMap) -> Result<Self, EngineError> {
        let Some(value) = headers.get(API_VERSION) else {
            return Ok(Version::V1);
        };
        match value.to_str().map(str::trim) {
            Ok(V3) => Ok(Version::V3),
            other => {
                let given = other.unwrap_or("(not text)");
                Err(EngineError::malformed(
                    "API-Version",
                    Some(given),
                    format!(
                        "API-Version must be {V3} (Supply Analytics v3), or absent for version 1, but is '{}'",
                        shorten(given)
                    ),
                ))
            }
        }
    }
}

/// A version 3 streaming call.
pub(crate) async fn serve(
    State(state): State<Engine>,
    Confidential {
        catalog,
        company,
        scope,
    }: Confidential,
    headers: &HeaderMap,
    query: Option<&str>,
    feed: Feed,
) -> Result<Response, EngineError> {
    let now = state.clock.now();
    let published = now - SLA;
    let holder = Holder {
        seed: state.seed,
        company: company.uuid,
        scope,
    };
    let asked = Asked::parse(query, feed)?;
    let cursor = match &asked.token {
        Some(token) => open(&holder, token, feed)?,
        None => Cursor {
            feed,
            position: Position {
                at: asked.since.unwrap_or_else(|| company.start_of_records()),
                skip: 0,
            },
            until: None,
            types: None,
        },
    };
    if let Some(since) = asked.since
        && since > published
    {
        return Err(EngineError::TimestampTooLate {
            attribute: "sinceTimestamp",
            specified: since,
            requirement: published,
        });
    }
    // Filters given with a token replace the ones it carries.
    let cursor = Cursor {
        until: asked.until.or(cursor.until),
        types: asked.types.or(cursor.types),
        ..cursor
    };
    let horizon = cursor
        .until
        .map_or(published + TimeDelta::nanoseconds(1), |until| until.min(published + TimeDelta::nanoseconds(1)));
    let request = PageRequest {
        feed,
        scope,
        from: cursor.position,
        horizon,
        types: cursor.types,
        limit: company.v3_page_limit,
    };
    let windows = &catalog.windows;
    let budget = &state.engine.responses;
    let (page, place) = match windows.rendered_page(&company, &request) {
        Some(page) => (page, None),
        None => {
            let place = budget.render_place().await;
            let windows = windows.clone();
            let company = company.clone();
            match tokio::task::spawn_blocking(move || windows.page(&company, &request)).await {
                Ok(page) => (page, place),
                Err(e) => return Ok(generation_failed(e)),
            }
        }
    };
    let held = budget.room(page.data.iter().map(Bytes::len).sum(), place).await;
    let token = holder.seal(&Cursor {
        position: page.next,
        ..cursor
    });
    let next_url = format!(
        "{}{}?paginationToken={token}",
        public_base_url(state.settings.public_url.as_deref(), headers),
        feed.path(),
    );
    Ok(envelope(&next_url, &token, &page, held))
}

/// What a streaming call's query asks for.
struct Asked {
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    token: Option<String>,
    types: Option<u32>,
}

impl Asked {
    fn parse(query: Option<&str>, feed: Feed) -> Result<Self, EngineError> {
        let pairs = query_pairs(query);
        let given = |name: &str| query_value(&pairs, name).map(str::trim).filter(|v| !v.is_empty());
        let time = |name: &str| -> Result<Option<DateTime<Utc>>, EngineError> {
            given(name)
                .map(|text| {
                    parse_rfc3339(text).ok_or_else(|| {
                        EngineError::malformed(
                            name,
                            Some(text),
                            format!("{name} must be an ISO 8601 date-time, but is '{}'", shorten(text)),
                        )
                    })
                })
                .transpose()
        };
        let since = time("sinceTimestamp")?;
        let until = time("untilTimestamp")?;
        let token = given("paginationToken").map(str::to_owned);
        if token.is_some() && since.is_some() {
            return Err(EngineError::malformed(
                "sinceTimestamp",
                given("sinceTimestamp"),
                "sinceTimestamp must be omitted when paginationToken is given: the token says where to continue",
            ));
        }
        let types = if feed == Feed::Events {
            event_types(&pairs)?
        } else {
            None
        };
        Ok(Self {
            since,
            until,
            token,
            types,
        })
    }
}

/// `eventType`, repeated or comma-separated; an unknown type is refused by name.
fn event_types(pairs: &[(String, String)]) -> Result<Option<u32>, EngineError> {
    let mut types = None;
    for value in pairs.iter().filter(|(k, _)| k == "eventType").map(|(_, v)| v) {
        for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let t = EventType::parse(name).ok_or_else(|| {
                let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
                EngineError::malformed(
                    "eventType",
                    Some(name),
                    format!("eventType must be one of {}, but is '{}'", known.join(", "), shorten(name)),
                )
            })?;
            types = Some(types.unwrap_or(0) | t.bit());
        }
    }
    Ok(types)
}

fn open(holder: &Holder, token: &str, feed: Feed) -> Result<Cursor, EngineError> {
    holder.open(token, feed).map_err(|e| {
        let message = match e {
            TokenError::Unreadable => format!(
                "paginationToken is not a token this endpoint issued to this access token \
                 (garbled, or from another token or an older format), but is '{}'",
                shorten(token)
            ),
            TokenError::OtherFeed(other) => format!(
                "paginationToken was issued by {}, not {}",
                other.path(),
                feed.path()
            ),
        };
        EngineError::malformed("paginationToken", Some(token), message)
    })
}

/// `{"nextUrl":…,"shouldContinuePolling":…,"paginationToken":…,"data":[…]}`,
/// the page's cached bytes sent as they are.
fn envelope(next_url: &str, token: &str, page: &Page, held: Option<Held>) -> Response {
    let head = format!(
        "{{\"nextUrl\":{},\"shouldContinuePolling\":{},\"paginationToken\":{},\"data\":",
        serde_json::Value::from(next_url),
        page.more,
        serde_json::Value::from(token),
    );
    let mut parts = Vec::with_capacity(page.data.len() + 2);
    parts.push(Bytes::from(head));
    parts.extend(page.data.iter().cloned());
    parts.push(Bytes::from_static(b"}"));
    json_parts_held(StatusCode::OK, parts, held)
}

fn generation_failed(e: tokio::task::JoinError) -> Response {
    let message = format!("Page generation failed: {e}");
    let error = EngineError::Framework {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        message: message.clone(),
    };
    server_failure(error.into_response(), message)
}

/// `GET /supplyAnalytics/leadsInfo/{leadUuid}`: everything about one lead
/// published so far; 206 with `warnings` when it is over the company's
/// `leadsInfoLimit` records.
pub(crate) async fn leads_info(
    State(state): State<Engine>,
    Confidential {
        catalog,
        company,
        scope,
    }: Confidential,
    Path(lead): Path<String>,
    Head { headers, .. }: Head,
) -> Result<Response, EngineError> {
    match headers.get(API_VERSION) {
        None => return Err(EngineError::Missing {
            attribute: "API-Version".into(),
        }),
        Some(_) => Version::of(&headers)?,
    };
    let uuid = Uuid::parse_str(&lead).map_err(|e| {
        EngineError::malformed(
            "leadUuid",
            Some(&lead),
            format!("leadUuid must be a UUID, but is '{}': {e}", shorten(&lead)),
        )
    })?;
    let not_found = || EngineError::Framework {
        status: StatusCode::NOT_FOUND,
        message: format!("Lead {uuid} not found"),
    };
    if catalog.owner_of_lead(uuid) != Some(company.uuid) {
        return Err(not_found());
    }
    let published = state.clock.now() - SLA;
    let windows = catalog.windows.clone();
    let owner = company.clone();
    let records = match tokio::task::spawn_blocking(move || windows.lead(&owner, uuid, published)).await {
        Ok(records) => records,
        Err(e) => return Ok(generation_failed(e)),
    };
    let Some(records) = records.filter(|r| {
        r.events
            .first()
            .is_some_and(|e| scope.sees(e.v3.ingestion.sub_account))
    }) else {
        return Err(not_found());
    };
    Ok(lead_info(&company, records))
}

fn lead_info(company: &Company, mut records: WindowRecords) -> Response {
    let limit = company.leads_info_limit as usize;
    let total = records.events.len() + records.payouts.len() + records.tags.len();
    // A snapshot reads in the order things happened.
    records
        .events
        .sort_by_key(|e| (e.event_created_at, e.v3.deleted_at.is_some()));
    let mut room = limit;
    let mut keep = |len: usize| {
        let kept = len.min(room);
        room -= kept;
        kept
    };
    records.events.truncate(keep(records.events.len()));
    records.payouts.truncate(keep(records.payouts.len()));
    records.tags.truncate(keep(records.tags.len()));
    let name = |i: u16| company.sub_account_name(i);
    let truncated = total > limit;
    let warnings: Vec<String> = if truncated {
        vec![format!(
            "Results were truncated to fit the response size limit: {limit} of {total} records are included"
        )]
    } else {
        Vec::new()
    };
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Data<'a> {
        events: Vec<LeadEventV3<'a>>,
        payouts: Vec<LeadPayoutV3<'a>>,
        client_tags: Vec<LeadClientTagV3<'a>>,
    }
    #[derive(Serialize)]
    struct Body<'a> {
        data: Data<'a>,
        warnings: Vec<String>,
    }
    let body = Body {
        data: Data {
            events: records
                .events
                .iter()
                .map(|e| LeadEventV3::of(e, &name(e.v3.ingestion.sub_account)))
                .collect(),
            payouts: records
                .payouts
                .iter()
                .map(|p| LeadPayoutV3::of(p, &name(p.ingestion.sub_account)))
                .collect(),
            client_tags: records.tags.iter().map(LeadClientTagV3::of).collect(),
        },
        warnings,
    };
    let status = if truncated {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    json_parts(status, vec![Bytes::from(json)])
}
