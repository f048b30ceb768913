//! Engine's bearer tokens. Each company has a confidential token (supply
//! analytics) and a publishable one (UI events). A confidential token is also
//! accepted where a publishable one is, as the vendor's "restricted"
//! publishable scope implies; the reverse is refused.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::marketplace::store::Viewer;
use super::{Engine, EngineCatalog};

use super::error::EngineError;
use super::fixtures::{
    CarouselFixture, CompanyFixture, DEFAULT_HISTORY_START, EngineFixtures, LEADS_INFO_LIMIT, ScriptedLead, V3_PAGE_LIMIT,
};
use super::models::{ProductType, SubAccountName};
use crate::shared::persistent;
use crate::shared::rate_limit::{Limit, RateLimitSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Confidential,
    Publishable,
}

/// What a confidential token sees: its whole company, or one supply
/// sub-account (an integration's own token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scope {
    Company,
    SubAccount(u16),
}

impl Scope {
    /// Whether a record of sub-account `index` is visible.
    pub(crate) fn sees(self, sub_account: u16) -> bool {
        match self {
            Scope::Company => true,
            Scope::SubAccount(own) => own == sub_account,
        }
    }
}

/// A company's supply sub-account.
#[derive(Debug, Clone)]
pub(crate) struct SubAccount {
    pub(crate) uuid: Uuid,
    pub(crate) name: String,
    pub(crate) share: f64,
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
    /// Generated leads exist from here on.
    pub(crate) history_start: DateTime<Utc>,
    /// Never empty: one named after the company when the fixtures give none.
    pub(crate) sub_accounts: Vec<SubAccount>,
    pub(crate) v3_page_limit: u32,
    pub(crate) leads_info_limit: u32,
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
            history_start: f.history_start.map_or_else(default_history_start, |t| t.0),
            sub_accounts: sub_accounts(f),
            v3_page_limit: f.v3_page_limit.unwrap_or(V3_PAGE_LIMIT),
            leads_info_limit: f.leads_info_limit.unwrap_or(LEADS_INFO_LIMIT),
        }
    }

    /// The sub-account a generated lead belongs to: drawn by share from a
    /// hash of its uuid, so it needs no storage and no random stream.
    pub(crate) fn sub_account_of(&self, lead: Uuid) -> u16 {
        if self.sub_accounts.len() < 2 {
            return 0;
        }
        let total: f64 = self.sub_accounts.iter().map(|s| s.share).sum();
        let bits = u64::from_le_bytes(lead.as_bytes()[8..16].try_into().unwrap_or_default());
        let mut roll = (bits >> 11) as f64 / (1u64 << 53) as f64 * total;
        for (i, sub) in self.sub_accounts.iter().enumerate() {
            if roll < sub.share {
                return i as u16;
            }
            roll -= sub.share;
        }
        (self.sub_accounts.len() - 1) as u16
    }

    /// How records name the sub-account at `index` (the company's first
    /// when the index is not one of its own).
    pub(crate) fn sub_account_name(&self, index: u16) -> SubAccountName<'_> {
        self.sub_accounts
            .get(usize::from(index))
            .or_else(|| self.sub_accounts.first())
            .map_or(SubAccountName { uuid: Uuid::nil(), name: "" }, |sub| SubAccountName {
                uuid: sub.uuid,
                name: &sub.name,
            })
    }

    /// The sub-account a scripted lead names (its first when it names none).
    pub(crate) fn scripted_sub_account(&self, lead: &ScriptedLead) -> u16 {
        lead.supply_sub_account_uuid
            .and_then(|uuid| self.sub_accounts.iter().position(|s| s.uuid == uuid))
            .map_or(0, |i| i as u16)
    }

    /// The token the carousel's context hands out for Engine calls.
    pub(crate) fn publishable_token(&self) -> &str {
        &self.fixture.publishable_token
    }

    /// The offer carousel settings of sub-account `index`: the company's
    /// entry, then the sub-account's (first to last).
    pub(crate) fn carousel(&self, index: u16) -> Vec<&CarouselFixture> {
        let sub = self.fixture.supply_sub_accounts.get(usize::from(index)).and_then(|s| s.carousel.as_ref());
        self.fixture.carousel.iter().chain(sub).collect()
    }

    /// Where this company's feeds begin: generated history, or an earlier
    /// scripted lead.
    pub(crate) fn start_of_records(&self) -> DateTime<Utc> {
        self.scripted_leads
            .iter()
            .map(|l| l.created_at.0)
            .fold(self.history_start, DateTime::min)
    }
}

