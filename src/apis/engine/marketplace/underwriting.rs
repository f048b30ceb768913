//! Who answers a lead, when, and with what: a pure function of the seed,
//! the lead and the rate table, so the same submission always gets the
//! same offers.

use chrono::{DateTime, TimeDelta, Utc};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use super::super::models::{ProductType, RejectReason};
use super::catalog::CatalogProduct;
use super::lead::{LeadInput, Script};
use super::lenders::{self, Lender};
use crate::shared::seed::{Derivation, Seed};

/// One lender's answer for one product.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) lender: &'static Lender,
    pub(crate) product: ProductType,
    /// When the answer arrives: within the submission for synchronous
    /// lenders (a second apart, so no two events share an id), later on the
    /// virtual clock for asynchronous ones.
    pub(crate) at: DateTime<Utc>,
    /// Answers after the rate table was returned (`pendingResponses` until
    /// it arrives, see [`Wait`]).
    pub(crate) late: bool,
    pub(crate) wait: Wait,
    pub(crate) decision: Decision,
    /// The catalog product an Offer Search asked for; `None` in 1.106.0 rate tables.
    pub(crate) catalog: Option<&'static CatalogProduct>,
}

/// When a late answer arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// When the virtual clock passes its `at`.
    Clock,
    /// At `at`, or once its table was polled this many times (Offer
    /// Searches: a client's real-time polling converges on a frozen clock).
    ClockOrPoll(u32),
    /// Never: a scripted silent partner.
    Never,
}

