//! LeadSquared Lead Distribution Analytics: a query engine over generated,
//! deterministic users and leads per account, JSON or CSV output, and the
//! per-account rate limit.

pub mod distribution;
pub mod error;
pub mod fixtures;
pub mod generator;
pub mod model;
pub mod query;

use std::collections::HashSet;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwap;
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use crate::config::Config;
use crate::shared::admin::AdminError;
use crate::shared::cache::BoundedCache;
use crate::shared::clock::Clock;
use crate::shared::family::{CredentialNames, Family, FamilySpec};
use crate::shared::fixtures::{
    Commit, FixtureError, FixtureSet, Source, parse, parse_posted, posted_file, upsert,
};
use crate::shared::plugin::{
    FamilyApi, FamilyContext, LoadedFixtures, MergeCount, Plugin, Settings, StagedMerge, Tenant,
    TenantRequest,
};
use crate::shared::rate_limit::{Limit, RateLimitSpec, RateLimiter};
use crate::shared::routes::Routes;
use crate::shared::seed::Seed;
use fixtures::{AccountFixture, DEFAULT_RATE_LIMIT, LeadSquaredFixtures, fixture_lead};
use model::{Dataset, Lead, User};
use query::Table;

/// LeadSquared's facts, for the shared mechanisms. Its keys travel in the
/// query or in `x-LSQ-*` headers, matched without regard to case.
pub static SPEC: FamilySpec = FamilySpec {
    name: "leadsquared",
    prefixes: &["/Leads/"],
    credentials: CredentialNames {
        identity_headers: &["x-lsq-accesskey"],
        identity_query: &["accessKey"],
        secret_headers: &["x-lsq-secretkey"],
        secret_query: &["secretKey"],
        secret_members: &["secretKey", "accessKey"],
    },
    framework_error: error::framework_error,
    openapi: &[("leadsquared", include_str!("../../../openapi/leadsquared.yaml"))],
    plugin: Some(Plugin {
        fixtures_file: fixtures::FILE,
        embedded_fixtures: include_str!("../../../fixtures/leadsquared.json"),
        load: load_fixtures,
        start,
        tenant_credentials: &["accessKey", "secretKey"],
        unique_credentials: &["accessKey"],
    }),
};

pub const FAMILY: Family = Family::of(&SPEC);

fn load_fixtures(source: &Source) -> Result<LoadedFixtures, FixtureError> {
    let fixtures: LeadSquaredFixtures = parse(source)?;
    fixtures.validate(&source.name)?;
    Ok(LoadedFixtures::new(source.name.clone(), fixtures))
}

fn start(ctx: FamilyContext, _: &Config, loaded: &LoadedFixtures) -> Arc<dyn FamilyApi> {
    let fixtures = loaded.get::<LeadSquaredFixtures>().unwrap_or_default();
    Arc::new(LeadSquared::new(ctx, loaded.origin.clone(), fixtures))
}

/// LeadSquared's slice of the server, what its handlers hold.
#[derive(Debug, Clone)]
pub struct LeadSquared(Arc<LeadSquaredShared>);

#[derive(Debug)]
pub struct LeadSquaredShared {
    pub clock: Clock,
    pub seed: Seed,
    pub settings: Arc<Settings>,
    pub leadsquared: LeadSquaredState,
    fixtures: FixtureSet<LeadSquaredFixtures>,
}

impl Deref for LeadSquared {
    type Target = LeadSquaredShared;

    fn deref(&self) -> &LeadSquaredShared {
        &self.0
    }
}

impl LeadSquared {
    pub fn new(ctx: FamilyContext, origin: String, fixtures: Arc<LeadSquaredFixtures>) -> Self {
        Self(Arc::new(LeadSquaredShared {
            leadsquared: LeadSquaredState::new(&fixtures, ctx.seed),
            clock: ctx.clock,
            seed: ctx.seed,
            settings: ctx.settings,
            fixtures: FixtureSet::new(origin, fixtures),
        }))
    }

