//! The request journal: a bounded ring of what clients sent and got back,
//! so tests can verify calls and people can debug a failing CI job.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde::Serialize;
use tokio::sync::Notify;

use crate::shared::family::Family;
use crate::shared::redaction::Redaction;

/// Bodies are kept up to this size; the rest is cut and flagged.
pub(crate) const MAX_RECORDED_BODY: usize = 64 * 1024;

/// Each header value is kept up to this size; the rest is cut.
pub(crate) const MAX_RECORDED_HEADER_VALUE: usize = 1024;

/// The request line and headers together are kept up to this size; later
/// headers are left out.
pub(crate) const MAX_RECORDED_HEAD: usize = 16 * 1024;

/// Default number of entries the ring keeps (`--journal-capacity`).
pub(crate) const DEFAULT_CAPACITY: usize = 10_000;

/// Default bytes the ring may hold (`--journal-max-bytes`): entries are
/// dropped oldest first once either bound is reached.
pub(crate) const DEFAULT_MAX_BYTES: usize = 128 * 1024 * 1024;

/// Most entries one listing returns (`limit`).
pub(crate) const MAX_LIMIT: usize = 1000;

/// One recorded exchange, as the admin API shows it (credentials redacted).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Entry {
    /// Increasing per process; survives `clear` so clients can poll with `since`.
    pub(crate) id: u64,
    #[serde(serialize_with = "crate::shared::time::serialize_rfc3339_millis")]
    pub(crate) time: DateTime<Utc>,
    pub(crate) family: Family,
    pub(crate) method: String,
    pub(crate) path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) query: Option<String>,
    pub(crate) status: u16,
    pub(crate) latency_ms: f64,
    /// Present when an injected fault shaped the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fault: Option<InjectedFault>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
    pub(crate) body_bytes: usize,
    pub(crate) body_truncated: bool,
    /// What leadsim answered, when the journal keeps responses
    /// (`--journal-responses`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) response: Option<ResponseEntry>,
}

/// A kept response, redacted like requests.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResponseEntry {
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
    /// Bytes sent so far (all of them once `complete`).
    pub(crate) body_bytes: usize,
    pub(crate) body_truncated: bool,
    /// False while the body is still being sent, or when the client went
    /// away before it all was.
    pub(crate) complete: bool,
}

/// A response as the journal keeps it: its header lines, and its body up
/// to [`MAX_RECORDED_BODY`] once it has been sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponseRecord {
    head: String,
    body: Bytes,
    body_bytes: usize,
    complete: bool,
}

impl ResponseRecord {
    /// The response's headers, as `name: value` lines (the body comes later).
    pub(crate) fn capture(headers: &HeaderMap) -> Self {
        let mut head = String::new();
        push_header_lines(&mut head, headers);
        Self {
            head,
            ..Self::default()
        }
    }

    fn weight(&self) -> usize {
        size_of::<Self>() + self.head.len() + self.body.len()
    }
}

/// What a request looked like, before the response exists. The request
/// line, the headers and the body are copied into one compact buffer
/// (holding on to the request's own buffers would keep whole read buffers
/// alive for as long as the entry lives). One buffer, because the ring
/// drops its oldest entry on every request once full, through memory it
/// last touched thousands of requests ago: each block freed there is a
/// cache miss the request pays.
/// Redaction happens when the journal is read; secrets never leave the process.
#[derive(Debug, Clone)]
pub(crate) struct RequestRecord {
    time: DateTime<Utc>,
    method: http::Method,
    /// The path and query, then `name: value\n` header lines (UTF-8), then
    /// the body as sent, cut at [`MAX_RECORDED_BODY`]. Shared, not copied,
    /// when a listing clones the entry.
    text: Bytes,
    /// Where the header lines start in `text`.
    headers_start: u32,
    /// Where the body starts in `text`.
    body_start: u32,
    /// The body's whole length (bodies are read up to 1 MiB).
    body_bytes: u32,
}

