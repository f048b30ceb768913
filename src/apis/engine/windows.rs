//! Views over the simulation, generated lazily and cached with a bound
//! (generation hours, rendered windows and pages), never stored for all
//! time. Every record has one place in time, when it entered Engine
//! (`paginationTimestamp`), and both versions order by it:
//!
//! - version 1 serves the records that entered in `[start, start + 1h)`.
//!   Most records enter as they happen, so that is the hour they happened
//!   in; a late arrival is served in the hour it arrived, never in an hour
//!   already published, so a published window never changes.
//! - version 3 serves everything from a position in that order, up to a
//!   record limit ([`Windows::page`]).

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use rayon::prelude::*;
use serde::Serialize;

use super::auth::{Companies, Company, Scope};
use super::generator::{self, Batch, Lookback, Simulation, time_range};
use super::lead_ids::{self, CompanyTag};
use super::marketplace::Marketplace;
use super::models::{Ingestion, LeadClientTag, LeadEvent, LeadPayout};
use super::wire;
use crate::shared::cache::BoundedCache;
use crate::shared::persistent;
use crate::shared::seed::Seed;

pub(crate) const WINDOW: TimeDelta = TimeDelta::hours(1);

/// Generated hours kept: a sequential walk of leadPayouts needs the 673
/// hours of its lookback; one hour at default volume is about 10 KB.
const HOUR_CACHE: usize = 1024;
/// Rendered windows kept, for repeated polls of the same cursor.
const WINDOW_CACHE: usize = 256;
/// What the generated hours may weigh (fixtures can raise the volume).
pub(crate) const HOUR_CACHE_MAX_BYTES: usize = 96 * 1024 * 1024;
/// What the rendered windows may weigh.
pub(crate) const WINDOW_CACHE_MAX_BYTES: usize = 64 * 1024 * 1024;
/// Missing hours worth spreading over threads (a walk's next window needs one).
const PARALLEL_FROM_HOURS: usize = 48;
/// Rendered version 3 pages kept (a full page is tens of megabytes).
const PAGE_CACHE: usize = 64;
pub(crate) const PAGE_CACHE_MAX_BYTES: usize = 96 * 1024 * 1024;
/// A page is gathered in spans of ingestion time, growing from the first
/// to the last; the last keeps the generated hours a span needs (with a
/// leadPayouts lookback of 28 days) inside the hour cache.
const FIRST_SPAN: TimeDelta = TimeDelta::hours(6);
const LAST_SPAN: TimeDelta = TimeDelta::days(8);
const _: () = assert!(
    ((LAST_SPAN.num_hours() + Lookback::PAYOUTS.num_hours() + 2) as usize) < HOUR_CACHE
);

/// The three cursor feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feed {
    Events,
    Payouts,
    ClientTags,
}

impl Feed {
    /// How long before a window the leads that can have records in it were created.
    pub(crate) fn lookback(self) -> TimeDelta {
        match self {
            Feed::Events => Lookback::EVENTS,
            Feed::Payouts => Lookback::PAYOUTS,
            Feed::ClientTags => Lookback::CLIENT_TAGS,
        }
    }

    pub(crate) fn path(self) -> &'static str {
        match self {
            Feed::Events => "/supplyAnalytics/leadEvents",
            Feed::Payouts => "/supplyAnalytics/leadPayouts",
            Feed::ClientTags => "/supplyAnalytics/leadClientTags",
        }
    }
}

/// A window's records, in window order.
#[derive(Debug, Default, PartialEq)]
pub struct WindowRecords {
    pub events: Vec<LeadEvent>,
    pub payouts: Vec<LeadPayout>,
    pub tags: Vec<LeadClientTag>,
}

/// A rendered version 1 window: the company, [`Marketplace::version_until`]
/// (`None` for a window no submitted lead can reach), the scope, the feed
/// and the window's start.
type WindowKey = (usize, Option<u64>, Scope, Feed, DateTime<Utc>);

