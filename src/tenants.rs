//! Tenants: one per credential set of a family (an Engine company, a
//! Finicity partner, a LeadSquared account, a Data Analytics customer id).
//! `POST /__admin/tenants` makes a fresh one, so parallel CI jobs sharing one
//! leadsim never see each other's data; it is a fixture merge underneath,
//! with the same validation, and goes away on reset like any merge.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use rand::RngExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::apis::data_analytics::fixtures::{CustomerFixture, DataAnalyticsFixtures};
use crate::apis::engine::fixtures::EngineFixtures;
use crate::apis::finicity::fixtures::FinicityFixtures;
use crate::apis::leadsquared::fixtures::{DEFAULT_RATE_LIMIT, LeadSquaredFixtures};
use crate::fixtures::Posted;
use crate::shared::admin::AdminError;
use crate::shared::family::Family;
use crate::shared::rate_limit::RateLimitSpec;
use crate::state::AppState;

/// `POST /__admin/tenants`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewTenant {
    pub family: String,
    #[serde(default)]
    pub name: Option<String>,
    /// The family's credentials, to choose them; generated when absent.
    #[serde(default)]
    pub credentials: Option<Value>,
    /// Absent: the family's default (LeadSquared 25 calls per 5 seconds,
    /// others none); `null`: no limit.
    #[serde(default, deserialize_with = "serde_with_null::deserialize")]
    pub rate_limit: Option<Option<RateLimitSpec>>,
}

/// Distinguishes an absent member (`None`) from `null` (`Some(None)`).
mod serde_with_null {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

/// A tenant as the admin API shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub family: Family,
    /// Company uuid, partner id, access key or customer id.
    pub id: String,
    pub name: String,
    /// What a client sends, and for Finicity the customer made for it.
    pub credentials: Value,
    pub rate_limit: Option<RateLimitSpec>,
    /// `fixtures` (loaded at start) or `runtime` (merged or created since).
    pub origin: &'static str,
}

/// Most tenants `POST /__admin/tenants` creates between resets: each is a
/// fixture merge that rebuilds its family's state, and the fixtures in
/// force must stay a size every merge can copy.
pub const MAX_CREATED_TENANTS: u64 = 1000;

/// Creates a tenant: builds the family's fixture entry and merges it.
pub fn create(state: &AppState, request: NewTenant) -> Result<Tenant, AdminError> {
    let family = Family::from_name(&request.family)
        .filter(|f| Family::VENDORS.contains(f))
        .ok_or_else(|| {
            AdminError::bad_request(format!(
                "family: '{}' is not one of engine, data_analytics, finicity, leadsquared",
                request.family
            ))
        })?;
    check_credential_names(family, request.credentials.as_ref())?;
    check_credentials_free(state, family, request.credentials.as_ref())?;
    let created = state.tenants_created.load(Ordering::Relaxed);
    if created >= MAX_CREATED_TENANTS {
        return Err(AdminError::conflict(format!(
            "{MAX_CREATED_TENANTS} tenants were created since the last reset, the most leadsim keeps; \
             POST /__admin/reset to start again"
        )));
    }
    let number = state.tenants_created.fetch_add(1, Ordering::Relaxed) + 1;
    let mut rng = state.seed.rng("tenants", number);
    let mut token = |prefix: &str, length: usize| {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let tail: String = (0..length)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        format!("{prefix}{tail}")
    };
    let given = |name: &str| -> Result<Option<String>, AdminError> {
        match request.credentials.as_ref().and_then(|c| c.get(name)) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(AdminError::bad_request(format!(
                "credentials.{name}: must be a string"
            ))),
        }
    };
    let name = request.name.clone().unwrap_or_else(|| format!("Tenant {number}"));
    let limit = |default: Option<RateLimitSpec>| match request.rate_limit {
        None => json!(default),
        Some(limit) => json!(limit),
    };
    let document = match family {
        Family::Engine => {
            let uuid = state.seed.uuid("tenants.company", number);
            json!({"engine": {"companies": [{
                "name": name,
                "uuid": uuid,
                "confidentialToken": given("confidentialToken")?.unwrap_or_else(|| token("conf_", 32)),
                "publishableToken": given("publishableToken")?.unwrap_or_else(|| token("pub_", 32)),
                "rateLimit": limit(None),
            }]}})
        }
        Family::Finicity => {
            let partner_id = given("partnerId")?.unwrap_or_else(|| token("tenant-", 12));
            // A business customer with two accounts, ready for reports;
            // ids far from the fixtures' and from testing customers'.
            let customer = 1_009_000_000 + number;
            let account = 5_090_000_000 + 2 * number;
            json!({"finicity": {
                "partners": [{
                    "partnerId": partner_id,
                    "partnerSecret": given("partnerSecret")?.unwrap_or_else(|| token("", 20)),
                    "appKey": given("appKey")?.unwrap_or_else(|| token("", 32)),
                    "name": name,
                    "rateLimit": limit(None),
                }],
                "customers": [{
                    "id": customer.to_string(),
                    "username": format!("tenant-{number}-business"),
                    "partnerId": partner_id,
                    "type": "business",
                    "business": {"id": 9_000 + number, "name": name},
                    "accounts": [
                        {"id": account, "type": "checking", "name": "Business Checking", "institutionId": 101732, "profile": "steady"},
                        {"id": account + 1, "type": "savings", "name": "Business Savings", "institutionId": 101732, "profile": "growing"},
                    ],
                }],
            }})
        }
        Family::LeadSquared => json!({"leadsquared": {"accounts": [{
            "name": name,
            "accessKey": given("accessKey")?.unwrap_or_else(|| token("u$r", 32)),
            "secretKey": given("secretKey")?.unwrap_or_else(|| token("", 40)),
            "rateLimit": limit(Some(DEFAULT_RATE_LIMIT)),
        }]}}),
        _ => json!({"data_analytics": {"customers": [{
            "customerId": given("customerId")?.unwrap_or_else(|| token("tenant-", 12)),
            "rateLimit": limit(None),
        }]}}),
    };
    let id = tenant_id(family, &document);
    // A tenant is new by definition: an existing id would be replaced, not created.
    if get(state, family, &id).is_some() {
        return Err(AdminError::conflict(format!(
            "a {} tenant '{id}' already exists; choose other credentials",
            family.as_str()
        )));
    }
    merge(state, document)?;
    get(state, family, &id)
        .ok_or_else(|| AdminError::not_found(format!("tenant '{id}' vanished (a reset ran meanwhile)")))
}

