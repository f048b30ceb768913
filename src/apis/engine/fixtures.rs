//! `fixtures/engine.json`: companies (credentials, traffic, product mix) and
//! scripted leads that merge into the generated windows.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde::Deserialize;
use uuid::Uuid;

use super::institutions;
use super::models::{EventType, ProductType, RejectReason};
use crate::shared::fixtures::FixtureError;
use crate::shared::rate_limit::RateLimitSpec;
use crate::shared::time::Timestamp;

pub(crate) const FILE: &str = "engine.json";

/// Mean leads per day when a company does not say.
pub(crate) const DEFAULT_LEADS_PER_DAY: f64 = 240.0;
const MAX_LEADS_PER_DAY: f64 = 20_000.0;
/// Where generated history begins when a company does not say.
pub(crate) const DEFAULT_HISTORY_START: &str = "2020-01-01T00:00:00Z";
/// Version 3's page size, as the vendor documents it (and the most a
/// company may set).
pub(crate) const V3_PAGE_LIMIT: u32 = 40_000;
/// Records a leadsInfo answer holds before it is cut short (206).
pub(crate) const LEADS_INFO_LIMIT: u32 = 10_000;
/// Sub-accounts per company; generated leads are spread over them.
const MAX_SUB_ACCOUNTS: usize = 64;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EngineFixtures {
    #[serde(default)]
    /// A persistent vector: a merge copies it in constant time, whatever
    /// number of companies (tenants) it holds.
    pub(crate) companies: imbl::Vector<Arc<CompanyFixture>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct CompanyFixture {
    pub(crate) name: String,
    pub(crate) uuid: Uuid,
    /// Reads supply analytics (`Authorization: Bearer ...`).
    pub(crate) confidential_token: String,
    /// Records UI events.
    pub(crate) publishable_token: String,
    /// The company's tokens are test tokens: every lead it sees has `isTest: true`.
    #[serde(default)]
    pub(crate) is_test: bool,
    /// Mean generated leads per day; 0 turns generation off (scripted leads only).
    #[serde(default = "default_leads_per_day")]
    pub(crate) leads_per_day: f64,
    /// Relative weights of product types for generated leads (default: mostly loans).
    #[serde(default)]
    pub(crate) product_mix: BTreeMap<ProductType, f64>,
    /// Emit `eventData` objects (off by default: stock generated clients cannot
    /// read the spec's ambiguous `oneOf`).
    #[serde(default)]
    pub(crate) event_data: bool,
    /// Calls per window for this company's tokens (off when absent or null);
    /// the pixel is never limited.
    #[serde(default)]
    pub(crate) rate_limit: Option<RateLimitSpec>,
    #[serde(default)]
    pub(crate) leads: Vec<ScriptedLead>,
    /// Generated leads exist from this instant on; Supply Analytics v3
    /// starts a feed here when a call names no starting point.
    #[serde(default)]
    pub(crate) history_start: Option<Timestamp>,
    /// The company's integrations; one named after the company when absent.
    #[serde(default)]
    pub(crate) supply_sub_accounts: Vec<SubAccountFixture>,
    /// Records per version 3 page (default and most: 40,000).
    #[serde(default)]
    pub(crate) v3_page_limit: Option<u32>,
    /// Records a leadsInfo answer holds before it is cut short with 206.
    #[serde(default)]
    pub(crate) leads_info_limit: Option<u32>,
    /// What the offer carousel's configuration says, and how its partners
    /// behave (see [`CarouselFixture`]).
    #[serde(default)]
    pub(crate) carousel: Option<CarouselFixture>,
}

/// The offer carousel's side of a company or sub-account: its
/// configuration context, merged over leadsim's defaults, and scripts for
/// its Offer Searches' partners. A sub-account's entry is applied after its
/// company's (the context merged; lists replaced).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct CarouselFixture {
    /// Deep-merged over the generated `serializableContext` (objects merge
    /// member by member; anything else, `null` included, replaces).
    #[serde(default)]
    pub(crate) context: Option<serde_json::Map<String, serde_json::Value>>,
    /// Partners (by `name` or `uuid`) that never answer an Offer Search.
    #[serde(default)]
    pub(crate) silent_partners: Option<Vec<String>>,
    /// Partners that answer only on the virtual clock, 15 to 90 s later.
    #[serde(default)]
    pub(crate) slow_partners: Option<Vec<String>>,
    /// Catalog product types for which nobody has offers.
    #[serde(default)]
    pub(crate) no_offers: Option<Vec<String>>,
}

