//! Tenants: one per credential set of a family (an Engine company, a
//! Finicity partner, a LeadSquared account, a Data Analytics customer id).
//! `POST /__admin/tenants` makes a fresh one, so parallel CI jobs sharing one
//! leadsim never see each other's data; it is a fixture merge underneath,
//! with the same validation, and goes away on reset like any merge.
//!
//! Each family builds its own entries ([`FamilyApi::stage_tenant`]); this
//! module checks requests, conflicts and the cap, and applies the merge.

use serde::Deserialize;
use serde_json::Value;

use crate::shared::admin::AdminError;
use crate::shared::family::Family;
use crate::shared::plugin::{FamilyApi, Tenant, TenantRequest};
use crate::shared::rate_limit::RateLimitSpec;
use crate::state::AppState;

/// `POST /__admin/tenants`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct NewTenant {
    pub(crate) family: String,
    #[serde(default)]
    pub(crate) name: Option<String>,
    /// The family's credentials, to choose them; generated when absent.
    #[serde(default)]
    pub(crate) credentials: Option<Value>,
    /// Absent: the family's default (LeadSquared 25 calls per 5 seconds,
    /// others none); `null`: no limit.
    #[serde(default, deserialize_with = "serde_with_null::deserialize")]
    pub(crate) rate_limit: Option<Option<RateLimitSpec>>,
}

/// Distinguishes an absent member (`None`) from `null` (`Some(None)`).
mod serde_with_null {
    use serde::{Deserialize, Deserializer};

    pub(crate) fn deserialize<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

/// Most tenants `POST /__admin/tenants` creates between resets: each is a
/// fixture merge, and the fixtures in force must stay a size every merge
/// can check.
pub const MAX_CREATED_TENANTS: u64 = 1000;

/// Creates a tenant: the family builds its fixture entry, which is merged.
pub(crate) fn create(state: &AppState, request: NewTenant) -> Result<Tenant, AdminError> {
    let api = state
        .families
        .vendor(&request.family)
        .and_then(|family| state.api(family))
        .ok_or_else(|| {
            AdminError::bad_request(format!(
                "family: '{}' is not one of {}",
                request.family,
                state.families.names(None)
            ))
        })?;
    let family = api.family();
    let credentials = check_credential_names(family, request.credentials.as_ref())?;
    let mut book = state.lock_book();
    check_credentials_free(api, credentials)?;
    if book.tenants_created >= MAX_CREATED_TENANTS {
        return Err(AdminError::conflict(format!(
            "{MAX_CREATED_TENANTS} tenants were created since the last reset, the most leadsim keeps; \
             POST /__admin/reset to start again"
        )));
    }
    let number = book.tenants_created + 1;
    let name = request.name.unwrap_or_else(|| format!("Tenant {number}"));
    let tenant = TenantRequest::new(number, name, credentials, request.rate_limit, state.seed);
    let (id, staged) = api.stage_tenant(tenant)?;
    // A tenant is new by definition: an existing id would be replaced, not created.
    if api.tenant(&id).is_some() {
        return Err(AdminError::conflict(format!(
            "a {} tenant '{id}' already exists; choose other credentials",
            family.as_str()
        )));
    }
    staged.commit();
    book.tenants_created = number;
    book.merges += 1;
    drop(book);
    api.tenant(&id)
        .ok_or_else(|| AdminError::not_found(format!("tenant '{id}' vanished (a reset ran meanwhile)")))
}

/// Changes one tenant's rate limit (`null`: none).
pub(crate) fn set_rate_limit(
    state: &AppState,
    api: &dyn FamilyApi,
    id: &str,
    limit: Option<RateLimitSpec>,
) -> Result<Tenant, AdminError> {
    let missing = || AdminError::not_found(format!("No {} tenant '{id}'", api.family().as_str()));
    let mut book = state.lock_book();
    api.stage_rate_limit(id, limit).ok_or_else(missing)?.commit();
    book.merges += 1;
    drop(book);
    api.tenant(id).ok_or_else(missing)
}

/// Every tenant, family by family: fixture ones first, in fixture order,
/// then runtime ones.
pub(crate) fn list(state: &AppState) -> Vec<Tenant> {
    state.apis().flat_map(|api| api.tenants()).collect()
}

/// A credential chosen for a new tenant that another tenant already has is
/// a conflict (409), whichever credential it is.
fn check_credentials_free(
    api: &dyn FamilyApi,
    credentials: Option<&serde_json::Map<String, Value>>,
) -> Result<(), AdminError> {
    let Some(credentials) = credentials else {
        return Ok(());
    };
    let family = api.family();
    for name in unique_credentials(family) {
        if let Some(Value::String(value)) = credentials.get(*name)
            && api.credential_taken(name, value)
        {
            return Err(AdminError::conflict(format!(
                "credentials.{name}: another {} tenant already uses this value; choose another",
                family.as_str()
            )));
        }
    }
    Ok(())
}

fn unique_credentials(family: Family) -> &'static [&'static str] {
    family
        .spec()
        .plugin
        .as_ref()
        .map_or(&[], |p| p.unique_credentials)
}

/// Refuses credential names the family does not have (a typo would
/// otherwise silently generate the credential instead).
fn check_credential_names(
    family: Family,
    credentials: Option<&Value>,
) -> Result<Option<&serde_json::Map<String, Value>>, AdminError> {
    let allowed = family
        .spec()
        .plugin
        .as_ref()
        .map_or(&[][..], |p| p.tenant_credentials);
    let Some(credentials) = credentials else {
        return Ok(None);
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
        None => Ok(Some(object)),
    }
}
