//! The Lead operations of 1.106.0 (`submitLead`, `getRateTableForSpecifiedLead`,
//! `getRateTable`, `getLead`, `updateLead`) and the offer links they hand out.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::super::Engine;
use super::super::auth::{Company, Confidential, Publishable};
use super::super::error::EngineError;
use super::super::lead_ids;
use super::super::windows::floor_hour;
use super::lead::{self, CheckedLead};
use super::plain_lead;
use super::render::{self, Links};
use super::store::{RateTable, Refused, SubmittedLead};
use super::underwriting;
use crate::shared::http::json_written;
use crate::shared::request::{Buffered, Head, HeadAndBody, parse_json_value, public_base_url};
use crate::shared::time::format_seconds;

/// The lead body, checked: 400 with every invalid member named.
pub(crate) fn read_lead(body: &[u8], require_products: bool) -> Result<CheckedLead, EngineError> {
    if let Some(lead) = plain_lead::read(body, require_products) {
        return Ok(lead);
    }
    let value = parse_json_value(body, None).map_err(|e| EngineError::from(e).into_bad_request())?;
    lead::check(value, require_products).map_err(|errors| EngineError::Rejected {
        status: StatusCode::BAD_REQUEST,
        errors,
    })
}

/// A path uuid, or the vendor's 400 for it.
pub(crate) fn path_uuid(name: &str, text: &str) -> Result<Uuid, EngineError> {
    Uuid::parse_str(text).map_err(|_| {
        EngineError::plain(
            StatusCode::BAD_REQUEST,
            format!(
                "Cannot parse parameter {name} as UUID: Invalid UUID string: {}",
                super::super::error::shorten(text)
            ),
        )
    })
}

pub(crate) fn links_base(state: &Engine, headers: &HeaderMap) -> String {
    public_base_url(state.settings.public_url.as_deref(), headers)
}

/// `POST /leads/rateTables`: stores the lead and answers its rate table as
/// it stands when the synchronous lenders have answered.
pub(crate) async fn submit_lead(
    State(state): State<Engine>,
    Publishable { company, scope }: Publishable,
    HeadAndBody { head: Head { headers, .. }, body }: HeadAndBody,
) -> Result<Response, EngineError> {
    let checked = read_lead(&body, true)?;
    let now = state.clock.now();
    let marketplace = &state.engine.marketplace;
    let uuid = match checked.uuid {
        Some(uuid) => {
            // Any lead's uuid is taken, another company's too. May generate
            // the lead's creation hour: off the async workers.
            let catalog = state.engine.catalog();
            let exists = tokio::task::spawn_blocking(move || catalog.lead_exists(uuid, now)).await;
            if exists.unwrap_or(true) {
                return Err(duplicate());
            }
            uuid
        }
        None => new_lead_uuid(&state, &company, now),
    };
    let table_uuid = marketplace.seed().uuid("engine.marketplace.rateTable", (uuid, 0u64));
    let answers = underwriting::answers(marketplace.seed(), table_uuid, &checked.input, now);
    let lead = SubmittedLead {
        uuid,
        company: company.uuid,
        company_name: company.name.clone(),
        // A sub-account's own token submits for that sub-account.
        sub_account: scope.sub_account().unwrap_or_else(|| company.sub_account_of(uuid)),
        is_test: company.is_test,
        event_data: company.event_data,
        created_at: now,
        updated_at: now,
        rate_tables: vec![RateTable {
            uuid: table_uuid,
            built_at: now,
            loan_amount: checked.input.loan_amount,
            answers,
            search: None,
        }],
        clicks: Vec::new(),
        checked,
    };
    let body = render::rate_table(&lead, &lead.rate_tables[0], now, &Links { base: &links_base(&state, &headers) });
    let response = json_written(StatusCode::OK, body.to_json());
    marketplace.submit(lead).map_err(|_| duplicate())?;
    Ok(response)
}

/// A lead uuid that carries the company's tag and creation hour, as
/// generated leads' do: analytics finds its owner from the uuid alone.
pub(crate) fn new_lead_uuid(state: &Engine, company: &Company, now: DateTime<Utc>) -> Uuid {
    let catalog = state.engine.peek();
    let tag = catalog.windows.tag(company.index).unwrap_or_default();
    let mut rng = state.seed.rng("engine.marketplace.lead", (company.uuid, state.engine.marketplace.next_number()));
    lead_ids::tagged_lead_uuid(tag, floor_hour(now), &mut rng)
}

