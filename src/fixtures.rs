//! The fixture set: one optional JSON file per family, from `--fixtures DIR`
//! or embedded in the binary (the repo's `fixtures/`), so `leadsim` runs from
//! any directory.

use std::path::Path;

use crate::apis::data_analytics::DataAnalyticsScenario;
use crate::apis::data_analytics::fixtures::{self as data_analytics, DataAnalyticsFixtures};
use crate::apis::engine::fixtures::{self as engine, EngineFixtures};
use crate::apis::finicity::fixtures::{self as finicity, FinicityFixtures};
use crate::apis::leadsquared::fixtures::{self as leadsquared, LeadSquaredFixtures};
use crate::shared::family::Family;
use crate::shared::fixtures::{FixtureError, Source, parse, parse_str};

/// The repo's fixtures, compiled in.
const EMBEDDED: &[(&str, &str)] = &[
    (engine::FILE, include_str!("../fixtures/engine.json")),
    (
        data_analytics::FILE,
        include_str!("../fixtures/data_analytics.json"),
    ),
    (finicity::FILE, include_str!("../fixtures/finicity.json")),
    (leadsquared::FILE, include_str!("../fixtures/leadsquared.json")),
];

/// Every family's fixtures, validated.
#[derive(Debug, Clone, Default)]
pub struct Fixtures {
    pub engine: EngineFixtures,
    /// Data Analytics Service events present at start and after each
    /// reset, and customers' settings.
    pub data_analytics: DataAnalyticsScenario,
    pub finicity: FinicityFixtures,
    pub leadsquared: LeadSquaredFixtures,
    /// Where each family's fixtures came from, for the startup line and health.
    pub origins: Vec<String>,
    /// How many `POST /__admin/fixtures` (and tenants) were merged in.
    pub merges: usize,
}

impl Fixtures {
    /// The embedded defaults.
    pub fn embedded() -> Result<Self, FixtureError> {
        Self::load(None)
    }

    /// Files in `dir` replace the embedded file of the same name; a missing
    /// file keeps that family's embedded defaults.
    pub fn load(dir: Option<&Path>) -> Result<Self, FixtureError> {
        if let Some(dir) = dir {
            check_dir(dir)?;
        }
        Self::build(|file| match dir {
            Some(dir) => Source::read(dir, file),
            None => Ok(None),
        })
    }

