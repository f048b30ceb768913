//! `/__admin/engine/...`: what clients recorded, for test assertions.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::Engine;
use super::ui_store::{OfferDisplay, Source};
use crate::shared::admin::AdminError;
use crate::shared::request::query_pairs;

/// A display as tests see it: the wire fields plus how it arrived.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AdminDisplay {
    #[serde(flatten)]
    display: OfferDisplay,
    source: Source,
    /// For a submitted lead: whether the display names an offer of that
    /// lead's rate table (absent for other leads).
    #[serde(skip_serializing_if = "Option::is_none")]
    matches_rate_table: Option<bool>,
}

/// `GET /__admin/engine/offerDisplays[?leadUuid=][&credential=]`, oldest first.
pub(crate) async fn offer_displays(
    State(state): State<Engine>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, AdminError> {
    let Filters { uuid: lead, creator } = filters(&state, query.as_deref(), "leadUuid")?;
    let listing = state.engine.ui.displays(lead, creator);
    let items: Vec<_> = listing
        .items
        .into_iter()
        .map(|display| AdminDisplay {
            source: display.source,
            matches_rate_table: state.engine.marketplace.offered(
                display.lead_uuid,
                display.rate_table_uuid,
                display.offer_uuid,
            ),
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

/// `GET /__admin/engine/sessionInits[?sessionUuid=][&credential=]`, oldest first.
pub(crate) async fn session_inits(
    State(state): State<Engine>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, AdminError> {
    let Filters {
        uuid: session,
        creator,
    } = filters(&state, query.as_deref(), "sessionUuid")?;
    let listing = state.engine.ui.sessions(session, creator);
    // A session that belongs to a submitted lead names it.
    let items: Vec<Value> = listing
        .items
        .into_iter()
        .map(|init| {
            let lead = state.engine.marketplace.lead_of_session(init.session_uuid);
            let mut item = json!(init);
            if let (Some(lead), Value::Object(fields)) = (lead, &mut item) {
                fields.insert("submittedLeadUuid".into(), json!(lead));
            }
            item
        })
        .collect();
    Ok(Json(json!({
        "count": listing.count,
        "dropped": listing.dropped,
        "capacity": listing.capacity,
        "sessionInits": items,
    })))
}

/// A listing's filters: a uuid, and the records of the company whose token
/// (`credential`, confidential or publishable) is given.
struct Filters {
    uuid: Option<Uuid>,
    creator: Option<Uuid>,
}

fn filters(state: &Engine, query: Option<&str>, name: &str) -> Result<Filters, AdminError> {
    let mut found = Filters {
        uuid: None,
        creator: None,
    };
    for (key, value) in query_pairs(query) {
        if key == "credential" {
            let catalog = state.engine.catalog();
            let company = catalog
                .companies
                .by_token(&value)
                .ok_or_else(|| AdminError::bad_request("credential: no Engine company has this token"))?;
            found.creator = Some(company.uuid);
            continue;
        }
        if key != name {
            return Err(AdminError::bad_request(format!(
                "{key}: unknown filter (use {name} or credential)"
            )));
        }
        let uuid = Uuid::try_parse(&value)
            .map_err(|_| AdminError::bad_request(format!("{name}: '{value}' is not a UUID")))?;
        found.uuid = Some(uuid);
    }
    Ok(found)
}

/// Submitted leads an admin listing shows at most (the newest).
const LISTED_LEADS: usize = 1_000;

/// `GET /__admin/engine/leads[?leadUuid=][&credential=]`: submitted leads
/// (the newest thousand, oldest first) with their rate tables' answers and
/// clicks; never what a lead says about the person.
pub(crate) async fn submitted_leads(
    State(state): State<Engine>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, AdminError> {
    let Filters { uuid, creator } = filters(&state, query.as_deref(), "leadUuid")?;
    let (count, leads) = state.engine.marketplace.recent(LISTED_LEADS, |lead| {
        uuid.is_none_or(|u| u == lead.uuid) && creator.is_none_or(|c| c == lead.company)
    });
    let leads: Vec<Value> = leads.iter().map(super::marketplace::leads::admin_view).collect();
    let (lead_bytes, prefill_bytes, report_bytes) = state.engine.marketplace.weights();
    let bytes = json!({
        "leads": lead_bytes,
        "maxLeads": super::marketplace::store::MAX_LEAD_BYTES,
        "prefills": prefill_bytes,
        "loanReports": report_bytes,
        "maxEach": super::marketplace::store::MAX_PREFILL_BYTES,
    });
    Ok(Json(json!({ "count": count, "listed": leads.len(), "leads": leads, "storeBytes": bytes })))
}
