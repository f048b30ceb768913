//! JSON written by hand, for the few bodies where serde's derived
//! serializers showed in profiles (it escapes every member name, and goes
//! through its visitor machinery for each value). Values go through
//! serde_json's own formatter and string escaping, so what is written is
//! byte for byte what serde_json writes; each user holds its output to
//! serde's in a test.

use chrono::{DateTime, Utc};
use serde_json::ser::{CompactFormatter, Formatter};
use uuid::Uuid;

use crate::shared::time::{write_millis, write_seconds};

/// A string as serde_json writes it: quoted, and escaped where needed.
pub(crate) fn write_str(out: &mut Vec<u8>, value: &str) {
    if value.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(value.as_bytes());
        out.push(b'"');
    } else {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(out, value);
    }
}

/// A float as serde_json writes it (`null` for NaN and infinities).
pub(crate) fn write_f64(out: &mut Vec<u8>, value: f64) {
    if value.is_finite() {
        let _ = CompactFormatter.write_f64(out, value);
    } else {
        out.extend_from_slice(b"null");
    }
}

/// A uuid in its hyphenated lower-case form, quoted.
pub(crate) fn write_uuid(out: &mut Vec<u8>, value: Uuid) {
    let mut buffer = Uuid::encode_buffer();
    out.push(b'"');
    out.extend_from_slice(value.hyphenated().encode_lower(&mut buffer).as_bytes());
    out.push(b'"');
}

