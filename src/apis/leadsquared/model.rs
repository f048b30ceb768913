//! Users and leads of a LeadSquared account, and the lead schema the query
//! engine filters, groups and lists by. No axum here.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use chrono::NaiveDateTime;
use uuid::Uuid;

use crate::shared::json_writer::write_str;

/// How a lead field compares and prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Number,
    DateTime,
}

/// A lead field by its schema name (case-sensitive, as in LeadSquared).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Field(pub(crate) usize);

/// The lead schema: standard fields plus a few `mx_` custom ones. The
/// position is the index of the value in [`Lead::values`].
pub(crate) const FIELDS: &[(&str, Kind)] = &[
    ("ProspectID", Kind::Text),
    ("ProspectAutoId", Kind::Number),
    ("FirstName", Kind::Text),
    ("LastName", Kind::Text),
    ("EmailAddress", Kind::Text),
    ("Phone", Kind::Text),
    ("Mobile", Kind::Text),
    ("Company", Kind::Text),
    ("JobTitle", Kind::Text),
    ("City", Kind::Text),
    ("State", Kind::Text),
    ("Country", Kind::Text),
    ("Source", Kind::Text),
    ("SourceMedium", Kind::Text),
    ("SourceCampaign", Kind::Text),
    ("Origin", Kind::Text),
    ("ProspectStage", Kind::Text),
    ("Score", Kind::Number),
    ("EngagementScore", Kind::Number),
    ("Revenue", Kind::Number),
    ("TotalVisits", Kind::Number),
    ("DoNotEmail", Kind::Text),
    ("DoNotCall", Kind::Text),
    ("OwnerId", Kind::Text),
    ("OwnerIdName", Kind::Text),
    ("OwnerIdEmailAddress", Kind::Text),
    ("CreatedBy", Kind::Text),
    ("CreatedByName", Kind::Text),
    ("CreatedOn", Kind::DateTime),
    ("ModifiedOn", Kind::DateTime),
    ("LastVisitDate", Kind::DateTime),
    ("mx_Sub_Source", Kind::Text),
    ("mx_Product_Interest", Kind::Text),
    ("mx_Budget", Kind::Number),
    // Computed at query time from CreatedOn and the virtual clock.
    ("LeadAge", Kind::Number),
];

impl Field {
    pub(crate) fn named(name: &str) -> Option<Self> {
        FIELDS.iter().position(|(n, _)| *n == name).map(Field)
    }

    /// A field that must exist (compile-time names only).
    pub(crate) const fn at(index: usize) -> Self {
        Field(index)
    }

    pub(crate) fn name(self) -> &'static str {
        FIELDS[self.0].0
    }

    pub(crate) fn kind(self) -> Kind {
        FIELDS[self.0].1
    }
}

