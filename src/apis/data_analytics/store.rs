//! The event tables: a bounded, indexed, in-memory store with the service's
//! search semantics. No axum here.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use rand::RngExt;
use uuid::Builder;

use super::event::{Event, EventKind, NewEvent};
use crate::shared::cache::BoundedCache;
use crate::shared::seed::Seed;

/// 100 ns ticks between the Gregorian epoch (1582-10-15) and the Unix epoch.
const GREGORIAN_OFFSET_TICKS: i64 = 0x01B2_1DD2_1381_4000;

/// The largest page a search may ask for.
pub(crate) const MAX_PAGE_SIZE: usize = 100;
pub(crate) const DEFAULT_PAGE_SIZE: usize = 10;

/// What the stored events may weigh in all: the oldest go first past it,
/// as past the count (`--analytics-event-capacity`).
pub(crate) const MAX_STORED_BYTES: usize = 256 * 1024 * 1024;

/// Events reserved for at start, at most (the default capacity).
const PREALLOCATED_EVENTS: usize = 200_000;

/// Evicted events are freed this many at a time, outside the lock. An
/// event is a dozen blocks on the heap, last touched thousands of posts
/// before: freeing them one event a post left their cache misses to stall
/// the post's next atomic operation; a batch's misses overlap.
const EVICTION_BATCH: usize = 64;

/// Rendered pages of results kept, and what they may weigh in all.
const CACHED_PAGES: usize = 1024;
const CACHED_PAGE_BYTES: usize = 16 * 1024 * 1024;

/// What search matches on: one user's events about one entity of one
/// customer. Every search names all four, so this is the index key, encoded
/// as one string (each id length-prefixed, so no two keys collide) that a
/// `&str` can look up: inserting an event for a known key allocates nothing.
fn write_search_key(key: &mut String, kind: EventKind, customer_id: &str, user_id: &str, entity_id: &str) {
    key.clear();
    key.push_str(kind.entity_type());
    for id in [customer_id, user_id, entity_id] {
        // Built twice an insert once the store is full (the new event's and
        // the evicted one's): digits without `core::fmt`'s machinery.
        key.push('|');
        key.push_str(itoa::Buffer::new().format(id.len()));
        key.push(':');
        key.push_str(id);
    }
}

fn search_key_of(key: &mut String, event: &NewEvent) {
    write_search_key(
        key,
        event.kind,
        &event.customer_id,
        &event.user_id,
        &event.entity_id,
    );
}

/// A validated search.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Search {
    pub(crate) kind: EventKind,
    pub(crate) customer_id: String,
    pub(crate) user_id: String,
    pub(crate) entity_id: String,
    pub(crate) recording_ids: Vec<String>,
    /// Only the newest event of each recording.
    pub(crate) latest: bool,
    /// 1-based.
    pub(crate) page: usize,
    pub(crate) page_size: usize,
}

/// One page of results, newest first, and the total match count.
#[derive(Debug, Clone)]
pub(crate) struct SearchPage {
    pub(crate) recordings: Vec<Arc<Event>>,
    pub(crate) row_count: usize,
}

/// Everything stored, for the admin API.
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    pub(crate) events: Vec<Arc<Event>>,
    pub(crate) capacity: usize,
    pub(crate) dropped: u64,
}

/// Cheap-to-clone handle on both tables; the lock stays inside.
#[derive(Debug, Clone)]
pub(crate) struct EventStore {
    inner: Arc<Mutex<Tables>>,
    /// Rendered pages of results. Clients poll the same search over and
    /// over, and rendering a page cost three times what serving it does.
    pages: Arc<BoundedCache<PageKey, Bytes>>,
    /// The version 1 uuid node and first clock sequence, fixed per seed so
    /// runs with the same seed and clock give the same partition keys.
    node: [u8; 6],
    clock_sequence: u16,
}

#[derive(Debug)]
struct Tables {
    /// Oldest first; `events[i].seq == first_seq + i`. Shared with the
    /// responses that carry them, so storing and serving copy nothing.
    events: VecDeque<Arc<Event>>,
    first_seq: u64,
    next_seq: u64,
    /// Sequence numbers per search key, oldest first.
    index: HashMap<String, VecDeque<u64>>,
    /// Scratch space for building search keys under the lock.
    key: String,
    capacity: usize,
    /// What the stored events weigh, by [`weight`], evicted ones included
    /// until they are freed; and what they may weigh.
    bytes: usize,
    max_bytes: usize,
    dropped: u64,
    /// Events out of the store (no search or listing sees them), waiting
    /// to be freed with their batch ([`EVICTION_BATCH`]), and their weight.
    evicted: Vec<Arc<Event>>,
    evicted_bytes: usize,
    /// Last version 1 timestamp handed out and the clock sequence in use,
    /// so keys stay unique with a frozen clock or one set backwards.
    last_ticks: u64,
    clock_sequence: u16,
}

