//! LeadSquared Lead Distribution Analytics: a query engine over generated,
//! deterministic users and leads per account, JSON or CSV output, and the
//! per-account rate limit.

pub(crate) mod distribution;
pub(crate) mod error;
pub(crate) mod fixtures;
pub(crate) mod generator;
pub(crate) mod model;
pub mod query;
pub(crate) mod v2;

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
use crate::shared::fixtures::{Commit, FixtureError, FixtureSet, Source, parse, parse_posted, posted_file};
use crate::shared::persistent;
use crate::shared::plugin::{
    FamilyApi, FamilyContext, LoadedFixtures, MergeCount, Plugin, StagedMerge, Tenant, TenantRequest,
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
    prefixes: &["/Leads/", "/v2/"],
    credentials: CredentialNames {
        identity_headers: &["x-lsq-accesskey"],
        identity_query: &["accessKey"],
        secret_headers: &["x-lsq-secretkey"],
        secret_query: &["secretKey"],
        secret_members: &["secretKey", "accessKey"],
        // A lead's contact details, as v2 names them (names and emails are
        // every family's): in members, in attribute/value pairs
        // (`{"Attribute":"Mobile","Value":…}`) and in the lookups' queries.
        personal_members: &[
            "Mobile",
            "Phone",
            "EmailAddress",
            "FirstName",
            "LastName",
            "OwnerIdName",
            "OwnerIdEmailAddress",
            "CreatedByName",
            "PassPhrase",
        ],
        personal_query: &["emailaddress", "phone", "key"],
        // The keys' user's full name (`UserByAccessKey.Get`); elsewhere a
        // `name` is a lender's, an account's or a company's.
        own_personal_members: &["Name"],
    },
    framework_error: error::framework_error,
    openapi: &[
        ("leadsquared", include_str!("../../../openapi/leadsquared.yaml")),
        ("leadsquared-v2", include_str!("../../../openapi/leadsquared-v2.yaml")),
    ],
    plugin: Some(Plugin {
        fixtures_file: fixtures::FILE,
        embedded_fixtures: include_str!("../../../fixtures/leadsquared.json"),
        load: load_fixtures,
        start,
        tenant_credentials: &["accessKey", "secretKey"],
        unique_credentials: &["accessKey"],
    }),
};

pub(crate) const FAMILY: Family = Family::of(&SPEC);

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
pub(crate) struct LeadSquared(Arc<LeadSquaredShared>);

#[derive(Debug)]
pub(crate) struct LeadSquaredShared {
    pub(crate) clock: Clock,
    pub(crate) seed: Seed,
    pub(crate) settings: Arc<crate::shared::plugin::Settings>,
    pub(crate) leadsquared: LeadSquaredState,
    fixtures: FixtureSet<LeadSquaredFixtures>,
}

impl Deref for LeadSquared {
    type Target = LeadSquaredShared;

    fn deref(&self) -> &LeadSquaredShared {
        &self.0
    }
}

impl LeadSquared {
    pub(crate) fn new(ctx: FamilyContext, origin: String, fixtures: Arc<LeadSquaredFixtures>) -> Self {
        Self(Arc::new(LeadSquaredShared {
            leadsquared: LeadSquaredState::new(&fixtures, ctx.seed),
            clock: ctx.clock,
            seed: ctx.seed,
            settings: ctx.settings,
            fixtures: FixtureSet::new(origin, fixtures),
        }))
    }

