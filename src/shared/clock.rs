//! The virtual clock: the only place in leadsim that reads wall-clock time.
//!
//! Every SLA, token lifetime, rate-limit window and `createdAt` is computed
//! from [`Clock::now`], so tests can freeze, set and advance time instead of
//! sleeping.
//!
//! The clock stays within [`Clock::EARLIEST`] and [`Clock::LATEST`]: every
//! family's data (hour keys in nanoseconds, histories years back, windows
//! and token lifetimes ahead) is computed safely and consistently there.
//! Setting or advancing it past either end is refused, never clamped.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::shared::time::format_seconds;

/// How the clock answers `now()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Real time shifted by an offset (`advance` while running moves the offset).
    Running { offset: TimeDelta },
    /// Time stands still at `at` until set, advanced or released.
    Frozen { at: DateTime<Utc> },
}

/// Why the clock was not moved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the virtual clock must stay between {} and {}; {asked} is outside",
    format_seconds(Clock::EARLIEST),
    format_seconds(Clock::LATEST)
)]
pub(crate) struct OutOfRange {
    asked: String,
}

/// A cheap-to-clone handle on the shared virtual clock.
#[derive(Debug, Clone)]
pub struct Clock {
    mode: Arc<RwLock<Mode>>,
    initial: Mode,
}

/// What the admin API reports about the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClockStatus {
    #[serde(serialize_with = "crate::shared::time::serialize_rfc3339")]
    pub(crate) now: DateTime<Utc>,
    pub(crate) frozen: bool,
    /// Seconds between virtual and real time (0 when in step with real time).
    pub(crate) offset_seconds: i64,
}

impl Clock {
    /// The earliest instant the clock may show.
    pub(crate) const EARLIEST: DateTime<Utc> = DateTime::UNIX_EPOCH;
    /// The latest instant the clock may show (well inside the nanosecond
    /// timestamps chrono can represent, which end in 2262).
    pub(crate) const LATEST: DateTime<Utc> = match DateTime::from_timestamp(7_258_118_399, 0) {
        Some(t) => t, // 2199-12-31T23:59:59Z
        None => DateTime::UNIX_EPOCH,
    };

    /// A clock that follows real time.
    pub(crate) fn real() -> Self {
        Self::with_mode(Mode::Running {
            offset: TimeDelta::zero(),
        })
    }

    /// A clock frozen at `at` (which [`Clock::check`] should have accepted).
    pub(crate) fn frozen_at(at: DateTime<Utc>) -> Self {
        Self::with_mode(Mode::Frozen { at: clamp(at) })
    }

    /// The clock the process starts with: frozen at `--now` when given.
    pub(crate) fn starting_at(now: Option<DateTime<Utc>>) -> Self {
        now.map_or_else(Self::real, Self::frozen_at)
    }

    fn with_mode(mode: Mode) -> Self {
        Self {
            mode: Arc::new(RwLock::new(mode)),
            initial: mode,
        }
    }