fn default_history_start() -> DateTime<Utc> {
    crate::shared::time::parse_rfc3339(DEFAULT_HISTORY_START).unwrap_or_default()
}

fn sub_accounts(f: &CompanyFixture) -> Vec<SubAccount> {
    if f.supply_sub_accounts.is_empty() {
        // Stable across seeds and restarts: derived from the company alone.
        return vec![SubAccount {
            uuid: Uuid::new_v5(&f.uuid, b"supplySubAccount"),
            name: f.name.clone(),
            share: 1.0,
        }];
    }
    f.supply_sub_accounts
        .iter()
        .map(|s| SubAccount {
            uuid: s.uuid,
            name: s.name.clone(),
            share: s.share,
        })
        .collect()
}

/// Every company, found by token or uuid. Persistent collections: a merge
/// clones them in constant time and updates what it changed.
#[derive(Debug, Default, Clone)]
pub struct Companies {
    all: imbl::Vector<Arc<Company>>,
    by_token: persistent::Map<Arc<str>, (usize, TokenKind, Scope)>,
    by_uuid: persistent::Map<Uuid, usize>,
    /// Supply sub-accounts (channels) by uuid: company and position.
    by_sub_account: persistent::Map<Uuid, (usize, u16)>,
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
                for (token, _, _) in tokens(&old.fixture) {
                    if self.by_token.get(token).is_some_and(|(at, _, _)| *at == i) {
                        self.by_token.remove(token);
                    }
                }
            }
            if let Some(old) = self.all.get(i) {
                for sub in &old.sub_accounts {
                    if self.by_sub_account.get(&sub.uuid).is_some_and(|(at, _)| *at == i) {
                        self.by_sub_account.remove(&sub.uuid);
                    }
                }
            }
            for (s, sub) in company.sub_accounts.iter().enumerate() {
                self.by_sub_account.insert(sub.uuid, (i, s as u16));
            }
            persistent::put(&mut self.all, i, company);
            self.by_uuid.insert(f.uuid, i);
            for (token, kind, scope) in tokens(f) {
                self.by_token.insert(token.into(), (i, kind, scope));
            }
        }
    }

    /// The position of the company with `uuid`.
    pub(crate) fn index_of(&self, uuid: Uuid) -> Option<usize> {
        self.by_uuid.get(&uuid).copied()
    }

    /// Where `token` is, and whose (either kind).
    pub(crate) fn token_owner(&self, token: &str) -> Option<usize> {
        self.by_token.get(token).map(|(index, _, _)| *index)
    }

    pub fn all(&self) -> &imbl::Vector<Arc<Company>> {
        &self.all
    }


    /// The company and position of the supply sub-account `uuid`.
    pub(crate) fn sub_account(&self, uuid: Uuid) -> Option<(Arc<Company>, u16)> {
        let (index, sub) = self.by_sub_account.get(&uuid)?;
        Some((self.all.get(*index)?.clone(), *sub))
    }

    /// Whether any company has `token`, of either kind.
    pub(crate) fn has_token(&self, token: &str) -> bool {
        self.by_token.contains_key(token)
    }

    /// The company whose token the request carries, and what the token
    /// sees, if that token may do `needed`.
    pub(crate) fn authenticate(
        &self,
        headers: &HeaderMap,
        needed: TokenKind,
    ) -> Result<(Arc<Company>, Scope), EngineError> {
        let token = bearer_token(headers).ok_or(EngineError::MissingToken)?;
        let (index, kind, scope) = self.by_token.get(token).ok_or(EngineError::InvalidToken)?;
        if needed == TokenKind::Confidential && *kind == TokenKind::Publishable {
            return Err(EngineError::TokenNotPermitted);
        }
        let company = self.all.get(*index).cloned().ok_or(EngineError::InvalidToken)?;
        Ok((company, *scope))
    }

    /// The company a token (either kind) belongs to.
    pub(crate) fn by_token(&self, token: &str) -> Option<&Arc<Company>> {
        let (index, _, _) = self.by_token.get(token)?;
        self.all.get(*index)
    }

    /// The company for an optional token: `None` when absent or unknown.
    pub(crate) fn identify(&self, headers: &HeaderMap) -> Option<Arc<Company>> {
        let (index, _, _) = self.by_token.get(bearer_token(headers)?)?;
        self.all.get(*index).cloned()
    }
}

