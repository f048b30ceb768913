//! The Data Analytics Service: lead, contact and Browser Extension analytics
//! events, stored in memory and searchable per customer, user, entity and
//! recording. The vendor documents no auth, so none is required.

pub mod admin;
pub mod error;
pub mod event;
pub mod events;
pub mod fixtures;
pub mod search;
pub mod store;

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};

use crate::shared::rate_limit::{Limit, RateLimiter};
use crate::shared::routes::Routes;
use crate::shared::seed::Seed;
use error::DataAnalyticsError;
use fixtures::{CustomerFixture, SeededEvent};
use store::EventStore;

pub fn routes() -> Routes {
    Routes::new()
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
pub fn admin_routes() -> Routes {
    Routes::new().get("/events", admin::events)
}

/// The family's share of the application state.
#[derive(Debug)]
pub struct DataAnalyticsState {
    pub events: EventStore,
    /// Fixture events, restored on every reset; merged fixtures add to them.
    seeded: RwLock<Arc<Vec<SeededEvent>>>,
    /// Rate limits by customer id.
    limits: ArcSwap<HashMap<String, Limit>>,
    limiter: RateLimiter,
}

impl DataAnalyticsState {
    pub fn new(fixtures: &DataAnalyticsScenario, seed: Seed, capacity: usize) -> Self {
        let state = Self {
            events: EventStore::new(seed, capacity),
            seeded: RwLock::new(Arc::new(fixtures.events.clone())),
            limits: ArcSwap::from_pointee(limits_of(&fixtures.customers)),
            limiter: RateLimiter::default(),
        };
        state.reset();
        state
    }

    /// Takes merged fixtures: events not seen before are stored now (and
    /// on every reset), customers' limits are replaced.
    pub fn install(&self, fixtures: &DataAnalyticsScenario) {
        let mut seeded = self.seeded.write().unwrap_or_else(PoisonError::into_inner);
        for added in fixtures.events.iter().skip(seeded.len()) {
            self.events.insert(added.event.clone(), added.created_at);
        }
        *seeded = Arc::new(fixtures.events.clone());
        self.limits.store(Arc::new(limits_of(&fixtures.customers)));
    }

    /// Counts a call against the customer's limit, if it has one.
    pub fn check_rate(&self, customer_id: &str, now: DateTime<Utc>) -> Result<(), DataAnalyticsError> {
        let limit = self.limits.load().get(customer_id).copied();
        self.limiter
            .admit(customer_id, limit, now)
            .map_err(DataAnalyticsError::RateLimited)
    }

    /// Back to the fixture events only.
    pub fn reset(&self) {
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
pub struct DataAnalyticsScenario {
    /// Validated, in `created_at` order for the first file, then in merge order.
    pub events: Vec<SeededEvent>,
    pub customers: Vec<CustomerFixture>,
}

fn limits_of(customers: &[CustomerFixture]) -> HashMap<String, Limit> {
    customers
        .iter()
        .filter_map(|c| Some((c.customer_id.clone(), c.rate_limit?.limit())))
        .collect()
}
