//! The configuration call of Engine's offer carousel
//! (`GET /network/{channel}/{zone}/api/configuration`, on MoneyLion's host
//! for the real widget; leadsim answers it on its own port). It hands the
//! widget its context: which token and channel to use for Engine, a fresh
//! lead uuid, device signals, the brand and the offer mode. Defaults make the
//! carousel proceed to its Offer Search; fixtures change any of it.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::Engine;
use super::auth::{Company, TokenKind};
use super::error::EngineError;
use super::marketplace::leads::new_lead_uuid;
use crate::shared::request::Head;

/// The slug the carousel falls back to, as the vendor's bundled context says.
pub(crate) const DEFAULT_PRODUCT_TYPE: &str = "EarnedWageAccess";

/// `GET /network/{channel}/{zone}/api/configuration`: authenticated by any
/// of the company's tokens (a sub-account's own token picks that
/// sub-account; the company's, its first).
pub(crate) async fn configuration(
    State(state): State<Engine>,
    Path((channel, zone)): Path<(String, String)>,
    Head { headers, .. }: Head,
) -> Result<Response, EngineError> {
    let catalog = state.engine.catalog();
    let (company, scope) = catalog.companies.authenticate(&headers, TokenKind::Publishable)?;
    let now = state.clock.now();
    state.engine.check_rate(&company, now)?;
    let sub_account = scope.sub_account().unwrap_or(0);
    let lead = new_lead_uuid(&state, &company, now);
    state.engine.marketplace.hand_out(lead, company.uuid, sub_account);
    let device = state.seed.uuid("engine.carousel.device", lead);
    let mut context = default_context(&company, sub_account, &channel, &zone, lead, device);
    for fixture in company.carousel(sub_account) {
        if let Some(overlay) = &fixture.context {
            merge(&mut context, overlay);
        }
    }
    Ok(Json(json!({ "serializableContext": context })).into_response())
}

/// The context a company's sub-account gets when its fixtures say nothing:
/// the smallest that makes the carousel search offers, filled out as the
/// vendor's bundled context is.
fn default_context(
    company: &Company,
    sub_account: u16,
    channel: &str,
    zone: &str,
    lead: uuid::Uuid,
    device: uuid::Uuid,
) -> Map<String, Value> {
    let sub = company.sub_account_name(sub_account);
    let domain = format!("{}.example", slug(&company.name));
    let context = json!({
        "app": { "name": "@apps/dynamic-offers" },
        "brand": {
            "name": company.name,
            "domain": domain,
            "isLicensed": true,
            "allowedMarks": { "logo": true, "name": true },
            "reshapedThemeColors": {},
            "links": {
                "home": format!("https://{domain}/"),
                "terms": format!("https://{domain}/terms"),
                "privacy": format!("https://{domain}/privacy"),
            },
        },
        "configuration": {
            "app": { "name": "@apps/dynamic-offers" },
            "configuration": {
                "enableUseCachedOffers": false,
                "defaultProductTypeSlug": DEFAULT_PRODUCT_TYPE,
                "productTypesDefinition": [],
                "partnersOverrideDefinition": [],
            },
        },
        "request": { "referer": "", "channel": channel, "zone": zone },
        "signals": {
            "deviceSignals": {
                "id": device,
                "country": "US",
                "state": { "code": "NY" },
                "ipAddress": "203.0.113.7",
                "userAgent": "Mozilla/5.0 (leadsim)",
                "os": "",
                "isMobile": false,
            },
            "partnerSignals": { "clientTags": {} },
            "lead": { "uuid": lead },
        },
        "subaccount": {
            "id": sub.uuid,
            "name": sub.name,
            "companyUuid": company.uuid,
            "publicToken": company.publishable_token(),
            "supplySubaccountUuid": sub.uuid,
            "tags": {},
        },
        "isDev": false,
    });
    match context {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `Demo Lending Partner` → `demo-lending-partner`.
fn slug(name: &str) -> String {
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    if words.is_empty() { "partner".to_owned() } else { words.join("-") }
}

/// Objects merge member by member; anything else replaces.
fn merge(into: &mut Map<String, Value>, overlay: &Map<String, Value>) {
    for (key, value) in overlay {
        match (into.get_mut(key), value) {
            (Some(Value::Object(old)), Value::Object(new)) => merge(old, new),
            _ => {
                into.insert(key.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlays_merge_objects_and_replace_the_rest() {
        let mut base = match json!({"a": {"b": 1, "c": [1]}, "d": true}) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let overlay = match json!({"a": {"c": [], "e": null}, "d": {"x": 1}}) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        merge(&mut base, &overlay);
        assert_eq!(Value::Object(base), json!({"a": {"b": 1, "c": [], "e": null}, "d": {"x": 1}}));
        assert_eq!(slug("Cedar & Stone, Inc."), "cedar-stone-inc");
        assert_eq!(slug("—"), "partner");
    }
}
