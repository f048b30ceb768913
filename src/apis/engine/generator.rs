//! The lead-funnel simulation: leads, their events, payouts and client tags
//! as a pure function of (seed, company, creation hour).
//!
//! Every record a lead produces falls within a fixed span of the lead's
//! creation, one per kind of record ([`Lookback`]), so the records of any
//! window are found among the leads created in that span before it: a
//! leadEvents window looks 13 days back, a leadPayouts window 28 days and a
//! leadClientTags window seconds. No axum here: unit-testable directly.

use std::borrow::Cow;

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use uuid::Uuid;

use super::auth::Company;
use super::fixtures::ScriptedLead;
use super::institutions::{self, Institution};
use super::lead_ids::{self, CompanyTag};
use super::models::{
    EventData, EventType, EventV3, Ingestion, LeadClientTag, LeadEvent, LeadPayout, ProductType, RejectReason,
};
use crate::shared::seed::{Seed, sha256_hex, uuid_from};
use crate::shared::time::format_seconds;

/// The longest time between a lead's creation and a record of each kind.
///
/// Funnel delays are clamped to [`Lookback::EVENTS`], which leaves room for
/// booking a payout (≤ 1 day) and deleting it (≤ 14 days) inside
/// [`Lookback::PAYOUTS`]. Keeping the spans apart matters for cold windows:
/// a leadEvents window generates 13 days of leads rather than 28.
pub(crate) struct Lookback;

impl Lookback {
    pub(crate) const EVENTS: TimeDelta = TimeDelta::days(13);
    pub(crate) const PAYOUTS: TimeDelta = TimeDelta::days(28);
    /// Tags are stamped within five seconds of their lead's creation.
    pub(crate) const CLIENT_TAGS: TimeDelta = TimeDelta::seconds(TAG_DELAY_SECONDS);
}

const TAG_DELAY_SECONDS: i64 = 5;
const PAYOUT_BOOKING_SECONDS: i64 = 86_400;
const PAYOUT_DELETION_SECONDS: i64 = 14 * 86_400;
const _: () = assert!(
    Lookback::EVENTS.num_seconds() + PAYOUT_BOOKING_SECONDS + PAYOUT_DELETION_SECONDS
        <= Lookback::PAYOUTS.num_seconds()
);

/// Everything generated for one company's leads of one creation hour (or all
/// its scripted leads), each list sorted by the time that places a record in
/// a window.
///
/// Events, by far the most numerous records, are kept compact (a lead
/// index instead of the lead's fields, an institution index instead of its
/// uuid and name): a cold window generates two weeks of them, and turns
/// into wire records only the few it serves.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    pub(crate) leads: Vec<GeneratedLead>,
    pub(crate) events: Vec<EventRecord>,
    /// `(window time, payout)`: `bookedAt`, or `deletedAt` for a deletion record.
    pub(crate) payouts: Vec<(DateTime<Utc>, LeadPayout)>,
    pub(crate) tags: Vec<LeadClientTag>,
    /// Institutions scripted leads name that are not in the stable list;
    /// [`InstitutionRef::Scripted`] indexes this.
    named_institutions: Vec<(Uuid, Cow<'static, str>)>,
    /// The offers of submitted leads, by (lead index, institution): a
    /// marketplace offer has its own uuid, not the stable one of
    /// [`offer_uuid`]. Empty (no allocation) for generated batches.
    /// foldhash: the keys are leadsim's own, and a company's batch is
    /// built again, every offer inserted, whenever its leads change.
    pub(crate) offers: foldhash::HashMap<(u32, Uuid), Uuid>,
}

impl Batch {
    /// Roughly what the batch holds on the heap, for cache budgets.
    pub(crate) fn heap_bytes(&self) -> usize {
        fn vec<T>(v: &[T]) -> usize {
            size_of_val(v)
        }
        let owned = |c: &Cow<'static, str>| match c {
            Cow::Owned(s) => s.capacity(),
            Cow::Borrowed(_) => 0,
        };
        let tag_text: usize = self
            .tags
            .iter()
            .map(|t| t.hash.capacity() + owned(&t.key) + owned(&t.value))
            .sum();
        vec(&self.leads)
            + vec(&self.events)
            + vec(&self.payouts)
            + vec(&self.tags)
            + tag_text
            + vec(&self.named_institutions)
            + self.offers.capacity() * size_of::<((u32, Uuid), Uuid)>()
    }
}

/// What a lead's events share.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GeneratedLead {
    pub(crate) uuid: Uuid,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) product: ProductType,
    pub(crate) is_test: bool,
    pub(crate) event_data: bool,
    /// Index into the company's supply sub-accounts.
    pub(crate) sub_account: u16,
}

/// An event as the simulation keeps it; [`Batch::lead_event`] makes it a
/// wire `LeadEvent`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EventRecord {
    pub(crate) at: DateTime<Utc>,
    /// When it entered Engine's system (`paginationTimestamp`): `at`, or
    /// later for a late arrival, or the deletion time of a correction.
    pub(crate) ingested_at: DateTime<Utc>,
    /// The correction record of a deleted event (version 3 only).
    pub(crate) deleted: bool,
    /// Index into [`Batch::leads`].
    pub(crate) lead: u32,
    pub(crate) event_type: EventType,
    pub(crate) institution: Option<InstitutionRef>,
    pub(crate) amount_in_cents: Option<i32>,
    pub(crate) reject_reason: Option<RejectReason>,
}