    fn stage_fixtures(&self, posted: LeadSquaredFixtures) -> Result<Box<dyn StagedMerge + '_>, FixtureError> {
        posted.validate(&posted_file(fixtures::FILE))?;
        let mut merged = (*self.fixtures.current()).clone();
        let mut count = MergeCount::default();
        for account in posted.accounts {
            count.count(upsert(&mut merged.accounts, account, |a, b| {
                a.access_key == b.access_key
            }));
        }
        merged.validate("(posted, merged with the current fixtures)")?;
        Ok(Box::new(Commit::new(count, move || {
            let merged = Arc::new(merged);
            self.leadsquared.install(&merged);
            self.fixtures.replace(merged);
        })))
    }

    fn tenant_of(&self, account: &AccountFixture, loaded: bool) -> Tenant {
        Tenant {
            family: FAMILY,
            id: account.access_key.clone(),
            name: account.name.clone(),
            credentials: json!({"accessKey": account.access_key, "secretKey": account.secret_key}),
            rate_limit: account.rate_limit,
            origin: Tenant::origin(loaded),
        }
    }

    fn is_loaded(&self, access_key: &str) -> bool {
        self.fixtures
            .loaded()
            .accounts
            .iter()
            .any(|a| a.access_key == access_key)
    }

    fn account(&self, access_key: &str) -> Option<AccountFixture> {
        self.fixtures
            .current()
            .accounts
            .iter()
            .find(|a| a.access_key == access_key)
            .cloned()
    }
}

impl FamilyApi for LeadSquared {
    fn family(&self) -> Family {
        FAMILY
    }

    fn routes(&self) -> Routes {
        routes().with_state(self.clone())
    }

    fn summary(&self) -> String {
        format!(
            "{} accounts from {}",
            self.fixtures.current().accounts.len(),
            self.fixtures.origin
        )
    }

    fn stage(&self, posted: &str) -> Result<Box<dyn StagedMerge + '_>, FixtureError> {
        self.stage_fixtures(parse_posted(SPEC.name, posted)?)
    }

    fn reset(&self) {
        if let Some(loaded) = self.fixtures.restore() {
            self.leadsquared.install(&loaded);
        }
        self.leadsquared.reset();
    }

    fn tenants(&self) -> Vec<Tenant> {
        let loaded: HashSet<&str> = self
            .fixtures
            .loaded()
            .accounts
            .iter()
            .map(|a| a.access_key.as_str())
            .collect();
        self.fixtures
            .current()
            .accounts
            .iter()
            .map(|a| self.tenant_of(a, loaded.contains(a.access_key.as_str())))
            .collect()
    }

    fn tenant(&self, id: &str) -> Option<Tenant> {
        let account = self.account(id)?;
        Some(self.tenant_of(&account, self.is_loaded(id)))
    }

    fn credential_taken(&self, _name: &str, value: &str) -> bool {
        self.leadsquared.catalog().has_access_key(value)
    }

    fn stage_tenant(
        &self,
        mut request: TenantRequest<'_>,
    ) -> Result<(String, Box<dyn StagedMerge + '_>), AdminError> {
        let access_key = request.credential("accessKey", "u$r", 32)?;
        let account = json!({
            "name": request.name,
            "accessKey": access_key,
            "secretKey": request.credential("secretKey", "", 40)?,
            "rateLimit": request.rate_limit_or(Some(DEFAULT_RATE_LIMIT)),
        });
        let account = serde_json::from_value(account)
            .map_err(|e| AdminError::bad_request(format!("credentials: {e}")))?;
        let staged = self
            .stage_fixtures(LeadSquaredFixtures {
                accounts: vec![account],
            })
            .map_err(|e| AdminError::bad_request(e.to_string()))?;
        Ok((access_key, staged))
    }

    fn stage_rate_limit(&self, id: &str, limit: Option<RateLimitSpec>) -> Option<Box<dyn StagedMerge + '_>> {
        let mut account = self.account(id)?;
        account.rate_limit = limit;
        self.stage_fixtures(LeadSquaredFixtures {
            accounts: vec![account],
        })
        .ok()
    }
}

pub fn routes() -> Routes<LeadSquared> {
    Routes::new(FAMILY).post(
        "/Leads/LeadDistribution/FilterByLeadField",
        distribution::filter_by_lead_field,
    )
}

/// Query results kept for repeated identical queries.
const QUERY_RESULTS: usize = 64;

