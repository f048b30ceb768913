//! Timestamp parsing and formatting shared by every family.
//!
//! leadsim is lenient in what it accepts (real SDKs send `+0000` offsets and
//! microseconds) and strict in what it sends (RFC 3339 with `Z`).

use chrono::{DateTime, Datelike, NaiveDateTime, SecondsFormat, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// A timestamp in a fixture or request body, read with [`parse_rfc3339`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Timestamp(pub(crate) DateTime<Utc>);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_rfc3339(&text)
            .map(Timestamp)
            .ok_or_else(|| serde::de::Error::custom(format!("'{text}' is not an RFC 3339 timestamp")))
    }
}

/// Parses an RFC 3339 timestamp, also accepting the forms real clients send:
/// `+0000` offsets (`2020-01-09T00:00:00.000000+0000`, the generated Python
/// client's default) and naive timestamps, which are taken as UTC.
pub fn parse_rfc3339(input: &str) -> Option<DateTime<Utc>> {
    parse_any_form(input).filter(|t| (0..=9999).contains(&t.year()))
}

/// Four-digit years only: every instant leadsim reads is then far enough
/// from chrono's limits that adding days or weeks to it cannot overflow.
fn parse_any_form(input: &str) -> Option<DateTime<Utc>> {
    let input = input.trim();
    // An unencoded `+01:00` in a query string arrives as ` 01:00`.
    if input.contains(' ') {
        return parse_any_form(&input.replace(' ', "+"));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(input) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(input, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(input, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// `2020-01-01T08:00:00Z`: whole seconds, UTC.
pub fn format_seconds(t: DateTime<Utc>) -> String {
    let mut out = Vec::with_capacity(20);
    write_seconds(&mut out, t);
    String::from_utf8(out).unwrap_or_else(|_| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// [`format_seconds`] into a buffer, digit by digit: the hot path of
/// rendering large pages, where chrono's formatter showed in profiles.
pub(crate) fn write_seconds(out: &mut Vec<u8>, t: DateTime<Utc>) {
    write_time(out, t, SecondsFormat::Secs);
}

/// [`format_millis`] into a buffer, digit by digit (every created Data
/// Analytics event states its time twice).
pub(crate) fn write_millis(out: &mut Vec<u8>, t: DateTime<Utc>) {
    write_time(out, t, SecondsFormat::Millis);
}

/// `t` as chrono's `to_rfc3339_opts(precision, true)` writes it, for
/// whole seconds or milliseconds.
fn write_time(out: &mut Vec<u8>, t: DateTime<Utc>, precision: SecondsFormat) {
    let (date, time) = (t.date_naive(), t.time());
    let year = date.year();
    // Leap seconds (`:60`) and years of other widths: chrono's own form.
    if !(0..=9999).contains(&year) || time.nanosecond() >= 1_000_000_000 {
        out.extend_from_slice(t.to_rfc3339_opts(precision, true).as_bytes());
        return;
    }
    let mut digits = |value: u32, width: u32| {
        for place in (0..width).rev() {
            out.push(b'0' + (value / 10u32.pow(place) % 10) as u8);
        }
    };
    digits(year as u32, 4);
    let fields = [
        (b'-', date.month()),
        (b'-', date.day()),
        (b'T', time.hour()),
        (b':', time.minute()),
        (b':', time.second()),
    ];
    for (separator, value) in fields {
        out.push(separator);
        out.push(b'0' + (value / 10) as u8);
        out.push(b'0' + (value % 10) as u8);
    }
    if matches!(precision, SecondsFormat::Millis) {
        out.push(b'.');
        let millis = time.nanosecond() / 1_000_000;
        for place in [100, 10, 1] {
            out.push(b'0' + (millis / place % 10) as u8);
        }
    }
    out.push(b'Z');
}

/// `2020-01-01T08:00:00.000Z`: milliseconds, UTC.
pub(crate) fn format_millis(t: DateTime<Utc>) -> String {
    let mut out = Vec::with_capacity(24);
    write_millis(&mut out, t);
    String::from_utf8(out).unwrap_or_else(|_| t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// Serde adapter: whole-second RFC 3339 in UTC.
pub(crate) fn serialize_rfc3339<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_seconds(*t))
}

/// Serde adapter: millisecond RFC 3339 in UTC.
pub(crate) fn serialize_rfc3339_millis<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_millis(*t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_seconds_are_written_as_chrono_writes_them() {
        for text in [
            "1970-01-01T00:00:00Z",
            "2020-02-29T23:59:59.999Z",
            "2199-12-31T23:59:59Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2016-12-31T23:59:60Z",
        ] {
            let t = parse_rfc3339(text).unwrap_or_default();
            assert_eq!(format_seconds(t), t.to_rfc3339_opts(SecondsFormat::Secs, true));
        }
        let far = DateTime::from_timestamp(400_000_000_000, 0).unwrap_or_default();
        assert_eq!(
            format_seconds(far),
            far.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
    }

    #[test]
    fn milliseconds_are_written_as_chrono_writes_them() {
        let mut times: Vec<DateTime<Utc>> = [
            "1970-01-01T00:00:00Z",
            "2020-02-29T23:59:59.999999Z",
            "2020-02-29T23:59:59.0009Z",
            "2020-02-29T23:59:59.05Z",
            "0001-01-01T00:00:00.1Z",
            "9999-12-31T23:59:59.999Z",
            "2016-12-31T23:59:60.5Z",
        ]
        .iter()
        .filter_map(|text| parse_rfc3339(text))
        .collect();
        times.extend(
            [400_000_000_000, -62_167_219_201, -1]
                .iter()
                .filter_map(|s| DateTime::from_timestamp(*s, 123_456_789)),
        );
        assert_eq!(times.len(), 10);
        for t in times {
            assert_eq!(
                format_millis(t),
                t.to_rfc3339_opts(SecondsFormat::Millis, true),
                "{t:?}"
            );
        }
    }

    #[test]
    fn accepts_what_generated_clients_send() {
        let expected = parse_rfc3339("2020-01-09T00:00:00Z");
        assert!(expected.is_some());
        for form in [
            "2020-01-09T00:00:00.000000+0000",
            "2020-01-09T01:00:00+01:00",
            "2020-01-09T00:00:00.000Z",
            "2020-01-09T00:00:00",
            "2020-01-08T19:00:00-0500",
            "2020-01-09T01:00:00 01:00",
        ] {
            assert_eq!(parse_rfc3339(form), expected, "{form}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_timestamp() {
        for bad in [
            "",
            "yesterday",
            "2020-13-01T00:00:00Z",
            "2020-01-09",
            "2020-01-09T25:00:00Z",
            "+262000-01-01T00:00:00+0000",
            "-0001-01-01T00:00:00+0000",
            "+10000-01-01T00:00:00",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_strictly_in_utc() {
        let t = parse_rfc3339("2020-01-09T01:02:03.456+01:00").unwrap_or_default();
        assert_eq!(format_seconds(t), "2020-01-09T00:02:03Z");
        assert_eq!(format_millis(t), "2020-01-09T00:02:03.456Z");
    }
}