/// A call with a confidential token (supply analytics), within its
/// company's rate limit; checked before the handler runs. Holds the catalog
/// the company was found in, so the handler reads the same snapshot.
pub(crate) struct Confidential {
    pub(crate) catalog: Arc<EngineCatalog>,
    pub(crate) company: Arc<Company>,
    pub(crate) scope: Scope,
}

/// A call with a publishable (or confidential) token (UI events), within
/// its company's rate limit.
pub(crate) struct Publishable {
    pub(crate) company: Arc<Company>,
    /// A supply sub-account's confidential token, taken here, keeps its scope.
    pub(crate) scope: Scope,
}

impl Scope {
    /// The sub-account a scope is limited to, if any.
    pub(crate) fn sub_account(self) -> Option<u16> {
        match self {
            Scope::Company => None,
            Scope::SubAccount(own) => Some(own),
        }
    }

    /// What `company`'s token of this scope may see of the marketplace.
    pub(crate) fn viewer(self, company: &Company) -> Viewer {
        Viewer {
            company: company.uuid,
            sub_account: self.sub_account(),
        }
    }
}

/// Finds the token's company, if it may do `needed`, and counts the call
/// against the company's limit.
fn admit(
    parts: &Parts,
    engine: &Engine,
    needed: TokenKind,
) -> Result<(Arc<EngineCatalog>, Arc<Company>, Scope), EngineError> {
    let catalog = engine.engine.catalog();
    let (company, scope) = catalog.companies.authenticate(&parts.headers, needed)?;
    engine.engine.check_rate(&company, engine.clock.now())?;
    Ok((catalog, company, scope))
}

impl FromRequestParts<Engine> for Confidential {
    type Rejection = EngineError;

    async fn from_request_parts(parts: &mut Parts, engine: &Engine) -> Result<Self, EngineError> {
        let (catalog, company, scope) = admit(parts, engine, TokenKind::Confidential)?;
        Ok(Self {
            catalog,
            company,
            scope,
        })
    }
}

impl FromRequestParts<Engine> for Publishable {
    type Rejection = EngineError;

    async fn from_request_parts(parts: &mut Parts, engine: &Engine) -> Result<Self, EngineError> {
        let (_, company, scope) = admit(parts, engine, TokenKind::Publishable)?;
        Ok(Self { company, scope })
    }
}

/// Every token of a company: its own two and its sub-accounts' own.
pub(crate) fn tokens(f: &CompanyFixture) -> impl Iterator<Item = (&str, TokenKind, Scope)> {
    [
        (f.confidential_token.as_str(), TokenKind::Confidential, Scope::Company),
        (f.publishable_token.as_str(), TokenKind::Publishable, Scope::Company),
    ]
    .into_iter()
    .chain(f.supply_sub_accounts.iter().enumerate().filter_map(|(i, s)| {
        let token = s.confidential_token.as_deref()?;
        Some((token, TokenKind::Confidential, Scope::SubAccount(i as u16)))
    }))
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
