//! The offer catalogue behind Offer Searches and channel offers (what
//! Engine's offer carousel shows): every catalog product-type slug the
//! carousel knows, each offered by some of leadsim's lenders, as generic
//! offers (`BaseOffer`) customised to a lead.
//!
//! Slugs are the offer catalog's (`EarnedWageAccess`, `UnsecuredPersonalLoan`,
//! ...), not 1.106.0's `ProductType`; each maps to the `ProductType` its
//! analytics records carry.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use rand::RngExt;
use serde::Serialize;
use uuid::Uuid;

use super::super::models::{ProductType, RejectReason};
use super::lead::{LeadInput, Script};
use super::lenders::{self, Lender};
use super::render::logo;
use crate::shared::json_writer::{Object, write_f64, write_str, write_uuid};
use super::underwriting::{Answer, Decision, Terms, Wait};
use crate::shared::seed::Seed;

/// What kind of product a slug is: which `BaseOffer` ranges its offers carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Amount, APR and term ranges.
    Loan,
    /// Small advances: amount range, monthly and fast-transfer fees.
    Advance,
    /// APR range and type.
    Card,
    /// APY, opening deposit, monthly and ATM fees.
    Deposit,
    /// Advisory fee and opening deposit.
    Investing,
    /// Debt amount and enrolment fee.
    Debt,
    /// A monthly fee.
    Service,
}

/// One catalog product type.
#[derive(Debug)]
pub(crate) struct CatalogProduct {
    pub(crate) slug: &'static str,
    pub(crate) display_name: &'static str,
    pub(crate) kind: Kind,
    /// What its analytics records name.
    pub(crate) product: ProductType,
    /// Lender keys ([`lenders::all`]), in catalogue order.
    lenders: &'static [&'static str],
}

impl CatalogProduct {
    pub(crate) fn lenders(&self) -> impl Iterator<Item = &'static Lender> + '_ {
        self.lenders
            .iter()
            .filter_map(|key| lenders::all().iter().find(|l| l.key == *key))
    }
}

/// Every slug the carousel 2.1.1 names (its `ProductTypes` and its card
/// layouts): 34.
const PRODUCTS: &[(&str, &str, Kind, ProductType, &[&str])] = {
    use Kind::*;
    use ProductType::{CreditCard as Cards, Generic, Loan as Loans, Mortgage, Other, Savings};
    &[
        ("UnsecuredPersonalLoan", "Personal Loan", Loan, Loans, &["northwind", "harbor", "bluepeak", "oakmont"]),
        ("SecuredPersonalLoan", "Secured Personal Loan", Loan, Loans, &["cedarstone", "summitridge"]),
        ("CreditBuilderLoan", "Credit Builder Loan", Loan, Loans, &["lumen", "cedarstone", "bluepeak"]),
        ("AutomobileLoan", "Auto Loan", Loan, Loans, &["prairiestate", "oakmont"]),
        ("AutomobileRefinance", "Auto Refinance", Loan, Loans, &["northwind", "oakmont"]),
        ("StudentLoan", "Student Loan", Loan, Loans, &["harbor", "summitridge"]),
        ("StudentLoanRefinance", "Student Loan Refinance", Loan, Loans, &["harbor", "northwind", "summitridge"]),
        ("HomeEquityLoan", "Home Equity Loan", Loan, Mortgage, &["cedarstone", "summitridge"]),
        ("HomeEquityLineOfCredit", "Home Equity Line of Credit", Loan, Mortgage, &["cedarstone", "summitridge"]),
        ("UnsecuredLineOfCredit", "Personal Line of Credit", Loan, Loans, &["lumen", "bluepeak"]),
        ("BusinessLineOfCredit", "Business Line of Credit", Loan, Loans, &["prairiestate", "oakmont"]),
        ("BusinessLendingMarketplace", "Business Lending", Loan, Loans, &["northwind", "oakmont"]),
        ("RevenueBasedFinancing", "Revenue-Based Financing", Loan, Loans, &["prairiestate", "oakmont"]),
        ("CashAdvance", "Cash Advance", Advance, Generic, &["lumen", "cedarstone", "bluepeak"]),
        ("EarnedWageAccess", "Earned Wage Access", Advance, Generic, &["tidewater", "lumen", "granitepeak"]),
        ("OverdraftProtection", "Overdraft Protection", Advance, Generic, &["cedarstone", "granitepeak"]),
        ("UnsecuredCreditCard", "Credit Card", Card, Cards, &["cedarstone", "brightline", "bluepeak", "granitepeak"]),
        ("SecuredCreditCard", "Secured Credit Card", Card, Cards, &["cedarstone", "granitepeak"]),
        ("CreditBuilderSecuredCreditCard", "Credit Builder Card", Card, Cards, &["cedarstone", "bluepeak"]),
        ("CashRewards", "Cash Rewards Card", Card, Cards, &["granitepeak", "bluepeak", "brightline"]),
        ("CreditBuilderDebitCard", "Credit Builder Debit Card", Deposit, Savings, &["tidewater", "cedarstone"]),
        ("CashManagementAccount", "Cash Management Account", Deposit, Savings, &["tidewater", "summitridge"]),
        ("BankingAccount", "Online Banking", Deposit, Savings, &["tidewater", "cedarstone", "granitepeak"]),
        ("CheckingAccount", "Checking Account", Deposit, Savings, &["cedarstone", "tidewater"]),
        ("BrokerageAccount", "Brokerage Account", Investing, Other, &["granitepeak", "oakmont"]),
        ("RoboInvesting", "Automated Investing", Investing, Other, &["tidewater", "summitridge", "granitepeak"]),
        ("DebtSettlement", "Debt Relief", Debt, Other, &["prairiestate", "oakmont"]),
        ("IncomeOpportunities", "Earn Extra Income", Service, Other, &["lumen", "tidewater"]),
        ("RentUtilityBillReporting", "Rent Reporting", Service, Other, &["cedarstone", "lumen"]),
        ("BudgetingTools", "Budgeting App", Service, Other, &["tidewater", "granitepeak"]),
        ("TaxFiling", "Tax Filing", Service, Other, &["tidewater", "summitridge"]),
        ("CreditMonitoring", "Credit Monitoring", Service, Other, &["cedarstone", "bluepeak"]),
        ("CancellationServices", "Subscription Cancellation", Service, Other, &["lumen", "prairiestate"]),
        ("CreditRepair", "Credit Repair", Service, Other, &["prairiestate", "bluepeak"]),
    ]
};