impl RequestRecord {
    /// Captures a request; its body is cut at [`MAX_RECORDED_BODY`].
    pub(crate) fn capture(
        time: DateTime<Utc>,
        method: &http::Method,
        uri: &http::Uri,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Self {
        let target = uri.path_and_query().map_or_else(|| uri.path(), |pq| pq.as_str());
        let target = &target[..floor_char_boundary(target, MAX_RECORDED_HEAD / 2)];
        let kept_body = &body[..body.len().min(MAX_RECORDED_BODY)];
        let head_size = target.len()
            + headers
                .iter()
                .map(|(n, v)| n.as_str().len() + v.len().min(MAX_RECORDED_HEADER_VALUE) + 3)
                .sum::<usize>();
        let mut head = String::with_capacity(head_size.min(MAX_RECORDED_HEAD) + kept_body.len());
        head.push_str(target);
        push_header_lines(&mut head, headers);
        let body_start = head.len();
        let mut text = head.into_bytes();
        text.extend_from_slice(kept_body);
        Self {
            time,
            method: method.clone(),
            // A boxed slice makes a `Bytes` without a second allocation
            // for its reference count (until a listing clones it).
            text: Bytes::from(text.into_boxed_slice()),
            // Both within MAX_RECORDED_HEAD.
            headers_start: u32::try_from(target.len()).unwrap_or(u32::MAX),
            body_start: u32::try_from(body_start).unwrap_or(u32::MAX),
            body_bytes: u32::try_from(body.len()).unwrap_or(u32::MAX),
        }
    }

    /// The text from `start` to `end` (a part written from a `&str`, so
    /// reading it never falls back).
    fn text_between(&self, start: u32, end: u32) -> &str {
        let part = self.text.get(start as usize..end as usize).unwrap_or_default();
        std::str::from_utf8(part).unwrap_or_default()
    }

    fn body(&self) -> &[u8] {
        self.text.get(self.body_start as usize..).unwrap_or_default()
    }

    fn path_and_query(&self) -> &str {
        self.text_between(0, self.headers_start)
    }

    /// What the record costs the ring, in bytes.
    fn weight(&self) -> usize {
        size_of::<Stored>() + self.text.len()
    }

    fn header_lines(&self) -> &str {
        self.text_between(self.headers_start, self.body_start)
    }

    fn path(&self) -> &str {
        let target = self.path_and_query();
        target.split_once('?').map_or(target, |(p, _)| p)
    }

    fn query(&self) -> Option<&str> {
        self.path_and_query().split_once('?').map(|(_, q)| q)
    }
}

/// Appends `name: value` lines, each value cut at
/// [`MAX_RECORDED_HEADER_VALUE`], while `head` stays within [`MAX_RECORDED_HEAD`].
fn push_header_lines(head: &mut String, headers: &HeaderMap) {
    for (name, value) in headers {
        let value = value.as_bytes();
        let kept = String::from_utf8_lossy(&value[..value.len().min(MAX_RECORDED_HEADER_VALUE)]);
        if head.len() + name.as_str().len() + kept.len() + 3 > MAX_RECORDED_HEAD {
            break;
        }
        // Header values never hold a newline (hyper refuses them), so
        // lines stay one header each.
        head.push_str(name.as_str());
        head.push_str(": ");
        head.push_str(&kept);
        head.push('\n');
    }
}

/// The largest index up to `at` that starts a character of `text`.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    (0..=at.min(text.len()))
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0)
}

/// Cloned to render outside the ring's lock: the body is shared, not copied.
/// What few entries have (a fault, a kept response) is boxed: every request
/// moves one of these into the ring and one out, through memory the ring
/// last touched thousands of requests ago, so each cache line counts.
#[derive(Debug, Clone)]
struct Stored {
    id: u64,
    family: Family,
    outcome: Outcome,
    request: RequestRecord,
    response: Option<Box<ResponseRecord>>,
}