/// What the kept query results may weigh: a full lead list is a few MB.
pub const QUERY_RESULTS_MAX_BYTES: usize = 64 * 1024 * 1024;

/// Results of recent queries: a table is a pure function of the account's
/// leads (fixed per day), the query and the instant it ran at.
pub type QueryResults = BoundedCache<(usize, DateTime<Utc>, Bytes), Arc<QueryResult>>;

/// A query's table, and its JSON body once someone has asked for it: a
/// repeated poll then costs a lookup rather than a serialization.
#[derive(Debug)]
pub struct QueryResult {
    pub table: Table,
    json: OnceLock<Bytes>,
}

impl QueryResult {
    pub fn new(table: Table) -> Self {
        Self {
            table,
            json: OnceLock::new(),
        }
    }

    pub fn json(&self, render: impl FnOnce(&Table) -> Bytes) -> Bytes {
        self.json.get_or_init(|| render(&self.table)).clone()
    }

    /// The cache's weight of a result: the table, and twice it again for the
    /// JSON it may render later (JSON spells every column name per row).
    fn weigh(key: &(usize, DateTime<Utc>, Bytes), result: &Arc<Self>) -> usize {
        key.2.len() + 3 * result.table.heap_bytes()
    }
}

/// An account's leads for one day of the virtual clock.
type LeadsByDay = BoundedCache<(usize, NaiveDate), Arc<Dataset>>;

/// One account (tenant): its key pair, limit, users and listed leads.
#[derive(Debug)]
pub struct Account {
    pub name: String,
    pub access_key: String,
    secret_key: String,
    pub limit: Option<Limit>,
    pub users: Arc<Vec<User>>,
    listed_leads: Arc<Vec<Lead>>,
    generated_leads: usize,
    /// What `users` and `listed_leads` were made from.
    made_from: Arc<AccountSource>,
}

/// The fixture fields an account's users and listed leads are a function
/// of: when a merge leaves them as they were, the account's generated
/// users are reused instead of made again (generating them dominated the
/// cost of creating a tenant once hundreds existed).
#[derive(Debug)]
struct AccountSource {
    access_key: String,
    generated_users: usize,
    users: Vec<fixtures::UserFixture>,
    leads: Vec<std::collections::BTreeMap<String, serde_json::Value>>,
}

impl AccountSource {
    fn of(a: &AccountFixture) -> Self {
        Self {
            access_key: a.access_key.clone(),
            generated_users: a.generated_users,
            users: a.users.clone(),
            leads: a.leads.clone(),
        }
    }

    /// Whether `a` is what this was made from (compared in place: an
    /// unchanged account costs no copy).
    fn describes(&self, a: &AccountFixture) -> bool {
        self.access_key == a.access_key
            && self.generated_users == a.generated_users
            && self.users == a.users
            && self.leads == a.leads
    }
}

/// The family's share of the application state.
#[derive(Debug)]
pub struct LeadSquaredState {
    /// The accounts; replaced whole when fixtures are merged at run time.
    catalog: ArcSwap<Catalog>,
    /// Per access key; outlives catalog swaps.
    pub limiter: RateLimiter,
    seed: Seed,
}

/// Everything derived from the fixtures: accounts and the caches over them.
#[derive(Debug)]
pub struct Catalog {
    accounts: Vec<Account>,
    /// Leads per (account, day of the virtual clock); two entries cover a
    /// walk across midnight.
    leads: LeadsByDay,
    /// Recent query results by (account, virtual instant, request body).
    pub results: QueryResults,
    seed: Seed,
}

