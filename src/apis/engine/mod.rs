//! Engine by MoneyLion: supply analytics over simulated lead funnels,
//! version 1 (hourly cursor windows) and version 3 (`API-Version:
//! 2025-04-01`, paged by ingestion time) side by side, and UI events (offer
//! displays, session inits, the pixel GIF).

pub(crate) mod admin;
pub(crate) mod auth;
pub(crate) mod carousel;
pub(crate) mod error;
pub(crate) mod fixtures;
pub(crate) mod generator;
pub(crate) mod institutions;
pub mod lead_ids;
pub(crate) mod marketplace;
pub(crate) mod models;
pub(crate) mod pagination_token;
pub(crate) mod supply_analytics;
pub(crate) mod supply_analytics_v3;
pub(crate) mod ui_events;
pub(crate) mod ui_store;
pub(crate) mod windows;
pub(crate) mod wire;

use std::ops::Deref;
use std::sync::Arc;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::config::Config;
use crate::shared::admin::AdminError;
use crate::shared::clock::Clock;
use crate::shared::family::{CredentialNames, Family, FamilySpec};
use crate::shared::fixtures::{Commit, FixtureError, FixtureSet, Source, parse, parse_posted, posted_file};
use crate::shared::persistent;
use crate::shared::plugin::{
    FamilyApi, FamilyContext, LoadedFixtures, MergeCount, Plugin, Settings, StagedMerge, Tenant,
    TenantRequest,
};
use crate::shared::budget::ResponseBudget;
use crate::shared::rate_limit::{RateLimitSpec, RateLimiter};
use crate::shared::routes::Routes;
use crate::shared::seed::Seed;
use auth::{Companies, Company};
use error::EngineError;
use fixtures::{CompanyFixture, EngineFixtures};
use lead_ids::CompanyTag;
use ui_store::UiEvents;
use windows::Windows;

/// Engine's facts, for the shared mechanisms. Tokens travel as
/// `Authorization: Bearer`, which every family's journal redacts.
pub static SPEC: FamilySpec = FamilySpec {
    name: "engine",
    prefixes: &[
        "/supplyAnalytics/",
        "/uiEvent/",
        "/leads/",
        "/originator/",
        "/approvalProbability/",
        "/offerPreview/",
        "/uiUtil/",
        "/ref/",
        "/network/",
        "/offerSearches",
    ],
    // What a lead says about the person is PII: hidden like secrets
    // wherever requests are shown (names, emails, phones and `ssn` are
    // every family's, in `PERSONAL_MEMBERS`).
    credentials: CredentialNames {
        // The carousel's configuration hands out the publishable token.
        secret_members: &["publicToken"],
        personal_members: &[
            "dateOfBirth",
            "annualIncome",
            "monthlyNetIncome",
            "additionalIncome",
            "bankAccountNumber",
            "bankRoutingNumber",
            "driversLicenseNumber",
            "idNumber",
        ],
        ..CredentialNames::NONE
    },
    framework_error: error::framework_error,
    openapi: &[
        ("engine", include_str!("../../../openapi/engine.yaml")),
        ("engine-v3", include_str!("../../../openapi/engine-v3.yaml")),
        ("engine-marketplace", include_str!("../../../openapi/engine-marketplace.yaml")),
        ("engine-offer-searches", include_str!("../../../openapi/engine-offer-searches.yaml")),
    ],
    plugin: Some(Plugin {
        fixtures_file: fixtures::FILE,
        embedded_fixtures: include_str!("../../../fixtures/engine.json"),
        load: load_fixtures,
        start,
        // Tokens are one namespace: a confidential token may not be
        // another company's publishable one.
        tenant_credentials: &["confidentialToken", "publishableToken"],
        unique_credentials: &["confidentialToken", "publishableToken"],
    }),
};

pub(crate) const FAMILY: Family = Family::of(&SPEC);