impl Stored {
    fn weight(&self) -> usize {
        let fault = self
            .outcome
            .fault
            .as_ref()
            .map_or(0, |f| size_of::<InjectedFault>() + f.id.len());
        self.request.weight() + fault + self.response.as_deref().map_or(0, ResponseRecord::weight)
    }
}

/// How an exchange ended.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// The status sent; 0 when the connection was dropped without an answer.
    pub(crate) status: u16,
    pub(crate) latency_ms: f64,
    /// The injected fault that shaped the answer, if any.
    pub(crate) fault: Option<Box<InjectedFault>>,
}

/// Marks a journal entry whose answer an injected fault shaped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct InjectedFault {
    pub(crate) id: String,
    pub(crate) effect: &'static str,
}

impl Stored {
    fn entry(&self, redaction: &Redaction) -> Entry {
        let r = &self.request;
        Entry {
            id: self.id,
            time: r.time,
            family: self.family,
            method: r.method.as_str().to_owned(),
            path: r.path().to_owned(),
            query: r.query().map(|q| redaction.query(q)),
            status: self.outcome.status,
            latency_ms: self.outcome.latency_ms,
            fault: self.outcome.fault.as_deref().cloned(),
            headers: redaction.headers(r.header_lines()),
            body: redaction.body_of(self.family.as_str(), r.body()),
            body_bytes: r.body_bytes as usize,
            body_truncated: r.body_bytes as usize > r.body().len(),
            response: self.response.as_ref().map(|response| ResponseEntry {
                headers: redaction.headers(&response.head),
                body: redaction.body_of(self.family.as_str(), &response.body),
                body_bytes: response.body_bytes,
                body_truncated: response.body_bytes > response.body.len(),
                complete: response.complete,
            }),
        }
    }
}

/// Filters for listing the journal (all optional, all must hold).
#[derive(Debug, Default, Clone)]
pub(crate) struct Filter {
    pub(crate) family: Option<Family>,
    pub(crate) method: Option<String>,
    pub(crate) path_prefix: Option<String>,
    pub(crate) status: Option<u16>,
    /// A credential the request carried: a bearer token, a Finicity app key
    /// or token, a LeadSquared access key (header or query).
    pub(crate) credential: Option<String>,
    /// A substring of the (recorded part of the) body, as the journal shows
    /// it (credentials redacted).
    pub(crate) body_contains: Option<String>,
    pub(crate) since: Option<DateTime<Utc>>,
    pub(crate) fault: Option<FaultFilter>,
    pub(crate) limit: Option<usize>,
}

/// Requests by whether an injected fault shaped their answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FaultFilter {
    /// Any injected fault.
    Injected,
    /// No injected fault.
    NotInjected,
    /// This fault (`fault-3`).
    Id(String),
}

impl FaultFilter {
    fn matches(&self, fault: Option<&InjectedFault>) -> bool {
        match self {
            FaultFilter::Injected => fault.is_some(),
            FaultFilter::NotInjected => fault.is_none(),
            FaultFilter::Id(id) => fault.is_some_and(|f| &f.id == id),
        }
    }
}

impl Filter {
    fn matches(&self, e: &Stored, redaction: &Redaction) -> bool {
        let r = &e.request;
        self.family.is_none_or(|f| e.family == f)
            && self
                .method
                .as_deref()
                .is_none_or(|m| r.method.as_str().eq_ignore_ascii_case(m))
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|p| r.path().starts_with(p))
            && self.status.is_none_or(|s| e.outcome.status == s)
            && self.since.is_none_or(|t| r.time >= t)
            && self
                .fault
                .as_ref()
                .is_none_or(|f| f.matches(e.outcome.fault.as_deref()))
            && self
                .credential
                .as_deref()
                .is_none_or(|c| {
                    let headers = r.header_lines().lines().filter_map(|line| line.split_once(": "));
                    redaction.identities(headers, r.query()).any(|sent| sent == c)
                })
            // Matched against what the journal shows: a hidden secret must
            // not be guessable one substring at a time.
            && self
                .body_contains
                .as_deref()
                .is_none_or(|needle| redaction.body_of(e.family.as_str(), r.body()).contains(needle))
    }
}