    /// Checks `posted` and merges it on commit: accounts with a known
    /// access key replace that account in place, others are appended.
    /// Only access keys must be unique across accounts, and replacing by
    /// key keeps them so, so nothing is validated twice.
    fn stage_fixtures(&self, posted: LeadSquaredFixtures) -> Result<Box<dyn StagedMerge + '_>, FixtureError> {
        posted.validate(&posted_file(fixtures::FILE))?;
        let catalog = self.leadsquared.catalog();
        let mut merged = (*self.fixtures.current()).clone();
        let mut count = MergeCount::default();
        let mut changed = Vec::with_capacity(posted.accounts.len());
        for account in posted.accounts {
            let existing = catalog.index_of(&account.access_key);
            changed.push(persistent::place(&mut merged.accounts, existing, account, &mut count));
        }
        Ok(Box::new(Commit::new(count, move || {
            self.leadsquared.install_changes(&merged, &changed);
            self.fixtures.replace(Arc::new(merged));
        })))
    }

    /// Merges replace entries in place and append new ones, so the entries
    /// loaded at start are the first ones, wherever they were replaced.
    fn tenant_of(&self, position: usize, account: &AccountFixture) -> Tenant {
        Tenant {
            family: FAMILY,
            id: account.access_key.clone(),
            name: account.name.clone(),
            credentials: json!({"accessKey": account.access_key, "secretKey": account.secret_key}),
            rate_limit: account.rate_limit,
            origin: Tenant::origin(position < self.fixtures.loaded().accounts.len()),
        }
    }

    /// Every lead of account `index` at `at`: generated and listed ones
    /// with what v2 clients wrote laid over them. Without writes, the
    /// generated set itself; with them, merged once per version.
    pub(crate) fn dataset(&self, catalog: &Catalog, index: usize, at: DateTime<Utc>) -> Arc<Dataset> {
        let today = at.date_naive();
        let base = catalog.leads(index, today);
        let Some(account) = catalog.account_at(index) else {
            return base;
        };
        let session = self.leadsquared.writes.lock(&account.access_key);
        let version = session.writes().version;
        if version == 0 {
            return base;
        }
        catalog.merged.get_or_insert_with((account.serial, today, version), || {
            Arc::new(v2::store::merged(&base, session.writes()))
        })
    }

    /// The version of account `index`'s writes (0: none), which keys
    /// cached query results.
    pub(crate) fn writes_version(&self, catalog: &Catalog, index: usize) -> u64 {
        catalog
            .account_at(index)
            .map_or(0, |a| self.leadsquared.writes.version(&a.access_key))
    }

    /// The account with `access_key` and its position.
    fn account(&self, access_key: &str) -> Option<(usize, Arc<AccountFixture>)> {
        let index = self.leadsquared.catalog().index_of(access_key)?;
        Some((index, self.fixtures.current().accounts.get(index)?.clone()))
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
        let accounts = crate::shared::count(self.fixtures.current().accounts.len(), "account", "accounts");
        format!("{accounts} from {}", self.fixtures.origin)
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
        let current = self.fixtures.current();
        current
            .accounts
            .iter()
            .enumerate()
            .map(|(position, a)| self.tenant_of(position, a))
            .collect()
    }

    fn tenant(&self, id: &str) -> Option<Tenant> {
        let (position, account) = self.account(id)?;
        Some(self.tenant_of(position, &account))
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
                accounts: imbl::vector![Arc::new(account)],
            })
            .map_err(|e| AdminError::bad_request(e.to_string()))?;
        Ok((access_key, staged))
    }

    fn stage_rate_limit(&self, id: &str, limit: Option<RateLimitSpec>) -> Option<Box<dyn StagedMerge + '_>> {
        let mut account = self.account(id)?.1.as_ref().clone();
        account.rate_limit = limit;
        self.stage_fixtures(LeadSquaredFixtures {
            accounts: imbl::vector![Arc::new(account)],
        })
        .ok()
    }
}

pub(crate) fn routes() -> Routes<LeadSquared> {
    v2::routes(Routes::new(FAMILY).post(
        "/Leads/LeadDistribution/FilterByLeadField",
        distribution::filter_by_lead_field,
    ))
}

/// Query results kept for repeated identical queries.
const QUERY_RESULTS: usize = 64;

