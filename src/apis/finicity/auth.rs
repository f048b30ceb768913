//! Partner authentication: `Finicity-App-Key` on every call, and a
//! `Finicity-App-Token` from `POST /aggregation/v2/partners/authentication`
//! on every other one. Tokens live two hours on the virtual clock; five
//! failed authentications in a row lock the partner until a reset.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arc_swap::ArcSwap;
use axum::http::HeaderMap;
use chrono::{DateTime, TimeDelta, Utc};
use rand::RngExt;

use super::error::{ApiError, AuthFailure};
use super::fixtures::PartnerFixture;
use crate::shared::rate_limit::{RateLimitSpec, RateLimiter};
use crate::shared::seed::Seed;

/// The vendor's token lifetime.
pub const TOKEN_LIFETIME: TimeDelta = TimeDelta::hours(2);
/// Failed attempts in a row that lock a partner.
pub const LOCKOUT_AFTER: u32 = 5;
/// Tokens kept at most; expired ones are dropped first.
const MAX_SESSIONS: usize = 10_000;

pub const APP_KEY: &str = "finicity-app-key";
pub const APP_TOKEN: &str = "finicity-app-token";

/// Who is calling: an index into the partner list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub partner: usize,
}

#[derive(Debug)]
struct Session {
    partner: usize,
    issued_at: DateTime<Utc>,
}

#[derive(Debug, Default)]
struct Sessions {
    tokens: HashMap<String, Session>,
    /// Consecutive failed authentications per partner.
    failures: HashMap<usize, u32>,
    issued: u64,
}

/// Partners (swapped whole when fixtures are merged at run time; a
/// partner keeps its index, so sessions, customers and reports stay
/// attached), their sessions and their rate limits.
#[derive(Debug, Clone)]
pub struct Auth {
    partners: Arc<ArcSwap<Vec<PartnerFixture>>>,
    sessions: Arc<Mutex<Sessions>>,
    limiter: RateLimiter,
    seed: Seed,
}

impl Auth {
    pub fn new(partners: Vec<PartnerFixture>, seed: Seed) -> Self {
        Self {
            partners: Arc::new(ArcSwap::from_pointee(partners)),
            sessions: Arc::default(),
            limiter: RateLimiter::default(),
            seed,
        }
    }

    /// Replaces the partner list; existing partners must keep their positions.
    pub fn install(&self, partners: Vec<PartnerFixture>) {
        self.partners.store(Arc::new(partners));
    }

    pub fn partner(&self, index: usize) -> Option<PartnerFixture> {
        self.partners.load().get(index).cloned()
    }

    pub fn partner_index(&self, partner_id: &str) -> Option<usize> {
        self.partners
            .load()
            .iter()
            .position(|p| p.partner_id == partner_id)
    }

    pub fn has_app_key(&self, app_key: &str) -> bool {
        self.partners.load().iter().any(|p| p.app_key == app_key)
    }

    /// The partner whose app key the call carries, if within its rate limit.
    pub fn app(&self, headers: &HeaderMap, now: DateTime<Utc>) -> Result<usize, AuthFailure> {
        let key = header(headers, APP_KEY).ok_or(AuthFailure::MissingAppKey)?;
        let partners = self.partners.load();
        let index = partners
            .iter()
            .position(|p| p.app_key == key)
            .ok_or(AuthFailure::UnknownAppKey)?;
        let partner = &partners[index];
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
    pub fn caller(&self, headers: &HeaderMap, now: DateTime<Utc>) -> Result<Caller, AuthFailure> {
        let partner = self.app(headers, now)?;
        let token = header(headers, APP_TOKEN).ok_or(AuthFailure::BadToken)?;
        let sessions = self.lock();
        match sessions.tokens.get(token) {
            Some(s) if s.partner == partner && !expired(s.issued_at, now) => Ok(Caller { partner }),
            _ => Err(AuthFailure::BadToken),
        }
    }

    /// CreateToken: checks the partner's secret and app key, counts failures.
    pub fn authenticate(
        &self,
        app_partner: usize,
        partner_id: &str,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        let mut sessions = self.lock();
        let Some(partner) = self.partner_index(partner_id) else {
            return Err(ApiError::InvalidCredentials);
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
    pub fn reset(&self) {
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
