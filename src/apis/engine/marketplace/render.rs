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
use crate::shared::json_writer::{Object, write_str};
use crate::shared::time::format_seconds;

/// Where leadsim's offer links and images live, for one request.
pub(crate) struct Links<'a> {
    pub(crate) base: &'a str,
}

impl Links<'_> {
    /// The offer's URL: following it records the click.
    pub(crate) fn offer(&self, offer: Uuid) -> String {
        // By pieces, not through `format!` and uuid's `Display`: every
        // offer of every table has one.
        let mut url = String::with_capacity(self.base.len() + 41);
        url.push_str(self.base);
        url.push_str("/ref/");
        push_uuid(&mut url, offer);
        url
    }

    fn pixel(&self, lead: Uuid, rate_table: Uuid, offer: Uuid) -> String {
        let mut url = String::with_capacity(self.base.len() + 143);
        url.push_str(self.base);
        url.push_str("/uiEvent/offerDisplays/");
        for uuid in [lead, rate_table, offer] {
            push_uuid(&mut url, uuid);
            url.push('/');
        }
        url.push_str("pixel.gif");
        url
    }
}

fn push_uuid(out: &mut String, uuid: Uuid) {
    out.push_str(uuid.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
}

/// A logo URL that resolves nowhere (`.invalid` is reserved), so a test
/// page never loads anything from the internet.
pub(crate) fn logo(lender: &Lender) -> String {
    ["https://images.leadsim.invalid/", lender.key, "/", lender.key, "_120x40.png"].concat()
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
    /// A loan offer's `originatorId` (a name-based uuid: a SHA-1 each time).
    originator_id: Uuid,
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
            originator_id: Uuid::new_v5(&lender.institution.uuid, b"originator"),
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

/// `RateTable`. Sent as [`Self::to_json`] writes it; serde's derived form
/// (and the offers') is what the tests hold that writer to.
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
    fn size_hint(&self) -> usize {
        let offers = self.loan_offers.len() + self.credit_card_offers.len() + self.savings_offers.len();
        512 + 1536 * offers + 512 * (self.pending_originators.len() + self.pending_responses.len())
    }

    /// The table as JSON, written by hand: what serde writes for it (a
    /// test holds the two together) without escaping each of a table's
    /// 400-odd member names again on every submission.
    pub(crate) fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size_hint());
        let mut o = Object::new(&mut out);
        o.uuid("uuid", self.uuid);
        o.uuid("leadUuid", self.lead_uuid);
        if let Some(amount) = self.loan_amount {
            o.int("loanAmount", amount);
        }
        o.text("createdAt", &self.created_at);
        o.array("creditCardOffers", &self.credit_card_offers, |out, offer| offer.write(out));
        o.array("loanOffers", &self.loan_offers, |out, offer| offer.write(out));
        o.raw("mortgageOffers", "[]");
        o.array("savingsOffers", &self.savings_offers, |out, offer| offer.write(out));
        o.raw("specialOffers", "[]");
        o.array("pendingOriginators", &self.pending_originators, |out, originator| {
            out.extend_from_slice(originator.get().as_bytes());
        });
        o.array("pendingResponses", &self.pending_responses, |out, pending| {
            let mut o = Object::new(out);
            o.raw("partner", pending.partner.get());
            o.array("productTypes", &pending.product_types, |out, product| write_str(out, product));
            o.end();
        });
        o.end();
        out
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
        originator_id: lender_json(lender).originator_id,
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

impl LoanOfferWire {
    /// What serde writes for it.
    fn write(&self, out: &mut Vec<u8>) {
        let mut o = Object::new(out);
        o.uuid("uuid", self.uuid);
        // The `&'static str` members are leadsim's literals: nothing to escape.
        o.plain("productType", self.product_type);
        o.plain("productSubType", self.product_sub_type);
        o.text("url", &self.url);
        o.raw("originator", self.originator.get());
        o.uuid("originatorId", self.originator_id);
        o.boolean("preQualified", self.pre_qualified);
        o.boolean("preApproved", self.pre_approved);
        o.boolean("secured", self.secured);
        o.boolean("coApplicant", self.co_applicant);
        o.boolean("sponsored", self.sponsored);
        o.int("maxAmount", self.max_amount);
        o.int("minAmount", self.min_amount);
        o.int("termLength", self.term_length);
        o.plain("termUnit", self.term_unit);
        o.plain("termDescription", self.term_description);
        o.floats(&[("maxApr", self.max_apr), ("minApr", self.min_apr), ("meanApr", self.mean_apr)]);
        o.plain("aprType", self.apr_type);
        o.plain("aprDescription", self.apr_description);
        o.floats(&[
            ("maxFeeRate", self.max_fee_rate),
            ("minFeeRate", self.min_fee_rate),
            ("feeRate", self.fee_rate),
            ("maxFeeFixed", self.max_fee_fixed),
            ("minFeeFixed", self.min_fee_fixed),
            ("feeFixed", self.fee_fixed),
        ]);
        o.boolean("allowPrepayment", self.allow_prepayment);
        o.float("prepaymentFee", self.prepayment_fee);
        o.floats(&[
            ("monthlyPayment", self.monthly_payment),
            ("maxMonthlyPayment", self.max_monthly_payment),
            ("minMonthlyPayment", self.min_monthly_payment),
            ("meanMonthlyPayment", self.mean_monthly_payment),
        ]);
        o.plain("monthlyPaymentDescription", self.monthly_payment_description);
        o.floats(&[
            ("maxTotalPayment", self.max_total_payment),
            ("minTotalPayment", self.min_total_payment),
            ("meanTotalPayment", self.mean_total_payment),
        ]);
        o.float("recommendationScore", self.recommendation_score);
        o.float("payout", self.payout);
        o.float("conversionProbability", self.conversion_probability);
        o.end();
    }
}

/// The members a `CreditCardOffer` and a `SavingsOffer` begin with.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OfferHeadWire {
    uuid: Uuid,
    partner: &'static RawValue,
    product_type: &'static str,
    product_sub_type: &'static str,
    url: String,
    recommendation_score: f64,
    rank: usize,
}

