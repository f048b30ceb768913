//! The Data Analytics Service: lead, contact and Browser Extension analytics
//! events, stored in memory and searchable per customer, user, entity and
//! recording. The vendor documents no auth, so none is required.

pub(crate) mod admin;
pub(crate) mod error;
pub(crate) mod event;
pub(crate) mod events;
pub(crate) mod fixtures;
pub(crate) mod search;
pub(crate) mod store;

use std::ops::Deref;
use std::sync::{Arc, PoisonError, RwLock};

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::config::Config;
use crate::shared::admin::AdminError;
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
use error::DataAnalyticsError;
use fixtures::{CustomerFixture, DataAnalyticsFixtures, SeededEvent};
use store::EventStore;

/// The service documents no auth: nothing to redact beyond HTTP's own.
pub static SPEC: FamilySpec = FamilySpec {
    name: "data_analytics",
    prefixes: &["/api/v1/"],
    credentials: CredentialNames::NONE,
    framework_error: error::framework_error,
    openapi: &[(
        "data_analytics",
        include_str!("../../../openapi/data_analytics.yaml"),
    )],
    plugin: Some(Plugin {
        fixtures_file: fixtures::FILE,
        embedded_fixtures: include_str!("../../../fixtures/data_analytics.json"),
        load: load_fixtures,
        start,
        tenant_credentials: &["customerId"],
        unique_credentials: &["customerId"],
    }),
};

pub(crate) const FAMILY: Family = Family::of(&SPEC);

fn load_fixtures(source: &Source) -> Result<LoadedFixtures, FixtureError> {
    let analytics: DataAnalyticsFixtures = parse(source)?;
    fixtures::validate_customers(&analytics.customers, &source.name)?;
    let scenario = DataAnalyticsScenario {
        events: analytics.events(&source.name)?.into(),
        customers: analytics.customers.into(),
    };
    Ok(LoadedFixtures::new(source.name.clone(), scenario))
}

fn start(ctx: FamilyContext, config: &Config, loaded: &LoadedFixtures) -> Arc<dyn FamilyApi> {
    let fixtures = loaded.get::<DataAnalyticsScenario>().unwrap_or_default();
    Arc::new(DataAnalytics::new(
        ctx,
        config.analytics_event_capacity,
        loaded.origin.clone(),
        fixtures,
    ))
}

/// The Data Analytics Service's slice of the server, what its handlers hold.
#[derive(Debug, Clone)]
pub(crate) struct DataAnalytics(Arc<DataAnalyticsShared>);

#[derive(Debug)]
pub(crate) struct DataAnalyticsShared {
    pub(crate) clock: Clock,
    pub(crate) data_analytics: DataAnalyticsState,
    fixtures: FixtureSet<DataAnalyticsScenario>,
}

impl Deref for DataAnalytics {
    type Target = DataAnalyticsShared;

    fn deref(&self) -> &DataAnalyticsShared {
        &self.0
    }
}

impl DataAnalytics {
    pub(crate) fn new(
        ctx: FamilyContext,
        capacity: usize,
        origin: String,
        fixtures: Arc<DataAnalyticsScenario>,
    ) -> Self {
        Self(Arc::new(DataAnalyticsShared {
            data_analytics: DataAnalyticsState::new(&fixtures, ctx.seed, capacity),
            clock: ctx.clock,
            fixtures: FixtureSet::new(origin, fixtures),
        }))
    }

