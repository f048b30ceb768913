//! What v2 clients wrote, per account: leads they created, generated or
//! listed leads they changed, activities and activity types. An account's
//! leads are its generated and listed ones with these writes laid over
//! them; the analytics endpoint reads the same merged set.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, OnceLock};

use chrono::NaiveDateTime;
use foldhash::HashMap;
use uuid::Uuid;

use super::super::model::{Dataset, Field, Lead, LeadRef, Value, fields};
use super::schema::{email_key, phone_digits};

/// What one account's writes may weigh (leads, their extra fields and
/// activities, as their text): past it a write is refused.
pub const MAX_ACCOUNT_WRITE_BYTES: usize = 16 << 20;
/// What every account's writes together may weigh.
pub const MAX_WRITE_BYTES: usize = 256 << 20;
/// What a stored record costs beside its text (values, maps, index).
const RECORD_OVERHEAD: usize = 640;

/// A lead as the v2 API reads and writes it: the analytics engine's values,
/// the schema's other fields, and its latest activity.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    pub(crate) lead: Lead,
    pub(crate) extra: BTreeMap<String, String>,
    pub(crate) last_activity: Option<ActivitySummary>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ActivitySummary {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) at: NaiveDateTime,
}

impl Record {
    pub(crate) fn id(&self) -> Option<&str> {
        match self.lead.stored(fields::PROSPECT_ID) {
            Value::Text(id) => Some(id),
            _ => None,
        }
    }

    pub(crate) fn text(&self, field: Field) -> Option<&str> {
        match self.lead.stored(field) {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    fn email(&self) -> Option<String> {
        self.text(fields::EMAIL_ADDRESS).map(email_key)
    }

    fn phones(&self) -> impl Iterator<Item = String> + '_ {
        [fields::PHONE, fields::MOBILE]
            .into_iter()
            .filter_map(|f| self.text(f).map(phone_digits))
            .filter(|d| !d.is_empty())
    }

    fn weight(&self) -> usize {
        let values: usize = self
            .lead
            .values
            .iter()
            .map(|v| match v {
                Value::Text(t) => t.len(),
                _ => 0,
            })
            .sum();
        let extra: usize = self.extra.iter().map(|(k, v)| k.len() + v.len() + 32).sum();
        RECORD_OVERHEAD + values + extra
    }
}

/// A posted activity.
#[derive(Debug, Clone)]
pub(crate) struct Activity {
    pub(crate) id: Uuid,
    pub(crate) lead: Arc<str>,
    pub(crate) event: i64,
    pub(crate) name: String,
    pub(crate) score: i64,
    pub(crate) note: Option<String>,
    /// When it happened (`ActivityDateTime`, or when it was posted).
    pub(crate) at: NaiveDateTime,
    pub(crate) created_on: NaiveDateTime,
    pub(crate) fields: Vec<(String, String)>,
}

impl Activity {
    fn weight(&self) -> usize {
        let fields: usize = self.fields.iter().map(|(k, v)| k.len() + v.len() + 32).sum();
        256 + self.name.len() + self.note.as_ref().map_or(0, String::len) + fields
    }
}

/// An activity type: a built-in one, or one a client created.
#[derive(Debug, Clone)]
pub(crate) struct ActivityType {
    pub(crate) code: i64,
    pub(crate) name: String,
    pub(crate) score: i64,
    pub(crate) description: String,
    /// 0 inbound, 1 outbound.
    pub(crate) direction: i64,
}

/// The types every account has. Codes of custom types start at
/// [`FIRST_CUSTOM_CODE`], as LeadSquared's do.
fn builtin_types() -> &'static [ActivityType] {
    static TYPES: LazyLock<Vec<ActivityType>> = LazyLock::new(|| {
        [
            (1, "Page Visited on Website", 2, "The lead visited a page of the website"),
            (10, "Email Opened", 3, "The lead opened an email"),
            (11, "Email Link Clicked", 5, "The lead clicked a link in an email"),
            (21, "Lead Capture", 0, "The lead was captured through Lead.Capture"),
            (22, "Form Submitted on Website", 10, "The lead submitted a form"),
            (200, "Phone Call", 5, "A phone conversation with the lead"),
        ]
        .into_iter()
        .map(|(code, name, score, description)| ActivityType {
            code,
            name: name.to_owned(),
            score,
            description: description.to_owned(),
            direction: 0,
        })
        .collect()
    });
    &TYPES
}