fn load_fixtures(source: &Source) -> Result<LoadedFixtures, FixtureError> {
    let fixtures: EngineFixtures = parse(source)?;
    fixtures.validate(&source.name)?;
    Ok(LoadedFixtures::new(source.name.clone(), fixtures))
}

fn start(ctx: FamilyContext, config: &Config, loaded: &LoadedFixtures) -> Arc<dyn FamilyApi> {
    let fixtures = loaded.get::<EngineFixtures>().unwrap_or_default();
    Arc::new(Engine::new(
        ctx,
        config.ui_event_capacity,
        loaded.origin.clone(),
        fixtures,
    ))
}

/// Engine's slice of the server, what its handlers hold: the shared
/// context and Engine's own state, nothing of other families.
#[derive(Debug, Clone)]
pub struct Engine(Arc<EngineShared>);

#[derive(Debug)]
pub struct EngineShared {
    pub(crate) clock: Clock,
    pub(crate) seed: Seed,
    pub(crate) settings: Arc<Settings>,
    pub engine: EngineState,
    fixtures: FixtureSet<EngineFixtures>,
}

impl Deref for Engine {
    type Target = EngineShared;

    fn deref(&self) -> &EngineShared {
        &self.0
    }
}

impl Engine {
    pub(crate) fn new(
        ctx: FamilyContext,
        ui_capacity: usize,
        origin: String,
        fixtures: Arc<EngineFixtures>,
    ) -> Self {
        Self(Arc::new(EngineShared {
            engine: EngineState::new(&fixtures, ctx.seed, ui_capacity),
            clock: ctx.clock,
            seed: ctx.seed,
            settings: ctx.settings,
            fixtures: FixtureSet::new(origin, fixtures),
        }))
    }

    /// Checks `posted` against the fixtures in force; merges on commit.
    /// Entries with a known uuid replace that company in place, others
    /// are appended. The cost follows what was posted: conflicts are
    /// looked up in the catalog's indices rather than by validating the
    /// whole again.
    fn stage_fixtures(&self, posted: EngineFixtures) -> Result<Box<dyn StagedMerge + '_>, FixtureError> {
        posted.validate(&posted_file(fixtures::FILE))?;
        let catalog = self.engine.catalog();
        let mut merged = (*self.fixtures.current()).clone();
        let mut count = MergeCount::default();
        let mut placed = Vec::with_capacity(posted.companies.len());
        for company in posted.companies {
            let existing = catalog.companies.index_of(company.uuid);
            let index = persistent::place(&mut merged.companies, existing, company.clone(), &mut count);
            placed.push((index, company));
        }
        if catalog.conflicts(&placed) {
            // Conflicts with what was there (a token another company
            // uses) are reported as the whole's validation names them.
            merged.validate("(posted, merged with the current fixtures)")?;
        }
        let changed: Vec<usize> = placed.iter().map(|(index, _)| *index).collect();
        Ok(Box::new(Commit::new(count, move || {
            self.engine.install_changes(&merged, &changed);
            self.fixtures.replace(Arc::new(merged));
        })))
    }

    /// Merges replace entries in place and append new ones, so the entries
    /// loaded at start are the first ones, wherever they were replaced.
    fn tenant_of(&self, position: usize, company: &CompanyFixture) -> Tenant {
        Tenant {
            family: FAMILY,
            id: company.uuid.to_string(),
            name: company.name.clone(),
            credentials: json!({
                "confidentialToken": company.confidential_token,
                "publishableToken": company.publishable_token,
            }),
            rate_limit: company.rate_limit,
            origin: Tenant::origin(position < self.fixtures.loaded().companies.len()),
        }
    }

    /// Where the company a tenant id names is; the id is the uuid as
    /// listings show it (lower-case, hyphenated), nothing else.
    fn company_index(&self, id: &str) -> Option<usize> {
        let uuid = Uuid::parse_str(id).ok().filter(|uuid| uuid.to_string() == id)?;
        self.engine.catalog().companies.index_of(uuid)
    }
}

