//! The request journal: a bounded ring of what clients sent and got back,
//! so tests can verify calls and people can debug a failing CI job.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde::Serialize;
use tokio::sync::Notify;

use crate::shared::family::Family;

/// Bodies are kept up to this size; the rest is cut and flagged.
pub const MAX_RECORDED_BODY: usize = 64 * 1024;

/// Default number of entries the ring keeps (`--journal-capacity`).
pub const DEFAULT_CAPACITY: usize = 10_000;

const REDACTED: &str = "[redacted]";

/// Header names whose values are credentials (compared lower-case).
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "finicity-app-key",
    "finicity-app-token",
    "x-lsq-accesskey",
    "x-lsq-secretkey",
];

/// Top-level JSON body members whose values are credentials (Finicity's
/// partner authentication).
const SECRET_BODY_MEMBERS: &[&str] = &["partnerSecret"];

/// Query parameters whose values are credentials (compared case-insensitively).
const SECRET_QUERY_PARAMS: &[&str] = &["secretkey", "accesskey", "access_token", "token"];

/// One recorded exchange, as the admin API shows it (credentials redacted).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Increasing per process; survives `clear` so clients can poll with `since`.
    pub id: u64,
    #[serde(serialize_with = "crate::shared::time::serialize_rfc3339_millis")]
    pub time: DateTime<Utc>,
    pub family: Family,
    pub method: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    pub status: u16,
    pub latency_ms: f64,
    /// Present when an injected fault shaped the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<InjectedFault>,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub body_bytes: usize,
    pub body_truncated: bool,
}

/// What a request looked like, before the response exists. The request
/// line and headers are copied into one compact string (holding on to the
/// request's own buffers would keep whole read buffers alive for as long as
/// the entry lives, and one allocation keeps the hot routes cheap).
/// Redaction happens when the journal is read; secrets never leave the process.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    time: DateTime<Utc>,
    method: http::Method,
    /// The path and query, then `name: value\n` header lines.
    head: String,
    /// Where the header lines start in `head`.
    headers_start: usize,
    body: Bytes,
    body_bytes: usize,
}

impl RequestRecord {
    /// Captures a request; its body is cut at [`MAX_RECORDED_BODY`].
    pub fn capture(
        time: DateTime<Utc>,
        method: &http::Method,
        uri: &http::Uri,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Self {
        let target = uri.path_and_query().map_or_else(|| uri.path(), |pq| pq.as_str());
        let size = target.len()
            + headers
                .iter()
                .map(|(n, v)| n.as_str().len() + v.len() + 3)
                .sum::<usize>();
        let mut head = String::with_capacity(size);
        head.push_str(target);
        for (name, value) in headers {
            head.push_str(name.as_str());
            head.push_str(": ");
            head.push_str(&String::from_utf8_lossy(value.as_bytes()));
            head.push('\n');
        }
        Self {
            time,
            method: method.clone(),
            head,
            headers_start: target.len(),
            body: Bytes::copy_from_slice(&body[..body.len().min(MAX_RECORDED_BODY)]),
            body_bytes: body.len(),
        }
    }

    fn path_and_query(&self) -> &str {
        &self.head[..self.headers_start]
    }

    fn header_lines(&self) -> &str {
        &self.head[self.headers_start..]
    }

    fn path(&self) -> &str {
        let target = self.path_and_query();
        target.split_once('?').map_or(target, |(p, _)| p)
    }

    fn query(&self) -> Option<&str> {
        self.path_and_query().split_once('?').map(|(_, q)| q)
    }

    /// Every credential the request carried, unredacted (for matching only).
    fn credentials(&self) -> impl Iterator<Item = &str> {
        let headers = self
            .header_lines()
            .lines()
            .filter_map(|line| line.split_once(": "));
        credentials_in(headers, self.query())
    }
}

/// The credentials among a request's headers (lower-case names) and query:
/// a bearer token, Finicity's app key and token, LeadSquared's access key.
pub fn credentials_in<'a>(
    headers: impl Iterator<Item = (&'a str, &'a str)>,
    query: Option<&'a str>,
) -> impl Iterator<Item = &'a str> {
    let from_headers = headers.filter_map(|(name, value)| match name {
        "authorization" => Some(value.split_once(' ').map_or(value, |(_, token)| token.trim())),
        "finicity-app-key" | "finicity-app-token" | "x-lsq-accesskey" => Some(value.trim()),
        _ => None,
    });
    let from_query = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| name.eq_ignore_ascii_case("accesskey"))
        .map(|(_, value)| value);
    from_headers.chain(from_query)
}

#[derive(Debug)]
struct Stored {
    id: u64,
    family: Family,
    outcome: Outcome,
    request: RequestRecord,
}