/// A page of the journal, newest first.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Listing {
    pub(crate) requests: Vec<Entry>,
    /// How many entries matched the filters (before `limit`).
    pub(crate) matched: usize,
    /// How many entries the ring holds now.
    pub(crate) recorded: usize,
    pub(crate) capacity: usize,
    /// How many entries were pushed out of the ring since the last clear.
    pub(crate) dropped: u64,
}

/// Entries pushed out by the count bound leave the journal at once (no
/// reader sees them again) but are freed this many at a time. Freeing one
/// entry per request touched memory the ring last wrote thousands of
/// requests before, a cache miss or two on every request (3.4% of the
/// pixel's samples at 10,000 entries, against 0.7% at 100); a batch walks
/// its slots in order and its misses overlap.
const EVICTION_BATCH: usize = 64;

#[derive(Debug)]
struct Ring {
    /// Oldest first; ids increase along it. The first `evicted` have left
    /// the journal and wait to be freed (see [`EVICTION_BATCH`]).
    entries: VecDeque<Stored>,
    evicted: usize,
    next_id: u64,
    dropped: u64,
    /// What `entries` weigh, evicted ones included until they are freed,
    /// by [`Stored::weight`]: the memory `--journal-max-bytes` bounds.
    bytes: usize,
}

impl Ring {
    /// The entries in the journal, oldest first.
    fn live(&self) -> std::collections::vec_deque::Iter<'_, Stored> {
        self.entries.range(self.evicted..)
    }

    fn live_len(&self) -> usize {
        self.entries.len() - self.evicted
    }

    /// The entries recorded after `id`, oldest first.
    fn after(&self, id: u64) -> impl Iterator<Item = &Stored> {
        let start = self.entries.partition_point(|e| e.id <= id).max(self.evicted);
        self.entries.range(start..)
    }

    fn newest_id(&self) -> u64 {
        self.next_id - 1
    }

    /// Takes the oldest entry out of the journal; it is freed with its batch.
    fn evict_oldest(&mut self) {
        if self.live_len() > 0 {
            self.evicted += 1;
            self.dropped += 1;
        }
    }

    /// Takes the oldest entry out of the journal and frees it now, for the
    /// byte bound (after the evicted ones, which go first).
    fn drop_oldest(&mut self) -> Option<Stored> {
        let old = self.entries.pop_front()?;
        self.bytes -= old.weight();
        self.dropped += 1;
        Some(old)
    }

    /// The evicted entries, out of the ring, to be freed once the lock is released.
    fn take_evicted(&mut self) -> Vec<Stored> {
        let gone: Vec<Stored> = self.entries.drain(..self.evicted).collect();
        self.bytes -= gone.iter().map(Stored::weight).sum::<usize>();
        self.evicted = 0;
        gone
    }
}

/// A cheap-to-clone handle on the bounded journal.
#[derive(Debug, Clone)]
pub(crate) struct Journal {
    ring: Arc<Mutex<Ring>>,
    capacity: usize,
    max_bytes: usize,
    arrivals: Arc<Arrivals>,
    redaction: Arc<Redaction>,
    /// Whether responses are kept (`--journal-responses`).
    keep_responses: bool,
}

/// Wakes requests waiting for matching entries. Recording checks a flag
/// first, so the hot routes pay one atomic load when nobody waits, and at
/// most one wake-up per waiter's scan when somebody does.
#[derive(Debug, Default)]
struct Arrivals {
    /// Set by a waiter before it sleeps, taken by the first arrival after.
    armed: AtomicBool,
    notify: Notify,
    /// Bumped by `clear`, so waiters know to count again from scratch.
    clears: AtomicU64,
}

/// How long a woken waiter lets arrivals gather before it scans them: under
/// load, one scan covers hundreds of entries instead of one wake-up each.
const WAITER_BATCH: Duration = Duration::from_millis(2);

