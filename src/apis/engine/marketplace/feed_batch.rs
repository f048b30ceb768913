//! A company's submitted leads as the feeds read them: one time-sorted
//! [`Batch`] of every lead's records, kept between reads and brought up to
//! date lead by lead.
//!
//! Building the batch again from every lead after each change (each funnel
//! generated again, then all of them sorted together) took 210-250 ms at
//! the store's 20,000 leads, on the first read of a current window after
//! every submission. Here a change only names its lead; the next read
//! takes the changed leads' records out, generates theirs alone, and sorts
//! what is then one long sorted run and a few short ones, which the
//! standard sort merges in linear time. A lead's entries in the batch's
//! lead list (its records name them by index) stay behind when it goes,
//! until they outnumber the live ones and the list is compacted.

use std::ops::Range;
use std::sync::Arc;

use foldhash::HashMap;
use uuid::Uuid;

use super::super::generator::Batch;
use super::funnel;
use super::store::SubmittedLead;
use crate::shared::seed::Seed;

#[derive(Debug)]
pub(super) struct FeedBatch {
    batch: Arc<Batch>,
    /// Each lead's entries in `batch.leads`: [`funnel::add`] adds a lead's
    /// entries together, and the records name their lead by index.
    entries: HashMap<Uuid, Range<u32>>,
    /// Leads submitted, changed or forgotten since the last read, in any
    /// order, repeats allowed.
    touched: Vec<Uuid>,
    /// Entries of `batch.leads` no lead has any more (their uuid made nil).
    stale: usize,
}

impl FeedBatch {
    /// The batch of `leads`, built whole.
    pub(super) fn build<'a>(seed: Seed, leads: impl Iterator<Item = &'a SubmittedLead>) -> Self {
        let mut batch = Batch::default();
        let mut entries = HashMap::default();
        for lead in leads {
            add(seed, lead, &mut batch, &mut entries);
        }
        batch.sort();
        Self {
            batch: Arc::new(batch),
            entries,
            touched: Vec::new(),
            stale: 0,
        }
    }

    /// Notes that `lead` changed; false when so many have that building
    /// the batch whole is cheaper (the caller then drops it).
    pub(super) fn touch(&mut self, lead: Uuid) -> bool {
        self.touched.push(lead);
        self.touched.len() <= self.entries.len().max(64)
    }

    /// The batch with every touched lead as `stored` now has it (or
    /// without it, once forgotten). The batch is shared with the windows
    /// rendering from it, so a read while one holds it copies it first.
    pub(super) fn read(&mut self, seed: Seed, stored: &HashMap<Uuid, SubmittedLead>) -> Arc<Batch> {
        if self.touched.is_empty() {
            return self.batch.clone();
        }
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort_unstable();
        touched.dedup();
        let batch = Arc::make_mut(&mut self.batch);
        let gone: Vec<Range<u32>> = touched.iter().filter_map(|uuid| self.entries.remove(uuid)).collect();
        if !gone.is_empty() {
            self.stale += remove(batch, &gone, &touched);
        }
        for lead in touched.iter().filter_map(|uuid| stored.get(uuid)) {
            add(seed, lead, batch, &mut self.entries);
        }
        if self.stale > (batch.leads.len() - self.stale).max(64) {
            compact(batch, &mut self.entries);
            self.stale = 0;
        }
        batch.sort();
        self.batch.clone()
    }
}

/// Appends `lead`'s records, noting its entries.
fn add(seed: Seed, lead: &SubmittedLead, batch: &mut Batch, entries: &mut HashMap<Uuid, Range<u32>>) {
    let first = index(batch.leads.len());
    funnel::add(seed, lead, batch);
    entries.insert(lead.uuid, first..index(batch.leads.len()));
}

/// Takes out the records of the entries in `gone` (those of the leads in
/// `touched`, sorted), leaving the entries themselves behind with a nil
/// uuid; how many were left.
fn remove(batch: &mut Batch, gone: &[Range<u32>], touched: &[Uuid]) -> usize {
    let mut dead = vec![false; batch.leads.len()];
    let mut left = 0;
    for i in gone.iter().flat_map(Range::clone) {
        if let (Some(flag), Some(lead)) = (dead.get_mut(i as usize), batch.leads.get_mut(i as usize)) {
            *flag = true;
            lead.uuid = Uuid::nil();
            left += 1;
        }
    }
    batch.events.retain(|event| !dead.get(event.lead as usize).copied().unwrap_or(true));
    let named = |uuid: &Uuid| touched.binary_search(uuid).is_ok();
    batch.payouts.retain(|(_, payout)| !named(&payout.lead_uuid));
    batch.tags.retain(|tag| !named(&tag.lead_uuid));
    left
}

/// Drops the entries no lead has (and their offers), renumbering the rest
/// and the records that name them.
fn compact(batch: &mut Batch, entries: &mut HashMap<Uuid, Range<u32>>) {
    const GONE: u32 = u32::MAX;
    let mut renumbered = vec![GONE; batch.leads.len()];
    for i in entries.values().flat_map(Range::clone) {
        if let Some(slot) = renumbered.get_mut(i as usize) {
            *slot = 0;
        }
    }
    let mut next = 0;
    for slot in &mut renumbered {
        if *slot != GONE {
            *slot = next;
            next += 1;
        }
    }
    let new = |i: u32| renumbered.get(i as usize).copied().unwrap_or(GONE);
    let mut i = 0;
    batch.leads.retain(|_| {
        i += 1;
        new(i - 1) != GONE
    });
    batch.events.retain_mut(|event| {
        event.lead = new(event.lead);
        event.lead != GONE
    });
    batch.offers = std::mem::take(&mut batch.offers)
        .into_iter()
        .filter_map(|((lead, institution), offer)| {
            let lead = new(lead);
            (lead != GONE).then_some(((lead, institution), offer))
        })
        .collect();
    for range in entries.values_mut() {
        let start = new(range.start);
        *range = start..start + (range.end - range.start);
    }
}

/// Batches index their entries with `u32`; a company's batch stays far
/// below that (20,000 leads of a few products each).
fn index(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}
