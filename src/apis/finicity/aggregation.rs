//! The aggregation calls a client makes before analytics: partner
//! authentication, testing customers, a customer and its accounts.
//! Errors are `ErrorMessage` bodies; field problems read like the
//! vendor's (`"partnerId" is required`).

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

use super::Finicity;
use super::auth::{App, Caller, Partner};
use super::customers::{Account, ContactDetails, Customer, Enrolment, MAX_TESTING_CUSTOMERS};
use super::error::ApiError;
use super::fixtures::{CustomerKind, valid_username};
use crate::shared::request::{Buffered, query_pairs, query_value};

/// `POST /aggregation/v2/partners/authentication`.
pub(crate) async fn create_token(
    State(state): State<Finicity>,
    App(app_partner, ..): App<ApiError>,
    Buffered(body): Buffered,
) -> Result<Response, ApiError> {
    let finicity = &state.finicity;
    let fields = object(&body)?;
    let partner_id = required_string(&fields, "partnerId")?;
    let secret = required_string(&fields, "partnerSecret")?;
    let token = finicity
        .auth
        .authenticate(app_partner, &partner_id, &secret, state.clock.now())?;
    Ok(Json(serde_json::json!({ "token": token })).into_response())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreatedCustomer<'a> {
    id: String,
    username: &'a str,
    created_date: i64,
}

/// `POST /aggregation/v2/customers/testing`: 201 with the new customer.
pub(crate) async fn add_testing_customer(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    Buffered(body): Buffered,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let fields = object(&body)?;
    let username = required_string(&fields, "username")?;
    if username.chars().count() < 6 {
        return Err(ApiError::InvalidField(
            "\"username\" length must be at least 6 characters long".into(),
        ));
    }
    if !valid_username(&username) {
        return Err(ApiError::InvalidField(
            "\"username\" length must be less than or equal to 255 characters long".into(),
        ));
    }
    // Kept (names) or not, every field has the vendor's length bound, so a
    // stored customer is small whatever a client sends.
    let optional = |name: &str| bounded(name, optional_string(&fields, name)?, 255);
    let first_name = optional("firstName")?;
    let last_name = optional("lastName")?;
    let contact = ContactDetails {
        phone: optional("phone")?,
        email: optional("email")?,
        application_id: optional("applicationId")?,
    };
    let customer = state
        .finicity
        .customers
        .enroll_testing(caller.partner, &username, first_name, last_name, contact, now)
        .map_err(|refused| match refused {
            Enrolment::UsernameTaken => ApiError::UsernameTaken,
            Enrolment::Full => ApiError::InvalidField(format!(
                "at most {MAX_TESTING_CUSTOMERS} testing customers can be enrolled; POST /__admin/reset to start again"
            )),
        })?;
    let body = CreatedCustomer {
        id: customer.id.to_string(),
        username: &customer.username,
        created_date: customer.created.timestamp(),
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CustomerBody<'a> {
    id: String,
    username: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<&'a str>,
    #[serde(rename = "type")]
    kind: &'static str,
    created_date: String,
    last_modified_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    application_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
}

/// `GET /aggregation/v1/customers/{customerId}`.
pub(crate) async fn get_customer(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    customer_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let customer = owned_customer(&state, caller, customer_id)?;
    let created = customer.created.timestamp().to_string();
    Ok(Json(CustomerBody {
        id: customer.id.to_string(),
        username: &customer.username,
        first_name: customer.first_name.as_deref(),
        last_name: customer.last_name.as_deref(),
        kind: if customer.testing { "testing" } else { "active" },
        created_date: created.clone(),
        last_modified_date: created,
        application_id: customer.contact.application_id.as_deref(),
        phone: customer.contact.phone.as_deref(),
        email: customer.contact.email.as_deref(),
    })
    .into_response())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AccountBody<'a> {
    id: String,
    number: &'a str,
    account_number_display: &'a str,
    real_account_number_last4: &'a str,
    name: &'a str,
    account_nickname: &'a str,
    balance: f64,
    #[serde(rename = "type")]
    kind: &'a str,
    aggregation_status_code: i32,
    status: &'a str,
    customer_id: String,
    institution_id: String,
    balance_date: i64,
    aggregation_success_date: i64,
    aggregation_attempt_date: i64,
    created_date: i64,
    last_updated_date: i64,
    market_segment: &'static str,
    currency: &'a str,
    institution_login_id: i64,
    display_position: u32,
    /// Spec 1.42.0: when the account was linked, and its authorization
    /// (open-ended: simulated accounts never lose it).
    linked_account_date: i64,
    authorization_start_date: i64,
    authorization_expires: bool,
}

/// `GET /aggregation/v1/customers/{customerId}/accounts` with the optional
/// `status` filter and `account_type=ava` (deposit accounts only, the one
/// type the vendor supports there).
pub(crate) async fn get_customer_accounts(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    customer_id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let customer = owned_customer(&state, caller, customer_id)?;
    let pairs = query_pairs(query.as_deref());
    let status = query_value(&pairs, "status");
    let deposits_only = match query_value(&pairs, "account_type") {
        None | Some("") => false,
        Some("ava") => true,
        Some(_) => return Err(ApiError::AccountTypeNotSupported),
    };
    Ok(customer_accounts(&customer, now, |a| {
        status.is_none_or(|s| s.is_empty() || a.status == s) && (!deposits_only || a.is_deposit())
    }))
}

/// `CustomerAccounts`: the customer's accounts that `keep` selects, each at
/// its position in the customer's list (`displayPosition`).
pub(crate) fn customer_accounts(
    customer: &Customer,
    now: chrono::DateTime<chrono::Utc>,
    keep: impl Fn(&Account) -> bool,
) -> Response {
    let today = super::clock::local_date(now);
    let accounts: Vec<AccountBody<'_>> = customer
        .accounts
        .iter()
        .enumerate()
        .filter(|(_, a)| keep(a))
        .map(|(position, a)| account_body(customer, a, position, today, now.timestamp()))
        .collect();
    Json(serde_json::json!({ "accounts": accounts })).into_response()
}

pub(crate) fn account_body<'a>(
    customer: &'a Customer,
    account: &'a Account,
    position: usize,
    today: chrono::NaiveDate,
    now: i64,
) -> AccountBody<'a> {
    AccountBody {
        id: account.id.to_string(),
        number: &account.number,
        account_number_display: account.last4(),
        real_account_number_last4: account.last4(),
        name: &account.name,
        account_nickname: &account.name,
        balance: super::metrics::dollars(account.balances.ending_balance(today)),
        kind: &account.kind,
        aggregation_status_code: account.aggregation_status,
        status: &account.status,
        customer_id: customer.id.to_string(),
        institution_id: account.institution.id.to_string(),
        balance_date: now,
        aggregation_success_date: now,
        aggregation_attempt_date: now,
        created_date: account.created.timestamp(),
        last_updated_date: now,
        market_segment: match customer.kind {
            CustomerKind::Business => "business",
            CustomerKind::Personal => "personal",
        },
        currency: &account.currency,
        institution_login_id: account.institution_login_id,
        display_position: u32::try_from(position + 1).unwrap_or(u32::MAX),
        linked_account_date: account.created.timestamp(),
        authorization_start_date: account.created.timestamp(),
        authorization_expires: false,
    }
}