#[derive(Debug)]
pub struct Windows {
    seed: Seed,
    tags: persistent::Vector<CompanyTag>,
    scripted: persistent::Vector<Arc<Batch>>,
    /// Leads partners submitted, per company one batch that changes as
    /// they do; its version keys the rendered caches.
    submitted: Arc<Marketplace>,
    hours: BoundedCache<(usize, i64), Arc<Batch>>,
    rendered: BoundedCache<WindowKey, Bytes>,
    pages: BoundedCache<PageKey, Arc<Page>>,
}

/// A place in a feed's order: the first record at `at` not yet seen is
/// the `skip`-th one there (in the order the token's scope sees them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position {
    pub at: DateTime<Utc>,
    pub skip: u32,
}

/// What a version 3 page is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PageRequest {
    pub(crate) feed: Feed,
    pub(crate) scope: Scope,
    pub(crate) from: Position,
    /// Exclusive: the first instant not served (the SLA's or `untilTimestamp`).
    pub(crate) horizon: DateTime<Utc>,
    /// Event types served (a set of [`EventType::bit`]s); every type when `None`.
    pub(crate) types: Option<u32>,
    pub(crate) limit: u32,
}

type PageKey = (usize, u64, PageRequest);

/// A rendered version 3 page.
#[derive(Debug)]
pub(crate) struct Page {
    /// The JSON array of records, in parts (rendered in parallel, sent as
    /// they are).
    pub(crate) data: Vec<Bytes>,
    /// Where the next page starts.
    pub(crate) next: Position,
    /// More records were published beyond this page's limit.
    pub(crate) more: bool,
}

/// One kind of record in a [`Batch`], read in place: gathering a page
/// sorts small slots and turns into wire records only what it serves.
pub(crate) trait Kind {
    type Wire: Send;
    const FEED: Feed;
    /// The indices of the batch's records that entered Engine in `[start, end)`.
    fn range(batch: &Batch, start: DateTime<Utc>, end: DateTime<Utc>) -> Range<usize>;
    fn ingestion(batch: &Batch, index: usize) -> Ingestion;
    /// Whether version 1 serves it (v3's event types and corrections are v3's).
    fn in_v1(_: &Batch, _: usize) -> bool {
        true
    }
    /// Whether an `eventType` filter (a set of bits) lets it through.
    fn of_types(_: &Batch, _: usize, _: u32) -> bool {
        true
    }
    fn wire(batch: &Batch, index: usize) -> Option<Self::Wire>;
}

pub(crate) struct EventRecords;
pub(crate) struct PayoutRecords;
pub(crate) struct TagRecords;

impl Kind for EventRecords {
    type Wire = LeadEvent;
    const FEED: Feed = Feed::Events;

    fn range(batch: &Batch, start: DateTime<Utc>, end: DateTime<Utc>) -> Range<usize> {
        time_range(&batch.events, start, end, |e| e.ingested_at)
    }

    fn ingestion(batch: &Batch, index: usize) -> Ingestion {
        let event = &batch.events[index];
        Ingestion {
            pagination_timestamp: event.ingested_at,
            sub_account: batch.leads.get(event.lead as usize).map_or(0, |l| l.sub_account),
        }
    }

    fn in_v1(batch: &Batch, index: usize) -> bool {
        let event = &batch.events[index];
        event.event_type.in_v1() && !event.deleted
    }

    fn of_types(batch: &Batch, index: usize, types: u32) -> bool {
        types & batch.events[index].event_type.bit() != 0
    }

    fn wire(batch: &Batch, index: usize) -> Option<LeadEvent> {
        batch.lead_event(&batch.events[index])
    }
}

impl Kind for PayoutRecords {
    type Wire = LeadPayout;
    const FEED: Feed = Feed::Payouts;

    fn range(batch: &Batch, start: DateTime<Utc>, end: DateTime<Utc>) -> Range<usize> {
        time_range(&batch.payouts, start, end, |p| p.0)
    }