pub(crate) const FIRST_CUSTOM_CODE: i64 = 201;
/// What `Lead.Capture` posts each time it creates or updates a lead.
pub(crate) const LEAD_CAPTURE: i64 = 21;

/// One account's writes.
#[derive(Debug, Default)]
pub(crate) struct AccountWrites {
    /// Created and changed leads by `ProspectID`.
    pub(crate) leads: HashMap<Arc<str>, Record>,
    /// Their ids in the order they were first written.
    pub(crate) order: Vec<Arc<str>>,
    /// Their ids by lower-cased email, and by the digits of `Phone` and `Mobile`.
    emails: HashMap<String, Arc<str>>,
    phones: HashMap<String, Vec<Arc<str>>>,
    /// Leads created so far (numbers new ids and `ProspectAutoId`s).
    pub(crate) created: u64,
    pub(crate) activities: Vec<Activity>,
    pub(crate) types: Vec<ActivityType>,
    bytes: usize,
    /// Changes on every write (from the store's counter, so it never repeats).
    pub(crate) version: u64,
}

/// Why a write was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Full {
    Account,
    Server,
}

/// Every account's writes, keyed by access key (so they outlive fixture
/// merges); one lock, held for map operations only. Its maps hash with
/// foldhash, as the marketplace store's do: SipHash showed in every
/// capture, over the account's key and the lead's id, email and phones.
#[derive(Debug)]
pub(crate) struct Writes {
    accounts: Mutex<HashMap<Arc<str>, AccountWrites>>,
    /// Numbers every write; an account's version is its last write's.
    writes: AtomicU64,
    bytes: AtomicU64,
    max_account_bytes: usize,
    max_bytes: usize,
}

impl Default for Writes {
    fn default() -> Self {
        Self::with_bounds(MAX_ACCOUNT_WRITE_BYTES, MAX_WRITE_BYTES)
    }
}

/// An account's writes, locked for one call.
pub(crate) struct Session<'a> {
    guard: MutexGuard<'a, HashMap<Arc<str>, AccountWrites>>,
    /// The map's own key, shared: a write looks its account up again
    /// without copying the key.
    key: Arc<str>,
    store: &'a Writes,
}

impl Writes {
    pub(crate) fn with_bounds(max_account_bytes: usize, max_bytes: usize) -> Self {
        Self {
            accounts: Mutex::default(),
            writes: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            max_account_bytes,
            max_bytes,
        }
    }

    pub(crate) fn lock(&self, access_key: &str) -> Session<'_> {
        let mut guard = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        let key = match guard.get_key_value(access_key) {
            Some((key, _)) => Arc::clone(key),
            None => {
                let key: Arc<str> = access_key.into();
                guard.insert(Arc::clone(&key), AccountWrites::default());
                key
            }
        };
        Session { guard, key, store: self }
    }

    /// The account's version: 0 while it has no writes.
    pub(crate) fn version(&self, access_key: &str) -> u64 {
        let guard = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        guard.get(access_key).map_or(0, |w| w.version)
    }

    pub(crate) fn clear(&self) {
        self.accounts.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.bytes.store(0, Ordering::Relaxed);
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed) as usize
    }
}

