//! Offer Searches (the alpha "formerly known as RateTable", `Api-Version`
//! 2025-10-15, 2025-12-09 and 2026-02-25) and public channel offers: what
//! Engine's offer carousel calls after its configuration.
//!
//! A search is a rate table of catalog offers on a marketplace lead, so its
//! offer links record clicks and the lead lives on in supply analytics like
//! a submitted one. Late partners answer on the virtual clock, or by the
//! client's third poll at the latest: a carousel polling in real time sees
//! `pendingResponses` empty before its fifth and last poll, on a frozen
//! clock too (unless fixtures script a silent or slow partner).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::super::Engine;
use super::super::auth::{Company, Publishable};
use super::super::error::{ApiError, EngineError, shorten};
use super::super::models::ProductType;
use super::catalog::{self, BaseOffer, Behaviour, CatalogProduct, Listings};
use super::lead::{self, CheckedLead};
use super::leads::{duplicate, links_base, new_lead_uuid, path_uuid, too_large, too_many_tables};
use super::plain_lead;
use super::render::{Links, partner_in_name_order};
use super::store::{Held, Poll, RateTable, Refused, Search, SubmittedLead};
use super::underwriting::Decision;
use crate::shared::http::JSON;
use crate::shared::json_writer::{Object, write_str};
use crate::shared::request::{Head, HeadAndBody, parse_json_value, query_pairs, query_value};
use crate::shared::time::format_seconds;

/// The Offer Searches versions the vendor publishes, oldest first.
pub(crate) const VERSIONS: [&str; 3] = ["2025-10-15", "2025-12-09", "2026-02-25"];
/// What a call without `Api-Version` gets: the current version (the
/// header is documented as optional).
pub(crate) const CURRENT: &str = "2026-02-25";
/// Product types one search or channel call may name.
pub(super) const MAX_PRODUCT_TYPES: usize = 64;
pub(super) const MAX_SLUG_CHARS: usize = 128;

/// The version `Api-Version` names (any spelling of the header name).
fn version(headers: &HeaderMap) -> Result<&'static str, EngineError> {
    let Some(value) = headers.get("api-version") else {
        return Ok(CURRENT);
    };
    let given = value.to_str().map(str::trim).unwrap_or("(not text)");
    VERSIONS.iter().find(|v| **v == given).copied().ok_or_else(|| {
        EngineError::malformed(
            "Api-Version",
            Some(given),
            format!(
                "Api-Version must be one of {} (Offer Searches), or absent for {CURRENT}, but is '{}'",
                VERSIONS.join(", "),
                shorten(given)
            ),
        )
    })
}

fn bad_request(errors: Vec<ApiError>) -> EngineError {
    EngineError::Rejected {
        status: StatusCode::BAD_REQUEST,
        errors,
    }
}

/// `LeadRequestOfferCatalog`: the lead's sections, checked as the lead API
/// checks them, and `productTypes` as catalog slugs (any string; ones the
/// catalogue lacks have no offers).
fn read_search(body: &[u8]) -> Result<(CheckedLead, Vec<String>), EngineError> {
    match plain_lead::read_search(body, MAX_PRODUCT_TYPES, MAX_SLUG_CHARS) {
        Some(read) => Ok(read),
        None => read_search_tree(body),
    }
}

/// [`read_search`] through a JSON tree: any body, every error worded.
pub(super) fn read_search_tree(body: &[u8]) -> Result<(CheckedLead, Vec<String>), EngineError> {
    let mut value = parse_json_value(body, None).map_err(|e| EngineError::from(e).into_bad_request())?;
    let Value::Object(fields) = &mut value else {
        return Err(bad_request(vec![lead::invalid("body", &value)]));
    };
    let mut errors = Vec::new();
    let slugs = match fields.remove("productTypes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items))
            if items.len() <= MAX_PRODUCT_TYPES
                && items.iter().all(|i| i.as_str().is_some_and(|s| !s.is_empty() && s.chars().count() <= MAX_SLUG_CHARS)) =>
        {
            let mut slugs: Vec<String> = Vec::with_capacity(items.len());
            for item in items.iter().filter_map(Value::as_str) {
                if !slugs.iter().any(|s| s == item) {
                    slugs.push(item.to_owned());
                }
            }
            slugs
        }
        Some(other) => {
            errors.push(lead::invalid("productTypes", &other));
            Vec::new()
        }
    };
    match lead::check(value, false) {
        Ok(checked) if errors.is_empty() => Ok((checked, slugs)),
        Ok(_) => Err(bad_request(errors)),
        Err(more) => {
            errors.extend(more);
            Err(bad_request(errors))
        }
    }
}