impl EventStore {
    pub(crate) fn new(seed: Seed, capacity: usize) -> Self {
        let mut rng = seed.rng("data_analytics.uuid_v1", "node");
        let mut node: [u8; 6] = rng.random();
        // RFC 9562: a random node id sets the multicast bit.
        node[0] |= 0x01;
        let clock_sequence = rng.random::<u16>() & 0x3fff;
        let store = Self {
            inner: Arc::new(Mutex::new(Tables {
                // Reserved up front (address space only; pages are touched as
                // events arrive): growing a full ring copies every event
                // under the lock, a stall of tens of milliseconds for every
                // client of the family.
                events: VecDeque::with_capacity(capacity.clamp(1, PREALLOCATED_EVENTS)),
                first_seq: 0,
                next_seq: 0,
                index: HashMap::with_capacity(capacity.clamp(1, PREALLOCATED_EVENTS) / 8),
                key: String::new(),
                capacity: capacity.max(1),
                bytes: 0,
                max_bytes: MAX_STORED_BYTES,
                dropped: 0,
                evicted: Vec::with_capacity(EVICTION_BATCH),
                evicted_bytes: 0,
                last_ticks: 0,
                clock_sequence: 0,
            })),
            pages: Arc::new(BoundedCache::weighed(CACHED_PAGES, CACHED_PAGE_BYTES, |key, page| {
                size_of::<PageKey>() + key.search.heap_bytes() + page.len()
            })),
            node,
            clock_sequence,
        };
        store.clear();
        store
    }

    /// The same store with another byte budget.
    #[cfg(test)]
    fn with_max_bytes(self, max_bytes: usize) -> Self {
        self.tables().max_bytes = max_bytes;
        self
    }

    /// What the stored events weigh now, in bytes.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.tables().bytes
    }

    fn tables(&self) -> MutexGuard<'_, Tables> {
        // A panic while holding the lock cannot leave the tables half-written
        // (every mutation is a push or pop), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stores an event created at `at`; the oldest is dropped when full.
    pub(crate) fn insert(&self, new: NewEvent, at: DateTime<Utc>) -> Arc<Event> {
        let mut guard = self.tables();
        let tables = &mut *guard;
        let ticks = tables.next_ticks(gregorian_ticks(at));
        let event = Arc::new(Event {
            partition_uuid: Builder::from_gregorian_timestamp(ticks, tables.clock_sequence, &self.node)
                .into_uuid(),
            created_at: at,
            seq: tables.next_seq,
            new,
        });
        tables.next_seq += 1;
        let added = weight(&event);
        while tables.events.len() >= tables.capacity {
            tables.evict_oldest();
        }
        let mut freed = Vec::new();
        if tables.evicted.len() >= EVICTION_BATCH {
            freed = tables.take_evicted();
        }
        // The byte bound frees what it evicts at once.
        while tables.bytes + added > tables.max_bytes && !(tables.events.is_empty() && tables.evicted.is_empty()) {
            if tables.evicted.is_empty() {
                tables.evict_oldest();
            }
            freed.append(&mut tables.take_evicted());
        }
        tables.bytes += added;
        search_key_of(&mut tables.key, &event.new);
        match tables.index.get_mut(tables.key.as_str()) {
            Some(seqs) => seqs.push_back(event.seq),
            None => {
                tables
                    .index
                    .insert(tables.key.clone(), VecDeque::from([event.seq]));
            }
        }
        tables.events.push_back(Arc::clone(&event));
        drop(guard);
        drop(freed);
        event
    }

    /// One page of results, rendered by `render` or as it was rendered
    /// before: a page is a function of the search and of which events its
    /// key has, and those are named by the key's first and last sequence
    /// numbers, which are never reused (not even across a reset).
    /// Takes the search, which becomes the rendered page's key: a repeated
    /// search (the common case) copies none of its strings.
    pub(crate) fn search_rendered(&self, mut search: Search, render: impl FnOnce(SearchPage) -> Bytes) -> Bytes {
        // The ids are a set to the search.
        search.recording_ids.sort_unstable();
        search.recording_ids.dedup();
        let key = search.index_key();
        let (page_key, page) = {
            let tables = self.tables();
            let seqs = tables.index.get(&key);
            let page_key = PageKey {
                search,
                span: seqs.and_then(|seqs| Some((*seqs.front()?, *seqs.back()?))),
            };
            if let Some(rendered) = self.pages.get(&page_key) {
                return rendered;
            }
            let page = tables.page(seqs, &page_key.search);
            (page_key, page)
        };
        // Rendered outside the lock: posts need not wait for it.
        self.pages.get_or_insert_with(page_key, || render(page))
    }

    /// One page of results, newest first, with the total match count.
    #[cfg(test)]
    pub(crate) fn search(&self, search: &Search) -> SearchPage {
        let tables = self.tables();
        tables.page(tables.index.get(&search.index_key()), search)
    }

    /// Every stored event, oldest first, optionally of one customer.
    pub(crate) fn list(&self, customer_id: Option<&str>) -> Listing {
        let tables = self.tables();
        Listing {
            events: tables
                .events
                .iter()
                .filter(|e| customer_id.is_none_or(|c| e.new.customer_id == c))
                .cloned()
                .collect(),
            capacity: tables.capacity,
            dropped: tables.dropped,
        }
    }

    pub(crate) fn clear(&self) {
        let mut tables = self.tables();
        tables.events.clear();
        tables.index.clear();
        tables.first_seq = tables.next_seq;
        tables.dropped = 0;
        tables.evicted.clear();
        tables.evicted_bytes = 0;
        tables.bytes = 0;
        tables.last_ticks = 0;
        tables.clock_sequence = self.clock_sequence;
        // Unreachable already (sequence numbers go on); this frees them.
        self.pages.clear();
    }
}

