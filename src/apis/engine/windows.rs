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

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use rayon::prelude::*;
use serde::Serialize;

use super::auth::{Companies, Company, Scope};
use super::generator::{self, Batch, Lookback, Simulation};
use super::lead_ids::{self, CompanyTag};
use super::models::{Ingestion, LeadClientTag, LeadEvent, LeadPayout, SubAccountName};
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

#[derive(Debug)]
pub struct Windows {
    seed: Seed,
    tags: persistent::Vector<CompanyTag>,
    scripted: persistent::Vector<Arc<Batch>>,
    hours: BoundedCache<(usize, i64), Arc<Batch>>,
    rendered: BoundedCache<(usize, Scope, Feed, DateTime<Utc>), Bytes>,
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

type PageKey = (usize, PageRequest);

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

/// A record's place in the ingestion order.
trait Ingested {
    fn ingestion(&self) -> Ingestion;
}

impl Ingested for LeadEvent {
    fn ingestion(&self) -> Ingestion {
        self.v3.ingestion
    }
}

impl Ingested for (DateTime<Utc>, LeadPayout) {
    fn ingestion(&self) -> Ingestion {
        self.1.ingestion
    }
}

impl Ingested for LeadClientTag {
    fn ingestion(&self) -> Ingestion {
        self.ingestion
    }
}

impl Windows {
    pub fn new(seed: Seed, companies: &Companies) -> Self {
        let all: Vec<usize> = (0..companies.all().len()).collect();
        Self::empty(seed, persistent::Vector::new(), persistent::Vector::new()).updated(companies, &all)
    }

    fn empty(seed: Seed, tags: persistent::Vector<CompanyTag>, scripted: persistent::Vector<Arc<Batch>>) -> Self {
        Self {
            seed,
            tags,
            scripted,
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
        Self::empty(self.seed, self.tags.clone(), self.scripted.clone()).updated(companies, changed)
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
        self.rendered.get(&(company.index, scope, feed, start))
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
        self.rendered
            .get_or_insert_with((company.index, scope, feed, start), || {
                let end = start + WINDOW;
                let seen = |i: Ingestion| scope.sees(i.sub_account);
                let json = match feed {
                    Feed::Events => {
                        let mut events = self.events(company, start, end);
                        events.retain(|e| seen(e.v3.ingestion) && e.event_type.in_v1() && e.v3.deleted_at.is_none());
                        to_json(&events)
                    }
                    Feed::Payouts => {
                        let payouts = self.payouts(company, start, end);
                        to_json(&payouts.iter().filter(|(_, p)| seen(p.ingestion)).map(|(_, p)| p).collect::<Vec<_>>())
                    }
                    Feed::ClientTags => {
                        let mut tags = self.tags(company, start, end);
                        tags.retain(|t| seen(t.ingestion));
                        to_json(&tags)
                    }
                };
                Bytes::from(json)
            })
    }

    /// The page if it was rendered before (cheap; no generation).
    pub(crate) fn rendered_page(&self, company: &Company, request: &PageRequest) -> Option<Arc<Page>> {
        self.pages.get(&(company.index, *request))
    }

    /// A version 3 page: the records `request.scope` sees from
    /// `request.from` on, in ingestion order, up to the horizon and the
    /// limit. Rendered once and then cached. May generate weeks of
    /// funnels: call it off the async workers.
    pub(crate) fn page(&self, company: &Company, request: &PageRequest) -> Arc<Page> {
        self.pages.get_or_insert_with((company.index, *request), || {
            let names: Vec<SubAccountName<'_>> = company
                .sub_accounts
                .iter()
                .map(|s| SubAccountName {
                    uuid: s.uuid,
                    name: &s.name,
                })
                .collect();
            let name = |i: Ingestion| names.get(usize::from(i.sub_account)).unwrap_or(&names[0]);
            let (data, (next, more)) = match request.feed {
                Feed::Events => {
                    let walk = self.walk(company, request, |a, b| self.events(company, a, b), |e| {
                        request.types.is_none_or(|types| types & e.event_type.bit() != 0)
                    });
                    let data = render(&walk.records, 600, |out, e| {
                        wire::write_event(out, e, name(e.v3.ingestion));
                    });
                    (data, walk.end())
                }
                Feed::Payouts => {
                    let walk = self.walk(company, request, |a, b| self.payouts(company, a, b), |_| true);
                    let data = render(&walk.records, 450, |out, (_, p)| {
                        wire::write_payout(out, p, name(p.ingestion));
                    });
                    (data, walk.end())
                }
                Feed::ClientTags => {
                    let walk = self.walk(company, request, |a, b| self.tags(company, a, b), |_| true);
                    (render(&walk.records, 250, wire::write_tag), walk.end())
                }
            };
            Arc::new(Page { data, next, more })
        })
    }

    /// The records of a page, gathered span by span of ingestion time:
    /// spans grow while the page fills slowly (sparse history costs few
    /// spans) and shrink to what the limit still needs (a full page
    /// generates little past its last record).
    fn walk<T: Ingested>(
        &self,
        company: &Company,
        request: &PageRequest,
        gather: impl Fn(DateTime<Utc>, DateTime<Utc>) -> Vec<T>,
        wanted: impl Fn(&T) -> bool,
    ) -> Walk<T> {
        let limit = request.limit as usize;
        let from = request.from;
        let mut walk = Walk {
            records: Vec::new(),
            last: None,
            more: false,
            from,
            horizon: request.horizon,
        };
        // Nothing exists before the company's first record.
        let mut start = from.at.max(company.start_of_records());
        let mut span = FIRST_SPAN;
        'spans: while start < request.horizon {
            let end = (start + span).min(request.horizon);
            let mut seen = 0usize;
            let mut at = None;
            let mut ordinal = 0u32;
            for record in gather(start, end) {
                let ingestion = record.ingestion();
                if !request.scope.sees(ingestion.sub_account) {
                    continue;
                }
                seen += 1;
                if at == Some(ingestion.pagination_timestamp) {
                    ordinal += 1;
                } else {
                    at = Some(ingestion.pagination_timestamp);
                    ordinal = 0;
                }
                if ingestion.pagination_timestamp == from.at && ordinal < from.skip || !wanted(&record) {
                    continue;
                }
                if walk.records.len() == limit {
                    walk.more = true;
                    break 'spans;
                }
                walk.last = Some(Position {
                    at: ingestion.pagination_timestamp,
                    skip: ordinal + 1,
                });
                walk.records.push(record);
            }
            start = end;
            let remaining = (limit + 1).saturating_sub(walk.records.len()) as f64;
            let needed = if seen == 0 {
                LAST_SPAN
            } else {
                TimeDelta::seconds((span.num_seconds() as f64 * remaining * 1.2 / seen as f64) as i64 + 3600)
            };
            span = (span * 2).min(needed).clamp(TimeDelta::hours(1), LAST_SPAN);
        }
        walk
    }