/// How an exchange ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The status sent; 0 when the connection was dropped without an answer.
    pub status: u16,
    pub latency_ms: f64,
    /// The injected fault that shaped the answer, if any.
    pub fault: Option<InjectedFault>,
}

/// Marks a journal entry whose answer an injected fault shaped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InjectedFault {
    pub id: String,
    pub effect: &'static str,
}

impl Stored {
    fn entry(&self) -> Entry {
        let r = &self.request;
        Entry {
            id: self.id,
            time: r.time,
            family: self.family,
            method: r.method.as_str().to_owned(),
            path: r.path().to_owned(),
            query: r.query().map(redact_query),
            status: self.outcome.status,
            latency_ms: self.outcome.latency_ms,
            fault: self.outcome.fault.clone(),
            headers: redact_headers(r.header_lines()),
            body: redact_body(&r.body),
            body_bytes: r.body_bytes,
            body_truncated: r.body_bytes > r.body.len(),
        }
    }
}

/// Filters for listing the journal (all optional, all must hold).
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub family: Option<Family>,
    pub method: Option<String>,
    pub path_prefix: Option<String>,
    pub status: Option<u16>,
    /// A credential the request carried: a bearer token, a Finicity app key
    /// or token, a LeadSquared access key (header or query).
    pub credential: Option<String>,
    /// A substring of the (recorded part of the) body.
    pub body_contains: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub fault: Option<FaultFilter>,
    pub limit: Option<usize>,
}

/// Requests by whether an injected fault shaped their answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultFilter {
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
    fn matches(&self, e: &Stored) -> bool {
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
                .is_none_or(|f| f.matches(e.outcome.fault.as_ref()))
            && self
                .credential
                .as_deref()
                .is_none_or(|c| r.credentials().any(|sent| sent == c))
            && self.body_contains.as_deref().is_none_or(|needle| {
                let body = String::from_utf8_lossy(&r.body);
                body.contains(needle)
            })
    }
}

/// A page of the journal, newest first.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    pub requests: Vec<Entry>,
    /// How many entries matched the filters (before `limit`).
    pub matched: usize,
    /// How many entries the ring holds now.
    pub recorded: usize,
    pub capacity: usize,
    /// How many entries were pushed out of the ring since the last clear.
    pub dropped: u64,
}

#[derive(Debug)]
struct Ring {
    entries: VecDeque<Stored>,
    next_id: u64,
    dropped: u64,
}

/// A cheap-to-clone handle on the bounded journal.
#[derive(Debug, Clone)]
pub struct Journal {
    ring: Arc<Mutex<Ring>>,
    capacity: usize,
    arrivals: Arc<Arrivals>,
}

/// Wakes requests waiting for matching entries. Recording checks a counter
/// first, so the hot routes pay one atomic load when nobody waits.
#[derive(Debug, Default)]
struct Arrivals {
    waiting: AtomicUsize,
    notify: Notify,
}