impl Session<'_> {
    pub(crate) fn writes(&self) -> &AccountWrites {
        // Present: `lock` made the entry.
        static EMPTY: OnceLock<AccountWrites> = OnceLock::new();
        self.guard.get(&*self.key).unwrap_or_else(|| EMPTY.get_or_init(AccountWrites::default))
    }

    fn writes_mut(&mut self) -> &mut AccountWrites {
        self.guard.entry(Arc::clone(&self.key)).or_default()
    }

    /// Room for `more` bytes, or why not.
    pub(crate) fn room(&self, more: usize) -> Result<(), Full> {
        if self.writes().bytes + more > self.store.max_account_bytes {
            return Err(Full::Account);
        }
        if self.store.bytes() + more > self.store.max_bytes {
            return Err(Full::Server);
        }
        Ok(())
    }

    fn charge(&mut self, before: usize, after: usize) {
        let writes = self.writes_mut();
        writes.bytes = (writes.bytes + after).saturating_sub(before);
        let total = self.store.bytes.load(Ordering::Relaxed) as usize;
        self.store
            .bytes
            .store((total + after).saturating_sub(before) as u64, Ordering::Relaxed);
        self.bump();
    }

    fn bump(&mut self) {
        let version = self.store.writes.fetch_add(1, Ordering::Relaxed) + 1;
        self.writes_mut().version = version;
    }

    /// A new lead's number (for its id and `ProspectAutoId`).
    pub(crate) fn next_created(&mut self) -> u64 {
        let writes = self.writes_mut();
        writes.created += 1;
        writes.created
    }

    /// Stores `record` (new, or replacing the lead with its id).
    pub(crate) fn put(&mut self, record: Record) -> Result<(), Full> {
        let Some(id) = record.id().map(Arc::<str>::from) else {
            return Ok(());
        };
        let before = self.writes().leads.get(&id).map_or(0, Record::weight);
        let after = record.weight();
        if after > before {
            self.room(after - before)?;
        }
        let writes = self.writes_mut();
        if let Some(old) = writes.leads.get(&id) {
            if let Some(email) = old.email() {
                writes.emails.remove(&email);
            }
            for phone in old.phones() {
                if let Some(ids) = writes.phones.get_mut(&phone) {
                    ids.retain(|other| *other != id);
                }
            }
        }
        if let Some(email) = record.email() {
            writes.emails.insert(email, id.clone());
        }
        for phone in record.phones() {
            let ids = writes.phones.entry(phone).or_default();
            if !ids.contains(&id) {
                ids.push(id.clone());
            }
        }
        if writes.leads.insert(id.clone(), record).is_none() {
            writes.order.push(id);
        }
        self.charge(before, after);
        Ok(())
    }

    pub(crate) fn add_activity(&mut self, activity: Activity) -> Result<(), Full> {
        let weight = activity.weight();
        self.room(weight)?;
        self.writes_mut().activities.push(activity);
        self.charge(0, weight);
        Ok(())
    }

    pub(crate) fn add_type(&mut self, kind: ActivityType) -> Result<(), Full> {
        let weight = 128 + kind.name.len() + kind.description.len();
        self.room(weight)?;
        self.writes_mut().types.push(kind);
        self.charge(0, weight);
        Ok(())
    }

    /// Every activity type of the account: built-in, then created.
    pub(crate) fn types(&self) -> Vec<ActivityType> {
        self.types_in_place().cloned().collect()
    }

    /// The activity type numbered `code`.
    pub(crate) fn activity_type(&self, code: i64) -> Option<&ActivityType> {
        self.types_in_place().find(|t| t.code == code)
    }

    fn types_in_place(&self) -> impl Iterator<Item = &ActivityType> {
        builtin_types().iter().chain(&self.writes().types)
    }

    /// The lead with `id`: written, else generated or listed.
    pub(crate) fn by_id(&self, base: &Dataset, id: &str) -> Option<Record> {
        self.view_by_id(base, id).map(RecordView::to_record)
    }

    /// The lead [`Self::by_id`] finds, read in place.
    pub(crate) fn view_by_id<'s>(&'s self, base: &'s Dataset, id: &str) -> Option<RecordView<'s>> {
        if let Some(record) = self.writes().leads.get(id) {
            return Some(RecordView::Written(record));
        }
        base.index().by_id.get(id).map(|row| RecordView::Listed(base.row(*row)))
    }

    /// The lead whose `EmailAddress` is `email` (any case).
    pub(crate) fn by_email(&self, base: &Dataset, email: &str) -> Option<Record> {
        self.view_by_email(base, email).map(RecordView::to_record)
    }

    /// The lead [`Self::by_email`] finds, read in place.
    pub(crate) fn view_by_email<'s>(&'s self, base: &'s Dataset, email: &str) -> Option<RecordView<'s>> {
        Some(match self.email_match(base, email)? {
            Found::Written(record) => RecordView::Written(record),
            Found::Listed(_, lead) => RecordView::Listed(lead),
        })
    }

    /// The id of the lead [`Self::by_email`] finds, read in place: a
    /// uniqueness check needs no copy of the lead.
    pub(crate) fn email_owner<'s>(&'s self, base: &'s Dataset, email: &str) -> Option<&'s str> {
        match self.email_match(base, email)? {
            Found::Written(record) => record.id(),
            Found::Listed(id, _) => Some(id),
        }
    }

    fn email_match<'s>(&'s self, base: &'s Dataset, email: &str) -> Option<Found<'s>> {
        let key = email_key(email);
        if key.is_empty() {
            return None;
        }
        let writes = self.writes();
        if let Some(record) = writes.emails.get(&key).and_then(|id| writes.leads.get(id)) {
            return Some(Found::Written(record));
        }
        let rows = base.index().by_email.get(&key)?;
        self.unchanged_ids(base, rows).next().map(|(id, lead)| Found::Listed(id, lead))
    }

    /// Leads whose `Phone` or `Mobile` is the number `phone`, most recently
    /// modified first.
    pub(crate) fn by_phone(&self, base: &Dataset, phone: &str) -> Vec<Record> {
        self.views_by_phone(base, phone).into_iter().map(RecordView::to_record).collect()
    }

    /// The leads [`Self::by_phone`] finds, in its order, read in place.
    pub(crate) fn views_by_phone<'s>(&'s self, base: &'s Dataset, phone: &str) -> Vec<RecordView<'s>> {
        let digits = phone_digits(phone);
        if digits.is_empty() {
            return Vec::new();
        }
        let writes = self.writes();
        let mut found: Vec<RecordView<'s>> = writes
            .phones
            .get(&digits)
            .into_iter()
            .flatten()
            .filter_map(|id| writes.leads.get(id).map(RecordView::Written))
            .collect();
        if let Some(rows) = base.index().by_phone.get(&digits) {
            found.extend(self.unchanged_ids(base, rows).map(|(_, lead)| RecordView::Listed(lead)));
        }
        // Stable, as before: equal times keep written leads first.
        found.sort_by_key(|view| std::cmp::Reverse(view.modified_on()));
        found
    }

    /// Whether a lead [`Self::by_phone`] finds for `phone`, other than the
    /// lead `own`, has that number as its `Phone`; read in place.
    pub(crate) fn phone_taken(&self, base: &Dataset, phone: &str, own: &str) -> bool {
        let digits = phone_digits(phone);
        if digits.is_empty() {
            return false;
        }
        let clashes = |id: &str, other_phone: &Value| {
            id != own && matches!(other_phone, Value::Text(p) if phone_digits(p) == digits)
        };
        let writes = self.writes();
        let written = writes.phones.get(&digits).into_iter().flatten();
        let written_clash = written
            .filter_map(|id| writes.leads.get(id))
            .any(|record| record.id().is_some_and(|id| clashes(id, record.lead.stored(fields::PHONE))));
        written_clash
            || base.index().by_phone.get(&digits).is_some_and(|rows| {
                self.unchanged_ids(base, rows)
                    .any(|(id, lead)| clashes(id, lead.stored(fields::PHONE)))
            })
    }

    /// Base rows no write replaced, with their ids.
    fn unchanged_ids<'b>(
        &'b self,
        base: &'b Dataset,
        rows: &'b [usize],
    ) -> impl Iterator<Item = (&'b str, LeadRef<'b>)> + 'b {
        rows.iter().map(|row| base.row(*row)).filter_map(move |lead| match lead.stored(fields::PROSPECT_ID) {
            Value::Text(id) if !self.writes().leads.contains_key(&**id) => Some((&**id, lead)),
            _ => None,
        })
    }
}

