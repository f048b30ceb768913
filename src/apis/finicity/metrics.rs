//! Balance Analytics metrics, computed from a daily ending-balance series,
//! in the vendor's `BalanceAnalyticsMetrics` shape. Everything here is
//! derived from the one series, so the numbers agree with each other.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};
use serde::Serialize;

use super::clock;

/// Daily ending balances in cents, one entry per day, oldest first.
pub(crate) type Series = [(NaiveDate, i64)];

/// Days in one "ByMonth" period: the vendor counts rolling 30-day windows
/// back from the report date (`last30to1`, `last60to31`, ...).
const PERIOD_DAYS: i64 = 30;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceAnalyticsMetrics {
    pub(crate) available_balance: f64,
    pub(crate) available_balance_date: String,
    pub(crate) average_daily_balance_by_month_for_the_report_time_period: Vec<DateRangeAndAmount>,
    pub(crate) average_daily_balance_for_the_report_time_period: f64,
    pub(crate) average_weekday_balance_for_the_report_time_period: f64,
    pub(crate) count_daily_negative_balances_by_month_for_the_report_time_period: Vec<DateRangeAndCount>,
    pub(crate) current_running_balance: f64,
    pub(crate) current_running_balance_date: String,
    pub(crate) daily_balances_by_weekday_for_the_report_time_period: Vec<DailyBalance>,
    pub(crate) daily_balances_for_the_report_time_period: Vec<DailyBalance>,
    pub(crate) historic_number_of_weeks_average_balance_increasing: WeeksIncreasing,
    pub(crate) maximum_daily_balance_by_month_for_the_report_time_period: Vec<DateRangeAndAmount>,
    pub(crate) maximum_running_balance_for_the_report_time_period: f64,
    pub(crate) minimum_daily_balance_by_month_for_the_report_time_period: Vec<DateRangeAndAmount>,
    pub(crate) minimum_running_balance_for_the_report_time_period: f64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DailyBalance {
    pub(crate) date: String,
    pub(crate) day_of_week: &'static str,
    pub(crate) ending_balance: f64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DateRangeAndAmount {
    pub(crate) amount: f64,
    pub(crate) period: String,
    pub(crate) period_begin_date: String,
    pub(crate) period_end_date: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DateRangeAndCount {
    pub(crate) count: u32,
    pub(crate) period: String,
    pub(crate) period_begin_date: String,
    pub(crate) period_end_date: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WeeksIncreasing {
    pub(crate) historic_average_weekly_balances: Vec<AverageWeeklyBalance>,
    pub(crate) historic_number_of_weeks_average_balance_increasing: u32,
    pub(crate) historic_number_of_weeks_with_data_available: u32,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AverageWeeklyBalance {
    pub(crate) amount: f64,
    pub(crate) from_date: String,
    pub(crate) to_date: String,
    pub(crate) week: u32,
}

/// Balances as of the report: the current ending balance and what is
/// available after pending holds, both in cents.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Snapshot {
    pub(crate) current: i64,
    pub(crate) available: i64,
    pub(crate) as_of: DateTime<Utc>,
}

/// The metrics of `series` (non-empty, oldest first, ending on the report's
/// day), with its ByMonth periods counted back from `report_day`.
pub(crate) fn compute(series: &Series, report_day: NaiveDate, snapshot: Snapshot) -> BalanceAnalyticsMetrics {
    let balances: Vec<i64> = series.iter().map(|(_, b)| *b).collect();
    let weekdays: Vec<(NaiveDate, i64)> = series
        .iter()
        .copied()
        .filter(|(d, _)| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    let first_day = series.first().map_or(report_day, |(d, _)| *d);
    let periods = periods(first_day, &balances, report_day);
    let as_of = clock::timestamp(snapshot.as_of);

    BalanceAnalyticsMetrics {
        available_balance: dollars(snapshot.available),
        available_balance_date: as_of.clone(),
        average_daily_balance_by_month_for_the_report_time_period: periods
            .iter()
            .map(|p| p.amount(average(p.balances)))
            .collect(),
        average_daily_balance_for_the_report_time_period: average(&balances),
        average_weekday_balance_for_the_report_time_period: average(
            &weekdays.iter().map(|(_, b)| *b).collect::<Vec<_>>(),
        ),
        count_daily_negative_balances_by_month_for_the_report_time_period: periods
            .iter()
            .map(|p| p.count(p.balances.iter().filter(|b| **b < 0).count() as u32))
            .collect(),
        current_running_balance: dollars(snapshot.current),
        current_running_balance_date: as_of,
        daily_balances_by_weekday_for_the_report_time_period: weekdays.iter().map(daily).collect(),
        daily_balances_for_the_report_time_period: series.iter().map(daily).collect(),
        historic_number_of_weeks_average_balance_increasing: weeks(series),
        maximum_daily_balance_by_month_for_the_report_time_period: periods
            .iter()
            .map(|p| p.amount(dollars(p.balances.iter().copied().max().unwrap_or(0))))
            .collect(),
        maximum_running_balance_for_the_report_time_period: dollars(
            balances.iter().copied().max().unwrap_or(0),
        ),
        minimum_daily_balance_by_month_for_the_report_time_period: periods
            .iter()
            .map(|p| p.amount(dollars(p.balances.iter().copied().min().unwrap_or(0))))
            .collect(),
        minimum_running_balance_for_the_report_time_period: dollars(
            balances.iter().copied().min().unwrap_or(0),
        ),
    }
}

/// Cents as dollars.
pub(crate) fn dollars(cents: i64) -> f64 {
    cents as f64 / 100.0
}

/// The mean in dollars, rounded to the cent (0 for no days).
fn average(cents: &[i64]) -> f64 {
    if cents.is_empty() {
        return 0.0;
    }
    let sum: i128 = cents.iter().map(|c| i128::from(*c)).sum();
    (sum as f64 / cents.len() as f64).round() / 100.0
}

fn daily((day, cents): &(NaiveDate, i64)) -> DailyBalance {
    DailyBalance {
        date: clock::date(*day),
        day_of_week: clock::day_name(*day),
        ending_balance: dollars(*cents),
    }
}

/// One rolling 30-day period of the series.
struct Period<'a> {
    name: String,
    begin: NaiveDate,
    end: NaiveDate,
    balances: &'a [i64],
}

impl Period<'_> {
    fn amount(&self, amount: f64) -> DateRangeAndAmount {
        DateRangeAndAmount {
            amount,
            period: self.name.clone(),
            period_begin_date: clock::date(self.begin),
            period_end_date: clock::date(self.end),
        }
    }

    fn count(&self, count: u32) -> DateRangeAndCount {
        DateRangeAndCount {
            count,
            period: self.name.clone(),
            period_begin_date: clock::date(self.begin),
            period_end_date: clock::date(self.end),
        }
    }
}

/// Rolling 30-day periods, newest first: day 1 is the report's day, so
/// `last30to1` is the 30 days ending on it. The oldest period stops at the
/// first day of data and is named by the days it covers (`last730to721`).
/// `balances` holds one entry per day from `first_day` to `report_day`.
fn periods(first_day: NaiveDate, balances: &[i64], report_day: NaiveDate) -> Vec<Period<'_>> {
    let oldest = (report_day - first_day).num_days() + 1;
    let mut out = Vec::new();
    let mut newest_day_number = 1;
    while newest_day_number <= oldest {
        let oldest_day_number = (newest_day_number + PERIOD_DAYS - 1).min(oldest);
        let begin = report_day - TimeDelta::days(oldest_day_number - 1);
        let end = report_day - TimeDelta::days(newest_day_number - 1);
        let from = ((begin - first_day).num_days() as usize).min(balances.len());
        let to = ((end - first_day).num_days() as usize + 1).min(balances.len());
        out.push(Period {
            name: format!("last{oldest_day_number}to{newest_day_number}"),
            begin,
            end,
            balances: &balances[from..to],
        });
        newest_day_number = oldest_day_number + 1;
    }
    out
}

/// Average ending balance per week, weeks counted from January 1 (week 1 is
/// January 1 to 7; week 53 is the one or two days left in December), and how
/// many weeks rose above the week before.
fn weeks(series: &Series) -> WeeksIncreasing {
    let mut buckets: BTreeMap<(i32, u32), (NaiveDate, NaiveDate, i128, i64)> = BTreeMap::new();
    for (day, cents) in series {
        let week = day.ordinal0() / 7 + 1;
        let entry = buckets.entry((day.year(), week)).or_insert((*day, *day, 0, 0));
        entry.1 = *day;
        entry.2 += i128::from(*cents);
        entry.3 += 1;
    }
    let weekly: Vec<AverageWeeklyBalance> = buckets
        .into_iter()
        .map(|((_, week), (from, to, sum, days))| AverageWeeklyBalance {
            amount: (sum as f64 / days as f64).round() / 100.0,
            from_date: clock::date(from),
            to_date: clock::date(to),
            week,
        })
        .collect();
    let increasing = weekly.windows(2).filter(|w| w[1].amount > w[0].amount).count() as u32;
    WeeksIncreasing {
        historic_number_of_weeks_average_balance_increasing: increasing,
        historic_number_of_weeks_with_data_available: weekly.len() as u32,
        historic_average_weekly_balances: weekly,
    }
}
