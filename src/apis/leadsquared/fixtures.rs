//! `fixtures/leadsquared.json`: accounts (one per access/secret key pair),
//! their rate limit, and users and leads that extend or replace the
//! generated ones.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use uuid::Uuid;

use super::model::{Field, Kind, Lead, User, Value, fields};
use crate::shared::fixtures::FixtureError;
use crate::shared::rate_limit::{Limit, RateLimitSpec};

pub(crate) const FILE: &str = "leadsquared.json";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LeadSquaredFixtures {
    #[serde(default)]
    /// Shared, so merges copy pointers rather than every account's leads.
    pub(crate) accounts: imbl::Vector<std::sync::Arc<AccountFixture>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct AccountFixture {
    pub(crate) name: String,
    pub(crate) access_key: String,
    pub(crate) secret_key: String,
    /// Calls per window; `null` turns the limit off. Default 25 per 5 seconds.
    #[serde(default = "default_rate_limit")]
    pub(crate) rate_limit: Option<RateLimitFixture>,
    /// The bulk calls' own limit (LeadSquared counts them apart); `null`
    /// turns it off. Default 5 per 5 seconds (the Pro plan's).
    #[serde(default = "default_bulk_rate_limit")]
    pub(crate) bulk_rate_limit: Option<RateLimitFixture>,
    /// Generated users besides the listed ones (default 25).
    #[serde(default = "default_users")]
    pub(crate) generated_users: usize,
    /// Generated leads over the two years before the virtual clock's day
    /// (default 20,000; 0 serves only the listed leads).
    #[serde(default = "default_leads")]
    pub(crate) generated_leads: usize,
    #[serde(default)]
    pub(crate) users: Vec<UserFixture>,
    /// Leads given field by field (schema names, as the API returns them).
    #[serde(default)]
    pub(crate) leads: Vec<BTreeMap<String, serde_json::Value>>,
    /// Custom lead fields (`mx_…`) v2 writes may set, beside the standard ones.
    #[serde(default)]
    pub(crate) custom_fields: Vec<super::v2::schema::CustomField>,
}

/// LeadSquared's limits are written like every family's.
pub(crate) type RateLimitFixture = RateLimitSpec;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub(crate) struct UserFixture {
    #[serde(rename = "ID")]
    pub(crate) id: Uuid,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) email_address: String,
    #[serde(default = "default_role")]
    pub(crate) role: String,
    #[serde(default)]
    pub(crate) status_code: u8,
    #[serde(default)]
    pub(crate) member_of_groups: Vec<String>,
}

/// The vendor's documented limit: 25 calls in 5 seconds per account.
pub(crate) const DEFAULT_RATE_LIMIT: RateLimitSpec = RateLimitSpec {
    calls: 25,
    seconds: 5,
};

fn default_rate_limit() -> Option<RateLimitFixture> {
    Some(DEFAULT_RATE_LIMIT)
}

/// The bulk calls' limit on the vendor's Pro plan: 5 calls in 5 seconds.
pub(crate) const DEFAULT_BULK_RATE_LIMIT: RateLimitSpec = RateLimitSpec { calls: 5, seconds: 5 };

fn default_bulk_rate_limit() -> Option<RateLimitFixture> {
    Some(DEFAULT_BULK_RATE_LIMIT)
}
fn default_users() -> usize {
    25
}
fn default_leads() -> usize {
    20_000
}
fn default_role() -> String {
    "Sales_User".to_owned()
}

/// Upper bounds that keep one account's data in memory comfortably.
pub(crate) const MAX_GENERATED_USERS: usize = 1_000;
pub(crate) const MAX_GENERATED_LEADS: usize = 200_000;

impl AccountFixture {
    pub(crate) fn limit(&self) -> Option<Limit> {
        self.rate_limit.map(RateLimitSpec::limit)
    }

    pub(crate) fn fixture_users(&self) -> Vec<User> {
        self.users
            .iter()
            .map(|u| User {
                id: u.id,
                first_name: u.first_name.clone(),
                last_name: u.last_name.clone(),
                email: u.email_address.clone(),
                role: u.role.clone(),
                status_code: u.status_code,
                groups: u.member_of_groups.clone(),
            })
            .collect()
    }
}