/// A lead a look-up found, where it lies.
enum Found<'s> {
    Written(&'s Record),
    /// A generated or listed lead no write replaced, and its id.
    Listed(&'s str, LeadRef<'s>),
}

/// A lead read where it lies, so that a look-up prints it without a copy.
#[derive(Clone, Copy)]
pub(crate) enum RecordView<'a> {
    Written(&'a Record),
    /// A generated or listed lead: nothing beside its values yet.
    Listed(LeadRef<'a>),
}

impl<'a> RecordView<'a> {
    pub(crate) fn stored(self, field: Field) -> &'a Value {
        match self {
            RecordView::Written(record) => record.lead.stored(field),
            RecordView::Listed(lead) => lead.stored(field),
        }
    }

    /// A field of the schema outside the analytics engine's.
    pub(crate) fn extra(self, name: &str) -> Option<&'a str> {
        match self {
            RecordView::Written(record) => record.extra.get(name).map(String::as_str),
            RecordView::Listed(_) => None,
        }
    }

    /// When the lead last changed (`ModifiedOn`); the earliest time when unset.
    pub(crate) fn modified_on(self) -> NaiveDateTime {
        match self.stored(fields::MODIFIED_ON) {
            Value::DateTime(t) => *t,
            _ => NaiveDateTime::MIN,
        }
    }

    pub(crate) fn last_activity(self) -> Option<&'a ActivitySummary> {
        match self {
            RecordView::Written(record) => record.last_activity.as_ref(),
            RecordView::Listed(_) => None,
        }
    }

    pub(crate) fn to_record(self) -> Record {
        match self {
            RecordView::Written(record) => record.clone(),
            RecordView::Listed(lead) => record_of(lead),
        }
    }
}

