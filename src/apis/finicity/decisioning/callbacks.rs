//! Report Listener notifications: when the virtual clock passes a report's
//! finish time, its `callbackUrl` gets the vendor's notification, POSTed
//! with a timeout and bounded retries through the shared, bounded sender
//! ([`Outbound`]: concurrency, queue, timeouts, cancelled by reset, never
//! to an admin path). Every delivery is recorded for the admin API
//! (`GET /__admin/finicity/callbacks`), URLs with their userinfo hidden; a
//! failed delivery never affects the report.
//!
//! One dispatcher task, started with the first report that has a
//! callback, watches the clock: it sleeps while nothing is pending and
//! checks every few milliseconds while something is, so advancing the
//! clock delivers at once and a running clock delivers on time.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use tokio::sync::Notify;
use uuid::Uuid;

use super::store::{DecisioningReport, Status};
use crate::shared::clock::Clock;
use crate::shared::outbound::{Failure, Outbound};
use crate::shared::redaction::redact_userinfo;
use crate::shared::time::serialize_rfc3339;

/// Attempts per notification, and the real-time pause after each failure.
const ATTEMPTS: usize = 3;
const BACKOFF: [Duration; 2] = [Duration::from_millis(500), Duration::from_secs(1)];
/// Deliveries the admin listing keeps, newest last.
const KEPT: usize = 1_000;
/// How often pending notifications are checked against the clock.
const TICK: Duration = Duration::from_millis(20);

#[derive(Debug)]
pub(crate) struct Callbacks {
    clock: Clock,
    outbound: Outbound,
    inner: Mutex<Inner>,
    wake: Notify,
    dispatcher: OnceLock<()>,
    /// Bumped on reset, so a delivery in flight then is not recorded.
    generation: AtomicU64,
}

#[derive(Debug, Default)]
struct Inner {
    pending: Vec<Arc<DecisioningReport>>,
    /// By sequence number, so a delivery in flight is updated in place.
    deliveries: VecDeque<(u64, Delivery)>,
    next: u64,
}

/// One notification and what became of it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Delivery {
    pub(crate) report_id: String,
    pub(crate) customer_id: i64,
    pub(crate) url: String,
    pub(crate) event_type: &'static str,
    /// `delivered`, `failed`, `pending` (attempts still running),
    /// `refused` (never sent: an https or admin URL) or `dropped` (never
    /// sent: the delivery queue was full).
    pub(crate) outcome: &'static str,
    pub(crate) attempts: Vec<Attempt>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Attempt {
    /// Virtual time of the attempt.
    #[serde(serialize_with = "serialize_rfc3339")]
    pub(crate) at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
}

