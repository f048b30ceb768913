//! Finicity (Mastercard Open Banking US) Balance Analytics, and the
//! aggregation calls a client makes first: partner authentication, testing
//! customers, a customer and its accounts. Reports are computed from
//! deterministic daily balance histories and served as JSON or PDF.

pub(crate) mod accounts;
pub(crate) mod aggregation;
pub(crate) mod analytics;
pub(crate) mod auth;
pub(crate) mod balances;
pub(crate) mod clock;
pub(crate) mod connect;
pub mod customers;
pub(crate) mod decisioning;
pub(crate) mod error;
pub(crate) mod fixtures;
pub(crate) mod institutions;
pub(crate) mod metrics;
pub mod pdf;
pub mod report;
pub(crate) mod transactions;

use std::collections::HashSet;
use std::ops::Deref;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::json;

use crate::config::Config;
use crate::shared::admin::AdminError;
use crate::shared::cache::BoundedCache;
use crate::shared::clock::Clock;
use crate::shared::family::{CredentialNames, Family, FamilySpec};
use crate::shared::fixtures::{Commit, FixtureError, FixtureSet, Source, parse, parse_posted, posted_file};
use crate::shared::plugin::{
    FamilyApi, FamilyContext, LoadedFixtures, MergeCount, Plugin, StagedMerge, Tenant, TenantRequest,
};
use crate::shared::persistent;
use crate::shared::rate_limit::RateLimitSpec;
use crate::shared::routes::Routes;
use crate::shared::seed::Seed;
use auth::Auth;
use customers::Directory;
use fixtures::{FinicityFixtures, PartnerFixture};
use report::Reports;

/// Finicity's facts, for the shared mechanisms.
pub static SPEC: FamilySpec = FamilySpec {
    name: "finicity",
    prefixes: &[
        "/aggregation/",
        "/analytics/",
        "/decisioning/",
        "/business-services/",
        "/connect/",
        "/institution/",
    ],
    credentials: CredentialNames {
        identity_headers: &["finicity-app-key", "finicity-app-token"],
        identity_query: &[],
        secret_headers: &[],
        // A Connect link's `signature` is what lets its page act for the customer.
        secret_query: &["partnerSecret", "signature"],
        // A consumer's SSN and date of birth are PII: hidden like secrets.
        // `token` is what partner authentication answers; `webhookHeaders`
        // carry the partner's own credentials for its receiver.
        secret_members: &["partnerSecret", "newPartnerSecret", "token", "webhookHeaders"],
        // Names, emails, phones and `ssn`: every family's `PERSONAL_MEMBERS`;
        // MFA answers given to Connect.
        personal_members: &["birthday", "dob", "answer", "mfaAnswers"],
        personal_query: &[],
        // Full account numbers (the accounts API's `number`) and the
        // usernames of customers and of bank sign-ins (a Connect form post
        // without a password still names one), only here: elsewhere a
        // `number` is not a person's.
        own_personal_members: &["number", "username"],
    },
    framework_error: error::framework_error,
    openapi: &[
        ("finicity", include_str!("../../../openapi/finicity.yaml")),
        (
            "finicity-decisioning",
            include_str!("../../../openapi/finicity-decisioning.yaml"),
        ),
        (
            "finicity-connect",
            include_str!("../../../openapi/finicity-connect.yaml"),
        ),
    ],
    plugin: Some(Plugin {
        fixtures_file: fixtures::FILE,
        embedded_fixtures: include_str!("../../../fixtures/finicity.json"),
        load: load_fixtures,
        start,
        tenant_credentials: &["partnerId", "partnerSecret", "appKey"],
        unique_credentials: &["partnerId", "appKey"],
    }),
};

pub(crate) const FAMILY: Family = Family::of(&SPEC);

fn load_fixtures(source: &Source) -> Result<LoadedFixtures, FixtureError> {
    let fixtures: FinicityFixtures = parse(source)?;
    fixtures.validate(&source.name)?;
    Ok(LoadedFixtures::new(source.name.clone(), fixtures))
}

fn start(ctx: FamilyContext, _: &Config, loaded: &LoadedFixtures) -> Arc<dyn FamilyApi> {
    let fixtures = loaded.get::<FinicityFixtures>().unwrap_or_default();
    Arc::new(Finicity::new(ctx, loaded.origin.clone(), fixtures))
}