    fn ingestion(batch: &Batch, index: usize) -> Ingestion {
        batch.payouts[index].1.ingestion
    }

    fn wire(batch: &Batch, index: usize) -> Option<LeadPayout> {
        batch.payouts.get(index).map(|(_, p)| p.clone())
    }
}

impl Kind for TagRecords {
    type Wire = LeadClientTag;
    const FEED: Feed = Feed::ClientTags;

    fn range(batch: &Batch, start: DateTime<Utc>, end: DateTime<Utc>) -> Range<usize> {
        time_range(&batch.tags, start, end, |t| t.ingestion.pagination_timestamp)
    }

    fn ingestion(batch: &Batch, index: usize) -> Ingestion {
        batch.tags[index].ingestion
    }

    fn wire(batch: &Batch, index: usize) -> Option<LeadClientTag> {
        batch.tags.get(index).map(Batch::tag_with_hash)
    }
}

/// A record by place: the batch it is in (an index into the gatherer's
/// list) and its index there, with the time that orders it.
#[derive(Debug, Clone, Copy)]
struct Slot {
    at: DateTime<Utc>,
    batch: u32,
    index: u32,
}

/// Records of one kind gathered from batches, by slot.
#[derive(Default)]
struct Gathered {
    batches: Vec<Arc<Batch>>,
    slots: Vec<Slot>,
}

impl Gathered {
    fn wire<K: Kind>(&self, slot: &Slot) -> Option<K::Wire> {
        K::wire(self.batches.get(slot.batch as usize)?, slot.index as usize)
    }
}

impl Windows {
    /// Windows over generated and scripted leads only (benchmarks, tools).
    pub fn new(seed: Seed, companies: &Companies) -> Self {
        Self::with_submitted(seed, companies, Arc::new(Marketplace::new(seed)))
    }

    pub(crate) fn with_submitted(seed: Seed, companies: &Companies, submitted: Arc<Marketplace>) -> Self {
        let all: Vec<usize> = (0..companies.all().len()).collect();
        Self::empty(seed, persistent::Vector::new(), persistent::Vector::new(), submitted).updated(companies, &all)
    }

    fn empty(
        seed: Seed,
        tags: persistent::Vector<CompanyTag>,
        scripted: persistent::Vector<Arc<Batch>>,
        submitted: Arc<Marketplace>,
    ) -> Self {
        Self {
            seed,
            tags,
            scripted,
            submitted,
            hours: BoundedCache::weighed(HOUR_CACHE, HOUR_CACHE_MAX_BYTES, |_, batch| batch.heap_bytes()),
            rendered: BoundedCache::weighed(WINDOW_CACHE, WINDOW_CACHE_MAX_BYTES, |_, json| json.len()),
            pages: BoundedCache::weighed(PAGE_CACHE, PAGE_CACHE_MAX_BYTES, |_, page| {
                page.data.iter().map(Bytes::len).sum()
            }),
        }
    }

    /// Windows for `companies` after the companies at `changed` changed:
    /// the others keep their tags and scripted batches; generated windows
    /// start over (they are keyed by company position).
    pub(crate) fn with_changes(&self, companies: &Companies, changed: &[usize]) -> Self {
        Self::empty(self.seed, self.tags.clone(), self.scripted.clone(), self.submitted.clone())
            .updated(companies, changed)
    }

    /// The marketplace whose submitted leads these windows serve.
    pub(crate) fn submitted(&self) -> &Marketplace {
        &self.submitted
    }

    fn updated(mut self, companies: &Companies, changed: &[usize]) -> Self {
        for &i in changed {
            let Some(company) = companies.all().get(i) else {
                continue;
            };
            persistent::put(&mut self.tags, i, lead_ids::company_tag(self.seed, company.uuid));
            persistent::put(&mut self.scripted, i, Arc::new(generator::scripted(self.seed, company)));
        }
        self
    }