impl OfferHeadWire {
    /// `types`: the offer's `productType` and `productSubType`.
    fn new(terms: &Terms, lender: &'static Lender, types: (&'static str, &'static str), links: &Links, rank: usize) -> Self {
        Self {
            uuid: terms.uuid,
            partner: partner(lender),
            product_type: types.0,
            product_sub_type: types.1,
            url: links.offer(terms.uuid),
            recommendation_score: terms.recommendation_score,
            rank: rank + 1,
        }
    }

    /// What serde writes for it, into the offer's object.
    fn write(&self, o: &mut Object) {
        o.uuid("uuid", self.uuid);
        o.raw("partner", self.partner.get());
        o.plain("productType", self.product_type);
        o.plain("productSubType", self.product_sub_type);
        o.text("url", &self.url);
        o.float("recommendationScore", self.recommendation_score);
        o.int("rank", self.rank as i64);
    }
}

/// `CreditCardOffer`.
#[derive(Serialize)]
pub(crate) struct CardOfferWire {
    #[serde(flatten)]
    head: OfferHeadWire,
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

impl CardOfferWire {
    /// What serde writes for it.
    fn write(&self, out: &mut Vec<u8>) {
        let mut o = Object::new(out);
        self.head.write(&mut o);
        self.details.write(o.key("details"));
        o.end();
    }
}

impl CardDetailsWire {
    fn write(&self, out: &mut Vec<u8>) {
        let mut o = Object::new(out);
        o.text("cardName", self.card_name);
        o.text("cardImageUrl", &self.card_image_url);
        o.text("cardType", self.card_type);
        o.array("cardPurposes", self.card_purposes, |out, purpose| write_str(out, purpose));
        o.boolean("preQualified", self.pre_qualified);
        o.boolean("preApproved", self.pre_approved);
        o.boolean("preSelected", self.pre_selected);
        o.float("minPurchaseApr", self.min_purchase_apr);
        o.float("maxPurchaseApr", self.max_purchase_apr);
        o.text("purchaseAprText", &self.purchase_apr_text);
        o.float("minAnnualFee", self.min_annual_fee);
        o.float("maxAnnualFee", self.max_annual_fee);
        o.text("annualFeeText", &self.annual_fee_text);
        // Flattened into the details.
        if let Some(intro) = &self.intro {
            o.float("minPurchaseIntroApr", intro.min_purchase_intro_apr);
            o.float("maxPurchaseIntroApr", intro.max_purchase_intro_apr);
            o.int("purchaseIntroAprTerm", intro.purchase_intro_apr_term);
            o.text("purchaseIntroAprTermUnit", intro.purchase_intro_apr_term_unit);
            o.text("purchaseIntroAprText", &intro.purchase_intro_apr_text);
        }
        o.end();
    }
}

fn card_offer(answer: &Answer, terms: &Terms, links: &Links, rank: usize) -> Option<CardOfferWire> {
    let lender = answer.lender;
    let card = lender.card.as_ref()?;
    let apr = terms.apr.unwrap_or(card.purchase_apr.0);
    let sub_type = if card.secured { "secured_card" } else { "credit_card" };
    Some(CardOfferWire {
        head: OfferHeadWire::new(terms, lender, ("credit_card", sub_type), links, rank),
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
pub(crate) struct SavingsOfferWire {
    #[serde(flatten)]
    head: OfferHeadWire,
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

impl SavingsOfferWire {
    /// What serde writes for it.
    fn write(&self, out: &mut Vec<u8>) {
        let mut o = Object::new(out);
        self.head.write(&mut o);
        self.details.write(o.key("details"));
        o.end();
    }
}

impl SavingsDetailsWire {
    fn write(&self, out: &mut Vec<u8>) {
        let mut o = Object::new(out);
        o.text("name", self.name);
        o.float("annualPercentYield", self.annual_percent_yield);
        o.float("rate", self.rate);
        o.text("compoundingMethod", self.compounding_method);
        o.float("minimumDeposit", self.minimum_deposit);
        o.float("monthlyFee", self.monthly_fee);
        o.text("effectiveAsOf", &self.effective_as_of);
        o.text("federalInsuranceType", self.federal_insurance_type);
        o.array("impressionTrackingPixelUrls", &self.impression_tracking_pixel_urls, |out, url| write_str(out, url));
        o.end();
    }
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
        head: OfferHeadWire::new(terms, lender, ("savings", "savings_account"), links, rank),
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

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::apis::engine::marketplace::lead::{CreditBand, LeadInput, Script};
    use crate::apis::engine::marketplace::underwriting;
    use crate::shared::seed::Seed;
    use crate::shared::time::parse_rfc3339;

    #[test]
    fn hand_written_rate_tables_are_byte_for_byte_what_serde_writes() {
        let seed = Seed::new(11);
        let built = parse_rfc3339("2026-03-02T10:00:00Z").unwrap_or_default();
        let products = [
            vec![ProductType::Loan],
            vec![ProductType::CreditCard, ProductType::Savings],
            vec![ProductType::Loan, ProductType::CreditCard, ProductType::Savings, ProductType::Mortgage],
        ];
        let bands = [CreditBand::Excellent, CreditBand::Good, CreditBand::Fair, CreditBand::Poor, CreditBand::Limited];
        // A base from a `Host` header is the client's text: it is escaped.
        let bases = ["http://127.0.0.1:8080", "http://h\"o\\st\u{1}é"];
        let (mut tables, mut offers, mut pending, mut intros) = (0, 0, 0, [0, 0]);
        for n in 0..120u64 {
            let input = LeadInput {
                products: products[n as usize % products.len()].clone(),
                loan_amount: (n % 4 != 0).then_some(1_000 + 7_919 * n as i64),
                loan_purpose: None,
                band: bands[n as usize % bands.len()],
                annual_income: (n % 3 != 0).then_some(20_000 + 1_000 * n as i64),
                state: Some("TX".into()),
                card_purposes: Vec::new(),
                allow_annual_fee: n % 2 == 0,
                min_deposit: None,
                script: [Script::None, Script::None, Script::Slow, Script::Decline][n as usize % 4],
            };
            let (lead_uuid, table_uuid) = (Uuid::from_u128(n.into()), Uuid::from_u128((1_000 + n).into()));
            let table = RateTable {
                uuid: table_uuid,
                built_at: built,
                loan_amount: input.loan_amount,
                answers: underwriting::answers(seed, table_uuid, &input, built),
                search: None,
            };
            let lead = SubmittedLead::of_input(lead_uuid, Uuid::from_u128(1), input, built);
            for later in [0, 40, 86_400 * 3] {
                let links = Links { base: bases[n as usize % bases.len()] };
                let wire = rate_table(&lead, &table, built + TimeDelta::seconds(later), &links);
                let written = wire.to_json();
                let serde = serde_json::to_vec(&wire).unwrap_or_default();
                assert_eq!(String::from_utf8_lossy(&written), String::from_utf8_lossy(&serde));
                tables += 1;
                intros[usize::from(wire.credit_card_offers.iter().any(|c| c.details.intro.is_some()))] += 1;
                offers += wire.loan_offers.len() + wire.credit_card_offers.len() + wire.savings_offers.len();
                pending += wire.pending_responses.len();
            }
        }
        // Every kind of member was written: offers of each product, cards
        // with and without an intro APR, and partners still answering.
        assert_eq!(tables, 360);
        assert!(offers > 500 && pending > 20, "{offers} offers, {pending} pending");
        assert!(intros[0] > 0 && intros[1] > 0, "{intros:?}");
    }
}
