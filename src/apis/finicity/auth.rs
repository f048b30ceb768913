//! Partner authentication: `Finicity-App-Key` on every call, and a
//! `Finicity-App-Token` from `POST /aggregation/v2/partners/authentication`
//! on every other one. Tokens live two hours on the virtual clock; five
//! failed authentications in a row lock the partner until a reset.

use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arc_swap::ArcSwap;
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use chrono::{DateTime, TimeDelta, Utc};
use foldhash::HashMap;
use rand::RngExt;

use super::Finicity;
use super::error::{ApiError, AuthFailure};
use super::fixtures::PartnerFixture;
use crate::shared::persistent;
use crate::shared::rate_limit::{RateLimitSpec, RateLimiter};
use crate::shared::seed::Seed;

/// The vendor's token lifetime.
pub(crate) const TOKEN_LIFETIME: TimeDelta = TimeDelta::hours(2);
/// Failed attempts in a row that lock a partner.
pub(crate) const LOCKOUT_AFTER: u32 = 5;
/// Tokens kept at most; expired ones are dropped first.
const MAX_SESSIONS: usize = 10_000;

pub(crate) const APP_KEY: &str = "finicity-app-key";
pub(crate) const APP_TOKEN: &str = "finicity-app-token";

/// Who is calling: an index into the partner list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Caller {
    pub(crate) partner: usize,
}

/// A call's partner, from its app key and a live token (within the
/// partner's rate limit), checked before the handler runs; refused in the
/// route's error shape `E` (`ErrorMessage` or `ObbErrorMessage`).
pub(crate) struct Partner<E>(pub(crate) Caller, pub(crate) PhantomData<fn() -> E>);

impl<E> FromRequestParts<Finicity> for Partner<E>
where
    E: From<AuthFailure> + IntoResponse,
{
    type Rejection = E;

    async fn from_request_parts(parts: &mut Parts, finicity: &Finicity) -> Result<Self, E> {
        let caller = finicity
            .finicity
            .auth
            .caller(&parts.headers, finicity.clock.now())?;
        Ok(Self(caller, PhantomData))
    }
}

/// A call's partner from its app key alone (authentication, which issues
/// the token), within the partner's rate limit.
pub(crate) struct App<E>(pub(crate) usize, pub(crate) PhantomData<fn() -> E>);

impl<E> FromRequestParts<Finicity> for App<E>
where
    E: From<AuthFailure> + IntoResponse,
{
    type Rejection = E;

    async fn from_request_parts(parts: &mut Parts, finicity: &Finicity) -> Result<Self, E> {
        let partner = finicity.finicity.auth.app(&parts.headers, finicity.clock.now())?;
        Ok(Self(partner, PhantomData))
    }
}

#[derive(Debug)]
struct Session {
    partner: usize,
    issued_at: DateTime<Utc>,
}

#[derive(Debug, Default)]
struct Sessions {
    /// Tokens leadsim issued (foldhash: clients only look them up).
    tokens: HashMap<String, Session>,
    /// Consecutive failed authentications per partner.
    failures: HashMap<usize, u32>,
    issued: u64,
}

/// Partners (swapped whole when fixtures are merged at run time; a
/// partner keeps its index, so sessions, customers and reports stay
/// attached), their sessions and their rate limits.
#[derive(Debug, Clone)]
pub(crate) struct Auth {
    partners: Arc<ArcSwap<Partners>>,
    sessions: Arc<Mutex<Sessions>>,
    limiter: RateLimiter,
    seed: Seed,
}

/// The partners, found by position, id or app key. Persistent collections:
/// a merge copies them in constant time and updates what it changed.
#[derive(Debug, Default, Clone)]
struct Partners {
    all: persistent::Vector<Arc<PartnerFixture>>,
    by_id: persistent::Map<String, usize>,
    by_app_key: persistent::Map<String, usize>,
}

impl Partners {
    fn of(partners: &persistent::Vector<Arc<PartnerFixture>>) -> Self {
        let all: Vec<usize> = (0..partners.len()).collect();
        Self::default().with_changes(partners, &all)
    }

    /// Takes the partners at `changed` (replaced in place, or appended).
    fn with_changes(mut self, partners: &persistent::Vector<Arc<PartnerFixture>>, changed: &[usize]) -> Self {
        for &i in changed {
            let Some(partner) = partners.get(i) else { continue };
            if let Some(old) = self.all.get(i).cloned()
                && self.by_app_key.get(old.app_key.as_str()) == Some(&i)
            {
                self.by_app_key.remove(old.app_key.as_str());
            }
            persistent::put(&mut self.all, i, partner.clone());
            self.by_id.insert(partner.partner_id.clone(), i);
            self.by_app_key.insert(partner.app_key.clone(), i);
        }
        self
    }
}