impl Journal {
    pub(crate) fn new(capacity: usize, max_bytes: usize, redaction: Arc<Redaction>) -> Self {
        Self {
            ring: Arc::new(Mutex::new(Ring {
                // Reserved up front, as a ring grown by doubling leaves
                // its outgrown buffers behind in the allocator.
                entries: VecDeque::with_capacity(capacity.min(100_000) + EVICTION_BATCH),
                evicted: 0,
                next_id: 1,
                dropped: 0,
                bytes: 0,
            })),
            capacity,
            max_bytes,
            arrivals: Arc::default(),
            redaction,
            keep_responses: false,
        }
    }

    /// Whether responses are kept beside requests (`--journal-responses`).
    pub(crate) fn keeps_responses(&self) -> bool {
        self.keep_responses
    }

    /// Keeps responses too, from now on.
    pub(crate) fn keeping_responses(mut self, keep: bool) -> Self {
        self.keep_responses = keep;
        self
    }

    /// Records an exchange; its id, for [`Journal::finish_response`].
    pub(crate) fn record(
        &self,
        request: RequestRecord,
        family: Family,
        outcome: Outcome,
        response: Option<ResponseRecord>,
    ) -> Option<u64> {
        if self.capacity == 0 {
            return None;
        }
        let stored = Stored {
            id: 0,
            family,
            outcome,
            request,
            response: response.map(Box::new),
        };
        let weight = stored.weight();
        let mut ring = self.lock();
        let id = ring.next_id;
        ring.next_id += 1;
        while ring.live_len() >= self.capacity {
            ring.evict_oldest();
        }
        let mut freed = Vec::new();
        if ring.evicted >= EVICTION_BATCH || ring.bytes + weight > self.max_bytes {
            freed = ring.take_evicted();
        }
        while ring.bytes + weight > self.max_bytes && ring.drop_oldest().is_some() {}
        ring.bytes += weight;
        ring.entries.push_back(Stored { id, ..stored });
        drop(ring);
        drop(freed);
        // SeqCst pairs with `wait_for`: either it sees this entry, or we see it armed.
        if self.arrivals.armed.load(Ordering::SeqCst) && self.arrivals.armed.swap(false, Ordering::SeqCst) {
            self.arrivals.notify.notify_waiters();
        }
        Some(id)
    }

    /// Adds a response's body to its entry once sent (or once the client
    /// went away); the entry may have left the ring meanwhile.
    pub(crate) fn finish_response(&self, id: u64, body: Bytes, body_bytes: usize, complete: bool) {
        let mut ring = self.lock();
        let Ok(at) = ring.entries.binary_search_by_key(&id, |e| e.id) else {
            return;
        };
        if at < ring.evicted {
            return;
        }
        let Some(stored) = ring.entries.get_mut(at) else {
            return;
        };
        let before = stored.weight();
        if let Some(response) = stored.response.as_mut() {
            response.body = body;
            response.body_bytes = body_bytes;
            response.complete = complete;
        }
        let after = stored.weight();
        ring.bytes = ring.bytes + after - before;
        if ring.bytes > self.max_bytes {
            let freed = ring.take_evicted();
            while ring.bytes > self.max_bytes && ring.live_len() > 1 && ring.drop_oldest().is_some() {}
            drop(ring);
            drop(freed);
        }
    }

    /// Lists matching entries once at least `count` match, or when `timeout`
    /// (real time) runs out, whichever comes first; the flag says which.
    ///
    /// The journal is scanned whole once; after that each wake-up examines
    /// only the entries recorded since the last look.
    pub(crate) async fn wait_for(&self, filter: &Filter, count: usize, timeout: Duration) -> (Listing, bool) {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut clears = u64::MAX;
        let mut seen_id = 0;
        let mut matched = 0;
        loop {
            let notified = self.arrivals.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            self.arrivals.armed.store(true, Ordering::SeqCst);
            {
                let ring = self.lock();
                let now_clears = self.arrivals.clears.load(Ordering::SeqCst);
                if now_clears != clears {
                    (clears, seen_id, matched) = (now_clears, 0, 0);
                }
                matched += ring
                    .after(seen_id)
                    .filter(|e| filter.matches(e, &self.redaction))
                    .count();
                seen_id = ring.newest_id();
            }
            if matched >= count {
                return (self.list(filter), true);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return (self.list(filter), false);
            }
            tokio::time::sleep_until(deadline.min(tokio::time::Instant::now() + WAITER_BATCH)).await;
        }
    }