/// Finicity's slice of the server, what its handlers hold.
#[derive(Debug, Clone)]
pub(crate) struct Finicity(Arc<FinicityShared>);

#[derive(Debug)]
pub(crate) struct FinicityShared {
    pub(crate) clock: Clock,
    pub(crate) finicity: FinicityState,
    /// The current (1.42.0) Balance Analytics flow's records and reports.
    pub(crate) decisioning: decisioning::Decisioning,
    /// Data Connect: links, sessions and webhook events.
    pub(crate) connect: connect::Connect,
    pub(crate) ledgers: transactions::Ledgers,
    pub(crate) transaction_pages: transactions::Pages,
    pub(crate) refreshes: transactions::Refreshes,
    pub(crate) seed: Seed,
    pub(crate) settings: Arc<crate::shared::plugin::Settings>,
    fixtures: FixtureSet<FinicityFixtures>,
}

impl Deref for Finicity {
    type Target = FinicityShared;

    fn deref(&self) -> &FinicityShared {
        &self.0
    }
}

impl Finicity {
    pub(crate) fn new(ctx: FamilyContext, origin: String, fixtures: Arc<FinicityFixtures>) -> Self {
        Self(Arc::new(FinicityShared {
            finicity: FinicityState::new(&fixtures, ctx.seed),
            decisioning: decisioning::Decisioning::new(ctx.seed, ctx.clock.clone(), ctx.outbound.clone()),
            connect: connect::Connect::new(ctx.seed, ctx.clock.clone(), ctx.outbound.clone()),
            ledgers: transactions::ledgers(),
            transaction_pages: transactions::pages(),
            refreshes: transactions::Refreshes::default(),
            seed: ctx.seed,
            settings: ctx.settings,
            clock: ctx.clock,
            fixtures: FixtureSet::new(origin, fixtures),
        }))
    }

    /// Checks `posted` against the fixtures in force and merges it on
    /// commit: partners and customers with a known id replace theirs in
    /// place, others are appended. The check looks posted entries up in the
    /// partners' and customers' indices, so its cost follows what was
    /// posted; only when that finds a clash is the whole validated, for the
    /// error that names it.
    fn stage_fixtures(&self, posted: FinicityFixtures) -> Result<Box<dyn StagedMerge + '_>, FixtureError> {
        let auth = &self.finicity.auth;
        let directory = &self.finicity.customers;
        let current = self.fixtures.current();
        let mut merged = (*current).clone();
        let mut count = MergeCount::default();
        let mut partners = Vec::with_capacity(posted.partners.len());
        for partner in &posted.partners {
            let existing = auth.partner_index(&partner.partner_id);
            partners.push(persistent::place(&mut merged.partners, existing, partner.clone(), &mut count));
        }
        let mut customers = Vec::with_capacity(posted.customers.len());
        for customer in &posted.customers {
            let existing = directory.position_of(&customer.id);
            customers.push(persistent::place(&mut merged.customers, existing, customer.clone(), &mut count));
        }
        let file = posted_file(fixtures::FILE);
        let known = |id: &str| auth.partner_index(id).is_some();
        let clash = posted
            .partners
            .iter()
            .zip(&partners)
            .any(|(p, i)| auth.app_key_owner(&p.app_key).is_some_and(|owner| owner != *i))
            || posted
                .customers
                .iter()
                .zip(&customers)
                .any(|(c, position)| directory.conflicts(*position, c));
        if clash || posted.validate_with(&file, known, auth.any_partner()).is_err() {
            validate_whole(&current, &posted, &merged)?;
        }
        Ok(Box::new(Commit::new(count, move || {
            self.finicity.install_changes(&merged, &partners, &customers);
            self.fixtures.replace(Arc::new(merged));
        })))
    }

    /// Merges replace entries in place and append new ones, so the entries
    /// loaded at start are the first ones, wherever they were replaced.
    /// Its customers are the fixture customers it owns.
    fn tenant_of(&self, position: usize, partner: &PartnerFixture) -> Tenant {
        Tenant {
            family: FAMILY,
            id: partner.partner_id.clone(),
            name: partner.name.clone(),
            credentials: json!({
                "partnerId": partner.partner_id,
                "partnerSecret": partner.partner_secret,
                "appKey": partner.app_key,
                "customerIds": self.finicity.customers.fixture_ids_of(position),
            }),
            rate_limit: partner.rate_limit,
            origin: Tenant::origin(position < self.fixtures.loaded().partners.len()),
        }
    }
}