/// One JSON object being written: members in the order they are given.
pub(crate) struct Object<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Object<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, first: true }
    }

    /// Goes on with an object whose `{` and first members are written.
    pub(crate) fn continued(out: &'a mut Vec<u8>) -> Self {
        Self { out, first: false }
    }

    /// Starts a member; `name` is a Rust literal that needs no escaping.
    pub(crate) fn key(&mut self, name: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    /// A string known to need no escaping (hex, uuids, enum names, times).
    pub(crate) fn plain(&mut self, name: &str, value: &str) {
        let out = self.key(name);
        out.push(b'"');
        out.extend_from_slice(value.as_bytes());
        out.push(b'"');
    }

    /// Any text: escaped as serde_json escapes it.
    pub(crate) fn text(&mut self, name: &str, value: &str) {
        write_str(self.key(name), value);
    }

    /// JSON text written as it is (a rendered `RawValue`).
    pub(crate) fn raw(&mut self, name: &str, json: &str) {
        self.key(name).extend_from_slice(json.as_bytes());
    }

    pub(crate) fn uuid(&mut self, name: &str, value: Uuid) {
        write_uuid(self.key(name), value);
    }

    /// A time to the second, as `format_seconds` spells it.
    pub(crate) fn time(&mut self, name: &str, value: DateTime<Utc>) {
        let out = self.key(name);
        out.push(b'"');
        write_seconds(out, value);
        out.push(b'"');
    }

    /// A time to the millisecond, as `format_millis` spells it.
    pub(crate) fn millis(&mut self, name: &str, value: DateTime<Utc>) {
        let out = self.key(name);
        out.push(b'"');
        write_millis(out, value);
        out.push(b'"');
    }

    pub(crate) fn boolean(&mut self, name: &str, value: bool) {
        let out = self.key(name);
        out.extend_from_slice(if value { b"true" } else { b"false" });
    }

    pub(crate) fn int(&mut self, name: &str, value: i64) {
        let _ = CompactFormatter.write_i64(self.key(name), value);
    }

    /// An optional number, left out when `None` (serde's
    /// `skip_serializing_if = "Option::is_none"`).
    pub(crate) fn int_if_some(&mut self, name: &str, value: Option<i64>) {
        if let Some(value) = value {
            self.int(name, value);
        }
    }

    /// An optional text, left out when `None`.
    pub(crate) fn text_if_some(&mut self, name: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.text(name, value);
        }
    }

    pub(crate) fn float(&mut self, name: &str, value: f64) {
        write_f64(self.key(name), value);
    }

    /// Float members in a row; a value equal to the one before it is
    /// copied from what was written for that one (loan offers state each
    /// of theirs as max, min and mean), not formatted again.
    pub(crate) fn floats(&mut self, members: &[(&str, f64)]) {
        let mut last: Option<(u64, std::ops::Range<usize>)> = None;
        for &(name, value) in members {
            let out = self.key(name);
            let start = out.len();
            match &last {
                Some((bits, written)) if *bits == value.to_bits() => out.extend_from_within(written.clone()),
                _ => write_f64(out, value),
            }
            last = Some((value.to_bits(), start..out.len()));
        }
    }

    /// An array member whose items `write` writes, commas between them.
    pub(crate) fn array<T>(
        &mut self,
        name: &str,
        items: impl IntoIterator<Item = T>,
        mut write: impl FnMut(&mut Vec<u8>, T),
    ) {
        let out = self.key(name);
        out.push(b'[');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write(out, item);
        }
        out.push(b']');
    }

    /// Anything else, through serde_json.
    pub(crate) fn serialized(&mut self, name: &str, value: impl serde::Serialize) {
        let _ = serde_json::to_writer(&mut *self.key(name), &value);
    }

    pub(crate) fn end(self) {
        self.out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_written_as_serde_json_writes_them() {
        let texts = [
            "",
            "plain",
            "quote \" back \\ slash",
            "\u{1}\u{1f}\u{7f}",
            "é ☃ 𝄞",
            "\n\r\t",
        ];
        for text in texts {
            let mut out = Vec::new();
            write_str(&mut out, text);
            assert_eq!(out, serde_json::to_vec(text).unwrap_or_default(), "{text:?}");
        }
        let floats = [
            0.0,
            -0.0,
            1.0,
            0.1,
            1e21,
            1e-7,
            123.456,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
        ];
        for float in floats {
            let mut out = Vec::new();
            write_f64(&mut out, float);
            assert_eq!(out, serde_json::to_vec(&float).unwrap_or_default(), "{float}");
        }
        let mut out = Vec::new();
        let mut o = Object::new(&mut out);
        o.int("min", i64::MIN);
        o.int("max", i64::MAX);
        o.uuid("uuid", Uuid::from_u128(0xABCD));
        o.array("list", [1, 2], |out, n| out.push(b'0' + n));
        o.array("none", std::iter::empty::<u8>(), |_, _| {});
        o.raw("raw", r#"{"a":1}"#);
        o.end();
        let expected = serde_json::json!({
            "min": i64::MIN, "max": i64::MAX, "uuid": Uuid::from_u128(0xABCD),
            "list": [1, 2], "none": [], "raw": {"a": 1},
        });
        let written: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
        assert_eq!(written, expected);
        assert!(out.starts_with(br#"{"min":-9223372036854775808,"max":9223372036854775807,"uuid":"00000000-0000-0000-0000-00000000abcd","#));
    }

    #[test]
    fn a_row_of_floats_is_written_as_each_alone() {
        let rows: [&[f64]; 4] = [
            &[4.99, 4.99, 4.99],
            &[0.0, -0.0, -0.0, 0.0],
            &[1.5, 2.5, 2.5, 1.5, f64::NAN, f64::NAN],
            &[123.45],
        ];
        let names = ["a", "b", "c", "d", "e", "f"];
        for row in rows {
            let members: Vec<(&str, f64)> = names.iter().copied().zip(row.iter().copied()).collect();
            let (mut together, mut alone) = (Vec::new(), Vec::new());
            let mut o = Object::new(&mut together);
            o.floats(&members);
            o.end();
            let mut o = Object::new(&mut alone);
            for (name, value) in &members {
                o.float(name, *value);
            }
            o.end();
            assert_eq!(
                String::from_utf8_lossy(&together),
                String::from_utf8_lossy(&alone),
                "{row:?}"
            );
        }
    }
}