    /// Matching entries, newest first, at most `filter.limit` (capped at
    /// [`MAX_LIMIT`]). Only cheap copies are made under the lock; redaction
    /// and rendering happen after it is released.
    pub(crate) fn list(&self, filter: &Filter) -> Listing {
        let limit = filter.limit.unwrap_or(MAX_LIMIT).min(MAX_LIMIT);
        let (picked, matched, recorded, dropped) = {
            let ring = self.lock();
            let mut matching = ring.live().rev().filter(|e| filter.matches(e, &self.redaction));
            let picked: Vec<Stored> = matching.by_ref().take(limit).cloned().collect();
            let matched = picked.len() + matching.count();
            (picked, matched, ring.live_len(), ring.dropped)
        };
        Listing {
            requests: picked.iter().map(|e| e.entry(&self.redaction)).collect(),
            matched,
            recorded,
            capacity: self.capacity,
            dropped,
        }
    }

    /// Empties the ring; returns how many entries were removed.
    pub(crate) fn clear(&self) -> usize {
        let mut ring = self.lock();
        let removed = ring.live_len();
        ring.entries.clear();
        ring.evicted = 0;
        ring.dropped = 0;
        ring.bytes = 0;
        self.arrivals.clears.fetch_add(1, Ordering::SeqCst);
        removed
    }

    /// What the entries weigh now, in bytes.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        // Every mutation leaves the ring consistent, so a poisoned lock is safe to reuse.
        self.ring.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal(capacity: usize, max_bytes: usize) -> Journal {
        Journal::new(
            capacity,
            max_bytes,
            Arc::new(crate::shared::redaction::tests::sample()),
        )
    }

    fn record(journal: &Journal, uri: &str, headers: &HeaderMap, body: &[u8]) {
        let uri: http::Uri = uri.parse().unwrap_or_default();
        let body = Bytes::copy_from_slice(body);
        let req = RequestRecord::capture(Utc::now(), &http::Method::GET, &uri, headers, &body);
        journal.record(
            req,
            Family::UNKNOWN,
            Outcome {
                status: 200,
                latency_ms: 0.1,
                fault: None,
            },
            None,
        );
    }

    fn newest(journal: &Journal) -> Entry {
        journal.list(&Filter::default()).requests.remove(0)
    }

    #[test]
    fn evicted_entries_leave_at_once_and_are_freed_in_batches() {
        let journal = journal(5, DEFAULT_MAX_BYTES);
        let one = {
            let probe = Journal::new(
                1,
                DEFAULT_MAX_BYTES,
                Arc::new(crate::shared::redaction::tests::sample()),
            );
            record(&probe, "/r/0", &HeaderMap::new(), b"");
            probe.bytes()
        };
        for i in 1..=200_usize {
            record(&journal, &format!("/r/{i}"), &HeaderMap::new(), b"");
            let listing = journal.list(&Filter::default());
            let paths: Vec<_> = listing.requests.iter().map(|e| e.path.clone()).collect();
            let newest: Vec<_> = (i.saturating_sub(4).max(1)..=i)
                .rev()
                .map(|n| format!("/r/{n}"))
                .collect();
            assert_eq!(paths, newest);
            assert_eq!(
                (listing.recorded, listing.dropped),
                (newest.len(), (i - newest.len()) as u64)
            );
            // Paths are up to two bytes longer than "/r/0".
            assert!(
                journal.bytes() <= (5 + EVICTION_BATCH) * (one + 2),
                "{}",
                journal.bytes()
            );
            assert!(journal.lock().entries.len() <= 5 + EVICTION_BATCH);
        }
        // An entry evicted but not yet freed is gone for every reader.
        let ring = journal.lock();
        assert!(ring.evicted > 0);
        let (evicted_id, first_live) = (ring.entries[0].id, ring.live().next().map(|e| e.id));
        assert_eq!(ring.after(0).next().map(|e| e.id), first_live);
        drop(ring);
        let before = journal.bytes();
        journal.finish_response(evicted_id, Bytes::from_static(b"late"), 4, true);
        assert_eq!(journal.bytes(), before);
        assert_eq!(journal.clear(), 5);
        assert_eq!(journal.bytes(), 0);
    }