/// Changes one tenant's rate limit (`null`: none).
pub fn set_rate_limit(
    state: &AppState,
    family: Family,
    id: &str,
    limit: Option<RateLimitSpec>,
) -> Result<Tenant, AdminError> {
    let fixtures = state.fixtures();
    let missing = || AdminError::not_found(format!("No {} tenant '{id}'", family.as_str()));
    let document = match family {
        Family::Engine => {
            let mut company = fixtures
                .engine
                .companies
                .iter()
                .find(|c| c.uuid.to_string() == id)
                .cloned()
                .ok_or_else(missing)?;
            company.rate_limit = limit;
            Posted {
                engine: Some(EngineFixtures {
                    companies: vec![company],
                }),
                ..Posted::default()
            }
        }
        Family::Finicity => {
            let mut partner = fixtures
                .finicity
                .partners
                .iter()
                .find(|p| p.partner_id == id)
                .cloned()
                .ok_or_else(missing)?;
            partner.rate_limit = limit;
            Posted {
                finicity: Some(FinicityFixtures {
                    partners: vec![partner],
                    customers: Vec::new(),
                }),
                ..Posted::default()
            }
        }
        Family::LeadSquared => {
            let mut account = fixtures
                .leadsquared
                .accounts
                .iter()
                .find(|a| a.access_key == id)
                .cloned()
                .ok_or_else(missing)?;
            account.rate_limit = limit;
            Posted {
                leadsquared: Some(LeadSquaredFixtures {
                    accounts: vec![account],
                }),
                ..Posted::default()
            }
        }
        // Any customer id is a Data Analytics tenant: a limit can be set on
        // one nobody declared.
        _ => Posted {
            data_analytics: Some(DataAnalyticsFixtures {
                customers: vec![CustomerFixture {
                    customer_id: id.to_owned(),
                    rate_limit: limit,
                }],
                ..Default::default()
            }),
            ..Posted::default()
        },
    };
    state
        .merge_fixtures(document)
        .map_err(|e| AdminError::bad_request(e.to_string()))?;
    get(state, family, id).ok_or_else(missing)
}

/// Every tenant: fixture ones first, in fixture order, then runtime ones.
pub fn list(state: &AppState) -> Vec<Tenant> {
    [
        Family::Engine,
        Family::Finicity,
        Family::LeadSquared,
        Family::DataAnalytics,
    ]
    .into_iter()
    .flat_map(|family| of_family(state, family))
    .collect()
}

