//! Submitted leads, their rate tables and clicks, prefills and loan
//! reports: what partners created, kept in memory with a bound, plus each
//! company's submitted leads as one time-sorted [`Batch`] that the feeds
//! read beside the generated ones.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use foldhash::HashMap;
use serde_json::Value;
use uuid::Uuid;

use super::super::generator::Batch;
use super::super::models::ProductType;
use super::catalog;
use super::feed_batch::FeedBatch;
use super::lead::{self, CheckedLead};
use super::underwriting::{Answer, Decision, Wait};
use crate::shared::cache::BoundedCache;
use crate::shared::seed::Seed;

/// Submitted leads kept (all companies): past it the oldest is forgotten,
/// records and all. A lead with its rate table and offer index is about
/// 5 KB: the bound holds the store near 100 MB.
pub const MAX_LEADS: usize = 20_000;
/// The same store bounded in bytes, whatever the leads say: what a lead
/// weighs is its stored sections and tags plus a fixed share for its rate
/// tables, offers and indexes ([`SubmittedLead::weight`]).
pub const MAX_LEAD_BYTES: usize = 100 << 20;
/// Prefills and loan reports kept, each; the oldest go first.
pub(crate) const MAX_PREFILLS: usize = 10_000;
/// Prefills and loan reports are bounded in bytes too (each kind), as the
/// compact JSON they are kept as.
pub(crate) const MAX_PREFILL_BYTES: usize = 32 << 20;
/// What a rate table, its answers and index entries cost beside the lead's
/// own text (measured: a lead of the usual size is about 5 KB in all).
const RATE_TABLE_WEIGHT: usize = 3 << 10;
/// Rate tables and Offer Searches one lead keeps: past it a new one is
/// refused (a lead cannot outgrow the store by searching again and again).
pub(crate) const MAX_TABLES_PER_LEAD: usize = 256;
/// Lead uuids the carousel's configuration handed out, remembered with the
/// sub-account they were handed to (the Offer Search that creates the lead
/// files it there); the oldest are forgotten first.
const MAX_CAROUSEL_LEADS: usize = 100_000;

/// Rendered Offer Search polls kept, and what they may weigh.
const MAX_RENDERED_POLLS: usize = 1024;
const MAX_RENDERED_POLL_BYTES: usize = 16 << 20;

/// Who reads or writes the marketplace: a company's own tokens see all its
/// leads, a supply sub-account's token only that sub-account's, as in v1,
/// v3 and leadsInfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Viewer {
    pub(crate) company: Uuid,
    pub(crate) sub_account: Option<u16>,
}

impl Viewer {
    /// Whether a record of `company` made by `sub_account` (`None`: by the
    /// company's own token) is visible.
    pub(crate) fn sees(&self, company: Uuid, sub_account: Option<u16>) -> bool {
        company == self.company && (self.sub_account.is_none() || self.sub_account == sub_account)
    }

    pub(crate) fn sees_lead(&self, lead: &SubmittedLead) -> bool {
        self.sees(lead.company, Some(lead.sub_account))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct SubmittedLead {
    pub(crate) uuid: Uuid,
    pub(crate) company: Uuid,
    pub(crate) company_name: String,
    pub(crate) sub_account: u16,
    pub(crate) is_test: bool,
    pub(crate) event_data: bool,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) checked: CheckedLead,
    pub(crate) rate_tables: Vec<RateTable>,
    pub(crate) clicks: Vec<Click>,
}

impl SubmittedLead {
    /// A test lead of `company` with nothing but what underwriting reads:
    /// no sections, tags, tables or clicks (an offer preview's).
    pub(crate) fn of_input(uuid: Uuid, company: Uuid, input: lead::LeadInput, now: DateTime<Utc>) -> Self {
        Self {
            uuid,
            company,
            company_name: String::new(),
            sub_account: 0,
            is_test: true,
            event_data: false,
            created_at: now,
            updated_at: now,
            checked: CheckedLead {
                uuid: None,
                session_uuid: None,
                sections: Default::default(),
                client_tags: Vec::new(),
                input,
            },
            rate_tables: Vec::new(),
            clicks: Vec::new(),
        }
    }

    /// What the lead costs the store, in bytes (see [`MAX_LEAD_BYTES`]).
    pub(crate) fn weight(&self) -> usize {
        let tags: usize = self.checked.client_tags.iter().map(|(k, v)| k.len() + v.len() + 48).sum();
        size_of::<Self>()
            + self.company_name.len()
            + self.checked.sections.len()
            + tags
            + self.rate_tables.len() * RATE_TABLE_WEIGHT
            + self.clicks.len() * size_of::<Click>()
    }

    /// The product its lead events name: the first it asked for.
    pub(crate) fn primary_product(&self) -> ProductType {
        self.checked.input.products.first().copied().unwrap_or(ProductType::Loan)
    }

