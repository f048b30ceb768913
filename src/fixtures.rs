//! The fixture set: one optional JSON file per family, from `--fixtures DIR`
//! or embedded in the binary (the repo's `fixtures/`), so `leadsim` runs from
//! any directory.

use std::path::Path;

use crate::apis::data_analytics::fixtures::{self as data_analytics, DataAnalyticsFixtures, SeededEvent};
use crate::apis::engine::fixtures::{self as engine, EngineFixtures};
use crate::apis::finicity::fixtures::{self as finicity, FinicityFixtures};
use crate::apis::leadsquared::fixtures::{self as leadsquared, LeadSquaredFixtures};
use crate::shared::fixtures::{FixtureError, Source, parse};

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
    /// Data Analytics Service events present at start and after each reset.
    pub data_analytics: Vec<SeededEvent>,
    pub finicity: FinicityFixtures,
    pub leadsquared: LeadSquaredFixtures,
    /// Where each family's fixtures came from, for the startup line and health.
    pub origins: Vec<String>,
}

impl Fixtures {
    /// The embedded defaults.
    pub fn embedded() -> Result<Self, FixtureError> {
        Self::load(None)
    }

    /// Files in `dir` replace the embedded file of the same name; a missing
    /// file keeps that family's embedded defaults.
    pub fn load(dir: Option<&Path>) -> Result<Self, FixtureError> {
        if let Some(dir) = dir
            && !dir.is_dir()
        {
            return Err(FixtureError::new(
                dir.display().to_string(),
                ".",
                "not a directory",
            ));
        }
        Self::build(|file| match dir {
            Some(dir) => Source::read(dir, file),
            None => Ok(None),
        })
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
        let data_analytics = analytics.events(&analytics_source.name)?;

        let finicity_source = source(finicity::FILE)?;
        let finicity: FinicityFixtures = parse(&finicity_source)?;
        finicity.validate(&finicity_source.name)?;

        let lsq_source = source(leadsquared::FILE)?;
        let leadsquared: LeadSquaredFixtures = parse(&lsq_source)?;
        leadsquared.validate(&lsq_source.name)?;

        Ok(Self {
            origins: vec![
                format!(
                    "engine: {} companies from {}",
                    engine.companies.len(),
                    engine_source.name
                ),
                format!(
                    "data_analytics: {} events from {}",
                    data_analytics.len(),
                    analytics_source.name
                ),
                format!(
                    "finicity: {} partners, {} customers from {}",
                    finicity.partners.len(),
                    finicity.customers.len(),
                    finicity_source.name
                ),
                format!(
                    "leadsquared: {} accounts from {}",
                    leadsquared.accounts.len(),
                    lsq_source.name
                ),
            ],
            engine,
            data_analytics,
            finicity,
            leadsquared,
        })
    }

    pub fn summary(&self) -> String {
        self.origins.join("; ")
    }
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
        assert!(!fixtures.data_analytics.is_empty());
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
