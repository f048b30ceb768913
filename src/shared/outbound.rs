//! Requests leadsim sends (report callbacks, webhooks), bounded so that a
//! receiver that hangs or refuses cannot slow the vendor routes or exhaust
//! the process's descriptors:
//! - at most [`MAX_IN_FLIGHT`] requests are open at once, and at most
//!   [`MAX_QUEUED`] deliveries are under way in all (in flight or waiting
//!   for a place); one past that is recorded as dropped, never sent;
//! - each attempt has a connect timeout and a total timeout;
//! - a reset cancels every delivery queued or in flight: the next test
//!   never receives the previous test's callbacks;
//! - nothing is sent to a leadsim admin path (`/__admin/...`, in any
//!   spelling): a callback URL must not be able to reset or reconfigure
//!   the server it is registered with.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::{Semaphore, watch};

/// Requests open at once, across every family.
pub const MAX_IN_FLIGHT: usize = 64;
/// Deliveries under way at once: in flight, or waiting for one of those places.
pub const MAX_QUEUED: usize = 4_096;
/// How long connecting may take, and a whole attempt.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why an attempt was not made or got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Never sent: the URL is not one leadsim delivers to.
    Refused(String),
    /// Never sent: the queue was full.
    Dropped,
    /// A reset came first.
    Cancelled,
    /// Sent, and no answer came (connection refused, timed out, ...).
    NoAnswer(String),
}

impl Failure {
    /// The text an admin listing shows.
    pub(crate) fn describe(&self) -> String {
        match self {
            Failure::Refused(why) => format!("refused: {why}"),
            Failure::Dropped => format!("dropped: {MAX_QUEUED} deliveries were already under way"),
            Failure::Cancelled => "cancelled by a reset".to_owned(),
            Failure::NoAnswer(why) => why.clone(),
        }
    }
}

/// The shared sender. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Outbound {
    client: Client<HttpConnector, Full<Bytes>>,
    places: Arc<Semaphore>,
    queued: Arc<AtomicUsize>,
    resets: Arc<watch::Sender<u64>>,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("available", &self.places.available_permits())
            .field("queued", &self.queued.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Default for Outbound {
    fn default() -> Self {
        Self::new()
    }
}

impl Outbound {
    pub(crate) fn new() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            // An idle connection kept for reuse is a descriptor held: keep few.
            .pool_max_idle_per_host(4)
            .pool_idle_timeout(Duration::from_secs(10))
            .build(connector);
        Self {
            client,
            places: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            queued: Arc::new(AtomicUsize::new(0)),
            resets: Arc::new(watch::Sender::new(0)),
        }
    }

    /// Cancels every delivery queued or in flight.
    pub(crate) fn reset(&self) {
        self.resets.send_modify(|generation| *generation += 1);
    }

    /// Takes a place in the queue for a delivery, or says it is full.
    /// Holding the ticket is what counts against [`MAX_QUEUED`].
    pub(crate) fn enqueue(&self) -> Result<Ticket, Failure> {
        let mut current = self.queued.load(Ordering::Relaxed);
        loop {
            if current >= MAX_QUEUED {
                return Err(Failure::Dropped);
            }
            match self
                .queued
                .compare_exchange_weak(current, current + 1, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(seen) => current = seen,
            }
        }
        let resets = self.resets.subscribe();
        let born = *resets.borrow();
        Ok(Ticket {
            outbound: self.clone(),
            resets,
            born,
        })
    }
}

/// A delivery's place: its attempts, until dropped. A reset after the
/// ticket was taken cancels every attempt made with it.
pub(crate) struct Ticket {
    outbound: Outbound,
    resets: watch::Receiver<u64>,
    /// The reset generation the ticket was taken in.
    born: u64,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.outbound.queued.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Ticket {
    /// Whether a reset came since the ticket was taken.
    pub(crate) fn cancelled(&self) -> bool {
        *self.resets.borrow() != self.born
    }

    /// Resolves once a reset comes (at once if one came already).
    async fn reset_comes(&mut self) {
        let born = self.born;
        // An error means the sender is gone: nothing will be delivered.
        let _ = self.resets.wait_for(|generation| *generation != born).await;
    }

    /// POSTs `body` to `url` with its content type and extra headers (a
    /// webhook's signature, the partner's own): the response status, or why
    /// there was none. Waits for a place among [`MAX_IN_FLIGHT`] first.
    pub(crate) async fn post(
        &mut self,
        url: &str,
        body: Bytes,
        user_agent: &'static str,
        content_type: &'static str,
        headers: &[(http::HeaderName, http::HeaderValue)],
    ) -> Result<u16, Failure> {
        let uri = target(url).map_err(Failure::Refused)?;
        let mut request = http::Request::post(uri)
            .header(http::header::CONTENT_TYPE, content_type)
            .header(http::header::USER_AGENT, user_agent);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let request = request
            .body(Full::new(body))
            .map_err(|e| Failure::Refused(format!("invalid request: {e}")))?;
        let places = self.outbound.places.clone();
        let client = self.outbound.client.clone();
        let attempt = async move {
            let Ok(_place) = places.acquire_owned().await else {
                return Err(Failure::Cancelled);
            };
            match tokio::time::timeout(ATTEMPT_TIMEOUT, client.request(request)).await {
                Err(_) => Err(Failure::NoAnswer(format!(
                    "no response within {} seconds",
                    ATTEMPT_TIMEOUT.as_secs()
                ))),
                Ok(Err(error)) => Err(Failure::NoAnswer(format!(
                    "request failed: {}",
                    describe_error(&error)
                ))),
                Ok(Ok(response)) => Ok(response.status().as_u16()),
            }
        };
        if self.cancelled() {
            return Err(Failure::Cancelled);
        }
        tokio::select! {
            result = attempt => result,
            () = self.reset_comes() => Err(Failure::Cancelled),
        }
    }

    /// Sleeps `pause` unless a reset comes first; false if one did.
    pub(crate) async fn pause(&mut self, pause: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(pause) => !self.cancelled(),
            () = self.reset_comes() => false,
        }
    }
}

