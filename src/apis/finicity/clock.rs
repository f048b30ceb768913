//! Finicity's wire formats for time: US Mountain Time (its examples carry
//! `-07:00`), 25-character timestamps, 10-character dates, epoch seconds.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Offset, TimeDelta, Utc, Weekday};

/// `t` in America/Denver: UTC-7, or UTC-6 from the second Sunday of March
/// (02:00 local) to the first Sunday of November (02:00 local). The US rule
/// since 2007 is all leadsim needs, so no time-zone database is bundled.
pub(crate) fn mountain(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    let year = t.year();
    let dst_starts = nth_sunday(year, 3, 2).and_hms_opt(9, 0, 0).map(|d| d.and_utc());
    let dst_ends = nth_sunday(year, 11, 1).and_hms_opt(8, 0, 0).map(|d| d.and_utc());
    let in_dst = matches!((dst_starts, dst_ends), (Some(s), Some(e)) if t >= s && t < e);
    let hours = if in_dst { 6 } else { 7 };
    let offset = FixedOffset::west_opt(hours * 3600).unwrap_or_else(|| Utc.fix());
    t.with_timezone(&offset)
}

/// `2022-03-30T14:47:19-07:00`: exactly the 25 characters the spec requires.
pub(crate) fn timestamp(t: DateTime<Utc>) -> String {
    mountain(t).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// The calendar day in Mountain Time: the report's "today".
pub(crate) fn local_date(t: DateTime<Utc>) -> NaiveDate {
    mountain(t).date_naive()
}

/// `YYYY-MM-DD`.
pub(crate) fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The full English day name (`Wednesday`), as `dayOfWeek` requires.
pub(crate) fn day_name(d: NaiveDate) -> &'static str {
    match d.weekday() {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

fn nth_sunday(year: i32, month: u32, n: u32) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default();
    let to_sunday = (7 - first.weekday().num_days_from_sunday()) % 7;
    first + TimeDelta::days(i64::from(to_sunday + 7 * (n - 1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::time::parse_rfc3339;

    fn at(s: &str) -> DateTime<Utc> {
        parse_rfc3339(s).unwrap_or_default()
    }

    #[test]
    fn timestamps_are_25_characters_in_mountain_time() {
        assert_eq!(timestamp(at("2022-02-10T12:00:00Z")), "2022-02-10T05:00:00-07:00");
        assert_eq!(timestamp(at("2022-07-01T12:00:00Z")), "2022-07-01T06:00:00-06:00");
        assert_eq!(timestamp(at("2022-07-01T12:00:00Z")).len(), 25);
    }

    #[test]
    fn daylight_saving_switches_at_two_in_the_morning_local() {
        // 2022: DST from March 13 to November 6.
        assert_eq!(timestamp(at("2022-03-13T08:59:59Z")), "2022-03-13T01:59:59-07:00");
        assert_eq!(timestamp(at("2022-03-13T09:00:00Z")), "2022-03-13T03:00:00-06:00");
        assert_eq!(timestamp(at("2022-11-06T07:59:59Z")), "2022-11-06T01:59:59-06:00");
        assert_eq!(timestamp(at("2022-11-06T08:00:00Z")), "2022-11-06T01:00:00-07:00");
    }

    #[test]
    fn the_local_day_starts_at_local_midnight() {
        assert_eq!(local_date(at("2022-03-31T05:59:59Z")).to_string(), "2022-03-30");
        assert_eq!(local_date(at("2022-03-31T06:00:00Z")).to_string(), "2022-03-31");
        assert_eq!(
            day_name(NaiveDate::from_ymd_opt(2021, 10, 11).unwrap_or_default()),
            "Monday"
        );
    }
}
