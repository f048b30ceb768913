//! Recorded UI events (offer displays and session inits), in memory and
//! bounded: when a kind exceeds its capacity the oldest records are dropped
//! and counted, so a long load test cannot exhaust memory.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use foldhash::HashMap;
use serde::Serialize;
use uuid::Uuid;

use crate::shared::json_writer::Object;
use crate::shared::seed::Seed;
use crate::shared::time::serialize_rfc3339_millis;

/// Who a display or session belongs to: a company, or nobody we can tell
/// (a pixel hit for a lead no company owns).
pub(crate) type Owner = Option<Uuid>;

/// `createdBy` for records no company can be credited with.
pub(crate) const UNATTRIBUTED: Uuid = Uuid::from_u128(0x756e_6174_7472_6962_7574_6564_0000_0000);

/// How a display reached leadsim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Source {
    Api,
    Pixel,
}

/// The vendor's `OfferDisplay`, plus where it came from (admin view only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OfferDisplay {
    pub(crate) id: i64,
    pub(crate) uuid: Uuid,
    pub(crate) lead_uuid: Uuid,
    pub(crate) rate_table_uuid: Uuid,
    pub(crate) offer_uuid: Uuid,
    #[serde(serialize_with = "serialize_rfc3339_millis")]
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) created_by: Uuid,
    #[serde(skip)]
    pub(crate) source: Source,
}

impl OfferDisplay {
    /// The display as its `Serialize` writes it (a test holds the two
    /// equal): a created display is answered on every POST.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        let mut o = Object::new(out);
        o.int("id", self.id);
        o.uuid("uuid", self.uuid);
        o.uuid("leadUuid", self.lead_uuid);
        o.uuid("rateTableUuid", self.rate_table_uuid);
        o.uuid("offerUuid", self.offer_uuid);
        o.millis("createdAt", self.created_at);
        o.uuid("createdBy", self.created_by);
        o.end();
    }
}

/// The vendor's `SessionInit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SessionInit {
    pub(crate) id: i64,
    pub(crate) uuid: Uuid,
    pub(crate) session_uuid: Uuid,
    #[serde(serialize_with = "serialize_rfc3339_millis")]
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) created_by: Uuid,
}

/// A display as stored: its `uuid` is a pure function of (seed, owner, id),
/// derived when someone reads it, so the pixel route never hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordedDisplay {
    pub(crate) id: i64,
    pub(crate) owner: Owner,
    pub(crate) offer: DisplayedOffer,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) source: Source,
}

/// The three uuids a display names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DisplayedOffer {
    pub(crate) lead_uuid: Uuid,
    pub(crate) rate_table_uuid: Uuid,
    pub(crate) offer_uuid: Uuid,
}

/// A bounded, oldest-first ring with a count of what it dropped.
#[derive(Debug)]
struct Ring<T> {
    items: VecDeque<T>,
    dropped: u64,
}

impl<T> Ring<T> {
    /// Reserved up front (address space; pages are touched as records
    /// arrive): a ring grown by doubling leaves its outgrown buffers to the
    /// allocator, which showed as RSS over a million pixel hits.
    fn with_capacity(capacity: usize) -> Self {
        Self {
            items: VecDeque::with_capacity(capacity.min(PREALLOCATED_RECORDS)),
            dropped: 0,
        }
    }

    fn listing(&self, capacity: usize, keep: impl Fn(&T) -> bool) -> Listing<T>
    where
        T: Clone,
    {
        let items: Vec<T> = self.items.iter().filter(|item| keep(item)).cloned().collect();
        Listing {
            count: items.len(),
            dropped: self.dropped,
            capacity,
            items,
        }
    }

    fn push(&mut self, item: T, capacity: usize) {
        if capacity == 0 {
            self.dropped += 1;
            return;
        }
        while self.items.len() >= capacity {
            self.items.pop_front();
            self.dropped += 1;
        }
        self.items.push_back(item);
    }
}