impl Journal {
    pub fn new(capacity: usize) -> Self {
        Self {
            ring: Arc::new(Mutex::new(Ring {
                // Reserved up front, as a ring grown by doubling leaves
                // its outgrown buffers behind in the allocator.
                entries: VecDeque::with_capacity(capacity.min(100_000)),
                next_id: 1,
                dropped: 0,
            })),
            capacity,
            arrivals: Arc::default(),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn record(&self, request: RequestRecord, family: Family, outcome: Outcome) {
        if self.capacity == 0 {
            return;
        }
        let mut ring = self.lock();
        let id = ring.next_id;
        ring.next_id += 1;
        if ring.entries.len() >= self.capacity {
            ring.entries.pop_front();
            ring.dropped += 1;
        }
        ring.entries.push_back(Stored {
            id,
            family,
            outcome,
            request,
        });
        drop(ring);
        // SeqCst pairs with `wait_for`: either it sees this entry, or we see it waiting.
        if self.arrivals.waiting.load(Ordering::SeqCst) > 0 {
            self.arrivals.notify.notify_waiters();
        }
    }

    /// Lists matching entries once at least `count` match, or when `timeout`
    /// (real time) runs out, whichever comes first; the flag says which.
    pub async fn wait_for(&self, filter: &Filter, count: usize, timeout: Duration) -> (Listing, bool) {
        let deadline = tokio::time::Instant::now() + timeout;
        self.arrivals.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = scopeguard(&self.arrivals.waiting);
        loop {
            let notified = self.arrivals.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            // Only count while waiting: every arrival wakes every waiter.
            if self.matched(filter) >= count {
                return (self.list(filter), true);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return (self.list(filter), false);
            }
        }
    }

    fn matched(&self, filter: &Filter) -> usize {
        self.lock().entries.iter().filter(|e| filter.matches(e)).count()
    }

    pub fn list(&self, filter: &Filter) -> Listing {
        let ring = self.lock();
        let matching = ring.entries.iter().rev().filter(|e| filter.matches(e));
        let matched = matching.clone().count();
        let requests = matching
            .take(filter.limit.unwrap_or(usize::MAX))
            .map(Stored::entry)
            .collect();
        Listing {
            requests,
            matched,
            recorded: ring.entries.len(),
            capacity: self.capacity,
            dropped: ring.dropped,
        }
    }

    /// Empties the ring; returns how many entries were removed.
    pub fn clear(&self) -> usize {
        let mut ring = self.lock();
        let removed = ring.entries.len();
        ring.entries.clear();
        ring.dropped = 0;
        removed
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        // Every mutation leaves the ring consistent, so a poisoned lock is safe to reuse.
        self.ring.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Takes a waiter off the count however its request ends (a client that
/// hangs up drops the future mid-wait).
fn scopeguard(waiting: &AtomicUsize) -> impl Drop + '_ {
    struct Guard<'a>(&'a AtomicUsize);
    impl Drop for Guard<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
    Guard(waiting)
}

fn redact_headers(lines: &str) -> Vec<(String, String)> {
    lines
        .lines()
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| {
            let value = if SECRET_HEADERS.contains(&name) {
                redact_header_value(value)
            } else {
                value.to_owned()
            };
            (name.to_owned(), value)
        })
        .collect()
}

/// Keeps an auth scheme (`Bearer`, `Basic`) so the journal still shows how a
/// client authenticated, but never the secret itself.
fn redact_header_value(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, _)) if !scheme.is_empty() => format!("{scheme} {REDACTED}"),
        _ => REDACTED.to_owned(),
    }
}

/// The body as text, with secret members of a JSON object replaced. Done
/// when the journal is read, so recording stays a copy.
fn redact_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if !SECRET_BODY_MEMBERS.iter().any(|m| text.contains(m)) {
        return text.into_owned();
    }
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(mut members)) => {
            for name in SECRET_BODY_MEMBERS {
                if let Some(value) = members.get_mut(*name) {
                    *value = REDACTED.into();
                }
            }
            serde_json::Value::Object(members).to_string()
        }
        // Not JSON (or cut at the size limit): hide it all rather than leak.
        _ => REDACTED.to_owned(),
    }
}

fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if SECRET_QUERY_PARAMS.iter().any(|s| name.eq_ignore_ascii_case(s)) => {
                format!("{name}={REDACTED}")
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_secrets_never_reach_the_journal() {
        let body = br#"{"partnerId":"demo-partner","partnerSecret":"s3cret"}"#;
        let shown = redact_body(body);
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("demo-partner") && shown.contains("[redacted]"),
            "{shown}"
        );
        assert_eq!(redact_body(br#"{"partnerSecret": "s3cret"#), "[redacted]");
        assert_eq!(redact_body(b"plain text"), "plain text");
    }

    fn record(journal: &Journal, uri: &str, headers: &HeaderMap, body: &[u8]) {
        let uri: http::Uri = uri.parse().unwrap_or_default();
        let body = Bytes::copy_from_slice(body);
        let req = RequestRecord::capture(Utc::now(), &http::Method::GET, &uri, headers, &body);
        journal.record(
            req,
            Family::Engine,
            Outcome {
                status: 200,
                latency_ms: 0.1,
                fault: None,
            },
        );
    }

    fn newest(journal: &Journal) -> Entry {
        journal.list(&Filter::default()).requests.remove(0)
    }

    #[test]
    fn ring_is_bounded_and_counts_what_it_drops() {
        let journal = Journal::new(3);
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
        headers.insert("finicity-app-key", http::HeaderValue::from_static("k3y"));
        headers.insert("accept", http::HeaderValue::from_static("application/json"));
        let journal = Journal::new(3);
        record(&journal, "/x?accessKey=a&secretKey=b&page=2", &headers, b"{}");
        let entry = newest(&journal);
        let find = |n: &str| entry.headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        assert_eq!(find("authorization").as_deref(), Some("Bearer [redacted]"));
        assert_eq!(find("finicity-app-key").as_deref(), Some("[redacted]"));
        assert_eq!(find("accept").as_deref(), Some("application/json"));
        assert_eq!(
            entry.query.as_deref(),
            Some("accessKey=[redacted]&secretKey=[redacted]&page=2")
        );
    }

    #[test]
    fn large_bodies_are_cut_at_64_kib() {
        let journal = Journal::new(3);
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
}
