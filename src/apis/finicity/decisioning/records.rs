//! The records a report needs before it is generated: one business
//! (`/business-services/customers/{customer_id}/businesses`) and one
//! consumer (`/decisioning/v1/customers/{customerId}/consumer`) per
//! customer. A consumer keeps only the last four digits of its SSN: the
//! API never shows more, so leadsim never holds more.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::{Map, Value};

use super::super::Finicity;
use super::super::aggregation::{bounded, object, optional_string, owned_customer, required_string};
use super::super::auth::Partner;
use super::super::clock;
use super::super::error::ApiError;
use crate::shared::request::Buffered;
use crate::shared::seed::Seed;

/// A customer's business, as `Business` shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BusinessRecord {
    pub(crate) name: String,
    pub(crate) personally_liable: bool,
    pub(crate) address: Map<String, Value>,
    pub(crate) phone_number: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) email: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub(crate) kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tax_id: Option<String>,
    pub(crate) business_id: String,
    pub(crate) created_date: String,
    pub(crate) modified_date: String,
}

/// A customer's consumer, as `Consumer` shows it (every member the schema
/// requires is present; absent strings are empty).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConsumerRecord {
    pub(crate) id: String,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) customer_id: i64,
    pub(crate) address: String,
    pub(crate) city: String,
    pub(crate) state: String,
    pub(crate) zip: String,
    pub(crate) phone: String,
    /// The last four digits.
    pub(crate) ssn: String,
    pub(crate) birthday: Map<String, Value>,
    pub(crate) email: String,
    pub(crate) created_date: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) suffix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) end_user: Option<Map<String, Value>>,
}

/// Every customer's records; at most one of each kind per customer, so
/// they are bounded by the customers there are.
#[derive(Debug)]
pub(crate) struct Records {
    inner: Mutex<Inner>,
    seed: Seed,
}

#[derive(Debug, Default)]
struct Inner {
    businesses: HashMap<i64, Arc<BusinessRecord>>,
    consumers: HashMap<i64, Arc<ConsumerRecord>>,
}

impl Records {
    pub(crate) fn new(seed: Seed) -> Self {
        Self {
            inner: Mutex::default(),
            seed,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn business(&self, customer: i64) -> Option<Arc<BusinessRecord>> {
        self.lock().businesses.get(&customer).cloned()
    }

    pub(crate) fn consumer(&self, customer: i64) -> Option<Arc<ConsumerRecord>> {
        self.lock().consumers.get(&customer).cloned()
    }

    pub(crate) fn reset(&self) {
        *self.lock() = Inner::default();
    }
}

/// Longest text kept in any member: the records stay small whatever a
/// client sends.
const MAX_TEXT: usize = 255;

/// A nested object of strings, each within its bound; `None` when absent.
fn string_object(
    fields: &Map<String, Value>,
    name: &str,
    members: &[(&str, usize)],
) -> Result<Option<Map<String, Value>>, ApiError> {
    let inner = match fields.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(inner)) => inner,
        Some(_) => return Err(ApiError::InvalidField(format!("\"{name}\" must be of type object"))),
    };
    let mut kept = Map::new();
    for (member, max) in members {
        let path = format!("{name}.{member}");
        let value = optional_string(inner, member).map_err(|_| {
            ApiError::InvalidField(format!("\"{path}\" must be a string"))
        })?;
        if let Some(value) = bounded(&path, value, *max)? {
            kept.insert((*member).to_owned(), Value::String(value));
        }
    }
    Ok(Some(kept))
}