/// What fixtures script for the searches of a company's sub-account.
fn behaviour(company: &Company, sub_account: u16) -> Behaviour {
    let mut behaviour = Behaviour::default();
    for fixture in company.carousel(sub_account) {
        if let Some(names) = &fixture.silent_partners {
            behaviour.silent = names.iter().filter_map(|n| catalog::lender_named(n)).collect();
        }
        if let Some(names) = &fixture.slow_partners {
            behaviour.slow = names.iter().filter_map(|n| catalog::lender_named(n)).collect();
        }
        if let Some(slugs) = &fixture.no_offers {
            behaviour.no_offers = slugs.iter().filter_map(|s| catalog::product(s)).map(|p| p.slug).collect();
        }
    }
    behaviour
}

/// `POST /leads/{leadUuid}/offerSearches` (2026-02-25, what the carousel
/// calls): a search for a lead, created when leadsim does not have it (the
/// carousel's lead uuid comes from its configuration, never from Engine).
pub(crate) async fn create_for_lead(
    State(state): State<Engine>,
    publishable: Publishable,
    Path(lead): Path<String>,
    HeadAndBody { head: Head { headers, .. }, body }: HeadAndBody,
) -> Result<Response, EngineError> {
    let version = version(&headers)?;
    let uuid = path_uuid("leadUuid", &lead)?;
    let (checked, slugs) = read_search(&body)?;
    search(&state, publishable, Some(uuid), checked, slugs, version, &headers).await
}

/// `POST /offerSearches` (the 2025-10-15 form, served under every
/// version): the lead is the body's `uuid`, or a new one.
pub(crate) async fn create(
    State(state): State<Engine>,
    publishable: Publishable,
    HeadAndBody { head: Head { headers, .. }, body }: HeadAndBody,
) -> Result<Response, EngineError> {
    let version = version(&headers)?;
    let (checked, slugs) = read_search(&body)?;
    let lead = checked.uuid;
    search(&state, publishable, lead, checked, slugs, version, &headers).await
}