/// Which institution an event names.
#[derive(Debug, Clone, Copy)]
pub(crate) enum InstitutionRef {
    Listed(&'static Institution),
    /// Index into the batch's scripted institutions.
    Scripted(u32),
}

impl Batch {
    /// Time order; ties broken by fields (not by the SHA-256 `id`/`hash`,
    /// which are only computed for records a window actually serves).
    ///
    /// Comparators rather than cached keys: records arrive as runs already
    /// in order (leads by creation, each funnel forward in time), which the
    /// standard sort merges cheaply, and almost every comparison is settled
    /// by the time alone. Sorting was a sixth of a cold window's cost.
    pub(crate) fn sort(&mut self) {
        let leads = &self.leads;
        let lead_uuid = |e: &EventRecord| leads.get(e.lead as usize).map(|l| l.uuid);
        self.events.sort_by(|a, b| {
            a.ingested_at
                .cmp(&b.ingested_at)
                .then_with(|| a.at.cmp(&b.at))
                .then_with(|| lead_uuid(a).cmp(&lead_uuid(b)))
                // Funnel order (the enum's): a submitted lead is created
                // and submitted in the same second.
                .then_with(|| a.event_type.cmp(&b.event_type))
                .then_with(|| a.deleted.cmp(&b.deleted))
        });
        self.payouts.sort_by(|(a_at, a), (b_at, b)| {
            a_at.cmp(b_at)
                .then_with(|| a.uuid.cmp(&b.uuid))
                .then_with(|| a.deleted_at.is_some().cmp(&b.deleted_at.is_some()))
        });
        // A lead's tags are generated (and scripted ones listed) in (key,
        // value) order, and all share its creation time: a stable sort by
        // (time, lead) keeps that order.
        self.tags.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.lead_uuid.cmp(&b.lead_uuid))
        });
    }

    /// The wire form of one of this batch's events, `id` included.
    pub(crate) fn lead_event(&self, event: &EventRecord) -> Option<LeadEvent> {
        let lead = self.leads.get(event.lead as usize)?;
        let institution = match event.institution {
            Some(InstitutionRef::Listed(i)) => Some((i.uuid, Cow::Borrowed(i.name))),
            Some(InstitutionRef::Scripted(n)) => self.named_institutions.get(n as usize).cloned(),
            None => None,
        };
        let (financial_institution_uuid, financial_institution_name) = institution.unzip();
        let offer_uuid = financial_institution_uuid
            .filter(|_| event.event_type != EventType::ApiRejected)
            .map(|fi| {
                self.offers
                    .get(&(event.lead, fi))
                    .copied()
                    .unwrap_or_else(|| offer_uuid(fi, lead.product))
            });
        Some(LeadEvent {
            id: sha256_hex(&[
                &lead.uuid.to_string(),
                event.event_type.as_str(),
                &format_seconds(event.at),
            ]),
            lead_uuid: lead.uuid,
            lead_created_at: lead.created_at,
            event_type: event.event_type,
            event_created_at: event.at,
            event_data: lead
                .event_data
                .then(|| {
                    event_data(
                        event.event_type,
                        lead.product,
                        event.amount_in_cents,
                        event.reject_reason,
                    )
                })
                .flatten(),
            amount_in_cents: event.amount_in_cents,
            financial_institution_uuid,
            financial_institution_name,
            product_type: event.event_type.involves_institution().then_some(lead.product),
            is_test: lead.is_test,
            v3: EventV3 {
                ingestion: Ingestion {
                    pagination_timestamp: event.ingested_at,
                    sub_account: lead.sub_account,
                },
                product: lead.product,
                offer_uuid,
                deleted_at: event.deleted.then_some(event.ingested_at),
            },
        })
    }

    /// Every event in wire form.
    #[cfg(test)]
    fn lead_events(&self) -> Vec<LeadEvent> {
        self.events.iter().filter_map(|e| self.lead_event(e)).collect()
    }

    /// Events that entered Engine in `[start, end)`, in wire form.
    #[cfg(test)]
    pub(crate) fn events_in(&self, start: DateTime<Utc>, end: DateTime<Utc>, out: &mut Vec<LeadEvent>) {
        let range = time_range(&self.events, start, end, |e| e.ingested_at);
        out.extend(self.events[range].iter().filter_map(|e| self.lead_event(e)));
    }

    /// Payout records whose window time is in `[start, end)`.
    #[cfg(test)]
    pub(crate) fn payouts_in(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        out: &mut Vec<(DateTime<Utc>, LeadPayout)>,
    ) {
        let range = time_range(&self.payouts, start, end, |p| p.0);
        out.extend_from_slice(&self.payouts[range]);
    }

    /// Everything of one lead, events in wire form (leadsInfo).
    /// A submitted lead has one entry per rate table and product; all are it.
    pub(crate) fn lead_records(&self, lead: Uuid) -> Option<super::windows::WindowRecords> {
        let indices: Vec<u32> = (0..self.leads.len())
            .filter(|&i| self.leads[i].uuid == lead)
            .map(|i| i as u32)
            .collect();
        if indices.is_empty() {
            return None;
        }
        let events = self
            .events
            .iter()
            .filter(|e| indices.contains(&e.lead))
            .filter_map(|e| self.lead_event(e))
            .collect();
        let payouts = self
            .payouts
            .iter()
            .filter(|(_, p)| p.lead_uuid == lead)
            .map(|(_, p)| p.clone())
            .collect();
        let tags = self
            .tags
            .iter()
            .filter(|t| t.lead_uuid == lead)
            .map(Self::tag_with_hash)
            .collect();
        Some(super::windows::WindowRecords { events, payouts, tags })
    }

    /// Client tags created in `[start, end)`, `hash` included.
    #[cfg(test)]
    pub(crate) fn tags_in(&self, start: DateTime<Utc>, end: DateTime<Utc>, out: &mut Vec<LeadClientTag>) {
        let range = time_range(&self.tags, start, end, |t| t.created_at);
        out.extend(self.tags[range].iter().map(Self::tag_with_hash));
    }

    /// A tag as served: with its `hash`, computed only for what is served.
    pub(crate) fn tag_with_hash(tag: &LeadClientTag) -> LeadClientTag {
        LeadClientTag {
            hash: sha256_hex(&[
                &tag.lead_uuid.to_string(),
                &tag.key,
                &tag.value,
                &format_seconds(tag.created_at),
            ]),
            ..tag.clone()
        }
    }

    pub(crate) fn add_lead(&mut self, lead: GeneratedLead) -> u32 {
        self.leads.push(lead);
        u32::try_from(self.leads.len() - 1).unwrap_or(u32::MAX)
    }
}

/// The indices of the time-sorted `items` that fall in `[start, end)`.
pub(crate) fn time_range<T>(
    items: &[T],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    time: impl Fn(&T) -> DateTime<Utc>,
) -> std::ops::Range<usize> {
    let from = items.partition_point(|x| time(x) < start);
    let to = items.partition_point(|x| time(x) < end).max(from);
    from..to
}

/// A company's view of the simulation: what generation needs to know.
pub struct Simulation<'a> {
    pub seed: Seed,
    pub company: &'a Company,
    pub tag: CompanyTag,
}

