//! `AppState`: the control plane's handle on the server: the shared
//! mechanisms (clock, journal, faults) and every family, through
//! [`FamilyApi`]. Vendor handlers never see it; each family's handlers hold
//! only that family's slice.

use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Serialize;

use crate::config::{self, Config};
use crate::fixtures::{Fixtures, Posted};
use crate::shared::clock::Clock;
use crate::shared::family::{Families, Family};
use crate::shared::faults::Faults;
use crate::shared::fixtures::FixtureError;
use crate::shared::journal::Journal;
use crate::shared::plugin::{FamilyApi, FamilyContext, Settings, StagedMerge};
use crate::shared::redaction::Redaction;
use crate::shared::seed::Seed;

/// axum clones the state for every request, so it is one `Arc`.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

#[derive(Debug)]
pub struct Shared {
    pub clock: Clock,
    pub(crate) seed: Seed,
    pub(crate) journal: Journal,
    pub(crate) faults: Faults,
    pub(crate) families: Families,
    /// Where requests carry credentials, for everything that shows them.
    pub(crate) redaction: Arc<Redaction>,
    pub(crate) settings: Arc<ServerSettings>,
    /// Every family, in the registry's order.
    apis: Vec<Arc<dyn FamilyApi>>,
    /// Serializes merges and counts them (and tenants) since start or reset.
    book: Mutex<MergeBook>,
}

/// Process settings the control plane and the shared layers use.
#[derive(Debug, Clone)]
pub(crate) struct ServerSettings {
    /// Browser origins allowed to use the admin API (`--admin-allow-origin`).
    pub(crate) admin_allow_origins: Vec<String>,
    /// The token admin calls must carry (`--admin-token`).
    pub(crate) admin_token: Option<String>,
    /// How long a request body may take to arrive (`--idle-timeout`).
    pub(crate) body_timeout: std::time::Duration,
}

/// What was merged since start or reset.
#[derive(Debug, Default)]
pub struct MergeBook {
    /// `POST /__admin/fixtures` calls and tenant operations merged.
    pub(crate) merges: usize,
    /// Tenants created: numbers their generated credentials.
    pub tenants_created: u64,
}

/// What a merge did.
#[derive(Debug, Default, Clone, Serialize)]
pub(crate) struct MergeSummary {
    /// The families the posted document had.
    pub(crate) families: Vec<Family>,
    /// Entries appended (events included).
    pub(crate) added: usize,
    /// Entries that replaced one with the same identity.
    pub(crate) replaced: usize,
}

impl AppState {
    pub fn new(config: &Config, fixtures: Fixtures) -> Self {
        let families = fixtures.families();
        let seed = Seed::new(config.seed);
        let clock = Clock::starting_at(config.now);
        let redaction = Arc::new(Redaction::of(families));
        let context = FamilyContext {
            clock: clock.clone(),
            seed,
            settings: Arc::new(Settings {
                public_url: config.public_url.clone(),
            }),
            outbound: crate::shared::outbound::Outbound::new(),
        };
        let apis = fixtures
            .iter()
            .map(|(_, plugin, loaded)| (plugin.start)(context.clone(), config, loaded))
            .collect();
        Self(Arc::new(Shared {
            clock,
            seed,
            journal: Journal::new(
                config.journal_capacity,
                config.journal_max_bytes,
                redaction.clone(),
            )
            .keeping_responses(config.journal_responses),
            faults: Faults::new(seed, families, redaction.clone()),
            families,
            redaction,
            settings: Arc::new(ServerSettings {
                admin_allow_origins: config.admin_allow_origins.clone(),
                admin_token: config.admin_token.clone(),
                body_timeout: std::time::Duration::from_secs(config::within(
                    config.idle_timeout,
                    &config::IDLE_TIMEOUT_SECS,
                )),
            }),
            apis,
            book: Mutex::default(),
        }))
    }

    /// Every family, in the registry's order.
    pub(crate) fn apis(&self) -> impl Iterator<Item = &dyn FamilyApi> {
        self.apis.iter().map(|api| &**api)
    }

    /// The vendor family called `name`.
    pub(crate) fn api(&self, family: Family) -> Option<&dyn FamilyApi> {
        self.apis().find(|api| api.family() == family)
    }

    /// A family as its own type (tests and tools reach inside this way).
    pub fn family<T: std::any::Any>(&self) -> Option<&T> {
        self.apis()
            .find_map(|api| (api as &dyn std::any::Any).downcast_ref::<T>())
    }

    /// Holds off other merges (and resets) while a caller stages and
    /// commits one.
    pub fn lock_book(&self) -> MutexGuard<'_, MergeBook> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Merges a posted document: every family's member is checked first,
    /// then all are applied; nothing changes when any check fails.
    pub(crate) fn merge_fixtures(&self, posted: &Posted) -> Result<MergeSummary, FixtureError> {
        let mut book = self.lock_book();
        let mut staged: Vec<Box<dyn StagedMerge + '_>> = Vec::new();
        let mut summary = MergeSummary::default();
        for (family, text) in posted.members() {
            let Some(api) = self.api(family) else { continue };
            staged.push(api.stage(text)?);
            summary.families.push(family);
        }
        for merge in staged {
            let count = merge.commit();
            summary.added += count.added;
            summary.replaced += count.replaced;
        }
        book.merges += 1;
        Ok(summary)
    }

    /// Back to the loaded fixtures: merged fixtures and tenants, posted
    /// data, faults, journal and clock all go.
    pub(crate) fn reset(&self) {
        let mut book = self.lock_book();
        for api in self.apis() {
            api.reset();
        }
        *book = MergeBook::default();
        self.clock.reset();
        self.journal.clear();
        self.faults.reset();
    }

    /// What each family holds and where it came from, on one line.
    pub fn fixtures_summary(&self) -> String {
        let merges = self.lock_book().merges;
        let mut summary = self
            .apis()
            .map(|api| format!("{}: {}", api.family().as_str(), api.summary()))
            .collect::<Vec<_>>()
            .join("; ");
        if merges > 0 {
            summary.push_str(&format!("; plus {merges} merged at run time"));
        }
        summary
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
