//! The fixture set: one optional JSON file per family, from `--fixtures DIR`
//! or embedded in the binary (the repo's `fixtures/`), so `leadsim` runs from
//! any directory. Each family parses and validates its own file; this module
//! only finds the files and merges posted documents, family by family.

use std::path::Path;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::shared::family::{Families, Family, FamilySpec};
use crate::shared::fixtures::{FixtureError, POSTED, Source};
use crate::shared::plugin::{LoadedFixtures, Plugin};

/// Every family's fixtures, validated.
#[derive(Debug, Clone)]
pub struct Fixtures {
    families: Families,
    loaded: Vec<(Family, LoadedFixtures)>,
}

impl Fixtures {
    /// The embedded defaults.
    pub fn embedded() -> Result<Self, FixtureError> {
        Self::load(None)
    }

    /// Files in `dir` replace the embedded file of the same name; a missing
    /// file keeps that family's embedded defaults.
    pub fn load(dir: Option<&Path>) -> Result<Self, FixtureError> {
        Self::load_for(crate::FAMILIES, dir)
    }

    /// [`Fixtures::load`] for the given families.
    pub(crate) fn load_for(families: Families, dir: Option<&Path>) -> Result<Self, FixtureError> {
        if let Some(dir) = dir {
            check_dir(families, dir)?;
        }
        Self::build(families, |file| match dir {
            Some(dir) => Source::read(dir, file),
            None => Ok(None),
        })
    }

    /// The file names a fixtures directory may hold.
    pub(crate) fn known_files(families: Families) -> impl Iterator<Item = &'static str> {
        families
            .vendors()
            .filter_map(|family| family.spec().plugin.as_ref())
            .map(|plugin| plugin.fixtures_file)
    }

    /// The embedded defaults with some files given as JSON text (tests, tools):
    /// `&[("engine.json", text)]`.
    pub fn with_files(files: &[(&str, &str)]) -> Result<Self, FixtureError> {
        Self::build(crate::FAMILIES, |file| {
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
        Self::with_files(&[("engine.json", text)])
    }

    /// Reads each family's file from `override_of` or else the embedded copy.
    fn build(
        families: Families,
        override_of: impl Fn(&str) -> Result<Option<Source>, FixtureError>,
    ) -> Result<Self, FixtureError> {
        let mut loaded = Vec::new();
        for family in families.vendors() {
            let Some(plugin) = family.spec().plugin.as_ref() else {
                continue;
            };
            let source = override_of(plugin.fixtures_file)?
                .unwrap_or_else(|| Source::embedded(plugin.fixtures_file, plugin.embedded_fixtures));
            loaded.push((family, (plugin.load)(&source)?));
        }
        Ok(Self { families, loaded })
    }

    pub(crate) fn families(&self) -> Families {
        self.families
    }

    /// Each family's loaded fixtures, in the registry's order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Family, &'static Plugin, &LoadedFixtures)> {
        self.loaded.iter().filter_map(|(family, loaded)| {
            let plugin = family.spec().plugin.as_ref()?;
            Some((*family, plugin, loaded))
        })
    }

    /// One family's fixtures as its own type (tests, benches, examples).
    pub fn of<F: std::any::Any + Send + Sync>(&self, spec: &'static FamilySpec) -> Option<std::sync::Arc<F>> {
        let family = Family::of(spec);
        self.loaded
            .iter()
            .find(|(f, _)| *f == family)
            .and_then(|(_, loaded)| loaded.get::<F>())
    }
}

/// A posted fixtures document (`POST /__admin/fixtures`):
/// `{"engine": {...}, "finicity": {...}, ...}`, each member exactly what
/// that family's file holds, kept as text for the family to parse.
#[derive(Debug)]
pub(crate) struct Posted {
    members: Vec<(Family, Box<RawValue>)>,
}