static CATALOG: LazyLock<Vec<CatalogProduct>> = LazyLock::new(|| {
    PRODUCTS
        .iter()
        .map(|&(slug, display_name, kind, product, lenders)| CatalogProduct {
            slug,
            display_name,
            kind,
            product,
            lenders,
        })
        .collect()
});

/// Every catalog product, in catalogue order.
pub(crate) fn all() -> &'static [CatalogProduct] {
    &CATALOG
}

/// The catalog product of a slug (exact spelling, as the vendor's are).
pub(crate) fn product(slug: &str) -> Option<&'static CatalogProduct> {
    all().iter().find(|p| p.slug == slug)
}

/// A lender named as a search response shows it: its `name` or `uuid`.
pub(crate) fn lender_named(name: &str) -> Option<&'static Lender> {
    lenders::all()
        .iter()
        .find(|l| l.institution.name == name || l.institution.uuid.to_string() == name.to_ascii_lowercase())
}

/// How an offer search's partners behave, scripted by fixtures.
#[derive(Debug, Default, Clone)]
pub(crate) struct Behaviour {
    /// Never answer: they stay in `pendingResponses`.
    pub(crate) silent: Vec<&'static Lender>,
    /// Answer only on the virtual clock (15 to 90 s), not as the client polls.
    pub(crate) slow: Vec<&'static Lender>,
    /// Product types nobody offers.
    pub(crate) no_offers: Vec<&'static str>,
}

/// Polls by which a late partner has answered at the latest: the carousel
/// polls five times, and must see `pendingResponses` empty by its last,
/// even on a frozen virtual clock.
pub(crate) const ANSWERED_BY_POLL: u32 = 3;