/// Fields the generator and the query engine refer to directly.
pub(crate) mod fields {
    use super::Field;
    pub(crate) const PROSPECT_ID: Field = Field::at(0);
    pub(crate) const PROSPECT_AUTO_ID: Field = Field::at(1);
    pub(crate) const FIRST_NAME: Field = Field::at(2);
    pub(crate) const LAST_NAME: Field = Field::at(3);
    pub(crate) const EMAIL_ADDRESS: Field = Field::at(4);
    pub(crate) const PHONE: Field = Field::at(5);
    pub(crate) const MOBILE: Field = Field::at(6);
    pub(crate) const COMPANY: Field = Field::at(7);
    pub(crate) const JOB_TITLE: Field = Field::at(8);
    pub(crate) const CITY: Field = Field::at(9);
    pub(crate) const STATE: Field = Field::at(10);
    pub(crate) const COUNTRY: Field = Field::at(11);
    pub(crate) const SOURCE: Field = Field::at(12);
    pub(crate) const SOURCE_MEDIUM: Field = Field::at(13);
    pub(crate) const SOURCE_CAMPAIGN: Field = Field::at(14);
    pub(crate) const ORIGIN: Field = Field::at(15);
    pub(crate) const PROSPECT_STAGE: Field = Field::at(16);
    pub(crate) const SCORE: Field = Field::at(17);
    pub(crate) const ENGAGEMENT_SCORE: Field = Field::at(18);
    pub(crate) const REVENUE: Field = Field::at(19);
    pub(crate) const TOTAL_VISITS: Field = Field::at(20);
    pub(crate) const DO_NOT_EMAIL: Field = Field::at(21);
    pub(crate) const DO_NOT_CALL: Field = Field::at(22);
    pub(crate) const OWNER_ID: Field = Field::at(23);
    pub(crate) const OWNER_ID_NAME: Field = Field::at(24);
    pub(crate) const OWNER_ID_EMAIL_ADDRESS: Field = Field::at(25);
    pub(crate) const CREATED_BY: Field = Field::at(26);
    pub(crate) const CREATED_BY_NAME: Field = Field::at(27);
    pub(crate) const CREATED_ON: Field = Field::at(28);
    pub(crate) const MODIFIED_ON: Field = Field::at(29);
    pub(crate) const LAST_VISIT_DATE: Field = Field::at(30);
    pub(crate) const MX_SUB_SOURCE: Field = Field::at(31);
    pub(crate) const MX_PRODUCT_INTEREST: Field = Field::at(32);
    pub(crate) const MX_BUDGET: Field = Field::at(33);
    pub(crate) const LEAD_AGE: Field = Field::at(34);
}

/// One stored value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Value {
    Null,
    /// Shared: a dataset interns repeated texts (sources, stages, owners).
    Text(Arc<str>),
    Number(i64),
    DateTime(NaiveDateTime),
}

impl Value {
    pub(crate) fn text(s: impl Into<Arc<str>>) -> Self {
        Value::Text(s.into())
    }

    /// LeadSquared prints every lead value as a string; dates as
    /// `yyyy-MM-dd HH:mm:ss.fff` (UTC).
    pub(crate) fn display(&self) -> Option<String> {
        self.shown().map(|shown| shown.to_string())
    }

    /// [`Value::display`] without making the string: for writing it.
    pub(crate) fn shown(&self) -> Option<Shown<'_>> {
        match self {
            Value::Null => None,
            Value::Text(s) => Some(Shown::Text(s)),
            Value::Number(n) => Some(Shown::Number(*n)),
            Value::DateTime(t) => Some(Shown::Date(*t)),
        }
    }
}

/// A value as LeadSquared prints it ([`Value::display`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shown<'a> {
    Text(&'a str),
    Number(i64),
    Date(NaiveDateTime),
}

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shown::Text(s) => f.write_str(s),
            Shown::Number(n) => f.write_str(Decimal::of(*n).as_str()),
            Shown::Date(t) => LsqDate(*t).fmt(f),
        }
    }
}

impl serde::Serialize for Shown<'_> {
    /// Numbers and dates are written as one string from a stack buffer:
    /// through `collect_str`, each of a date's thirteen pieces was escaped
    /// on its own (a fifth of a lead look-up's samples).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Shown::Text(s) => serializer.serialize_str(s),
            Shown::Number(n) => serializer.serialize_str(Decimal::of(*n).as_str()),
            Shown::Date(t) => match LsqDate(*t).ascii() {
                Some(text) => serializer.serialize_str(ascii_str(&text)),
                None => serializer.collect_str(self),
            },
        }
    }
}

impl Shown<'_> {
    /// The value as JSON, byte for byte as its `Serialize` writes it
    /// through serde_json (a test holds the two equal).
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Shown::Text(s) => write_str(out, s),
            // Digits, a sign, and a date's `-`, `:`, ` ` and `.`: nothing to escape.
            Shown::Number(n) => quoted(out, Decimal::of(*n).as_str().as_bytes()),
            Shown::Date(t) => match LsqDate(*t).ascii() {
                Some(text) => quoted(out, &text),
                None => write_str(out, &self.to_string()),
            },
        }
    }
}

