//! Engine by MoneyLion: supply analytics (hourly cursor endpoints over
//! simulated lead funnels) and UI events (offer displays, session inits, the
//! pixel GIF).

pub mod admin;
pub mod auth;
pub mod error;
pub mod fixtures;
pub mod generator;
pub mod institutions;
pub mod lead_ids;
pub mod models;
pub mod supply_analytics;
pub mod ui_events;
pub mod ui_store;
pub mod windows;

use std::collections::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use crate::shared::routes::Routes;
use crate::shared::seed::Seed;
use auth::Companies;
use fixtures::EngineFixtures;
use lead_ids::CompanyTag;
use ui_store::UiEvents;
use windows::Windows;

pub fn routes() -> Routes {
    Routes::new()
        .get("/supplyAnalytics/leadEvents", supply_analytics::lead_events)
        .get("/supplyAnalytics/leadPayouts", supply_analytics::lead_payouts)
        .get(
            "/supplyAnalytics/leadClientTags",
            supply_analytics::lead_client_tags,
        )
        .post("/uiEvent/offerDisplays", ui_events::create_offer_display)
        .post("/uiEvent/sessionInits", ui_events::create_session_init)
        .get(
            "/uiEvent/offerDisplays/{leadUuid}/{rateTableUuid}/{offerUuid}/pixel.gif",
            ui_events::pixel,
        )
}

/// Routes nested under `/__admin/engine`.
pub fn admin_routes() -> Routes {
    Routes::new()
        .get("/offerDisplays", admin::offer_displays)
        .get("/sessionInits", admin::session_inits)
}

/// Engine's share of the application state.
#[derive(Debug, Clone)]
pub struct EngineState {
    pub companies: Arc<Companies>,
    pub ui: UiEvents,
    pub windows: Arc<Windows>,
    /// Which company owns a lead: scripted leads by uuid, generated ones by tag.
    lead_owners: Arc<LeadOwners>,
}

#[derive(Debug, Default)]
struct LeadOwners {
    scripted: HashMap<Uuid, Uuid>,
    tags: HashMap<CompanyTag, Uuid>,
}

impl EngineState {
    pub fn new(fixtures: &EngineFixtures, seed: Seed, ui_capacity: usize) -> Self {
        let companies = Arc::new(Companies::from_fixtures(fixtures));
        let mut owners = LeadOwners::default();
        for company in companies.all() {
            owners
                .tags
                .insert(lead_ids::company_tag(seed, company.uuid), company.uuid);
            for lead in &company.scripted_leads {
                owners.scripted.insert(lead.uuid, company.uuid);
            }
        }
        Self {
            windows: Arc::new(Windows::new(seed, &companies)),
            companies,
            ui: UiEvents::new(ui_capacity, seed),
            lead_owners: Arc::new(owners),
        }
    }

    /// The company a lead belongs to, if leadsim made or was given that lead.
    pub fn owner_of_lead(&self, lead: Uuid) -> Option<Uuid> {
        self.lead_owners
            .scripted
            .get(&lead)
            .or_else(|| self.lead_owners.tags.get(&lead_ids::tag_of(lead)))
            .copied()
    }

    /// Forgets everything clients posted.
    pub fn reset(&self) {
        self.ui.clear();
    }
}