impl<'a> From<&'a Record> for RecordView<'a> {
    fn from(record: &'a Record) -> Self {
        RecordView::Written(record)
    }
}

/// A generated or listed lead as a record (nothing beside it yet).
pub(crate) fn record_of(lead: LeadRef<'_>) -> Record {
    Record {
        lead: lead.to_lead(),
        extra: BTreeMap::new(),
        last_activity: None,
    }
}

/// The account's leads with its writes laid over them: changed leads
/// replace their originals, created ones follow.
pub(crate) fn merged(base: &Dataset, writes: &AccountWrites) -> Dataset {
    let mut leads: Vec<Lead> = Vec::with_capacity(base.len() + writes.order.len());
    for row in base.rows() {
        let replaced = match row.stored(fields::PROSPECT_ID) {
            Value::Text(id) => writes.leads.contains_key(&**id),
            _ => false,
        };
        if !replaced {
            leads.push(row.to_lead());
        }
    }
    leads.extend(writes.order.iter().filter_map(|id| writes.leads.get(id)).map(|r| r.lead.clone()));
    Dataset::from_leads(leads)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apis::leadsquared::model::Lead;
    use crate::apis::leadsquared::v2::schema::phone_digits;

    fn record(n: usize, notes: usize) -> Record {
        let mut lead = Lead::empty();
        lead.set(fields::PROSPECT_ID, Value::text(format!("lead-{n}")));
        Record {
            lead,
            extra: BTreeMap::from([("Notes".to_owned(), "n".repeat(notes))]),
            last_activity: None,
        }
    }

    #[test]
    fn writes_are_bounded_per_account_and_in_all_and_reset_frees_them() {
        let weight = record(0, 1_000).weight();
        let writes = Writes::with_bounds(3 * weight + 8, 5 * weight);
        let mut a = writes.lock("a");
        for n in 0..3 {
            assert_eq!(a.put(record(n, 1_000)), Ok(()));
        }
        assert_eq!(a.put(record(3, 1_000)), Err(Full::Account));
        // Replacing a lead by a smaller one always fits.
        assert_eq!(a.put(record(2, 10)), Ok(()));
        assert_eq!(a.writes().leads.len(), 3);
        drop(a);
        let mut b = writes.lock("b");
        assert_eq!(b.put(record(10, 1_000)), Ok(()));
        assert_eq!(b.put(record(11, 1_000)), Ok(()));
        assert_eq!(b.put(record(12, 1_000)), Err(Full::Server));
        assert!(writes.bytes() <= 5 * weight);
        let version = b.writes().version;
        assert!(version > 0);
        drop(b);
        writes.clear();
        assert_eq!((writes.bytes(), writes.version("a")), (0, 0));
        assert_eq!(writes.lock("a").put(record(0, 1_000)), Ok(()));
        assert!(writes.version("a") > version, "versions never repeat");
    }

    fn lead(id: &str, email: &str, phone: &str, mobile: &str) -> Lead {
        let mut lead = Lead::empty();
        lead.set(fields::PROSPECT_ID, Value::text(id));
        for (field, text) in [(fields::EMAIL_ADDRESS, email), (fields::PHONE, phone), (fields::MOBILE, mobile)] {
            if !text.is_empty() {
                lead.set(field, Value::text(text));
            }
        }
        lead
    }

    /// The in-place look-ups of uniqueness checks agree with the copying
    /// ones they replace, over written leads, listed leads a write
    /// replaced, and listed leads no write touched.
    #[test]
    fn in_place_lookups_agree_with_copying_ones() {
        let base = Dataset::from_leads(vec![
            lead("a", "A@x.com", "555-0001", ""),
            lead("b", "b@x.com", "", "(555) 0001"),
            lead("c", "c@x.com", "5550002", ""),
            lead("d", "shared@x.com", "5550003", "5550002"),
        ]);
        let writes = Writes::default();
        let mut session = writes.lock("acct");
        // "c" is rewritten with another email and phone; "e" is new and
        // takes c's old phone; "f" takes a's email in another case.
        for written in [
            lead("c", "c2@x.com", "5550009", ""),
            lead("e", "e@x.com", "5550002", ""),
            lead("f", "", "", "5550001"),
        ] {
            let record = Record {
                lead: written,
                extra: BTreeMap::new(),
                last_activity: None,
            };
            assert_eq!(session.put(record), Ok(()));
        }
        let emails = ["a@x.com", " A@X.COM ", "b@x.com", "c@x.com", "c2@x.com", "shared@x.com", "e@x.com", "none@x.com", ""];
        for email in emails {
            let copied = session.by_email(&base, email);
            assert_eq!(session.email_owner(&base, email), copied.as_ref().and_then(Record::id), "{email}");
        }
        let phones = ["5550001", "+1 555 0001", "5550002", "5550003", "5550009", "0000", ""];
        for phone in phones {
            for own in ["a", "b", "c", "d", "e", "f", ""] {
                let digits = phone_digits(phone);
                let copied = session
                    .by_phone(&base, phone)
                    .iter()
                    .any(|other| other.id() != Some(own) && other.text(fields::PHONE).map(phone_digits) == Some(digits.clone()));
                assert_eq!(session.phone_taken(&base, phone, own), copied, "{phone} for {own}");
            }
        }
        // The cases above are not all "no": both answers occur.
        assert_eq!(session.email_owner(&base, "c@x.com"), None, "a rewritten lead's old email is free");
        assert_eq!(session.email_owner(&base, "c2@x.com"), Some("c"));
        assert!(session.phone_taken(&base, "5550002", "d"));
        assert!(!session.phone_taken(&base, "5550002", "e"));
    }
}