impl Callbacks {
    pub(crate) fn new(clock: Clock, outbound: Outbound) -> Self {
        Self {
            clock,
            outbound,
            inner: Mutex::default(),
            wake: Notify::new(),
            dispatcher: OnceLock::new(),
            generation: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `report`'s notification (it has a `callbackUrl`). Call from
    /// within the server's runtime: the first call starts the dispatcher.
    pub(crate) fn schedule(self: &Arc<Self>, report: &Arc<DecisioningReport>) {
        self.lock().pending.push(report.clone());
        self.dispatcher.get_or_init(|| {
            let callbacks = Arc::clone(self);
            tokio::spawn(async move { callbacks.dispatch().await });
        });
        self.wake.notify_one();
    }

    /// Every delivery kept, oldest first.
    pub(crate) fn deliveries(&self) -> Vec<Delivery> {
        self.lock().deliveries.iter().map(|(_, d)| d.clone()).collect()
    }

    /// Forgets pending notifications and the listing, and cancels every
    /// delivery queued or in flight.
    pub(crate) fn reset(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        *self.lock() = Inner::default();
        self.outbound.reset();
    }

    async fn dispatch(self: Arc<Self>) {
        loop {
            let now = self.clock.now();
            let due: Vec<Arc<DecisioningReport>> = {
                let mut inner = self.lock();
                let (due, waiting) = std::mem::take(&mut inner.pending)
                    .into_iter()
                    .partition(|r| r.finishes <= now);
                inner.pending = waiting;
                due
            };
            for report in due {
                let callbacks = Arc::clone(&self);
                tokio::spawn(async move { callbacks.deliver(&report).await });
            }
            if self.lock().pending.is_empty() {
                self.wake.notified().await;
            } else {
                tokio::time::sleep(TICK).await;
            }
        }
    }

    async fn deliver(&self, report: &DecisioningReport) {
        let generation = self.generation.load(Ordering::SeqCst);
        let Some(url) = report.request.callback_url.clone() else { return };
        let status = report.status(self.clock.now());
        let event_type = if status == Status::Failure { "failed" } else { "done" };
        let body = notification(report, status, event_type);
        let mut delivery = Delivery {
            report_id: report.id.clone(),
            customer_id: report.request.customer.id,
            url: redact_userinfo(&url).into_owned(),
            event_type,
            outcome: "pending",
            attempts: Vec::new(),
        };
        let ticket = self.outbound.enqueue();
        let Some(seq) = self.record(generation, None, &delivery) else { return };
        let mut ticket = match ticket {
            Ok(ticket) => ticket,
            Err(failure) => {
                self.refuse(generation, seq, &mut delivery, &failure);
                return;
            }
        };
        for attempt in 0..ATTEMPTS {
            let at = self.clock.now();
            let result = ticket.post(&url, body.clone(), "leadsim-report-listener").await;
            let ok = matches!(result, Ok(status) if (200..300).contains(&status));
            let (status, error) = match result {
                // Nothing was sent, and nothing will be: no retry.
                Err(failure @ (Failure::Refused(_) | Failure::Dropped)) => {
                    self.refuse(generation, seq, &mut delivery, &failure);
                    return;
                }
                Err(Failure::Cancelled) => return,
                Err(Failure::NoAnswer(why)) => (None, Some(why)),
                Ok(status) => (Some(status), None),
            };
            delivery.attempts.push(Attempt { at, status, error });
            if ok {
                delivery.outcome = "delivered";
            } else if attempt + 1 == ATTEMPTS {
                delivery.outcome = "failed";
            }
            self.record(generation, Some(seq), &delivery);
            if ok {
                break;
            }
            if let Some(pause) = BACKOFF.get(attempt)
                && !ticket.pause(*pause).await
            {
                return;
            }
        }
    }

    /// Records a delivery that was never sent, and why.
    fn refuse(&self, generation: u64, seq: u64, delivery: &mut Delivery, failure: &Failure) {
        delivery.outcome = match failure {
            Failure::Dropped => "dropped",
            _ => "refused",
        };
        delivery.attempts.push(Attempt {
            at: self.clock.now(),
            status: None,
            error: Some(failure.describe()),
        });
        self.record(generation, Some(seq), delivery);
    }

    /// Adds (`seq` none) or updates a delivery, unless a reset came since
    /// it started; its sequence number.
    fn record(&self, generation: u64, seq: Option<u64>, delivery: &Delivery) -> Option<u64> {
        if self.generation.load(Ordering::SeqCst) != generation {
            return None;
        }
        let mut inner = self.lock();
        if let Some(seq) = seq {
            if let Some((_, kept)) = inner.deliveries.iter_mut().find(|(s, _)| *s == seq) {
                *kept = delivery.clone();
            }
            return Some(seq);
        }
        if inner.deliveries.len() >= KEPT {
            inner.deliveries.pop_front();
        }
        let seq = inner.next;
        inner.next += 1;
        inner.deliveries.push_back((seq, delivery.clone()));
        Some(seq)
    }
}

/// The Report Listener's body: which report, and how it ended.
fn notification(report: &DecisioningReport, status: Status, event_type: &str) -> Bytes {
    let event_id = Uuid::new_v5(
        &Uuid::NAMESPACE_OID,
        format!("leadsim/finicity/report-event/{}/{event_type}", report.id).as_bytes(),
    );
    let mut payload = json!({
        "reportId": report.id,
        "type": report.type_code(),
        "status": status,
    });
    if let Some(consumer) = &report.request.consumer {
        payload["consumerId"] = json!(consumer.id);
    }
    let body = json!({
        "customerId": report.request.customer.id.to_string(),
        "eventType": event_type,
        "eventId": event_id.to_string(),
        "payload": payload,
    });
    Bytes::from(body.to_string())
}
