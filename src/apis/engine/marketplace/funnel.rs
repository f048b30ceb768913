//! A submitted lead's life in supply analytics: `leadCreated` and its
//! client tags at submission, `appSubmitted` per rate table, each lender's
//! `apiApproved`/`apiRejected` when it answers, `offerClicked` when an
//! offer URL is followed, then the lender's funnel (applied, approved,
//! funded or opened, a payout) on the virtual clock, deterministic from
//! the seed, the lead and the offer.

use std::borrow::Cow;

use chrono::{DateTime, TimeDelta, Utc};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::super::generator::{Batch, GeneratedLead, InstitutionRef, push_lead_event as push};
use super::super::models::{EventType, Ingestion, LeadClientTag, LeadPayout, ProductType};
use super::lead::Script;
use super::store::{Click, SubmittedLead};
use super::underwriting::{Answer, Decision, Wait};
use crate::shared::seed::Seed;

/// Appends every record of `lead` to `batch` (sorted by the caller).
pub(crate) fn add(seed: Seed, lead: &SubmittedLead, batch: &mut Batch) {
    let entry = |product: ProductType| GeneratedLead {
        uuid: lead.uuid,
        created_at: lead.created_at,
        product,
        is_test: lead.is_test,
        event_data: lead.event_data,
        sub_account: lead.sub_account,
    };
    let first = batch.add_lead(entry(lead.primary_product()));
    push(batch, first, EventType::LeadCreated, lead.created_at, None, None, None);
    for (key, value) in &lead.checked.client_tags {
        batch.tags.push(LeadClientTag {
            hash: String::new(),
            lead_uuid: lead.uuid,
            key: Cow::Owned(key.clone()),
            value: Cow::Owned(value.clone()),
            created_at: lead.created_at,
            ingestion: Ingestion {
                pagination_timestamp: lead.created_at,
                sub_account: lead.sub_account,
            },
        });
    }
    for (t, table) in lead.rate_tables.iter().enumerate() {
        push(batch, first, EventType::AppSubmitted, table.built_at, None, None, None);
        // One entry per product of the table, so each event names its
        // product and each lender's offer its own uuid.
        let mut entries: Vec<(ProductType, u32)> = Vec::new();
        for (a, answer) in table.answers.iter().enumerate() {
            if answer.wait == Wait::Never {
                // A silent partner: no answer, so no record.
                continue;
            }
            let index = match entries.iter().find(|(p, _)| *p == answer.product) {
                Some((_, index)) => *index,
                None => {
                    let index = batch.add_lead(entry(answer.product));
                    entries.push((answer.product, index));
                    index
                }
            };
            let institution = InstitutionRef::Listed(answer.lender.institution);
            match &answer.decision {
                Decision::Offer(terms) => {
                    batch.offers.insert((index, answer.lender.institution.uuid), terms.uuid);
                    push(batch, index, EventType::ApiApproved, answer.at, Some(institution), None, None);
                }
                Decision::Declined(reason) => {
                    push(batch, index, EventType::ApiRejected, answer.at, Some(institution), None, Some(*reason));
                }
            }
            for click in lead.clicks.iter().filter(|c| c.rate_table == t && c.answer == a) {
                clicked(seed, lead, answer, click, index, batch);
            }
        }
    }
}

/// The offer's click and what the lender then reports.
fn clicked(seed: Seed, lead: &SubmittedLead, answer: &Answer, click: &Click, index: u32, batch: &mut Batch) {
    let Decision::Offer(terms) = &answer.decision else {
        return;
    };
    let institution = Some(InstitutionRef::Listed(answer.lender.institution));
    push(batch, index, EventType::OfferClicked, click.at, institution, None, None);
    let mut rng = seed.rng("engine.marketplace.funnel", (lead.uuid, terms.uuid));
    let script = lead.checked.input.script;
    let (apply, approve, convert) = match answer.product {
        ProductType::Loan => (0.55, 0.5, 0.7),
        ProductType::CreditCard => (0.6, 0.55, 0.8),
        _ => (0.5, 0.9, 0.7),
    };
    let forced = script == Script::Fund;
    if script == Script::NoFund || !(forced || rng.random_bool(apply)) {
        return;
    }
    // Scripted (`+fund`): applied an hour after the click, approved after
    // a day, funded or opened after three, booked an hour later.
    let at = |rng: &mut ChaCha8Rng, fixed: DateTime<Utc>, base: DateTime<Utc>, lo: i64, hi: i64| {
        if forced { fixed } else { base + TimeDelta::seconds(rng.random_range(lo..=hi)) }
    };
    // Loans report amounts in cents; cards and accounts none.
    let amount = (answer.product == ProductType::Loan)
        .then(|| terms.amount.and_then(|a| i32::try_from(a * 100).ok()))
        .flatten();
    let applied = at(&mut rng, click.at + TimeDelta::hours(1), click.at, 300, 2 * 86_400);
    push(batch, index, EventType::Applied, applied, institution, amount, None);
    if !(forced || rng.random_bool(approve)) {
        return;
    }
    let approved = at(&mut rng, click.at + TimeDelta::days(1), applied, 1800, 2 * 86_400);
    push(batch, index, EventType::Approved, approved, institution, amount, None);
    if !(forced || rng.random_bool(convert)) {
        return;
    }
    let outcome = if answer.product == ProductType::Loan { EventType::Funded } else { EventType::Opened };
    let done = at(&mut rng, click.at + TimeDelta::days(3), approved, 3600, 3 * 86_400);
    push(batch, index, outcome, done, institution, amount.filter(|_| outcome == EventType::Funded), None);
    let booked_at = at(&mut rng, done + TimeDelta::hours(1), done, 60, 86_400);
    batch.payouts.push((
        booked_at,
        LeadPayout {
            lead_uuid: lead.uuid,
            booked_at,
            payout_in_cents: (terms.payout * 100.0).round(),
            uuid: seed.uuid("engine.marketplace.payout", (lead.uuid, terms.uuid)),
            deleted_at: None,
            financial_institution_name: Some(Cow::Borrowed(answer.lender.institution.name)),
            financial_institution_uuid: Some(answer.lender.institution.uuid),
            ingestion: Ingestion {
                pagination_timestamp: booked_at,
                sub_account: lead.sub_account,
            },
            product: answer.product,
        },
    ));
}