/// One family's tenants, in fixture order.
fn of_family(state: &AppState, family: Family) -> Vec<Tenant> {
    let fixtures = state.fixtures();
    let loaded = &state.loaded;
    let origin = |known: bool| if known { "fixtures" } else { "runtime" };
    match family {
        Family::Engine => fixtures
            .engine
            .companies
            .iter()
            .map(|c| Tenant {
                family,
                id: c.uuid.to_string(),
                name: c.name.clone(),
                credentials: json!({
                    "confidentialToken": c.confidential_token,
                    "publishableToken": c.publishable_token,
                }),
                rate_limit: c.rate_limit,
                origin: origin(loaded.engine.companies.iter().any(|l| l.uuid == c.uuid)),
            })
            .collect(),
        Family::Finicity => {
            // A customer without a partner belongs to the first one. Grouped
            // once: a scan per partner made listing tenants quadratic.
            let first_partner = fixtures.finicity.partners.first().map(|p| p.partner_id.as_str());
            let mut customers_of: HashMap<&str, Vec<&str>> = HashMap::new();
            for c in &fixtures.finicity.customers {
                if let Some(owner) = c.partner_id.as_deref().or(first_partner) {
                    customers_of.entry(owner).or_default().push(c.id.as_str());
                }
            }
            fixtures
                .finicity
                .partners
                .iter()
                .map(|p| Tenant {
                    family,
                    id: p.partner_id.clone(),
                    name: p.name.clone(),
                    credentials: json!({
                        "partnerId": p.partner_id,
                        "partnerSecret": p.partner_secret,
                        "appKey": p.app_key,
                        "customerIds": customers_of.remove(p.partner_id.as_str()).unwrap_or_default(),
                    }),
                    rate_limit: p.rate_limit,
                    origin: origin(
                        loaded
                            .finicity
                            .partners
                            .iter()
                            .any(|l| l.partner_id == p.partner_id),
                    ),
                })
                .collect()
        }
        Family::LeadSquared => fixtures
            .leadsquared
            .accounts
            .iter()
            .map(|a| Tenant {
                family,
                id: a.access_key.clone(),
                name: a.name.clone(),
                credentials: json!({"accessKey": a.access_key, "secretKey": a.secret_key}),
                rate_limit: a.rate_limit,
                origin: origin(
                    loaded
                        .leadsquared
                        .accounts
                        .iter()
                        .any(|l| l.access_key == a.access_key),
                ),
            })
            .collect(),
        Family::DataAnalytics => fixtures
            .data_analytics
            .customers
            .iter()
            .map(|c| Tenant {
                family,
                id: c.customer_id.clone(),
                name: c.customer_id.clone(),
                credentials: json!({"customerId": c.customer_id}),
                rate_limit: c.rate_limit,
                origin: origin(
                    loaded
                        .data_analytics
                        .customers
                        .iter()
                        .any(|l| l.customer_id == c.customer_id),
                ),
            })
            .collect(),
        Family::Admin | Family::Unknown => Vec::new(),
    }
}

pub fn get(state: &AppState, family: Family, id: &str) -> Option<Tenant> {
    of_family(state, family).into_iter().find(|t| t.id == id)
}

fn merge(state: &AppState, document: Value) -> Result<(), AdminError> {
    let posted =
        Posted::parse(document.to_string().as_bytes()).map_err(|e| AdminError::bad_request(e.to_string()))?;
    state
        .merge_fixtures(posted)
        .map(|_| ())
        .map_err(|e| AdminError::bad_request(e.to_string()))
}

/// The id the tenant will be known by, read back from its fixture entry.
fn tenant_id(family: Family, document: &Value) -> String {
    let pointer = match family {
        Family::Engine => "/engine/companies/0/uuid",
        Family::Finicity => "/finicity/partners/0/partnerId",
        Family::LeadSquared => "/leadsquared/accounts/0/accessKey",
        _ => "/data_analytics/customers/0/customerId",
    };
    document
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The credentials no two tenants of a family may share (secrets may repeat;
/// what identifies a caller may not). Engine tokens are one namespace.
fn unique_credentials(family: Family) -> &'static [&'static str] {
    match family {
        Family::Engine => &["confidentialToken", "publishableToken"],
        Family::Finicity => &["partnerId", "appKey"],
        Family::LeadSquared => &["accessKey"],
        _ => &["customerId"],
    }
}

/// A credential chosen for a new tenant that another tenant already has is
/// a conflict (409), whichever credential it is.
fn check_credentials_free(
    state: &AppState,
    family: Family,
    credentials: Option<&Value>,
) -> Result<(), AdminError> {
    let Some(credentials) = credentials.and_then(Value::as_object) else {
        return Ok(());
    };
    let names = unique_credentials(family);
    let taken: Vec<String> = of_family(state, family)
        .into_iter()
        .flat_map(|t| {
            names
                .iter()
                .filter_map(|n| t.credentials.get(*n).and_then(Value::as_str).map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .collect();
    for name in names {
        if let Some(Value::String(value)) = credentials.get(*name)
            && taken.iter().any(|t| t == value)
        {
            return Err(AdminError::conflict(format!(
                "credentials.{name}: another {} tenant already uses this value; choose another",
                family.as_str()
            )));
        }
    }
    Ok(())
}

/// Refuses credential names the family does not have (a typo would
/// otherwise silently generate the credential instead).
fn check_credential_names(family: Family, credentials: Option<&Value>) -> Result<(), AdminError> {
    let allowed: &[&str] = match family {
        Family::Engine => &["confidentialToken", "publishableToken"],
        Family::Finicity => &["partnerId", "partnerSecret", "appKey"],
        Family::LeadSquared => &["accessKey", "secretKey"],
        _ => &["customerId"],
    };
    let Some(credentials) = credentials else {
        return Ok(());
    };
    let Some(object) = credentials.as_object() else {
        return Err(AdminError::bad_request("credentials: must be an object"));
    };
    match object.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(unknown) => Err(AdminError::bad_request(format!(
            "credentials.{unknown}: not a {} credential (use {})",
            family.as_str(),
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}
