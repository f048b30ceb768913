//! Engine by MoneyLion wire types (API v1.58.0, see reference/engine).
//! Optional fields are omitted, never `null`; times are RFC 3339 with `Z`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::shared::time::serialize_rfc3339;

/// The spec's `EventType` enum, in its spelling (`conversion`, not `conversation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum EventType {
    LeadCreated,
    AppSubmitted,
    ApiApproved,
    ApiRejected,
    OfferClicked,
    LenderQualifiedLead,
    Applied,
    Approved,
    Listed,
    Opened,
    Funded,
    Conversion,
    // Supply Analytics v3 (API 1.106.0) only.
    AffiliateOfferClicked,
    FirstPayment,
    IsContacted,
    FirstContact,
    SalesQualified,
    RateLocked,
}

impl EventType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EventType::LeadCreated => "leadCreated",
            EventType::AppSubmitted => "appSubmitted",
            EventType::ApiApproved => "apiApproved",
            EventType::ApiRejected => "apiRejected",
            EventType::OfferClicked => "offerClicked",
            EventType::LenderQualifiedLead => "lenderQualifiedLead",
            EventType::Applied => "applied",
            EventType::Approved => "approved",
            EventType::Listed => "listed",
            EventType::Opened => "opened",
            EventType::Funded => "funded",
            EventType::Conversion => "conversion",
            EventType::AffiliateOfferClicked => "affiliateOfferClicked",
            EventType::FirstPayment => "firstPayment",
            EventType::IsContacted => "isContacted",
            EventType::FirstContact => "firstContact",
            EventType::SalesQualified => "salesQualified",
            EventType::RateLocked => "rateLocked",
        }
    }

    /// Every event type, in the 1.106.0 spec's order of the enum.
    pub(crate) const ALL: [EventType; 18] = [
        EventType::LeadCreated,
        EventType::AppSubmitted,
        EventType::ApiApproved,
        EventType::ApiRejected,
        EventType::OfferClicked,
        EventType::AffiliateOfferClicked,
        EventType::LenderQualifiedLead,
        EventType::Applied,
        EventType::Approved,
        EventType::Listed,
        EventType::Opened,
        EventType::Funded,
        EventType::Conversion,
        EventType::FirstPayment,
        EventType::IsContacted,
        EventType::SalesQualified,
        EventType::FirstContact,
        EventType::RateLocked,
    ];

    /// Whether version 1 (API 1.58.0) knows this type: a v1 generated
    /// client rejects any other, so v1 responses never carry them.
    pub(crate) fn in_v1(self) -> bool {
        !matches!(
            self,
            EventType::AffiliateOfferClicked
                | EventType::FirstPayment
                | EventType::IsContacted
                | EventType::FirstContact
                | EventType::SalesQualified
                | EventType::RateLocked
        )
    }

    /// A bit of its own, for sets of types in pagination tokens.
    pub(crate) fn bit(self) -> u32 {
        1 << (self as u32)
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// Events that happen at a financial institution carry its name and uuid.
    pub(crate) fn involves_institution(self) -> bool {
        !matches!(self, EventType::LeadCreated | EventType::AppSubmitted)
    }

    /// Stages a financial institution reports to Engine, which can arrive
    /// late: they enter Engine's system (`paginationTimestamp`) after they
    /// happened (`eventCreatedAt`).
    pub(crate) fn reported_by_institution(self) -> bool {
        matches!(
            self,
            EventType::Applied | EventType::Approved | EventType::Funded | EventType::FirstPayment
        )
    }
}

/// The spec's `ProductType` enum (snake_case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ProductType {
    CreditCard,
    Generic,
    AutoInsurance,
    Insurance,
    LifeInsurance,
    Loan,
    Mortgage,
    Savings,
    Other,
}

impl ProductType {
    /// Every product type, in declaration order (`ALL[p as usize] == p`).
    pub(crate) const ALL: [ProductType; 9] = [
        ProductType::CreditCard,
        ProductType::Generic,
        ProductType::AutoInsurance,
        ProductType::Insurance,
        ProductType::LifeInsurance,
        ProductType::Loan,
        ProductType::Mortgage,
        ProductType::Savings,
        ProductType::Other,
    ];
}