fn quoted(out: &mut Vec<u8>, ascii: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(ascii);
    out.push(b'"');
}

/// An `i64` in decimal, in a stack buffer.
struct Decimal {
    digits: [u8; 20],
    start: usize,
}

impl Decimal {
    fn of(n: i64) -> Self {
        let mut digits = [b'0'; 20];
        let mut start = digits.len();
        let mut rest = n.unsigned_abs();
        loop {
            start -= 1;
            digits[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        if n < 0 {
            start -= 1;
            digits[start] = b'-';
        }
        Self { digits, start }
    }

    fn as_str(&self) -> &str {
        ascii_str(&self.digits[self.start..])
    }
}

/// Bytes this module wrote as ASCII, as text.
fn ascii_str(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// A time as LeadSquared prints it: `yyyy-MM-dd HH:mm:ss.fff`. Written from
/// its parts, since chrono's `format` parses its pattern on every call (a
/// lead has several dates, and a page many leads). Years outside 0 to 9999
/// and leap seconds, which the parts would not spell as chrono does, go
/// through chrono.
struct LsqDate(NaiveDateTime);

impl LsqDate {
    /// The text, from the parts; `None` where chrono must spell it.
    fn ascii(&self) -> Option<[u8; 23]> {
        use chrono::{Datelike, Timelike};
        let t = self.0;
        let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
        if t.nanosecond() >= 1_000_000_000 {
            return None;
        }
        let mut text = *b"0000-00-00 00:00:00.000";
        let parts = [
            (0, 4, year),
            (5, 2, t.month()),
            (8, 2, t.day()),
            (11, 2, t.hour()),
            (14, 2, t.minute()),
            (17, 2, t.second()),
            (20, 3, t.nanosecond() / 1_000_000),
        ];
        for (at, width, mut n) in parts {
            for digit in text[at..at + width].iter_mut().rev() {
                *digit = b'0' + (n % 10) as u8;
                n /= 10;
            }
        }
        Some(text)
    }
}

impl std::fmt::Display for LsqDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.ascii() {
            Some(text) => f.write_str(ascii_str(&text)),
            None => write!(f, "{}", self.0.format("%Y-%m-%d %H:%M:%S%.3f")),
        }
    }
}

/// A lead: one value per [`FIELDS`] entry (`LeadAge` is stored as Null and
/// computed on read).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Lead {
    pub(crate) values: Vec<Value>,
    /// Index of the owner in the account's user list (resolved once, so a
    /// query tests ownership without hashing ids).
    pub(crate) owner_index: usize,
}

impl Lead {
    pub(crate) fn empty() -> Self {
        Self {
            values: vec![Value::Null; FIELDS.len()],
            owner_index: usize::MAX,
        }
    }

    pub(crate) fn set(&mut self, field: Field, value: Value) {
        self.values[field.0] = value;
    }

    pub(crate) fn stored(&self, field: Field) -> &Value {
        &self.values[field.0]
    }