    #[test]
    fn ring_is_bounded_and_counts_what_it_drops() {
        let journal = journal(3, DEFAULT_MAX_BYTES);
        for i in 0..5 {
            record(&journal, &format!("/r/{i}"), &HeaderMap::new(), b"");
        }
        let listing = journal.list(&Filter::default());
        let paths: Vec<_> = listing.requests.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["/r/4", "/r/3", "/r/2"]);
        assert_eq!(listing.dropped, 2);
        assert_eq!(listing.requests[0].id, 5);
    }

    #[test]
    fn credentials_are_redacted_but_schemes_kept() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", http::HeaderValue::from_static("Bearer s3cret"));
        headers.insert("x-app-key", http::HeaderValue::from_static("k3y"));
        headers.insert("accept", http::HeaderValue::from_static("application/json"));
        let journal = journal(3, DEFAULT_MAX_BYTES);
        record(&journal, "/x?accessKey=a&secretKey=b&page=2", &headers, b"{}");
        let entry = newest(&journal);
        let find = |n: &str| entry.headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        assert_eq!(
            find("authorization").as_deref(),
            Some("Bearer [redacted:1ec1c26b]")
        );
        assert_eq!(find("x-app-key").as_deref(), Some("[redacted:a49b1287]"));
        assert_eq!(find("accept").as_deref(), Some("application/json"));
        assert_eq!(
            entry.query.as_deref(),
            Some("accessKey=[redacted:ca978112]&secretKey=[redacted:3e23e816]&page=2")
        );
    }

    #[test]
    fn an_entry_spans_two_cache_lines_at_most() {
        // Every request moves one entry into the ring and one out, through
        // memory last touched thousands of requests before.
        assert!(size_of::<Stored>() <= 128, "{}", size_of::<Stored>());
    }

    #[test]
    fn a_request_is_kept_whole_in_one_buffer() {
        let journal = journal(3, DEFAULT_MAX_BYTES);
        let mut headers = HeaderMap::new();
        headers.insert("x-one", http::HeaderValue::from_static("1"));
        headers.insert("content-type", http::HeaderValue::from_static("application/json"));
        record(&journal, "/a/b?c=d&e=f", &headers, br#"{"k":"v"}"#);
        record(&journal, "/empty", &HeaderMap::new(), b"");
        let listing = journal.list(&Filter::default());
        let [empty, full] = [&listing.requests[0], &listing.requests[1]];
        assert_eq!(
            (full.path.as_str(), full.query.as_deref()),
            ("/a/b", Some("c=d&e=f"))
        );
        assert_eq!(
            full.headers,
            [
                ("x-one".to_owned(), "1".to_owned()),
                ("content-type".to_owned(), "application/json".to_owned())
            ]
        );
        assert_eq!(
            (full.body.as_str(), full.body_bytes, full.body_truncated),
            (r#"{"k":"v"}"#, 9, false)
        );
        assert_eq!((empty.path.as_str(), empty.query.as_deref()), ("/empty", None));
        assert!(empty.headers.is_empty());
        assert_eq!((empty.body.as_str(), empty.body_bytes), ("", 0));
    }

    #[test]
    fn large_bodies_are_cut_at_64_kib() {
        let journal = journal(3, DEFAULT_MAX_BYTES);
        record(
            &journal,
            "/x",
            &HeaderMap::new(),
            &vec![b'a'; MAX_RECORDED_BODY + 10],
        );
        let entry = newest(&journal);
        assert_eq!(entry.body.len(), MAX_RECORDED_BODY);
        assert_eq!(entry.body_bytes, MAX_RECORDED_BODY + 10);
        assert!(entry.body_truncated);
    }

    #[test]
    fn headers_are_kept_only_up_to_their_caps() {
        let mut headers = HeaderMap::new();
        let huge = "v".repeat(300_000);
        headers.insert(
            "x-huge",
            http::HeaderValue::from_str(&huge).unwrap_or(http::HeaderValue::from_static("")),
        );
        for i in 0..100 {
            let name =
                http::HeaderName::from_bytes(format!("x-h{i}").as_bytes()).unwrap_or(http::header::ACCEPT);
            headers.insert(
                name,
                http::HeaderValue::from_str(&"w".repeat(900)).unwrap_or(http::HeaderValue::from_static("")),
            );
        }
        let uri: http::Uri = "/x".parse().unwrap_or_default();
        let record = RequestRecord::capture(Utc::now(), &http::Method::GET, &uri, &headers, &Bytes::new());
        let head = record.text_between(0, record.body_start);
        assert!(head.len() <= MAX_RECORDED_HEAD, "{}", head.len());
        let journal = journal(3, DEFAULT_MAX_BYTES);
        journal.record(
            record,
            Family::UNKNOWN,
            Outcome {
                status: 200,
                latency_ms: 0.0,
                fault: None,
            },
            None,
        );
        let entry = newest(&journal);
        let huge_kept = entry
            .headers
            .iter()
            .find(|(n, _)| n == "x-huge")
            .map(|(_, v)| v.len());
        assert_eq!(huge_kept, Some(MAX_RECORDED_HEADER_VALUE));
    }

    #[test]
    fn the_ring_is_bounded_in_bytes() {
        let journal = journal(1000, 200 * 1024);
        for _ in 0..20 {
            record(&journal, "/x", &HeaderMap::new(), &vec![b'a'; MAX_RECORDED_BODY]);
            assert!(journal.bytes() <= 200 * 1024, "{}", journal.bytes());
        }
        let listing = journal.list(&Filter::default());
        assert_eq!((listing.recorded, listing.dropped), (3, 17));
    }

    #[test]
    fn a_listing_returns_at_most_the_cap_and_counts_the_rest() {
        let journal = journal(5000, DEFAULT_MAX_BYTES);
        for _ in 0..1500 {
            record(&journal, "/x", &HeaderMap::new(), b"");
        }
        let listing = journal.list(&Filter {
            limit: Some(usize::MAX),
            ..Filter::default()
        });
        assert_eq!((listing.requests.len(), listing.matched), (MAX_LIMIT, 1500));
    }

    #[tokio::test]
    async fn a_waiter_counts_entries_across_arrivals_and_clears() {
        let journal = journal(100, DEFAULT_MAX_BYTES);
        record(&journal, "/old", &HeaderMap::new(), b"");
        let filter = Filter {
            path_prefix: Some("/new".into()),
            ..Filter::default()
        };
        let waiter = {
            let journal = journal.clone();
            let filter = filter.clone();
            tokio::spawn(async move { journal.wait_for(&filter, 3, Duration::from_secs(10)).await })
        };
        for i in 0..2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            record(&journal, &format!("/new/{i}"), &HeaderMap::new(), b"");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        journal.clear();
        for i in 0..2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            record(&journal, &format!("/new/again/{i}"), &HeaderMap::new(), b"");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished(), "two since the clear are not three");
        record(&journal, "/new/again/2", &HeaderMap::new(), b"");
        let (listing, satisfied) = waiter.await.unwrap_or_else(|_| (journal.list(&filter), false));
        assert!(satisfied);
        assert_eq!(listing.matched, 3);
    }
}