#[derive(Debug)]
struct Store {
    displays: Ring<RecordedDisplay>,
    sessions: Ring<SessionInit>,
    /// Last id handed out per owner: ids increase per company and never repeat
    /// until reset, even when old records are dropped.
    display_ids: HashMap<Owner, i64>,
    session_ids: HashMap<Owner, i64>,
}

/// Records reserved for per kind at start, at most.
const PREALLOCATED_RECORDS: usize = 1_000_000;

impl Store {
    fn new(capacity: usize) -> Self {
        Self {
            displays: Ring::with_capacity(capacity),
            sessions: Ring::with_capacity(capacity),
            display_ids: HashMap::default(),
            session_ids: HashMap::default(),
        }
    }
}

fn next_id(ids: &mut HashMap<Owner, i64>, owner: Owner) -> i64 {
    let id = ids.entry(owner).or_insert(0);
    *id += 1;
    *id
}

/// A listing for test assertions.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Listing<T> {
    pub(crate) count: usize,
    /// Records dropped because the store reached its capacity (since reset).
    pub(crate) dropped: u64,
    pub(crate) capacity: usize,
    pub(crate) items: Vec<T>,
}

impl<T> Listing<T> {
    fn map<U>(self, f: impl FnMut(T) -> U) -> Listing<U> {
        Listing {
            count: self.count,
            dropped: self.dropped,
            capacity: self.capacity,
            items: self.items.into_iter().map(f).collect(),
        }
    }
}

/// Cheap-to-clone handle; the lock never leaves this type.
#[derive(Debug, Clone)]
pub(crate) struct UiEvents {
    store: Arc<Mutex<Store>>,
    capacity: usize,
    seed: Seed,
}

impl UiEvents {
    pub(crate) fn new(capacity: usize, seed: Seed) -> Self {
        Self {
            store: Arc::new(Mutex::new(Store::new(capacity))),
            capacity,
            seed,
        }
    }

    pub(crate) fn record_display(
        &self,
        owner: Owner,
        offer: DisplayedOffer,
        source: Source,
        now: DateTime<Utc>,
    ) -> RecordedDisplay {
        let mut store = self.lock();
        let display = RecordedDisplay {
            id: next_id(&mut store.display_ids, owner),
            owner,
            offer,
            created_at: now,
            source,
        };
        store.displays.push(display, self.capacity);
        display
    }

    /// The vendor's view of a recorded display.
    pub(crate) fn offer_display(&self, recorded: &RecordedDisplay) -> OfferDisplay {
        OfferDisplay {
            id: recorded.id,
            uuid: self.seed.uuid(
                "engine.offerDisplay",
                (owner_key(recorded.owner), recorded.id as u64),
            ),
            lead_uuid: recorded.offer.lead_uuid,
            rate_table_uuid: recorded.offer.rate_table_uuid,
            offer_uuid: recorded.offer.offer_uuid,
            created_at: recorded.created_at,
            created_by: owner_key(recorded.owner),
            source: recorded.source,
        }
    }