/// The answers to one offer search, in the order they arrive: the
/// synchronous lenders' within the search (a second apart), the others 2 to
/// 10 s later on the virtual clock, or by a poll, whichever comes first.
pub(crate) fn answers(
    seed: Seed,
    search: Uuid,
    slugs: &[&'static CatalogProduct],
    input: &LeadInput,
    behaviour: &Behaviour,
    built_at: DateTime<Utc>,
) -> Vec<Answer> {
    let mut answers = Vec::new();
    for product in slugs {
        if behaviour.no_offers.contains(&product.slug) {
            continue;
        }
        for lender in product.lenders() {
            let mut rng = seed.rng("engine.catalog.answer", (search, lender.institution.uuid, product.slug));
            let silent = behaviour.silent.iter().any(|l| l.key == lender.key);
            let slow = input.script == Script::Slow || behaviour.slow.iter().any(|l| l.key == lender.key);
            let late = lender.asynchronous || silent || slow;
            let delay = if slow { rng.random_range(15..=90i64) } else { rng.random_range(2..=10i64) };
            let decision = if input.script == Script::Decline {
                Decision::Declined(RejectReason::UnderwritingDecline)
            } else if input.state.as_deref().is_some_and(|s| lender.excluded_states.contains(&s)) {
                Decision::Declined(RejectReason::NotInActiveState)
            } else {
                Decision::Offer(terms(seed, search, lender, product, &mut rng))
            };
            let wait = match (late, silent, slow) {
                (false, _, _) => Wait::Clock,
                (true, true, _) => Wait::Never,
                (true, false, true) => Wait::Clock,
                (true, false, false) => Wait::ClockOrPoll(1 + (answers.len() as u32 % ANSWERED_BY_POLL)),
            };
            answers.push((late, delay, Answer {
                lender,
                product: product.product,
                catalog: Some(product),
                at: built_at,
                late,
                wait,
                decision,
            }));
        }
    }
    super::underwriting::stamp(built_at, answers)
}

fn terms(
    seed: Seed,
    search: Uuid,
    lender: &'static Lender,
    product: &CatalogProduct,
    rng: &mut rand_chacha::ChaCha8Rng,
) -> Terms {
    Terms {
        uuid: seed.uuid("engine.catalog.offer", (search, lender.institution.uuid, product.slug)),
        amount: None,
        apr: None,
        term_months: None,
        pre_approved: false,
        pre_qualified: rng.random_bool(0.5),
        recommendation_score: f64::from(rng.random_range(100..1_000)) / 1_000.0,
        conversion_probability: (rng.random_range(0.02..0.25f64) * 1e4).round() / 1e4,
        payout: f64::from(rng.random_range(5..=150)),
    }
}

/// The catalog's generic offer of `lender` for `product`, as channel offers
/// show it (no lead): its uuid is stable, name-based.
pub(crate) fn generic_offer_uuid(lender: &Lender, product: &CatalogProduct) -> Uuid {
    Uuid::new_v5(&lender.institution.uuid, format!("catalog offer {}", product.slug).as_bytes())
}

/// The lender and product of a generic (channel) offer uuid.
pub(crate) fn generic_offer(uuid: Uuid) -> Option<(&'static Lender, &'static CatalogProduct)> {
    static INDEX: LazyLock<HashMap<Uuid, (&'static Lender, &'static CatalogProduct)>> = LazyLock::new(|| {
        all()
            .iter()
            .flat_map(|product| product.lenders().map(move |lender| (generic_offer_uuid(lender, product), (lender, product))))
            .collect()
    });
    INDEX.get(&uuid).copied()
}

/// The date generic offers say they were created and last updated: fixed,
/// so a cached catalogue never changes between calls (RFC 3339 in
/// seconds, as `format_seconds` writes it).
const CATALOG_DATE: &str = "2026-01-15T00:00:00Z";

/// What a `BaseOffer` shows that only its lender and product decide: the
/// catalogue is fixed, so each pair's text and ranges are made once (per
/// seed) rather than for every offer of every search.
#[derive(Debug)]
pub(crate) struct Listing {
    lender: &'static Lender,
    product: &'static CatalogProduct,
    image_url: String,
    internal_name: String,
    unmonetized_url: String,
    headline: String,
    description: String,
    keywords: [&'static str; 2],
    description_points: Vec<String>,
    ranges: Ranges,
    /// Its offers' JSON between the members each offer sets.
    json: ListingJson,
}

/// A listing's offers as JSON, but for the members that differ from offer
/// to offer (creation time, score, link, uuid): written once per listing,
/// so an offer copies three pieces instead of escaping its texts again.
#[derive(Debug, Default)]
struct ListingJson {
    /// `{` up to `"createdAt":`.
    to_created: String,
    /// `,"creditBureauReporting"…` up to `"recommendationScore":`.
    to_score: String,
    /// `,"stateExclusions"…` up to `"updatedAt":`.
    to_updated: String,
}

/// The ranges of a product's kind, in cents and basis points.
#[derive(Debug, Default, Clone, Copy)]
struct Ranges {
    account_cents_min: Option<i64>,
    amount_cents_max: Option<i64>,
    amount_cents_min: Option<i64>,
    annual_advisory_fee_basis_points_max: Option<i64>,
    annual_advisory_fee_basis_points_min: Option<i64>,
    annual_percentage_rate_basis_points_max: Option<i64>,
    annual_percentage_rate_basis_points_min: Option<i64>,
    annual_percentage_rate_type: Option<&'static str>,
    annual_percentage_yield_basis_points: Option<i64>,
    credit_bureau_reporting: Option<bool>,
    debt_amount_cents_max: Option<i64>,
    debt_amount_cents_min: Option<i64>,
    enrollment_fee_basis_points_max: Option<i64>,
    enrollment_fee_basis_points_min: Option<i64>,
    fast_transfer_fee_cents_max: Option<i64>,
    fast_transfer_fee_cents_min: Option<i64>,
    monthly_fee_cents_max: Option<i64>,
    monthly_fee_cents_min: Option<i64>,
    out_of_network_atm_usage_fee_cents: Option<i64>,
    term_length_months_max: Option<i64>,
    term_length_months_min: Option<i64>,
}

/// Every (lender, product) pair's [`Listing`] under one seed.
#[derive(Debug)]
pub(crate) struct Listings(HashMap<(&'static str, &'static str), Listing>);

impl Listings {
    pub(crate) fn new(seed: Seed) -> Self {
        let pairs = all().iter().flat_map(|product| product.lenders().map(move |lender| (lender, product)));
        Self(pairs.map(|(lender, product)| ((lender.key, product.slug), listing(seed, lender, product))).collect())
    }

    /// The listing of `lender` for `product` (every catalogue pair has one).
    pub(crate) fn get(&self, lender: &Lender, product: &CatalogProduct) -> Option<&Listing> {
        self.0.get(&(lender.key, product.slug))
    }
}

fn listing(seed: Seed, lender: &'static Lender, product: &'static CatalogProduct) -> Listing {
    let name = lender.institution.name;
    let mut rng = seed.rng("engine.catalog.ranges", (lender.institution.uuid, product.slug));
    let mut ranges = Ranges::default();
    let mut points = Vec::new();
    match product.kind {
        Kind::Loan => {
            let (min, max, (best, worst), months) = match &lender.loan {
                Some(l) => (l.amount.0, l.amount.1, l.apr, l.terms_months),
                None => (1_000, 25_000, (9.99, 29.99), &[12, 36][..]),
            };
            let term = (months.first().copied().unwrap_or(12), months.last().copied().unwrap_or(60));
            ranges.amount_cents_min = Some(min * 100);
            ranges.amount_cents_max = Some(max * 100);
            ranges.annual_percentage_rate_basis_points_min = Some((best * 100.0).round() as i64);
            ranges.annual_percentage_rate_basis_points_max = Some((worst * 100.0).round() as i64);
            ranges.annual_percentage_rate_type = Some("fixed");
            ranges.term_length_months_min = Some(term.0);
            ranges.term_length_months_max = Some(term.1);
            points.push(format!("Borrow ${min} to ${max}"));
            points.push(format!("APRs from {best:.2}% to {worst:.2}%"));
            points.push(format!("Terms of {} to {} months", term.0, term.1));
        }
        Kind::Advance => {
            let max = 100 * rng.random_range(2..=10i64) * 50;
            let fee = rng.random_range(0..=9i64) * 100;
            ranges.amount_cents_min = Some(2_000);
            ranges.amount_cents_max = Some(max);
            ranges.monthly_fee_cents_min = Some(0);
            ranges.monthly_fee_cents_max = Some(fee);
            ranges.fast_transfer_fee_cents_min = Some(199);
            ranges.fast_transfer_fee_cents_max = Some(899);
            points.push(format!("Up to ${} before payday", max / 100));
            points.push("No interest, no credit check".to_owned());
        }
        Kind::Card => {
            let (best, worst) = lender.card.as_ref().map_or((19.99, 29.99), |c| c.purchase_apr);
            ranges.annual_percentage_rate_basis_points_min = Some((best * 100.0).round() as i64);
            ranges.annual_percentage_rate_basis_points_max = Some((worst * 100.0).round() as i64);
            ranges.annual_percentage_rate_type = Some("variable");
            ranges.credit_bureau_reporting = Some(true);
            points.push(format!("{best:.2}% to {worst:.2}% variable APR"));
            points.push("Reports to the three credit bureaus".to_owned());
        }
        Kind::Deposit => {
            let apy = lender.savings.as_ref().map_or(1.5, |s| s.apy);
            let minimum = lender.savings.as_ref().map_or(0.0, |s| s.minimum_deposit);
            ranges.annual_percentage_yield_basis_points = Some((apy * 100.0).round() as i64);
            ranges.account_cents_min = Some((minimum * 100.0).round() as i64);
            ranges.monthly_fee_cents_min = Some(0);
            ranges.monthly_fee_cents_max = Some(0);
            ranges.out_of_network_atm_usage_fee_cents = Some(rng.random_range(0..=3i64) * 100);
            points.push(format!("{apy:.2}% APY"));
            points.push("No monthly fees".to_owned());
        }
        Kind::Investing => {
            let fee = rng.random_range(0..=50i64);
            ranges.annual_advisory_fee_basis_points_min = Some(0);
            ranges.annual_advisory_fee_basis_points_max = Some(fee);
            ranges.account_cents_min = Some(rng.random_range(0..=5i64) * 1_000);
            points.push(format!("Advisory fee up to {:.2}%", fee as f64 / 100.0));
        }
        Kind::Debt => {
            ranges.debt_amount_cents_min = Some(750_000);
            ranges.debt_amount_cents_max = Some(10_000_000);
            ranges.enrollment_fee_basis_points_min = Some(1_500);
            ranges.enrollment_fee_basis_points_max = Some(2_500);
            points.push("For $7,500 or more of unsecured debt".to_owned());
        }
        Kind::Service => {
            let fee = rng.random_range(0..=15i64) * 100;
            ranges.monthly_fee_cents_min = Some(fee);
            ranges.monthly_fee_cents_max = Some(fee);
            points.push(if fee == 0 { "Free to use".to_owned() } else { format!("${} a month", fee / 100) });
        }
    }
    points.push(format!("Offered by {name}"));
    let mut listing = Listing {
        lender,
        product,
        image_url: logo(lender),
        internal_name: format!("{}-{}", lender.key, product.slug),
        unmonetized_url: format!("https://{}.leadsim.invalid/{}", lender.key, product.slug),
        headline: format!("{} from {name}", product.display_name),
        description: format!("A simulated {} offer from {name}.", product.display_name.to_lowercase()),
        keywords: [product.slug, lender.key],
        description_points: points,
        ranges,
        json: ListingJson::default(),
    };
    listing.json = base_offer(&listing, Uuid::nil(), String::new(), 0.0, "").listing_json();
    listing
}

/// A `BaseOffer`: the required members, the catalog fields the carousel
/// renders, and the ranges of its product's kind. Members are declared in
/// name order, the order the vendor's answers (and leadsim's JSON trees
/// before typed offers) have them in.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BaseOffer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    account_cents_min: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount_cents_max: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount_cents_min: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annual_advisory_fee_basis_points_max: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annual_advisory_fee_basis_points_min: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annual_percentage_rate_basis_points_max: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annual_percentage_rate_basis_points_min: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annual_percentage_rate_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annual_percentage_yield_basis_points: Option<i64>,
    created_at: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    credit_bureau_reporting: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    debt_amount_cents_max: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    debt_amount_cents_min: Option<i64>,
    description: &'a str,
    description_points: &'a [String],
    disclaimer: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    enrollment_fee_basis_points_max: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enrollment_fee_basis_points_min: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fast_transfer_fee_cents_max: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fast_transfer_fee_cents_min: Option<i64>,
    financial_institution_display_name: &'static str,
    financial_institution_image_url: &'a str,
    financial_institution_uuid: Uuid,
    headline: &'a str,
    internal_name: &'a str,
    is_monetized: bool,
    keywords: [&'static str; 2],
    legal_language: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    monthly_fee_cents_max: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    monthly_fee_cents_min: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    out_of_network_atm_usage_fee_cents: Option<i64>,
    product_display_name: &'static str,
    product_type: &'static str,
    product_versions: [u32; 1],
    recommendation_score: f64,
    state_exclusions: &'static [&'static str],
    status: &'static str,
    tags: Empty,
    #[serde(skip_serializing_if = "Option::is_none")]
    term_length_months_max: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    term_length_months_min: Option<i64>,
    unmonetized_url: &'a str,
    updated_at: &'a str,
    url: String,
    uuid: Uuid,
    version: u32,
    #[serde(skip)]
    listing_json: &'a ListingJson,
}

/// `{}`.
#[derive(Debug, Serialize)]
struct Empty {}

impl BaseOffer<'_> {
    pub(crate) fn recommendation_score(&self) -> f64 {
        self.recommendation_score
    }

    /// The offer as JSON, written by hand: what serde writes for it (a
    /// test holds the two together). What its listing decides is copied
    /// from [`ListingJson`]; only the members each offer sets are written.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        let json = self.listing_json;
        out.extend_from_slice(json.to_created.as_bytes());
        write_str(out, self.created_at);
        out.extend_from_slice(json.to_score.as_bytes());
        write_f64(out, self.recommendation_score);
        out.extend_from_slice(json.to_updated.as_bytes());
        write_str(out, self.updated_at);
        out.extend_from_slice(b",\"url\":");
        write_str(out, &self.url);
        out.extend_from_slice(b",\"uuid\":");
        write_uuid(out, self.uuid);
        let mut o = Object::continued(out);
        o.int("version", self.version.into());
        o.end();
    }

    /// This offer's [`ListingJson`]: every member written as serde writes
    /// it, the pieces cut at the keys of the members each offer sets.
    fn listing_json(&self) -> ListingJson {
        let mut out = Vec::new();
        let mut o = Object::new(&mut out);
        o.int_if_some("accountCentsMin", self.account_cents_min);
        o.int_if_some("amountCentsMax", self.amount_cents_max);
        o.int_if_some("amountCentsMin", self.amount_cents_min);
        o.int_if_some("annualAdvisoryFeeBasisPointsMax", self.annual_advisory_fee_basis_points_max);
        o.int_if_some("annualAdvisoryFeeBasisPointsMin", self.annual_advisory_fee_basis_points_min);
        o.int_if_some("annualPercentageRateBasisPointsMax", self.annual_percentage_rate_basis_points_max);
        o.int_if_some("annualPercentageRateBasisPointsMin", self.annual_percentage_rate_basis_points_min);
        o.text_if_some("annualPercentageRateType", self.annual_percentage_rate_type);
        o.int_if_some("annualPercentageYieldBasisPoints", self.annual_percentage_yield_basis_points);
        let to_created = o.key("createdAt").len();
        if let Some(reporting) = self.credit_bureau_reporting {
            o.boolean("creditBureauReporting", reporting);
        }
        o.int_if_some("debtAmountCentsMax", self.debt_amount_cents_max);
        o.int_if_some("debtAmountCentsMin", self.debt_amount_cents_min);
        o.text("description", self.description);
        o.array("descriptionPoints", self.description_points, |out, point| write_str(out, point));
        o.text("disclaimer", self.disclaimer);
        o.int_if_some("enrollmentFeeBasisPointsMax", self.enrollment_fee_basis_points_max);
        o.int_if_some("enrollmentFeeBasisPointsMin", self.enrollment_fee_basis_points_min);
        o.int_if_some("fastTransferFeeCentsMax", self.fast_transfer_fee_cents_max);
        o.int_if_some("fastTransferFeeCentsMin", self.fast_transfer_fee_cents_min);
        o.text("financialInstitutionDisplayName", self.financial_institution_display_name);
        o.text("financialInstitutionImageUrl", self.financial_institution_image_url);
        o.uuid("financialInstitutionUuid", self.financial_institution_uuid);
        o.text("headline", self.headline);
        o.text("internalName", self.internal_name);
        o.boolean("isMonetized", self.is_monetized);
        o.array("keywords", self.keywords, write_str);
        o.text("legalLanguage", self.legal_language);
        o.int_if_some("monthlyFeeCentsMax", self.monthly_fee_cents_max);
        o.int_if_some("monthlyFeeCentsMin", self.monthly_fee_cents_min);
        o.int_if_some("outOfNetworkAtmUsageFeeCents", self.out_of_network_atm_usage_fee_cents);
        o.text("productDisplayName", self.product_display_name);
        o.text("productType", self.product_type);
        o.array("productVersions", self.product_versions, |out, version| {
            let _ = serde_json::to_writer(out, &version);
        });
        let to_score = o.key("recommendationScore").len();
        o.array("stateExclusions", self.state_exclusions, |out, state| write_str(out, state));
        o.text("status", self.status);
        o.raw("tags", "{}");
        o.int_if_some("termLengthMonthsMax", self.term_length_months_max);
        o.int_if_some("termLengthMonthsMin", self.term_length_months_min);
        o.text("unmonetizedUrl", self.unmonetized_url);
        let to_updated = o.key("updatedAt").len();
        let piece = |range: std::ops::Range<usize>| String::from_utf8_lossy(&out[range]).into_owned();
        ListingJson {
            to_created: piece(0..to_created),
            to_score: piece(to_created..to_score),
            to_updated: piece(to_score..to_updated),
        }
    }
}