pub(crate) fn duplicate() -> EngineError {
    // The vendor's text, with its double space.
    EngineError::plain(StatusCode::CONFLICT, "Lead  duplicates an existing lead")
}

/// `POST /leads/{leadUuid}/rateTables`: a new rate table for a stored lead
/// (the body's sections are merged into it first).
pub(crate) async fn rate_table_for_lead(
    State(state): State<Engine>,
    Publishable { company, scope }: Publishable,
    Path(lead): Path<String>,
    HeadAndBody { head: Head { headers, .. }, body }: HeadAndBody,
) -> Result<Response, EngineError> {
    let uuid = path_uuid("leadUuid", &lead)?;
    let checked = read_lead(&body, false)?;
    let now = state.clock.now();
    let marketplace = &state.engine.marketplace;
    let not_found = || EngineError::plain(StatusCode::BAD_REQUEST, "Lead UUID is invalid");
    let viewer = scope.viewer(&company);
    match marketplace.update(viewer, uuid, checked, now) {
        Ok(()) => {}
        Err(Refused::TooLarge) => return Err(too_large()),
        Err(Refused::TooManyTables) => return Err(too_many_tables()),
        Err(Refused::NotFound | Refused::Duplicate) => return Err(not_found()),
    }
    let seed = marketplace.seed();
    let lead = marketplace
        .add_rate_table(viewer, uuid, now, |lead, at| {
            let table = seed.uuid("engine.marketplace.rateTable", (uuid, lead.rate_tables.len() as u64));
            RateTable {
                uuid: table,
                built_at: at,
                loan_amount: lead.checked.input.loan_amount,
                answers: underwriting::answers(seed, table, &lead.checked.input, at),
                search: None,
            }
        })
        .map_err(|refused| match refused {
            Refused::TooManyTables => too_many_tables(),
            _ => not_found(),
        })?;
    let table = lead.rate_tables.last().ok_or_else(not_found)?;
    let links = Links { base: &links_base(&state, &headers) };
    let body = render::rate_table(&lead, table, now.max(table.built_at), &links);
    Ok(json_written(StatusCode::OK, body.to_json()))
}

/// `GET /originator/rateTables/{uuid}`: the table as it stands now; late
/// lenders' offers appear as the virtual clock passes their answers.
pub(crate) async fn get_rate_table(
    State(state): State<Engine>,
    Publishable { company, scope }: Publishable,
    Path(table): Path<String>,
    Head { headers, .. }: Head,
) -> Result<Response, EngineError> {
    let uuid = path_uuid("uuid", &table)?;
    let viewer = scope.viewer(&company);
    // Offer Searches are read at `/offerSearches/{uuid}`, not here.
    let found = state
        .engine
        .marketplace
        .rate_table(uuid)
        .filter(|(lead, index)| viewer.sees_lead(lead) && lead.rate_tables[*index].search.is_none());
    let Some((lead, index)) = found else {
        return Err(EngineError::plain(StatusCode::NOT_FOUND, "Lead UUID is invalid"));
    };
    let now = state.clock.now();
    let links = Links { base: &links_base(&state, &headers) };
    let body = render::rate_table(&lead, &lead.rate_tables[index], now, &links);
    Ok(json_written(StatusCode::OK, body.to_json()))
}

/// `GET /leads/{uuid}` (confidential token).
pub(crate) async fn get_lead(
    State(state): State<Engine>,
    Confidential { company, scope, .. }: Confidential,
    Path(lead): Path<String>,
) -> Result<Response, EngineError> {
    let uuid = path_uuid("uuid", &lead)?;
    let viewer = scope.viewer(&company);
    match state.engine.marketplace.lead(uuid).filter(|l| viewer.sees_lead(l)) {
        Some(lead) => Ok(Json(render::lead(&lead)).into_response()),
        None => Err(lead_not_found(uuid)),
    }
}

fn lead_not_found(uuid: Uuid) -> EngineError {
    EngineError::plain(StatusCode::NOT_FOUND, format!("Lead {uuid} not found"))
}

/// `PATCH /leads/{uuid}` (confidential token): merges the sections sent.
pub(crate) async fn update_lead(
    State(state): State<Engine>,
    Confidential { company, scope, .. }: Confidential,
    Path(lead): Path<String>,
    Buffered(body): Buffered,
) -> Result<Response, EngineError> {
    let uuid = path_uuid("uuid", &lead)?;
    let checked = read_lead(&body, false)?;
    match state.engine.marketplace.update(scope.viewer(&company), uuid, checked, state.clock.now()) {
        Ok(()) => Ok(Json(serde_json::json!({ "uuid": uuid })).into_response()),
        Err(Refused::TooLarge) => Err(too_large()),
        Err(Refused::TooManyTables) => Err(too_many_tables()),
        Err(Refused::NotFound | Refused::Duplicate) => Err(lead_not_found(uuid)),
    }
}

