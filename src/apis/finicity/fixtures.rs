//! `fixtures/finicity.json`: partners (credentials and app key), and
//! customers with their accounts and each account's balance profile.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Deserialize;

use super::balances::Profile;
use super::institutions;
use crate::shared::fixtures::FixtureError;
use crate::shared::rate_limit::RateLimitSpec;
use crate::shared::time::Timestamp;

pub(crate) const FILE: &str = "finicity.json";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FinicityFixtures {
    /// Entries are shared, so merges copy pointers and can tell an
    /// unchanged entry by pointer.
    #[serde(default)]
    pub(crate) partners: imbl::Vector<Arc<PartnerFixture>>,
    #[serde(default)]
    pub(crate) customers: imbl::Vector<Arc<CustomerFixture>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct PartnerFixture {
    pub(crate) partner_id: String,
    pub(crate) partner_secret: String,
    /// The `Finicity-App-Key` of the partner's app.
    pub(crate) app_key: String,
    /// Shown as `requesterName` in reports.
    pub(crate) name: String,
    /// Calls per window for this partner's app key (off when absent or null).
    #[serde(default)]
    pub(crate) rate_limit: Option<RateLimitSpec>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum CustomerKind {
    Personal,
    Business,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct CustomerFixture {
    /// Digits only: the API shows it as a string and as an int64.
    pub(crate) id: String,
    pub(crate) username: String,
    /// The owning partner; the first partner when omitted.
    #[serde(default)]
    pub(crate) partner_id: Option<String>,
    /// Only business customers may use Balance Analytics (others get 409).
    #[serde(rename = "type")]
    pub(crate) kind: CustomerKind,
    /// A testing customer (`"type": "testing"` on the wire) or an active one.
    #[serde(default)]
    pub(crate) testing: bool,
    #[serde(default)]
    pub(crate) first_name: Option<String>,
    #[serde(default)]
    pub(crate) last_name: Option<String>,
    #[serde(default)]
    pub(crate) created_date: Option<Timestamp>,
    #[serde(default)]
    pub(crate) business: Option<BusinessFixture>,
    #[serde(default)]
    pub(crate) address: Option<Address>,
    #[serde(default)]
    pub(crate) accounts: Vec<AccountFixture>,
    /// A security freeze: `/decisioning` generate calls get the vendor's 403.
    #[serde(default)]
    pub(crate) security_freeze: bool,
    /// How `/decisioning` reports on this customer end (default `success`).
    #[serde(default)]
    pub(crate) report_outcome: Option<ReportOutcome>,
    /// How long those reports stay `inProgress` on the virtual clock, in
    /// seconds (default: drawn from the seed, 20 to 90 per report).
    #[serde(default)]
    pub(crate) report_generation_seconds: Option<u32>,
}

/// How a `/decisioning` report ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum ReportOutcome {
    Success,
    Failure,
}

/// The longest generation time a fixture may script: a day.
pub(crate) const MAX_GENERATION_SECONDS: u32 = 86_400;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct BusinessFixture {
    pub(crate) id: i64,
    pub(crate) name: String,
}

/// A customer's address, as fixtures give it and reports show it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Address {
    pub(crate) street: String,
    pub(crate) city: String,
    pub(crate) state: String,
    pub(crate) zip: String,
}

impl Address {
    /// `123 Main St, Portland, OR 97205`, as `accountOwner.address`.
    pub(crate) fn one_line(&self) -> String {
        format!("{}, {}, {} {}", self.street, self.city, self.state, self.zip)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct AccountFixture {
    pub(crate) id: u64,
    /// `checking`, `savings`, `moneyMarket`, `creditCard`, ...
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) name: String,
    /// The full account number; derived from the id when omitted.
    #[serde(default)]
    pub(crate) number: Option<String>,
    /// One of the FinBank test institutions (default 101732, FinBank).
    #[serde(default = "default_institution")]
    pub(crate) institution_id: u64,
    #[serde(default = "default_profile")]
    pub(crate) profile: Profile,
    /// The balance level in dollars; drawn from the seed when omitted.
    #[serde(default)]
    pub(crate) average_balance: Option<f64>,
    /// The first day with data; reports before it are shortened. Default:
    /// two years of history before any report.
    #[serde(default)]
    pub(crate) opened_date: Option<NaiveDate>,
    #[serde(default = "default_status")]
    pub(crate) status: String,
    #[serde(default = "default_currency")]
    pub(crate) currency: String,
}

fn default_institution() -> u64 {
    institutions::FINBANK
}
fn default_profile() -> Profile {
    Profile::Steady
}
fn default_status() -> String {
    "active".to_owned()
}
fn default_currency() -> String {
    "USD".to_owned()
}

impl FinicityFixtures {
    /// Checks what serde cannot: unique, well-formed ids and usernames,
    /// known partners and institutions, and the vendor's length limits.
    pub(crate) fn validate(&self, file: &str) -> Result<(), FixtureError> {
        self.validate_with(file, |_| false, false)
    }

    /// [`FinicityFixtures::validate`], where customers may also belong to
    /// partners that exist elsewhere (the fixtures in force): `known` says
    /// which ids, `partners_elsewhere` whether there are any.
    pub(crate) fn validate_with(
        &self,
        file: &str,
        known: impl Fn(&str) -> bool,
        partners_elsewhere: bool,
    ) -> Result<(), FixtureError> {
        let error = |path: String, reason: &str| Err(FixtureError::new(file, path, reason));
        let mut partner_ids = HashSet::new();
        let mut app_keys = HashSet::new();
        for (p, partner) in self.partners.iter().enumerate() {
            if partner.partner_id.is_empty()
                || partner.partner_secret.is_empty()
                || partner.app_key.is_empty()
            {
                return error(
                    format!("partners[{p}]"),
                    "partnerId, partnerSecret and appKey must not be empty",
                );
            }
            if !partner_ids.insert(partner.partner_id.as_str()) {
                return error(format!("partners[{p}].partnerId"), "duplicate partnerId");
            }
            if !app_keys.insert(partner.app_key.as_str()) {
                return error(format!("partners[{p}].appKey"), "duplicate appKey");
            }
            if partner.name.len() > 255 {
                return error(format!("partners[{p}].name"), "at most 255 characters");
            }
            if let Some(limit) = partner.rate_limit {
                limit.validate(file, &format!("partners[{p}].rateLimit"))?;
            }
        }
        if !self.customers.is_empty() && self.partners.is_empty() && !partners_elsewhere {
            return error("customers".into(), "customers need at least one partner");
        }

        let mut customer_ids = HashSet::new();
        let mut usernames = HashSet::new();
        let mut account_ids = HashSet::new();
        for (c, customer) in self.customers.iter().enumerate() {
            let at = |field: &str| format!("customers[{c}].{field}");
            if customer.id.parse::<i64>().map_or(true, |id| id <= 0)
                || !customer.id.bytes().all(|b| b.is_ascii_digit())
            {
                return error(at("id"), "must be a positive int64 written as digits");
            }
            if !customer_ids.insert(customer.id.as_str()) {
                return error(at("id"), "duplicate customer id");
            }
            if !valid_username(&customer.username) {
                return error(at("username"), "6 to 255 characters");
            }
            if !usernames.insert(customer.username.as_str()) {
                return error(at("username"), "duplicate username");
            }
            if let Some(partner) = &customer.partner_id
                && !partner_ids.contains(partner.as_str())
                && !known(partner)
            {
                return error(at("partnerId"), "no partner with this partnerId");
            }
            if customer
                .report_generation_seconds
                .is_some_and(|s| s > MAX_GENERATION_SECONDS)
            {
                return error(
                    at("reportGenerationSeconds"),
                    &format!("at most {MAX_GENERATION_SECONDS} seconds"),
                );
            }
            if customer.business.is_some() && customer.kind == CustomerKind::Personal {
                return error(at("business"), "only business customers have a business");
            }
            for (a, account) in customer.accounts.iter().enumerate() {
                let at = |field: &str| format!("customers[{c}].accounts[{a}].{field}");
                if account.id == 0 || account.id > i64::MAX as u64 {
                    return error(at("id"), "must be a positive int64");
                }
                if !account_ids.insert(account.id) {
                    return error(at("id"), "duplicate account id");
                }
                if institutions::find(account.institution_id).is_none() {
                    return error(
                        at("institutionId"),
                        &format!(
                            "unknown institution; use a FinBank ({}) or an id GET /institution/v2/institutions lists",
                            institutions::ids()
                        ),
                    );
                }
                for (field, value, max) in [
                    ("type", &account.kind, 50),
                    ("name", &account.name, 50),
                    ("status", &account.status, 50),
                    ("currency", &account.currency, 5),
                ] {
                    if value.is_empty() || value.len() > max {
                        return error(at(field), &format!("1 to {max} characters"));
                    }
                }
                if account
                    .number
                    .as_ref()
                    .is_some_and(|n| !(4..=17).contains(&n.len()) || !n.bytes().all(|b| b.is_ascii_digit()))
                {
                    return error(at("number"), "4 to 17 digits");
                }
                if account
                    .average_balance
                    .is_some_and(|b| !b.is_finite() || b.abs() > 1e12)
                {
                    return error(at("averageBalance"), "a finite amount of dollars");
                }
            }
        }
        Ok(())
    }
}

/// The vendor's rule for usernames: 6 to 255 characters.
pub(crate) fn valid_username(username: &str) -> bool {
    (6..=255).contains(&username.chars().count())
}