impl FamilyApi for Engine {
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
        let companies = crate::shared::count(self.fixtures.current().companies.len(), "company", "companies");
        format!("{companies} from {}", self.fixtures.origin)
    }

    fn stage(&self, posted: &str) -> Result<Box<dyn StagedMerge + '_>, FixtureError> {
        self.stage_fixtures(parse_posted(SPEC.name, posted)?)
    }

    fn reset(&self) {
        if let Some(loaded) = self.fixtures.restore() {
            // Only after merges: rebuilding drops generated caches.
            self.engine.install(&loaded);
        }
        self.engine.reset();
    }

    fn tenants(&self) -> Vec<Tenant> {
        let current = self.fixtures.current();
        current
            .companies
            .iter()
            .enumerate()
            .map(|(position, c)| self.tenant_of(position, c))
            .collect()
    }

    fn tenant(&self, id: &str) -> Option<Tenant> {
        let index = self.company_index(id)?;
        Some(self.tenant_of(index, self.fixtures.current().companies.get(index)?))
    }

    fn credential_taken(&self, _name: &str, value: &str) -> bool {
        self.engine.catalog().companies.has_token(value)
    }

    fn stage_tenant(
        &self,
        mut request: TenantRequest<'_>,
    ) -> Result<(String, Box<dyn StagedMerge + '_>), AdminError> {
        let uuid = self.seed.uuid("tenants.company", request.number);
        let company = CompanyFixture {
            confidential_token: request.credential("confidentialToken", "conf_", 32)?,
            publishable_token: request.credential("publishableToken", "pub_", 32)?,
            rate_limit: request.rate_limit_or(None),
            ..CompanyFixture::new(request.name, uuid)
        };
        let staged = self
            .stage_fixtures(EngineFixtures {
                companies: imbl::vector![Arc::new(company)],
            })
            .map_err(|e| AdminError::bad_request(e.to_string()))?;
        Ok((uuid.to_string(), staged))
    }

    fn stage_rate_limit(&self, id: &str, limit: Option<RateLimitSpec>) -> Option<Box<dyn StagedMerge + '_>> {
        let index = self.company_index(id)?;
        let mut company = self.fixtures.current().companies.get(index)?.as_ref().clone();
        company.rate_limit = limit;
        self.stage_fixtures(EngineFixtures {
            companies: imbl::vector![Arc::new(company)],
        })
        .ok()
    }
}

pub(crate) fn routes() -> Routes<Engine> {
    Routes::new(FAMILY)
        .get("/supplyAnalytics/leadEvents", supply_analytics::lead_events)
        .get("/supplyAnalytics/leadPayouts", supply_analytics::lead_payouts)
        .get(
            "/supplyAnalytics/leadClientTags",
            supply_analytics::lead_client_tags,
        )
        .get(
            "/supplyAnalytics/leadsInfo/{leadUuid}",
            supply_analytics_v3::leads_info,
        )
        .post("/uiEvent/offerDisplays", ui_events::create_offer_display)
        .post("/uiEvent/sessionInits", ui_events::create_session_init)
        .get(
            "/uiEvent/offerDisplays/{leadUuid}/{rateTableUuid}/{offerUuid}/pixel.gif",
            ui_events::pixel,
        )
        .post("/leads/rateTables", marketplace::leads::submit_lead)
        .post("/leads/{leadUuid}/rateTables", marketplace::leads::rate_table_for_lead)
        .get("/originator/rateTables/{uuid}", marketplace::leads::get_rate_table)
        .get("/leads/{uuid}", marketplace::leads::get_lead)
        .patch("/leads/{uuid}", marketplace::leads::update_lead)
        .get("/ref/{offerUuid}", marketplace::leads::follow_offer)
        .get("/ref/{offerUuid}/landing", marketplace::leads::landing)
        .post("/originator/prefills", marketplace::reference::create_prefill)
        .get("/originator/prefills/{prefillToken}", marketplace::reference::get_prefill)
        .post("/approvalProbability/loanReports", marketplace::reference::create_loan_report)
        .get("/approvalProbability/loanReports/{uuid}", marketplace::reference::get_loan_report)
        .get("/offerPreview/loanOffers", marketplace::reference::preview_loans)
        .get("/offerPreview/creditCardOffers", marketplace::reference::preview_cards)
        .get("/offerPreview/savingsOffers", marketplace::reference::preview_savings)
        .get("/leads/universities", marketplace::reference::universities)
        .get("/leads/vehicles/years", marketplace::reference::vehicle_years)
        .get("/leads/vehicles/makes", marketplace::reference::vehicle_makes)
        .get("/leads/vehicles/models", marketplace::reference::vehicle_models)
        .get("/leads/vehicles/trims", marketplace::reference::vehicle_trims)
        .get(
            "/uiUtil/featuredFinancialInstitutions",
            marketplace::reference::featured_institutions,
        )
        .get("/network/{channel}/{zone}/api/configuration", carousel::configuration)
        .get("/leads/public/channelOffers", marketplace::offer_searches::channel_offers)
        .post("/leads/{leadUuid}/offerSearches", marketplace::offer_searches::create_for_lead)
        .post("/offerSearches", marketplace::offer_searches::create)
        .get("/offerSearches/{uuid}", marketplace::offer_searches::get)
}