impl Simulation<'_> {
    /// All records of the leads created in `[hour, hour + 1h)`.
    pub fn hour(&self, hour: DateTime<Utc>) -> Batch {
        if hour + TimeDelta::hours(1) <= self.company.history_start {
            return Batch::default();
        }
        let mut rng = self.seed.rng("engine.leads", (self.company.uuid, hour));
        let count = poisson(&mut rng, self.mean_leads(hour));
        // Sized for a typical funnel, so pushes rarely move the records.
        let mut batch = Batch {
            leads: Vec::with_capacity(count),
            events: Vec::with_capacity(count * 6),
            payouts: Vec::with_capacity(count / 4 + 1),
            tags: Vec::with_capacity(count * 4),
            named_institutions: Vec::new(),
            offers: Default::default(),
        };
        let mix = product_mix(self.company);
        let mut offsets: Vec<i64> = (0..count).map(|_| rng.random_range(0..3600)).collect();
        offsets.sort_unstable();
        for offset in offsets {
            let created_at = hour + TimeDelta::seconds(offset);
            let uuid = lead_ids::tagged_lead_uuid(self.tag, hour, &mut rng);
            let product = pick_weighted(&mut rng, &mix);
            // Each lead's funnel has its own stream, so changing one lead's
            // model never reshuffles its neighbours.
            // Seeded from the hour's stream: as independent as a SHA-256
            // derivation per lead, at a fraction of the cost.
            let mut lead_rng = ChaCha8Rng::from_seed(rng.random());
            if created_at < self.company.history_start {
                continue;
            }
            let generated = GeneratedLead {
                uuid,
                created_at,
                product,
                is_test: self.company.is_test,
                event_data: self.company.event_data,
                sub_account: self.company.sub_account_of(uuid),
            };
            let (first_event, first_payout) = (batch.events.len(), batch.payouts.len());
            let lead = LeadContext::new(generated, &mut batch);
            funnel(&lead, &mut lead_rng, &mut batch);
            // Drawn after the v1 funnel, from the lead's own stream, so
            // version 1's records are what they were before v3 existed.
            v3_stages(&lead, &mut lead_rng, &mut batch, first_event);
            arrivals(&lead, &mut lead_rng, &mut batch, first_event, first_payout);
        }
        batch.sort();
        batch
    }

    /// Mean leads created in `hour`: the company's daily mean shaped by hour
    /// of day (US evenings busiest) and day of week (weekends quieter).
    fn mean_leads(&self, hour: DateTime<Utc>) -> f64 {
        // UTC hours; US traffic peaks 00:00-04:00 UTC (evening) and dips 08:00-12:00 UTC.
        const HOUR_WEIGHTS: [f64; 24] = [
            1.55, 1.5, 1.35, 1.15, 0.9, 0.65, 0.45, 0.35, 0.3, 0.3, 0.35, 0.5, 0.75, 0.95, 1.1, 1.2, 1.25,
            1.3, 1.3, 1.3, 1.35, 1.4, 1.5, 1.55,
        ];
        const DAY_WEIGHTS: [f64; 7] = [1.1, 1.1, 1.05, 1.0, 0.95, 0.8, 1.0]; // Mon..Sun
        let hour_weight = HOUR_WEIGHTS[hour.hour() as usize] / mean(&HOUR_WEIGHTS);
        let day_weight = DAY_WEIGHTS[hour.weekday().num_days_from_monday() as usize] / mean(&DAY_WEIGHTS);
        self.company.leads_per_day / 24.0 * hour_weight * day_weight
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Default product mix when a company gives none: mostly personal loans.
fn product_mix(company: &Company) -> Vec<(ProductType, f64)> {
    if company.product_mix.is_empty() {
        vec![
            (ProductType::Loan, 70.0),
            (ProductType::CreditCard, 15.0),
            (ProductType::Savings, 6.0),
            (ProductType::Mortgage, 5.0),
            (ProductType::LifeInsurance, 2.0),
            (ProductType::AutoInsurance, 2.0),
        ]
    } else {
        company.product_mix.iter().map(|(p, w)| (*p, *w)).collect()
    }
}

fn pick_weighted<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random::<f64>() * total;
    for (item, weight) in items {
        if roll < *weight {
            return *item;
        }
        roll -= weight;
    }
    items[items.len() - 1].0
}

/// Poisson-distributed count: Knuth's method for small means, a normal
/// approximation for large ones (fast, and plenty for traffic volumes).
fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> usize {
    if mean <= 0.0 {
        return 0;
    }
    if mean < 30.0 {
        let limit = (-mean).exp();
        let mut product = rng.random::<f64>();
        let mut count = 0;
        while product > limit {
            product *= rng.random::<f64>();
            count += 1;
        }
        return count;
    }
    // Box-Muller
    let (u1, u2) = (rng.random::<f64>().max(f64::MIN_POSITIVE), rng.random::<f64>());
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    (mean + z * mean.sqrt()).round().max(0.0) as usize
}

/// A lead on its way through the funnel: its fields and its index in the batch.
struct LeadContext {
    index: u32,
    uuid: Uuid,
    created_at: DateTime<Utc>,
    product: ProductType,
    sub_account: u16,
}

impl LeadContext {
    fn new(generated: GeneratedLead, batch: &mut Batch) -> Self {
        Self {
            index: batch.add_lead(generated),
            uuid: generated.uuid,
            created_at: generated.created_at,
            product: generated.product,
            sub_account: generated.sub_account,
        }
    }

    /// Where records stamped `at` enter Engine; for the lead created now.
    fn ingestion(&self, at: DateTime<Utc>) -> Ingestion {
        Ingestion {
            pagination_timestamp: at,
            sub_account: self.sub_account,
        }
    }
}

/// A point in the funnel: when, at which institution.
struct Step {
    at: DateTime<Utc>,
    institution: &'static Institution,
}

/// Funnel shape per product family.
struct Rates {
    submit: f64,
    approve: f64,
    click: f64,
    apply: f64,
    approved: f64,
    /// What an approval turns into: `funded` (loans), `opened` (cards, savings) or `conversion`.
    outcome: EventType,
    outcome_rate: f64,
    /// Amount range in dollars (None: no amounts for this product).
    amount_dollars: Option<(i64, i64)>,
}