    /// `at`, when the clock may show it.
    pub(crate) fn check(at: DateTime<Utc>) -> Result<DateTime<Utc>, OutOfRange> {
        if (Self::EARLIEST..=Self::LATEST).contains(&at) {
            Ok(at)
        } else {
            Err(OutOfRange {
                asked: format_seconds(at),
            })
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self.read() {
            Mode::Running { offset } => shifted_now(offset),
            Mode::Frozen { at } => at,
        }
    }

    /// Freezes the clock at `at`.
    pub(crate) fn set(&self, at: DateTime<Utc>) -> Result<(), OutOfRange> {
        self.write(Mode::Frozen { at: Self::check(at)? });
        Ok(())
    }

    /// Moves the clock by `delta`, frozen or not; refused (and nothing
    /// changes) when that would leave the supported range.
    pub(crate) fn advance(&self, delta: TimeDelta) -> Result<(), OutOfRange> {
        let mut mode = self.mode.write().unwrap_or_else(|e| e.into_inner());
        let now = match *mode {
            Mode::Running { offset } => shifted_now(offset),
            Mode::Frozen { at } => at,
        };
        let target = now
            .checked_add_signed(delta)
            .ok_or_else(|| OutOfRange {
                asked: format!("{} moved by {delta}", format_seconds(now)),
            })
            .and_then(Self::check)?;
        *mode = match *mode {
            Mode::Running { offset } => Mode::Running {
                offset: offset + (target - now),
            },
            Mode::Frozen { .. } => Mode::Frozen { at: target },
        };
        Ok(())
    }

    /// Back to real time, with no offset.
    pub(crate) fn release(&self) {
        self.write(Mode::Running {
            offset: TimeDelta::zero(),
        });
    }

    /// Back to how the process started (`--now` or real time).
    pub(crate) fn reset(&self) {
        self.write(self.initial);
    }

    pub(crate) fn status(&self) -> ClockStatus {
        let mode = self.read();
        match mode {
            Mode::Running { offset } => ClockStatus {
                now: shifted_now(offset),
                frozen: false,
                offset_seconds: offset.num_seconds(),
            },
            Mode::Frozen { at } => ClockStatus {
                now: at,
                frozen: true,
                offset_seconds: at.signed_duration_since(Utc::now()).num_seconds(),
            },
        }
    }

    fn read(&self) -> Mode {
        // A poisoned lock still holds a valid `Mode` (it is `Copy` and written whole).
        *self.mode.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self, mode: Mode) {
        *self.mode.write().unwrap_or_else(|e| e.into_inner()) = mode;
    }
}

/// Real time moved by `offset`, kept in the supported range: an offset set
/// when the range was respected can only leave it as real time passes 2199.
fn shifted_now(offset: TimeDelta) -> DateTime<Utc> {
    Utc::now().checked_add_signed(offset).map_or(Clock::LATEST, clamp)
}

fn clamp(at: DateTime<Utc>) -> DateTime<Utc> {
    at.clamp(Clock::EARLIEST, Clock::LATEST)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::time::parse_rfc3339;

    fn at(s: &str) -> DateTime<Utc> {
        parse_rfc3339(s).unwrap_or_default()
    }

    #[test]
    fn frozen_clock_stands_still_until_advanced() {
        let clock = Clock::frozen_at(at("2020-01-01T08:15:00Z"));
        assert_eq!(clock.now(), at("2020-01-01T08:15:00Z"));
        assert_eq!(clock.advance(TimeDelta::minutes(45)), Ok(()));
        assert_eq!(clock.now(), at("2020-01-01T09:00:00Z"));
        assert!(clock.status().frozen);
    }

    #[test]
    fn advancing_a_running_clock_shifts_it_by_an_offset() {
        let clock = Clock::real();
        assert_eq!(clock.advance(TimeDelta::days(365)), Ok(()));
        let lead = clock.now() - Utc::now();
        assert!(lead > TimeDelta::days(364), "offset applied: {lead}");
        assert_eq!(clock.status().offset_seconds, 365 * 86_400);
    }

    #[test]
    fn reset_returns_to_the_starting_mode() {
        let clock = Clock::starting_at(Some(at("2021-06-01T00:00:00Z")));
        assert_eq!(clock.set(at("2030-01-01T00:00:00Z")), Ok(()));
        clock.reset();
        assert_eq!(clock.now(), at("2021-06-01T00:00:00Z"));
        clock.release();
        assert!(!clock.status().frozen);
    }

    #[test]
    fn the_clock_never_leaves_its_range() {
        let clock = Clock::frozen_at(at("2199-12-31T23:00:00Z"));
        let err = clock.advance(TimeDelta::hours(2)).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "the virtual clock must stay between 1970-01-01T00:00:00Z and 2199-12-31T23:59:59Z; \
                 2200-01-01T01:00:00Z is outside"
            )
        );
        assert_eq!(clock.now(), at("2199-12-31T23:00:00Z"), "nothing moved");
        assert!(clock.advance(TimeDelta::MAX).is_err());
        assert!(clock.advance(TimeDelta::MIN).is_err());
        assert!(clock.set(at("1969-12-31T23:59:59Z")).is_err());
        assert_eq!(clock.set(Clock::LATEST), Ok(()));
        assert_eq!(format_seconds(Clock::LATEST), "2199-12-31T23:59:59Z");

        let running = Clock::real();
        assert!(running.advance(TimeDelta::days(200 * 366)).is_err());
        assert!(running.advance(TimeDelta::days(-100 * 366)).is_err());
        assert!(running.status().offset_seconds.abs() < 5, "nothing moved");
    }
}