    /// The lead tag of the company at `index`.
    pub(crate) fn tag(&self, index: usize) -> Option<CompanyTag> {
        self.tags.get(index).copied()
    }

    /// The window's JSON if it was rendered before (cheap; no generation).
    pub(crate) fn rendered_json(
        &self,
        company: &Company,
        scope: Scope,
        feed: Feed,
        start: DateTime<Utc>,
    ) -> Option<Bytes> {
        let version = self.submitted.version_until(company.uuid, start + WINDOW);
        self.rendered.get(&(company.index, version, scope, feed, start))
    }

    /// The JSON array of one feed's version 1 window as the company's own
    /// token sees it (benchmarks and tools).
    pub fn data_json(&self, company: &Company, feed: Feed, start: DateTime<Utc>) -> Bytes {
        self.window_json(company, Scope::Company, feed, start)
    }

    /// The JSON array of one feed's version 1 window, rendered once and
    /// then cached: the records `scope` sees that entered Engine in the
    /// hour, without version 3's event types and corrections. May generate
    /// weeks of funnels: call it off the async workers.
    pub(crate) fn window_json(&self, company: &Company, scope: Scope, feed: Feed, start: DateTime<Utc>) -> Bytes {
        let version = self.submitted.version_until(company.uuid, start + WINDOW);
        // Decided once with the key: a window keyed as out of the
        // submissions' reach must not take in a lead submitted meanwhile.
        let submitted = version.is_some();
        self.rendered
            .get_or_insert_with((company.index, version, scope, feed, start), || {
                let json = match feed {
                    Feed::Events => self.window::<EventRecords>(company, scope, start, submitted),
                    Feed::Payouts => self.window::<PayoutRecords>(company, scope, start, submitted),
                    Feed::ClientTags => self.window::<TagRecords>(company, scope, start, submitted),
                };
                Bytes::from(json)
            })
    }

    fn window<K: Kind>(&self, company: &Company, scope: Scope, start: DateTime<Utc>, submitted: bool) -> Vec<u8>
    where
        K::Wire: Serialize,
    {
        let mut gathered = Gathered::default();
        self.gather::<K>(company, start, start + WINDOW, submitted, &mut gathered);
        let records: Vec<K::Wire> = gathered
            .slots
            .iter()
            .filter(|slot| {
                let batch = &gathered.batches[slot.batch as usize];
                scope.sees(K::ingestion(batch, slot.index as usize).sub_account) && K::in_v1(batch, slot.index as usize)
            })
            .filter_map(|slot| gathered.wire::<K>(slot))
            .collect();
        to_json(&records)
    }

    /// The page if it was rendered before (cheap; no generation).
    pub(crate) fn rendered_page(&self, company: &Company, request: &PageRequest) -> Option<Arc<Page>> {
        let version = self.submitted.version(company.uuid);
        self.pages.get(&(company.index, version, *request))
    }

    /// A version 3 page: the records `request.scope` sees from
    /// `request.from` on, in ingestion order, up to the horizon and the
    /// limit. Rendered once and then cached. May generate weeks of
    /// funnels: call it off the async workers.
    pub(crate) fn page(&self, company: &Company, request: &PageRequest) -> Arc<Page> {
        let version = self.submitted.version(company.uuid);
        self.pages.get_or_insert_with((company.index, version, *request), || {
            let name = |i: Ingestion| company.sub_account_name(i.sub_account);
            let (data, (next, more)) = match request.feed {
                Feed::Events => {
                    let walk = self.walk::<EventRecords>(company, request);
                    let data = render::<EventRecords>(&walk.gathered, 600, |out, e| {
                        wire::write_event(out, e, &name(e.v3.ingestion));
                    });
                    (data, walk.end())
                }
                Feed::Payouts => {
                    let walk = self.walk::<PayoutRecords>(company, request);
                    let data = render::<PayoutRecords>(&walk.gathered, 450, |out, p| {
                        wire::write_payout(out, p, &name(p.ingestion));
                    });
                    (data, walk.end())
                }
                Feed::ClientTags => {
                    let walk = self.walk::<TagRecords>(company, request);
                    (render::<TagRecords>(&walk.gathered, 250, wire::write_tag), walk.end())
                }
            };
            Arc::new(Page { data, next, more })
        })
    }

