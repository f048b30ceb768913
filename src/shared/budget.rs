//! Bytes held for large responses in flight, bounded whatever clients do.
//!
//! A rendered page of megabytes stays in memory until the client has read
//! it: eighty clients that each ask for a different 22 MB page and stop
//! reading would hold 1.7 GB, outside every cache's bound. So a response
//! of [`LARGE_RESPONSE`] bytes or more first takes room in a budget of
//! [`RESPONSE_BYTES_IN_FLIGHT`], held by its body until the body is sent or
//! dropped (a client that stops reading is cut off by the write timeout,
//! `--idle-timeout`); a request that finds the budget spent waits for room.
//! Renders that may produce such a response run [`RENDERS`] at a time, and
//! a rendered response waits for room holding its render place, so at
//! most that many rendered pages wait beside the budget.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Bytes of large responses in flight at once.
pub const RESPONSE_BYTES_IN_FLIGHT: usize = 256 << 20;
/// Responses from this size on count against the budget.
pub const LARGE_RESPONSE: usize = 1 << 20;
/// Large renders (and rendered pages waiting for room) at once.
pub const RENDERS: usize = 2;

/// The budget is counted in KiB: a semaphore counts in `u32`s.
const UNIT: usize = 1024;

/// What a large response holds while it is in flight.
#[derive(Debug)]
pub(crate) struct Held {
    _room: OwnedSemaphorePermit,
}

/// A place to render (or to wait for room with what was rendered).
#[derive(Debug)]
pub(crate) struct RenderPlace {
    _place: OwnedSemaphorePermit,
}

#[derive(Debug, Clone)]
pub(crate) struct ResponseBudget {
    renders: Arc<Semaphore>,
    bytes: Arc<Semaphore>,
    /// The whole budget, in units.
    units: usize,
}

impl Default for ResponseBudget {
    fn default() -> Self {
        Self::new(RESPONSE_BYTES_IN_FLIGHT)
    }
}

impl ResponseBudget {
    pub(crate) fn new(bytes: usize) -> Self {
        let units = (bytes / UNIT).max(1);
        Self {
            renders: Arc::new(Semaphore::new(RENDERS)),
            bytes: Arc::new(Semaphore::new(units)),
            units,
        }
    }

    /// Waits for one of the [`RENDERS`] places.
    pub(crate) async fn render_place(&self) -> Option<RenderPlace> {
        let place = self.renders.clone().acquire_owned().await.ok()?;
        Some(RenderPlace { _place: place })
    }

    /// Room for a response of `len` bytes: `None` at once for a small one;
    /// for a large one, waits (holding `place`, or taking one) until the
    /// budget has room. A response larger than the whole budget takes all of it.
    pub(crate) async fn room(&self, len: usize, place: Option<RenderPlace>) -> Option<Held> {
        if len < LARGE_RESPONSE {
            return None;
        }
        let _place = match place {
            Some(place) => Some(place),
            None => self.render_place().await,
        };
        let units = len.div_ceil(UNIT).min(self.units);
        let units = u32::try_from(units).unwrap_or(u32::MAX);
        let room = self.bytes.clone().acquire_many_owned(units).await.ok()?;
        Some(Held { _room: room })
    }

    /// Bytes of room left.
    #[cfg(test)]
    pub(crate) fn available(&self) -> usize {
        self.bytes.available_permits() * UNIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn large_responses_wait_for_room_and_small_ones_never_do() {
        let budget = ResponseBudget::new(4 << 20);
        assert!(budget.room(LARGE_RESPONSE - 1, None).await.is_none());
        let first = budget.room(3 << 20, None).await;
        assert!(first.is_some());
        assert_eq!(budget.available(), 1 << 20);
        // The next 2 MB waits until the first is sent.
        let waiting = budget.room(2 << 20, None);
        tokio::pin!(waiting);
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(50), &mut waiting)
                .await
                .is_err()
        );
        drop(first);
        let second = waiting.await;
        assert!(second.is_some());
        assert_eq!(budget.available(), 2 << 20);
        // Small responses pass while the budget is spent.
        assert!(budget.room(1000, None).await.is_none());
    }
}