fn rates(product: ProductType) -> Rates {
    use ProductType::*;
    match product {
        Loan | Generic | Other => Rates {
            submit: 0.72,
            approve: 0.42,
            click: 0.38,
            apply: 0.55,
            approved: 0.45,
            outcome: EventType::Funded,
            outcome_rate: 0.7,
            amount_dollars: Some((1_000, 40_000)),
        },
        Mortgage => Rates {
            submit: 0.6,
            approve: 0.35,
            click: 0.3,
            apply: 0.4,
            approved: 0.5,
            outcome: EventType::Funded,
            outcome_rate: 0.6,
            amount_dollars: Some((80_000, 600_000)),
        },
        CreditCard => Rates {
            submit: 0.8,
            approve: 0.5,
            click: 0.45,
            apply: 0.6,
            approved: 0.55,
            outcome: EventType::Opened,
            outcome_rate: 0.8,
            amount_dollars: Some((500, 15_000)),
        },
        Savings => Rates {
            submit: 0.75,
            approve: 0.9,
            click: 0.4,
            apply: 0.5,
            approved: 0.9,
            outcome: EventType::Opened,
            outcome_rate: 0.7,
            amount_dollars: None,
        },
        Insurance | LifeInsurance | AutoInsurance => Rates {
            submit: 0.7,
            approve: 0.6,
            click: 0.4,
            apply: 0.5,
            approved: 0.6,
            outcome: EventType::Conversion,
            outcome_rate: 0.6,
            amount_dollars: None,
        },
    }
}

const REJECT_REASONS: [RejectReason; 8] = [
    RejectReason::LowFico,
    RejectReason::NoFico,
    RejectReason::MajorDerogatory,
    RejectReason::UnderwritingDecline,
    RejectReason::DebtToIncomeRatio,
    RejectReason::NotInActiveState,
    RejectReason::IncorrectDataProvided,
    RejectReason::Duplicate,
];

fn seconds(rng: &mut ChaCha8Rng, min: i64, max: i64) -> TimeDelta {
    TimeDelta::seconds(rng.random_range(min..=max))
}

/// Runs one lead through the funnel, appending its records to `batch`.
fn funnel(lead: &LeadContext, rng: &mut ChaCha8Rng, batch: &mut Batch) {
    let r = rates(lead.product);
    let deadline = lead.created_at + Lookback::EVENTS;
    let clamp = |t: DateTime<Utc>| t.min(deadline);
    push_event(
        lead,
        batch,
        EventType::LeadCreated,
        lead.created_at,
        None,
        None,
        None,
    );
    client_tags(lead, rng, batch);

    if !rng.random_bool(r.submit) {
        return;
    }
    let submitted = clamp(lead.created_at + seconds(rng, 60, 20 * 60));
    push_event(lead, batch, EventType::AppSubmitted, submitted, None, None, None);

    let offered = institutions::offering(lead.product);
    let mut lenders = [offered[0]; institutions::COUNT];
    lenders[..offered.len()].copy_from_slice(offered);
    let lenders = &mut lenders[..offered.len()];
    let asked = rng.random_range(1..=lenders.len().min(5));
    let mut approvals = Vec::new();
    // Lenders answer one after another, so no two decisions of a lead share a
    // second (an event's id hashes lead, type and time, and must be unique).
    let mut at = submitted;
    for i in 0..asked {
        // A partial Fisher-Yates shuffle keeps the asked lenders distinct.
        let j = rng.random_range(i..lenders.len());
        lenders.swap(i, j);
        let institution = lenders[i];
        at = clamp(at + seconds(rng, 1, 30));
        if rng.random_bool(r.approve) {
            push_event(
                lead,
                batch,
                EventType::ApiApproved,
                at,
                Some(institution),
                None,
                None,
            );
            approvals.push(Step { at, institution });
        } else {
            let reason = REJECT_REASONS[rng.random_range(0..REJECT_REASONS.len())];
            push_event(
                lead,
                batch,
                EventType::ApiRejected,
                at,
                Some(institution),
                None,
                Some(reason),
            );
        }
    }
    let Some(chosen) = approvals.get(rng.random_range(0..approvals.len().max(1))) else {
        return;
    };
    if !rng.random_bool(r.click) {
        return;
    }
    let clicked = Step {
        at: clamp(chosen.at + seconds(rng, 30, 45 * 60)),
        institution: chosen.institution,
    };
    push_lender_event(
        lead,
        batch,
        EventType::OfferClicked,
        clicked.at,
        clicked.institution,
        None,
    );
    let amount = r.amount_dollars.map(|(lo, hi)| {
        // Round amounts, as lenders quote them.
        let dollars = rng.random_range(lo..=hi) / 100 * 100;
        i32::try_from(dollars * 100).unwrap_or(i32::MAX)
    });

    if lead.product == ProductType::Insurance
        || lead.product == ProductType::LifeInsurance
        || lead.product == ProductType::AutoInsurance
    {
        // Insurance converts straight from the click, reported as `conversion`.
        if rng.random_bool(r.apply * r.outcome_rate) {
            let at = clamp(clicked.at + seconds(rng, 10 * 60, 2 * 86_400));
            let payout = rng.random_range(2_500..=12_000);
            push_lender_event(lead, batch, EventType::Conversion, at, clicked.institution, None);
            payouts(lead, rng, batch, at, f64::from(payout), clicked.institution);
        }
        return;
    }

    if !rng.random_bool(r.apply) {
        return;
    }
    let applied = clamp(clicked.at + seconds(rng, 5 * 60, 2 * 86_400));
    push_lender_event(
        lead,
        batch,
        EventType::Applied,
        applied,
        clicked.institution,
        amount,
    );
    if rng.random_bool(0.3) {
        let at = clamp(applied + seconds(rng, 10 * 60, 86_400));
        // lenderQualifiedLead requires an amount (prose); fall back to a nominal one.
        let qualified_amount = amount.or(Some(100_000));
        push_lender_event(
            lead,
            batch,
            EventType::LenderQualifiedLead,
            at,
            clicked.institution,
            qualified_amount,
        );
    }
    if !rng.random_bool(r.approved) {
        return;
    }
    let approved = clamp(applied + seconds(rng, 30 * 60, 3 * 86_400));
    push_lender_event(
        lead,
        batch,
        EventType::Approved,
        approved,
        clicked.institution,
        amount,
    );
    let mut outcome_at = approved;
    if r.outcome == EventType::Funded && lead.product == ProductType::Loan && rng.random_bool(0.4) {
        outcome_at = clamp(approved + seconds(rng, 30 * 60, 86_400));
        push_lender_event(
            lead,
            batch,
            EventType::Listed,
            outcome_at,
            clicked.institution,
            amount,
        );
    }
    if !rng.random_bool(r.outcome_rate) {
        return;
    }
    let done = clamp(outcome_at + seconds(rng, 3600, 5 * 86_400));
    let outcome_amount = if r.outcome == EventType::Funded {
        amount
    } else {
        None
    };
    push_lender_event(lead, batch, r.outcome, done, clicked.institution, outcome_amount);
    let payout = match (r.outcome, amount) {
        // Lenders pay a share of the funded amount, sometimes in fractional cents.
        (EventType::Funded, Some(cents)) => {
            (f64::from(cents) * rng.random_range(0.008..0.025) * 2.0).round() / 2.0
        }
        _ => f64::from(rng.random_range(5_000..=25_000)),
    };
    payouts(lead, rng, batch, done, payout, clicked.institution);
}

