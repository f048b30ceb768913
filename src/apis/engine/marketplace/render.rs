//! The 1.106.0 wire forms of the marketplace: `RateTable` with its
//! `LoanOffer`s, `CreditCardOffer`s and `SavingsOffer`s, `PendingResponse`,
//! `Originator`, `Partner` and `Lead`.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::super::models::ProductType;
use super::lenders::{self, Lender};
use super::store::{RateTable, SubmittedLead};
use super::underwriting::{Answer, Decision, Terms, cents};
use crate::shared::time::format_seconds;

/// Where leadsim's offer links and images live, for one request.
pub(crate) struct Links<'a> {
    pub(crate) base: &'a str,
}

impl Links<'_> {
    /// The offer's URL: following it records the click.
    pub(crate) fn offer(&self, offer: Uuid) -> String {
        format!("{}/ref/{offer}", self.base)
    }

    fn pixel(&self, lead: Uuid, rate_table: Uuid, offer: Uuid) -> String {
        format!("{}/uiEvent/offerDisplays/{lead}/{rate_table}/{offer}/pixel.gif", self.base)
    }
}

/// A logo URL that resolves nowhere (`.invalid` is reserved), so a test
/// page never loads anything from the internet.
pub(crate) fn logo(lender: &Lender) -> String {
    format!("https://images.leadsim.invalid/{}/{}_120x40.png", lender.key, lender.key)
}

const DISCLAIMER: &str = "Simulated offer: no credit decision was made.";

/// `Partner`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PartnerWire {
    uuid: Uuid,
    name: &'static str,
    description: String,
    disclaimer: &'static str,
    supports_pre_select: bool,
    should_display_pre_select: bool,
    supports_personalized_offers: bool,
    image_url: String,
}

fn partner_wire(lender: &'static Lender) -> PartnerWire {
    PartnerWire {
        uuid: lender.institution.uuid,
        name: lender.institution.name,
        description: format!("{} is a simulated lender of leadsim.", lender.institution.name),
        disclaimer: DISCLAIMER,
        supports_pre_select: false,
        should_display_pre_select: false,
        supports_personalized_offers: true,
        image_url: logo(lender),
    }
}

/// `Originator`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OriginatorWire {
    key: &'static str,
    name: &'static str,
    description: String,
    images: [ImageWire; 1],
    disclaimer: &'static str,
    company_uuid: Uuid,
    financial_institution_uuid: Uuid,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageWire {
    size_key: &'static str,
    url: String,
}

fn originator_wire(lender: &'static Lender) -> OriginatorWire {
    OriginatorWire {
        key: lender.key,
        name: lender.institution.name,
        description: format!("{} is a simulated lender of leadsim.", lender.institution.name),
        images: [ImageWire {
            size_key: "120x40",
            url: logo(lender),
        }],
        disclaimer: DISCLAIMER,
        company_uuid: Uuid::new_v5(&lender.institution.uuid, b"company"),
        financial_institution_uuid: lender.institution.uuid,
    }
}

/// A lender's `Partner` and `Originator` as JSON text: the same in every
/// rate table and Offer Search, and half of their bytes, so they are
/// rendered once rather than escaped again for every offer.
struct LenderJson {
    partner: Box<RawValue>,
    /// Offer Searches have every object's members in name order.
    partner_in_name_order: Box<RawValue>,
    originator: Box<RawValue>,
}

static LENDER_JSON: LazyLock<Vec<LenderJson>> = LazyLock::new(|| {
    let raw = |json: Result<String, serde_json::Error>| {
        // Serializing these structs cannot fail, and their text is JSON.
        json.and_then(RawValue::from_string).unwrap_or_else(|_| RawValue::NULL.to_owned())
    };
    lenders::all()
        .iter()
        .map(|lender| LenderJson {
            partner: raw(serde_json::to_string(&partner_wire(lender))),
            // A `Value`'s object keeps its members in name order.
            partner_in_name_order: raw(serde_json::to_value(partner_wire(lender)).map(|v| v.to_string())),
            originator: raw(serde_json::to_string(&originator_wire(lender))),
        })
        .collect()
});