/// What the kept query results may weigh: a full lead list is a few MB.
pub(crate) const QUERY_RESULTS_MAX_BYTES: usize = 64 * 1024 * 1024;

/// Results of recent queries: a table is a pure function of the account's
/// leads (fixed per day), the query and the instant it ran at.
/// Keyed by (account serial, instant, version of its writes, body): a write
/// changes the version, so no result computed before it is served after.
pub(crate) type QueryResults = BoundedCache<(u64, DateTime<Utc>, u64, Bytes), Arc<QueryResult>>;

/// A query's table, and its JSON body once someone has asked for it: a
/// repeated poll then costs a lookup rather than a serialization.
#[derive(Debug)]
pub(crate) struct QueryResult {
    pub(crate) table: Table,
    json: OnceLock<Bytes>,
}

impl QueryResult {
    pub(crate) fn new(table: Table) -> Self {
        Self {
            table,
            json: OnceLock::new(),
        }
    }

    pub(crate) fn json(&self, render: impl FnOnce(&Table) -> Bytes) -> Bytes {
        self.json.get_or_init(|| render(&self.table)).clone()
    }

    /// The cache's weight of a result: the table, and twice it again for the
    /// JSON it may render later (JSON spells every column name per row).
    fn weigh(key: &(u64, DateTime<Utc>, u64, Bytes), result: &Arc<Self>) -> usize {
        key.3.len() + 3 * result.table.heap_bytes()
    }
}

/// An account's leads for one day of the virtual clock, by account serial.
type LeadsByDay = BoundedCache<(u64, NaiveDate), Arc<Dataset>>;

/// Leads with v2 writes laid over them, by (account serial, day, version).
type MergedByVersion = BoundedCache<(u64, NaiveDate, u64), Arc<Dataset>>;

/// Serials of accounts built from fixtures, never reused.
static ACCOUNT_SERIALS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// One account (tenant): its key pair, limit, users and listed leads.
#[derive(Debug)]
pub struct Account {
    /// Names this account as built: what the catalog's caches are keyed
    /// by, so they survive merges that leave the account as it was, and a
    /// replaced account (a new serial) is never served another's leads.
    pub(crate) serial: u64,
    pub(crate) name: String,
    pub(crate) access_key: String,
    secret_key: String,
    pub(crate) limit: Option<Limit>,
    /// The bulk calls' own limit.
    pub(crate) bulk_limit: Option<Limit>,
    pub users: Arc<Vec<User>>,
    listed_leads: Arc<Vec<Lead>>,
    generated_leads: usize,
    /// Its lead fields, standard and custom, as v2 reads and writes them.
    pub(crate) schema: Arc<v2::schema::Schema>,
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

impl Account {
    /// The account for fixture entry `a`, reusing the users and listed
    /// leads of `previous` when they were made from the same fixture fields.
    fn from_fixture(a: &AccountFixture, seed: Seed, previous: Option<&Account>) -> Self {
        let (users, listed_leads, made_from) = match previous {
            Some(old) if old.made_from.describes(a) => {
                (old.users.clone(), old.listed_leads.clone(), old.made_from.clone())
            }
            _ => {
                let users = generator::users(seed, &a.access_key, a.generated_users, &a.fixture_users());
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
            serial: ACCOUNT_SERIALS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            name: a.name.clone(),
            schema: Arc::new(v2::schema::Schema::new(&a.custom_fields)),
            access_key: a.access_key.clone(),
            secret_key: a.secret_key.clone(),
            limit: a.limit(),
            bulk_limit: a.bulk_rate_limit.map(RateLimitSpec::limit),
            users,
            listed_leads,
            generated_leads: a.generated_leads,
            made_from,
        }
    }
}

impl Account {
    /// The user the keys belong to (every v2 action runs as them): the
    /// first active administrator, else the first active user.
    pub(crate) fn key_user(&self) -> Option<(usize, &User)> {
        let active = || self.users.iter().enumerate().filter(|(_, u)| u.status_code == 0);
        active().find(|(_, u)| u.role == "Administrator").or_else(|| active().next())
    }
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
    pub(crate) limiter: RateLimiter,
    /// What v2 clients wrote, per access key; outlives catalog swaps.
    pub(crate) writes: v2::store::Writes,
    seed: Seed,
}

/// Everything derived from the fixtures: accounts and the caches over them.
#[derive(Debug)]
pub struct Catalog {
    /// Persistent, so a merge copies the accounts in constant time.
    accounts: persistent::Vector<Arc<Account>>,
    /// Account position by access key.
    by_key: persistent::Map<String, usize>,
    /// Leads per (account, day of the virtual clock); two entries cover a
    /// walk across midnight. The caches are keyed by account serial and
    /// shared by the catalogs a merge makes, so creating a tenant does not
    /// make every account generate its leads again.
    leads: Arc<LeadsByDay>,
    /// Recent query results by (account, virtual instant, writes, request body).
    pub(crate) results: Arc<QueryResults>,
    /// Leads with v2 writes laid over them, by (account, day, version).
    pub(crate) merged: Arc<MergedByVersion>,
    seed: Seed,
}

impl Catalog {
    /// The catalog for `fixtures`, reusing what `previous` derived for
    /// accounts whose users and leads did not change.
    fn new(fixtures: &LeadSquaredFixtures, seed: Seed, previous: Option<&Catalog>) -> Self {
        let accounts: persistent::Vector<Arc<Account>> = fixtures
            .accounts
            .iter()
            .map(|a| {
                let old = previous.and_then(|p| p.by_key(&a.access_key));
                Arc::new(Account::from_fixture(a, seed, old))
            })
            .collect();
        let by_key = accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (a.access_key.clone(), i))
            .collect();
        Self::with_accounts(accounts, by_key, seed)
    }