    /// Posted events are always appended; customers replace the one with
    /// their id.
    fn stage_fixtures(
        &self,
        posted: DataAnalyticsFixtures,
    ) -> Result<Box<dyn StagedMerge + '_>, FixtureError> {
        let file = posted_file(fixtures::FILE);
        fixtures::validate_customers(&posted.customers, &file)?;
        let events = posted.events(&file)?;
        // Persistent vectors: the copy is constant-time. Posted customers
        // have distinct ids (checked above) and replace by id, so the
        // merged list stays valid without checking it whole.
        let mut merged = (*self.fixtures.current()).clone();
        let mut count = MergeCount {
            added: events.len(),
            replaced: 0,
        };
        merged.events.extend(events);
        let positions = self.data_analytics.customer_positions();
        let mut changed = Vec::with_capacity(posted.customers.len());
        for customer in posted.customers {
            let existing = positions.get(customer.customer_id.as_str()).copied();
            let index = persistent::place(&mut merged.customers, existing, customer.clone(), &mut count);
            changed.push((index, customer));
        }
        Ok(Box::new(Commit::new(count, move || {
            self.data_analytics.install_changes(&merged, &changed);
            self.fixtures.replace(Arc::new(merged));
        })))
    }

    /// Merges replace entries in place and append new ones, so the entries
    /// loaded at start are the first ones, wherever they were replaced.
    fn tenant_of(&self, position: usize, customer: &CustomerFixture) -> Tenant {
        Tenant {
            family: FAMILY,
            id: customer.customer_id.clone(),
            name: customer.customer_id.clone(),
            credentials: json!({"customerId": customer.customer_id}),
            rate_limit: customer.rate_limit,
            origin: Tenant::origin(position < self.fixtures.loaded().customers.len()),
        }
    }


}

impl FamilyApi for DataAnalytics {
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
        let events = crate::shared::count(self.fixtures.current().events.len(), "event", "events");
        format!("{events} from {}", self.fixtures.origin)
    }

    fn stage(&self, posted: &str) -> Result<Box<dyn StagedMerge + '_>, FixtureError> {
        self.stage_fixtures(parse_posted(SPEC.name, posted)?)
    }

    fn reset(&self) {
        if let Some(loaded) = self.fixtures.restore() {
            self.data_analytics.install(&loaded);
        }
        self.data_analytics.reset();
    }

    fn tenants(&self) -> Vec<Tenant> {
        let current = self.fixtures.current();
        current
            .customers
            .iter()
            .enumerate()
            .map(|(position, c)| self.tenant_of(position, c))
            .collect()
    }

    fn tenant(&self, id: &str) -> Option<Tenant> {
        let position = *self.data_analytics.customer_positions().get(id)?;
        Some(self.tenant_of(position, self.fixtures.current().customers.get(position)?))
    }

    fn credential_taken(&self, _name: &str, value: &str) -> bool {
        self.data_analytics.has_customer(value)
    }

    fn stage_tenant(
        &self,
        mut request: TenantRequest<'_>,
    ) -> Result<(String, Box<dyn StagedMerge + '_>), AdminError> {
        let customer_id = request.credential("customerId", "tenant-", 12)?;
        let staged = self
            .stage_fixtures(DataAnalyticsFixtures {
                customers: vec![CustomerFixture {
                    customer_id: customer_id.clone(),
                    rate_limit: request.rate_limit_or(None),
                }],
                ..Default::default()
            })
            .map_err(|e| AdminError::bad_request(e.to_string()))?;
        Ok((customer_id, staged))
    }

    /// Any customer id is a Data Analytics tenant: a limit can be set on
    /// one nobody declared.
    fn stage_rate_limit(&self, id: &str, limit: Option<RateLimitSpec>) -> Option<Box<dyn StagedMerge + '_>> {
        self.stage_fixtures(DataAnalyticsFixtures {
            customers: vec![CustomerFixture {
                customer_id: id.to_owned(),
                rate_limit: limit,
            }],
            ..Default::default()
        })
        .ok()
    }
}

pub(crate) fn routes() -> Routes<DataAnalytics> {
    Routes::new(FAMILY)
        .post("/api/v1/analytics_events", events::create_analytics_event)
        .post("/api/v1/lead_analytics", events::create_lead_analytics)
        .get("/api/v1/lead_analytics/search", search::search_lead_analytics)
        .post("/api/v1/contact_analytics", events::create_contact_analytics)
        .get(
            "/api/v1/contact_analytics/search",
            search::search_contact_analytics,
        )
}

/// Routes nested under `/__admin/data_analytics`.
pub(crate) fn admin_routes() -> Routes<DataAnalytics> {
    Routes::new(Family::ADMIN).get("/events", admin::events)
}

/// The family's share of the application state.
#[derive(Debug)]
pub(crate) struct DataAnalyticsState {
    pub(crate) events: EventStore,
    /// Fixture events, restored on every reset; merged fixtures add to them.
    seeded: RwLock<persistent::Vector<SeededEvent>>,
    /// Rate limits by customer id.
    limits: ArcSwap<persistent::Map<String, Limit>>,
    /// Where each declared customer is in the fixtures.
    customers: ArcSwap<persistent::Map<String, usize>>,
    limiter: RateLimiter,
}