impl CarouselFixture {
    fn validate(&self, file: &str, at: &str) -> Result<(), FixtureError> {
        let fail = |field: String, reason: String| Err(FixtureError::new(file, format!("{at}.{field}"), reason));
        for (field, names) in [("silentPartners", &self.silent_partners), ("slowPartners", &self.slow_partners)] {
            for (i, name) in names.iter().flatten().enumerate() {
                if super::marketplace::catalog::lender_named(name).is_none() {
                    let known: Vec<_> = super::marketplace::lenders::all().iter().map(|l| l.institution.name).collect();
                    return fail(format!("{field}[{i}]"), format!("'{name}' is not a partner; partners are {}", known.join(", ")));
                }
            }
        }
        for (i, slug) in self.no_offers.iter().flatten().enumerate() {
            if super::marketplace::catalog::product(slug).is_none() {
                return fail(format!("noOffers[{i}]"), format!("'{slug}' is not a catalog product type"));
            }
        }
        if let Some(context) = &self.context
            && serde_json::to_string(context).map_or(0, |t| t.len()) > MAX_CONTEXT_BYTES
        {
            return fail("context".into(), format!("is over {MAX_CONTEXT_BYTES} bytes"));
        }
        Ok(())
    }
}

/// A carousel context is a page of settings, not a data store.
const MAX_CONTEXT_BYTES: usize = 64 << 10;

/// A supply sub-account (an integration). With its own confidential token,
/// that token sees only the sub-account's records.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct SubAccountFixture {
    pub(crate) uuid: Uuid,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) confidential_token: Option<String>,
    /// Relative weight of generated leads it receives (default 1).
    #[serde(default = "default_share")]
    pub(crate) share: f64,
    /// Its offer carousel, applied over the company's.
    #[serde(default)]
    pub(crate) carousel: Option<CarouselFixture>,
}

fn default_share() -> f64 {
    1.0
}

impl CompanyFixture {
    /// A company with the file's defaults and placeholder tokens.
    pub(crate) fn new(name: String, uuid: Uuid) -> Self {
        Self {
            name,
            uuid,
            confidential_token: String::new(),
            publishable_token: String::new(),
            is_test: false,
            leads_per_day: DEFAULT_LEADS_PER_DAY,
            product_mix: BTreeMap::new(),
            event_data: false,
            rate_limit: None,
            leads: Vec::new(),
            history_start: None,
            supply_sub_accounts: Vec::new(),
            v3_page_limit: None,
            leads_info_limit: None,
            carousel: None,
        }
    }
}

fn default_leads_per_day() -> f64 {
    DEFAULT_LEADS_PER_DAY
}