/// `listing` as one offer: its uuid, link, score and creation time
/// (`created`, RFC 3339 in seconds).
pub(crate) fn base_offer<'a>(
    listing: &'a Listing,
    uuid: Uuid,
    url: String,
    recommendation_score: f64,
    created: &'a str,
) -> BaseOffer<'a> {
    let (lender, product, r) = (listing.lender, listing.product, listing.ranges);
    BaseOffer {
        account_cents_min: r.account_cents_min,
        amount_cents_max: r.amount_cents_max,
        amount_cents_min: r.amount_cents_min,
        annual_advisory_fee_basis_points_max: r.annual_advisory_fee_basis_points_max,
        annual_advisory_fee_basis_points_min: r.annual_advisory_fee_basis_points_min,
        annual_percentage_rate_basis_points_max: r.annual_percentage_rate_basis_points_max,
        annual_percentage_rate_basis_points_min: r.annual_percentage_rate_basis_points_min,
        annual_percentage_rate_type: r.annual_percentage_rate_type,
        annual_percentage_yield_basis_points: r.annual_percentage_yield_basis_points,
        created_at: created,
        credit_bureau_reporting: r.credit_bureau_reporting,
        debt_amount_cents_max: r.debt_amount_cents_max,
        debt_amount_cents_min: r.debt_amount_cents_min,
        description: &listing.description,
        description_points: &listing.description_points,
        disclaimer: "Terms are illustrative and generated for testing.",
        enrollment_fee_basis_points_max: r.enrollment_fee_basis_points_max,
        enrollment_fee_basis_points_min: r.enrollment_fee_basis_points_min,
        fast_transfer_fee_cents_max: r.fast_transfer_fee_cents_max,
        fast_transfer_fee_cents_min: r.fast_transfer_fee_cents_min,
        financial_institution_display_name: lender.institution.name,
        financial_institution_image_url: &listing.image_url,
        financial_institution_uuid: lender.institution.uuid,
        headline: &listing.headline,
        internal_name: &listing.internal_name,
        is_monetized: true,
        keywords: listing.keywords,
        legal_language: "Simulated offer from leadsim: no product, rate or credit decision is real.",
        monthly_fee_cents_max: r.monthly_fee_cents_max,
        monthly_fee_cents_min: r.monthly_fee_cents_min,
        out_of_network_atm_usage_fee_cents: r.out_of_network_atm_usage_fee_cents,
        product_display_name: product.display_name,
        product_type: product.slug,
        product_versions: [1],
        recommendation_score,
        state_exclusions: lender.excluded_states,
        status: "active",
        tags: Empty {},
        term_length_months_max: r.term_length_months_max,
        term_length_months_min: r.term_length_months_min,
        unmonetized_url: &listing.unmonetized_url,
        updated_at: created,
        url,
        uuid,
        version: 1,
        listing_json: &listing.json,
    }
}

