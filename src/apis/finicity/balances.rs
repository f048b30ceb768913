//! Daily ending balances: a pure function of (seed, account, day) shaped by
//! the account's profile, so any report over any period reads the same
//! history, and every metric is computed from it rather than drawn.
//!
//! The model, per account: a level (`anchor`) that the profile moves over
//! the years, semi-monthly paydays (the 1st and the 15th) that lift the
//! balance by one paycheck, a rent bill on the 3rd and utilities on the
//! 20th, daily spending that uses up the rest of the paycheck by the next
//! payday, and rare large expenses that dip the balance until then. The
//! balance therefore swings between `anchor + pay/2` just after payday and
//! `anchor - pay/2` just before the next one.

use chrono::{Datelike, NaiveDate, TimeDelta};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use crate::shared::seed::Seed;

/// How an account's balance behaves over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Profile {
    /// Level around a constant.
    Steady,
    /// Level up 10% a year.
    Growing,
    /// Level down 10% a year.
    Declining,
    /// Level peaks and troughs once a year (±50%).
    Seasonal,
    /// Level below half a paycheck: the days before payday end negative.
    OverdraftProne,
}

/// One account's balance history. Amounts are in cents.
#[derive(Debug, Clone)]
pub(crate) struct BalanceModel {
    profile: Profile,
    /// Per-day randomness key.
    key: u64,
    /// The level on 2025-01-01, before the profile moves it.
    anchor: i64,
    /// One paycheck.
    pay: i64,
    rent: i64,
    utilities: i64,
    /// Where in the year a seasonal account peaks (0..1).
    phase: f64,
}