impl Catalog {
    /// The catalog for `fixtures`, reusing what `previous` derived for
    /// accounts whose users and leads did not change.
    fn new(fixtures: &LeadSquaredFixtures, seed: Seed, previous: Option<&Catalog>) -> Self {
        let reusable: std::collections::HashMap<&str, &Account> = previous
            .map(|p| p.accounts.iter().map(|a| (a.access_key.as_str(), a)).collect())
            .unwrap_or_default();
        let accounts = fixtures
            .accounts
            .iter()
            .map(|a| {
                let (users, listed_leads, made_from) = match reusable.get(a.access_key.as_str()) {
                    Some(old) if old.made_from.describes(a) => {
                        (old.users.clone(), old.listed_leads.clone(), old.made_from.clone())
                    }
                    _ => {
                        let users =
                            generator::users(seed, &a.access_key, a.generated_users, &a.fixture_users());
                        // Validated at load: every listed lead converts.
                        let listed_leads = a
                            .leads
                            .iter()
                            .filter_map(|l| fixture_lead(l, &users).ok())
                            .collect();
                        (
                            Arc::new(users),
                            Arc::new(listed_leads),
                            Arc::new(AccountSource::of(a)),
                        )
                    }
                };
                Account {
                    name: a.name.clone(),
                    access_key: a.access_key.clone(),
                    secret_key: a.secret_key.clone(),
                    limit: a.limit(),
                    users,
                    listed_leads,
                    generated_leads: a.generated_leads,
                    made_from,
                }
            })
            .collect();
        Self {
            accounts,
            leads: BoundedCache::new(4),
            results: BoundedCache::weighed(QUERY_RESULTS, QUERY_RESULTS_MAX_BYTES, QueryResult::weigh),
            seed,
        }
    }

    pub fn has_access_key(&self, access_key: &str) -> bool {
        self.accounts.iter().any(|a| a.access_key == access_key)
    }

    /// The account a key pair opens, if any.
    pub fn account(&self, access_key: &str, secret_key: &str) -> Option<(usize, &Account)> {
        self.accounts
            .iter()
            .enumerate()
            .find(|(_, a)| a.access_key == access_key && a.secret_key == secret_key)
    }

    /// The account's leads as of `today`: generated over the two years
    /// before it, plus the listed ones.
    pub fn leads(&self, index: usize, today: NaiveDate) -> Arc<Dataset> {
        self.leads.get_or_insert_with((index, today), || {
            let Some(account) = self.accounts.get(index) else {
                return Arc::new(Dataset::default());
            };
            let mut leads = generator::leads(
                self.seed,
                &account.access_key,
                account.generated_leads,
                &account.users,
                today,
            );
            leads.extend(account.listed_leads.iter().cloned());
            Arc::new(Dataset::from_leads(leads))
        })
    }
}

impl LeadSquaredState {
    pub fn new(fixtures: &LeadSquaredFixtures, seed: Seed) -> Self {
        Self {
            catalog: ArcSwap::from_pointee(Catalog::new(fixtures, seed, None)),
            limiter: RateLimiter::default(),
            seed,
        }
    }

    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.load_full()
    }

    /// Replaces the accounts (fixtures merged at run time, or a reset).
    pub fn install(&self, fixtures: &LeadSquaredFixtures) {
        let previous = self.catalog.load();
        self.catalog
            .store(Arc::new(Catalog::new(fixtures, self.seed, Some(&previous))));
    }

    /// Forgets rate-limit history.
    pub fn reset(&self) {
        self.limiter.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::Fixtures;

    #[test]
    fn a_merge_reuses_the_users_of_unchanged_accounts_and_remakes_changed_ones() {
        let Ok(fixtures) = Fixtures::embedded() else {
            panic!("embedded fixtures load");
        };
        let Some(lsq) = fixtures.of::<LeadSquaredFixtures>(&SPEC) else {
            panic!("LeadSquared's fixtures");
        };
        let mut lsq = (*lsq).clone();
        let mut other = lsq.accounts[0].clone();
        other.access_key = "other-access-key".into();
        lsq.accounts.push(other);
        let seed = Seed::new(42);
        let first = Catalog::new(&lsq, seed, None);
        let mut changed = lsq.accounts[0].clone();
        changed.generated_users += 1;
        lsq.accounts[0] = changed;
        let second = Catalog::new(&lsq, seed, Some(&first));
        assert!(!Arc::ptr_eq(&first.accounts[0].users, &second.accounts[0].users));
        assert_eq!(second.accounts[0].users.len(), first.accounts[0].users.len() + 1);
        assert!(
            Arc::ptr_eq(&first.accounts[1].users, &second.accounts[1].users),
            "the unchanged account's users were made again"
        );
        let fresh = Catalog::new(&lsq, seed, None);
        for (reused, made) in second.accounts.iter().zip(&fresh.accounts) {
            assert_eq!(
                format!("{:?}", reused.users),
                format!("{:?}", made.users),
                "same users either way"
            );
        }
    }
}
