//! Engine's bearer tokens. Each company has a confidential token (supply
//! analytics) and a publishable one (UI events). A confidential token is also
//! accepted where a publishable one is, as the vendor's "restricted"
//! publishable scope implies; the reverse is refused.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use uuid::Uuid;

use super::{Engine, EngineCatalog};

use super::error::EngineError;
use super::fixtures::{CompanyFixture, EngineFixtures, ScriptedLead};
use super::models::ProductType;
use crate::shared::persistent;
use crate::shared::rate_limit::{Limit, RateLimitSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Confidential,
    Publishable,
}

/// A partner company as leadsim knows it.
#[derive(Debug)]
pub struct Company {
    /// Position in the fixtures; keys caches.
    pub(crate) index: usize,
    pub name: String,
    pub uuid: Uuid,
    pub(crate) is_test: bool,
    pub(crate) leads_per_day: f64,
    pub(crate) product_mix: BTreeMap<ProductType, f64>,
    pub(crate) event_data: bool,
    pub(crate) scripted_leads: Vec<ScriptedLead>,
    pub(crate) rate_limit: Option<Limit>,
    /// What it was made from: an unchanged entry keeps its company.
    fixture: Arc<CompanyFixture>,
}

impl Company {
    fn new(index: usize, f: &Arc<CompanyFixture>) -> Self {
        Self {
            fixture: f.clone(),
            index,
            name: f.name.clone(),
            uuid: f.uuid,
            is_test: f.is_test,
            leads_per_day: f.leads_per_day,
            product_mix: f.product_mix.clone(),
            event_data: f.event_data,
            scripted_leads: f.leads.clone(),
            rate_limit: f.rate_limit.map(RateLimitSpec::limit),
        }
    }
}

/// Every company, found by token or uuid. Persistent collections: a merge
/// clones them in constant time and updates what it changed.
#[derive(Debug, Default, Clone)]
pub struct Companies {
    all: imbl::Vector<Arc<Company>>,
    by_token: persistent::Map<Arc<str>, (usize, TokenKind)>,
    by_uuid: persistent::Map<Uuid, usize>,
}

impl Companies {
    pub fn from_fixtures(fixtures: &EngineFixtures) -> Self {
        let mut companies = Self::default();
        let all: Vec<usize> = (0..fixtures.companies.len()).collect();
        companies.update(fixtures, &all);
        companies
    }

    /// Takes the entries at `changed` (replaced in place, or appended).
    pub(crate) fn update(&mut self, fixtures: &EngineFixtures, changed: &[usize]) {
        for &i in changed {
            let Some(f) = fixtures.companies.get(i) else {
                continue;
            };
            let company = Arc::new(Company::new(i, f));
            if let Some(old) = self.all.get(i) {
                for token in [&old.fixture.confidential_token, &old.fixture.publishable_token] {
                    if self.by_token.get(token.as_str()).is_some_and(|(at, _)| *at == i) {
                        self.by_token.remove(token.as_str());
                    }
                }
            }
            persistent::put(&mut self.all, i, company);
            self.by_uuid.insert(f.uuid, i);
            self.by_token
                .insert(f.confidential_token.as_str().into(), (i, TokenKind::Confidential));
            self.by_token
                .insert(f.publishable_token.as_str().into(), (i, TokenKind::Publishable));
        }
    }

    /// The position of the company with `uuid`.
    pub(crate) fn index_of(&self, uuid: Uuid) -> Option<usize> {
        self.by_uuid.get(&uuid).copied()
    }

    /// Where `token` is, and whose (either kind).
    pub(crate) fn token_owner(&self, token: &str) -> Option<usize> {
        self.by_token.get(token).map(|(index, _)| *index)
    }

    pub fn all(&self) -> &imbl::Vector<Arc<Company>> {
        &self.all
    }


    /// Whether any company has `token`, of either kind.
    pub(crate) fn has_token(&self, token: &str) -> bool {
        self.by_token.contains_key(token)
    }

    /// The company whose token the request carries, if that token may do `needed`.
    pub(crate) fn authenticate(
        &self,
        headers: &HeaderMap,
        needed: TokenKind,
    ) -> Result<Arc<Company>, EngineError> {
        let token = bearer_token(headers).ok_or(EngineError::MissingToken)?;
        let (index, kind) = self.by_token.get(token).ok_or(EngineError::InvalidToken)?;
        if needed == TokenKind::Confidential && *kind == TokenKind::Publishable {
            return Err(EngineError::TokenNotPermitted);
        }
        self.all.get(*index).cloned().ok_or(EngineError::InvalidToken)
    }

    /// The company a token (either kind) belongs to.
    pub(crate) fn by_token(&self, token: &str) -> Option<&Arc<Company>> {
        let (index, _) = self.by_token.get(token)?;
        self.all.get(*index)
    }

    /// The company for an optional token: `None` when absent or unknown.
    pub(crate) fn identify(&self, headers: &HeaderMap) -> Option<Arc<Company>> {
        let (index, _) = self.by_token.get(bearer_token(headers)?)?;
        self.all.get(*index).cloned()
    }
}

/// A call with a confidential token (supply analytics), within its
/// company's rate limit; checked before the handler runs. Holds the catalog
/// the company was found in, so the handler reads the same snapshot.
pub(crate) struct Confidential {
    pub(crate) catalog: Arc<EngineCatalog>,
    pub(crate) company: Arc<Company>,
}

/// A call with a publishable (or confidential) token (UI events), within
/// its company's rate limit.
pub(crate) struct Publishable {
    pub(crate) company: Arc<Company>,
}

/// Finds the token's company, if it may do `needed`, and counts the call
/// against the company's limit.
fn admit(
    parts: &Parts,
    engine: &Engine,
    needed: TokenKind,
) -> Result<(Arc<EngineCatalog>, Arc<Company>), EngineError> {
    let catalog = engine.engine.catalog();
    let company = catalog.companies.authenticate(&parts.headers, needed)?;
    engine.engine.check_rate(&company, engine.clock.now())?;
    Ok((catalog, company))
}

impl FromRequestParts<Engine> for Confidential {
    type Rejection = EngineError;

    async fn from_request_parts(parts: &mut Parts, engine: &Engine) -> Result<Self, EngineError> {
        let (catalog, company) = admit(parts, engine, TokenKind::Confidential)?;
        Ok(Self { catalog, company })
    }
}

impl FromRequestParts<Engine> for Publishable {
    type Rejection = EngineError;

    async fn from_request_parts(parts: &mut Parts, engine: &Engine) -> Result<Self, EngineError> {
        let (_, company) = admit(parts, engine, TokenKind::Publishable)?;
        Ok(Self { company })
    }
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