impl FamilyApi for Finicity {
    fn family(&self) -> Family {
        FAMILY
    }

    fn routes(&self) -> Routes {
        routes().with_state(self.clone())
    }

    fn admin_routes(&self) -> Routes {
        admin_routes().with_state(self.clone())
    }

    fn summary(&self) -> String {
        let current = self.fixtures.current();
        let partners = crate::shared::count(current.partners.len(), "partner", "partners");
        let customers = crate::shared::count(current.customers.len(), "customer", "customers");
        format!("{partners}, {customers} from {}", self.fixtures.origin)
    }

    fn stage(&self, posted: &str) -> Result<Box<dyn StagedMerge + '_>, FixtureError> {
        self.stage_fixtures(parse_posted(SPEC.name, posted)?)
    }

    fn reset(&self) {
        if let Some(loaded) = self.fixtures.restore() {
            self.finicity.install(&loaded);
        }
        self.finicity.reset();
        self.decisioning.reset();
        self.connect.reset();
        self.refreshes.reset();
        self.ledgers.clear();
        self.transaction_pages.clear();
    }

    fn tenants(&self) -> Vec<Tenant> {
        let current = self.fixtures.current();
        current
            .partners
            .iter()
            .enumerate()
            .map(|(position, p)| self.tenant_of(position, p))
            .collect()
    }

    fn tenant(&self, id: &str) -> Option<Tenant> {
        let index = self.finicity.auth.partner_index(id)?;
        let partner = self.finicity.auth.partner(index)?;
        Some(self.tenant_of(index, &partner))
    }

    fn credential_taken(&self, name: &str, value: &str) -> bool {
        match name {
            "partnerId" => self.finicity.auth.partner_index(value).is_some(),
            _ => self.finicity.auth.has_app_key(value),
        }
    }

    fn stage_tenant(
        &self,
        mut request: TenantRequest<'_>,
    ) -> Result<(String, Box<dyn StagedMerge + '_>), AdminError> {
        let number = request.number;
        let partner_id = request.credential("partnerId", "tenant-", 12)?;
        let partner = PartnerFixture {
            partner_id: partner_id.clone(),
            partner_secret: request.credential("partnerSecret", "", 20)?,
            app_key: request.credential("appKey", "", 32)?,
            name: request.name.clone(),
            rate_limit: request.rate_limit_or(None),
        };
        // A business customer with two accounts, ready for reports; ids far
        // from the fixtures' and from testing customers'.
        let customer = 1_009_000_000 + number;
        let account = 5_090_000_000 + 2 * number;
        let customer = json!({
            "id": customer.to_string(),
            "username": format!("tenant-{number}-business"),
            "partnerId": partner_id,
            "type": "business",
            "business": {"id": 9_000 + number, "name": request.name},
            "accounts": [
                {"id": account, "type": "checking", "name": "Business Checking", "institutionId": 101732, "profile": "steady"},
                {"id": account + 1, "type": "savings", "name": "Business Savings", "institutionId": 101732, "profile": "growing"},
            ],
        });
        let customer = serde_json::from_value(customer)
            .map_err(|e| AdminError::bad_request(format!("credentials: {e}")))?;
        let staged = self
            .stage_fixtures(FinicityFixtures {
                partners: imbl::vector![Arc::new(partner)],
                customers: imbl::vector![Arc::new(customer)],
            })
            .map_err(|e| AdminError::bad_request(e.to_string()))?;
        Ok((partner_id, staged))
    }

    fn stage_rate_limit(&self, id: &str, limit: Option<RateLimitSpec>) -> Option<Box<dyn StagedMerge + '_>> {
        let index = self.finicity.auth.partner_index(id)?;
        let mut partner = self.finicity.auth.partner(index)?.as_ref().clone();
        partner.rate_limit = limit;
        self.stage_fixtures(FinicityFixtures {
            partners: imbl::vector![Arc::new(partner)],
            customers: imbl::Vector::new(),
        })
        .ok()
    }
}

