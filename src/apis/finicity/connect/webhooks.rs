//! Data Connect webhook events: what a Connect session POSTs to the
//! `webhook` URL of its generate call, in order, on the virtual clock.
//!
//! - Each event is due at a virtual instant (most at the step that raised
//!   them; a slow discovery later). One dispatcher task watches the clock;
//!   a link's events go out one at a time, in the order they were raised,
//!   each once its predecessor is answered or given up on.
//! - Delivery goes through the shared, bounded sender ([`Outbound`]):
//!   timeouts, a cap on deliveries under way, cancelled by a reset, never to
//!   an admin path. A receiver that hangs delays only its own link's later
//!   events, never a vendor route.
//! - The vendor does not say whether Connect webhooks are retried; leadsim
//!   retries a failed one twice (0.5 s, then 1 s later, real time) and then
//!   moves on to the link's next event, so a receiver that was briefly down
//!   still sees every event, in order, and one that stays down cannot hold
//!   a link forever.
//! - Bodies carry `X-Finicity-Signature`, the hex HMAC-SHA256 of the body
//!   keyed with the partner's secret (the vendor's documented scheme), and
//!   the generate call's `webhookHeaders`.
//! - Every delivery and the generate call's `ping` are listed for the admin
//!   API (`GET /__admin/finicity/webhooks`) with the receiver's status.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::Notify;

use crate::shared::clock::Clock;
use crate::shared::deliveries::{ATTEMPTS, Attempt, Log, Record, Request};
use crate::shared::outbound::Outbound;
use crate::shared::redaction::redact_userinfo;
/// Events one link may have waiting; past that they are recorded as dropped.
pub(crate) const MAX_PENDING_PER_LINK: usize = 256;
/// Links with events waiting at once.
const MAX_LINKS_PENDING: usize = 4_096;
const TICK: Duration = Duration::from_millis(20);
const USER_AGENT: &str = "leadsim-connect-webhooks";

/// Where a link's events go, and how (from its generate call).
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) url: String,
    pub(crate) xml: bool,
    pub(crate) data: Option<Value>,
    pub(crate) headers: Vec<(http::HeaderName, http::HeaderValue)>,
    /// The partner secret that signs the bodies.
    pub(crate) secret: String,
    pub(crate) customer_id: String,
    pub(crate) consumer_id: Option<String>,
}

/// One event raised by a session.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) event_type: &'static str,
    pub(crate) payload: Value,
    pub(crate) due: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct Pending {
    event: Event,
    event_id: String,
}

#[derive(Debug)]
struct LinkQueue {
    target: Arc<Target>,
    pending: VecDeque<Pending>,
    busy: bool,
}

#[derive(Debug, Default)]
struct Inner {
    queues: HashMap<String, LinkQueue>,
}

/// One event sent (or not) and what became of it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Delivery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) event_id: Option<String>,
    pub(crate) event_type: &'static str,
    pub(crate) customer_id: String,
    pub(crate) url: String,
    /// `delivered`, `failed`, `pending`, `refused` (never sent) or
    /// `dropped` (never sent: too many deliveries under way).
    pub(crate) outcome: &'static str,
    pub(crate) attempts: Vec<Attempt>,
}

impl Record for Delivery {
    fn set_outcome(&mut self, outcome: &'static str) {
        self.outcome = outcome;
    }

    fn attempts(&mut self) -> &mut Vec<Attempt> {
        &mut self.attempts
    }
}

#[derive(Debug)]
pub(crate) struct Webhooks {
    clock: Clock,
    outbound: Outbound,
    inner: Mutex<Inner>,
    log: Log<Delivery>,
    wake: Notify,
    dispatcher: OnceLock<()>,
}