/// hyper's client error says only "client error (Connect)": its source says why.
fn describe_error(error: &hyper_util::client::legacy::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// The URL as a request target, if leadsim delivers to it.
pub(crate) fn target(url: &str) -> Result<http::Uri, String> {
    if url.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://")) {
        return Err(
            "https URLs are not supported by leadsim (it has no TLS client); use an http:// URL".into(),
        );
    }
    let uri: http::Uri = url.parse().map_err(|e| format!("not a URL: {e}"))?;
    if uri.scheme_str() != Some("http") || uri.host().is_none() {
        return Err("not an absolute http:// URL".into());
    }
    if is_admin_path(uri.path()) {
        return Err("a leadsim admin path (/__admin): deliveries never call the admin API".into());
    }
    Ok(uri)
}

/// Whether `path` names the admin API in any spelling a server could read
/// it as: percent-encoded, with doubled slashes or dot segments, in any case.
pub(crate) fn is_admin_path(path: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split(['/', '\\']) {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    segments
        .first()
        .is_some_and(|first| first.eq_ignore_ascii_case("__admin"))
}

/// Raises the process's open-descriptor soft limit to its hard limit, so
/// many connections (clients, and deliveries to slow receivers) fit under
/// limits such as the common soft 1,024. Returns the limit in force.
pub fn raise_descriptor_limit() -> Option<u64> {
    rlimit::increase_nofile_limit(u64::MAX).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_paths_are_recognised_in_every_spelling() {
        for path in [
            "/__admin/reset",
            "/__ADMIN/reset",
            "//__admin/reset",
            "/./__admin/reset",
            "/x/../__admin/reset",
            "/%5F%5Fadmin/reset",
            "/%5f_admin/clock",
            "/__admin",
            "\\__admin/reset",
        ] {
            assert!(is_admin_path(path), "{path}");
        }
        for path in ["/", "/callbacks", "/hooks/__admin", "/__administrator"] {
            assert!(!is_admin_path(path), "{path}");
        }
    }

    #[test]
    fn only_plain_http_urls_outside_the_admin_api_are_targets() {
        assert!(target("http://127.0.0.1:9/hook").is_ok());
        for url in [
            "https://127.0.0.1/hook",
            "HTTPS://127.0.0.1/hook",
            "ftp://x/y",
            "/relative",
            "http://127.0.0.1:8080/__admin/reset",
            "http://user:pw@127.0.0.1:8080/%5F%5Fadmin/reset",
        ] {
            assert!(target(url).is_err(), "{url}");
        }
    }

    #[tokio::test]
    async fn the_queue_is_bounded_and_a_reset_cancels_what_waits() {
        let outbound = Outbound::new();
        let tickets: Vec<_> = (0..MAX_QUEUED).filter_map(|_| outbound.enqueue().ok()).collect();
        assert_eq!(tickets.len(), MAX_QUEUED);
        assert_eq!(outbound.enqueue().err(), Some(Failure::Dropped));
        drop(tickets);
        let mut ticket = outbound.enqueue().ok();
        assert!(ticket.as_ref().is_some_and(|t| !t.cancelled()));
        outbound.reset();
        let Some(ticket) = ticket.as_mut() else { return };
        assert!(ticket.cancelled());
        assert_eq!(
            ticket
                .post(
                    "http://127.0.0.1:9/hook",
                    Bytes::new(),
                    "test",
                    "application/json",
                    &[]
                )
                .await,
            Err(Failure::Cancelled)
        );
    }
}
