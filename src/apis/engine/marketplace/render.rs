//! The 1.106.0 wire forms of the marketplace: `RateTable` with its
//! `LoanOffer`s, `CreditCardOffer`s and `SavingsOffer`s, `PendingResponse`,
//! `Originator`, `Partner` and `Lead`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::super::models::ProductType;
use super::lenders::Lender;
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

pub(crate) fn partner(lender: &Lender) -> Value {
    json!({
        "uuid": lender.institution.uuid,
        "name": lender.institution.name,
        "description": format!("{} is a simulated lender of leadsim.", lender.institution.name),
        "disclaimer": "Simulated offer: no credit decision was made.",
        "supportsPreSelect": false,
        "shouldDisplayPreSelect": false,
        "supportsPersonalizedOffers": true,
        "imageUrl": logo(lender),
    })
}

fn originator(lender: &Lender) -> Value {
    json!({
        "key": lender.key,
        "name": lender.institution.name,
        "description": format!("{} is a simulated lender of leadsim.", lender.institution.name),
        "images": [{"sizeKey": "120x40", "url": logo(lender)}],
        "disclaimer": "Simulated offer: no credit decision was made.",
        "companyUuid": Uuid::new_v5(&lender.institution.uuid, b"company"),
        "financialInstitutionUuid": lender.institution.uuid,
    })
}

/// A rate table as it stands at `now`.
pub(crate) fn rate_table(lead: &SubmittedLead, table: &RateTable, now: DateTime<Utc>, links: &Links) -> Value {
    let mut loans = Vec::new();
    let mut cards = Vec::new();
    let mut savings = Vec::new();
    for (rank, answer) in table.answered(now).enumerate() {
        let Decision::Offer(terms) = &answer.decision else { continue };
        match answer.product {
            ProductType::Loan => loans.push(loan_offer(answer, terms, links)),
            ProductType::CreditCard => cards.push(card_offer(answer, terms, links, rank)),
            _ => savings.push(savings_offer(answer, terms, links, rank, lead.uuid, table, now)),
        }
    }
    let mut pending: Vec<(&Lender, Vec<&str>)> = Vec::new();
    for answer in table.pending(now) {
        match pending.iter_mut().find(|(l, _)| std::ptr::eq(*l, answer.lender)) {
            Some((_, products)) => products.push(answer.product.as_str()),
            None => pending.push((answer.lender, vec![answer.product.as_str()])),
        }
    }
    let pending_originators: Vec<Value> = table
        .pending(now)
        .filter(|a| a.product == ProductType::Loan)
        .map(|a| originator(a.lender))
        .collect();
    let mut body = json!({
        "uuid": table.uuid,
        "leadUuid": lead.uuid,
        "createdAt": format_seconds(table.built_at),
        "creditCardOffers": cards,
        "loanOffers": loans,
        "mortgageOffers": [],
        "savingsOffers": savings,
        "specialOffers": [],
        "pendingOriginators": pending_originators,
        "pendingResponses": pending
            .into_iter()
            .map(|(lender, products)| json!({"partner": partner(lender), "productTypes": products}))
            .collect::<Vec<_>>(),
    });
    if let (Some(amount), Value::Object(fields)) = (table.loan_amount, &mut body) {
        fields.insert("loanAmount".into(), json!(amount));
    }
    body
}

