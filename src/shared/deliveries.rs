//! What every notification leadsim sends shares (Finicity's report
//! callbacks, Data Connect webhooks): the retry policy, and the bounded
//! listing the admin API shows, each delivery with its attempts and the
//! receiver's answers, updated in place while attempts run and forgotten on
//! reset (a delivery in flight then is not recorded).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::shared::clock::Clock;
use crate::shared::outbound::{Failure, Outbound};
use crate::shared::time::serialize_rfc3339;

/// Attempts per notification, and the real-time pause after each failure.
pub(crate) const ATTEMPTS: usize = 3;
const BACKOFF: [Duration; 2] = [Duration::from_millis(500), Duration::from_secs(1)];
/// Deliveries a listing keeps, newest last.
const KEPT: usize = 1_000;

/// One attempt of a delivery.
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

/// A delivery as a listing shows it: what was sent, plus its outcome and
/// attempts, which [`Log::deliver`] keeps up to date.
pub(crate) trait Record: Clone {
    /// `pending`, `delivered`, `failed`, `refused` (never sent) or
    /// `dropped` (never sent: too many deliveries under way).
    fn set_outcome(&mut self, outcome: &'static str);
    fn attempts(&mut self) -> &mut Vec<Attempt>;
}

/// What to send, and how.
pub(crate) struct Request<'a> {
    pub(crate) url: &'a str,
    pub(crate) body: Bytes,
    pub(crate) user_agent: &'static str,
    pub(crate) content_type: &'static str,
    pub(crate) headers: &'a [(http::HeaderName, http::HeaderValue)],
    /// 1 for a check that must answer at once (a webhook's ping), else [`ATTEMPTS`].
    pub(crate) attempts: usize,
}

#[derive(Debug, Default)]
struct Kept<D> {
    deliveries: VecDeque<(u64, D)>,
    next: u64,
}

/// A bounded listing of deliveries.
#[derive(Debug)]
pub(crate) struct Log<D> {
    kept: Mutex<Kept<D>>,
    /// Bumped on reset, so a delivery in flight then is not recorded.
    generation: AtomicU64,
}

impl<D> Default for Log<D> {
    fn default() -> Self {
        Self {
            kept: Mutex::new(Kept {
                deliveries: VecDeque::new(),
                next: 0,
            }),
            generation: AtomicU64::new(0),
        }
    }
}

impl<D: Record> Log<D> {
    fn lock(&self) -> MutexGuard<'_, Kept<D>> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The reset generation a delivery starts in.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Every delivery kept, oldest first.
    pub(crate) fn all(&self) -> Vec<D> {
        self.lock().deliveries.iter().map(|(_, d)| d.clone()).collect()
    }

    pub(crate) fn reset(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        *self.lock() = Kept {
            deliveries: VecDeque::new(),
            next: 0,
        };
    }

    /// Adds (`seq` none) or updates a delivery, unless a reset came since
    /// it started; its sequence number.
    pub(crate) fn record(&self, generation: u64, seq: Option<u64>, delivery: &D) -> Option<u64> {
        if self.generation() != generation {
            return None;
        }
        let mut kept = self.lock();
        if let Some(seq) = seq {
            if let Some((_, old)) = kept.deliveries.iter_mut().find(|(s, _)| *s == seq) {
                *old = delivery.clone();
            }
            return Some(seq);
        }
        if kept.deliveries.len() >= KEPT {
            kept.deliveries.pop_front();
        }
        let seq = kept.next;
        kept.next += 1;
        kept.deliveries.push_back((seq, delivery.clone()));
        Some(seq)
    }

    /// Sends `request` through `outbound`, retrying a failure after a pause
    /// up to `request.attempts` times, and keeps `delivery` listed with
    /// every attempt. `Ok` with the 2xx status, or why it was not delivered.
    pub(crate) async fn deliver(
        &self,
        outbound: &Outbound,
        clock: &Clock,
        generation: u64,
        mut delivery: D,
        request: Request<'_>,
    ) -> Result<u16, String> {
        delivery.set_outcome("pending");
        let ticket = outbound.enqueue();
        // A reset since the delivery started: it is not sent.
        let Some(seq) = self.record(generation, None, &delivery) else {
            return Err(Failure::Cancelled.describe());
        };
        let mut ticket = match ticket {
            Ok(ticket) => ticket,
            Err(failure) => return Err(self.refuse(clock, generation, seq, &mut delivery, &failure)),
        };
        let mut last = String::new();
        for attempt in 0..request.attempts {
            let at = clock.now();
            let result = ticket
                .post(
                    request.url,
                    request.body.clone(),
                    request.user_agent,
                    request.content_type,
                    request.headers,
                )
                .await;
            let (status, error) = match result {
                // Nothing was sent, and nothing will be: no retry.
                Err(failure @ (Failure::Refused(_) | Failure::Dropped)) => {
                    return Err(self.refuse(clock, generation, seq, &mut delivery, &failure));
                }
                Err(Failure::Cancelled) => return Err(Failure::Cancelled.describe()),
                Err(Failure::NoAnswer(why)) => (None, Some(why)),
                Ok(status) => (Some(status), None),
            };
            let delivered = status.filter(|s| (200..300).contains(s));
            last = error
                .clone()
                .unwrap_or_else(|| format!("it answered {}", status.unwrap_or_default()));
            delivery.attempts().push(Attempt { at, status, error });
            if delivered.is_some() {
                delivery.set_outcome("delivered");
            } else if attempt + 1 == request.attempts {
                delivery.set_outcome("failed");
            }
            self.record(generation, Some(seq), &delivery);
            if let Some(status) = delivered {
                return Ok(status);
            }
            if attempt + 1 < request.attempts
                && let Some(pause) = BACKOFF.get(attempt)
                && !ticket.pause(*pause).await
            {
                return Err(Failure::Cancelled.describe());
            }
        }
        Err(last)
    }

    /// Records a delivery that was never sent; why.
    fn refuse(
        &self,
        clock: &Clock,
        generation: u64,
        seq: u64,
        delivery: &mut D,
        failure: &Failure,
    ) -> String {
        delivery.set_outcome(match failure {
            Failure::Dropped => "dropped",
            _ => "refused",
        });
        let why = failure.describe();
        delivery.attempts().push(Attempt {
            at: clock.now(),
            status: None,
            error: Some(why.clone()),
        });
        self.record(generation, Some(seq), delivery);
        why
    }
}