    /// The file names a fixtures directory may hold.
    pub fn known_files() -> impl Iterator<Item = &'static str> {
        EMBEDDED.iter().map(|(name, _)| *name)
    }

    /// The embedded defaults with some files given as JSON text (tests, tools):
    /// `&[("engine.json", text)]`.
    pub fn with_files(files: &[(&str, &str)]) -> Result<Self, FixtureError> {
        Self::build(|file| {
            Ok(files
                .iter()
                .find(|(name, _)| *name == file)
                .map(|(name, text)| Source {
                    name: format!("(given) {name}"),
                    text: (*text).to_owned(),
                }))
        })
    }

    /// Fixtures from an Engine fixture document given as JSON text.
    pub fn from_engine_json(text: &str) -> Result<Self, FixtureError> {
        Self::with_files(&[(engine::FILE, text)])
    }

    /// Reads each family's file from `override_of` or else the embedded copy.
    fn build(
        override_of: impl Fn(&str) -> Result<Option<Source>, FixtureError>,
    ) -> Result<Self, FixtureError> {
        let source = |file: &str| -> Result<Source, FixtureError> {
            let embedded = EMBEDDED
                .iter()
                .find(|(name, _)| *name == file)
                .map_or("{}", |(_, text)| text);
            Ok(override_of(file)?.unwrap_or_else(|| Source::embedded(file, embedded)))
        };

        let engine_source = source(engine::FILE)?;
        let engine: EngineFixtures = parse(&engine_source)?;
        engine.validate(&engine_source.name)?;

        let analytics_source = source(data_analytics::FILE)?;
        let analytics: DataAnalyticsFixtures = parse(&analytics_source)?;
        data_analytics::validate_customers(&analytics.customers, &analytics_source.name)?;
        let data_analytics = DataAnalyticsScenario {
            events: analytics.events(&analytics_source.name)?,
            customers: analytics.customers,
        };

        let finicity_source = source(finicity::FILE)?;
        let finicity: FinicityFixtures = parse(&finicity_source)?;
        finicity.validate(&finicity_source.name)?;

        let lsq_source = source(leadsquared::FILE)?;
        let leadsquared: LeadSquaredFixtures = parse(&lsq_source)?;
        leadsquared.validate(&lsq_source.name)?;

        Ok(Self {
            origins: vec![
                engine_source.name,
                analytics_source.name,
                finicity_source.name,
                lsq_source.name,
            ],
            merges: 0,
            engine,
            data_analytics,
            finicity,
            leadsquared,
        })
    }

    /// What each family holds and where it came from, on one line.
    pub fn summary(&self) -> String {
        let origin = |i: usize| self.origins.get(i).map_or("?", String::as_str);
        let mut summary = format!(
            "engine: {} companies from {}; data_analytics: {} events from {}; \
             finicity: {} partners, {} customers from {}; leadsquared: {} accounts from {}",
            self.engine.companies.len(),
            origin(0),
            self.data_analytics.events.len(),
            origin(1),
            self.finicity.partners.len(),
            self.finicity.customers.len(),
            origin(2),
            self.leadsquared.accounts.len(),
            origin(3),
        );
        if self.merges > 0 {
            summary.push_str(&format!("; plus {} merged at run time", self.merges));
        }
        summary
    }

    /// These fixtures with `posted` merged in. Every part is checked as
    /// strictly as a file, then the merged whole is checked again. Entries
    /// with the identity of an existing one replace it in place (company
    /// `uuid`, partner `partnerId`, customer `id`, account `accessKey`,
    /// Data Analytics `customerId`); others are appended, and Data
    /// Analytics events are always appended.
    pub fn merged(&self, posted: Posted) -> Result<(Fixtures, MergeSummary), FixtureError> {
        let mut merged = self.clone();
        let mut summary = MergeSummary::default();
        if let Some(engine) = posted.engine {
            let file = posted_file(engine::FILE);
            engine.validate(&file)?;
            for company in engine.companies {
                summary.count(upsert(&mut merged.engine.companies, company, |a, b| {
                    a.uuid == b.uuid
                }));
            }
            summary.families.push(Family::Engine);
        }
        if let Some(analytics) = posted.data_analytics {
            let file = posted_file(data_analytics::FILE);
            data_analytics::validate_customers(&analytics.customers, &file)?;
            let events = analytics.events(&file)?;
            summary.added += events.len();
            merged.data_analytics.events.extend(events);
            for customer in analytics.customers {
                let same = |a: &data_analytics::CustomerFixture, b: &data_analytics::CustomerFixture| {
                    a.customer_id == b.customer_id
                };
                summary.count(upsert(&mut merged.data_analytics.customers, customer, same));
            }
            summary.families.push(Family::DataAnalytics);
        }
        if let Some(posted) = posted.finicity {
            // Posted customers may belong to partners already there.
            let mut check = posted.clone();
            // A set, not a scan per partner: merges stay linear in tenants.
            let posted_ids: std::collections::HashSet<&str> =
                posted.partners.iter().map(|p| p.partner_id.as_str()).collect();
            check.partners.extend(
                merged
                    .finicity
                    .partners
                    .iter()
                    .filter(|known| !posted_ids.contains(known.partner_id.as_str()))
                    .cloned(),
            );
            check.validate(&posted_file(finicity::FILE))?;
            for partner in posted.partners {
                let same =
                    |a: &finicity::PartnerFixture, b: &finicity::PartnerFixture| a.partner_id == b.partner_id;
                summary.count(upsert(&mut merged.finicity.partners, partner, same));
            }
            for customer in posted.customers {
                let same = |a: &finicity::CustomerFixture, b: &finicity::CustomerFixture| a.id == b.id;
                summary.count(upsert(&mut merged.finicity.customers, customer, same));
            }
            summary.families.push(Family::Finicity);
        }
        if let Some(posted) = posted.leadsquared {
            posted.validate(&posted_file(leadsquared::FILE))?;
            for account in posted.accounts {
                let same = |a: &leadsquared::AccountFixture, b: &leadsquared::AccountFixture| {
                    a.access_key == b.access_key
                };
                summary.count(upsert(&mut merged.leadsquared.accounts, account, same));
            }
            summary.families.push(Family::LeadSquared);
        }
        // Conflicts between what was posted and what was there (a token
        // another company uses, say) show up only in the whole.
        let whole = "(posted, merged with the current fixtures)";
        merged.engine.validate(whole)?;
        data_analytics::validate_customers(&merged.data_analytics.customers, whole)?;
        merged.finicity.validate(whole)?;
        merged.leadsquared.validate(whole)?;
        merged.merges += 1;
        Ok((merged, summary))
    }
}

/// Fixtures posted at run time (`POST /__admin/fixtures`):
/// `{"engine": {...}, "finicity": {...}, ...}`, each member exactly what
/// that family's file holds.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Posted {
    #[serde(default)]
    pub engine: Option<EngineFixtures>,
    #[serde(default)]
    pub data_analytics: Option<DataAnalyticsFixtures>,
    #[serde(default)]
    pub finicity: Option<FinicityFixtures>,
    #[serde(default)]
    pub leadsquared: Option<LeadSquaredFixtures>,
}

impl Posted {
    /// Parses a posted document with the files' strictness; errors name
    /// the JSON path from the document (`engine.companies[0].uuid`).
    pub fn parse(body: &[u8]) -> Result<Self, FixtureError> {
        let text = std::str::from_utf8(body)
            .map_err(|_| FixtureError::new(POSTED, ".", "the body is not UTF-8 text"))?;
        let posted: Self = parse_str(POSTED, text)?;
        if posted.engine.is_none()
            && posted.data_analytics.is_none()
            && posted.finicity.is_none()
            && posted.leadsquared.is_none()
        {
            return Err(FixtureError::new(
                POSTED,
                ".",
                "give at least one of engine, data_analytics, finicity, leadsquared",
            ));
        }
        Ok(posted)
    }
}