/// A channel's cached offers for `slugs`: every lender's generic offer,
/// the same for every caller.
pub(crate) fn channel_offers<'a>(
    seed: Seed,
    listings: &'a Listings,
    slugs: &[&'static CatalogProduct],
    link: impl Fn(Uuid) -> String,
) -> Vec<BaseOffer<'a>> {
    slugs
        .iter()
        .flat_map(|product| product.lenders().map(move |lender| (lender, *product)))
        .filter_map(|(lender, product)| {
            let listing = listings.get(lender, product)?;
            let uuid = generic_offer_uuid(lender, product);
            let mut rng = seed.rng("engine.catalog.channel", uuid);
            let score = f64::from(rng.random_range(100..1_000)) / 1_000.0;
            Some(base_offer(listing, uuid, link(uuid), score, CATALOG_DATE))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_has_every_slug_the_carousel_names_once_each_with_lenders() {
        // The carousel 2.1.1's `ProductTypes` and card layouts.
        const NAMED: [&str; 34] = [
            "CreditBuilderLoan", "DebtSettlement", "HomeEquityLineOfCredit", "RoboInvesting",
            "StudentLoanRefinance", "IncomeOpportunities", "CashManagementAccount", "HomeEquityLoan",
            "StudentLoan", "CashAdvance", "EarnedWageAccess", "AutomobileLoan", "AutomobileRefinance",
            "UnsecuredPersonalLoan", "SecuredPersonalLoan", "UnsecuredLineOfCredit", "OverdraftProtection",
            "CreditBuilderSecuredCreditCard", "CreditBuilderDebitCard", "RentUtilityBillReporting",
            "BudgetingTools", "BusinessLineOfCredit", "BusinessLendingMarketplace", "RevenueBasedFinancing",
            "TaxFiling", "CreditMonitoring", "BankingAccount", "CheckingAccount", "CancellationServices",
            "BrokerageAccount", "CreditRepair", "CashRewards", "UnsecuredCreditCard", "SecuredCreditCard",
        ];
        assert_eq!(all().len(), NAMED.len());
        for slug in NAMED {
            let product = product(slug).unwrap_or_else(|| panic!("{slug}"));
            let lenders: Vec<_> = product.lenders().collect();
            assert_eq!(lenders.len(), product.lenders.len(), "{slug}: every key is a lender");
            assert!(lenders.len() >= 2, "{slug}");
        }
    }

    fn channel_offers_as_json(seed: Seed) -> Vec<serde_json::Value> {
        let listings = Listings::new(seed);
        let slugs: Vec<_> = all().iter().collect();
        let offers = channel_offers(seed, &listings, &slugs, |uuid| format!("http://x/ref/{uuid}"));
        offers.iter().map(|o| serde_json::to_value(o).unwrap_or_default()).collect()
    }

    #[test]
    fn generic_offers_are_found_by_uuid_and_carry_every_required_member() {
        let seed = Seed::new(1);
        let offers = channel_offers_as_json(seed);
        assert_eq!(offers.len(), all().iter().map(|p| p.lenders.len()).sum::<usize>());
        let mut uuids = std::collections::HashSet::new();
        for offer in &offers {
            for member in [
                "uuid", "url", "productType", "productDisplayName", "financialInstitutionUuid",
                "financialInstitutionDisplayName", "financialInstitutionImageUrl", "recommendationScore",
                "status", "version", "productVersions", "createdAt", "updatedAt", "internalName", "unmonetizedUrl",
            ] {
                assert!(offer.get(member).is_some(), "{member} in {offer}");
            }
            assert!(offer["recommendationScore"].is_f64());
            assert_eq!(offer["createdAt"], CATALOG_DATE);
            let uuid: Uuid = serde_json::from_value(offer["uuid"].clone()).unwrap_or_default();
            assert!(uuids.insert(uuid), "unique");
            assert!(generic_offer(uuid).is_some());
        }
        assert_eq!(offers, channel_offers_as_json(seed));
    }

    #[test]
    fn offers_have_their_members_in_name_order_and_only_their_kinds_ranges() {
        let seed = Seed::new(7);
        let listings = Listings::new(seed);
        for product in all() {
            for lender in product.lenders() {
                let listing = listings.get(lender, product).unwrap_or_else(|| panic!("{}/{}", lender.key, product.slug));
                let offer = base_offer(listing, Uuid::nil(), "http://x/ref".into(), 0.5, "2026-01-02T03:04:05Z");
                let text = serde_json::to_string(&offer).unwrap_or_default();
                // A JSON tree orders an object's members by name: the same
                // text again means the struct declares them in that order.
                let tree: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                assert_eq!(tree.to_string(), text, "{}", product.slug);
                let ranges: Vec<&str> = tree
                    .as_object()
                    .into_iter()
                    .flat_map(|o| o.keys())
                    .filter(|k| k.ends_with("Min") || k.ends_with("Max") || k.ends_with("Points") && *k != "descriptionPoints")
                    .map(String::as_str)
                    .collect();
                let expected: &[&str] = match product.kind {
                    Kind::Loan => &[
                        "amountCentsMax", "amountCentsMin", "annualPercentageRateBasisPointsMax",
                        "annualPercentageRateBasisPointsMin", "termLengthMonthsMax", "termLengthMonthsMin",
                    ],
                    Kind::Advance => &[
                        "amountCentsMax", "amountCentsMin", "fastTransferFeeCentsMax", "fastTransferFeeCentsMin",
                        "monthlyFeeCentsMax", "monthlyFeeCentsMin",
                    ],
                    Kind::Card => &["annualPercentageRateBasisPointsMax", "annualPercentageRateBasisPointsMin"],
                    Kind::Deposit => &[
                        "accountCentsMin", "annualPercentageYieldBasisPoints", "monthlyFeeCentsMax", "monthlyFeeCentsMin",
                    ],
                    Kind::Investing => &[
                        "accountCentsMin", "annualAdvisoryFeeBasisPointsMax", "annualAdvisoryFeeBasisPointsMin",
                    ],
                    Kind::Debt => &[
                        "debtAmountCentsMax", "debtAmountCentsMin", "enrollmentFeeBasisPointsMax",
                        "enrollmentFeeBasisPointsMin",
                    ],
                    Kind::Service => &["monthlyFeeCentsMax", "monthlyFeeCentsMin"],
                };
                assert_eq!(ranges, expected, "{}", product.slug);
            }
        }
    }
}
