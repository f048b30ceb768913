//! Analytics attributes: values cut into periods (`MONTHLY_CALENDAR`,
//! `MONTHLY_ROLLING_30`) with their statistics, as `StatePeriod` (daily
//! values such as the ending balance) and `TransactionalPeriod` (the
//! amounts of transactions).

use chrono::{Datelike, NaiveDate, TimeDelta};
use serde::Serialize;

use super::store::Interval;
use crate::apis::finicity::metrics::dollars;

/// The periods of `start..=end` an interval type cuts, oldest first.
pub(crate) fn periods(interval: Interval, start: NaiveDate, end: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let mut cuts = Vec::new();
    match interval {
        Interval::MonthlyCalendar => {
            let mut from = start;
            while from <= end {
                let next_month = if from.month() == 12 {
                    NaiveDate::from_ymd_opt(from.year() + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(from.year(), from.month() + 1, 1)
                };
                let Some(next_month) = next_month else { break };
                let to = (next_month - TimeDelta::days(1)).min(end);
                cuts.push((from, to));
                from = next_month;
            }
        }
        Interval::MonthlyRolling30 => {
            let mut to = end;
            while to >= start {
                let from = (to - TimeDelta::days(29)).max(start);
                cuts.push((from, to));
                to = from - TimeDelta::days(1);
            }
            cuts.reverse();
        }
    }
    cuts
}

/// `StatePeriod`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatePeriod {
    pub(crate) start_date: String,
    pub(crate) end_date: String,
    pub(crate) count: usize,
    #[serde(flatten)]
    pub(crate) stats: Option<Stats>,
    pub(crate) beginning_value: f64,
    pub(crate) ending_value: f64,
}

/// `TransactionalPeriod`: statistics only when there are amounts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TransactionalPeriod {
    pub(crate) start_date: String,
    pub(crate) end_date: String,
    pub(crate) count: usize,
    #[serde(flatten)]
    pub(crate) stats: Option<Stats>,
}

/// Statistics of a non-empty list of amounts; the standard deviation is
/// the sample one (as the vendor's examples compute it), so absent for one.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Stats {
    pub(crate) sum: f64,
    pub(crate) mean: f64,
    pub(crate) median: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) standard_deviation: Option<f64>,
}

/// Statistics of amounts in cents; `None` for none.
pub(crate) fn stats(cents: &[i64]) -> Option<Stats> {
    if cents.is_empty() {
        return None;
    }
    let mut sorted = cents.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    let sum: i64 = sorted.iter().sum();
    let mean = sum as f64 / n as f64;
    let median = if n % 2 == 1 {
        sorted[n / 2] as f64
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0
    };
    let standard_deviation = (n > 1).then(|| {
        let squares: f64 = sorted.iter().map(|c| (*c as f64 - mean).powi(2)).sum();
        (squares / (n - 1) as f64).sqrt() / 100.0
    });
    Some(Stats {
        sum: dollars(sum),
        mean: mean / 100.0,
        median: median / 100.0,
        min: dollars(sorted[0]),
        max: dollars(sorted[n - 1]),
        standard_deviation,
    })
}

/// A daily series (cents, one value per day, oldest first) over periods.
pub(crate) fn state_periods(series: &[(NaiveDate, i64)], cuts: &[(NaiveDate, NaiveDate)]) -> Vec<StatePeriod> {
    cuts.iter()
        .filter_map(|(from, to)| {
            let values: Vec<i64> = series
                .iter()
                .filter(|(day, _)| day >= from && day <= to)
                .map(|(_, v)| *v)
                .collect();
            let (first, last) = (*values.first()?, *values.last()?);
            Some(StatePeriod {
                start_date: date(*from),
                end_date: date(*to),
                count: values.len(),
                stats: stats(&values),
                beginning_value: dollars(first),
                ending_value: dollars(last),
            })
        })
        .collect()
}

/// Amounts (cents) on days over periods; every period is listed, empty
/// ones with a count of 0.
pub(crate) fn transactional_periods(
    amounts: &[(NaiveDate, i64)],
    cuts: &[(NaiveDate, NaiveDate)],
) -> Vec<TransactionalPeriod> {
    cuts.iter()
        .map(|(from, to)| {
            let values: Vec<i64> = amounts
                .iter()
                .filter(|(day, _)| day >= from && day <= to)
                .map(|(_, v)| *v)
                .collect();
            TransactionalPeriod {
                start_date: date(*from),
                end_date: date(*to),
                count: values.len(),
                stats: stats(&values),
            }
        })
        .collect()
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn calendar_months_are_cut_at_the_reports_ends() {
        let cuts = periods(Interval::MonthlyCalendar, day("2023-02-05"), day("2023-04-10"));
        assert_eq!(
            cuts,
            vec![
                (day("2023-02-05"), day("2023-02-28")),
                (day("2023-03-01"), day("2023-03-31")),
                (day("2023-04-01"), day("2023-04-10")),
            ]
        );
    }

    #[test]
    fn rolling_windows_count_back_thirty_days_from_the_end() {
        let cuts = periods(Interval::MonthlyRolling30, day("2023-01-01"), day("2023-03-31"));
        assert_eq!(
            cuts,
            vec![
                (day("2023-01-01"), day("2023-01-30")),
                (day("2023-01-31"), day("2023-03-01")),
                (day("2023-03-02"), day("2023-03-31")),
            ]
        );
        let short = periods(Interval::MonthlyRolling30, day("2023-03-20"), day("2023-03-31"));
        assert_eq!(short, vec![(day("2023-03-20"), day("2023-03-31"))]);
    }

    #[test]
    fn statistics_match_the_vendors_examples() {
        // CASH_OUTFLOW, 2023-01 in the vendor's Cash Flow example.
        let s = stats(&[-436_160, -476_780]).unwrap_or_else(|| unreachable!());
        assert_eq!(s.sum, -9129.4);
        assert_eq!(s.mean, -4564.7);
        assert_eq!(s.median, -4564.7);
        assert_eq!((s.min, s.max), (-4767.8, -4361.6));
        assert!((s.standard_deviation.unwrap_or_default() - 287.226_774_517_975_46).abs() < 1e-9);
        assert_eq!(stats(&[549]).map(|s| s.standard_deviation), Some(None));
        assert_eq!(stats(&[]), None);
    }
}