/// Routes nested under `/__admin/engine`.
pub(crate) fn admin_routes() -> Routes<Engine> {
    Routes::new(Family::ADMIN)
        .get("/offerDisplays", admin::offer_displays)
        .get("/sessionInits", admin::session_inits)
        .get("/leads", admin::submitted_leads)
}

/// Engine's share of the application state.
#[derive(Debug)]
pub struct EngineState {
    /// What the fixtures define; replaced whole when fixtures are merged at run time.
    catalog: ArcSwap<EngineCatalog>,
    pub(crate) ui: UiEvents,
    /// Leads partners submitted; outlives catalog swaps (windows read it).
    pub(crate) marketplace: Arc<marketplace::Marketplace>,
    /// Per-company limits, keyed by company uuid; outlives catalog swaps.
    pub(crate) limiter: RateLimiter,
    /// Bytes of large pages in flight (v1 windows, v3 pages), bounded.
    pub(crate) responses: ResponseBudget,
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
/// Persistent maps, so a merge copies them in constant time.
#[derive(Debug, Default, Clone)]
struct LeadOwners {
    scripted: persistent::Map<Uuid, Uuid>,
    tags: persistent::Map<CompanyTag, Uuid>,
}

impl EngineCatalog {
    fn new(fixtures: &EngineFixtures, seed: Seed, submitted: &Arc<marketplace::Marketplace>) -> Self {
        let companies = Companies::from_fixtures(fixtures);
        let windows = Windows::with_submitted(seed, &companies, submitted.clone());
        let all: Vec<usize> = (0..companies.all().len()).collect();
        Self::assemble(companies, windows, LeadOwners::default(), &all)
    }

    /// This catalog after the companies at `changed` were replaced in place
    /// or appended: the rest is copied (pointers), not derived again, so a
    /// merge costs what it changed, not what exists.
    fn with_changes(&self, fixtures: &EngineFixtures, changed: &[usize]) -> Self {
        let mut companies = (*self.companies).clone();
        let mut owners = self.lead_owners.clone();
        for &i in changed {
            if let Some(old) = companies.all().get(i) {
                for lead in &old.scripted_leads {
                    owners.scripted.remove(&lead.uuid);
                }
            }
        }
        companies.update(fixtures, changed);
        let windows = self.windows.with_changes(&companies, changed);
        Self::assemble(companies, windows, owners, changed)
    }