    /// When the lead's next record may be stamped: a second after its last,
    /// so no two of its events share an id.
    fn next_free(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let last = self
            .rate_tables
            .iter()
            .flat_map(|t| t.answers.iter().filter(|a| a.wait != Wait::Never).map(|a| a.at).chain([t.built_at]))
            .chain(self.clicks.iter().map(|c| c.at))
            .chain([self.created_at])
            .max()
            .unwrap_or(now);
        now.max(last + TimeDelta::seconds(1))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct RateTable {
    pub(crate) uuid: Uuid,
    pub(crate) built_at: DateTime<Utc>,
    pub(crate) loan_amount: Option<i64>,
    pub(crate) answers: Vec<Answer>,
    /// `Some` for an Offer Search (read at `/offerSearches/{uuid}` only),
    /// `None` for a 1.106.0 rate table.
    pub(crate) search: Option<Search>,
}

/// What an Offer Search keeps beside its answers.
#[derive(Debug, Clone)]
pub(crate) struct Search {
    /// The `Api-Version` it was created under (its wire form).
    pub(crate) version: &'static str,
    /// Product types asked for, as sent (unknown slugs included).
    pub(crate) product_types: Vec<String>,
    /// Times it was read: late partners answer by a poll at the latest.
    pub(crate) polls: u32,
}

impl RateTable {
    fn polls(&self) -> u32 {
        self.search.as_ref().map_or(0, |s| s.polls)
    }

    /// Late answers still to come at `now`.
    pub(crate) fn pending(&self, now: DateTime<Utc>) -> impl Iterator<Item = &Answer> {
        let polls = self.polls();
        self.answers.iter().filter(move |a| !a.arrived(now, polls))
    }

    /// Answers in the table at `now`: synchronous ones, and late ones that arrived.
    pub(crate) fn answered(&self, now: DateTime<Utc>) -> impl Iterator<Item = &Answer> {
        let polls = self.polls();
        self.answers.iter().filter(move |a| a.arrived(now, polls))
    }
}

/// An offer URL followed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Click {
    pub(crate) rate_table: usize,
    pub(crate) answer: usize,
    pub(crate) at: DateTime<Utc>,
}

/// Where an offer is: its lead, table and answer.
#[derive(Debug, Clone, Copy)]
struct OfferPlace {
    lead: Uuid,
    rate_table: usize,
    answer: usize,
}

/// A prefill token and what it prefills.
#[derive(Debug, Clone)]
pub(crate) struct Prefill {
    pub(crate) company: Uuid,
    /// The sub-account whose token created it, if one did.
    pub(crate) sub_account: Option<u16>,
    /// The body as compact JSON text: a parsed tree of many small members
    /// costs tens of times its text.
    pub(crate) body: Box<str>,
    pub(crate) created_at: DateTime<Utc>,
}

/// A loan report and who asked for it.
#[derive(Debug, Clone)]
struct Report {
    owner: Viewer,
    body: Box<str>,
}

#[derive(Debug, Default)]
struct CompanyFeed {
    /// In submission order: the lead the bound evicts is the front one.
    leads: VecDeque<Uuid>,
    version: u64,
    /// The records of `leads`, as of the last read and the leads changed
    /// since; `None` until read (or after too many changes).
    batch: Option<FeedBatch>,
    /// No lead of the feed was created before this (a bound: evicting
    /// the earliest lead leaves it). Every record of a submitted lead
    /// enters Engine at or after the lead's creation, so a window that
    /// ends by then holds none of them.
    earliest: Option<DateTime<Utc>>,
}

/// The maps hash with foldhash: SipHash showed in submitLead's profile
/// (a lead and each of its offers are indexed, and forgotten), and the
/// per-process random seed keeps chosen uuids from colliding on purpose.
#[derive(Debug, Default)]
struct Store {
    leads: HashMap<Uuid, SubmittedLead>,
    order: VecDeque<Uuid>,
    rate_tables: HashMap<Uuid, (Uuid, usize)>,
    offers: HashMap<Uuid, OfferPlace>,
    /// Submitted leads by their `sessionUuid`.
    sessions: HashMap<Uuid, Uuid>,
    feeds: HashMap<Uuid, CompanyFeed>,
    /// What the stored leads weigh ([`SubmittedLead::weight`]).
    lead_bytes: usize,
    /// Changes to any feed so far, across resets: each change's number
    /// is its feed's new version.
    changes: u64,
    /// `changes` at the last reset: the version of a feed with no leads.
    cleared_at: u64,
}

/// The marketplace's state; one lock, held for map operations only.
#[derive(Debug)]
pub struct Marketplace {
    seed: Seed,
    /// The offer catalogue's listings under `seed`.
    listings: catalog::Listings,
    max_leads: usize,
    max_lead_bytes: usize,
    /// Numbers what partners create, for uuids drawn from the seed: the
    /// same calls in the same order get the same uuids.
    created: AtomicU64,
    /// Whether any lead is stored: the cached-window path asks for a
    /// version on every request, and needs no lock while none is.
    any_leads: std::sync::atomic::AtomicBool,
    /// The version of every feed while no lead is stored.
    quiet_version: AtomicU64,
    store: Mutex<Store>,
    /// Prefills and loan reports, each bounded in count and bytes, oldest
    /// first; each under its own lock (nothing reads them with the leads).
    prefills: BoundedCache<Uuid, Arc<Prefill>>,
    reports: BoundedCache<Uuid, Arc<Report>>,
    /// Lead uuid → (company, sub-account) of carousel configurations.
    carousel_leads: BoundedCache<Uuid, (Uuid, u16)>,
    /// Offer Search polls as answered: a carousel polls each search about
    /// once a second, and building the answer (a JSON tree of every offer)
    /// cost six times what sending it does.
    rendered_polls: BoundedCache<PollKey, Bytes>,
}

/// What a poll's answer is a function of besides the table's fixed
/// contents: which of its answers have arrived, and the links' base. The
/// generation (it changes with every reset) keeps a table of before a
/// reset, whose uuid may be issued again, from being taken for a new one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PollKey {
    generation: u64,
    table: Uuid,
    arrived: Vec<bool>,
    base: String,
}

/// A poll of an Offer Search.
pub(crate) enum Poll {
    /// Answered as before.
    Rendered(Bytes),
    /// To be rendered from its table (and kept with [`Marketplace::keep_poll`]).
    Render { key: PollKey, lead: Uuid, table: RateTable },
}

/// Why a lead could not be stored.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    Duplicate,
    NotFound,
    /// The merged lead would be over [`lead::MAX_SECTIONS_BYTES`].
    TooLarge,
    /// The lead has [`MAX_TABLES_PER_LEAD`] tables already.
    TooManyTables,
}