    /// This catalog after the accounts at `changed` were replaced in place
    /// or appended; the others are shared, not copied, and so are the
    /// caches (a replaced account has a new serial).
    fn with_changes(&self, fixtures: &LeadSquaredFixtures, changed: &[usize]) -> Self {
        let mut accounts = self.accounts.clone();
        let mut by_key = self.by_key.clone();
        for &i in changed {
            let Some(a) = fixtures.accounts.get(i) else {
                continue;
            };
            let account = Arc::new(Account::from_fixture(a, self.seed, accounts.get(i).map(|a| &**a)));
            persistent::put(&mut accounts, i, account);
            by_key.insert(a.access_key.clone(), i);
        }
        Self {
            accounts,
            by_key,
            leads: Arc::clone(&self.leads),
            merged: Arc::clone(&self.merged),
            results: Arc::clone(&self.results),
            seed: self.seed,
        }
    }

    fn with_accounts(
        accounts: persistent::Vector<Arc<Account>>,
        by_key: persistent::Map<String, usize>,
        seed: Seed,
    ) -> Self {
        Self {
            accounts,
            by_key,
            leads: Arc::new(BoundedCache::new(4)),
            merged: Arc::new(BoundedCache::new(4)),
            results: Arc::new(BoundedCache::weighed(QUERY_RESULTS, QUERY_RESULTS_MAX_BYTES, QueryResult::weigh)),
            seed,
        }
    }

    fn by_key(&self, access_key: &str) -> Option<&Account> {
        let index = *self.by_key.get(access_key)?;
        self.accounts.get(index).map(|a| &**a)
    }

    /// The position of the account with `access_key`.
    pub(crate) fn index_of(&self, access_key: &str) -> Option<usize> {
        self.by_key.get(access_key).copied()
    }

    pub(crate) fn has_access_key(&self, access_key: &str) -> bool {
        self.by_key.contains_key(access_key)
    }

    pub(crate) fn account_at(&self, index: usize) -> Option<&Account> {
        self.accounts.get(index).map(|a| &**a)
    }