impl LeadSquaredFixtures {
    /// Checks what serde cannot: unique keys and ids, limits, and that each
    /// listed lead has known fields of the right kind and an owner.
    pub(crate) fn validate(&self, file: &str) -> Result<(), FixtureError> {
        let mut keys = HashSet::new();
        for (a, account) in self.accounts.iter().enumerate() {
            let at = |path: &str| format!("accounts[{a}].{path}");
            if account.access_key.is_empty() || account.secret_key.is_empty() {
                return Err(FixtureError::new(file, at("accessKey"), "keys must not be empty"));
            }
            if !keys.insert(account.access_key.clone()) {
                return Err(FixtureError::new(file, at("accessKey"), "duplicate access key"));
            }
            if let Some(limit) = account.rate_limit {
                limit.validate(file, &at("rateLimit"))?;
            }
            if let Some(limit) = account.bulk_rate_limit {
                limit.validate(file, &at("bulkRateLimit"))?;
            }
            if account.generated_users > MAX_GENERATED_USERS {
                return Err(FixtureError::new(
                    file,
                    at("generatedUsers"),
                    format!("at most {MAX_GENERATED_USERS}"),
                ));
            }
            if account.generated_leads > MAX_GENERATED_LEADS {
                return Err(FixtureError::new(
                    file,
                    at("generatedLeads"),
                    format!("at most {MAX_GENERATED_LEADS}"),
                ));
            }
            if account.generated_leads > 0 && account.generated_users == 0 && account.users.is_empty() {
                return Err(FixtureError::new(
                    file,
                    at("generatedLeads"),
                    "generated leads need at least one user to own them",
                ));
            }
            let mut ids = HashSet::new();
            for (u, user) in account.users.iter().enumerate() {
                if !ids.insert(user.id) {
                    return Err(FixtureError::new(
                        file,
                        at(&format!("users[{u}].ID")),
                        "duplicate user ID",
                    ));
                }
                if user.status_code > 1 {
                    return Err(FixtureError::new(
                        file,
                        at(&format!("users[{u}].StatusCode")),
                        "0 (active) or 1 (inactive)",
                    ));
                }
            }
            let standard = super::v2::schema::Schema::new(&[]);
            let mut names = HashSet::new();
            for (c, custom) in account.custom_fields.iter().enumerate() {
                let name = &custom.schema_name;
                let valid = name.len() > 3
                    && name.starts_with("mx_")
                    && name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
                let reason = if !valid {
                    Some("must be mx_ followed by letters, digits or underscores")
                } else if standard.get(name).is_some() || !names.insert(name.clone()) {
                    Some("names a field the account already has")
                } else if custom.data_type == super::v2::schema::DataType::Lookup {
                    Some("a custom field cannot be a Lookup")
                } else {
                    None
                };
                if let Some(reason) = reason {
                    return Err(FixtureError::new(file, at(&format!("customFields[{c}].schemaName")), reason));
                }
            }
            if account.custom_fields.len() > 500 {
                return Err(FixtureError::new(file, at("customFields"), "at most 500"));
            }
            let users = account.fixture_users();
            for (l, lead) in account.leads.iter().enumerate() {
                fixture_lead(lead, &users).map_err(|(field, reason)| {
                    FixtureError::new(file, at(&format!("leads[{l}].{field}")), reason)
                })?;
            }
        }
        Ok(())
    }
}

/// A listed lead as a [`Lead`]: owner fields filled from the owner, `ProspectID`
/// required, `CreatedOn` required, `ModifiedOn` defaulting to `CreatedOn`.
pub(crate) fn fixture_lead(
    given: &BTreeMap<String, serde_json::Value>,
    users: &[User],
) -> Result<Lead, (String, String)> {
    let mut lead = Lead::empty();
    for (name, raw) in given {
        let field = Field::named(name).ok_or_else(|| (name.clone(), "unknown lead field".to_owned()))?;
        if field == fields::LEAD_AGE
            || field == fields::OWNER_ID_NAME
            || field == fields::OWNER_ID_EMAIL_ADDRESS
        {
            return Err((name.clone(), "is computed; leave it out".to_owned()));
        }
        let value = match (field.kind(), raw) {
            (_, serde_json::Value::Null) => Value::Null,
            (Kind::Text, serde_json::Value::String(s)) => Value::text(s.as_str()),
            (Kind::Number, serde_json::Value::Number(n)) => Value::Number(
                n.as_i64()
                    .ok_or_else(|| (name.clone(), "must be a whole number".to_owned()))?,
            ),
            (Kind::Number, serde_json::Value::String(s)) => Value::Number(
                s.trim()
                    .parse()
                    .map_err(|_| (name.clone(), "must be a whole number".to_owned()))?,
            ),
            (Kind::DateTime, serde_json::Value::String(s)) => Value::DateTime(
                super::query::parse_lsq_date(s)
                    .ok_or_else(|| (name.clone(), "must be a date as yyyy-MM-dd HH:mm:ss".to_owned()))?,
            ),
            _ => return Err((name.clone(), format!("wrong type for a {:?} field", field.kind()))),
        };
        lead.set(field, value);
    }
    if !matches!(lead.stored(fields::PROSPECT_ID), Value::Text(_)) {
        return Err(("ProspectID".into(), "is required".into()));
    }
    let Value::DateTime(created) = lead.stored(fields::CREATED_ON).clone() else {
        return Err(("CreatedOn".into(), "is required".into()));
    };
    if matches!(lead.stored(fields::MODIFIED_ON), Value::Null) {
        lead.set(fields::MODIFIED_ON, Value::DateTime(created));
    }
    let owner_id = lead
        .owner()
        .ok_or_else(|| ("OwnerId".to_owned(), "is required".to_owned()))?;
    let (owner_index, owner) = users
        .iter()
        .enumerate()
        .find(|(_, u)| u.id.to_string().eq_ignore_ascii_case(owner_id))
        .ok_or_else(|| ("OwnerId".to_owned(), "is not a user of this account".to_owned()))?;
    lead.owner_index = owner_index;
    lead.set(fields::OWNER_ID, Value::text(owner.id.to_string()));
    lead.set(fields::OWNER_ID_NAME, Value::text(owner.full_name()));
    lead.set(fields::OWNER_ID_EMAIL_ADDRESS, Value::text(owner.email.as_str()));
    Ok(lead)
}
