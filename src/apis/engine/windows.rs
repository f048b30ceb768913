//! Hourly windows over the simulation: which records fall in
//! `[start, start + 1h)` for a company, generated lazily and cached with a
//! bound (generation hours and rendered windows), never stored for all time.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use rayon::prelude::*;
use serde::Serialize;

use super::auth::{Companies, Company};
use super::generator::{self, Batch, Lookback, Simulation};
use super::lead_ids::{self, CompanyTag};
use super::models::{LeadClientTag, LeadEvent, LeadPayout};
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
    rendered: BoundedCache<(usize, Feed, DateTime<Utc>), Bytes>,
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
    pub(crate) fn rendered_json(&self, company: &Company, feed: Feed, start: DateTime<Utc>) -> Option<Bytes> {
        self.rendered.get(&rendered_key(company, feed, start))
    }

    /// The JSON array of one feed's window, rendered once and then cached.
    /// May generate weeks of funnels: call it off the async workers.
    pub fn data_json(&self, company: &Company, feed: Feed, start: DateTime<Utc>) -> Bytes {
        self.rendered
            .get_or_insert_with(rendered_key(company, feed, start), || {
                let end = start + WINDOW;
                let json = match feed {
                    Feed::Events => to_json(&self.events(company, start, end)),
                    Feed::Payouts => {
                        let payouts = self.payouts(company, start, end);
                        to_json(&payouts.iter().map(|(_, p)| p).collect::<Vec<_>>())
                    }
                    Feed::ClientTags => to_json(&self.tags(company, start, end)),
                };
                Bytes::from(json)
            })
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
            e.event_created_at
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

fn rendered_key(company: &Company, feed: Feed, start: DateTime<Utc>) -> (usize, Feed, DateTime<Utc>) {
    (company.index, feed, start)
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
