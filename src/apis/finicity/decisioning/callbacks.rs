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

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use serde_json::json;
use tokio::sync::Notify;
use uuid::Uuid;

use super::store::{DecisioningReport, Status};
use crate::shared::clock::Clock;
use crate::shared::deliveries::{ATTEMPTS, Attempt, Log, Record, Request};
use crate::shared::outbound::Outbound;
use crate::shared::redaction::redact_userinfo;

/// How often pending notifications are checked against the clock.
const TICK: Duration = Duration::from_millis(20);

#[derive(Debug)]
pub(crate) struct Callbacks {
    clock: Clock,
    outbound: Outbound,
    pending: Mutex<Vec<Arc<DecisioningReport>>>,
    log: Log<Delivery>,
    wake: Notify,
    dispatcher: OnceLock<()>,
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

impl Record for Delivery {
    fn set_outcome(&mut self, outcome: &'static str) {
        self.outcome = outcome;
    }

    fn attempts(&mut self) -> &mut Vec<Attempt> {
        &mut self.attempts
    }
}

impl Callbacks {
    pub(crate) fn new(clock: Clock, outbound: Outbound) -> Self {
        Self {
            clock,
            outbound,
            pending: Mutex::default(),
            log: Log::default(),
            wake: Notify::new(),
            dispatcher: OnceLock::new(),
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Vec<Arc<DecisioningReport>>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `report`'s notification (it has a `callbackUrl`). Call from
    /// within the server's runtime: the first call starts the dispatcher.
    pub(crate) fn schedule(self: &Arc<Self>, report: &Arc<DecisioningReport>) {
        self.pending().push(report.clone());
        self.dispatcher.get_or_init(|| {
            let callbacks = Arc::clone(self);
            tokio::spawn(async move { callbacks.dispatch().await });
        });
        self.wake.notify_one();
    }

    /// Every delivery kept, oldest first.
    pub(crate) fn deliveries(&self) -> Vec<Delivery> {
        self.log.all()
    }

    /// Forgets pending notifications and the listing, and cancels every
    /// delivery queued or in flight.
    pub(crate) fn reset(&self) {
        self.log.reset();
        self.pending().clear();
        self.outbound.reset();
    }

    async fn dispatch(self: Arc<Self>) {
        loop {
            let now = self.clock.now();
            let due: Vec<Arc<DecisioningReport>> = {
                let mut pending = self.pending();
                let (due, waiting) = std::mem::take(&mut *pending)
                    .into_iter()
                    .partition(|r| r.finishes <= now);
                *pending = waiting;
                due
            };
            for report in due {
                let callbacks = Arc::clone(&self);
                tokio::spawn(async move { callbacks.deliver(&report).await });
            }
            if self.pending().is_empty() {
                self.wake.notified().await;
            } else {
                tokio::time::sleep(TICK).await;
            }
        }
    }

    async fn deliver(&self, report: &DecisioningReport) {
        let generation = self.log.generation();
        let Some(url) = report.request.callback_url.clone() else { return };
        let status = report.status(self.clock.now());
        let event_type = if status == Status::Failure { "failed" } else { "done" };
        let delivery = Delivery {
            report_id: report.id.clone(),
            customer_id: report.request.customer.id,
            url: redact_userinfo(&url).into_owned(),
            event_type,
            outcome: "pending",
            attempts: Vec::new(),
        };
        let request = Request {
            url: &url,
            body: notification(report, status, event_type),
            user_agent: "leadsim-report-listener",
            content_type: "application/json",
            headers: &[],
            attempts: ATTEMPTS,
        };
        // The listing says how it went; the report is untouched either way.
        let _ = self.log.deliver(&self.outbound, &self.clock, generation, delivery, request).await;
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