/// Books a payout a little after the converting event; about one in sixteen
/// is later deleted, which shows up as a second record with the same `uuid`
/// and `deletedAt`, placed in the window of its deletion.
fn payouts(
    lead: &LeadContext,
    rng: &mut ChaCha8Rng,
    batch: &mut Batch,
    converted_at: DateTime<Utc>,
    payout_in_cents: f64,
    institution: &'static Institution,
) {
    let booked_at = converted_at + seconds(rng, 60, PAYOUT_BOOKING_SECONDS);
    let uuid = uuid_from(rng);
    // Not every payout can be traced to a lender (the vendor's words).
    let traced = rng.random_bool(0.9);
    let payout = LeadPayout {
        lead_uuid: lead.uuid,
        booked_at,
        payout_in_cents,
        uuid,
        deleted_at: None,
        financial_institution_name: traced.then_some(Cow::Borrowed(institution.name)),
        financial_institution_uuid: traced.then_some(institution.uuid),
        ingestion: lead.ingestion(booked_at),
        product: lead.product,
    };
    if rng.random_bool(1.0 / 16.0) {
        let deleted_at = booked_at + seconds(rng, 3600, PAYOUT_DELETION_SECONDS);
        batch.payouts.push((
            deleted_at,
            LeadPayout {
                deleted_at: Some(deleted_at),
                ingestion: lead.ingestion(deleted_at),
                ..payout.clone()
            },
        ));
    }
    batch.payouts.push((booked_at, payout));
}

/// Share of institution-reported records (applied, approved, funded, first
/// payments, payout bookings) that reach Engine late.
const LATE_SHARE: f64 = 0.25;
/// How late: log-uniform between five minutes and a day and a half. Funnels
/// end within 11.1 days of the lead (see `funnel`'s delays), so a late
/// arrival still enters within [`Lookback::EVENTS`]; it is clamped there
/// regardless.
const LATE_SECONDS: (f64, f64) = (300.0, 129_600.0);
/// Share of `applied` events an institution later retracts (v3 shows a
/// correction record with `eventDeletedAt`).
const RETRACTED_SHARE: f64 = 1.0 / 40.0;

/// The records of version 3's event types that fit the lead's funnel:
/// affiliate clicks for leads no lender approved, contact stages for
/// sales-led products, rate locks for mortgages, first payments for
/// funded loans. Each within [`Lookback::EVENTS`] of the lead, or not at all.
fn v3_stages(lead: &LeadContext, rng: &mut ChaCha8Rng, batch: &mut Batch, first_event: usize) {
    use EventType::*;
    let deadline = lead.created_at + Lookback::EVENTS;
    let find = |batch: &Batch, t: EventType| {
        batch.events[first_event..]
            .iter()
            .find(|e| e.event_type == t)
            .map(|e| (e.at, e.institution))
    };
    let push = |batch: &mut Batch, t: EventType, at: DateTime<Utc>, institution: Option<InstitutionRef>| {
        if at <= deadline {
            push_event_raw(lead, batch, t, at, institution, None, None);
        }
    };
    let approved_by_api = find(batch, ApiApproved).is_some();
    if !approved_by_api && rng.random_bool(0.12) {
        let offered = institutions::offering(lead.product);
        let affiliate = offered[rng.random_range(0..offered.len())];
        let at = lead.created_at + seconds(rng, 60, 30 * 60);
        push(batch, AffiliateOfferClicked, at, Some(InstitutionRef::Listed(affiliate)));
    }
    let sales_led = matches!(
        lead.product,
        ProductType::Mortgage | ProductType::Insurance | ProductType::LifeInsurance | ProductType::AutoInsurance
    );
    if sales_led
        && let Some((clicked, institution)) = find(batch, OfferClicked)
        && rng.random_bool(0.7)
    {
        let first_contact = clicked + seconds(rng, 120, 4 * 3600);
        push(batch, FirstContact, first_contact, institution);
        if rng.random_bool(0.7) {
            let contacted = first_contact + seconds(rng, 0, 2 * 86_400);
            push(batch, IsContacted, contacted, institution);
            if rng.random_bool(0.5) {
                push(batch, SalesQualified, contacted + seconds(rng, 600, 86_400), institution);
            }
        }
    }
    if lead.product == ProductType::Mortgage
        && let Some((approved, institution)) = find(batch, Approved)
        && rng.random_bool(0.6)
    {
        // Before funding, when there is one.
        let until = find(batch, Funded).map_or(approved + TimeDelta::days(2), |(funded, _)| funded);
        let span = (until - approved).num_seconds().max(2);
        push(batch, RateLocked, approved + seconds(rng, 1, span - 1), institution);
    }
    if lead.product == ProductType::Loan
        && let Some((funded, institution)) = find(batch, Funded)
        && rng.random_bool(0.85)
    {
        // Weekly or bi-weekly schedules; a first payment past the
        // simulation's horizon for the lead is not reported.
        push(batch, FirstPayment, funded + seconds(rng, 7 * 86_400, 14 * 86_400), institution);
    }
}

