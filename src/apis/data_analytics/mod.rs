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

use std::sync::Arc;

use crate::shared::routes::Routes;
use crate::shared::seed::Seed;
use fixtures::SeededEvent;
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
#[derive(Debug, Clone)]
pub struct DataAnalyticsState {
    pub events: EventStore,
    /// Fixture events, restored on every reset.
    seeded: Arc<Vec<SeededEvent>>,
}

impl DataAnalyticsState {
    pub fn new(seeded: Vec<SeededEvent>, seed: Seed, capacity: usize) -> Self {
        let state = Self {
            events: EventStore::new(seed, capacity),
            seeded: Arc::new(seeded),
        };
        state.reset();
        state
    }

    /// Back to the fixture events only.
    pub fn reset(&self) {
        self.events.clear();
        for seeded in self.seeded.iter() {
            self.events.insert(seeded.event.clone(), seeded.created_at);
        }
    }
}