/// `POST /business-services/customers/{customer_id}/businesses`: 200 with
/// the business; 409 when the customer has one.
pub(crate) async fn add_business(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    customer_id: Result<Path<String>, PathRejection>,
    Buffered(body): Buffered,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let customer = owned_customer(&state, caller, customer_id)?;
    let fields = object(&body)?;
    let name = bounded("name", Some(required_string(&fields, "name")?), 150)?.unwrap_or_default();
    let personally_liable = match fields.get("personallyLiable") {
        None | Some(Value::Null) => {
            return Err(ApiError::InvalidField("\"personallyLiable\" is required".into()));
        }
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::InvalidField("\"personallyLiable\" must be a boolean".into())),
    };
    let address = string_object(
        &fields,
        "address",
        &[
            ("addressLine1", MAX_TEXT),
            ("addressLine2", MAX_TEXT),
            ("city", MAX_TEXT),
            ("state", MAX_TEXT),
            ("country", 2),
            ("postalCode", MAX_TEXT),
        ],
    )?
    .ok_or_else(|| ApiError::InvalidField("\"address\" is required".into()))?;
    let phone_number = string_object(&fields, "phoneNumber", &[("countryCode", 3), ("phoneNo", 12)])?
        .ok_or_else(|| ApiError::InvalidField("\"phoneNumber\" is required".into()))?;
    let url = bounded("url", optional_string(&fields, "url")?, 2000)?;
    if let Some(url) = &url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(ApiError::InvalidField("\"url\" must be a valid uri".into()));
    }
    let email = bounded("email", optional_string(&fields, "email")?, MAX_TEXT)?;
    let kind = bounded("type", optional_string(&fields, "type")?, 150)?;
    let tax_id = bounded("taxId", optional_string(&fields, "taxId")?, 15)?;

    let mut records = state.decisioning.records.lock();
    if records.businesses.contains_key(&customer.id) {
        return Err(ApiError::conflict(format!(
            "A business already exists for customer {}",
            customer.id
        )));
    }
    let stamp = clock::mountain(now).format("%Y-%m-%dT%H:%M:%S").to_string();
    let business = Arc::new(BusinessRecord {
        name,
        personally_liable,
        address,
        phone_number,
        url,
        email,
        kind,
        tax_id,
        // Like the vendor's: a number, shown as a string.
        business_id: (customer.id * 10 + 7).to_string(),
        created_date: stamp.clone(),
        modified_date: stamp,
    });
    records.businesses.insert(customer.id, business.clone());
    Ok(Json(business).into_response())
}

/// `GET /business-services/customers/{customer_id}/businesses`: a list of
/// the one business (`BusinessList` has exactly one item); 404 until it is added.
pub(crate) async fn get_businesses(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    customer_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let customer = owned_customer(&state, caller, customer_id)?;
    let business = state
        .decisioning
        .records
        .business(customer.id)
        .ok_or_else(|| no_business(customer.id))?;
    Ok(Json([business]).into_response())
}

