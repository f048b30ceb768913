//! `/__admin/engine/...`: what clients recorded, for test assertions.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::ui_store::{OfferDisplay, Source};
use crate::shared::admin::AdminError;
use crate::shared::request::query_pairs;
use crate::state::AppState;

/// A display as tests see it: the wire fields plus how it arrived.
#[derive(Serialize)]
struct AdminDisplay {
    #[serde(flatten)]
    display: OfferDisplay,
    source: Source,
}

/// `GET /__admin/engine/offerDisplays[?leadUuid=]`, oldest first.
pub async fn offer_displays(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, AdminError> {
    let lead = uuid_filter(query.as_deref(), "leadUuid")?;
    let listing = state.engine.ui.displays(lead);
    let items: Vec<_> = listing
        .items
        .into_iter()
        .map(|display| AdminDisplay {
            source: display.source,
            display,
        })
        .collect();
    Ok(Json(json!({
        "count": listing.count,
        "dropped": listing.dropped,
        "capacity": listing.capacity,
        "offerDisplays": items,
    })))
}

/// `GET /__admin/engine/sessionInits[?sessionUuid=]`, oldest first.
pub async fn session_inits(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, AdminError> {
    let session = uuid_filter(query.as_deref(), "sessionUuid")?;
    let listing = state.engine.ui.sessions(session);
    Ok(Json(json!({
        "count": listing.count,
        "dropped": listing.dropped,
        "capacity": listing.capacity,
        "sessionInits": listing.items,
    })))
}

fn uuid_filter(query: Option<&str>, name: &str) -> Result<Option<Uuid>, AdminError> {
    let mut found = None;
    for (key, value) in query_pairs(query) {
        if key != name {
            return Err(AdminError::bad_request(format!(
                "{key}: unknown filter (use {name})"
            )));
        }
        let uuid = Uuid::try_parse(&value)
            .map_err(|_| AdminError::bad_request(format!("{name}: '{value}' is not a UUID")))?;
        found = Some(uuid);
    }
    Ok(found)
}
