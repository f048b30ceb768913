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

use std::sync::Arc;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::shared::rate_limit::RateLimiter;
use crate::shared::routes::Routes;
use crate::shared::seed::Seed;
use auth::{Companies, Company};
use error::EngineError;
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
#[derive(Debug)]
pub struct EngineState {
    /// What the fixtures define; replaced whole when fixtures are merged at run time.
    catalog: ArcSwap<EngineCatalog>,
    pub ui: UiEvents,
    /// Per-company limits, keyed by company uuid; outlives catalog swaps.
    pub limiter: RateLimiter,
    seed: Seed,
}

/// Everything derived from Engine's fixtures: companies, their windows and
/// which company owns which lead.
#[derive(Debug)]
pub struct EngineCatalog {
    pub companies: Arc<Companies>,
    pub windows: Arc<Windows>,
    lead_owners: LeadOwners,
}

/// Which company owns a lead: scripted leads by uuid, generated ones by tag.
/// Looked up on every pixel hit: foldhash, as the keys are uuids nobody
/// can choose to collide (and SipHash showed in the pixel's profile).
#[derive(Debug, Default)]
struct LeadOwners {
    scripted: foldhash::HashMap<Uuid, Uuid>,
    tags: foldhash::HashMap<CompanyTag, Uuid>,
}

impl EngineCatalog {
    fn new(fixtures: &EngineFixtures, seed: Seed) -> Self {
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
            lead_owners: owners,
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
}

impl EngineState {
    pub fn new(fixtures: &EngineFixtures, seed: Seed, ui_capacity: usize) -> Self {
        Self {
            catalog: ArcSwap::from_pointee(EngineCatalog::new(fixtures, seed)),
            ui: UiEvents::new(ui_capacity, seed),
            limiter: RateLimiter::default(),
            seed,
        }
    }

    /// The current catalog; cheap, and consistent for as long as it is held.
    pub fn catalog(&self) -> Arc<EngineCatalog> {
        self.catalog.load_full()
    }

    /// The current catalog for a short, synchronous look (the pixel): no
    /// reference-count traffic, but not to be held across an `.await`.
    pub fn peek(&self) -> arc_swap::Guard<Arc<EngineCatalog>> {
        self.catalog.load()
    }

    /// Replaces the catalog (fixtures merged at run time, or a reset).
    /// Windows are regenerated on demand: they are a function of the fixtures.
    pub fn install(&self, fixtures: &EngineFixtures) {
        self.catalog
            .store(Arc::new(EngineCatalog::new(fixtures, self.seed)));
    }

    /// Counts a call against the company's limit, if it has one.
    pub fn check_rate(&self, company: &Company, now: DateTime<Utc>) -> Result<(), EngineError> {
        let mut key = Uuid::encode_buffer();
        let key = company.uuid.hyphenated().encode_lower(&mut key);
        self.limiter
            .admit(key, company.rate_limit, now)
            .map_err(EngineError::RateLimited)
    }

    /// Forgets everything clients posted.
    pub fn reset(&self) {
        self.ui.clear();
        self.limiter.clear();
    }
}