fn loan_offer(answer: &Answer, terms: &Terms, links: &Links) -> Value {
    let lender = answer.lender;
    let amount = terms.amount.unwrap_or_default();
    let apr = terms.apr.unwrap_or_default();
    let months = terms.term_months.unwrap_or(36);
    let monthly = terms.monthly_payment().unwrap_or_default();
    let total = cents(monthly * months as f64);
    let fee_rate = lender.loan.as_ref().map_or(0.0, |l| l.fee_rate);
    let fee = cents(amount as f64 * fee_rate / 100.0);
    json!({
        "uuid": terms.uuid,
        "productType": "loan",
        "productSubType": "personal_loan",
        "url": links.offer(terms.uuid),
        "originator": originator(lender),
        "originatorId": Uuid::new_v5(&lender.institution.uuid, b"originator"),
        "preQualified": terms.pre_qualified,
        "preApproved": terms.pre_approved,
        "secured": false,
        "coApplicant": false,
        "sponsored": lender.sponsored,
        "maxAmount": amount,
        "minAmount": lender.loan.as_ref().map_or(amount, |l| l.amount.0),
        "termLength": months,
        "termUnit": "month",
        "termDescription": "Term of Loan",
        "maxApr": apr,
        "minApr": apr,
        "meanApr": apr,
        "aprType": "fixed",
        "aprDescription": "Fixed APR",
        "maxFeeRate": fee_rate,
        "minFeeRate": fee_rate,
        "feeRate": fee_rate,
        "maxFeeFixed": fee,
        "minFeeFixed": fee,
        "feeFixed": fee,
        "allowPrepayment": true,
        "prepaymentFee": 0,
        "monthlyPayment": monthly,
        "maxMonthlyPayment": monthly,
        "minMonthlyPayment": monthly,
        "meanMonthlyPayment": monthly,
        "monthlyPaymentDescription": "Est. Monthly Payment",
        "maxTotalPayment": total,
        "minTotalPayment": total,
        "meanTotalPayment": total,
        "recommendationScore": terms.recommendation_score,
        "payout": terms.payout,
        "conversionProbability": terms.conversion_probability,
    })
}

fn card_offer(answer: &Answer, terms: &Terms, links: &Links, rank: usize) -> Value {
    let lender = answer.lender;
    let Some(card) = lender.card.as_ref() else {
        return Value::Null;
    };
    let apr = terms.apr.unwrap_or(card.purchase_apr.0);
    let mut details = json!({
        "cardName": card.name,
        "cardImageUrl": logo(lender),
        "cardType": if card.name.contains("Mastercard") { "mastercard" } else { "visa" },
        "cardPurposes": card.purposes,
        "preQualified": terms.pre_qualified,
        "preApproved": terms.pre_approved,
        "preSelected": false,
        "minPurchaseApr": apr,
        "maxPurchaseApr": apr,
        "purchaseAprText": format!("{apr:.2}% Variable APR"),
        "minAnnualFee": card.annual_fee,
        "maxAnnualFee": card.annual_fee,
        "annualFeeText": if card.annual_fee == 0.0 { "$0".to_owned() } else { format!("${:.0}", card.annual_fee) },
    });
    if card.intro_months > 0
        && let Value::Object(fields) = &mut details
    {
        fields.insert("minPurchaseIntroApr".into(), json!(0.0));
        fields.insert("maxPurchaseIntroApr".into(), json!(0.0));
        fields.insert("purchaseIntroAprTerm".into(), json!(card.intro_months));
        fields.insert("purchaseIntroAprTermUnit".into(), json!("month"));
        fields.insert("purchaseIntroAprText".into(), json!(format!("0% intro APR for {} months", card.intro_months)));
    }
    json!({
        "uuid": terms.uuid,
        "partner": partner(lender),
        "productType": "credit_card",
        "productSubType": if card.secured { "secured_card" } else { "credit_card" },
        "url": links.offer(terms.uuid),
        "recommendationScore": terms.recommendation_score,
        "rank": rank + 1,
        "details": details,
    })
}

fn savings_offer(
    answer: &Answer,
    terms: &Terms,
    links: &Links,
    rank: usize,
    lead: Uuid,
    table: &RateTable,
    now: DateTime<Utc>,
) -> Value {
    let lender = answer.lender;
    let Some(account) = lender.savings.as_ref() else {
        return Value::Null;
    };
    json!({
        "uuid": terms.uuid,
        "partner": partner(lender),
        "productType": "savings",
        "productSubType": "savings_account",
        "url": links.offer(terms.uuid),
        "recommendationScore": terms.recommendation_score,
        "rank": rank + 1,
        "details": {
            "name": account.name,
            "annualPercentYield": account.apy,
            "rate": account.apy,
            "compoundingMethod": account.compounding,
            "minimumDeposit": account.minimum_deposit,
            "monthlyFee": 0,
            "effectiveAsOf": format_seconds(now.min(table.built_at)),
            "federalInsuranceType": "fdic",
            "impressionTrackingPixelUrls": [links.pixel(lead, table.uuid, terms.uuid)],
        },
    })
}

/// `Lead`: the sections as submitted (PATCHes merged in), and Engine's fields.
pub(crate) fn lead(lead: &SubmittedLead) -> Value {
    let mut fields: Map<String, Value> = lead.checked.sections.clone();
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
