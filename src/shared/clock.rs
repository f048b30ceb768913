//! The virtual clock: the only place in leadsim that reads wall-clock time.
//!
//! Every SLA, token lifetime, rate-limit window and `createdAt` is computed
//! from [`Clock::now`], so tests can freeze, set and advance time instead of
//! sleeping.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

/// How the clock answers `now()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Real time shifted by an offset (`advance` while running moves the offset).
    Running { offset: TimeDelta },
    /// Time stands still at `at` until set, advanced or released.
    Frozen { at: DateTime<Utc> },
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
pub struct ClockStatus {
    #[serde(serialize_with = "crate::shared::time::serialize_rfc3339")]
    pub now: DateTime<Utc>,
    pub frozen: bool,
    /// Seconds between virtual and real time (0 when in step with real time).
    pub offset_seconds: i64,
}

impl Clock {
    /// A clock that follows real time.
    pub fn real() -> Self {
        Self::with_mode(Mode::Running {
            offset: TimeDelta::zero(),
        })
    }

    /// A clock frozen at `at`.
    pub fn frozen_at(at: DateTime<Utc>) -> Self {
        Self::with_mode(Mode::Frozen { at })
    }

    /// The clock the process starts with: frozen at `--now` when given.
    pub fn starting_at(now: Option<DateTime<Utc>>) -> Self {
        now.map_or_else(Self::real, Self::frozen_at)
    }

    fn with_mode(mode: Mode) -> Self {
        Self {
            mode: Arc::new(RwLock::new(mode)),
            initial: mode,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self.read() {
            Mode::Running { offset } => Utc::now() + offset,
            Mode::Frozen { at } => at,
        }
    }

    /// Freezes the clock at `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        self.write(Mode::Frozen { at });
    }

    /// Moves the clock by `delta`, frozen or not.
    pub fn advance(&self, delta: TimeDelta) {
        let next = match self.read() {
            Mode::Running { offset } => Mode::Running {
                offset: offset + delta,
            },
            Mode::Frozen { at } => Mode::Frozen { at: at + delta },
        };
        self.write(next);
    }

    /// Back to real time, with no offset.
    pub fn release(&self) {
        self.write(Mode::Running {
            offset: TimeDelta::zero(),
        });
    }

    /// Back to how the process started (`--now` or real time).
    pub fn reset(&self) {
        self.write(self.initial);
    }

    pub fn status(&self) -> ClockStatus {
        let mode = self.read();
        match mode {
            Mode::Running { offset } => ClockStatus {
                now: Utc::now() + offset,
                frozen: false,
                offset_seconds: offset.num_seconds(),
            },
            Mode::Frozen { at } => ClockStatus {
                now: at,
                frozen: true,
                offset_seconds: (at - Utc::now()).num_seconds(),
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
        clock.advance(TimeDelta::minutes(45));
        assert_eq!(clock.now(), at("2020-01-01T09:00:00Z"));
        assert!(clock.status().frozen);
    }

    #[test]
    fn advancing_a_running_clock_shifts_it_by_an_offset() {
        let clock = Clock::real();
        clock.advance(TimeDelta::days(365));
        let lead = clock.now() - Utc::now();
        assert!(lead > TimeDelta::days(364), "offset applied: {lead}");
        assert_eq!(clock.status().offset_seconds, 365 * 86_400);
    }

    #[test]
    fn reset_returns_to_the_starting_mode() {
        let clock = Clock::starting_at(Some(at("2021-06-01T00:00:00Z")));
        clock.set(at("2030-01-01T00:00:00Z"));
        clock.reset();
        assert_eq!(clock.now(), at("2021-06-01T00:00:00Z"));
        clock.release();
        assert!(!clock.status().frozen);
    }
}
