//! `AppState`: one shared handle on everything the handlers share.

use std::ops::Deref;
use std::sync::Arc;

use crate::apis::data_analytics::DataAnalyticsState;
use crate::apis::engine::EngineState;
use crate::apis::finicity::FinicityState;
use crate::apis::leadsquared::LeadSquaredState;
use crate::config::Config;
use crate::fixtures::Fixtures;
use crate::shared::clock::Clock;
use crate::shared::faults::Faults;
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
    pub fixtures: Arc<Fixtures>,
    pub engine: EngineState,
    pub data_analytics: DataAnalyticsState,
    pub finicity: FinicityState,
    pub leadsquared: LeadSquaredState,
}

/// Process settings handlers may need.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Base for absolute links (`--public-url`); `None`: from request headers.
    pub public_url: Option<String>,
}

impl AppState {
    pub fn new(config: &Config, fixtures: Fixtures) -> Self {
        let settings = Settings {
            public_url: config.public_url.clone(),
        };
        let seed = Seed::new(config.seed);
        Self(Arc::new(Shared {
            clock: Clock::starting_at(config.now),
            seed,
            journal: Journal::new(config.journal_capacity),
            faults: Faults::new(seed),
            engine: EngineState::new(&fixtures.engine, seed, config.ui_event_capacity),
            data_analytics: DataAnalyticsState::new(
                fixtures.data_analytics.clone(),
                seed,
                config.analytics_event_capacity,
            ),
            finicity: FinicityState::new(&fixtures.finicity, seed),
            leadsquared: LeadSquaredState::new(&fixtures.leadsquared, seed),
            settings: Arc::new(settings),
            fixtures: Arc::new(fixtures),
        }))
    }

    /// Back to the loaded fixtures: posted data, faults, journal and clock.
    pub fn reset(&self) {
        self.clock.reset();
        self.journal.clear();
        self.faults.reset();
        self.engine.reset();
        self.data_analytics.reset();
        self.finicity.reset();
        self.leadsquared.reset();
    }

    pub fn fixtures_summary(&self) -> String {
        self.fixtures.summary()
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