async fn search(
    state: &Engine,
    Publishable { company, scope }: Publishable,
    lead: Option<Uuid>,
    mut checked: CheckedLead,
    slugs: Vec<String>,
    version: &'static str,
    headers: &HeaderMap,
) -> Result<Response, EngineError> {
    let now = state.clock.now();
    let marketplace = &state.engine.marketplace;
    let viewer = scope.viewer(&company);
    let products: Vec<&'static CatalogProduct> = slugs.iter().filter_map(|s| catalog::product(s)).collect();
    if products.len() < slugs.len() {
        tracing::debug!(unknown = ?slugs.iter().filter(|s| catalog::product(s).is_none()).collect::<Vec<_>>(), "offer search for product types the catalogue lacks");
    }
    let mut kinds: Vec<ProductType> = products.iter().map(|p| p.product).collect();
    kinds.sort();
    kinds.dedup();
    checked.input.products = kinds;
    let (uuid, issued) = match lead {
        Some(uuid) => (uuid, false),
        None => (new_lead_uuid(state, &company, now), true),
    };
    let handed_to = marketplace.handed_to(uuid, company.uuid);
    let sub_account = handed_to.or(scope.sub_account()).unwrap_or_else(|| company.sub_account_of(uuid));
    // A uuid leadsim issued (here, or to the carousel's configuration) is
    // no generated lead's: only a client's own needs the look-up.
    let issued = issued || handed_to.is_some();
    let behaviour = behaviour(&company, sub_account);
    let seed = marketplace.seed();
    let build = |lead: &SubmittedLead, at: DateTime<Utc>| {
        let table = seed.uuid("engine.offerSearch", (lead.uuid, lead.rate_tables.len() as u64));
        RateTable {
            uuid: table,
            built_at: at,
            loan_amount: lead.checked.input.loan_amount,
            answers: catalog::answers(seed, table, &products, &lead.checked.input, &behaviour, at),
            search: Some(Search {
                version,
                product_types: slugs.clone(),
                polls: 0,
            }),
        }
    };
    let not_found = || EngineError::plain(StatusCode::BAD_REQUEST, "Lead UUID is invalid");
    // A new lead first; when another request stored it meanwhile, a new
    // search on it.
    let mut held = marketplace.held(uuid, viewer);
    if held == Held::Absent {
        if !issued {
            // May generate the lead's creation hour: off the async workers.
            let catalog = state.engine.catalog();
            let exists = tokio::task::spawn_blocking(move || catalog.lead_exists(uuid, now)).await;
            if exists.unwrap_or(true) {
                return Err(duplicate());
            }
        }
        let mut fresh = SubmittedLead {
            uuid,
            company: company.uuid,
            company_name: company.name.clone(),
            sub_account,
            is_test: company.is_test,
            event_data: company.event_data,
            created_at: now,
            updated_at: now,
            rate_tables: Vec::new(),
            clicks: Vec::new(),
            checked: checked.clone(),
        };
        let first = build(&fresh, now);
        // Answered from the lead before the store takes it (not a copy of it).
        let answered = answer(marketplace.listings(), fresh.uuid, &first, now, &links_base(state, headers));
        fresh.rate_tables.push(first);
        match marketplace.submit(fresh) {
            Ok(()) => return Ok(answered),
            Err(_) => held = marketplace.held(uuid, viewer),
        }
    }
    if held != Held::Visible {
        return Err(not_found());
    }
    match marketplace.update(viewer, uuid, checked, now) {
        Ok(()) => {}
        Err(Refused::TooLarge) => return Err(too_large()),
        Err(Refused::TooManyTables) => return Err(too_many_tables()),
        Err(Refused::NotFound | Refused::Duplicate) => return Err(not_found()),
    }
    let lead = marketplace
        .add_rate_table(viewer, uuid, now, build)
        .map_err(|refused| match refused {
            Refused::TooManyTables => too_many_tables(),
            _ => not_found(),
        })?;
    let table = lead.rate_tables.last().ok_or_else(not_found)?;
    Ok(answer(marketplace.listings(), lead.uuid, table, now, &links_base(state, headers)))
}

/// `GET /offerSearches/{uuid}`: the search as it stands now, counted as a
/// poll. Another company's (or sub-account's) search is not found.
pub(crate) async fn get(
    State(state): State<Engine>,
    Publishable { company, scope }: Publishable,
    Path(search): Path<String>,
    Head { headers, .. }: Head,
) -> Result<Response, EngineError> {
    version(&headers)?;
    let uuid = path_uuid("uuid", &search)?;
    let (now, base) = (state.clock.now(), links_base(&state, &headers));
    let marketplace = &state.engine.marketplace;
    let body = match marketplace.poll_search(uuid, scope.viewer(&company), now, &base) {
        None => return Err(EngineError::plain(StatusCode::NOT_FOUND, format!("OfferSearch {uuid} not found"))),
        Some(Poll::Rendered(body)) => body,
        Some(Poll::Render { key, lead, table }) => {
            marketplace.keep_poll(key, || render(marketplace.listings(), lead, &table, now, &base))
        }
    };
    Ok(([(header::CONTENT_TYPE, JSON)], body).into_response())
}

/// [`render`] as a response.
fn answer(listings: &Listings, lead: Uuid, table: &RateTable, now: DateTime<Utc>, base: &str) -> Response {
    ([(header::CONTENT_TYPE, JSON)], render(listings, lead, table, now, base)).into_response()
}

/// `BasicRateTable` (members in name order, as the vendor's). Sent as
/// its `write` writes it; serde's derived form is what the tests hold
/// that writer to.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SearchWire<'a> {
    lead_uuid: Uuid,
    offers: Vec<BaseOffer<'a>>,
    pending_responses: Vec<PendingWire>,
    uuid: Uuid,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PendingWire {
    offer_catalog_product_types: Vec<&'static str>,
    partner: &'static RawValue,
    #[serde(skip)]
    lender: Uuid,
}