const POSTED: &str = "(posted)";

fn posted_file(file: &str) -> String {
    format!("(posted) {file}")
}

/// What a merge did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct MergeSummary {
    /// The families the posted document had.
    pub families: Vec<Family>,
    /// Entries appended (events included).
    pub added: usize,
    /// Entries that replaced one with the same identity.
    pub replaced: usize,
}

impl MergeSummary {
    fn count(&mut self, replaced: bool) {
        if replaced {
            self.replaced += 1;
        } else {
            self.added += 1;
        }
    }
}

/// Replaces the entry with `item`'s identity in place, or appends `item`;
/// true when it replaced one. In place matters: families key runtime state
/// (sessions, caches) by position.
fn upsert<T>(list: &mut Vec<T>, item: T, same: impl Fn(&T, &T) -> bool) -> bool {
    match list.iter_mut().find(|existing| same(existing, &item)) {
        Some(existing) => {
            *existing = item;
            true
        }
        None => {
            list.push(item);
            false
        }
    }
}

/// A fixtures directory must exist, and every JSON file in it must be one
/// leadsim reads: a misspelt `engines.json` would otherwise be ignored
/// silently and the embedded defaults served instead. Other files (a
/// README, `.gitkeep`) are left alone.
fn check_dir(dir: &Path) -> Result<(), FixtureError> {
    let name = dir.display().to_string();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(FixtureError::new(
                name,
                ".",
                "the fixtures directory does not exist",
            ));
        }
        Err(_) if dir.exists() && !dir.is_dir() => {
            return Err(FixtureError::new(name, ".", "not a directory"));
        }
        Err(e) => return Err(FixtureError::new(name, ".", format!("cannot be read: {e}"))),
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.ends_with(".json") && !Fixtures::known_files().any(|known| known == file) {
            let known = Fixtures::known_files().collect::<Vec<_>>().join(", ");
            return Err(FixtureError::new(
                entry.path().display().to_string(),
                ".",
                format!("not a fixture file leadsim reads (use {known})"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_fixtures_are_valid() {
        let fixtures = Fixtures::embedded();
        assert!(fixtures.is_ok(), "{:?}", fixtures.err());
        let fixtures = fixtures.unwrap_or_default();
        assert!(
            fixtures
                .engine
                .companies
                .iter()
                .any(|c| c.confidential_token == "demo-confidential-token"
                    && c.publishable_token == "demo-publishable-token")
        );
        assert!(!fixtures.data_analytics.events.is_empty());
    }

    #[test]
    fn a_bad_data_analytics_fixture_names_the_entry_and_field() {
        let text = r#"{"leadAnalytics": [{"created_at": "2020-01-01T00:00:00Z", "customer_id": "c",
            "user_id": "u", "recording_id": "r", "lead_id": 5}]}"#;
        let error = Fixtures::with_files(&[("data_analytics.json", text)]).err();
        assert_eq!(
            error.map(|e| e.to_string()).as_deref(),
            Some("(given) data_analytics.json: leadAnalytics[0].lead_id: lead_id must be a string")
        );
    }

    #[test]
    fn a_bad_finicity_fixture_names_the_entry_and_field() {
        let with_account = |account: &str| {
            format!(
                r#"{{"partners": [{{"partnerId": "p", "partnerSecret": "s", "appKey": "k", "name": "P"}}],
                "customers": [{{"id": "1001", "username": "someone", "type": "business", "accounts": [{account}]}}]}}"#
            )
        };
        let error = |text: &str| {
            Fixtures::with_files(&[("finicity.json", text)])
                .err()
                .map(|e| e.to_string())
        };
        assert_eq!(
            error(&with_account(
                r#"{"id": 1, "type": "checking", "name": "C", "institutionId": 5}"#
            ))
            .as_deref(),
            Some(
                "(given) finicity.json: customers[0].accounts[0].institutionId: unknown institution; use one of 101732, 102105, 102106, 102224"
            )
        );
        assert_eq!(
            error(&with_account(
                r#"{"id": 1, "type": "checking", "name": "C", "number": "12ab"}"#
            ))
            .as_deref(),
            Some("(given) finicity.json: customers[0].accounts[0].number: 4 to 17 digits")
        );
        let profile = error(&with_account(
            r#"{"id": 1, "type": "checking", "name": "C", "profile": "wobbly"}"#,
        ));
        assert!(
            profile
                .as_deref()
                .is_some_and(|e| e.contains("customers[0].accounts[0].profile: unknown variant `wobbly`")),
            "{profile:?}"
        );
        let no_partner = r#"{"customers": [{"id": "1", "username": "someone", "type": "business"}]}"#;
        assert_eq!(
            error(no_partner).as_deref(),
            Some("(given) finicity.json: customers: customers need at least one partner")
        );
        assert!(error(&with_account(r#"{"id": 1, "type": "checking", "name": "C"}"#)).is_none());
    }
}