/// The whole check a merge once always ran, for the error it gives: the
/// posted document with the partners already there (customers may belong
/// to them), then the merged fixtures.
fn validate_whole(
    current: &FinicityFixtures,
    posted: &FinicityFixtures,
    merged: &FinicityFixtures,
) -> Result<(), FixtureError> {
    let mut check = posted.clone();
    let posted_ids: HashSet<&str> = posted.partners.iter().map(|p| p.partner_id.as_str()).collect();
    check.partners.extend(
        current
            .partners
            .iter()
            .filter(|known| !posted_ids.contains(known.partner_id.as_str()))
            .cloned(),
    );
    check.validate(&posted_file(fixtures::FILE))?;
    merged.validate("(posted, merged with the current fixtures)")
}

pub(crate) fn routes() -> Routes<Finicity> {
    Routes::new(FAMILY)
        .post(
            "/aggregation/v2/partners/authentication",
            aggregation::create_token,
        )
        .post(
            "/aggregation/v2/customers/testing",
            aggregation::add_testing_customer,
        )
        .get(
            "/aggregation/v1/customers/{customerId}",
            aggregation::get_customer,
        )
        .get(
            "/aggregation/v1/customers/{customerId}/accounts",
            aggregation::get_customer_accounts,
        )
        .post("/analytics/balance/v1/customer/{customerId}", analytics::generate)
        .post(
            "/analytics/balance/v1/customer/{customerId}/fcra",
            analytics::generate_fcra,
        )
        .get("/analytics/data/v1/{obb_report_id}", analytics::get_report)
        .get(
            "/analytics/data/v1/{obb_report_id}/fcra",
            analytics::get_report_fcra,
        )
        .post(
            "/business-services/customers/{customer_id}/businesses",
            decisioning::records::add_business,
        )
        .get(
            "/business-services/customers/{customer_id}/businesses",
            decisioning::records::get_businesses,
        )
        .post(
            "/decisioning/v1/customers/{customerId}/consumer",
            decisioning::records::create_consumer,
        )
        .get(
            "/decisioning/v1/customers/{customerId}/consumer",
            decisioning::records::get_consumer,
        )
        .post(
            "/decisioning/v2/customers/{customerId}/reports/balance-analytics/userTypes/{userType}",
            decisioning::generate::generate_balance,
        )
        .post(
            "/decisioning/v2/customers/{customerId}/reports/cashflow-analytics/userTypes/{userType}",
            decisioning::generate::generate_cash_flow,
        )
        .get(
            "/decisioning/v3/customers/{customerId}/reports/{reportId}",
            decisioning::read::get_report,
        )
        .get(
            "/decisioning/v1/customers/{customerId}/reports",
            decisioning::read::list_reports,
        )
        .merge(connect_routes())
}

/// Data Connect and what a client reads after a link: refresh, accounts,
/// transactions, institutions, deletions.
fn connect_routes() -> Routes<Finicity> {
    use accounts as a;
    use transactions as t;
    Routes::new(FAMILY)
        .post("/connect/v2/generate", connect::generate::generate)
        .post("/connect/v2/generate/lite", connect::generate::generate_lite)
        .post("/connect/v2/generate/fix", connect::generate::generate_fix)
        .post("/connect/v2/send/email", connect::generate::send_email)
        .get("/connect/experience", connect::experience::open)
        .post("/connect/experience", connect::experience::step)
        .delete("/aggregation/v1/customers/{customerId}", a::delete_customer)
        .post("/aggregation/v1/customers/{customerId}/accounts", a::refresh)
        .post("/aggregation/v2/customers/{customerId}/accounts", a::refresh_v2)
        .get("/aggregation/v2/customers/{customerId}/accounts/{accountId}", a::account)
        .delete("/aggregation/v1/customers/{customerId}/accounts/{accountId}", a::delete_account)
        .get(
            "/aggregation/v1/customers/{customerId}/institutionLogins/{institutionLoginId}/accounts",
            a::by_login,
        )
        .post(
            "/aggregation/v1/customers/{customerId}/institutionLogins/{institutionLoginId}/accounts",
            a::refresh_login,
        )
        .post(
            "/aggregation/v2/customers/{customerId}/institutionLogins/{institutionLoginId}/accounts",
            a::refresh_login_v2,
        )
        .delete(
            "/aggregation/v1/customers/{customerId}/institutionLogins/{institutionLoginId}",
            a::delete_login,
        )
        .get(
            "/aggregation/v1/customers/{customerId}/institutions/{institutionId}/accounts",
            a::by_institution,
        )
        .post(
            "/aggregation/v1/customers/{customerId}/accounts/{accountId}/transactions/historic",
            t::load_historic,
        )
        .get("/aggregation/v3/customers/{customerId}/transactions", t::customer_transactions)
        .get(
            "/aggregation/v4/customers/{customerId}/accounts/{accountId}/transactions",
            t::account_transactions,
        )
        .get("/aggregation/v2/customers/{customerId}/transactions/{transactionId}", t::transaction)
        .get(
            "/aggregation/customers/{customerId}/transactions/{uniqueTransactionId}",
            t::transaction_by_unique_id,
        )
        .post(
            "/aggregation/customers/{customerId}/transactions/refreshes",
            t::refresh_transactions,
        )
        .get(
            "/aggregation/customers/{customerId}/transactions/refreshes/{refreshId}",
            t::refresh_status,
        )
        .get("/institution/v2/institutions", institutions::list)
        .get("/institution/v2/institutions/{institutionId}", institutions::one)
}

