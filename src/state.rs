//! `AppState`: one shared handle on everything the handlers share.

use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::apis::data_analytics::DataAnalyticsState;
use crate::apis::engine::EngineState;
use crate::apis::finicity::FinicityState;
use crate::apis::leadsquared::LeadSquaredState;
use crate::config::Config;
use crate::fixtures::{Fixtures, MergeSummary, Posted};
use crate::shared::clock::Clock;
use crate::shared::family::Family;
use crate::shared::faults::Faults;
use crate::shared::fixtures::FixtureError;
use crate::shared::journal::Journal;
use crate::shared::seed::Seed;

/// axum clones the state for every request (router, `State` extractor), so
/// it is one `Arc`: a single reference-count bump instead of one per store.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

/// What every handler can reach, through `AppState`'s `Deref`.
#[derive(Debug)]
pub struct Shared {
    pub clock: Clock,
    pub seed: Seed,
    pub journal: Journal,
    pub faults: Faults,
    pub settings: Arc<Settings>,
    /// The fixtures loaded at start; reset returns to them.
    pub loaded: Arc<Fixtures>,
    /// The fixtures in force, runtime merges included. The lock also
    /// serializes merges, so two never interleave.
    current: Mutex<Arc<Fixtures>>,
    /// Tenants created since start or reset: numbers their generated credentials.
    pub tenants_created: AtomicU64,
    pub engine: EngineState,
    pub data_analytics: DataAnalyticsState,
    pub finicity: FinicityState,
    pub leadsquared: LeadSquaredState,
}

/// Process settings handlers may need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base for absolute links (`--public-url`); `None`: from request headers.
    pub public_url: Option<String>,
    /// Browser origins allowed to use the admin API (`--admin-allow-origin`).
    pub admin_allow_origins: Vec<String>,
    /// The token admin calls must carry (`--admin-token`).
    pub admin_token: Option<String>,
    /// How long a request body may take to arrive (`--idle-timeout`).
    pub body_timeout: std::time::Duration,
}

impl AppState {
    pub fn new(config: &Config, fixtures: Fixtures) -> Self {
        let settings = Settings {
            public_url: config.public_url.clone(),
            admin_allow_origins: config.admin_allow_origins.clone(),
            admin_token: config.admin_token.clone(),
            body_timeout: std::time::Duration::from_secs(config.idle_timeout),
        };
        let seed = Seed::new(config.seed);
        Self(Arc::new(Shared {
            clock: Clock::starting_at(config.now),
            seed,
            journal: Journal::new(config.journal_capacity, config.journal_max_bytes),
            faults: Faults::new(seed),
            engine: EngineState::new(&fixtures.engine, seed, config.ui_event_capacity),
            data_analytics: DataAnalyticsState::new(
                &fixtures.data_analytics,
                seed,
                config.analytics_event_capacity,
            ),
            finicity: FinicityState::new(&fixtures.finicity, seed),
            leadsquared: LeadSquaredState::new(&fixtures.leadsquared, seed),
            settings: Arc::new(settings),
            tenants_created: AtomicU64::new(0),
            current: Mutex::new(Arc::new(fixtures.clone())),
            loaded: Arc::new(fixtures),
        }))
    }

    /// The fixtures in force now.
    pub fn fixtures(&self) -> Arc<Fixtures> {
        self.lock_current().clone()
    }

    /// Merges posted fixtures into those in force and hands each family
    /// it touched its new fixtures; nothing changes when validation fails.
    pub fn merge_fixtures(&self, posted: Posted) -> Result<MergeSummary, FixtureError> {
        let mut current = self.lock_current();
        let (merged, summary) = current.merged(posted)?;
        for family in &summary.families {
            self.install(&merged, *family);
        }
        *current = Arc::new(merged);
        Ok(summary)
    }

    fn install(&self, fixtures: &Fixtures, family: Family) {
        match family {
            Family::Engine => self.engine.install(&fixtures.engine),
            Family::DataAnalytics => self.data_analytics.install(&fixtures.data_analytics),
            Family::Finicity => self.finicity.install(&fixtures.finicity),
            Family::LeadSquared => self.leadsquared.install(&fixtures.leadsquared),
            Family::Admin | Family::Unknown => {}
        }
    }

    fn lock_current(&self) -> MutexGuard<'_, Arc<Fixtures>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Back to the loaded fixtures: merged fixtures and tenants, posted
    /// data, faults, journal and clock all go.
    pub fn reset(&self) {
        {
            let mut current = self.lock_current();
            if current.merges > 0 {
                // Only after merges: rebuilding drops generated caches.
                for family in Family::VENDORS {
                    self.install(&self.loaded, family);
                }
                *current = self.loaded.clone();
            }
        }
        self.tenants_created.store(0, Ordering::Relaxed);
        self.clock.reset();
        self.journal.clear();
        self.faults.reset();
        self.engine.reset();
        self.data_analytics.reset();
        self.finicity.reset();
        self.leadsquared.reset();
    }

    pub fn fixtures_summary(&self) -> String {
        self.fixtures().summary()
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