impl Auth {
    pub(crate) fn new(partners: &persistent::Vector<Arc<PartnerFixture>>, seed: Seed) -> Self {
        Self {
            partners: Arc::new(ArcSwap::from_pointee(Partners::of(partners))),
            sessions: Arc::default(),
            limiter: RateLimiter::default(),
            seed,
        }
    }

    /// Replaces the partner list (a reset).
    pub(crate) fn install(&self, partners: &persistent::Vector<Arc<PartnerFixture>>) {
        self.partners.store(Arc::new(Partners::of(partners)));
    }

    /// Takes the partners at `changed`; the others keep their positions.
    pub(crate) fn install_changes(
        &self,
        partners: &persistent::Vector<Arc<PartnerFixture>>,
        changed: &[usize],
    ) {
        let next = (**self.partners.load()).clone().with_changes(partners, changed);
        self.partners.store(Arc::new(next));
    }

    pub(crate) fn partner(&self, index: usize) -> Option<Arc<PartnerFixture>> {
        self.partners.load().all.get(index).cloned()
    }

    pub(crate) fn partner_index(&self, partner_id: &str) -> Option<usize> {
        self.partners.load().by_id.get(partner_id).copied()
    }

    /// Whether there is any partner at all.
    pub(crate) fn any_partner(&self) -> bool {
        !self.partners.load().all.is_empty()
    }

    pub(crate) fn has_app_key(&self, app_key: &str) -> bool {
        self.app_key_owner(app_key).is_some()
    }

    /// The position of the partner whose app key this is.
    pub(crate) fn app_key_owner(&self, app_key: &str) -> Option<usize> {
        self.partners.load().by_app_key.get(app_key).copied()
    }

    /// The partner whose app key the call carries, if within its rate limit.
    pub(crate) fn app(&self, headers: &HeaderMap, now: DateTime<Utc>) -> Result<usize, AuthFailure> {
        let key = header(headers, APP_KEY).ok_or(AuthFailure::MissingAppKey)?;
        let partners = self.partners.load();
        let index = partners
            .by_app_key
            .get(key)
            .copied()
            .ok_or(AuthFailure::UnknownAppKey)?;
        let partner = partners.all.get(index).ok_or(AuthFailure::UnknownAppKey)?;
        self.limiter
            .admit(
                &partner.partner_id,
                partner.rate_limit.map(RateLimitSpec::limit),
                now,
            )
            .map_err(AuthFailure::RateLimited)?;
        Ok(index)
    }

    /// App key and a live token of the same partner.
    pub(crate) fn caller(&self, headers: &HeaderMap, now: DateTime<Utc>) -> Result<Caller, AuthFailure> {
        let partner = self.app(headers, now)?;
        let token = header(headers, APP_TOKEN).ok_or(AuthFailure::BadToken)?;
        let sessions = self.lock();
        match sessions.tokens.get(token) {
            Some(s) if s.partner == partner && !expired(s.issued_at, now) => Ok(Caller { partner }),
            _ => Err(AuthFailure::BadToken),
        }
    }

    /// CreateToken: checks the partner's secret and app key, counts failures.
    pub(crate) fn authenticate(
        &self,
        app_partner: usize,
        partner_id: &str,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        let mut sessions = self.lock();
        let Some(partner) = self.partner_index(partner_id) else {
            return Err(ApiError::PartnerNotFound);
        };
        if sessions.failures.get(&partner).copied().unwrap_or(0) >= LOCKOUT_AFTER {
            return Err(ApiError::PartnerLocked);
        }
        let valid =
            partner == app_partner && self.partner(partner).is_some_and(|p| p.partner_secret == secret);
        if !valid {
            *sessions.failures.entry(partner).or_default() += 1;
            return Err(ApiError::InvalidCredentials);
        }
        sessions.failures.remove(&partner);
        if sessions.tokens.len() >= MAX_SESSIONS {
            sessions.tokens.retain(|_, s| !expired(s.issued_at, now));
            if sessions.tokens.len() >= MAX_SESSIONS {
                // Still full of live tokens: the oldest goes.
                if let Some(oldest) = sessions
                    .tokens
                    .iter()
                    .min_by_key(|(_, s)| s.issued_at)
                    .map(|(t, _)| t.clone())
                {
                    sessions.tokens.remove(&oldest);
                }
            }
        }
        let token = self.token(sessions.issued);
        sessions.issued += 1;
        sessions.tokens.insert(
            token.clone(),
            Session {
                partner,
                issued_at: now,
            },
        );
        Ok(token)
    }

    /// Forgets tokens, lockouts and rate-limit history.
    pub(crate) fn reset(&self) {
        *self.lock() = Sessions::default();
        self.limiter.clear();
    }

    /// The n-th token of this run: 20 letters and digits, like the vendor's.
    fn token(&self, n: u64) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = self.seed.rng("finicity.tokens", n);
        (0..20)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect()
    }

    fn lock(&self) -> MutexGuard<'_, Sessions> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn expired(issued_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - issued_at >= TOKEN_LIFETIME
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}
