//! `POST /api/v1/analytics_events`, `/api/v1/lead_analytics` (with the
//! Browser Extension variant) and `/api/v1/contact_analytics`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::DataAnalytics;
use super::error::DataAnalyticsError;
use super::event::{EventKind, NewEvent, Posted, Route};
use crate::shared::http::json_written;
use crate::shared::request::{Buffered, parse_json, parse_json_plain};

pub(crate) async fn create_analytics_event(
    State(state): State<DataAnalytics>,
    Buffered(body): Buffered,
) -> Result<Response, DataAnalyticsError> {
    create(&state, Route::AnalyticsEvents, &body)
}

pub(crate) async fn create_lead_analytics(
    State(state): State<DataAnalytics>,
    Buffered(body): Buffered,
) -> Result<Response, DataAnalyticsError> {
    create(&state, Route::Typed(EventKind::Lead), &body)
}

pub(crate) async fn create_contact_analytics(
    State(state): State<DataAnalytics>,
    Buffered(body): Buffered,
) -> Result<Response, DataAnalyticsError> {
    create(&state, Route::Typed(EventKind::Contact), &body)
}

fn create(state: &DataAnalytics, route: Route, body: &[u8]) -> Result<Response, DataAnalyticsError> {
    // What clients send reads straight into `Posted`; anything else is read
    // as a JSON tree, for its errors in the same words.
    let new = match parse_json_plain::<Posted>(body) {
        Some(posted) => NewEvent::from_posted(route, posted),
        None => NewEvent::from_json(route, parse_json::<Value>(body, None)?),
    };
    let new = new.map_err(DataAnalyticsError::Validation)?;
    state
        .data_analytics
        .check_rate(&new.customer_id, state.clock.now())?;
    let event = state.data_analytics.events.insert(new, state.clock.now());
    // The 201 echoes the body's strings, plus ids and times.
    let mut out = Vec::with_capacity(body.len() + 256);
    event.created().write(&mut out);
    Ok(json_written(StatusCode::CREATED, out))
}