/// The customer named in the path, if it is the caller's. A malformed id
/// or another partner's customer is the vendor's 400 "does not exist or
/// does not belong to this partner"; an unknown one is 404.
pub(crate) fn owned_customer(
    state: &Finicity,
    caller: Caller,
    customer_id: Result<Path<String>, PathRejection>,
) -> Result<std::sync::Arc<Customer>, ApiError> {
    let not_ours =
        || ApiError::InvalidField("Customer ID does not exist or does not belong to this partner".into());
    let id = customer_id
        .ok()
        .and_then(|Path(id)| super::parse_customer_id(&id))
        .ok_or_else(not_ours)?;
    let customer = state
        .finicity
        .customers
        .get(id)
        .ok_or(ApiError::CustomerNotFound)?;
    if customer.partner != caller.partner {
        return Err(not_ours());
    }
    Ok(customer)
}

/// The customer of a `/customers/{customerId}/…/{id}` path, if it is the
/// caller's (refused as [`owned_customer`] refuses), and the other segment.
pub(crate) fn owned_customer_and(
    state: &Finicity,
    caller: Caller,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<(std::sync::Arc<Customer>, String), ApiError> {
    let (customer_id, other) = path.map(|Path(p)| p).unwrap_or_default();
    Ok((owned_customer(state, caller, Ok(Path(customer_id)))?, other))
}

/// The body as a JSON object; an empty body reads as `{}` so that the
/// missing fields are named.
pub(crate) fn object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(ApiError::InvalidField("\"value\" must be of type object".into())),
        Err(_) => Err(ApiError::BadRequest),
    }
}

pub(crate) fn required_string(fields: &Map<String, Value>, name: &str) -> Result<String, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Err(ApiError::InvalidField(format!("\"{name}\" is required"))),
        Some(Value::String(s)) if s.trim().is_empty() => Err(ApiError::InvalidField(format!(
            "\"{name}\" is not allowed to be empty"
        ))),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(ApiError::InvalidField(format!("\"{name}\" must be a string"))),
    }
}

/// `value` when it is at most `max` characters, in the vendor's words otherwise.
pub(crate) fn bounded(name: &str, value: Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    match value {
        Some(v) if v.chars().count() > max => Err(ApiError::InvalidField(format!(
            "\"{name}\" length must be less than or equal to {max} characters long"
        ))),
        v => Ok(v),
    }
}

pub(crate) fn optional_string(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::InvalidField(format!("\"{name}\" must be a string"))),
    }
}