    fn assemble(companies: Companies, windows: Windows, mut owners: LeadOwners, changed: &[usize]) -> Self {
        for &i in changed {
            let (Some(company), Some(tag)) = (companies.all().get(i), windows.tag(i)) else {
                continue;
            };
            owners.tags.insert(tag, company.uuid);
            for lead in &company.scripted_leads {
                owners.scripted.insert(lead.uuid, company.uuid);
            }
        }
        Self {
            windows: Arc::new(windows),
            companies: Arc::new(companies),
            lead_owners: owners,
        }
    }

    /// Whether taking `posted` at `positions` would give a token or a
    /// scripted lead two owners (then the whole is validated, for the
    /// error that names them).
    fn conflicts(&self, posted: &[(usize, Arc<CompanyFixture>)]) -> bool {
        posted.iter().any(|(i, company)| {
            auth::tokens(company).any(|(t, _, _)| self.companies.token_owner(t).is_some_and(|at| at != *i))
                || company.leads.iter().any(|lead| {
                    self.lead_owners
                        .scripted
                        .get(&lead.uuid)
                        .is_some_and(|owner| *owner != company.uuid)
                })
        })
    }

    /// Whether a lead with this uuid exists by `now`: scripted, generated
    /// (looked up in its creation hour) or submitted.
    pub(crate) fn lead_exists(&self, lead: Uuid, now: DateTime<Utc>) -> bool {
        if self.lead_owners.scripted.contains_key(&lead) || self.windows.submitted().owner(lead).is_some() {
            return true;
        }
        let Some(owner) = self.lead_owners.tags.get(&lead_ids::tag_of(lead)) else {
            return false;
        };
        let company = self.companies.index_of(*owner).and_then(|i| self.companies.all().get(i).cloned());
        company.is_some_and(|company| self.windows.lead(&company, lead, now).is_some())
    }

    /// The company a lead belongs to, if leadsim made or was given that
    /// lead, or a partner submitted it.
    ///
    /// A submitted lead belongs to who submitted it, whatever its uuid says:
    /// a client may choose a uuid that decodes to another company's tag, so
    /// the tag is read only for leads nobody submitted. (The marketplace
    /// answers without its lock while it holds no lead, which keeps the
    /// pixel's common path lock-free.)
    pub fn owner_of_lead(&self, lead: Uuid) -> Option<Uuid> {
        self.lead_owners
            .scripted
            .get(&lead)
            .copied()
            .or_else(|| self.windows.submitted().owner(lead))
            .or_else(|| self.lead_owners.tags.get(&lead_ids::tag_of(lead)).copied())
    }
}

impl EngineState {
    pub(crate) fn new(fixtures: &EngineFixtures, seed: Seed, ui_capacity: usize) -> Self {
        let marketplace = Arc::new(marketplace::Marketplace::new(seed));
        Self {
            catalog: ArcSwap::from_pointee(EngineCatalog::new(fixtures, seed, &marketplace)),
            ui: UiEvents::new(ui_capacity, seed),
            marketplace,
            limiter: RateLimiter::default(),
            responses: ResponseBudget::default(),
            seed,
        }
    }

    /// The current catalog; cheap, and consistent for as long as it is held.
    pub fn catalog(&self) -> Arc<EngineCatalog> {
        self.catalog.load_full()
    }

    /// The current catalog for a short, synchronous look (the pixel): no
    /// reference-count traffic, but not to be held across an `.await`.
    pub(crate) fn peek(&self) -> arc_swap::Guard<Arc<EngineCatalog>> {
        self.catalog.load()
    }

    /// Replaces the catalog (a reset). Windows are regenerated on demand:
    /// they are a function of the fixtures.
    pub(crate) fn install(&self, fixtures: &EngineFixtures) {
        self.catalog
            .store(Arc::new(EngineCatalog::new(fixtures, self.seed, &self.marketplace)));
    }

    /// Takes merged fixtures whose companies at `changed` are new or replaced.
    pub(crate) fn install_changes(&self, fixtures: &EngineFixtures, changed: &[usize]) {
        let next = self.catalog.load().with_changes(fixtures, changed);
        self.catalog.store(Arc::new(next));
    }