/// When the lead's records enter Engine: most as they happen, a share of
/// the institution-reported ones late; a few `applied` events are later
/// retracted (a correction record that v3 shows). Payout bookings arrive
/// late too, but always before their own deletion.
fn arrivals(lead: &LeadContext, rng: &mut ChaCha8Rng, batch: &mut Batch, first_event: usize, first_payout: usize) {
    let events_deadline = lead.created_at + Lookback::EVENTS;
    let late = |rng: &mut ChaCha8Rng| {
        rng.random_bool(LATE_SHARE).then(|| {
            let (lo, hi) = (LATE_SECONDS.0.ln(), LATE_SECONDS.1.ln());
            TimeDelta::seconds(rng.random_range(lo..hi).exp() as i64)
        })
    };
    let mut retractions = Vec::new();
    for event in &mut batch.events[first_event..] {
        if !event.event_type.reported_by_institution() {
            continue;
        }
        if let Some(delay) = late(rng) {
            event.ingested_at = (event.at + delay).min(events_deadline).max(event.at);
        }
        if event.event_type == EventType::Applied && rng.random_bool(RETRACTED_SHARE) {
            let deleted_at = event.ingested_at + seconds(rng, 3600, 3 * 86_400);
            if deleted_at <= events_deadline {
                retractions.push(EventRecord {
                    ingested_at: deleted_at,
                    deleted: true,
                    ..*event
                });
            }
        }
    }
    batch.events.extend(retractions);
    let payouts_deadline = lead.created_at + Lookback::PAYOUTS;
    let payouts = &mut batch.payouts[first_payout..];
    for i in 0..payouts.len() {
        if payouts[i].1.deleted_at.is_some() {
            continue;
        }
        let Some(delay) = late(rng) else { continue };
        let uuid = payouts[i].1.uuid;
        let booked = payouts[i].1.booked_at;
        let deletion = payouts
            .iter()
            .find_map(|(_, p)| p.deleted_at.filter(|_| p.uuid == uuid));
        let latest = deletion.map_or(payouts_deadline, |d| d - TimeDelta::seconds(1));
        let entered = (booked + delay).min(latest).max(booked);
        payouts[i].0 = entered;
        payouts[i].1.ingestion.pagination_timestamp = entered;
    }
}

/// A stable uuid for an institution's offer of a product: a keyless mix,
/// computed for every served event, so no hashing library call.
pub(crate) fn offer_uuid(institution: Uuid, product: ProductType) -> Uuid {
    let mut z = institution.as_u128() ^ (0x9e37_79b9_7f4a_7c15_u128 * (product as u128 + 1));
    z = (z ^ (z >> 67)).wrapping_mul(0xbf58_476d_1ce4_e5b9_94d0_49bb_1331_11eb);
    z ^= z >> 61;
    uuid::Builder::from_random_bytes(z.to_le_bytes()).into_uuid()
}

const TRAFFIC_SOURCES: [&str; 8] = [
    "google",
    "facebook",
    "newsletter",
    "tiktok",
    "bing",
    "youtube",
    "partner_blog",
    "email_retarget",
];
const ARTICLES: [&str; 6] = [
    "best-personal-loans",
    "debt-consolidation-guide",
    "credit-cards-for-fair-credit",
    "how-to-build-credit",
    "high-yield-savings",
    "refinance-your-mortgage",
];

/// Tags set when the lead was created: traffic_source (sometimes twice),
/// article, subid, clientid, and now and then Engine's own `platform` tag.
/// Pushed in (key, value) order, the order a window serves a lead's tags in.
fn client_tags(lead: &LeadContext, rng: &mut ChaCha8Rng, batch: &mut Batch) {
    let source = TRAFFIC_SOURCES[rng.random_range(0..TRAFFIC_SOURCES.len())];
    let second_source = rng
        .random_bool(0.08)
        .then(|| rng.random_range(1000..10_000).to_string());
    let article = rng
        .random_bool(0.6)
        .then(|| ARTICLES[rng.random_range(0..ARTICLES.len())]);
    let subid = rng
        .random_bool(0.5)
        .then(|| rng.random_range(100_000..1_000_000).to_string());
    let mut clientid = String::with_capacity(14);
    let date = lead.created_at.date_naive();
    // `{:04}{:02}{:02}` by hand: chrono's strftime parses its format each call.
    for (value, digits) in [(date.year(), 4), (date.month() as i32, 2), (date.day() as i32, 2)] {
        for place in (0..digits).rev() {
            clientid.push(char::from(b'0' + (value / 10_i32.pow(place) % 10) as u8));
        }
    }
    clientid.extend((0..6).map(|_| char::from(b'a' + rng.random_range(0..26u8))));
    let platform = rng
        .random_bool(0.15)
        .then(|| ["web", "ios", "android"][rng.random_range(0..3)]);
    let created_at = lead.created_at + seconds(rng, 0, TAG_DELAY_SECONDS);

    let mut push = |key: &'static str, value: Cow<'static, str>| {
        batch.tags.push(LeadClientTag {
            hash: String::new(), // filled by Finish when served
            lead_uuid: lead.uuid,
            key: Cow::Borrowed(key),
            value,
            created_at,
            ingestion: lead.ingestion(created_at),
        });
    };
    if let Some(article) = article {
        push("article", Cow::Borrowed(article));
    }
    push("clientid", Cow::Owned(clientid));
    if let Some(platform) = platform {
        push("platform", Cow::Borrowed(platform));
    }
    if let Some(subid) = subid {
        push("subid", Cow::Owned(subid));
    }
    // Digits sort before letters: the numeric source comes first.
    if let Some(second) = second_source {
        push("traffic_source", Cow::Owned(second));
    }
    push("traffic_source", Cow::Borrowed(source));
}

fn push_tag(batch: &mut Batch, lead: &LeadContext, key: &str, value: &str, created_at: DateTime<Utc>) {
    batch.tags.push(LeadClientTag {
        hash: String::new(), // filled by Finish when served
        lead_uuid: lead.uuid,
        key: Cow::Owned(key.to_owned()),
        value: Cow::Owned(value.to_owned()),
        created_at,
        ingestion: lead.ingestion(created_at),
    });
}

/// An event at the lender the lead clicked through to.
fn push_lender_event(
    lead: &LeadContext,
    batch: &mut Batch,
    event_type: EventType,
    at: DateTime<Utc>,
    institution: &'static Institution,
    amount_in_cents: Option<i32>,
) {
    push_event(
        lead,
        batch,
        event_type,
        at,
        Some(institution),
        amount_in_cents,
        None,
    );
}

fn push_event(
    lead: &LeadContext,
    batch: &mut Batch,
    event_type: EventType,
    at: DateTime<Utc>,
    institution: Option<&'static Institution>,
    amount_in_cents: Option<i32>,
    reject_reason: Option<RejectReason>,
) {
    push_event_raw(
        lead,
        batch,
        event_type,
        at,
        institution.map(InstitutionRef::Listed),
        amount_in_cents,
        reject_reason,
    );
}

fn push_event_raw(
    lead: &LeadContext,
    batch: &mut Batch,
    event_type: EventType,
    at: DateTime<Utc>,
    institution: Option<InstitutionRef>,
    amount_in_cents: Option<i32>,
    reject_reason: Option<RejectReason>,
) {
    push_lead_event(batch, lead.index, event_type, at, institution, amount_in_cents, reject_reason);
}