    /// Records a session; `session_uuid` is generated when the client gave none.
    pub(crate) fn record_session(
        &self,
        owner: Owner,
        session_uuid: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> SessionInit {
        let mut store = self.lock();
        let id = next_id(&mut store.session_ids, owner);
        let key = (owner_key(owner), id as u64);
        let session = SessionInit {
            id,
            uuid: self.seed.uuid("engine.sessionInit", key),
            session_uuid: session_uuid.unwrap_or_else(|| self.seed.uuid("engine.sessionUuid", key)),
            created_at: now,
            created_by: owner.unwrap_or(UNATTRIBUTED),
        };
        store.sessions.push(session.clone(), self.capacity);
        session
    }

    /// Displays, oldest first, optionally only those of one lead and of one
    /// creator (`createdBy`).
    pub(crate) fn displays(&self, lead: Option<Uuid>, creator: Option<Uuid>) -> Listing<OfferDisplay> {
        let recorded = self.lock().displays.listing(self.capacity, |d| {
            lead.is_none_or(|l| d.offer.lead_uuid == l)
                && creator.is_none_or(|c| d.owner.unwrap_or(UNATTRIBUTED) == c)
        });
        // Uuids are hashed here, after the lock is released.
        recorded.map(|d| self.offer_display(&d))
    }

    /// Sessions, oldest first, optionally only those with one `sessionUuid`
    /// and of one creator (`createdBy`).
    pub(crate) fn sessions(&self, session: Option<Uuid>, creator: Option<Uuid>) -> Listing<SessionInit> {
        let store = self.lock();
        store.sessions.listing(self.capacity, |s| {
            session.is_none_or(|u| s.session_uuid == u) && creator.is_none_or(|c| s.created_by == c)
        })
    }

    pub(crate) fn clear(&self) {
        *self.lock() = Store::new(self.capacity);
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        // Each mutation completes before the guard drops; a poisoned store is still consistent.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn owner_key(owner: Owner) -> Uuid {
    owner.unwrap_or(UNATTRIBUTED)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(n: u128) -> DisplayedOffer {
        DisplayedOffer {
            lead_uuid: Uuid::from_u128(n),
            rate_table_uuid: Uuid::from_u128(n + 1),
            offer_uuid: Uuid::from_u128(n + 2),
        }
    }

    #[test]
    fn offer_displays_are_written_as_serde_writes_them() {
        let store = UiEvents::new(10, Seed::new(1));
        let times = [0, 1_577_865_600_123, 253_402_300_799_999, 400_000_000_000_000, -1];
        for (n, millis) in times.into_iter().enumerate() {
            let owner = (n % 2 == 0).then(|| Uuid::from_u128(n as u128 + 7));
            let at = DateTime::from_timestamp_millis(millis).unwrap_or_default();
            let recorded = store.record_display(owner, offer(n as u128 * 3), Source::Api, at);
            let display = store.offer_display(&recorded);
            let mut written = Vec::new();
            display.write(&mut written);
            assert_eq!(String::from_utf8(written).ok(), serde_json::to_string(&display).ok(), "{display:?}");
        }
    }

    #[test]
    fn ids_increase_per_owner() {
        let store = UiEvents::new(10, Seed::new(1));
        let a = Some(Uuid::from_u128(1));
        let b = Some(Uuid::from_u128(2));
        let now = Utc::now();
        let ids: Vec<_> = [a, a, b, None, a]
            .into_iter()
            .map(|o| store.record_display(o, offer(9), Source::Api, now).id)
            .collect();
        assert_eq!(ids, [1, 2, 1, 1, 3]);
    }

    #[test]
    fn capacity_drops_the_oldest_and_counts_them() {
        let store = UiEvents::new(2, Seed::new(1));
        for n in 0..5 {
            store.record_display(None, offer(n * 10), Source::Pixel, Utc::now());
        }
        let listing = store.displays(None, None);
        assert_eq!(listing.count, 2);
        assert_eq!(listing.dropped, 3);
        assert_eq!(listing.items[0].id, 4, "ids keep increasing after drops");
        assert_eq!(listing.items[0].lead_uuid, Uuid::from_u128(30));
    }

    #[test]
    fn generated_session_uuids_are_distinct_and_given_ones_echoed() {
        let store = UiEvents::new(10, Seed::new(1));
        let given = Uuid::from_u128(77);
        let s1 = store.record_session(None, None, Utc::now());
        let s2 = store.record_session(None, None, Utc::now());
        let s3 = store.record_session(None, Some(given), Utc::now());
        assert_ne!(s1.session_uuid, s2.session_uuid);
        assert_eq!(s3.session_uuid, given);
        assert_eq!(store.sessions(Some(given), None).count, 1);
    }
}
