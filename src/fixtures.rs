//! The fixture set: one optional JSON file per family, from `--fixtures DIR`
//! or embedded in the binary (the repo's `fixtures/`), so `leadsim` runs from
//! any directory.

use std::path::Path;

use crate::apis::engine::fixtures::{self as engine, EngineFixtures};
use crate::shared::fixtures::{FixtureError, Source, parse};

/// The repo's fixtures, compiled in.
const EMBEDDED_ENGINE: &str = include_str!("../fixtures/engine.json");

/// Files of families this version does not serve yet; refused rather than
/// silently ignored, so nobody believes a scenario was loaded.
const NOT_YET_SERVED: &[&str] = &["finicity.json", "leadsquared.json", "data_analytics.json"];

/// Every family's fixtures, validated.
#[derive(Debug, Clone, Default)]
pub struct Fixtures {
    pub engine: EngineFixtures,
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
        if let Some(dir) = dir {
            if !dir.is_dir() {
                return Err(FixtureError::new(
                    dir.display().to_string(),
                    ".",
                    "not a directory",
                ));
            }
            for name in NOT_YET_SERVED {
                if let Some(source) = Source::read(dir, name)? {
                    return Err(FixtureError::new(
                        source.name,
                        ".",
                        "this family is not served by this version of leadsim yet",
                    ));
                }
            }
        }
        let source = match dir {
            Some(dir) => Source::read(dir, engine::FILE)?,
            None => None,
        }
        .unwrap_or_else(|| Source::embedded(engine::FILE, EMBEDDED_ENGINE));
        let engine: EngineFixtures = parse(&source)?;
        engine.validate(&source.name)?;
        Ok(Self {
            origins: vec![format!(
                "engine: {} companies from {}",
                engine.companies.len(),
                source.name
            )],
            engine,
        })
    }

    /// Fixtures from an Engine fixture document given as JSON text (tests, tools).
    pub fn from_engine_json(text: &str) -> Result<Self, FixtureError> {
        let name = "(given) engine.json";
        let engine: EngineFixtures = crate::shared::fixtures::parse_str(name, text)?;
        engine.validate(name)?;
        Ok(Self {
            origins: vec![format!(
                "engine: {} companies from {name}",
                engine.companies.len()
            )],
            engine,
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
    }
}