    /// Counts a call against the company's limit, if it has one.
    pub(crate) fn check_rate(&self, company: &Company, now: DateTime<Utc>) -> Result<(), EngineError> {
        let mut key = Uuid::encode_buffer();
        let key = company.uuid.hyphenated().encode_lower(&mut key);
        self.limiter
            .admit(key, company.rate_limit, now)
            .map_err(EngineError::RateLimited)
    }

    /// Forgets everything clients posted.
    pub(crate) fn reset(&self) {
        self.ui.clear();
        self.marketplace.clear();
        self.limiter.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn company(n: u8, tokens: (&str, &str), leads: &[Uuid]) -> Arc<CompanyFixture> {
        let leads = leads
            .iter()
            .map(|uuid| {
                serde_json::from_value(json!({
                    "uuid": uuid, "createdAt": "2020-01-01T00:00:00Z", "productType": "loan"
                }))
                .unwrap_or_else(|e| panic!("{e}"))
            })
            .collect();
        Arc::new(CompanyFixture {
            confidential_token: tokens.0.to_owned(),
            publishable_token: tokens.1.to_owned(),
            leads,
            ..CompanyFixture::new(format!("C{n}"), Uuid::from_u128(u128::from(n)))
        })
    }

    /// What a catalog answers, in a form two catalogs can be compared by.
    fn answers(catalog: &EngineCatalog, tokens: &[&str], leads: &[Uuid]) -> Vec<String> {
        let companies = &catalog.companies;
        let mut seen: Vec<String> = companies
            .all()
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{i} {} {} {:?}", c.uuid, c.name, catalog.windows.tag(i)))
            .collect();
        seen.extend(
            tokens
                .iter()
                .map(|t| format!("{t} -> {:?}", companies.token_owner(t))),
        );
        seen.extend(
            leads
                .iter()
                .map(|l| format!("{l} -> {:?}", catalog.owner_of_lead(*l))),
        );
        seen
    }

    #[test]
    fn a_catalog_updated_in_place_answers_as_one_built_whole() {
        let seed = Seed::new(3);
        let lead = |n: u128| Uuid::from_u128(1000 + n);
        let mut fixtures = EngineFixtures {
            companies: imbl::vector![
                company(1, ("a1", "b1"), &[lead(1)]),
                company(2, ("a2", "b2"), &[])
            ],
        };
        let submitted = Arc::new(marketplace::Marketplace::new(seed));
        let mut catalog = EngineCatalog::new(&fixtures, seed, &submitted);
        let tokens = ["a1", "b1", "a2", "b2", "a3", "b3", "x1", "x2"];
        let leads = [lead(1), lead(2), lead(3)];
        // Each step: (position, replacement or new entry).
        let steps = [
            vec![(2, company(3, ("a3", "b3"), &[lead(2)]))],
            vec![(0, company(1, ("x1", "b1"), &[lead(3)]))],
            vec![
                (1, company(2, ("b3", "a2"), &[])),
                (2, company(3, ("a3", "x2"), &[lead(2)])),
            ],
        ];
        for step in steps {
            let changed: Vec<usize> = step.iter().map(|(i, _)| *i).collect();
            for (i, entry) in step {
                match fixtures.companies.get_mut(i) {
                    Some(old) => *old = entry,
                    None => fixtures.companies.push_back(entry),
                }
            }
            catalog = catalog.with_changes(&fixtures, &changed);
            let whole = EngineCatalog::new(&fixtures, seed, &submitted);
            assert_eq!(
                answers(&catalog, &tokens, &leads),
                answers(&whole, &tokens, &leads)
            );
        }
        // The replaced company's old token and lead are gone, not shadowed.
        assert_eq!(catalog.companies.token_owner("a1"), None);
        assert_eq!(catalog.owner_of_lead(lead(1)), None);
    }
}