/// A merge that would make the lead larger than leadsim keeps.
pub(crate) fn too_large() -> EngineError {
    EngineError::Rejected {
        status: StatusCode::BAD_REQUEST,
        errors: vec![lead::too_long(
            "body",
            format!("over {} bytes of lead information once merged", lead::MAX_SECTIONS_BYTES),
        )],
    }
}

/// A lead that has all the rate tables and searches leadsim keeps for one.
pub(crate) fn too_many_tables() -> EngineError {
    EngineError::Rejected {
        status: StatusCode::BAD_REQUEST,
        errors: vec![lead::too_long(
            "leadUuid",
            format!(
                "{} rate tables and offer searches already, the most leadsim keeps for one lead",
                super::store::MAX_TABLES_PER_LEAD
            ),
        )],
    }
}

/// `GET /ref/{offerUuid}`: an offer URL followed. Records the click (the
/// lead's `offerClicked`) and sends the browser to the lender's landing
/// page, served here too. Unknown offers are a plain 404 page, as a
/// tracking link answers.
pub(crate) async fn follow_offer(State(state): State<Engine>, Path(offer): Path<String>) -> Response {
    let followed = Uuid::parse_str(&offer)
        .ok()
        .and_then(|uuid| state.engine.marketplace.follow(uuid, state.clock.now()).map(|f| (uuid, f)));
    match followed {
        Some((uuid, ())) => redirect_to_landing(uuid),
        // A channel's cached offer has no lead: the click goes to the
        // landing page and no funnel.
        None => match Uuid::parse_str(&offer).ok().filter(|uuid| super::catalog::generic_offer(*uuid).is_some()) {
            Some(uuid) => redirect_to_landing(uuid),
            None => (StatusCode::NOT_FOUND, "offer not found\n").into_response(),
        },
    }
}

fn redirect_to_landing(uuid: Uuid) -> Response {
    let location = format!("/ref/{uuid}/landing");
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/"))),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response()
}

/// `GET /ref/{offerUuid}/landing`: a harmless page naming the lender.
pub(crate) async fn landing(State(state): State<Engine>, Path(offer): Path<String>) -> Response {
    let found = Uuid::parse_str(&offer).ok().and_then(|uuid| {
        state.engine.marketplace.offer_summary(uuid).or_else(|| {
            super::catalog::generic_offer(uuid).map(|(lender, product)| (lender.institution.name, product.slug))
        })
    });
    let Some((lender, product)) = found else {
        return (StatusCode::NOT_FOUND, "offer not found\n").into_response();
    };
    let page = maud::html! {
        (maud::DOCTYPE)
        html {
            head { title { (lender) " (simulated)" } }
            body {
                h1 { (lender) }
                p { "You followed a " (product) " offer. This is leadsim's stand-in for the lender's application page: nothing here is real." }
            }
        }
    };
    axum::response::Html(page.into_string()).into_response()
}

/// Journal and admin views of a lead never show what it says about the
/// person; only `GET /leads/{uuid}` with the confidential token does.
pub(crate) fn admin_view(lead: &SubmittedLead) -> Value {
    serde_json::json!({
        "uuid": lead.uuid,
        "companyUuid": lead.company,
        "createdAt": format_seconds(lead.created_at),
        "productTypes": lead.checked.input.products.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "script": lead.checked.input.script.as_str(),
        "rateTables": lead.rate_tables.iter().map(|t| serde_json::json!({
            "uuid": t.uuid,
            "builtAt": format_seconds(t.built_at),
            "offerSearch": t.search.as_ref().map(|s| serde_json::json!({
                "apiVersion": s.version,
                "productTypes": s.product_types,
                "polls": s.polls,
            })),
            "answers": t.answers.iter().map(|a| serde_json::json!({
                "lender": a.lender.institution.name,
                "productType": a.catalog.map_or(a.product.as_str(), |p| p.slug),
                "at": format_seconds(a.at),
                "late": a.late,
                "offerUuid": match &a.decision {
                    underwriting::Decision::Offer(terms) => Some(terms.uuid),
                    underwriting::Decision::Declined(_) => None,
                },
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "clicks": lead.clicks.iter().map(|c| format_seconds(c.at)).collect::<Vec<_>>(),
    })
}
