//! How a family plugs into the server: it parses its fixtures file, starts
//! its state over them, serves its routes with that state, and offers the
//! control plane its fixture merges and tenant operations. The server
//! (`state`, `admin`, `tenants`) drives every family through
//! [`FamilyApi`] and never names one.

use std::any::Any;
use std::fmt::Debug;
use std::sync::Arc;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::Config;
use crate::shared::admin::AdminError;
use crate::shared::clock::Clock;
use crate::shared::family::Family;
use crate::shared::fixtures::{FixtureError, Source};
use crate::shared::rate_limit::RateLimitSpec;
use crate::shared::routes::Routes;
use crate::shared::seed::Seed;

/// A family's entry points, in its spec.
pub(crate) struct Plugin {
    /// Its fixtures file (`engine.json`) and the copy compiled into the binary.
    pub(crate) fixtures_file: &'static str,
    pub(crate) embedded_fixtures: &'static str,
    /// Parses and validates the file: errors name the file, JSON path and reason.
    pub(crate) load: fn(&Source) -> Result<LoadedFixtures, FixtureError>,
    /// The family's running state over loaded fixtures.
    pub(crate) start: fn(FamilyContext, &Config, &LoadedFixtures) -> Arc<dyn FamilyApi>,
    /// The credentials a tenant of the family has, and those no two tenants
    /// may share (what identifies a caller; secrets may repeat).
    pub(crate) tenant_credentials: &'static [&'static str],
    pub(crate) unique_credentials: &'static [&'static str],
}

/// A family's fixtures, parsed and validated; only the family reads inside.
#[derive(Clone)]
pub(crate) struct LoadedFixtures {
    /// Where they came from (a path, or the embedded copy).
    pub(crate) origin: String,
    pub(crate) fixtures: Arc<dyn Any + Send + Sync>,
}

impl Debug for LoadedFixtures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedFixtures")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl LoadedFixtures {
    pub(crate) fn new<F: Any + Send + Sync>(origin: String, fixtures: F) -> Self {
        Self {
            origin,
            fixtures: Arc::new(fixtures),
        }
    }

    /// The fixtures as the family's own type.
    pub(crate) fn get<F: Any + Send + Sync>(&self) -> Option<Arc<F>> {
        self.fixtures.clone().downcast::<F>().ok()
    }
}

/// What every family's handlers share with the server: its clock, seed and
/// settings. Each family holds its own copy beside its own state.
#[derive(Debug, Clone)]
pub(crate) struct FamilyContext {
    pub(crate) clock: Clock,
    pub(crate) seed: Seed,
    pub(crate) settings: Arc<Settings>,
    /// Requests leadsim sends (callbacks, webhooks), bounded for all families.
    pub(crate) outbound: crate::shared::outbound::Outbound,
}

/// Process settings handlers may need.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Base for absolute links (`--public-url`); `None`: from request headers.
    pub(crate) public_url: Option<String>,
}

/// A family running in the server.
pub(crate) trait FamilyApi: Send + Sync + Debug + Any {
    fn family(&self) -> Family;

    /// Its vendor routes, over its own state.
    fn routes(&self) -> Routes<()>;

    /// Its control-plane routes, served under `/__admin/<family>`.
    fn admin_routes(&self) -> Routes<()> {
        Routes::new(Family::ADMIN)
    }

    /// What its fixtures in force hold and where they came from
    /// (`2 companies from fixtures/engine.json`).
    fn summary(&self) -> String;

    /// Checks the family's member of a posted fixtures document (its JSON
    /// text) against the fixtures in force. Nothing changes until the
    /// returned merge is committed, which happens only once every family's
    /// part of the document passed; the server serializes merges.
    fn stage(&self, posted: &str) -> Result<Box<dyn StagedMerge + '_>, FixtureError>;

    /// Back to the loaded fixtures, forgetting everything clients posted.
    fn reset(&self);

    /// Its tenants: fixture ones first, in fixture order, then runtime ones.
    fn tenants(&self) -> Vec<Tenant>;

    fn tenant(&self, id: &str) -> Option<Tenant> {
        self.tenants().into_iter().find(|t| t.id == id)
    }

    /// Whether another tenant already holds `value` as credential `name`.
    fn credential_taken(&self, name: &str, value: &str) -> bool;

    /// A new tenant's fixture entry, staged like a posted merge; the id it
    /// will be known by comes with it.
    fn stage_tenant(
        &self,
        request: TenantRequest<'_>,
    ) -> Result<(String, Box<dyn StagedMerge + '_>), AdminError>;

    /// A tenant's rate limit changed, staged; `None` when there is no such tenant.
    fn stage_rate_limit(&self, id: &str, limit: Option<RateLimitSpec>) -> Option<Box<dyn StagedMerge + '_>>;
}

/// A checked fixture change, waiting for the rest of its document.
pub(crate) trait StagedMerge {
    fn commit(self: Box<Self>) -> MergeCount;
}

/// What a merge did to one family's fixtures.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MergeCount {
    /// Entries appended (events included).
    pub(crate) added: usize,
    /// Entries that replaced one with the same identity.
    pub(crate) replaced: usize,
}

/// A tenant as the admin API shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Tenant {
    pub(crate) family: Family,
    /// Company uuid, partner id, access key or customer id.
    pub(crate) id: String,
    pub(crate) name: String,
    /// What a client sends, and for Finicity the customer made for it.
    pub(crate) credentials: Value,
    pub(crate) rate_limit: Option<RateLimitSpec>,
    /// `fixtures` (loaded at start) or `runtime` (merged or created since).
    pub(crate) origin: &'static str,
}

impl Tenant {
    pub(crate) fn origin(loaded: bool) -> &'static str {
        if loaded { "fixtures" } else { "runtime" }
    }
}

/// What `POST /__admin/tenants` asked a family for, checked by the server:
/// credential names are the family's, given unique ones are free.
pub(crate) struct TenantRequest<'a> {
    /// Counts tenants created since start or reset, from 1.
    pub(crate) number: u64,
    pub(crate) name: String,
    given: Option<&'a Map<String, Value>>,
    /// Absent: the family's default; `null`: no limit.
    pub(crate) rate_limit: Option<Option<RateLimitSpec>>,
    rng: ChaCha8Rng,
}

impl<'a> TenantRequest<'a> {
    pub(crate) fn new(
        number: u64,
        name: String,
        given: Option<&'a Map<String, Value>>,
        rate_limit: Option<Option<RateLimitSpec>>,
        seed: Seed,
    ) -> Self {
        Self {
            number,
            name,
            given,
            rate_limit,
            rng: seed.rng("tenants", number),
        }
    }

    /// The credential the caller chose, or a fresh one: `prefix` and
    /// `length` random lower-case letters and digits, from the seed.
    pub(crate) fn credential(
        &mut self,
        name: &str,
        prefix: &str,
        length: usize,
    ) -> Result<String, AdminError> {
        match self.given.and_then(|given| given.get(name)) {
            Some(Value::String(chosen)) => Ok(chosen.clone()),
            Some(_) => Err(AdminError::bad_request(format!(
                "credentials.{name}: must be a string"
            ))),
            None => {
                const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
                let tail: String = (0..length)
                    .map(|_| char::from(ALPHABET[self.rng.random_range(0..ALPHABET.len())]))
                    .collect();
                Ok(format!("{prefix}{tail}"))
            }
        }
    }

    /// The limit to give the tenant, `default` when none was asked for.
    pub(crate) fn rate_limit_or(&self, default: Option<RateLimitSpec>) -> Option<RateLimitSpec> {
        self.rate_limit.unwrap_or(default)
    }
}