impl Answer {
    /// Whether the answer is in its table at `now`, after `polls` reads.
    pub(crate) fn arrived(&self, now: DateTime<Utc>, polls: u32) -> bool {
        !self.late
            || match self.wait {
                Wait::Clock => self.at <= now,
                Wait::ClockOrPoll(by) => self.at <= now || polls >= by,
                Wait::Never => false,
            }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Decision {
    Offer(Terms),
    Declined(RejectReason),
}

/// An offer's numbers; the lender's catalogue entry says the rest.
#[derive(Debug, Clone)]
pub(crate) struct Terms {
    pub(crate) uuid: Uuid,
    /// Loans: the amount offered (dollars); savings: the minimum deposit.
    pub(crate) amount: Option<i64>,
    /// Loans and cards: APR in percent.
    pub(crate) apr: Option<f64>,
    pub(crate) term_months: Option<i64>,
    pub(crate) pre_approved: bool,
    pub(crate) pre_qualified: bool,
    pub(crate) recommendation_score: f64,
    pub(crate) conversion_probability: f64,
    /// What the partner earns when it converts, in dollars.
    pub(crate) payout: f64,
}

impl Terms {
    /// The monthly payment of an amortised loan, to the cent.
    pub(crate) fn monthly_payment(&self) -> Option<f64> {
        let (amount, apr, months) = (self.amount?, self.apr?, self.term_months?);
        Some(monthly_payment(amount as f64, apr, months))
    }
}

/// `P·r / (1 − (1 + r)^−n)` with `r` the monthly rate; `P/n` at 0%.
pub(crate) fn monthly_payment(principal: f64, apr: f64, months: i64) -> f64 {
    let n = months.max(1) as f64;
    let r = apr / 1200.0;
    let payment = if r == 0.0 { principal / n } else { principal * r / (1.0 - (1.0 + r).powf(-n)) };
    cents(payment)
}

pub(crate) fn cents(dollars: f64) -> f64 {
    (dollars * 100.0).round() / 100.0
}

/// The answers to one rate table, in the order they arrive.
pub(crate) fn answers(
    seed: Seed,
    rate_table: Uuid,
    input: &LeadInput,
    built_at: DateTime<Utc>,
) -> Vec<Answer> {
    let mut answers = Vec::new();
    let mut products = input.products.clone();
    products.sort();
    products.dedup();
    let answer_keys = seed.derivation("engine.marketplace.answer", rate_table);
    let offer_keys = seed.derivation("engine.marketplace.offer", rate_table);
    for product in products {
        for lender in lenders::offering(product) {
            let mut rng = answer_keys.rng((lender.institution.uuid, product as u64));
            let late = lender.asynchronous || input.script == Script::Slow;
            let decision = match decline_reason(lender, product, input, &mut rng) {
                Some(reason) => Decision::Declined(reason),
                None => Decision::Offer(terms(&offer_keys, lender, product, input, &mut rng)),
            };
            answers.push((late, rng.random_range(15..=90i64), Answer {
                lender,
                product,
                at: built_at,
                late,
                wait: Wait::Clock,
                decision,
                catalog: None,
            }));
        }
    }
    stamp(built_at, answers)
}

/// Answers `(late, delay in seconds, answer)` in the order they arrive,
/// each stamped: synchronous ones first, a second apart; then the late ones
/// in the order of their delays, each at its own second.
pub(crate) fn stamp(built_at: DateTime<Utc>, mut answers: Vec<(bool, i64, Answer)>) -> Vec<Answer> {
    answers.sort_by_key(|(late, delay, _)| (*late, if *late { *delay } else { 0 }));
    let mut last = built_at;
    answers
        .into_iter()
        .map(|(late, delay, mut answer)| {
            let wanted = if late { built_at + TimeDelta::seconds(delay) } else { last };
            answer.at = wanted.max(last + TimeDelta::seconds(1));
            last = answer.at;
            answer
        })
        .collect()
}

fn decline_reason(lender: &Lender, product: ProductType, input: &LeadInput, rng: &mut ChaCha8Rng) -> Option<RejectReason> {
    let roll: f64 = rng.random();
    if input.script == Script::Decline {
        return Some(RejectReason::UnderwritingDecline);
    }
    if input.state.as_deref().is_some_and(|s| lender.excluded_states.contains(&s)) {
        return Some(RejectReason::NotInActiveState);
    }
    if product != ProductType::Savings {
        if input.band > lender.min_band {
            return Some(RejectReason::LowFico);
        }
        if input.annual_income.unwrap_or(0) < lender.min_income {
            return Some(RejectReason::DebtToIncomeRatio);
        }
    }
    if let (ProductType::Loan, Some(loan), Some(amount)) = (product, &lender.loan, input.loan_amount)
        && amount < loan.amount.0
    {
        return Some(RejectReason::UnderwritingDecline);
    }
    // Better credit, better odds.
    let chance = lender.approval * (1.0 - 0.25 * input.band.position());
    (roll >= chance).then_some(RejectReason::UnderwritingDecline)
}

/// An offer's terms; `offer_keys` derives its uuid, from its rate table's
/// ("engine.marketplace.offer", (rate table, lender, product)).
fn terms(
    offer_keys: &Derivation,
    lender: &Lender,
    product: ProductType,
    input: &LeadInput,
    rng: &mut ChaCha8Rng,
) -> Terms {
    let uuid = offer_keys.uuid((lender.institution.uuid, product as u64));
    let position = input.band.position();
    let jitter = rng.random_range(-0.05..0.05);
    let apr_in = |(best, worst): (f64, f64)| ((best + (worst - best) * (position + jitter).clamp(0.0, 1.0)) * 100.0).round() / 100.0;
    let (amount, apr, term_months, payout) = match product {
        ProductType::Loan => {
            let loan = lender.loan.as_ref();
            let (min, max) = loan.map_or((1_000, 10_000), |l| l.amount);
            let asked = input.loan_amount.unwrap_or(max / 2);
            // Lenders offer what was asked, within their limits, in hundreds.
            let amount = (asked.clamp(min, max) / 100 * 100).max(min);
            let terms = loan.map_or(&[36][..], |l| l.terms_months);
            let term = terms[rng.random_range(0..terms.len())];
            let apr = apr_in(loan.map_or((9.99, 29.99), |l| l.apr));
            (Some(amount), Some(apr), Some(term), cents(amount as f64 * rng.random_range(0.01..0.03)))
        }
        ProductType::CreditCard => {
            let card = lender.card.as_ref();
            let apr = apr_in(card.map_or((19.99, 29.99), |c| c.purchase_apr));
            (None, Some(apr), None, f64::from(rng.random_range(50..=200)))
        }
        _ => {
            let deposit = lender.savings.as_ref().map_or(0.0, |s| s.minimum_deposit);
            (Some(deposit as i64), None, None, f64::from(rng.random_range(25..=150)))
        }
    };
    Terms {
        uuid,
        amount,
        apr,
        term_months,
        pre_approved: rng.random_bool(0.35),
        pre_qualified: rng.random_bool(0.8),
        recommendation_score: f64::from(rng.random_range(500..2_000)),
        conversion_probability: (rng.random_range(0.02..0.25f64) * 1e4).round() / 1e4,
        payout,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apis::engine::marketplace::lead::CreditBand;

    fn input(band: CreditBand, script: Script) -> LeadInput {
        LeadInput {
            products: vec![ProductType::Loan, ProductType::Savings],
            loan_amount: Some(10_000),
            loan_purpose: Some("debt_consolidation".into()),
            band,
            annual_income: Some(80_000),
            state: Some("NY".into()),
            card_purposes: Vec::new(),
            allow_annual_fee: true,
            min_deposit: None,
            script,
        }
    }

    #[test]
    fn payments_amortise() {
        // $10,000 at 12% over 36 months: the textbook $332.14.
        assert_eq!(monthly_payment(10_000.0, 12.0, 36), 332.14);
        assert_eq!(monthly_payment(1_200.0, 0.0, 12), 100.0);
    }

    #[test]
    fn answers_are_deterministic_ordered_and_at_distinct_seconds() {
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let table = Uuid::from_u128(2);
        let a = answers(Seed::new(1), table, &input(CreditBand::Good, Script::None), t);
        let b = answers(Seed::new(1), table, &input(CreditBand::Good, Script::None), t);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert!(a.windows(2).all(|w| w[0].at < w[1].at));
        assert!(a.iter().any(|x| x.late) && a.iter().any(|x| !x.late));
        // Excluded states decline, whatever the roll.
        assert!(a.iter().filter(|x| x.lender.excluded_states.contains(&"NY")).all(|x| matches!(x.decision, Decision::Declined(RejectReason::NotInActiveState))));
        let declined = answers(Seed::new(1), table, &input(CreditBand::Excellent, Script::Decline), t);
        assert!(declined.iter().all(|x| matches!(x.decision, Decision::Declined(_))));
        let slow = answers(Seed::new(1), table, &input(CreditBand::Excellent, Script::Slow), t);
        assert!(slow.iter().all(|x| x.late && x.at > t + TimeDelta::seconds(14)));
    }

    #[test]
    fn offers_stay_within_the_lenders_terms() {
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        for n in 0..50u128 {
            for answer in answers(Seed::new(7), Uuid::from_u128(n + 100), &input(CreditBand::Excellent, Script::None), t) {
                let (Decision::Offer(terms), Some(loan)) = (&answer.decision, &answer.lender.loan) else { continue };
                if answer.product != ProductType::Loan {
                    continue;
                }
                let amount = terms.amount.unwrap_or_default();
                assert!((loan.amount.0..=loan.amount.1).contains(&amount));
                let apr = terms.apr.unwrap_or_default();
                assert!(apr >= loan.apr.0 && apr <= loan.apr.1, "{apr}");
                assert!(loan.terms_months.contains(&terms.term_months.unwrap_or_default()));
            }
        }
    }
}