fn lender_json(lender: &'static Lender) -> &'static LenderJson {
    let index = lenders::all().iter().position(|l| std::ptr::eq(l, lender));
    // Every `&'static Lender` is one of `lenders::all()`.
    &LENDER_JSON[index.unwrap_or_default()]
}

/// `Partner`, rendered.
fn partner(lender: &'static Lender) -> &'static RawValue {
    &lender_json(lender).partner
}

/// `Partner`, rendered with its members in name order.
pub(crate) fn partner_in_name_order(lender: &'static Lender) -> &'static RawValue {
    &lender_json(lender).partner_in_name_order
}

/// `Originator`, rendered.
fn originator(lender: &'static Lender) -> &'static RawValue {
    &lender_json(lender).originator
}

/// `PendingResponse`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PendingWire {
    #[serde(skip)]
    lender: Uuid,
    partner: &'static RawValue,
    product_types: Vec<&'static str>,
}

/// `RateTable`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RateTableWire {
    uuid: Uuid,
    lead_uuid: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    loan_amount: Option<i64>,
    created_at: String,
    pub(crate) credit_card_offers: Vec<CardOfferWire>,
    pub(crate) loan_offers: Vec<LoanOfferWire>,
    mortgage_offers: [(); 0],
    pub(crate) savings_offers: Vec<SavingsOfferWire>,
    special_offers: [(); 0],
    pending_originators: Vec<&'static RawValue>,
    pending_responses: Vec<PendingWire>,
}

impl RateTableWire {
    /// About how long it is as JSON (offers are about 1.4 KB, pending
    /// partners about 0.4 KB), for the buffer it is written into.
    pub(crate) fn size_hint(&self) -> usize {
        let offers = self.loan_offers.len() + self.credit_card_offers.len() + self.savings_offers.len();
        512 + 1536 * offers + 512 * (self.pending_originators.len() + self.pending_responses.len())
    }
}

/// A rate table as it stands at `now`.
pub(crate) fn rate_table(lead: &SubmittedLead, table: &RateTable, now: DateTime<Utc>, links: &Links) -> RateTableWire {
    let mut loans = Vec::new();
    let mut cards = Vec::new();
    let mut savings = Vec::new();
    for (rank, answer) in table.answered(now).enumerate() {
        let Decision::Offer(terms) = &answer.decision else { continue };
        match answer.product {
            ProductType::Loan => loans.push(loan_offer(answer, terms, links)),
            ProductType::CreditCard => cards.extend(card_offer(answer, terms, links, rank)),
            _ => savings.extend(savings_offer(answer, terms, links, rank, lead.uuid, table, now)),
        }
    }
    let mut pending: Vec<PendingWire> = Vec::new();
    for answer in table.pending(now) {
        let uuid = answer.lender.institution.uuid;
        match pending.iter_mut().find(|p| p.lender == uuid) {
            Some(p) => p.product_types.push(answer.product.as_str()),
            None => pending.push(PendingWire {
                lender: uuid,
                partner: partner(answer.lender),
                product_types: vec![answer.product.as_str()],
            }),
        }
    }
    RateTableWire {
        uuid: table.uuid,
        lead_uuid: lead.uuid,
        loan_amount: table.loan_amount,
        created_at: format_seconds(table.built_at),
        credit_card_offers: cards,
        loan_offers: loans,
        mortgage_offers: [],
        savings_offers: savings,
        special_offers: [],
        pending_originators: table
            .pending(now)
            .filter(|a| a.product == ProductType::Loan)
            .map(|a| originator(a.lender))
            .collect(),
        pending_responses: pending,
    }
}

/// `LoanOffer`: one amount, APR and term, so min, max and mean agree.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LoanOfferWire {
    uuid: Uuid,
    product_type: &'static str,
    product_sub_type: &'static str,
    url: String,
    originator: &'static RawValue,
    originator_id: Uuid,
    pre_qualified: bool,
    pre_approved: bool,
    secured: bool,
    co_applicant: bool,
    sponsored: bool,
    max_amount: i64,
    min_amount: i64,
    term_length: i64,
    term_unit: &'static str,
    term_description: &'static str,
    max_apr: f64,
    min_apr: f64,
    mean_apr: f64,
    apr_type: &'static str,
    apr_description: &'static str,
    max_fee_rate: f64,
    min_fee_rate: f64,
    fee_rate: f64,
    max_fee_fixed: f64,
    min_fee_fixed: f64,
    fee_fixed: f64,
    allow_prepayment: bool,
    prepayment_fee: f64,
    monthly_payment: f64,
    max_monthly_payment: f64,
    min_monthly_payment: f64,
    mean_monthly_payment: f64,
    monthly_payment_description: &'static str,
    max_total_payment: f64,
    min_total_payment: f64,
    mean_total_payment: f64,
    recommendation_score: f64,
    payout: f64,
    conversion_probability: f64,
}

fn loan_offer(answer: &Answer, terms: &Terms, links: &Links) -> LoanOfferWire {
    let lender = answer.lender;
    let amount = terms.amount.unwrap_or_default();
    let apr = terms.apr.unwrap_or_default();
    let months = terms.term_months.unwrap_or(36);
    let monthly = terms.monthly_payment().unwrap_or_default();
    let total = cents(monthly * months as f64);
    let fee_rate = lender.loan.as_ref().map_or(0.0, |l| l.fee_rate);
    let fee = cents(amount as f64 * fee_rate / 100.0);
    LoanOfferWire {
        uuid: terms.uuid,
        product_type: "loan",
        product_sub_type: "personal_loan",
        url: links.offer(terms.uuid),
        originator: originator(lender),
        originator_id: Uuid::new_v5(&lender.institution.uuid, b"originator"),
        pre_qualified: terms.pre_qualified,
        pre_approved: terms.pre_approved,
        secured: false,
        co_applicant: false,
        sponsored: lender.sponsored,
        max_amount: amount,
        min_amount: lender.loan.as_ref().map_or(amount, |l| l.amount.0),
        term_length: months,
        term_unit: "month",
        term_description: "Term of Loan",
        max_apr: apr,
        min_apr: apr,
        mean_apr: apr,
        apr_type: "fixed",
        apr_description: "Fixed APR",
        max_fee_rate: fee_rate,
        min_fee_rate: fee_rate,
        fee_rate,
        max_fee_fixed: fee,
        min_fee_fixed: fee,
        fee_fixed: fee,
        allow_prepayment: true,
        prepayment_fee: 0.0,
        monthly_payment: monthly,
        max_monthly_payment: monthly,
        min_monthly_payment: monthly,
        mean_monthly_payment: monthly,
        monthly_payment_description: "Est. Monthly Payment",
        max_total_payment: total,
        min_total_payment: total,
        mean_total_payment: total,
        recommendation_score: terms.recommendation_score,
        payout: terms.payout,
        conversion_probability: terms.conversion_probability,
    }
}

/// `CreditCardOffer`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CardOfferWire {
    uuid: Uuid,
    partner: &'static RawValue,
    product_type: &'static str,
    product_sub_type: &'static str,
    url: String,
    recommendation_score: f64,
    rank: usize,
    pub(crate) details: CardDetailsWire,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CardDetailsWire {
    card_name: &'static str,
    card_image_url: String,
    card_type: &'static str,
    pub(crate) card_purposes: &'static [&'static str],
    pre_qualified: bool,
    pre_approved: bool,
    pre_selected: bool,
    min_purchase_apr: f64,
    max_purchase_apr: f64,
    purchase_apr_text: String,
    min_annual_fee: f64,
    max_annual_fee: f64,
    annual_fee_text: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    intro: Option<IntroWire>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IntroWire {
    min_purchase_intro_apr: f64,
    max_purchase_intro_apr: f64,
    purchase_intro_apr_term: i64,
    purchase_intro_apr_term_unit: &'static str,
    purchase_intro_apr_text: String,
}

fn card_offer(answer: &Answer, terms: &Terms, links: &Links, rank: usize) -> Option<CardOfferWire> {
    let lender = answer.lender;
    let card = lender.card.as_ref()?;
    let apr = terms.apr.unwrap_or(card.purchase_apr.0);
    Some(CardOfferWire {
        uuid: terms.uuid,
        partner: partner(lender),
        product_type: "credit_card",
        product_sub_type: if card.secured { "secured_card" } else { "credit_card" },
        url: links.offer(terms.uuid),
        recommendation_score: terms.recommendation_score,
        rank: rank + 1,
        details: CardDetailsWire {
            card_name: card.name,
            card_image_url: logo(lender),
            card_type: if card.name.contains("Mastercard") { "mastercard" } else { "visa" },
            card_purposes: card.purposes,
            pre_qualified: terms.pre_qualified,
            pre_approved: terms.pre_approved,
            pre_selected: false,
            min_purchase_apr: apr,
            max_purchase_apr: apr,
            purchase_apr_text: format!("{apr:.2}% Variable APR"),
            min_annual_fee: card.annual_fee,
            max_annual_fee: card.annual_fee,
            annual_fee_text: if card.annual_fee == 0.0 { "$0".to_owned() } else { format!("${:.0}", card.annual_fee) },
            intro: (card.intro_months > 0).then(|| IntroWire {
                min_purchase_intro_apr: 0.0,
                max_purchase_intro_apr: 0.0,
                purchase_intro_apr_term: card.intro_months,
                purchase_intro_apr_term_unit: "month",
                purchase_intro_apr_text: format!("0% intro APR for {} months", card.intro_months),
            }),
        },
    })
}

/// `SavingsOffer`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SavingsOfferWire {
    uuid: Uuid,
    partner: &'static RawValue,
    product_type: &'static str,
    product_sub_type: &'static str,
    url: String,
    recommendation_score: f64,
    rank: usize,
    pub(crate) details: SavingsDetailsWire,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SavingsDetailsWire {
    name: &'static str,
    annual_percent_yield: f64,
    rate: f64,
    compounding_method: &'static str,
    pub(crate) minimum_deposit: f64,
    monthly_fee: f64,
    effective_as_of: String,
    federal_insurance_type: &'static str,
    impression_tracking_pixel_urls: [String; 1],
}

fn savings_offer(
    answer: &Answer,
    terms: &Terms,
    links: &Links,
    rank: usize,
    lead: Uuid,
    table: &RateTable,
    now: DateTime<Utc>,
) -> Option<SavingsOfferWire> {
    let lender = answer.lender;
    let account = lender.savings.as_ref()?;
    Some(SavingsOfferWire {
        uuid: terms.uuid,
        partner: partner(lender),
        product_type: "savings",
        product_sub_type: "savings_account",
        url: links.offer(terms.uuid),
        recommendation_score: terms.recommendation_score,
        rank: rank + 1,
        details: SavingsDetailsWire {
            name: account.name,
            annual_percent_yield: account.apy,
            rate: account.apy,
            compounding_method: account.compounding,
            minimum_deposit: account.minimum_deposit,
            monthly_fee: 0.0,
            effective_as_of: format_seconds(now.min(table.built_at)),
            federal_insurance_type: "fdic",
            impression_tracking_pixel_urls: [links.pixel(lead, table.uuid, terms.uuid)],
        },
    })
}

/// `Lead`: the sections as submitted (PATCHes merged in), and Engine's fields.
pub(crate) fn lead(lead: &SubmittedLead) -> Value {
    let mut fields: Map<String, Value> = lead.checked.sections.map();
    let mut tags: Map<String, Value> = Map::new();
    for (key, value) in &lead.checked.client_tags {
        if let Value::Array(values) = tags.entry(key.clone()).or_insert_with(|| json!([])) {
            values.push(json!(value));
        }
    }
    if !tags.is_empty() {
        fields.insert("clientTags".into(), Value::Object(tags));
    }
    fields.insert("leadProviderName".into(), json!(lead.company_name));
    fields.insert("uuid".into(), json!(lead.uuid));
    fields.insert("companyUUID".into(), json!(lead.company));
    fields.insert("isTest".into(), json!(lead.is_test));
    fields.insert(
        "status".into(),
        json!(if lead.rate_tables.is_empty() { "initialized" } else { "submitted" }),
    );
    fields.insert("createdAt".into(), json!(format_seconds(lead.created_at)));
    fields.insert("updatedAt".into(), json!(format_seconds(lead.updated_at)));
    Value::Object(fields)
}