/// The 404 for a customer without a business record.
pub(crate) fn no_business(customer: i64) -> ApiError {
    ApiError::decisioning_not_found(format!("Cannot find business for customer with id {customer}."))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreatedConsumer {
    id: String,
    created_date: i64,
    customer_id: i64,
}

/// `POST /decisioning/v1/customers/{customerId}/consumer`: 201; 409 when
/// the customer has one. `ssn` or `birthday`, and `phone` or `email`, are
/// required besides the names and state.
pub(crate) async fn create_consumer(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    customer_id: Result<Path<String>, PathRejection>,
    Buffered(body): Buffered,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let customer = owned_customer(&state, caller, customer_id)?;
    let fields = object(&body)?;
    let required = |name: &str| -> Result<String, ApiError> {
        Ok(bounded(name, Some(required_string(&fields, name)?), MAX_TEXT)?.unwrap_or_default())
    };
    let optional = |name: &str| bounded(name, optional_string(&fields, name)?, MAX_TEXT);
    let first_name = required("firstName")?;
    let last_name = required("lastName")?;
    let state_code = required("state")?;
    let address = optional("address")?;
    let city = optional("city")?;
    let zip = optional("zip")?;
    let phone = optional("phone")?;
    let email = optional("email")?;
    let suffix = optional("suffix")?;
    let ssn = optional_string(&fields, "ssn")?
        .map(|ssn| ssn_last_four(&ssn))
        .transpose()?;
    let birthday = birthday(&fields, clock::local_date(now))?;
    if ssn.is_none() && birthday.is_none() {
        return Err(ApiError::InvalidField("\"ssn\" or \"birthday\" is required".into()));
    }
    if phone.is_none() && email.is_none() {
        return Err(ApiError::InvalidField("\"phone\" or \"email\" is required".into()));
    }
    let end_user = string_object(
        &fields,
        "endUser",
        &[
            ("name", MAX_TEXT),
            ("address", MAX_TEXT),
            ("city", MAX_TEXT),
            ("state", MAX_TEXT),
            ("zip", MAX_TEXT),
            ("phone", MAX_TEXT),
            ("email", MAX_TEXT),
            ("url", 999),
        ],
    )?;

    let mut records = state.decisioning.records.lock();
    if records.consumers.contains_key(&customer.id) {
        return Err(ApiError::conflict(format!(
            "A consumer already exists for customer {}",
            customer.id
        )));
    }
    let id = state.decisioning.records.seed.uuid("finicity.consumers", customer.id);
    let consumer = ConsumerRecord {
        id: id.simple().to_string(),
        first_name,
        last_name,
        customer_id: customer.id,
        address: address.unwrap_or_default(),
        city: city.unwrap_or_default(),
        state: state_code,
        zip: zip.unwrap_or_default(),
        phone: phone.unwrap_or_default(),
        ssn: ssn.unwrap_or_default(),
        birthday: birthday.unwrap_or_default(),
        email: email.unwrap_or_default(),
        created_date: now.timestamp(),
        suffix,
        end_user,
    };
    let created = CreatedConsumer {
        id: consumer.id.clone(),
        created_date: consumer.created_date,
        customer_id: customer.id,
    };
    records.consumers.insert(customer.id, Arc::new(consumer));
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `GET /decisioning/v1/customers/{customerId}/consumer`.
pub(crate) async fn get_consumer(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    customer_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let customer = owned_customer(&state, caller, customer_id)?;
    let consumer = state
        .decisioning
        .records
        .consumer(customer.id)
        .ok_or_else(|| no_consumer(customer.id))?;
    Ok(Json(consumer).into_response())
}

/// The vendor's 404 for a customer without a consumer record.
pub(crate) fn no_consumer(customer: i64) -> ApiError {
    ApiError::decisioning_not_found(format!("Cannot find consumer for customer with id {customer}."))
}

/// Nine digits, with or without hyphens (`999-99-9999`): the last four.
fn ssn_last_four(ssn: &str) -> Result<String, ApiError> {
    let digits: String = ssn.chars().filter(|c| *c != '-').collect();
    if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::InvalidField(
            "\"ssn\" must be 9 digits, with or without hyphens".into(),
        ));
    }
    Ok(digits[5..].to_owned())
}

/// `{year, month, dayOfMonth}`, numbers or digit strings (the vendor's
/// own example sends strings), a real date in the past.
fn birthday(fields: &Map<String, Value>, today: NaiveDate) -> Result<Option<Map<String, Value>>, ApiError> {
    let inner = match fields.get("birthday") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(inner)) => inner,
        Some(_) => return Err(ApiError::InvalidField("\"birthday\" must be of type object".into())),
    };
    let part = |name: &str| -> Result<i32, ApiError> {
        let invalid = || ApiError::InvalidField(format!("\"birthday.{name}\" must be a number"));
        match inner.get(name) {
            None | Some(Value::Null) => Err(ApiError::InvalidField(format!("\"birthday.{name}\" is required"))),
            Some(Value::Number(n)) => n.as_i64().and_then(|n| i32::try_from(n).ok()).ok_or_else(invalid),
            Some(Value::String(s)) => s.trim().parse().map_err(|_| invalid()),
            Some(_) => Err(invalid()),
        }
    };
    let (year, month, day) = (part("year")?, part("month")?, part("dayOfMonth")?);
    let valid = u32::try_from(month)
        .ok()
        .zip(u32::try_from(day).ok())
        .and_then(|(m, d)| NaiveDate::from_ymd_opt(year, m, d))
        .is_some_and(|date| date.year() >= 1900 && date < today);
    if !valid {
        return Err(ApiError::InvalidField("\"birthday\" must be a past date".into()));
    }
    let mut kept = Map::new();
    kept.insert("year".into(), year.into());
    kept.insert("month".into(), month.into());
    kept.insert("dayOfMonth".into(), day.into());
    Ok(Some(kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_last_four_digits_of_an_ssn_are_kept() {
        assert_eq!(ssn_last_four("999-99-1234").ok().as_deref(), Some("1234"));
        assert_eq!(ssn_last_four("989898989").ok().as_deref(), Some("8989"));
        for bad in ["", "12345678", "1234567890", "abc-de-fghi", "999 99 1234"] {
            assert!(ssn_last_four(bad).is_err(), "{bad}");
        }
    }
}
