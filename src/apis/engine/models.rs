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
pub enum EventType {
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
    pub fn as_str(self) -> &'static str {
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
    pub fn involves_institution(self) -> bool {
        !matches!(self, EventType::LeadCreated | EventType::AppSubmitted)
    }
}

/// The spec's `ProductType` enum (snake_case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductType {
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
    pub const ALL: [ProductType; 9] = [
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
pub enum RejectReason {
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
pub struct EventData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reject_reason: Option<RejectReason>,
    /// Whole dollars (the spec's `amount`), for applied/approved/listed/funded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payout_in_cents: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_type: Option<ProductType>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadEvent {
    pub id: String,
    pub lead_uuid: Uuid,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub lead_created_at: DateTime<Utc>,
    pub event_type: EventType,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub event_created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_data: Option<EventData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_in_cents: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub financial_institution_uuid: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub financial_institution_name: Option<Cow<'static, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_type: Option<ProductType>,
    pub is_test: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadPayout {
    pub lead_uuid: Uuid,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub booked_at: DateTime<Utc>,
    /// Cents; may be fractional on the wire (spec: number/double).
    pub payout_in_cents: f64,
    pub uuid: Uuid,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_optional_rfc3339"
    )]
    pub deleted_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub financial_institution_name: Option<Cow<'static, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub financial_institution_uuid: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadClientTag {
    pub hash: String,
    pub lead_uuid: Uuid,
    /// Generated tags borrow their keys and most values from static lists.
    pub key: Cow<'static, str>,
    pub value: Cow<'static, str>,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub created_at: DateTime<Utc>,
}

/// The envelope shared by the three cursor endpoints.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CursorPage<T> {
    pub next_url: String,
    pub should_continue_polling: bool,
    pub data: T,
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