impl Webhooks {
    pub(crate) fn new(clock: Clock, outbound: Outbound) -> Self {
        Self {
            clock,
            outbound,
            inner: Mutex::default(),
            log: Log::default(),
            wake: Notify::new(),
            dispatcher: OnceLock::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every delivery kept, oldest first.
    pub(crate) fn deliveries(&self) -> Vec<Delivery> {
        self.log.all()
    }

    pub(crate) fn reset(&self) {
        self.log.reset();
        *self.lock() = Inner::default();
    }

    /// POSTs the `ping` event and waits for the answer: the generate call
    /// fails unless it is a 2xx. One attempt, bounded by the sender's timeouts.
    pub(crate) async fn ping(&self, target: &Target) -> Result<(), String> {
        let body = Bytes::from_static(br#"{"eventType":"ping","payload":{}}"#);
        let headers = signed_headers(target, &body);
        let request = Request {
            url: &target.url,
            body,
            user_agent: USER_AGENT,
            content_type: "application/json",
            headers: &headers,
            attempts: 1,
        };
        let delivery = self.delivery(target, None, "ping");
        self.log
            .deliver(&self.outbound, &self.clock, self.log.generation(), delivery, request)
            .await
            .map(|_| ())
    }

    /// A delivery's listing entry, before its attempts.
    fn delivery(&self, target: &Target, event_id: Option<String>, event_type: &'static str) -> Delivery {
        Delivery {
            event_id,
            event_type,
            customer_id: target.customer_id.clone(),
            url: redact_userinfo(&target.url).into_owned(),
            outcome: "pending",
            attempts: Vec::new(),
        }
    }

    /// Queues a link's events behind the ones it has waiting. Call from
    /// within the server's runtime: the first call starts the dispatcher.
    pub(crate) fn raise(self: &Arc<Self>, link: &str, target: &Arc<Target>, events: Vec<(Event, String)>) {
        if events.is_empty() {
            return;
        }
        let generation = self.log.generation();
        let mut dropped = Vec::new();
        {
            let mut inner = self.lock();
            let full = inner.queues.len() >= MAX_LINKS_PENDING && !inner.queues.contains_key(link);
            if full {
                dropped.extend(events);
            } else {
                let queue = inner.queues.entry(link.to_owned()).or_insert_with(|| LinkQueue {
                    target: target.clone(),
                    pending: VecDeque::new(),
                    busy: false,
                });
                for (event, event_id) in events {
                    if queue.pending.len() >= MAX_PENDING_PER_LINK {
                        dropped.push((event, event_id));
                    } else {
                        queue.pending.push_back(Pending { event, event_id });
                    }
                }
            }
        }
        for (event, event_id) in dropped {
            let mut delivery = self.delivery(target, Some(event_id), event.event_type);
            delivery.outcome = "dropped";
            delivery.attempts.push(Attempt {
                at: self.clock.now(),
                status: None,
                error: Some(format!(
                    "dropped: at most {MAX_PENDING_PER_LINK} events wait per link, and {MAX_LINKS_PENDING} links"
                )),
            });
            self.log.record(generation, None, &delivery);
        }
        self.dispatcher.get_or_init(|| {
            let webhooks = Arc::clone(self);
            tokio::spawn(async move { webhooks.dispatch().await });
        });
        self.wake.notify_one();
    }

    async fn dispatch(self: Arc<Self>) {
        loop {
            let now = self.clock.now();
            let mut due = Vec::new();
            let mut waiting = false;
            {
                let mut inner = self.lock();
                for (link, queue) in &mut inner.queues {
                    if queue.busy {
                        continue;
                    }
                    match queue.pending.front() {
                        Some(head) if head.event.due <= now => {
                            queue.busy = true;
                            due.push((link.clone(), queue.target.clone(), head.clone()));
                        }
                        Some(_) => waiting = true,
                        None => {}
                    }
                }
            }
            for (link, target, pending) in due {
                let webhooks = Arc::clone(&self);
                tokio::spawn(async move {
                    let generation = webhooks.log.generation();
                    webhooks.deliver(generation, &target, &pending).await;
                    webhooks.finished(generation, &link);
                });
            }
            if waiting {
                tokio::time::sleep(TICK).await;
            } else {
                self.wake.notified().await;
            }
        }
    }

    /// The link's head event is settled: the next one may go.
    fn finished(&self, generation: u64, link: &str) {
        if self.log.generation() == generation {
            let mut inner = self.lock();
            if let Some(queue) = inner.queues.get_mut(link) {
                queue.pending.pop_front();
                queue.busy = false;
                if queue.pending.is_empty() {
                    inner.queues.remove(link);
                }
            }
        }
        self.wake.notify_one();
    }

    /// One event, retried as every notification is; the link's next event
    /// goes once this one is settled, delivered or not.
    async fn deliver(&self, generation: u64, target: &Target, pending: &Pending) {
        let body = render(target, pending);
        let headers = signed_headers(target, &body);
        let request = Request {
            url: &target.url,
            body,
            user_agent: USER_AGENT,
            content_type: if target.xml { "application/xml" } else { "application/json" },
            headers: &headers,
            attempts: ATTEMPTS,
        };
        let delivery = self.delivery(target, Some(pending.event_id.clone()), pending.event.event_type);
        let _ = self.log.deliver(&self.outbound, &self.clock, generation, delivery, request).await;
    }
}

/// The partner's headers and the body's signature.
fn signed_headers(target: &Target, body: &[u8]) -> Vec<(http::HeaderName, http::HeaderValue)> {
    let mut headers = target.headers.clone();
    if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(target.secret.as_bytes()) {
        mac.update(body);
        let signature = data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes());
        if let Ok(value) = http::HeaderValue::from_str(&signature) {
            headers.push((http::HeaderName::from_static("x-finicity-signature"), value));
        }
    }
    headers
}

/// The envelope the vendor documents, members in its order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    customer_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumer_id: Option<&'a str>,
    event_type: &'a str,
    event_id: &'a str,
    payload: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook_data: Option<&'a Value>,
}

fn render(target: &Target, pending: &Pending) -> Bytes {
    let envelope = Envelope {
        customer_id: &target.customer_id,
        consumer_id: target.consumer_id.as_deref(),
        event_type: pending.event.event_type,
        event_id: &pending.event_id,
        payload: &pending.event.payload,
        webhook_data: target.data.as_ref(),
    };
    if target.xml {
        let value = serde_json::to_value(&envelope).unwrap_or(Value::Null);
        let mut xml = String::from(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        write_xml(&mut xml, "webhook", &value);
        return Bytes::from(xml);
    }
    Bytes::from(serde_json::to_vec(&envelope).unwrap_or_default())
}

/// The event as XML: members become elements, array items repeat their
/// parent's element name (`<accounts><account>…`), with the plural `s`
/// dropped when there is one.
fn write_xml(out: &mut String, name: &str, value: &Value) {
    let name = xml_name(name);
    match value {
        Value::Array(items) => {
            out.push_str(&format!("<{name}>"));
            let item = name.strip_suffix('s').filter(|s| !s.is_empty()).unwrap_or("item");
            for v in items {
                write_xml(out, item, v);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Object(members) => {
            out.push_str(&format!("<{name}>"));
            for (k, v) in members {
                write_xml(out, k, v);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Null => out.push_str(&format!("<{name}/>")),
        Value::String(s) => out.push_str(&format!("<{name}>{}</{name}>", escape_xml(s))),
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

/// A member name as an element name (webhookData's keys are the partner's).
fn xml_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') { c } else { '_' })
        .collect();
    match cleaned.chars().next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => cleaned,
        _ => format!("_{cleaned}"),
    }
}

fn escape_xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target(xml: bool) -> Target {
        Target {
            url: "http://127.0.0.1:9/hook".into(),
            xml,
            data: Some(json!({"ref": "a&b"})),
            headers: Vec::new(),
            secret: "secret".into(),
            customer_id: "1005061234".into(),
            consumer_id: None,
        }
    }

    fn pending() -> Pending {
        Pending {
            event: Event {
                event_type: "added",
                payload: json!({"accounts": [{"id": "1"}, {"id": "2"}], "institutionId": "102105"}),
                due: DateTime::UNIX_EPOCH,
            },
            event_id: "1495468585434-0e73d1719173766fe4dfe1a8".into(),
        }
    }

    #[test]
    fn bodies_follow_the_envelope_and_its_order() {
        let body = render(&target(false), &pending());
        assert_eq!(
            std::str::from_utf8(&body).unwrap_or_default(),
            r#"{"customerId":"1005061234","eventType":"added","eventId":"1495468585434-0e73d1719173766fe4dfe1a8","payload":{"accounts":[{"id":"1"},{"id":"2"}],"institutionId":"102105"},"webhookData":{"ref":"a&b"}}"#
        );
        let xml = render(&target(true), &pending());
        assert!(
            std::str::from_utf8(&xml)
                .unwrap_or_default()
                .ends_with("<payload><accounts><account><id>1</id></account><account><id>2</id></account></accounts><institutionId>102105</institutionId></payload><webhookData><ref>a&amp;b</ref></webhookData></webhook>")
        );
    }

    #[test]
    fn the_signature_is_the_bodys_hmac_with_the_partner_secret() {
        // RFC 4231-style check against a known HMAC-SHA256.
        let headers = signed_headers(&target(false), b"The quick brown fox jumps over the lazy dog");
        let mut t = target(false);
        t.secret = "key".into();
        let known = signed_headers(&t, b"The quick brown fox jumps over the lazy dog");
        assert_eq!(
            known[0].1.to_str().unwrap_or_default(),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
        assert_ne!(headers[0].1, known[0].1);
    }
}