    pub(crate) fn shared_account(&self, index: usize) -> Option<Arc<Account>> {
        self.accounts.get(index).cloned()
    }

    /// The account a key pair opens, if any.
    pub fn account(&self, access_key: &str, secret_key: &str) -> Option<(usize, &Account)> {
        let index = self.index_of(access_key)?;
        let account = self.accounts.get(index)?;
        (account.secret_key == secret_key).then_some((index, &**account))
    }

    /// The account's leads as of `today`: generated over the two years
    /// before it, plus the listed ones.
    pub fn leads(&self, index: usize, today: NaiveDate) -> Arc<Dataset> {
        let Some(account) = self.accounts.get(index) else {
            return Arc::new(Dataset::default());
        };
        self.leads.get_or_insert_with((account.serial, today), || {
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
            writes: v2::store::Writes::default(),
            seed,
        }
    }

    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.load_full()
    }

    /// Takes merged fixtures whose accounts at `changed` are new or replaced.
    pub(crate) fn install_changes(&self, fixtures: &LeadSquaredFixtures, changed: &[usize]) {
        let next = self.catalog.load().with_changes(fixtures, changed);
        self.catalog.store(Arc::new(next));
    }

    /// Replaces the accounts (a reset).
    pub(crate) fn install(&self, fixtures: &LeadSquaredFixtures) {
        let previous = self.catalog.load();
        self.catalog
            .store(Arc::new(Catalog::new(fixtures, self.seed, Some(&previous))));
    }

    /// Forgets rate-limit history and what clients wrote.
    pub(crate) fn reset(&self) {
        self.limiter.clear();
        self.writes.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::Fixtures;

    /// The embedded fixtures with a second account like the first.
    fn two_accounts() -> LeadSquaredFixtures {
        let Ok(fixtures) = Fixtures::embedded() else {
            panic!("embedded fixtures load");
        };
        let Some(lsq) = fixtures.of::<LeadSquaredFixtures>(&SPEC) else {
            panic!("LeadSquared's fixtures");
        };
        let mut lsq = (*lsq).clone();
        let mut other = lsq.accounts[0].as_ref().clone();
        other.access_key = "other-access-key".into();
        lsq.accounts.push_back(Arc::new(other));
        lsq
    }

    #[test]
    fn a_merge_reuses_the_users_of_unchanged_accounts_and_remakes_changed_ones() {
        let mut lsq = two_accounts();
        let seed = Seed::new(42);
        let first = Catalog::new(&lsq, seed, None);
        let mut changed = lsq.accounts[0].as_ref().clone();
        changed.generated_users += 1;
        lsq.accounts.set(0, Arc::new(changed));
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

    /// A merge (a tenant created) keeps the leads the accounts it leaves as
    /// they were had generated, and a replaced account generates its own.
    #[test]
    fn a_merge_keeps_the_generated_leads_of_unchanged_accounts() {
        let mut lsq = two_accounts();
        let first = Catalog::new(&lsq, Seed::new(42), None);
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
        let (kept, replaced) = (first.leads(0, day), first.leads(1, day));

        let mut tenant = lsq.accounts[0].as_ref().clone();
        tenant.access_key = "tenant-access-key".into();
        lsq.accounts.push_back(Arc::new(tenant));
        let mut changed = lsq.accounts[1].as_ref().clone();
        changed.generated_leads += 1;
        lsq.accounts.set(1, Arc::new(changed));
        let merged = first.with_changes(&lsq, &[1, 2]);
        assert!(Arc::ptr_eq(&merged.leads(0, day), &kept), "generated again");
        let remade = merged.leads(1, day);
        assert!(!Arc::ptr_eq(&remade, &replaced));
        assert_eq!(remade.len(), replaced.len() + 1);
        assert_eq!(merged.leads(2, day).len(), kept.len());
    }
}