impl DataAnalyticsState {
    pub(crate) fn new(fixtures: &DataAnalyticsScenario, seed: Seed, capacity: usize) -> Self {
        let state = Self {
            events: EventStore::new(seed, capacity),
            seeded: RwLock::new(fixtures.events.clone()),
            limits: ArcSwap::from_pointee(limits_of(&fixtures.customers)),
            customers: ArcSwap::from_pointee(positions_of(&fixtures.customers)),
            limiter: RateLimiter::default(),
        };
        state.reset();
        state
    }

    /// Takes merged fixtures: events not seen before are stored now (and
    /// on every reset), customers' limits are replaced.
    pub(crate) fn install(&self, fixtures: &DataAnalyticsScenario) {
        self.take_events(fixtures);
        self.limits.store(Arc::new(limits_of(&fixtures.customers)));
        self.customers.store(Arc::new(positions_of(&fixtures.customers)));
    }

    /// Takes merged fixtures whose customers at the given positions are
    /// new or replaced: the indices are updated, not rebuilt.
    pub(crate) fn install_changes(
        &self,
        fixtures: &DataAnalyticsScenario,
        changed: &[(usize, CustomerFixture)],
    ) {
        self.take_events(fixtures);
        let mut limits = (**self.limits.load()).clone();
        let mut positions = (**self.customers.load()).clone();
        for (index, customer) in changed {
            match customer.rate_limit {
                Some(limit) => limits.insert(customer.customer_id.clone(), limit.limit()),
                None => limits.remove(customer.customer_id.as_str()),
            };
            positions.insert(customer.customer_id.clone(), *index);
        }
        self.limits.store(Arc::new(limits));
        self.customers.store(Arc::new(positions));
    }

    /// Stores the events not seen before (and on every reset after).
    fn take_events(&self, fixtures: &DataAnalyticsScenario) {
        let mut seeded = self.seeded.write().unwrap_or_else(PoisonError::into_inner);
        if fixtures.events.len() > seeded.len() {
            for added in fixtures.events.clone().split_off(seeded.len()) {
                self.events.insert(added.event, added.created_at);
            }
        }
        *seeded = fixtures.events.clone();
    }

    /// Where each customer the fixtures declare is in them.
    pub(crate) fn customer_positions(&self) -> Arc<persistent::Map<String, usize>> {
        self.customers.load_full()
    }

    /// Whether the fixtures in force declare `customer_id`.
    pub(crate) fn has_customer(&self, customer_id: &str) -> bool {
        self.customers.load().contains_key(customer_id)
    }

    /// Counts a call against the customer's limit, if it has one.
    pub(crate) fn check_rate(&self, customer_id: &str, now: DateTime<Utc>) -> Result<(), DataAnalyticsError> {
        let limit = self.limits.load().get(customer_id).copied();
        self.limiter
            .admit(customer_id, limit, now)
            .map_err(DataAnalyticsError::RateLimited)
    }

    /// Back to the fixture events only.
    pub(crate) fn reset(&self) {
        self.limiter.clear();
        self.events.clear();
        let seeded = self.seeded.read().unwrap_or_else(PoisonError::into_inner).clone();
        for seeded in seeded.iter() {
            self.events.insert(seeded.event.clone(), seeded.created_at);
        }
    }
}

/// What Data Analytics' fixtures amount to: events to hold and customers' settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct DataAnalyticsScenario {
    /// Validated, in `created_at` order for the first file, then in merge
    /// order. Persistent vectors: a merge copies them in constant time.
    pub(crate) events: persistent::Vector<SeededEvent>,
    pub(crate) customers: persistent::Vector<CustomerFixture>,
}

fn positions_of(customers: &persistent::Vector<CustomerFixture>) -> persistent::Map<String, usize> {
    customers
        .iter()
        .enumerate()
        .map(|(i, c)| (c.customer_id.clone(), i))
        .collect()
}

fn limits_of(customers: &persistent::Vector<CustomerFixture>) -> persistent::Map<String, Limit> {
    customers
        .iter()
        .filter_map(|c| Some((c.customer_id.clone(), c.rate_limit?.limit())))
        .collect()
}