/// What a rendered page of results is a function of.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PageKey {
    /// With its recording ids sorted and without repeats.
    search: Search,
    /// The first and last sequence numbers of the search key's events.
    span: Option<(u64, u64)>,
}

impl Search {
    /// The index key of the events it reads.
    fn index_key(&self) -> String {
        let mut key = String::new();
        write_search_key(&mut key, self.kind, &self.customer_id, &self.user_id, &self.entity_id);
        key
    }

    fn heap_bytes(&self) -> usize {
        self.customer_id.len()
            + self.user_id.len()
            + self.entity_id.len()
            + self
                .recording_ids
                .iter()
                .map(|id| size_of::<String>() + id.len())
                .sum::<usize>()
    }
}

impl Tables {
    /// The page `search` asks for, of the events numbered `seqs` (its key's).
    fn page(&self, seqs: Option<&VecDeque<u64>>, search: &Search) -> SearchPage {
        let wanted: HashSet<&str> = search.recording_ids.iter().map(String::as_str).collect();
        let mut matches: Vec<&Arc<Event>> = seqs
            .into_iter()
            .flatten()
            .filter_map(|seq| self.get(*seq))
            .filter(|e| wanted.contains(e.new.recording_id.as_str()))
            .collect();
        // Newest first; arrival order breaks ties (and wins over a clock set back).
        matches.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.seq.cmp(&a.seq)));
        if search.latest {
            let mut seen = HashSet::new();
            matches.retain(|e| seen.insert(e.new.recording_id.as_str()));
        }
        let row_count = matches.len();
        let start = (search.page - 1).saturating_mul(search.page_size);
        let recordings = matches
            .into_iter()
            .skip(start)
            .take(search.page_size)
            .cloned()
            .collect();
        SearchPage {
            recordings,
            row_count,
        }
    }

    /// RFC 9562's rules: several events in one clock tick take the following
    /// 100 ns ticks of the same millisecond; a clock that went backwards (or
    /// ran out of ticks in that millisecond) takes a new clock sequence.
    fn next_ticks(&mut self, now: u64) -> u64 {
        const TICKS_PER_MS: u64 = 10_000;
        let ticks = if now > self.last_ticks {
            now
        } else if (self.last_ticks + 1) / TICKS_PER_MS == now / TICKS_PER_MS {
            self.last_ticks + 1
        } else {
            self.clock_sequence = (self.clock_sequence + 1) & 0x3fff;
            now
        };
        self.last_ticks = ticks;
        ticks
    }

    fn get(&self, seq: u64) -> Option<&Arc<Event>> {
        let offset = seq.checked_sub(self.first_seq)?;
        self.events.get(usize::try_from(offset).ok()?)
    }

    fn evict_oldest(&mut self) {
        let Some(oldest) = self.events.pop_front() else {
            return;
        };
        self.first_seq = oldest.seq + 1;
        self.dropped += 1;
        self.evicted_bytes += weight(&oldest);
        search_key_of(&mut self.key, &oldest.new);
        if let Some(seqs) = self.index.get_mut(self.key.as_str()) {
            seqs.pop_front();
            if seqs.is_empty() {
                self.index.remove(self.key.as_str());
            }
        }
        self.evicted.push(oldest);
    }

    /// The evicted events, to be freed once the lock is released.
    fn take_evicted(&mut self) -> Vec<Arc<Event>> {
        self.bytes -= std::mem::take(&mut self.evicted_bytes);
        std::mem::replace(&mut self.evicted, Vec::with_capacity(EVICTION_BATCH))
    }
}

