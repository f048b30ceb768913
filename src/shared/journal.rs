//! The request journal: a bounded ring of what clients sent and got back,
//! so tests can verify calls and people can debug a failing CI job.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde::Serialize;

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

/// Query parameters whose values are credentials (compared case-insensitively).
const SECRET_QUERY_PARAMS: &[&str] = &["secretkey", "accesskey", "access_token", "token"];

/// One recorded exchange.
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
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub body_bytes: usize,
    pub body_truncated: bool,
}

/// What a request looked like, before the response exists.
#[derive(Debug)]
pub struct RequestRecord {
    pub time: DateTime<Utc>,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub body_bytes: usize,
    pub body_truncated: bool,
}

impl RequestRecord {
    /// Captures a request with its credentials redacted and its body cut at
    /// [`MAX_RECORDED_BODY`].
    pub fn capture(
        time: DateTime<Utc>,
        method: &http::Method,
        uri: &http::Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Self {
        let kept = &body[..body.len().min(MAX_RECORDED_BODY)];
        Self {
            time,
            method: method.as_str().to_owned(),
            path: uri.path().to_owned(),
            query: uri.query().map(redact_query),
            headers: redact_headers(headers),
            body: String::from_utf8_lossy(kept).into_owned(),
            body_bytes: body.len(),
            body_truncated: body.len() > MAX_RECORDED_BODY,
        }
    }
}

/// Filters for listing the journal (all optional).
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub method: Option<String>,
    pub path_prefix: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub limit: Option<usize>,
}

impl Filter {
    fn matches(&self, e: &Entry) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| e.method.eq_ignore_ascii_case(m))
            && self.path_prefix.as_deref().is_none_or(|p| e.path.starts_with(p))
            && self.since.is_none_or(|t| e.time >= t)
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
    entries: VecDeque<Entry>,
    next_id: u64,
    dropped: u64,
}

/// A cheap-to-clone handle on the bounded journal.
#[derive(Debug, Clone)]
pub struct Journal {
    ring: Arc<Mutex<Ring>>,
    capacity: usize,
}

impl Journal {
    pub fn new(capacity: usize) -> Self {
        Self {
            ring: Arc::new(Mutex::new(Ring {
                entries: VecDeque::with_capacity(capacity.min(1024)),
                next_id: 1,
                dropped: 0,
            })),
            capacity,
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn record(&self, request: RequestRecord, family: Family, status: u16, latency_ms: f64) {
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
        ring.entries.push_back(Entry {
            id,
            time: request.time,
            family,
            method: request.method,
            path: request.path,
            query: request.query,
            status,
            latency_ms,
            headers: request.headers,
            body: request.body,
            body_bytes: request.body_bytes,
            body_truncated: request.body_truncated,
        });
    }

    pub fn list(&self, filter: &Filter) -> Listing {
        let ring = self.lock();
        let matching = ring.entries.iter().rev().filter(|e| filter.matches(e));
        let matched = matching.clone().count();
        let requests = matching
            .take(filter.limit.unwrap_or(usize::MAX))
            .cloned()
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

fn redact_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let name = name.as_str().to_owned();
            let value = if SECRET_HEADERS.contains(&name.as_str()) {
                redact_header_value(value.to_str().unwrap_or_default())
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name, value)
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

    fn record(journal: &Journal, path: &str) {
        let uri: http::Uri = path.parse().unwrap_or_default();
        let req = RequestRecord::capture(Utc::now(), &http::Method::GET, &uri, &HeaderMap::new(), b"");
        journal.record(req, Family::Engine, 200, 0.1);
    }

    #[test]
    fn ring_is_bounded_and_counts_what_it_drops() {
        let journal = Journal::new(3);
        for i in 0..5 {
            record(&journal, &format!("/r/{i}"));
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
        headers.insert(
            "authorization",
            "Bearer s3cret".parse().unwrap_or_else(|_| unreachable!()),
        );
        headers.insert(
            "finicity-app-key",
            "k3y".parse().unwrap_or_else(|_| unreachable!()),
        );
        headers.insert(
            "accept",
            "application/json".parse().unwrap_or_else(|_| unreachable!()),
        );
        let uri: http::Uri = "/x?accessKey=a&secretKey=b&page=2".parse().unwrap_or_default();
        let rec = RequestRecord::capture(Utc::now(), &http::Method::POST, &uri, &headers, b"{}");
        let find = |n: &str| rec.headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(find("authorization"), Some("Bearer [redacted]"));
        assert_eq!(find("finicity-app-key"), Some("[redacted]"));
        assert_eq!(find("accept"), Some("application/json"));
        assert_eq!(
            rec.query.as_deref(),
            Some("accessKey=[redacted]&secretKey=[redacted]&page=2")
        );
    }

    #[test]
    fn large_bodies_are_cut_at_64_kib() {
        let body = vec![b'a'; MAX_RECORDED_BODY + 10];
        let uri: http::Uri = "/x".parse().unwrap_or_default();
        let rec = RequestRecord::capture(Utc::now(), &http::Method::POST, &uri, &HeaderMap::new(), &body);
        assert_eq!(rec.body.len(), MAX_RECORDED_BODY);
        assert_eq!(rec.body_bytes, MAX_RECORDED_BODY + 10);
        assert!(rec.body_truncated);
    }
}