/// `BasicRateTable`: offers that arrived (best recommendation first) and
/// the partners still answering, with the product types they answer for.
fn render(listings: &Listings, lead: Uuid, table: &RateTable, now: DateTime<Utc>, base: &str) -> Bytes {
    let created = format_seconds(table.built_at);
    let wire = search_wire(listings, lead, table, now, &Links { base }, &created);
    // Offers are about 1.3 KB as JSON, pending partners about 0.4 KB.
    let mut text = Vec::with_capacity(512 + 1536 * wire.offers.len() + 512 * wire.pending_responses.len());
    wire.write(&mut text);
    Bytes::from(text)
}

/// What [`render`] writes: the offers that arrived at `now`, best first,
/// and the partners still answering.
fn search_wire<'a>(
    listings: &'a Listings,
    lead: Uuid,
    table: &RateTable,
    now: DateTime<Utc>,
    links: &Links,
    created: &'a str,
) -> SearchWire<'a> {
    let mut offers: Vec<BaseOffer> = table
        .answered(now)
        .filter_map(|answer| {
            let (Decision::Offer(terms), Some(product)) = (&answer.decision, answer.catalog) else {
                return None;
            };
            let listing = listings.get(answer.lender, product)?;
            Some(catalog::base_offer(listing, terms.uuid, links.offer(terms.uuid), terms.recommendation_score, created))
        })
        .collect();
    offers.sort_by(|a, b| b.recommendation_score().total_cmp(&a.recommendation_score()));
    let mut pending: Vec<PendingWire> = Vec::new();
    for answer in table.pending(now) {
        let slug = answer.catalog.map_or("", |p| p.slug);
        let uuid = answer.lender.institution.uuid;
        match pending.iter_mut().find(|p| p.lender == uuid) {
            Some(p) => p.offer_catalog_product_types.push(slug),
            None => pending.push(PendingWire {
                offer_catalog_product_types: vec![slug],
                partner: partner_in_name_order(answer.lender),
                lender: uuid,
            }),
        }
    }
    SearchWire {
        lead_uuid: lead,
        offers,
        pending_responses: pending,
        uuid: table.uuid,
    }
}

impl SearchWire<'_> {
    /// What serde writes for it (a test holds the two together), by hand.
    fn write(&self, out: &mut Vec<u8>) {
        let mut o = Object::new(out);
        o.uuid("leadUuid", self.lead_uuid);
        o.array("offers", &self.offers, |out, offer| offer.write(out));
        o.array("pendingResponses", &self.pending_responses, |out, pending| {
            let mut o = Object::new(out);
            o.array("offerCatalogProductTypes", &pending.offer_catalog_product_types, |out, slug| write_str(out, slug));
            o.raw("partner", pending.partner.get());
            o.end();
        });
        o.uuid("uuid", self.uuid);
        o.end();
    }
}

/// The public channel offers (members in name order).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChannelOffersWire<'a> {
    offers: Vec<BaseOffer<'a>>,
    pending_responses: [(); 0],
    uuid: Uuid,
}