/// An event of the batch's lead at `lead`, entering Engine as it happens
/// (the marketplace's submitted leads are pushed through here too).
pub(crate) fn push_lead_event(
    batch: &mut Batch,
    lead: u32,
    event_type: EventType,
    at: DateTime<Utc>,
    institution: Option<InstitutionRef>,
    amount_in_cents: Option<i32>,
    reject_reason: Option<RejectReason>,
) {
    batch.events.push(EventRecord {
        at,
        ingested_at: at,
        deleted: false,
        lead,
        event_type,
        institution,
        amount_in_cents,
        reject_reason,
    });
}

/// The `EventData` variant whose title is the event type; none for event
/// types the spec gives no variant (leadCreated, appSubmitted, lenderQualifiedLead).
fn event_data(
    event_type: EventType,
    product: ProductType,
    amount_in_cents: Option<i32>,
    reject_reason: Option<RejectReason>,
) -> Option<EventData> {
    let base = EventData {
        reject_reason: None,
        amount: None,
        payout_in_cents: None,
        product_type: Some(product),
    };
    match event_type {
        EventType::LeadCreated | EventType::AppSubmitted | EventType::LenderQualifiedLead => None,
        // 1.106.0 gives version 3's types no `EventData` variant.
        EventType::AffiliateOfferClicked
        | EventType::FirstPayment
        | EventType::IsContacted
        | EventType::FirstContact
        | EventType::SalesQualified
        | EventType::RateLocked => None,
        EventType::ApiRejected => Some(EventData {
            reject_reason,
            ..base
        }),
        EventType::Applied | EventType::Approved | EventType::Listed | EventType::Funded => Some(EventData {
            amount: amount_in_cents.map(|c| c / 100),
            ..base
        }),
        EventType::Conversion => Some(base),
        EventType::ApiApproved | EventType::OfferClicked | EventType::Opened => Some(base),
    }
}

/// A company's scripted leads as one batch.
pub(crate) fn scripted(seed: Seed, company: &Company) -> Batch {
    let mut batch = Batch::default();
    for lead in &company.scripted_leads {
        add_scripted_lead(seed, company, lead, &mut batch);
    }
    batch.sort();
    batch
}