/// What an event costs the store: the event, its heap, and its index entry.
fn weight(event: &Event) -> usize {
    size_of::<Event>() + event.new.heap_bytes() + size_of::<u64>()
}

fn gregorian_ticks(at: DateTime<Utc>) -> u64 {
    let ticks = at.timestamp() * 10_000_000 + i64::from(at.timestamp_subsec_nanos() / 100);
    u64::try_from(ticks + GREGORIAN_OFFSET_TICKS).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apis::data_analytics::event::Route;
    use serde_json::json;
    use uuid::Uuid;

    fn event(recording: &str) -> NewEvent {
        let body = json!({"customer_id": "c1", "user_id": "u1", "lead_id": "l1", "recording_id": recording});
        NewEvent::from_json(Route::Typed(EventKind::Lead), body).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_541_164_324 + seconds, 0).unwrap_or_default()
    }

    fn search(recordings: &[&str], latest: bool, page: usize, page_size: usize) -> Search {
        Search {
            kind: EventKind::Lead,
            customer_id: "c1".into(),
            user_id: "u1".into(),
            entity_id: "l1".into(),
            recording_ids: recordings.iter().map(|r| (*r).to_owned()).collect(),
            latest,
            page,
            page_size,
        }
    }

    #[test]
    fn partition_uuids_are_version_1_from_the_given_time_and_unique_when_frozen() {
        let store = EventStore::new(Seed::new(42), 10);
        let first = store.insert(event("r"), at(0));
        let second = store.insert(event("r"), at(0));
        assert_eq!(first.partition_uuid.get_version_num(), 1);
        assert_ne!(first.partition_uuid, second.partition_uuid);
        let (ticks, _) = first
            .partition_uuid
            .get_timestamp()
            .map(|t| t.to_gregorian())
            .unwrap_or_default();
        assert_eq!(ticks, gregorian_ticks(at(0)));
        let (seconds, _) = first
            .partition_uuid
            .get_timestamp()
            .map(|t| t.to_unix())
            .unwrap_or_default();
        assert_eq!(i64::try_from(seconds).ok(), Some(at(0).timestamp()));
        // Same seed, same keys.
        let again = EventStore::new(Seed::new(42), 10).insert(event("r"), at(0));
        assert_eq!(again.partition_uuid, first.partition_uuid);
    }

    #[test]
    fn a_clock_set_backwards_keeps_true_timestamps_and_unique_keys() {
        let store = EventStore::new(Seed::new(42), 10);
        let keys: Vec<Uuid> = [10, 0, 0, 10]
            .iter()
            .map(|s| store.insert(event("r"), at(*s)).partition_uuid)
            .collect();
        let unique: HashSet<Uuid> = keys.iter().copied().collect();
        assert_eq!(unique.len(), 4);
        let seconds: Vec<u64> = keys
            .iter()
            .map(|k| k.get_timestamp().map(|t| t.to_unix().0).unwrap_or_default())
            .collect();
        let expected: Vec<u64> = [10, 0, 0, 10]
            .iter()
            .map(|s| u64::try_from(at(*s).timestamp()).unwrap_or_default())
            .collect();
        assert_eq!(seconds, expected);
    }

    #[test]
    fn search_is_newest_first_with_latest_per_recording_and_paging() {
        let store = EventStore::new(Seed::new(1), 100);
        for (i, recording) in ["a", "b", "a", "c", "b"].iter().enumerate() {
            store.insert(event(recording), at(i64::try_from(i).unwrap_or(0)));
        }
        let page = store.search(&search(&["a", "b"], false, 1, 10));
        assert_eq!(page.row_count, 4);
        let seqs: Vec<u64> = page.recordings.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [4, 2, 1, 0]);
        let latest = store.search(&search(&["a", "b", "c"], true, 1, 10));
        let seqs: Vec<u64> = latest.recordings.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [4, 3, 2]);
        let second_page = store.search(&search(&["a", "b"], false, 2, 3));
        assert_eq!(second_page.row_count, 4);
        assert_eq!(second_page.recordings.len(), 1);
        assert!(store.search(&search(&["a"], false, 9, 3)).recordings.is_empty());
    }

    #[test]
    fn eviction_keeps_the_index_consistent() {
        let store = EventStore::new(Seed::new(1), 3);
        for i in 0..5 {
            store.insert(event("a"), at(i));
        }
        let page = store.search(&search(&["a"], false, 1, 10));
        let seqs: Vec<u64> = page.recordings.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [4, 3, 2]);
        assert_eq!(store.list(None).dropped, 2);
        store.clear();
        assert!(store.search(&search(&["a"], false, 1, 10)).recordings.is_empty());
    }

    #[test]
    fn evicted_events_leave_at_once_and_are_freed_in_batches() {
        let store = EventStore::new(Seed::new(1), 3);
        let one = weight(&store.insert(event("a"), at(0)));
        let mut oldest = None;
        for i in 1..200 {
            let inserted = store.insert(event("a"), at(i));
            if i == 150 {
                oldest = Some(inserted);
            }
            let page = store.search(&search(&["a"], false, 1, 10));
            let seqs: Vec<u64> = page.recordings.iter().map(|e| e.seq).collect();
            let newest: Vec<u64> = (0..=i.unsigned_abs()).rev().take(3).collect();
            assert_eq!(seqs, newest);
            assert_eq!(store.list(None).events.len(), newest.len());
            assert_eq!(store.list(None).dropped, i.unsigned_abs() + 1 - newest.len() as u64);
            assert!(store.bytes() <= (3 + EVICTION_BATCH) * one, "{}", store.bytes());
        }
        // Evicted, and freed with its batch: only this handle is left.
        let oldest = oldest.unwrap_or_else(|| panic!("kept"));
        assert_eq!(Arc::strong_count(&oldest), 1);
        store.clear();
        assert_eq!(store.bytes(), 0);
    }

    #[test]
    fn the_store_is_bounded_in_bytes_too() {
        let store = EventStore::new(Seed::new(1), 1000).with_max_bytes(20_000);
        for i in 0..100 {
            store.insert(event(&format!("r{i}")), at(i));
            assert!(store.bytes() <= 20_000, "{}", store.bytes());
        }
        let kept = store.tables().events.len();
        assert!(kept > 10 && kept < 100, "{kept}");
        store.clear();
        assert_eq!(store.bytes(), 0);
    }

    /// A rendered page is reused only while its key's events are the same:
    /// an event of another key keeps it, one of its own key, an eviction
    /// from its key and a reset each render it again.
    #[test]
    fn rendered_pages_are_reused_until_their_events_change() {
        let store = EventStore::new(Seed::new(1), 3);
        let renders = std::cell::Cell::new(0);
        let rendered = |search: &Search| {
            store.search_rendered(search.clone(), |page| {
                renders.set(renders.get() + 1);
                let seqs: Vec<String> = page.recordings.iter().map(|e| e.seq.to_string()).collect();
                Bytes::from(format!("{}:{}", page.row_count, seqs.join(",")))
            })
        };
        let a = search(&["a", "b"], false, 1, 10);
        store.insert(event("a"), at(0));
        assert_eq!(rendered(&a), "1:0");
        assert_eq!(rendered(&a), "1:0");
        // The same set of recordings in another order, or repeated, is the same page.
        assert_eq!(rendered(&search(&["b", "a", "a"], false, 1, 10)), "1:0");
        assert_eq!(renders.get(), 1);
        let mut other = event("a");
        other.customer_id = "c2".into();
        store.insert(other, at(1));
        assert_eq!(rendered(&a), "1:0");
        assert_eq!(renders.get(), 1, "another key's event keeps the page");
        store.insert(event("b"), at(2));
        assert_eq!(rendered(&a), "2:2,0");
        store.insert(event("c"), at(3));
        // Capacity 3: the key's first event (seq 0) went; its page changes.
        assert_eq!(rendered(&a), "1:2");
        assert_eq!(renders.get(), 3);
        store.clear();
        assert_eq!(rendered(&a), "0:");
        assert_eq!(renders.get(), 4);
    }
}