impl ProductType {
    /// The product named by its wire name.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// The wire name (what serde writes).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ProductType::CreditCard => "credit_card",
            ProductType::Generic => "generic",
            ProductType::AutoInsurance => "auto_insurance",
            ProductType::Insurance => "insurance",
            ProductType::LifeInsurance => "life_insurance",
            ProductType::Loan => "loan",
            ProductType::Mortgage => "mortgage",
            ProductType::Savings => "savings",
            ProductType::Other => "other",
        }
    }

    /// `unifiedProductType` and the legacy `productSubType` (API 1.106.0)
    /// of a lead's product.
    pub(crate) fn v3_names(self) -> (&'static str, &'static str) {
        match self {
            ProductType::CreditCard => ("credit_card", "credit_card"),
            ProductType::Loan => ("personal_loan", "personal_loan"),
            ProductType::Mortgage => ("mortgage", "purchase"),
            ProductType::Savings => ("savings", "savings_account"),
            ProductType::LifeInsurance => ("life_insurance", "life_insurance"),
            ProductType::AutoInsurance => ("auto_insurance", "auto_insurance"),
            ProductType::Insurance => ("insurance", "home_owners_insurance"),
            ProductType::Generic | ProductType::Other => ("other", "uncategorized"),
        }
    }
}

/// The spec's `RejectReason` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RejectReason {
    LowFico,
    NoFico,
    MajorDerogatory,
    UnderwritingDecline,
    DebtToIncomeRatio,
    NotInActiveState,
    IncorrectDataProvided,
    Duplicate,
}

/// `EventData`: emitted only when a company opts in (`eventData: true`),
/// because the spec's `oneOf` makes any object ambiguous for generated clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reject_reason: Option<RejectReason>,
    /// Whole dollars (the spec's `amount`), for applied/approved/listed/funded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) amount: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) payout_in_cents: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) product_type: Option<ProductType>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadEvent {
    pub(crate) id: String,
    pub lead_uuid: Uuid,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub(crate) lead_created_at: DateTime<Utc>,
    pub(crate) event_type: EventType,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub(crate) event_created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) event_data: Option<EventData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) amount_in_cents: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) financial_institution_uuid: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) financial_institution_name: Option<Cow<'static, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) product_type: Option<ProductType>,
    pub is_test: bool,
    /// What version 3 adds; version 1 does not show these.
    #[serde(skip)]
    pub(crate) v3: EventV3,
}

/// A record's version 3 fields that every kind of record shares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Ingestion {
    /// When the record entered Engine's system: its cursor position in v3
    /// and the window it is served in by v1.
    pub(crate) pagination_timestamp: DateTime<Utc>,
    /// Index into the company's supply sub-accounts.
    pub(crate) sub_account: u16,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EventV3 {
    pub(crate) ingestion: Ingestion,
    /// The lead's product, for `unifiedProductType`/`productSubType`.
    pub(crate) product: ProductType,
    pub(crate) offer_uuid: Option<Uuid>,
    /// Set on the correction record of a deleted event (v3 only).
    pub(crate) deleted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadPayout {
    pub lead_uuid: Uuid,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub(crate) booked_at: DateTime<Utc>,
    /// Cents; may be fractional on the wire (spec: number/double).
    pub(crate) payout_in_cents: f64,
    pub(crate) uuid: Uuid,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_optional_rfc3339"
    )]
    pub(crate) deleted_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) financial_institution_name: Option<Cow<'static, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) financial_institution_uuid: Option<Uuid>,
    #[serde(skip)]
    pub(crate) ingestion: Ingestion,
    #[serde(skip)]
    pub(crate) product: ProductType,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadClientTag {
    pub(crate) hash: String,
    pub lead_uuid: Uuid,
    /// Generated tags borrow their keys and most values from static lists.
    pub key: Cow<'static, str>,
    pub(crate) value: Cow<'static, str>,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub(crate) created_at: DateTime<Utc>,
    #[serde(skip)]
    pub(crate) ingestion: Ingestion,
}

fn serialize_optional_rfc3339<S: serde::Serializer>(
    t: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => serialize_rfc3339(t, s),
        None => s.serialize_none(),
    }
}

/// A supply sub-account as records name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SubAccountName<'a> {
    pub(crate) uuid: Uuid,
    pub(crate) name: &'a str,
}

