//! Sliding-window rate limits on the virtual clock: at most `calls` accepted
//! calls in any `window`, per key. Vendors state their limits this way ("25
//! calls in 5 seconds"); a token bucket (GCRA) would let a call through
//! every 200 ms after a burst, which is not what the vendor does. Tests move
//! the clock instead of sleeping.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::{HeaderValue, header};
use axum::response::Response;
use chrono::{DateTime, TimeDelta, Utc};
use foldhash::HashMap;
use serde::{Deserialize, Serialize};

use crate::shared::fixtures::FixtureError;

/// A limit: `calls` per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limit {
    pub(crate) calls: u32,
    pub(crate) window: TimeDelta,
}

/// A limit as fixtures and the admin API write it: `{"calls": 25, "seconds": 5}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RateLimitSpec {
    pub(crate) calls: u32,
    pub(crate) seconds: u32,
}

impl RateLimitSpec {
    pub(crate) fn limit(self) -> Limit {
        Limit {
            calls: self.calls,
            window: TimeDelta::seconds(i64::from(self.seconds)),
        }
    }

    /// Both numbers must be positive; `null` is how a limit is turned off.
    pub(crate) fn validate(self, file: &str, path: &str) -> Result<(), FixtureError> {
        if self.calls == 0 || self.seconds == 0 {
            return Err(FixtureError::new(
                file,
                path,
                "calls and seconds must be at least 1 (use null for no limit)",
            ));
        }
        Ok(())
    }
}

/// Adds `Retry-After` (whole seconds) to a family's 429 body.
pub(crate) fn with_retry_after(mut response: Response, exceeded: &Exceeded) -> Response {
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(exceeded.retry_after_seconds()),
    );
    response
}

/// The message every family but LeadSquared (which has its own) puts in its 429.
pub(crate) fn exceeded_message(exceeded: &Exceeded) -> String {
    format!(
        "Rate limit exceeded: at most {} calls in {} second(s); retry after {} second(s)",
        exceeded.limit.calls,
        exceeded.limit.window.num_seconds(),
        exceeded.retry_after_seconds()
    )
}

/// A refused call: the limit it hit and when the oldest counted call leaves
/// the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exceeded {
    pub(crate) limit: Limit,
    pub(crate) retry_after: TimeDelta,
}

impl Exceeded {
    /// Whole seconds for a `Retry-After` header, at least 1.
    pub(crate) fn retry_after_seconds(&self) -> i64 {
        let millis = self.retry_after.num_milliseconds().max(1);
        (millis + 999) / 1000
    }
}

/// Cheap-to-clone handle on every key's window; the lock stays inside.
#[derive(Debug, Clone, Default)]
pub(crate) struct RateLimiter {
    /// Hashed with foldhash: only callers fixtures give a limit get a
    /// window, so clients cannot choose keys that collide. Maps keyed by
    /// what clients send (search keys, captured emails) keep SipHash.
    windows: Arc<Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>>,
}

impl RateLimiter {
    fn windows(&self) -> MutexGuard<'_, HashMap<String, VecDeque<DateTime<Utc>>>> {
        // Every mutation is a push or pop: a poisoned lock holds valid data.
        self.windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `check` for a tenant whose limit may be off (`None`): every family's
    /// entry point, so "no limit" is decided in one place.
    pub(crate) fn admit(&self, key: &str, limit: Option<Limit>, now: DateTime<Utc>) -> Result<(), Exceeded> {
        match limit {
            Some(limit) => self.check(key, limit, now),
            None => Ok(()),
        }
    }

    /// Counts a call at `now` against `key`, or refuses it (refused calls
    /// are not counted). A clock set backwards forgets the calls "after" it.
    pub(crate) fn check(&self, key: &str, limit: Limit, now: DateTime<Utc>) -> Result<(), Exceeded> {
        let mut windows = self.windows();
        // Allocate the key only the first time it is seen: this runs on every call.
        if !windows.contains_key(key) {
            windows.insert(key.to_owned(), VecDeque::new());
        }
        let Some(calls) = windows.get_mut(key) else {
            return Ok(());
        };
        calls.retain(|t| *t > now - limit.window && *t <= now);
        if calls.len() >= limit.calls as usize {
            let oldest = calls.front().copied().unwrap_or(now);
            return Err(Exceeded {
                limit,
                retry_after: oldest + limit.window - now,
            });
        }
        calls.push_back(now);
        Ok(())
    }

    pub(crate) fn clear(&self) {
        self.windows().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(millis: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_600_000_000_000 + millis).unwrap_or_default()
    }

    const LIMIT: Limit = Limit {
        calls: 25,
        window: TimeDelta::seconds(5),
    };

    #[test]
    fn the_26th_call_in_a_window_is_refused_until_the_first_leaves_it() {
        let limiter = RateLimiter::default();
        for i in 0..25 {
            assert!(limiter.check("a", LIMIT, at(i * 100)).is_ok(), "call {i}");
        }
        let refused = limiter.check("a", LIMIT, at(2_500));
        assert_eq!(
            refused.map_err(|e| (e.retry_after, e.retry_after_seconds())),
            Err((TimeDelta::milliseconds(2_500), 3))
        );
        assert!(
            limiter.check("b", LIMIT, at(2_500)).is_ok(),
            "keys are independent"
        );
        assert!(limiter.check("a", LIMIT, at(4_999)).is_err());
        assert!(
            limiter.check("a", LIMIT, at(5_000)).is_ok(),
            "first call left the window"
        );
        assert!(limiter.check("a", LIMIT, at(5_000)).is_err(), "second has not");
    }
}