    pub(crate) fn owner(&self) -> Option<&str> {
        match &self.values[fields::OWNER_ID.0] {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// An account's leads stored by column: a query scans one or two columns
/// sequentially instead of visiting every lead's whole record, and repeated
/// texts are shared, so an aggregate over 20,000 leads stays well under a
/// millisecond or two.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    columns: Vec<Vec<Value>>,
    owners: Vec<usize>,
    /// Leads by id, email and phone, built when a v2 call first looks one up.
    index: OnceLock<Arc<LookupIndex>>,
}

/// Where a dataset's leads are, by what v2 calls look them up by.
#[derive(Debug, Default)]
pub(crate) struct LookupIndex {
    pub(crate) by_id: HashMap<Arc<str>, usize>,
    /// Lower-cased emails.
    pub(crate) by_email: HashMap<String, Vec<usize>>,
    /// The digits of `Phone` and `Mobile`.
    pub(crate) by_phone: HashMap<String, Vec<usize>>,
}

/// Columns with more distinct texts than this are not interned (names, ids).
const INTERN_LIMIT: usize = 4_096;

impl Dataset {
    pub(crate) fn from_leads(leads: Vec<Lead>) -> Self {
        let mut columns: Vec<Vec<Value>> = (0..FIELDS.len())
            .map(|_| Vec::with_capacity(leads.len()))
            .collect();
        let mut owners = Vec::with_capacity(leads.len());
        let mut interned: Vec<HashMap<Arc<str>, Arc<str>>> = vec![HashMap::new(); FIELDS.len()];
        for lead in leads {
            owners.push(lead.owner_index);
            for (index, value) in lead.values.into_iter().enumerate() {
                let value = match value {
                    Value::Text(text) if interned[index].len() < INTERN_LIMIT => {
                        let shared = interned[index].entry(text.clone()).or_insert(text);
                        Value::Text(Arc::clone(shared))
                    }
                    other => other,
                };
                columns[index].push(value);
            }
        }
        Self {
            columns,
            owners,
            index: OnceLock::new(),
        }
    }

    pub(crate) fn row(&self, row: usize) -> LeadRef<'_> {
        LeadRef { data: self, row }
    }

    pub(crate) fn index(&self) -> &LookupIndex {
        self.index.get_or_init(|| {
            let mut index = LookupIndex::default();
            for lead in self.rows() {
                if let Value::Text(id) = lead.stored(fields::PROSPECT_ID) {
                    index.by_id.insert(id.clone(), lead.row);
                }
                if let Value::Text(email) = lead.stored(fields::EMAIL_ADDRESS) {
                    index.by_email.entry(email.trim().to_lowercase()).or_default().push(lead.row);
                }
                for field in [fields::PHONE, fields::MOBILE] {
                    if let Value::Text(phone) = lead.stored(field) {
                        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
                        if !digits.is_empty() {
                            let rows = index.by_phone.entry(digits).or_default();
                            if rows.last() != Some(&lead.row) {
                                rows.push(lead.row);
                            }
                        }
                    }
                }
            }
            Arc::new(index)
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.owners.len()
    }

    pub(crate) fn rows(&self) -> impl Iterator<Item = LeadRef<'_>> {
        (0..self.len()).map(move |row| LeadRef { data: self, row })
    }
}

/// One lead of a [`Dataset`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct LeadRef<'a> {
    data: &'a Dataset,
    row: usize,
}

impl<'a> LeadRef<'a> {
    /// The stored value (`LeadAge` reads as Null here; see [`LeadRef::get`]).
    pub(crate) fn stored(self, field: Field) -> &'a Value {
        &self.data.columns[field.0][self.row]
    }

    /// The value of `field`, with `LeadAge` (whole days since creation) as of `now`.
    pub(crate) fn get(self, field: Field, now: NaiveDateTime) -> Value {
        if field == fields::LEAD_AGE {
            return match self.stored(fields::CREATED_ON) {
                Value::DateTime(created) => Value::Number((now - *created).num_days().max(0)),
                _ => Value::Null,
            };
        }
        self.stored(field).clone()
    }

    pub(crate) fn owner_index(self) -> usize {
        self.data.owners[self.row]
    }

    /// The lead as a record of its own.
    pub(crate) fn to_lead(self) -> Lead {
        Lead {
            values: self.data.columns.iter().map(|column| column[self.row].clone()).collect(),
            owner_index: self.owner_index(),
        }
    }
}

/// A user of the account (a lead owner), as Get Users describes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub(crate) id: Uuid,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) email: String,
    /// `Administrator`, `Sales_Manager` or `Sales_User`.
    pub(crate) role: String,
    /// 0 active, 1 inactive.
    pub(crate) status_code: u8,
    pub(crate) groups: Vec<String>,
}