/// `GET /leads/public/channelOffers?productType=A,B&channelUuid=...` (no
/// token): the channel's cached offers, the same for every caller. Without
/// `channelUuid`, the whole catalogue's; an unknown channel is not found.
pub(crate) async fn channel_offers(
    State(state): State<Engine>,
    Head { headers, uri }: Head,
) -> Result<Response, EngineError> {
    let pairs = query_pairs(uri.query());
    let mut errors = Vec::new();
    let slugs: Vec<&str> = match query_value(&pairs, "productType") {
        None => {
            errors.push(ApiError::missing("productType"));
            Vec::new()
        }
        Some(text) => {
            let slugs: Vec<&str> = text.split(',').map(str::trim).collect();
            if slugs.iter().any(|s| s.is_empty() || s.chars().count() > MAX_SLUG_CHARS) || slugs.len() > MAX_PRODUCT_TYPES {
                errors.push(lead::invalid("productType", &Value::String(text.to_owned())));
            }
            slugs
        }
    };
    let channel = match query_value(&pairs, "channelUuid") {
        None => None,
        Some(text) => match lead::parse_uuid(&Value::String(text.to_owned())) {
            Some(uuid) => Some(uuid),
            None => {
                errors.push(lead::invalid("channelUuid", &Value::String(text.to_owned())));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(bad_request(errors));
    }
    let behaviour = match channel {
        None => Behaviour::default(),
        Some(uuid) => {
            let catalog = state.engine.catalog();
            let Some((company, sub_account)) = catalog.companies.sub_account(uuid) else {
                return Err(EngineError::plain(StatusCode::NOT_FOUND, format!("Channel {uuid} not found")));
            };
            behaviour(&company, sub_account)
        }
    };
    let mut products: Vec<&'static CatalogProduct> = Vec::new();
    for product in slugs.iter().filter_map(|s| catalog::product(s)) {
        if !products.iter().any(|p| p.slug == product.slug) && !behaviour.no_offers.contains(&product.slug) {
            products.push(product);
        }
    }
    let links = Links { base: &links_base(&state, &headers) };
    let marketplace = &state.engine.marketplace;
    let seed = marketplace.seed();
    let offers = catalog::channel_offers(seed, marketplace.listings(), &products, |uuid| links.offer(uuid));
    let key: Vec<&str> = products.iter().map(|p| p.slug).collect();
    let uuid = seed.uuid("engine.channelOffers", (channel.unwrap_or_default(), key.join(",")));
    Ok(Json(ChannelOffersWire {
        offers,
        pending_responses: [],
        uuid,
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::apis::engine::marketplace::lead::{CreditBand, LeadInput, Script};
    use crate::apis::engine::marketplace::lenders;
    use crate::shared::seed::Seed;
    use crate::shared::time::parse_rfc3339;

    #[test]
    fn hand_written_searches_are_byte_for_byte_what_serde_writes() {
        let seed = Seed::new(5);
        let listings = Listings::new(seed);
        let built = parse_rfc3339("2026-03-02T10:00:00Z").unwrap_or_default();
        let every = catalog::all();
        // Silent and slow partners keep some pending at every read.
        let behaviour = Behaviour {
            silent: lenders::all().iter().step_by(5).collect(),
            slow: lenders::all().iter().skip(2).step_by(7).collect(),
            no_offers: Vec::new(),
        };
        let bases = ["http://127.0.0.1:8080", "http://h\"o\\st\u{1}é"];
        let (mut searches, mut offers, mut pending) = (0, 0, 0);
        for n in 0..every.len() {
            // One product, then a window of three, then all of them.
            let slugs: Vec<&'static CatalogProduct> = match n % 3 {
                0 => vec![&every[n]],
                1 => every.iter().cycle().skip(n).take(3).collect(),
                _ => every.iter().collect(),
            };
            let input = LeadInput {
                products: Vec::new(),
                loan_amount: None,
                loan_purpose: None,
                band: CreditBand::Good,
                annual_income: None,
                state: Some(["TX", "NY", "WV"][n % 3].into()),
                card_purposes: Vec::new(),
                allow_annual_fee: true,
                min_deposit: None,
                script: [Script::None, Script::Slow][n % 2],
            };
            let uuid = Uuid::from_u128(n as u128);
            let table = RateTable {
                uuid,
                built_at: built,
                loan_amount: None,
                answers: catalog::answers(seed, uuid, &slugs, &input, &behaviour, built),
                search: None,
            };
            let created = format_seconds(table.built_at);
            for later in [0, 5, 3_600] {
                let links = Links { base: bases[n % 2] };
                let wire = search_wire(&listings, uuid, &table, built + TimeDelta::seconds(later), &links, &created);
                let mut written = Vec::new();
                wire.write(&mut written);
                let serde = serde_json::to_vec(&wire).unwrap_or_default();
                assert_eq!(String::from_utf8_lossy(&written), String::from_utf8_lossy(&serde));
                searches += 1;
                offers += wire.offers.len();
                pending += wire.pending_responses.len();
            }
        }
        assert!(searches >= 30 && offers > 300 && pending > 30, "{searches} {offers} {pending}");
    }
}