impl Posted {
    /// Splits a posted document into the families' members; errors name
    /// the JSON path from the document.
    pub(crate) fn parse(families: Families, body: &[u8]) -> Result<Self, FixtureError> {
        let text = std::str::from_utf8(body)
            .map_err(|_| FixtureError::new(POSTED, ".", "the body is not UTF-8 text"))?;
        let de = &mut serde_json::Deserializer::from_str(text);
        let members = de.deserialize_map(MembersVisitor { families }).map_err(|e| {
            let message = e.to_string();
            // An unknown or repeated member names itself, as serde
            // names a struct's fields.
            match message.strip_prefix("member ").and_then(|m| m.split_once(": ")) {
                Some((member, reason)) => FixtureError::new(POSTED, member, reason),
                None => FixtureError::new(POSTED, ".", message),
            }
        })?;
        de.end()
            .map_err(|e| FixtureError::new(POSTED, ".", e.to_string()))?;
        if members.is_empty() {
            return Err(FixtureError::new(
                POSTED,
                ".",
                format!("give at least one of {}", families.names(None)),
            ));
        }
        Ok(Self { members })
    }

    /// The families the document has, each with its member's JSON text, in
    /// the registry's order.
    pub(crate) fn members(&self) -> impl Iterator<Item = (Family, &str)> {
        self.members.iter().map(|(family, raw)| (*family, raw.get()))
    }
}

struct MembersVisitor {
    families: Families,
}

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Vec<(Family, Box<RawValue>)>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "an object with members {}", self.families.names(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        use serde::de::Error;
        let mut members: Vec<(Family, Box<RawValue>)> = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            let Some(family) = self.families.vendor(&name) else {
                let expected: Vec<String> = self
                    .families
                    .vendors()
                    .map(|f| format!("`{}`", f.as_str()))
                    .collect();
                return Err(A::Error::custom(format!(
                    "member {name}: unknown field `{name}`, expected one of {}",
                    expected.join(", ")
                )));
            };
            if members.iter().any(|(f, _)| *f == family) {
                return Err(A::Error::custom(format!(
                    "member {name}: duplicate field `{name}`"
                )));
            }
            let member: Box<RawValue> = map.next_value()?;
            // `null` is an absent member, as it was for every family.
            if member.get() != "null" {
                members.push((family, member));
            }
        }
        let order: Vec<Family> = self.families.vendors().collect();
        members.sort_by_key(|(family, _)| order.iter().position(|f| f == family));
        Ok(members)
    }
}

/// A fixtures directory must exist, and every JSON file in it must be one
/// leadsim reads: a misspelt `engines.json` would otherwise be ignored
/// silently and the embedded defaults served instead. Other files (a
/// README, `.gitkeep`) are left alone.
fn check_dir(families: Families, dir: &Path) -> Result<(), FixtureError> {
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
        if Fixtures::known_files(families).any(|known| known == file) {
            continue;
        }
        let known = Fixtures::known_files(families).collect::<Vec<_>>().join(", ");
        let path = entry.path().display().to_string();
        if file.to_ascii_lowercase().ends_with(".json") {
            return Err(FixtureError::new(
                path,
                ".",
                format!("not a fixture file leadsim reads (use {known})"),
            ));
        }
        // `engine.jsn`, `engine.JSON5`, `finicity.json.bak`: meant as a
        // fixture file, and ignored unless said.
        let stem = file.split('.').next().unwrap_or_default().to_ascii_lowercase();
        if let Some(meant) =
            Fixtures::known_files(families).find(|known| known.trim_end_matches(".json") == stem)
        {
            return Err(FixtureError::new(
                path,
                ".",
                format!(
                    "looks like a fixture file but is not named {meant}, so leadsim would not read it; rename it, or move it out of the directory"
                ),
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
        let Ok(fixtures) = fixtures else { return };
        let engine = fixtures.of::<crate::apis::engine::fixtures::EngineFixtures>(&crate::apis::engine::SPEC);
        assert!(engine.is_some_and(|engine| {
            engine.companies.iter().any(|c| {
                c.confidential_token == "demo-confidential-token"
                    && c.publishable_token == "demo-publishable-token"
            })
        }));
        let analytics = fixtures
            .of::<crate::apis::data_analytics::DataAnalyticsScenario>(&crate::apis::data_analytics::SPEC);
        assert!(analytics.is_some_and(|a| !a.events.is_empty()));
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
                "(given) finicity.json: customers[0].accounts[0].institutionId: unknown institution; use a FinBank (101732, 102105, 102106, 102107, 102224) or an id GET /institution/v2/institutions lists"
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