impl User {
    pub(crate) fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_print_as_chronos_pattern_does_for_every_year_and_leap_seconds() {
        use chrono::{NaiveDate, NaiveTime};
        let times = [(0, 0, 0, 0), (23, 59, 59, 999_999_999), (12, 5, 9, 1_000_000), (1, 2, 3, 999_000), (23, 59, 59, 1_500_000_000)];
        for year in [-262_000, -1, 0, 1, 999, 1970, 2030, 9999, 10_000, 262_000] {
            for (h, m, s, nanos) in times {
                let Some(date) = NaiveDate::from_ymd_opt(year, 12, 31) else { continue };
                let time = NaiveTime::from_hms_nano_opt(h, m, s, nanos).unwrap_or_default();
                let t = NaiveDateTime::new(date, time);
                assert_eq!(LsqDate(t).to_string(), t.format("%Y-%m-%d %H:%M:%S%.3f").to_string(), "{t:?}");
                assert_eq!(Value::DateTime(t).display(), Some(t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()));
                let quoted = format!("\"{}\"", t.format("%Y-%m-%d %H:%M:%S%.3f"));
                assert_eq!(serde_json::to_string(&Value::DateTime(t).shown()).ok(), Some(quoted), "{t:?}");
            }
        }
        for n in [i64::MIN, i64::MIN + 1, -1_000_000, -42, -9, -1, 0, 1, 9, 10, 99, 100, 123_456_789, i64::MAX] {
            assert_eq!(Value::Number(n).display(), Some(n.to_string()));
            assert_eq!(serde_json::to_string(&Value::Number(n).shown()).ok(), Some(format!("\"{n}\"")));
        }
        assert_eq!(Value::Number(-42).display().as_deref(), Some("-42"));
        assert_eq!(serde_json::to_string(&Value::text("a\"b").shown()).unwrap_or_default(), r#""a\"b""#);
        assert_eq!(serde_json::to_string(&Value::Number(7).shown()).unwrap_or_default(), r#""7""#);
        assert_eq!(Value::Null.shown().map(|s| s.to_string()), None);
    }

    #[test]
    fn shown_values_are_written_as_serde_json_writes_them() {
        use chrono::{NaiveDate, NaiveTime};
        let mut values: Vec<Value> = ["", "plain", "a\"b\\c", "line\nbreak\u{1}", "naïve ✓", "</script>"]
            .into_iter()
            .map(Value::text)
            .collect();
        values.extend([i64::MIN, -1, 0, 7, i64::MAX].map(Value::Number));
        for year in [-262_000, -1, 0, 999, 2030, 9999, 10_000, 262_000] {
            for nanos in [0, 999_999_999, 1_500_000_000] {
                let Some(date) = NaiveDate::from_ymd_opt(year, 2, 28) else { continue };
                let time = NaiveTime::from_hms_nano_opt(23, 59, 59, nanos).unwrap_or_default();
                values.push(Value::DateTime(NaiveDateTime::new(date, time)));
            }
        }
        for value in &values {
            let Some(shown) = value.shown() else { continue };
            let mut written = Vec::new();
            shown.write_json(&mut written);
            assert_eq!(String::from_utf8(written).ok(), serde_json::to_string(&shown).ok(), "{value:?}");
        }
    }

    #[test]
    fn field_constants_match_the_schema_table() {
        for (index, (name, _)) in FIELDS.iter().enumerate() {
            assert_eq!(Field::named(name), Some(Field(index)));
        }
        assert_eq!(fields::LEAD_AGE.name(), "LeadAge");
        assert_eq!(fields::MX_BUDGET.name(), "mx_Budget");
        assert_eq!(fields::CREATED_ON.name(), "CreatedOn");
        assert_eq!(fields::OWNER_ID.name(), "OwnerId");
        assert_eq!(fields::ENGAGEMENT_SCORE.name(), "EngagementScore");
        assert_eq!(Field::named("engagementscore"), None, "names are case-sensitive");
    }
}