    /// Every record of `[start, end)` for a company (for tests and tools).
    pub fn records(&self, company: &Company, start: DateTime<Utc>, end: DateTime<Utc>) -> WindowRecords {
        WindowRecords {
            events: self.events(company, start, end),
            payouts: self
                .payouts(company, start, end)
                .into_iter()
                .map(|(_, p)| p)
                .collect(),
            tags: self.tags(company, start, end),
        }
    }

    fn events(&self, company: &Company, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<LeadEvent> {
        self.collect(company, Feed::Events, start, end, Batch::events_in, |e| {
            e.v3.ingestion.pagination_timestamp
        })
    }

    fn payouts(
        &self,
        company: &Company,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, LeadPayout)> {
        self.collect(company, Feed::Payouts, start, end, Batch::payouts_in, |p| p.0)
    }

    fn tags(&self, company: &Company, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<LeadClientTag> {
        self.collect(company, Feed::ClientTags, start, end, Batch::tags_in, |t| {
            t.created_at
        })
    }

    /// Records of one kind with `time` in `[start, end)`, from every batch
    /// that can hold them, in time order (ties broken by batch order, which
    /// is itself sorted, so the result is deterministic).
    fn collect<T>(
        &self,
        company: &Company,
        feed: Feed,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        take: impl Fn(&Batch, DateTime<Utc>, DateTime<Utc>, &mut Vec<T>),
        time: impl Fn(&T) -> DateTime<Utc>,
    ) -> Vec<T> {
        let mut out = Vec::new();
        if let Some(scripted) = self.scripted.get(company.index) {
            take(scripted, start, end, &mut out);
        }
        if company.leads_per_day > 0.0 {
            for batch in self.creation_batches(company, feed, start, end) {
                take(&batch, start, end, &mut out);
            }
        }
        out.sort_by_key(|x| time(x));
        out
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
        let mut records = match scripted.lead_records(lead) {
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

/// A JSON array of `records`, rendered in parallel parts of a few
/// thousand records (`bytes_each` sizes their buffers).
fn render<T: Sync>(records: &[T], bytes_each: usize, write: impl Fn(&mut Vec<u8>, &T) + Sync) -> Vec<Bytes> {
    const PART: usize = 2048;
    let parts = records.par_chunks(PART).enumerate().map(|(i, part)| {
        let mut out = Vec::with_capacity(part.len() * bytes_each);
        for (j, record) in part.iter().enumerate() {
            if i > 0 || j > 0 {
                out.push(b',');
            }
            write(&mut out, record);
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
struct Walk<T> {
    records: Vec<T>,
    /// Just past the last record taken.
    last: Option<Position>,
    more: bool,
    from: Position,
    horizon: DateTime<Utc>,
}

impl<T> Walk<T> {
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