fn add_scripted_lead(seed: Seed, company: &Company, scripted: &ScriptedLead, batch: &mut Batch) {
    let generated = GeneratedLead {
        uuid: scripted.uuid,
        created_at: scripted.created_at.0,
        product: scripted.product_type,
        is_test: company.is_test,
        event_data: company.event_data,
        sub_account: company.scripted_sub_account(scripted),
    };
    let lead = LeadContext::new(generated, batch);
    push_event(
        &lead,
        batch,
        EventType::LeadCreated,
        lead.created_at,
        None,
        None,
        None,
    );
    for event in &scripted.events {
        let named = |uuid: Uuid| {
            let listed = institutions::by_uuid(uuid);
            match (&event.financial_institution_name, listed) {
                (None, Some(listed)) => InstitutionRef::Listed(listed),
                (name, listed) => {
                    let name = name
                        .clone()
                        .map(Cow::Owned)
                        .or_else(|| listed.map(|i| Cow::Borrowed(i.name)))
                        .unwrap_or(Cow::Borrowed("Unknown lender"));
                    batch.named_institutions.push((uuid, name));
                    InstitutionRef::Scripted(
                        u32::try_from(batch.named_institutions.len() - 1).unwrap_or(u32::MAX),
                    )
                }
            }
        };
        let institution = event
            .financial_institution_uuid
            .filter(|_| event.event_type.involves_institution())
            .map(named);
        push_event_raw(
            &lead,
            batch,
            event.event_type,
            event.event_created_at.0,
            institution,
            event.amount_in_cents,
            event.reject_reason,
        );
        if let (Some(entered), Some(last)) = (event.pagination_timestamp, batch.events.last_mut()) {
            last.ingested_at = entered.0;
        }
    }
    for (i, payout) in scripted.payouts.iter().enumerate() {
        let uuid = payout
            .uuid
            .unwrap_or_else(|| seed.uuid("engine.scriptedPayout", (scripted.uuid, i as u64)));
        let name = payout
            .financial_institution_name
            .clone()
            .map(Cow::Owned)
            .or_else(|| {
                payout
                    .financial_institution_uuid
                    .and_then(institutions::by_uuid)
                    .map(|i| Cow::Borrowed(i.name))
            });
        let entered = payout.pagination_timestamp.unwrap_or(payout.booked_at).0;
        let record = LeadPayout {
            lead_uuid: scripted.uuid,
            booked_at: payout.booked_at.0,
            payout_in_cents: payout.payout_in_cents,
            uuid,
            deleted_at: None,
            financial_institution_name: name,
            financial_institution_uuid: payout.financial_institution_uuid,
            ingestion: lead.ingestion(entered),
            product: lead.product,
        };
        if let Some(deleted_at) = payout.deleted_at {
            batch.payouts.push((
                deleted_at.0,
                LeadPayout {
                    deleted_at: Some(deleted_at.0),
                    ingestion: lead.ingestion(deleted_at.0),
                    ..record.clone()
                },
            ));
        }
        batch.payouts.push((entered, record));
    }
    // Keys come sorted from the map; values are sorted here, so the batch
    // holds each lead's tags in (key, value) order.
    for (key, values) in &scripted.client_tags {
        let mut values: Vec<&String> = values.iter().collect();
        values.sort();
        for value in values {
            push_tag(batch, &lead, key, value, lead.created_at);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;
    use crate::apis::engine::auth::Companies;
    use crate::apis::engine::fixtures::EngineFixtures;
    use crate::shared::time::parse_rfc3339;

    fn company(leads_per_day: f64) -> std::sync::Arc<Company> {
        let fixtures: EngineFixtures = serde_json::from_value(serde_json::json!({"companies": [{
            "name": "T", "uuid": "3f1a6c2e-8b4d-4e7a-9c21-5d0b7e9f4a10",
            "confidentialToken": "c", "publishableToken": "p", "leadsPerDay": leads_per_day
        }]}))
        .unwrap_or_default();
        Companies::from_fixtures(&fixtures).all()[0].clone()
    }

    fn hours(company: &Company, from: &str, count: i64) -> Vec<Batch> {
        let start = parse_rfc3339(from).unwrap_or_default();
        let sim = Simulation {
            seed: Seed::new(42),
            company,
            tag: lead_ids::company_tag(Seed::new(42), company.uuid),
        };
        (0..count)
            .map(|h| sim.hour(start + TimeDelta::hours(h)))
            .collect()
    }

    #[test]
    fn generation_is_a_pure_function_of_its_inputs() {
        let c = company(240.0);
        let a = hours(&c, "2020-01-01T00:00:00Z", 3);
        let b = hours(&c, "2020-01-01T00:00:00Z", 3);
        assert_eq!(
            a.iter().map(Batch::lead_events).collect::<Vec<_>>(),
            b.iter().map(Batch::lead_events).collect::<Vec<_>>()
        );
    }

    #[test]
    fn volume_follows_the_configured_daily_mean() {
        let c = company(240.0);
        let batches = hours(&c, "2020-01-06T00:00:00Z", 24 * 14);
        let leads = batches
            .iter()
            .flat_map(Batch::lead_events)
            .filter(|e| e.event_type == EventType::LeadCreated)
            .count() as f64;
        let per_day = leads / 14.0;
        assert!((216.0..=264.0).contains(&per_day), "{per_day} leads/day");
        // Evenings (US) are busier than mornings (US night).
        let count_at = |h: u32| {
            batches
                .iter()
                .flat_map(Batch::lead_events)
                .filter(|e| e.event_type == EventType::LeadCreated && e.lead_created_at.hour() == h)
                .count()
        };
        assert!(
            count_at(0) > 2 * count_at(9),
            "{} vs {}",
            count_at(0),
            count_at(9)
        );
    }

    #[test]
    fn every_record_stays_within_the_lookback_of_its_lead() {
        let c = company(500.0);
        for batch in hours(&c, "2021-03-01T00:00:00Z", 48) {
            let events = batch.lead_events();
            for e in &events {
                assert!(e.event_created_at >= e.lead_created_at);
                assert!(e.event_created_at - e.lead_created_at <= Lookback::EVENTS);
                assert!(e.amount_in_cents.is_none_or(|a| a > 0));
            }
            let created: HashMap<Uuid, DateTime<Utc>> = events
                .iter()
                .filter(|e| e.event_type == EventType::LeadCreated)
                .map(|e| (e.lead_uuid, e.lead_created_at))
                .collect();
            for (at, p) in &batch.payouts {
                let lead_created = created[&p.lead_uuid];
                assert!(
                    *at - lead_created <= Lookback::PAYOUTS,
                    "payout record {at} of lead {lead_created}"
                );
                assert!(p.deleted_at.is_none_or(|d| d > p.booked_at && d == *at));
            }
            for t in &batch.tags {
                let lead_created = created[&t.lead_uuid];
                assert!(t.created_at >= lead_created && t.created_at - lead_created <= Lookback::CLIENT_TAGS);
            }
        }
    }

    #[test]
    fn funnels_run_in_order() {
        use EventType::*;
        let c = company(800.0);
        let mut by_lead: BTreeMap<Uuid, Vec<LeadEvent>> = BTreeMap::new();
        let mut payouts = Vec::new();
        for batch in hours(&c, "2021-03-01T00:00:00Z", 72) {
            for e in batch.lead_events() {
                by_lead.entry(e.lead_uuid).or_default().push(e);
            }
            payouts.extend(batch.payouts.into_iter().map(|(_, p)| p));
        }
        let mut seen_types = std::collections::BTreeSet::new();
        for events in by_lead.values_mut() {
            events.sort_by_key(|e| (e.event_created_at, e.event_type));
            assert_eq!(events[0].event_type, LeadCreated);
            let time_of = |t: EventType| {
                events
                    .iter()
                    .find(|e| e.event_type == t)
                    .map(|e| e.event_created_at)
            };
            let order = [
                (AppSubmitted, LeadCreated),
                (ApiApproved, AppSubmitted),
                (ApiRejected, AppSubmitted),
                (OfferClicked, ApiApproved),
                (Applied, OfferClicked),
                (Conversion, OfferClicked),
                (Approved, Applied),
                (LenderQualifiedLead, Applied),
                (Listed, Approved),
                (Funded, Approved),
                (Opened, Approved),
            ];
            for (later, earlier) in order {
                if let Some(t) = time_of(later) {
                    let before = time_of(earlier);
                    assert!(
                        before.is_some_and(|b| b <= t),
                        "{later:?} without an earlier {earlier:?}: {events:#?}"
                    );
                }
            }
            for e in events.iter() {
                seen_types.insert(e.event_type);
                assert_eq!(
                    e.financial_institution_uuid.is_some(),
                    e.event_type.involves_institution()
                );
                assert_eq!(
                    e.financial_institution_name.is_some(),
                    e.event_type.involves_institution()
                );
            }
            // A click goes to a lender that approved the lead.
            if let Some(click) = events.iter().find(|e| e.event_type == OfferClicked) {
                assert!(events.iter().any(|e| e.event_type == ApiApproved
                    && e.financial_institution_uuid == click.financial_institution_uuid));
            }
        }
        for t in [
            LeadCreated,
            AppSubmitted,
            ApiApproved,
            ApiRejected,
            OfferClicked,
            Applied,
            Approved,
            Funded,
            Opened,
        ] {
            assert!(seen_types.contains(&t), "{t:?} never generated");
        }
        // Payouts follow a converting event of their lead.
        assert!(!payouts.is_empty());
        for p in &payouts {
            let events = &by_lead[&p.lead_uuid];
            let converted = events
                .iter()
                .filter(|e| matches!(e.event_type, Funded | Opened | Conversion))
                .map(|e| e.event_created_at)
                .min();
            assert!(
                converted.is_some_and(|c| c <= p.booked_at),
                "payout without conversion"
            );
        }
    }

    #[test]
    fn a_company_without_volume_generates_nothing() {
        let c = company(0.0);
        assert!(
            hours(&c, "2021-03-01T00:00:00Z", 24)
                .iter()
                .all(|b| b.events.is_empty())
        );
    }

    #[test]
    fn poisson_mean_is_right_for_small_and_large_means() {
        let mut rng = Seed::new(1).rng("poisson", ());
        for mean in [0.5, 4.0, 80.0] {
            let n = 4000;
            let total: usize = (0..n).map(|_| poisson(&mut rng, mean)).sum();
            let observed = total as f64 / f64::from(n);
            assert!(
                (observed - mean).abs() < mean * 0.08 + 0.05,
                "mean {mean}: {observed}"
            );
        }
    }
}