/// Routes nested under `/__admin/finicity`.
pub(crate) fn admin_routes() -> Routes<Finicity> {
    Routes::new(Family::ADMIN)
        .get("/reports", decisioning::read::admin_reports)
        .post(
            "/reports/{reportId}/outcome",
            decisioning::read::admin_set_outcome,
        )
        .get("/callbacks", decisioning::read::admin_callbacks)
        .get("/webhooks", connect::experience::admin_webhooks)
        .post("/connect/complete", connect::experience::admin_complete)
        .post(
            "/customers/{customerId}/institutionLogins/{institutionLoginId}/status",
            accounts::admin_login_status,
        )
}

/// Rendered report bodies kept (up to a few MB each at 730 days).
const RENDERED_REPORTS: usize = 16;
/// What the rendered reports may weigh together.
const RENDERED_REPORTS_MAX_BYTES: usize = 64 * 1024 * 1024;

/// The family's share of the application state.
#[derive(Debug, Clone)]
pub struct FinicityState {
    pub(crate) auth: Auth,
    pub customers: Directory,
    pub reports: Reports,
    /// Recently read reports as sent, by (report id, PDF?): a report never
    /// changes once generated, and building one takes milliseconds, which
    /// a client polling for it should not pay on every read.
    pub(crate) rendered: Arc<BoundedCache<(String, bool), Bytes>>,
}

impl FinicityState {
    pub fn new(fixtures: &FinicityFixtures, seed: Seed) -> Self {
        Self {
            auth: Auth::new(&fixtures.partners, seed),
            customers: Directory::new(fixtures.clone(), seed),
            reports: Reports::new(seed),
            rendered: Arc::new(BoundedCache::weighed(
                RENDERED_REPORTS,
                RENDERED_REPORTS_MAX_BYTES,
                |(id, _), body| id.len() + body.len(),
            )),
        }
    }

    /// Takes other fixtures whole (a reset).
    pub(crate) fn install(&self, fixtures: &FinicityFixtures) {
        self.auth.install(&fixtures.partners);
        self.customers.install(fixtures);
        self.rendered.clear();
    }

    /// Takes merged fixtures whose partners and customers at the given
    /// positions are new or replaced (partners and customers are only added
    /// or replaced in place, so everything keyed by partner index stays valid).
    pub(crate) fn install_changes(
        &self,
        fixtures: &FinicityFixtures,
        partners: &[usize],
        customers: &[usize],
    ) {
        self.auth.install_changes(&fixtures.partners, partners);
        self.customers.install_changes(fixtures, partners, customers);
        // A replaced customer may have other accounts now.
        self.rendered.clear();
    }

    /// Back to the fixtures: tokens, lockouts, testing customers and reports go.
    pub(crate) fn reset(&self) {
        self.auth.reset();
        self.customers.reset();
        self.reports.reset();
        // Report ids start over, so the same id may name another report.
        self.rendered.clear();
    }
}

/// A customer id as the paths carry it: digits of a positive int64.
pub(crate) fn parse_customer_id(id: &str) -> Option<i64> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok().filter(|id| *id > 0)
}