/// Whether a lead is stored, and for whom.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Held {
    Absent,
    Visible,
    /// Another company's, or another sub-account's.
    Hidden,
}

impl Marketplace {
    pub(crate) fn new(seed: Seed) -> Self {
        Self::with_bounds(seed, MAX_LEADS, MAX_LEAD_BYTES)
    }

    pub(crate) fn with_bounds(seed: Seed, max_leads: usize, max_lead_bytes: usize) -> Self {
        Self {
            seed,
            listings: catalog::Listings::new(seed),
            max_leads: max_leads.max(1),
            max_lead_bytes,
            created: AtomicU64::new(0),
            any_leads: std::sync::atomic::AtomicBool::new(false),
            quiet_version: AtomicU64::new(0),
            store: Mutex::new(Store::default()),
            prefills: BoundedCache::weighed(MAX_PREFILLS, MAX_PREFILL_BYTES, |_, p| {
                p.body.len() + size_of::<Prefill>() + 64
            }),
            reports: BoundedCache::weighed(MAX_PREFILLS, MAX_PREFILL_BYTES, |_, r| {
                r.body.len() + size_of::<Report>() + 64
            }),
            carousel_leads: BoundedCache::new(MAX_CAROUSEL_LEADS),
            rendered_polls: BoundedCache::weighed(MAX_RENDERED_POLLS, MAX_RENDERED_POLL_BYTES, |key, body| {
                size_of::<PollKey>() + key.arrived.len() + key.base.len() + body.len()
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        // A panic elsewhere leaves plain maps behind: keep serving them.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn seed(&self) -> Seed {
        self.seed
    }

    pub(crate) fn listings(&self) -> &catalog::Listings {
        &self.listings
    }

    pub(crate) fn clear(&self) {
        let mut store = self.lock();
        // Versions only grow: a window cached before the reset is never
        // taken for one after it.
        let changes = store.changes;
        *store = Store {
            changes,
            cleared_at: changes,
            ..Store::default()
        };
        self.rendered_polls.clear();
        drop(store);
        self.prefills.clear();
        self.reports.clear();
        self.carousel_leads.clear();
        self.quiet_version.store(changes, Ordering::Release);
        self.any_leads.store(false, Ordering::Release);
        self.created.store(0, Ordering::Relaxed);
    }

    pub(crate) fn next_number(&self) -> u64 {
        self.created.fetch_add(1, Ordering::Relaxed)
    }

    /// The lender and product of an offer (its landing page).
    pub(crate) fn offer_summary(&self, offer: Uuid) -> Option<(&'static str, &'static str)> {
        let store = self.lock();
        let place = store.offers.get(&offer)?;
        let answer = store.leads.get(&place.lead)?.rate_tables.get(place.rate_table)?.answers.get(place.answer)?;
        Some((answer.lender.institution.name, answer.catalog.map_or(answer.product.as_str(), |p| p.slug)))
    }

    /// Stores a new lead with its first rate table.
    pub(crate) fn submit(&self, lead: SubmittedLead) -> Result<(), Refused> {
        let mut store = self.lock();
        if store.leads.contains_key(&lead.uuid) {
            return Err(Refused::Duplicate);
        }
        let weight = lead.weight();
        while store.leads.len() >= self.max_leads || store.lead_bytes + weight > self.max_lead_bytes {
            let Some(oldest) = store.order.pop_front() else { break };
            store.forget(oldest);
        }
        store.lead_bytes += weight;
        store.index_tables(&lead);
        if let Some(session) = lead.checked.session_uuid {
            store.sessions.insert(session, lead.uuid);
        }
        let (uuid, company, created_at) = (lead.uuid, lead.company, lead.created_at);
        store.order.push_back(uuid);
        store.leads.insert(uuid, lead);
        let feed = store.feeds.entry(company).or_default();
        feed.leads.push_back(uuid);
        feed.earliest = Some(feed.earliest.map_or(created_at, |e| e.min(created_at)));
        store.changed(company, uuid);
        self.any_leads.store(true, Ordering::Release);
        Ok(())
    }

    /// Builds another rate table for a stored lead of `company`, with
    /// `build` given the time it is stamped at; returns the lead after.
    pub(crate) fn add_rate_table(
        &self,
        viewer: Viewer,
        lead: Uuid,
        now: DateTime<Utc>,
        build: impl FnOnce(&SubmittedLead, DateTime<Utc>) -> RateTable,
    ) -> Result<SubmittedLead, Refused> {
        let mut store = self.lock();
        let stored = store.leads.get_mut(&lead).filter(|l| viewer.sees_lead(l)).ok_or(Refused::NotFound)?;
        if stored.rate_tables.len() >= MAX_TABLES_PER_LEAD {
            return Err(Refused::TooManyTables);
        }
        let before = stored.weight();
        let at = stored.next_free(now);
        let table = build(stored, at);
        stored.rate_tables.push(table);
        stored.updated_at = now.max(stored.updated_at);
        let copy = stored.clone();
        store.lead_bytes = store.lead_bytes + copy.weight() - before;
        store.index_tables(&copy);
        store.changed(copy.company, copy.uuid);
        self.shed(&mut store, lead);
        Ok(copy)
    }

    /// Forgets the oldest leads but `keep` while the store is over its byte bound.
    fn shed(&self, store: &mut Store, keep: Uuid) {
        let mut kept = 0;
        while store.lead_bytes > self.max_lead_bytes && store.order.len() > kept {
            match store.order.pop_front() {
                Some(oldest) if oldest == keep => {
                    store.order.push_back(oldest);
                    kept += 1;
                }
                Some(oldest) => store.forget(oldest),
                None => break,
            }
        }
    }

    /// Replaces a stored lead's sections (`PATCH /leads/{uuid}`).
    pub(crate) fn update(&self, viewer: Viewer, lead: Uuid, checked: CheckedLead, now: DateTime<Utc>) -> Result<(), Refused> {
        let mut store = self.lock();
        let stored = store.leads.get_mut(&lead).filter(|l| viewer.sees_lead(l)).ok_or(Refused::NotFound)?;
        let before = stored.weight();
        let mut merged = stored.checked.sections.map();
        for (name, value) in checked.sections.map() {
            match (merged.get_mut(&name), value) {
                (Some(Value::Object(old)), Value::Object(new)) => old.extend(new),
                (_, value) => {
                    merged.insert(name, value);
                }
            }
        }
        let products = if checked.input.products.is_empty() {
            stored.checked.input.products.clone()
        } else {
            checked.input.products
        };
        // Underwriting reads the lead as it now stands.
        let sections = lead::Sections::new(&merged);
        if sections.len() > lead::MAX_SECTIONS_BYTES {
            return Err(Refused::TooLarge);
        }
        stored.checked.input = lead::read_input(&merged, products);
        stored.checked.sections = sections;
        stored.updated_at = now.max(stored.updated_at);
        let (after, company) = (stored.weight(), stored.company);
        store.lead_bytes = store.lead_bytes + after - before;
        // What the lead now says (its script) shapes the funnels of the
        // offers it clicks.
        store.changed(company, lead);
        self.shed(&mut store, lead);
        Ok(())
    }

    /// Whether `lead` is stored, and visible to `viewer`.
    pub(crate) fn held(&self, lead: Uuid, viewer: Viewer) -> Held {
        match self.lock().leads.get(&lead) {
            None => Held::Absent,
            Some(stored) if viewer.sees_lead(stored) => Held::Visible,
            Some(_) => Held::Hidden,
        }
    }

    /// Remembers that the carousel's configuration handed `lead` to a sub-account.
    pub(crate) fn hand_out(&self, lead: Uuid, company: Uuid, sub_account: u16) {
        self.carousel_leads.get_or_insert_with(lead, || (company, sub_account));
    }

    /// The sub-account of `company` the configuration handed `lead` to.
    pub(crate) fn handed_to(&self, lead: Uuid, company: Uuid) -> Option<u16> {
        self.carousel_leads.get(&lead).filter(|(c, _)| *c == company).map(|(_, sub)| sub)
    }

    /// Counts a poll of the Offer Search `uuid` if `viewer` may read it, and
    /// answers it at `now` with links on `base`: as rendered before when
    /// nothing it shows changed, else the lead's uuid and the search after
    /// the poll to render it from.
    pub(crate) fn poll_search(&self, uuid: Uuid, viewer: Viewer, now: DateTime<Utc>, base: &str) -> Option<Poll> {
        let mut store = self.lock();
        let generation = store.cleared_at;
        let (lead, index) = *store.rate_tables.get(&uuid)?;
        let stored = store.leads.get_mut(&lead).filter(|l| viewer.sees_lead(l))?;
        let table = stored.rate_tables.get_mut(index)?;
        let search = table.search.as_mut()?;
        search.polls = search.polls.saturating_add(1);
        let polls = search.polls;
        let key = PollKey {
            generation,
            table: uuid,
            arrived: table.answers.iter().map(|a| a.arrived(now, polls)).collect(),
            base: base.to_owned(),
        };
        Some(match self.rendered_polls.get(&key) {
            Some(body) => Poll::Rendered(body),
            None => Poll::Render {
                key,
                lead,
                table: table.clone(),
            },
        })
    }

    /// The poll answer `render` makes, kept for the polls that find `key` again.
    pub(crate) fn keep_poll(&self, key: PollKey, render: impl FnOnce() -> Bytes) -> Bytes {
        self.rendered_polls.get_or_insert_with(key, render)
    }

    pub(crate) fn lead(&self, lead: Uuid) -> Option<SubmittedLead> {
        self.lock().leads.get(&lead).cloned()
    }

    /// The company that submitted `lead`, if it was submitted.
    pub(crate) fn owner(&self, lead: Uuid) -> Option<Uuid> {
        if !self.any_leads.load(Ordering::Acquire) {
            return None;
        }
        self.lock().leads.get(&lead).map(|l| l.company)
    }

    /// A rate table and its lead.
    pub(crate) fn rate_table(&self, uuid: Uuid) -> Option<(SubmittedLead, usize)> {
        let store = self.lock();
        let (lead, index) = store.rate_tables.get(&uuid)?;
        Some((store.leads.get(lead)?.clone(), *index))
    }

    /// Whether `offer` is one of `rate_table`'s, of `lead`.
    pub(crate) fn offered(&self, lead: Uuid, rate_table: Uuid, offer: Uuid) -> Option<bool> {
        let store = self.lock();
        store.leads.get(&lead)?;
        let place = store.offers.get(&offer);
        let table = store.rate_tables.get(&rate_table);
        Some(matches!((place, table), (Some(p), Some((l, t))) if p.lead == lead && *l == lead && p.rate_table == *t))
    }

    /// The submitted lead of a UI session, if any.
    pub(crate) fn lead_of_session(&self, session: Uuid) -> Option<Uuid> {
        self.lock().sessions.get(&session).copied()
    }

    /// Records a click on `offer` (its first only: the event is the first
    /// click); `None` for an offer leadsim does not have.
    pub(crate) fn follow(&self, offer: Uuid, now: DateTime<Utc>) -> Option<()> {
        let mut store = self.lock();
        let place = *store.offers.get(&offer)?;
        let lead = store.leads.get_mut(&place.lead)?;
        let answer = lead.rate_tables.get(place.rate_table)?.answers.get(place.answer)?.clone();
        let first = !lead.clicks.iter().any(|c| c.rate_table == place.rate_table && c.answer == place.answer);
        if first {
            let at = lead.next_free(now).max(answer.at);
            lead.clicks.push(Click {
                rate_table: place.rate_table,
                answer: place.answer,
                at,
            });
        }
        let company = lead.company;
        if first {
            store.changed(company, place.lead);
        }
        Some(())
    }

    /// Every stored lead, oldest first.
    #[cfg(test)]
    pub(crate) fn leads(&self) -> Vec<SubmittedLead> {
        self.recent(usize::MAX, |_| true).1
    }

    /// How many stored leads `keep` accepts, and the newest `max` of them,
    /// oldest first (the admin listing).
    pub(crate) fn recent(&self, max: usize, keep: impl Fn(&SubmittedLead) -> bool) -> (usize, Vec<SubmittedLead>) {
        let store = self.lock();
        let mut count = 0;
        let mut newest = Vec::new();
        for lead in store.order.iter().rev().filter_map(|uuid| store.leads.get(uuid)) {
            if keep(lead) {
                count += 1;
                if newest.len() < max {
                    newest.push(lead.clone());
                }
            }
        }
        newest.reverse();
        (count, newest)
    }

    /// The feeds' view of a company's submitted leads: a version that
    /// changes whenever they do (it keys cached windows), and the batch.
    pub(crate) fn version(&self, company: Uuid) -> u64 {
        if !self.any_leads.load(Ordering::Acquire) {
            return self.quiet_version.load(Ordering::Acquire);
        }
        let store = self.lock();
        store.feeds.get(&company).map_or(store.cleared_at, |f| f.version)
    }

    /// The version keying a window of the company's records that ends at
    /// `end`, or `None` when none of its submitted leads can have a record
    /// there: such a window is the same whatever partners submit later, so
    /// a submission neither invalidates it nor makes it build the batch.
    pub(crate) fn version_until(&self, company: Uuid, end: DateTime<Utc>) -> Option<u64> {
        if !self.any_leads.load(Ordering::Acquire) {
            return Some(self.quiet_version.load(Ordering::Acquire));
        }
        let store = self.lock();
        match store.feeds.get(&company) {
            None => Some(store.cleared_at),
            Some(feed) if feed.earliest.is_some_and(|earliest| earliest >= end) => None,
            Some(feed) => Some(feed.version),
        }
    }

    pub(crate) fn batch(&self, company: Uuid) -> Option<Arc<Batch>> {
        let mut store = self.lock();
        let Store { feeds, leads, .. } = &mut *store;
        let feed = feeds.get_mut(&company)?;
        if feed.leads.is_empty() {
            return None;
        }
        let seed = self.seed;
        let batch = feed
            .batch
            .get_or_insert_with(|| FeedBatch::build(seed, feed.leads.iter().filter_map(|uuid| leads.get(uuid))));
        Some(batch.read(seed, leads))
    }

    /// Keeps a prefill under its (fresh) token.
    pub(crate) fn add_prefill(&self, token: Uuid, prefill: Prefill) {
        self.prefills.get_or_insert_with(token, || Arc::new(prefill));
    }

    /// A prefill `viewer` may read.
    pub(crate) fn prefill(&self, token: Uuid, viewer: Viewer) -> Option<Arc<Prefill>> {
        self.prefills.get(&token).filter(|p| viewer.sees(p.company, p.sub_account))
    }

    pub(crate) fn add_report(&self, uuid: Uuid, owner: Viewer, report: &Value) {
        let body: Box<str> = report.to_string().into();
        self.reports.get_or_insert_with(uuid, || Arc::new(Report { owner, body }));
    }

    /// A loan report `viewer` may read, as the JSON text it was answered with.
    pub(crate) fn report(&self, uuid: Uuid, viewer: Viewer) -> Option<String> {
        let report = self.reports.get(&uuid)?;
        viewer.sees(report.owner.company, report.owner.sub_account).then(|| report.body.to_string())
    }

    /// Bytes the leads, prefills and loan reports weigh (admin and benchmarks).
    pub(crate) fn weights(&self) -> (usize, usize, usize) {
        (self.lock().lead_bytes, self.prefills.bytes(), self.reports.bytes())
    }
}

impl Store {
    /// `lead` of `company` was submitted, changed or forgotten: a new
    /// version, and the batch takes the lead in again when next read.
    fn changed(&mut self, company: Uuid, lead: Uuid) {
        self.changes += 1;
        let feed = self.feeds.entry(company).or_default();
        feed.version = self.changes;
        if let Some(batch) = &mut feed.batch
            && !batch.touch(lead)
        {
            feed.batch = None;
        }
    }
    fn index_tables(&mut self, lead: &SubmittedLead) {
        for (t, table) in lead.rate_tables.iter().enumerate() {
            self.rate_tables.insert(table.uuid, (lead.uuid, t));
            for (a, answer) in table.answers.iter().enumerate() {
                if let Decision::Offer(terms) = &answer.decision {
                    self.offers.insert(terms.uuid, OfferPlace {
                        lead: lead.uuid,
                        rate_table: t,
                        answer: a,
                    });
                }
            }
        }
    }

    fn forget(&mut self, uuid: Uuid) {
        let Some(lead) = self.leads.remove(&uuid) else { return };
        self.lead_bytes = self.lead_bytes.saturating_sub(lead.weight());
        if let Some(session) = lead.checked.session_uuid
            && self.sessions.get(&session) == Some(&uuid)
        {
            self.sessions.remove(&session);
        }
        for table in &lead.rate_tables {
            self.rate_tables.remove(&table.uuid);
            for answer in &table.answers {
                if let Decision::Offer(terms) = &answer.decision {
                    self.offers.remove(&terms.uuid);
                }
            }
        }
        if let Some(feed) = self.feeds.get_mut(&lead.company) {
            if feed.leads.front() == Some(&uuid) {
                feed.leads.pop_front();
            } else {
                feed.leads.retain(|l| *l != uuid);
            }
            self.changed(lead.company, uuid);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::apis::engine::marketplace::{lead, underwriting};

    fn submitted(market: &Marketplace, n: u128, now: DateTime<Utc>) -> SubmittedLead {
        let body = json!({
            "productTypes": ["loan"],
            "loanInformation": {"loanAmount": 10000},
            "creditInformation": {"providedCreditRating": "excellent"},
            "financialInformation": {"annualIncome": 100000}
        });
        let checked = lead::check(body, true).expect("valid");
        let (uuid, table) = (Uuid::from_u128(n), Uuid::from_u128(1000 + n));
        SubmittedLead {
            uuid,
            company: Uuid::from_u128(7),
            company_name: "C".into(),
            sub_account: 0,
            is_test: false,
            event_data: false,
            created_at: now,
            updated_at: now,
            rate_tables: vec![RateTable {
                uuid: table,
                built_at: now,
                loan_amount: Some(10_000),
                answers: underwriting::answers(market.seed(), table, &checked.input, now),
                search: None,
            }],
            clicks: Vec::new(),
            checked,
        }
    }

    #[test]
    fn the_oldest_lead_goes_whole_when_the_bound_is_reached() {
        let market = Marketplace::with_bounds(Seed::new(1), 2, MAX_LEAD_BYTES);
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let first = submitted(&market, 1, now);
        let offer = first.rate_tables[0]
            .answers
            .iter()
            .find_map(|a| match &a.decision {
                Decision::Offer(terms) => Some(terms.uuid),
                Decision::Declined(_) => None,
            })
            .expect("an offer");
        market.submit(first.clone()).expect("stored");
        assert_eq!(market.submit(first), Err(Refused::Duplicate));
        market.submit(submitted(&market, 2, now)).expect("stored");
        let before = market.version(Uuid::from_u128(7));
        market.submit(submitted(&market, 3, now)).expect("stored");
        assert!(market.version(Uuid::from_u128(7)) > before);
        let kept: Vec<Uuid> = market.leads().iter().map(|l| l.uuid).collect();
        assert_eq!(kept, [Uuid::from_u128(2), Uuid::from_u128(3)]);
        // Its table, offers and records went with it.
        assert!(market.rate_table(Uuid::from_u128(1001)).is_none());
        assert!(market.follow(offer, now).is_none());
        let batch = market.batch(Uuid::from_u128(7)).expect("a batch");
        assert!(batch.leads.iter().all(|l| l.uuid != Uuid::from_u128(1)));
        assert!(batch.leads.iter().any(|l| l.uuid == Uuid::from_u128(3)));

        // Versions key cached windows: they never repeat, not even after a
        // reset, so a window cached with the old leads is never served again.
        let company = Uuid::from_u128(7);
        let before_reset = market.version(company);
        market.clear();
        assert_eq!(market.version(company), before_reset, "no leads: the version at the reset");
        assert_eq!(market.version(Uuid::from_u128(8)), before_reset);
        market.submit(submitted(&market, 4, now)).expect("stored");
        assert!(market.version(company) > before_reset);
        assert_eq!(market.version(Uuid::from_u128(8)), before_reset, "another company's feed is unchanged");
    }

    /// What a batch says on the wire, whatever its lead entries' order.
    fn records(batch: &Batch) -> Vec<String> {
        let events = batch.events.iter().map(|e| {
            let lead = batch.leads.get(e.lead as usize).copied();
            format!("{:?} {:?} {} {:?}", batch.lead_event(e), e.ingested_at, e.deleted, lead)
        });
        let payouts = batch.payouts.iter().map(|p| format!("{p:?}"));
        let tags = batch.tags.iter().map(|t| format!("{t:?}"));
        events.chain(payouts).chain(tags).collect()
    }

    #[test]
    fn a_feeds_batch_kept_up_to_date_lead_by_lead_equals_one_built_whole() {
        use rand::RngExt;

        let market = Marketplace::with_bounds(Seed::new(1), 6, MAX_LEAD_BYTES);
        let company = Uuid::from_u128(7);
        let viewer = Viewer {
            company,
            sub_account: None,
        };
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let mut rng = Seed::new(9).rng("test.feed_batch", 0u64);
        let mut held: Option<(Arc<Batch>, Vec<String>)> = None;
        for n in 1..=120u128 {
            let now = start + TimeDelta::seconds(rng.random_range(0..4 * 86_400));
            let stored = market.leads();
            let pick = |rng: &mut rand_chacha::ChaCha8Rng| {
                (!stored.is_empty()).then(|| stored[rng.random_range(0..stored.len())].clone())
            };
            match rng.random_range(0..6) {
                0 | 1 => market.submit(submitted(&market, n, now)).expect("stored"),
                2 => {
                    // A click on one of a lead's offers: its lender's funnel follows.
                    if let Some(lead) = pick(&mut rng) {
                        let offers: Vec<Uuid> = lead
                            .rate_tables
                            .iter()
                            .flat_map(|t| &t.answers)
                            .filter_map(|a| match &a.decision {
                                Decision::Offer(terms) => Some(terms.uuid),
                                Decision::Declined(_) => None,
                            })
                            .collect();
                        if !offers.is_empty() {
                            market.follow(offers[rng.random_range(0..offers.len())], now);
                        }
                    }
                }
                3 => {
                    if let Some(lead) = pick(&mut rng) {
                        let _ = market.add_rate_table(viewer, lead.uuid, now, |lead, at| RateTable {
                            uuid: Uuid::from_u128(5000 + n),
                            built_at: at,
                            loan_amount: None,
                            answers: lead.rate_tables[0].answers.clone(),
                            search: None,
                        });
                    }
                }
                4 => {
                    // A window renders from a batch while leads change.
                    let batch = market.batch(company);
                    held = batch.map(|b| {
                        let seen = records(&b);
                        (b, seen)
                    });
                }
                _ => {}
            }
            if rng.random_bool(0.5) {
                let kept = market.batch(company);
                let whole = FeedBatch::build(market.seed(), market.leads().iter()).read(market.seed(), &HashMap::default());
                assert_eq!(kept.as_deref().map(records), Some(records(&whole)), "after step {n}");
            }
            if let Some((batch, seen)) = &held {
                assert_eq!(&records(batch), seen, "a batch a window holds never changes");
            }
        }
    }

    #[test]
    fn only_windows_a_submitted_lead_can_reach_follow_its_version() {
        let market = Marketplace::with_bounds(Seed::new(1), 2, MAX_LEAD_BYTES);
        let company = Uuid::from_u128(7);
        let at = |s: i64| DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap_or_default();
        let quiet = market.version_until(company, at(0));
        assert_eq!(quiet, Some(market.version(company)), "no leads yet: as before");

        market.submit(submitted(&market, 1, at(3600))).unwrap();
        let version = market.version(company);
        // Every record of a lead enters at or after its creation.
        assert_eq!(market.version_until(company, at(3600)), None, "a window ending at its creation");
        assert_eq!(market.version_until(company, at(0)), None);
        assert_eq!(market.version_until(company, at(3601)), Some(version));
        assert_eq!(market.version_until(Uuid::from_u128(8), at(0)), Some(market.version(Uuid::from_u128(8))));

        // A clock set back: a lead created earlier brings earlier windows in reach.
        market.submit(submitted(&market, 2, at(60))).unwrap();
        assert_eq!(market.version_until(company, at(3600)), Some(market.version(company)));
        assert_eq!(market.version_until(company, at(60)), None);
        // Evicting the earliest lead leaves the bound where it was (never too late).
        market.submit(submitted(&market, 3, at(7200))).unwrap();
        market.submit(submitted(&market, 4, at(7200))).unwrap();
        assert_eq!(market.version_until(company, at(61)), Some(market.version(company)));
        assert_eq!(market.version_until(company, at(60)), None);

        market.clear();
        assert_eq!(market.version_until(company, at(0)), Some(market.version(company)), "after a reset: as before");
    }

    #[test]
    fn the_lead_store_is_bounded_in_bytes_whatever_the_leads_say() {
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let probe = Marketplace::new(Seed::new(1));
        let weight = submitted(&probe, 1, now).weight();
        // Room for three leads of this weight.
        let market = Marketplace::with_bounds(Seed::new(1), 100, 3 * weight + weight / 2);
        for n in 1..=10 {
            market.submit(submitted(&market, n, now)).expect("stored");
            assert!(market.weights().0 <= 3 * weight + weight / 2);
        }
        let kept: Vec<Uuid> = market.leads().iter().map(|l| l.uuid).collect();
        assert_eq!(kept, [8, 9, 10].map(Uuid::from_u128));
        assert_eq!(market.weights().0, 3 * weight);
        // New rate tables weigh too: the oldest other lead makes room.
        let viewer = Viewer {
            company: Uuid::from_u128(7),
            sub_account: None,
        };
        for _ in 0..2 {
            market
                .add_rate_table(viewer, Uuid::from_u128(10), now, |lead, at| RateTable {
                    uuid: Uuid::new_v4(),
                    built_at: at,
                    loan_amount: None,
                    answers: lead.rate_tables[0].answers.clone(),
                    search: None,
                })
                .expect("added");
        }
        assert!(market.weights().0 <= 3 * weight + weight / 2);
        assert_eq!(market.leads().last().map(|l| l.uuid), Some(Uuid::from_u128(10)));
        market.clear();
        assert_eq!(market.weights(), (0, 0, 0));
    }

    #[test]
    fn prefills_and_loan_reports_are_bounded_in_bytes_and_kept_as_text() {
        let market = Marketplace::new(Seed::new(1));
        let company = Uuid::from_u128(7);
        let body: Box<str> = format!("{{\"a\":\"{}\"}}", "x".repeat(1 << 20)).into();
        for n in 0..100u128 {
            market.add_prefill(Uuid::from_u128(n), Prefill {
                company,
                sub_account: None,
                body: body.clone(),
                created_at: DateTime::default(),
            });
            market.add_report(Uuid::from_u128(n), Viewer { company, sub_account: None }, &json!({"x": "y".repeat(1 << 20)}));
        }
        let (_, prefills, reports) = market.weights();
        assert!(prefills <= MAX_PREFILL_BYTES && prefills > MAX_PREFILL_BYTES - (2 << 20), "{prefills}");
        assert!(reports <= MAX_PREFILL_BYTES && reports > MAX_PREFILL_BYTES - (2 << 20), "{reports}");
        let viewer = Viewer { company, sub_account: None };
        assert!(market.prefill(Uuid::from_u128(0), viewer).is_none(), "the oldest went first");
        assert_eq!(market.prefill(Uuid::from_u128(99), viewer).map(|p| p.body.clone()), Some(body));
        // A sub-account sees only its own; the company sees all of its.
        let web = Viewer { company, sub_account: Some(0) };
        assert!(market.prefill(Uuid::from_u128(99), web).is_none());
        assert!(market.report(Uuid::from_u128(99), web).is_none());
        assert!(market.report(Uuid::from_u128(99), viewer).is_some());
        let other = Viewer { company: Uuid::from_u128(8), sub_account: None };
        assert!(market.report(Uuid::from_u128(99), other).is_none());
    }
}