    /// The slots of a page, gathered span by span of ingestion time: spans
    /// grow while the page fills slowly (sparse history costs few spans)
    /// and shrink to what the limit still needs (a full page generates
    /// little past its last record).
    fn walk<K: Kind>(&self, company: &Company, request: &PageRequest) -> Walk {
        let limit = request.limit as usize;
        let from = request.from;
        let mut span_slots = Gathered::default();
        let mut walk = Walk {
            gathered: Gathered::default(),
            last: None,
            more: false,
            from,
            horizon: request.horizon,
        };
        // Nothing exists before the company's first record.
        let first_submitted = self.submitted.batch(company.uuid).and_then(|b| b.events.first().map(|e| e.ingested_at));
        let start_of_records = first_submitted.map_or(company.start_of_records(), |t| t.min(company.start_of_records()));
        let mut start = from.at.max(start_of_records);
        let mut span = FIRST_SPAN;
        'spans: while start < request.horizon {
            let end = (start + span).min(request.horizon);
            span_slots.slots.clear();
            span_slots.batches.clear();
            self.gather::<K>(company, start, end, true, &mut span_slots);
            // The page keeps only the batches its slots point into: a
            // sparse walk passes over many spans and keeps little of them.
            let mut kept: Vec<Option<u32>> = vec![None; span_slots.batches.len()];
            let mut seen = 0usize;
            let mut at = None;
            let mut ordinal = 0u32;
            for slot in &span_slots.slots {
                let batch = &span_slots.batches[slot.batch as usize];
                let index = slot.index as usize;
                if !request.scope.sees(K::ingestion(batch, index).sub_account) {
                    continue;
                }
                seen += 1;
                if at == Some(slot.at) {
                    ordinal += 1;
                } else {
                    at = Some(slot.at);
                    ordinal = 0;
                }
                let skipped = slot.at == from.at && ordinal < from.skip;
                if skipped || !request.types.is_none_or(|types| K::of_types(batch, index, types)) {
                    continue;
                }
                if walk.gathered.slots.len() == limit {
                    walk.more = true;
                    break 'spans;
                }
                walk.last = Some(Position {
                    at: slot.at,
                    skip: ordinal + 1,
                });
                let page_batch = *kept[slot.batch as usize].get_or_insert_with(|| {
                    walk.gathered.batches.push(batch.clone());
                    (walk.gathered.batches.len() - 1) as u32
                });
                walk.gathered.slots.push(Slot {
                    batch: page_batch,
                    ..*slot
                });
            }
            start = end;
            let remaining = (limit + 1).saturating_sub(walk.gathered.slots.len()) as f64;
            let needed = if seen == 0 {
                LAST_SPAN
            } else {
                TimeDelta::seconds((span.num_seconds() as f64 * remaining * 1.2 / seen as f64) as i64 + 3600)
            };
            span = (span * 2).min(needed).clamp(TimeDelta::hours(1), LAST_SPAN);
        }
        walk
    }

    /// Every record of `[start, end)` for a company, as the company's own
    /// token sees it in version 3 (for tests and tools).
    pub fn records(&self, company: &Company, start: DateTime<Utc>, end: DateTime<Utc>) -> WindowRecords {
        fn all<K: Kind>(windows: &Windows, company: &Company, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<K::Wire> {
            let mut gathered = Gathered::default();
            windows.gather::<K>(company, start, end, true, &mut gathered);
            gathered.slots.iter().filter_map(|slot| gathered.wire::<K>(slot)).collect()
        }
        WindowRecords {
            events: all::<EventRecords>(self, company, start, end),
            payouts: all::<PayoutRecords>(self, company, start, end),
            tags: all::<TagRecords>(self, company, start, end),
        }
    }

    /// The slots of records of one kind that entered Engine in `[start,
    /// end)`, from every batch that can hold them, in ingestion order; ties
    /// go by batch (scripted first, then creation hours in order), then by
    /// place in the batch, which is itself sorted: deterministic, and the
    /// same for any range that holds them. Submitted leads are left out
    /// when `submitted` is false (the range is out of their reach).
    fn gather<K: Kind>(
        &self,
        company: &Company,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        submitted: bool,
        into: &mut Gathered,
    ) {
        let first = into.batches.len();
        if let Some(scripted) = self.scripted.get(company.index) {
            into.batches.push(scripted.clone());
        }
        if let Some(batch) = submitted.then(|| self.submitted.batch(company.uuid)).flatten() {
            into.batches.push(batch);
        }
        if company.leads_per_day > 0.0 {
            into.batches.extend(self.creation_batches(company, K::FEED, start, end));
        }
        for (b, batch) in into.batches.iter().enumerate().skip(first) {
            for index in K::range(batch, start, end) {
                into.slots.push(Slot {
                    at: K::ingestion(batch, index).pagination_timestamp,
                    batch: b as u32,
                    index: index as u32,
                });
            }
        }
        into.slots
            .sort_unstable_by_key(|slot| (slot.at, slot.batch, slot.index));
    }

    /// The batches of every creation hour that can hold `feed`'s records of
    /// `[start, end)`, in hour order, each looked up once. A cold window
    /// misses up to four weeks of them; they are independent, so they are
    /// generated on every core (rayon's pool: its threads, and their
    /// allocator caches, outlive one request).
    fn creation_batches(
        &self,
        company: &Company,
        feed: Feed,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Vec<Arc<Batch>> {
        let cached: Vec<_> = creation_hours(start - feed.lookback(), end)
            .map(|hour| (hour, self.hours.get(&(company.index, hour.timestamp()))))
            .collect();
        let batch = |(hour, cached): (DateTime<Utc>, Option<Arc<Batch>>)| {
            cached.unwrap_or_else(|| self.hour(company, hour))
        };
        if cached.iter().filter(|(_, c)| c.is_none()).count() >= PARALLEL_FROM_HOURS {
            cached.into_par_iter().map(batch).collect()
        } else {
            cached.into_iter().map(batch).collect()
        }
    }

    /// Everything about one of the company's leads that entered Engine by
    /// `published` (inclusive), if the lead is the company's. A generated
    /// lead is found from its uuid alone: the creation hour it carries
    /// names the one batch to look in.
    pub(crate) fn lead(&self, company: &Company, lead: uuid::Uuid, published: DateTime<Utc>) -> Option<WindowRecords> {
        let scripted = self.scripted.get(company.index)?;
        let submitted = || self.submitted.batch(company.uuid)?.lead_records(lead);
        let mut records = match scripted.lead_records(lead).or_else(submitted) {
            Some(records) => records,
            None => {
                if company.leads_per_day <= 0.0 || Some(lead_ids::tag_of(lead)) != self.tag(company.index) {
                    return None;
                }
                let hour = lead_ids::hour_of(lead);
                if hour + WINDOW <= company.history_start || hour > published {
                    return None;
                }
                self.hour(company, hour).lead_records(lead)?
            }
        };
        records.events.retain(|e| e.v3.ingestion.pagination_timestamp <= published);
        records.payouts.retain(|p| p.ingestion.pagination_timestamp <= published);
        records.tags.retain(|t| t.ingestion.pagination_timestamp <= published);
        // The lead exists only once its leadCreated event is published.
        records.events.iter().any(|e| e.event_type == super::models::EventType::LeadCreated).then_some(records)
    }

    fn hour(&self, company: &Company, hour: DateTime<Utc>) -> Arc<Batch> {
        self.hours
            .get_or_insert_with((company.index, hour.timestamp()), || {
                let simulation = Simulation {
                    seed: self.seed,
                    company,
                    tag: self.tags.get(company.index).copied().unwrap_or_default(),
                };
                Arc::new(simulation.hour(hour))
            })
    }
}

/// A JSON array of the gathered records, turned into wire records and
/// written in parallel parts of a few thousand (`bytes_each` sizes their
/// buffers).
fn render<K: Kind>(gathered: &Gathered, bytes_each: usize, write: impl Fn(&mut Vec<u8>, &K::Wire) + Sync) -> Vec<Bytes> {
    const PART: usize = 2048;
    let parts = gathered.slots.par_chunks(PART).enumerate().map(|(i, part)| {
        let mut out = Vec::with_capacity(part.len() * bytes_each);
        let mut first = i == 0;
        for record in part.iter().filter_map(|slot| gathered.wire::<K>(slot)) {
            if !first {
                out.push(b',');
            }
            first = false;
            write(&mut out, &record);
        }
        // Cached pages are weighed by length: keep capacity close to it.
        if out.capacity() > out.len() + out.len() / 4 {
            out.shrink_to_fit();
        }
        Bytes::from(out)
    });
    let mut data = vec![Bytes::from_static(b"[")];
    data.par_extend(parts);
    data.push(Bytes::from_static(b"]"));
    data
}

/// What a page walk found.
struct Walk {
    gathered: Gathered,
    /// Just past the last record taken.
    last: Option<Position>,
    more: bool,
    from: Position,
    horizon: DateTime<Utc>,
}

impl Walk {
    /// (next position, more). A full page continues after its last
    /// record; otherwise everything before the horizon was seen, and the
    /// next page starts there, so polling an idle feed rescans nothing.
    fn end(&self) -> (Position, bool) {
        let next = match self.last {
            Some(last) if self.more => last,
            _ if self.horizon > self.from.at => Position {
                at: self.horizon,
                skip: 0,
            },
            _ => self.from,
        };
        (next, self.more)
    }
}

/// The hours that overlap `[earliest, end)`: leads created then may have
/// records in a window ending at `end`.
fn creation_hours(earliest: DateTime<Utc>, end: DateTime<Utc>) -> impl Iterator<Item = DateTime<Utc>> {
    let first = floor_hour(earliest);
    let last = floor_hour(end - TimeDelta::nanoseconds(1));
    std::iter::successors(Some(first), move |h| Some(*h + WINDOW).filter(|n| *n <= last))
}

/// The start of `t`'s hour, for any instant (chrono's `duration_trunc`
/// works in nanoseconds and gives up outside 1677-2262).
pub(crate) fn floor_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    let into_hour = t.timestamp().rem_euclid(3600);
    DateTime::from_timestamp(t.timestamp() - into_hour, 0).unwrap_or(t)
}

fn to_json<T: Serialize>(items: &T) -> Vec<u8> {
    // Serializing plain data with string keys cannot fail.
    serde_json::to_vec(items).unwrap_or_else(|_| b"[]".to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::Fixtures;
    use crate::shared::time::parse_rfc3339;

    #[test]
    fn a_cold_window_generates_only_the_hours_its_feed_can_reach() {
        let fixtures = Fixtures::embedded().expect("embedded fixtures");
        let engine = fixtures
            .of::<crate::apis::engine::fixtures::EngineFixtures>(&crate::apis::engine::SPEC)
            .expect("Engine's fixtures");
        let companies = Companies::from_fixtures(&engine);
        let company = companies.all()[0].clone();
        let start = parse_rfc3339("2020-02-10T00:00:00Z").expect("time");
        for (feed, hours) in [
            (Feed::ClientTags, 2),
            (Feed::Events, 13 * 24 + 1),
            (Feed::Payouts, 28 * 24 + 1),
        ] {
            let windows = Windows::new(Seed::new(7), &companies);
            windows.data_json(&company, feed, start);
            assert_eq!(windows.hours.len(), hours, "{feed:?}");
        }
    }
}