/// Version 3's `LeadEvent`: version 1's fields and those 1.106.0 adds.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LeadEventV3<'a> {
    id: &'a str,
    is_test: bool,
    lead_uuid: Uuid,
    #[serde(serialize_with = "serialize_rfc3339")]
    lead_created_at: DateTime<Utc>,
    event_type: EventType,
    #[serde(serialize_with = "serialize_rfc3339")]
    event_created_at: DateTime<Utc>,
    #[serde(serialize_with = "serialize_rfc3339")]
    pagination_timestamp: DateTime<Utc>,
    supply_sub_account_uuid: Uuid,
    supply_sub_account_name: &'a str,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_optional_rfc3339"
    )]
    event_deleted_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_data: Option<&'a EventData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount_in_cents: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    financial_institution_uuid: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    financial_institution_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unified_product_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    product_type: Option<ProductType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    product_sub_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offer_uuid: Option<Uuid>,
}

impl<'a> LeadEventV3<'a> {
    pub(crate) fn of(e: &'a LeadEvent, sub_account: &SubAccountName<'a>) -> Self {
        let (unified, sub_type) = e.v3.product.v3_names();
        // The product fields go where v1 has `productType`: on events at
        // a financial institution.
        let at_institution = e.product_type.is_some();
        Self {
            id: &e.id,
            is_test: e.is_test,
            lead_uuid: e.lead_uuid,
            lead_created_at: e.lead_created_at,
            event_type: e.event_type,
            event_created_at: e.event_created_at,
            pagination_timestamp: e.v3.ingestion.pagination_timestamp,
            supply_sub_account_uuid: sub_account.uuid,
            supply_sub_account_name: sub_account.name,
            event_deleted_at: e.v3.deleted_at,
            event_data: e.event_data.as_ref(),
            amount_in_cents: e.amount_in_cents,
            financial_institution_uuid: e.financial_institution_uuid,
            financial_institution_name: e.financial_institution_name.as_deref(),
            unified_product_type: at_institution.then_some(unified),
            product_type: e.product_type,
            product_sub_type: at_institution.then_some(sub_type),
            offer_uuid: e.v3.offer_uuid,
        }
    }
}

/// Version 3's `LeadPayout`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LeadPayoutV3<'a> {
    lead_uuid: Uuid,
    #[serde(serialize_with = "serialize_rfc3339")]
    booked_at: DateTime<Utc>,
    payout_in_cents: f64,
    uuid: Uuid,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_optional_rfc3339"
    )]
    deleted_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "serialize_rfc3339")]
    pagination_timestamp: DateTime<Utc>,
    supply_sub_account_uuid: Uuid,
    supply_sub_account_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    financial_institution_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    financial_institution_uuid: Option<Uuid>,
    unified_product_type: &'static str,
    product_type: ProductType,
}

impl<'a> LeadPayoutV3<'a> {
    pub(crate) fn of(p: &'a LeadPayout, sub_account: &SubAccountName<'a>) -> Self {
        Self {
            lead_uuid: p.lead_uuid,
            booked_at: p.booked_at,
            payout_in_cents: p.payout_in_cents,
            uuid: p.uuid,
            deleted_at: p.deleted_at,
            pagination_timestamp: p.ingestion.pagination_timestamp,
            supply_sub_account_uuid: sub_account.uuid,
            supply_sub_account_name: sub_account.name,
            financial_institution_name: p.financial_institution_name.as_deref(),
            financial_institution_uuid: p.financial_institution_uuid,
            unified_product_type: p.product.v3_names().0,
            product_type: p.product,
        }
    }
}

/// Version 3's `LeadClientTag` (1.106.0 lists no sub-account on tags).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LeadClientTagV3<'a> {
    hash: &'a str,
    lead_uuid: Uuid,
    key: &'a str,
    value: &'a str,
    #[serde(serialize_with = "serialize_rfc3339")]
    created_at: DateTime<Utc>,
    #[serde(serialize_with = "serialize_rfc3339")]
    pagination_timestamp: DateTime<Utc>,
}

impl<'a> LeadClientTagV3<'a> {
    pub(crate) fn of(t: &'a LeadClientTag) -> Self {
        Self {
            hash: &t.hash,
            lead_uuid: t.lead_uuid,
            key: &t.key,
            value: &t.value,
            created_at: t.created_at,
            pagination_timestamp: t.ingestion.pagination_timestamp,
        }
    }
}
