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
        }
    }

    /// Events that happen at a financial institution carry its name and uuid.
    pub(crate) fn involves_institution(self) -> bool {
        !matches!(self, EventType::LeadCreated | EventType::AppSubmitted)
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadClientTag {
    pub(crate) hash: String,
    pub lead_uuid: Uuid,
    /// Generated tags borrow their keys and most values from static lists.
    pub key: Cow<'static, str>,
    pub(crate) value: Cow<'static, str>,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub(crate) created_at: DateTime<Utc>,
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