/// Where the growing and declining trends are at `anchor`: near the
/// present, so a fixture's `averageBalance` is about what reports show.
const TREND_ORIGIN: NaiveDate = match NaiveDate::from_ymd_opt(2025, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// About one day in 120 brings a large, unplanned expense.
const SHOCK_ODDS: u64 = 120;

impl BalanceModel {
    /// `average_balance` (dollars) sets the level; otherwise the seed picks one.
    pub(crate) fn new(seed: Seed, account_id: u64, profile: Profile, average_balance: Option<f64>) -> Self {
        let mut rng: ChaCha8Rng = seed.rng("finicity.balances", account_id);
        let drawn_anchor = rng.random_range(250_000..4_000_000_i64);
        let anchor = average_balance.map_or(drawn_anchor, |dollars| (dollars * 100.0).round() as i64);
        let pay = (anchor.abs().max(100_000) as f64 * rng.random_range(0.35..0.7)) as i64;
        let anchor = match profile {
            Profile::OverdraftProne => pay * rng.random_range(20..40) / 100,
            _ => anchor,
        };
        Self {
            profile,
            key: rng.random(),
            anchor,
            pay,
            rent: pay * rng.random_range(25..40) / 100,
            utilities: pay * rng.random_range(5..12) / 100,
            phase: rng.random_range(0.0..1.0),
        }
    }

    /// The ending balance of `day`, in cents.
    pub(crate) fn ending_balance(&self, day: NaiveDate) -> i64 {
        self.balance_in(&self.cycle(last_payday(day)), day)
    }

    /// Ending balances of `from..=to`, working out each pay cycle once.
    pub(crate) fn series(&self, from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, i64)> {
        let mut cycle = self.cycle(last_payday(from));
        from.iter_days()
            .take_while(|d| *d <= to)
            .map(|d| {
                if last_payday(d) != cycle.payday {
                    cycle = self.cycle(last_payday(d));
                }
                (d, self.balance_in(&cycle, d))
            })
            .collect()
    }

    /// What moved the balance on each day of `from..=to`: for every day,
    /// `ending_balance(day) - ending_balance(day - 1)` is exactly the sum of
    /// its flows, so a ledger of transactions built from them explains the
    /// history cent for cent.
    pub(crate) fn flows(&self, from: NaiveDate, to: NaiveDate) -> Vec<DayFlows> {
        let mut cycle = self.cycle(last_payday(from));
        let mut spent_before = match from.pred_opt() {
            Some(before) if last_payday(before) == cycle.payday => self.spent(&cycle, before),
            _ => 0,
        };
        let mut level_before = from.pred_opt().map_or(self.level(from), |d| self.level(d));
        from.iter_days()
            .take_while(|d| *d <= to)
            .map(|day| {
                let payday = last_payday(day) != cycle.payday || day == cycle.payday;
                let mut top_up = 0;
                if last_payday(day) != cycle.payday {
                    cycle = self.cycle(last_payday(day));
                }
                if payday {
                    // The previous cycle's large expenses, covered from savings on payday.
                    let previous = self.cycle(last_payday(day - TimeDelta::days(1)));
                    top_up = previous.running_shocks.last().copied().unwrap_or(0);
                    spent_before = 0;
                }
                let spent = self.spent(&cycle, day);
                let level = self.level(day);
                let flows = DayFlows {
                    day,
                    pay: if payday { self.pay } else { 0 },
                    top_up,
                    bill: if day.day() == cycle.bill_day {
                        Some(if cycle.bill_day == 3 {
                            (Bill::Rent, cycle.bill)
                        } else {
                            (Bill::Utilities, cycle.bill)
                        })
                    } else {
                        None
                    },
                    spending: spent - spent_before,
                    shock: self.shock(day),
                    drift: level - level_before,
                    noise: self.noise(day),
                };
                spent_before = spent;
                level_before = level;
                flows
            })
            .collect()
    }

    fn spent(&self, cycle: &Cycle, day: NaiveDate) -> i64 {
        let elapsed = (day - cycle.payday).num_days() as usize;
        let last = cycle.running_weight.len() - 1;
        let spent_weight = cycle.running_weight[elapsed.min(last)];
        let total_weight = cycle.running_weight[last].max(1);
        (i128::from(cycle.budget) * i128::from(spent_weight) / i128::from(total_weight)) as i64
    }

    /// The pay cycle starting on `payday`: its bill, and running totals of
    /// spending weights and shocks by day, so the cycle spends exactly its
    /// budget whatever day is asked.
    fn cycle(&self, payday: NaiveDate) -> Cycle {
        let days = (next_payday(payday) - payday).num_days().max(1);
        let (bill, bill_day) = if payday.day() == 1 {
            (self.rent, 3)
        } else {
            (self.utilities, 20)
        };
        let mut weight = 0;
        let mut shocks = 0;
        let (running_weight, running_shocks) = (0..days)
            .map(|i| {
                let day = payday + TimeDelta::days(i);
                weight += 30 + self.noise(day) % 140;
                shocks += self.shock(day);
                (weight, shocks)
            })
            .unzip();
        Cycle {
            payday,
            budget: (self.pay - bill).max(0),
            bill,
            bill_day,
            running_weight,
            running_shocks,
        }
    }

    fn balance_in(&self, cycle: &Cycle, day: NaiveDate) -> i64 {
        let elapsed = (day - cycle.payday).num_days() as usize;
        let last = cycle.running_weight.len() - 1;
        let spent = self.spent(cycle, day);
        let bills = if day.day() >= cycle.bill_day {
            cycle.bill
        } else {
            0
        };
        let shocks = cycle.running_shocks[elapsed.min(last)];
        self.level(day) + self.pay / 2 - spent - bills - shocks
    }

    /// Held by pending card transactions: the available balance is this much
    /// below the current one (nothing is held on a negative balance).
    pub(crate) fn pending_holds(&self, day: NaiveDate, current: i64) -> i64 {
        if current <= 0 {
            return 0;
        }
        let ceiling = (current / 20).min(25_000);
        (self.noise(day).rotate_left(17) % (ceiling as u64 + 1)) as i64
    }

    /// The profile's level on `day`.
    fn level(&self, day: NaiveDate) -> i64 {
        let years = (day - TREND_ORIGIN).num_days() as f64 / 365.25;
        let anchor = self.anchor as f64;
        let level = match self.profile {
            Profile::Steady | Profile::OverdraftProne => anchor,
            Profile::Growing => anchor * 1.10_f64.powf(years),
            Profile::Declining => anchor * 0.90_f64.powf(years),
            Profile::Seasonal => {
                let turn = f64::from(day.ordinal0()) / 365.25 + self.phase;
                anchor * (1.0 + 0.5 * (std::f64::consts::TAU * turn).sin())
            }
        };
        level.round() as i64
    }

    /// A large expense on `day`, or 0.
    fn shock(&self, day: NaiveDate) -> i64 {
        let n = self.noise(day);
        if !n.rotate_left(32).is_multiple_of(SHOCK_ODDS) {
            return 0;
        }
        let share = 60 + (n >> 40) % 80; // 60%..140% of a paycheck
        self.pay * share as i64 / 100
    }

    /// A well-mixed 64-bit value per (account, day): SplitMix64's finaliser.
    fn noise(&self, day: NaiveDate) -> u64 {
        let mut z = self.key ^ (i64::from(day.num_days_from_ce()) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// A bill paid on its day of the cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bill {
    /// On the 3rd.
    Rent,
    /// On the 20th.
    Utilities,
}

/// Everything that moved one account's balance on one day, in cents, with
/// the signs they have on the balance left implicit: `pay`, `top_up` and a
/// positive `drift` add, the rest subtract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DayFlows {
    pub(crate) day: NaiveDate,
    /// One paycheck, on the 1st and the 15th.
    pub(crate) pay: i64,
    /// On payday, the previous cycle's large expenses moved back in from savings.
    pub(crate) top_up: i64,
    pub(crate) bill: Option<(Bill, i64)>,
    /// Everyday card spending.
    pub(crate) spending: i64,
    /// A large, unplanned expense.
    pub(crate) shock: i64,
    /// The profile moving the level (growth, decline, season): a transfer
    /// to or from savings when positive or negative.
    pub(crate) drift: i64,
    /// The day's randomness, for choosing merchants and splits.
    pub(crate) noise: u64,
}

#[cfg(test)]
impl DayFlows {
    /// The day's change of the ending balance.
    pub(crate) fn net(&self) -> i64 {
        self.pay + self.top_up + self.drift
            - self.bill.map_or(0, |(_, amount)| amount)
            - self.spending
            - self.shock
    }
}

/// One pay cycle, from a payday to the day before the next.
struct Cycle {
    payday: NaiveDate,
    budget: i64,
    bill: i64,
    bill_day: u32,
    /// Spending weight up to and including each day of the cycle.
    running_weight: Vec<u64>,
    /// Shocks up to and including each day of the cycle.
    running_shocks: Vec<i64>,
}

/// The 1st or the 15th on or before `day`.
fn last_payday(day: NaiveDate) -> NaiveDate {
    let payday = if day.day() >= 15 { 15 } else { 1 };
    day.with_day(payday).unwrap_or(day)
}

/// The payday after `payday` (a 1st or a 15th).
fn next_payday(payday: NaiveDate) -> NaiveDate {
    if payday.day() == 1 {
        payday.with_day(15).unwrap_or(payday)
    } else {
        let (year, month) = if payday.month() == 12 {
            (payday.year() + 1, 1)
        } else {
            (payday.year(), payday.month() + 1)
        };
        NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(payday)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    fn model(profile: Profile) -> BalanceModel {
        BalanceModel::new(Seed::new(42), 5_011_648_377, profile, Some(10_000.0))
    }

    #[test]
    fn the_history_is_a_pure_function_of_seed_account_and_day() {
        let a = model(Profile::Seasonal).series(day("2021-01-01"), day("2021-12-31"));
        let b = model(Profile::Seasonal).series(day("2021-01-01"), day("2021-12-31"));
        assert_eq!(a, b);
        let other = BalanceModel::new(Seed::new(43), 5_011_648_377, Profile::Seasonal, None)
            .series(day("2021-01-01"), day("2021-12-31"));
        assert_ne!(a, other);
        // A day reads the same whatever period it is asked in.
        let m = model(Profile::Steady);
        assert_eq!(
            m.ending_balance(day("2021-06-20")),
            m.series(day("2021-06-01"), day("2021-06-30"))[19].1
        );
    }

    #[test]
    fn paydays_lift_the_balance() {
        let m = model(Profile::Steady);
        let mut lifts = 0;
        let mut paydays = 0;
        for (d, balance) in m.series(day("2021-01-02"), day("2022-12-31")) {
            if d.day() == 1 || d.day() == 15 {
                paydays += 1;
                if balance > m.ending_balance(d - TimeDelta::days(1)) {
                    lifts += 1;
                }
            }
        }
        assert!(
            lifts * 10 >= paydays * 9,
            "{lifts} of {paydays} paydays lifted the balance"
        );
    }

    #[test]
    fn profiles_move_the_level_as_named() {
        let mean = |p: Profile, from: &str, to: &str| {
            let s = model(p).series(day(from), day(to));
            s.iter().map(|(_, b)| *b).sum::<i64>() / s.len() as i64
        };
        assert!(
            mean(Profile::Growing, "2023-01-01", "2023-12-31")
                > mean(Profile::Growing, "2021-01-01", "2021-12-31")
        );
        assert!(
            mean(Profile::Declining, "2023-01-01", "2023-12-31")
                < mean(Profile::Declining, "2021-01-01", "2021-12-31")
        );
        let negative_days = |p: Profile| {
            model(p)
                .series(day("2021-01-01"), day("2022-12-31"))
                .iter()
                .filter(|(_, b)| *b < 0)
                .count()
        };
        assert!(
            negative_days(Profile::OverdraftProne) > 60,
            "{}",
            negative_days(Profile::OverdraftProne)
        );
        assert!(negative_days(Profile::Steady) < negative_days(Profile::OverdraftProne));
    }

    #[test]
    fn each_days_flows_sum_to_its_balance_change() {
        for profile in [
            Profile::Steady,
            Profile::Growing,
            Profile::Declining,
            Profile::Seasonal,
            Profile::OverdraftProne,
        ] {
            let m = model(profile);
            // Starting mid-cycle and crossing month, year and leap-day ends.
            let (from, to) = (day("2023-12-09"), day("2024-03-17"));
            let flows = m.flows(from, to);
            assert_eq!(flows.len(), 100);
            for f in &flows {
                let change = m.ending_balance(f.day) - m.ending_balance(f.day - TimeDelta::days(1));
                assert_eq!(f.net(), change, "{profile:?} on {}", f.day);
                assert!(f.spending >= 0 && f.shock >= 0 && f.top_up >= 0);
                assert_eq!(f.pay > 0, f.day.day() == 1 || f.day.day() == 15);
            }
            // A range that starts on a payday agrees with one read across it.
            let later = m.flows(day("2024-01-15"), day("2024-01-20"));
            assert_eq!(later[..], flows[37..43]);
        }
    }

    #[test]
    fn holds_never_exceed_a_positive_balance() {
        let m = model(Profile::OverdraftProne);
        for (d, balance) in m.series(day("2021-01-01"), day("2021-12-31")) {
            let holds = m.pending_holds(d, balance);
            assert!(holds >= 0 && (balance <= 0 && holds == 0 || holds <= balance));
        }
    }
}