/// A lead written out in full; its `leadCreated` event is implied by `createdAt`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ScriptedLead {
    pub(crate) uuid: Uuid,
    pub(crate) created_at: Timestamp,
    pub(crate) product_type: ProductType,
    #[serde(default)]
    pub(crate) events: Vec<ScriptedEvent>,
    #[serde(default)]
    pub(crate) payouts: Vec<ScriptedPayout>,
    /// Tag key to values; each value becomes one client tag at `createdAt`.
    #[serde(default)]
    pub(crate) client_tags: BTreeMap<String, Vec<String>>,
    /// One of the company's sub-accounts (default: its first).
    #[serde(default)]
    pub(crate) supply_sub_account_uuid: Option<Uuid>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ScriptedEvent {
    pub(crate) event_type: EventType,
    pub(crate) event_created_at: Timestamp,
    #[serde(default)]
    pub(crate) financial_institution_uuid: Option<Uuid>,
    /// Defaults to the built-in lender's name for a known uuid.
    #[serde(default)]
    pub(crate) financial_institution_name: Option<String>,
    #[serde(default)]
    pub(crate) amount_in_cents: Option<i32>,
    #[serde(default)]
    pub(crate) reject_reason: Option<RejectReason>,
    /// When the event entered Engine's system (default: when it happened);
    /// later makes it a late arrival.
    #[serde(default)]
    pub(crate) pagination_timestamp: Option<Timestamp>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ScriptedPayout {
    /// Defaults to a uuid derived from the lead and the payout's position.
    #[serde(default)]
    pub(crate) uuid: Option<Uuid>,
    pub(crate) booked_at: Timestamp,
    pub(crate) payout_in_cents: f64,
    /// When set, a correction record with `deletedAt` appears in that hour's window.
    #[serde(default)]
    pub(crate) deleted_at: Option<Timestamp>,
    #[serde(default)]
    pub(crate) financial_institution_uuid: Option<Uuid>,
    #[serde(default)]
    pub(crate) financial_institution_name: Option<String>,
    /// When the booking entered Engine's system (default: `bookedAt`).
    #[serde(default)]
    pub(crate) pagination_timestamp: Option<Timestamp>,
}

impl EngineFixtures {
    /// Checks what serde cannot: uniqueness, ranges and time order.
    pub(crate) fn validate(&self, file: &str) -> Result<(), FixtureError> {
        let mut tokens = HashSet::new();
        let mut companies = HashSet::new();
        let mut leads = HashSet::new();
        for (c, company) in self.companies.iter().enumerate() {
            let at = |field: &str| format!("companies[{c}].{field}");
            let fail = |field: &str, reason: String| Err(FixtureError::new(file, at(field), reason));
            if company.name.trim().is_empty() {
                return fail("name", "must not be empty".into());
            }
            if !companies.insert(company.uuid) {
                return fail("uuid", format!("company uuid {} is used twice", company.uuid));
            }
            for (field, token) in [
                ("confidentialToken", &company.confidential_token),
                ("publishableToken", &company.publishable_token),
            ] {
                if token.trim().is_empty() || token.contains(char::is_whitespace) {
                    return fail(field, "must be a non-empty token without spaces".into());
                }
                if !tokens.insert(token.as_str()) {
                    return fail(field, format!("token '{token}' is used twice"));
                }
            }
            for (s, sub) in company.supply_sub_accounts.iter().enumerate() {
                let field = |name: &str| format!("supplySubAccounts[{s}].{name}");
                if sub.name.trim().is_empty() {
                    return fail(&field("name"), "must not be empty".into());
                }
                if company.supply_sub_accounts[..s].iter().any(|o| o.uuid == sub.uuid) {
                    return fail(&field("uuid"), format!("sub-account uuid {} is used twice", sub.uuid));
                }
                if !sub.share.is_finite() || sub.share < 0.0 {
                    return fail(&field("share"), "must be a non-negative number".into());
                }
                if let Some(token) = &sub.confidential_token {
                    if token.trim().is_empty() || token.contains(char::is_whitespace) {
                        return fail(&field("confidentialToken"), "must be a non-empty token without spaces".into());
                    }
                    if !tokens.insert(token.as_str()) {
                        return fail(&field("confidentialToken"), format!("token '{token}' is used twice"));
                    }
                }
            }
            if company.supply_sub_accounts.len() > MAX_SUB_ACCOUNTS {
                return fail("supplySubAccounts", format!("at most {MAX_SUB_ACCOUNTS} sub-accounts"));
            }
            if !company.supply_sub_accounts.is_empty() && company.supply_sub_accounts.iter().all(|s| s.share == 0.0) {
                return fail("supplySubAccounts", "at least one share must be positive".into());
            }
            if company.v3_page_limit.is_some_and(|l| !(1..=V3_PAGE_LIMIT).contains(&l)) {
                return fail("v3PageLimit", format!("must be between 1 and {V3_PAGE_LIMIT}"));
            }
            if let Some(carousel) = &company.carousel {
                carousel.validate(file, &at("carousel"))?;
            }
            for (s, sub) in company.supply_sub_accounts.iter().enumerate() {
                if let Some(carousel) = &sub.carousel {
                    carousel.validate(file, &at(&format!("supplySubAccounts[{s}].carousel")))?;
                }
            }
            if company.leads_info_limit.is_some_and(|l| l == 0) {
                return fail("leadsInfoLimit", "must be at least 1".into());
            }
            if let Some(limit) = company.rate_limit {
                limit.validate(file, &at("rateLimit"))?;
            }
            if !(0.0..=MAX_LEADS_PER_DAY).contains(&company.leads_per_day) {
                return fail(
                    "leadsPerDay",
                    format!("must be between 0 and {MAX_LEADS_PER_DAY}"),
                );
            }
            for (product, weight) in &company.product_mix {
                if !weight.is_finite() || *weight < 0.0 {
                    return fail(
                        &format!("productMix.{}", product_name(*product)),
                        "weight must be a non-negative number".into(),
                    );
                }
            }
            if !company.product_mix.is_empty() && company.product_mix.values().all(|w| *w == 0.0) {
                return fail("productMix", "at least one weight must be positive".into());
            }
            for (l, lead) in company.leads.iter().enumerate() {
                if !leads.insert(lead.uuid) {
                    return fail(
                        &format!("leads[{l}].uuid"),
                        format!("lead uuid {} is used twice", lead.uuid),
                    );
                }
                lead.validate(file, &at(&format!("leads[{l}]")))?;
                if let Some(sub) = lead.supply_sub_account_uuid
                    && !company.supply_sub_accounts.iter().any(|s| s.uuid == sub)
                {
                    return fail(
                        &format!("leads[{l}].supplySubAccountUuid"),
                        format!("{sub} is not one of the company's supplySubAccounts"),
                    );
                }
            }
        }
        Ok(())
    }
}

impl ScriptedLead {
    fn validate(&self, file: &str, at: &str) -> Result<(), FixtureError> {
        let fail =
            |field: String, reason: String| Err(FixtureError::new(file, format!("{at}.{field}"), reason));
        let mut seen = HashSet::new();
        for (e, event) in self.events.iter().enumerate() {
            // The vendor's event id hashes lead, type and time: they must be unique.
            if !seen.insert((event.event_type, event.event_created_at)) {
                return fail(
                    format!("events[{e}].eventCreatedAt"),
                    "another event of this type has the same time".into(),
                );
            }
            if event.event_type == EventType::LeadCreated {
                return fail(
                    format!("events[{e}].eventType"),
                    "leadCreated is implied by the lead's createdAt".into(),
                );
            }
            if event.event_created_at < self.created_at {
                return fail(
                    format!("events[{e}].eventCreatedAt"),
                    "must not be before the lead's createdAt".into(),
                );
            }
            if event.event_type.involves_institution() {
                match event.financial_institution_uuid {
                    None => {
                        return fail(
                            format!("events[{e}].financialInstitutionUuid"),
                            format!("required for {} events", event.event_type.as_str()),
                        );
                    }
                    Some(fi)
                        if event.financial_institution_name.is_none()
                            && institutions::by_uuid(fi).is_none() =>
                    {
                        return fail(
                            format!("events[{e}].financialInstitutionName"),
                            format!("required: {fi} is not one of the built-in lenders"),
                        );
                    }
                    Some(_) => {}
                }
            }
            if event.pagination_timestamp.is_some_and(|p| p < event.event_created_at) {
                return fail(
                    format!("events[{e}].paginationTimestamp"),
                    "must not be before eventCreatedAt (a record enters Engine after it happens)".into(),
                );
            }
            if event.amount_in_cents.is_some_and(|a| a < 0) {
                return fail(
                    format!("events[{e}].amountInCents"),
                    "must not be negative".into(),
                );
            }
        }
        for (p, payout) in self.payouts.iter().enumerate() {
            if payout.booked_at < self.created_at {
                return fail(
                    format!("payouts[{p}].bookedAt"),
                    "must not be before the lead's createdAt".into(),
                );
            }
            if !payout.payout_in_cents.is_finite() {
                return fail(format!("payouts[{p}].payoutInCents"), "must be a number".into());
            }
            if payout.pagination_timestamp.is_some_and(|p| p < payout.booked_at) {
                return fail(
                    format!("payouts[{p}].paginationTimestamp"),
                    "must not be before bookedAt".into(),
                );
            }
            if payout.deleted_at.is_some_and(|d| d <= payout.pagination_timestamp.unwrap_or(payout.booked_at)) {
                return fail(format!("payouts[{p}].deletedAt"), "must be after bookedAt".into());
            }
        }
        for (key, values) in &self.client_tags {
            if key.trim().is_empty() {
                return fail("clientTags".into(), "tag keys must not be empty".into());
            }
            if values.is_empty() {
                return fail(format!("clientTags.{key}"), "give at least one value".into());
            }
        }
        Ok(())
    }
}

fn product_name(product: ProductType) -> String {
    serde_json::to_value(product)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
