//! `GET /__admin/data_analytics/events[?customer_id=]`: everything stored,
//! including the client-side fields the vendor's responses leave out.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::{Value, json};

use super::DataAnalytics;
use crate::shared::request::{query_pairs, query_value};

pub(crate) async fn events(State(state): State<DataAnalytics>, RawQuery(query): RawQuery) -> Json<Value> {
    let pairs = query_pairs(query.as_deref());
    let listing = state
        .data_analytics
        .events
        .list(query_value(&pairs, "customer_id"));
    let events: Vec<_> = listing.events.iter().map(|e| e.stored()).collect();
    Json(json!({
        "count": events.len(),
        "dropped": listing.dropped,
        "capacity": listing.capacity,
        "events": events,
    }))
}
