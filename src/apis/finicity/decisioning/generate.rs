//! `POST /decisioning/v2/customers/{customerId}/reports/{balance,cashflow}-analytics/userTypes/{userType}`:
//! check everything, store the report, answer 202 with `AnalyticsReportAck`
//! (`status: "inProgress"`). Checks run in this order and nothing is stored
//! unless all pass: credentials (401), the customer (400/404), the path's
//! user type, `callbackUrl` and the body (400), the purposes (400), a
//! security freeze (403), the business or consumer record (404), the
//! accounts and dates (400), the per-customer limit (400).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Months, NaiveDate, TimeDelta, Utc};
use serde_json::{Map, Value, json};

use super::super::Finicity;
use super::super::aggregation::{object, owned_customer};
use super::super::auth::Partner;
use super::super::clock;
use super::super::customers::Customer;
use super::super::error::ApiError;
use super::super::report::HISTORY_DAYS;
use super::records::{no_business, no_consumer};
use super::report;
use super::store::{CustomField, Interval, LimitReached, ReportRequest, Product, Purpose, UserType};
use crate::shared::request::{Buffered, query_pairs, query_value};

pub(crate) async fn generate_balance(
    state: State<Finicity>,
    caller: Partner<ApiError>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: RawQuery,
    Buffered(body): Buffered,
) -> Result<Response, ApiError> {
    generate(state, caller, path, query, body, Product::Balance)
}

pub(crate) async fn generate_cash_flow(
    state: State<Finicity>,
    caller: Partner<ApiError>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: RawQuery,
    Buffered(body): Buffered,
) -> Result<Response, ApiError> {
    generate(state, caller, path, query, body, Product::CashFlow)
}

/// Most custom fields a report takes, and the longest text of each.
const MAX_CUSTOM_FIELDS: usize = 5;
const MAX_CUSTOM_TEXT: usize = 255;
/// The longest `callbackUrl` kept.
const MAX_CALLBACK_URL: usize = 2000;

fn generate(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
    body: Bytes,
    product: Product,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let (customer_id, user_type) = match path {
        Ok(Path((customer, user_type))) => (Ok(Path(customer)), user_type),
        Err(_) => return Err(ApiError::ResourceNotFound),
    };
    let customer = owned_customer(&state, caller, customer_id)?;
    let user_type = match user_type.to_ascii_lowercase().as_str() {
        "business" => UserType::Business,
        "personal" => UserType::Personal,
        _ => {
            return Err(ApiError::decisioning(format!(
                "Invalid userType '{user_type}': allowed values are business and personal"
            )));
        }
    };
    let pairs = query_pairs(query.as_deref());
    let callback_url = query_value(&pairs, "callbackUrl")
        .map(callback_url)
        .transpose()?;
    let fields = object(&body)?;
    let data = ReportData::parse(fields.get("analyticsReportData"))?;
    let purpose = match (data.for_cra, data.for_ftc) {
        (true, true) => {
            return Err(ApiError::decisioning(
                "forCRAPurpose and forFTCPurpose may not both be TRUE.",
            ));
        }
        (_, true) if user_type == UserType::Personal => {
            return Err(ApiError::decisioning(
                "forFTCPurpose is only applicable to business reports.",
            ));
        }
        (true, false) => Purpose::Cra,
        (false, true) => Purpose::Ftc,
        (false, false) => Purpose::NonCra,
    };
    let custom_fields = custom_fields(fields.get("reportCustomFields"))?;
    let account_ids = account_ids(&customer, fields.get("accountIds"))?;
    let (start, from_date) = start_date(fields.get("fromDate"), now)?;

    if customer.security_freeze {
        return Err(ApiError::SecurityFreeze);
    }
    let records = &state.decisioning.records;
    let business = match user_type {
        UserType::Business => Some(records.business(customer.id).ok_or_else(|| no_business(customer.id))?),
        UserType::Personal => None,
    };
    let consumer = if user_type == UserType::Personal || data.personal_guarantor {
        Some(records.consumer(customer.id).ok_or_else(|| no_consumer(customer.id))?)
    } else {
        None
    };

    let requester_name = state
        .finicity
        .auth
        .partner(caller.partner)
        .map(|p| p.name.clone())
        .unwrap_or_default();
    let created = state.decisioning.reports.create(ReportRequest {
        product,
        user_type,
        purpose,
        partner: caller.partner,
        requester_name,
        customer,
        account_ids,
        start,
        from_date,
        report_data: data.echo,
        custom_fields,
        intervals: data.intervals,
        business,
        consumer,
        created: now,
        callback_url,
    });
    let report = created.map_err(|LimitReached| ApiError::Decisioning {
        status: StatusCode::BAD_REQUEST,
        code: "20400",
        message: "The max report generation limit was exceeded for this customer.".into(),
    })?;
    if report.request.callback_url.is_some() {
        state.decisioning.callbacks.schedule(&report);
    }
    Ok((StatusCode::ACCEPTED, Json(report::ack(&report, now))).into_response())
}

/// An absolute http(s) URL of reasonable length.
fn callback_url(url: &str) -> Result<String, ApiError> {
    let valid = url.len() <= MAX_CALLBACK_URL
        && (url.starts_with("http://") || url.starts_with("https://"))
        && url.parse::<Uri>().is_ok_and(|u| u.host().is_some_and(|h| !h.is_empty()));
    if valid {
        Ok(url.to_owned())
    } else {
        Err(ApiError::decisioning(format!(
            "Invalid callbackUrl: an absolute http or https URL of at most {MAX_CALLBACK_URL} characters is required"
        )))
    }
}

/// `analyticsReportData`, checked, with what the ack echoes.
struct ReportData {
    for_cra: bool,
    for_ftc: bool,
    personal_guarantor: bool,
    intervals: Vec<Interval>,
    echo: Option<Value>,
}

impl ReportData {
    fn parse(value: Option<&Value>) -> Result<Self, ApiError> {
        let fields = match value {
            None | Some(Value::Null) => &Map::new(),
            Some(Value::Object(fields)) => fields,
            Some(_) => {
                return Err(ApiError::InvalidField(
                    "\"analyticsReportData\" must be of type object".into(),
                ));
            }
        };
        let mut echo = Map::new();
        let mut flag = |name: &str| -> Result<bool, ApiError> {
            match fields.get(name) {
                None | Some(Value::Null) => Ok(false),
                Some(Value::Bool(b)) => {
                    echo.insert(name.to_owned(), Value::Bool(*b));
                    Ok(*b)
                }
                Some(_) => Err(ApiError::InvalidField(format!(
                    "\"analyticsReportData.{name}\" must be a boolean"
                ))),
            }
        };
        let for_cra = flag("forCraPurpose")?;
        let for_ftc = flag("forFtcPurpose")?;
        let personal_guarantor = flag("applicantIsPersonalGuarantor")?;
        let mut intervals = Vec::new();
        match fields.get("timeIntervalTypes") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) if items.len() <= 2 => {
                for item in items {
                    let interval = item.as_str().and_then(Interval::parse).ok_or_else(|| {
                        ApiError::InvalidField(
                            "\"analyticsReportData.timeIntervalTypes\" items must be one of [MONTHLY_CALENDAR, MONTHLY_ROLLING_30]"
                                .into(),
                        )
                    })?;
                    if !intervals.contains(&interval) {
                        intervals.push(interval);
                    }
                }
            }
            Some(Value::Array(_)) => {
                return Err(ApiError::InvalidField(
                    "\"analyticsReportData.timeIntervalTypes\" must contain less than or equal to 2 items".into(),
                ));
            }
            Some(_) => {
                return Err(ApiError::InvalidField(
                    "\"analyticsReportData.timeIntervalTypes\" must be an array".into(),
                ));
            }
        }
        if intervals.is_empty() {
            intervals.push(Interval::MonthlyCalendar);
        }
        echo.insert("timeIntervalTypes".into(), json!(intervals));
        Ok(Self {
            for_cra,
            for_ftc,
            personal_guarantor,
            intervals,
            echo: Some(Value::Object(echo)),
        })
    }
}

fn custom_fields(value: Option<&Value>) -> Result<Vec<CustomField>, ApiError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) if items.len() <= MAX_CUSTOM_FIELDS => items,
        Some(Value::Array(_)) => {
            return Err(ApiError::InvalidField(format!(
                "\"reportCustomFields\" must contain less than or equal to {MAX_CUSTOM_FIELDS} items"
            )));
        }
        Some(_) => return Err(ApiError::InvalidField("\"reportCustomFields\" must be an array".into())),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = |name: &str| format!("reportCustomFields[{i}].{name}");
            let Value::Object(fields) = item else {
                return Err(ApiError::InvalidField(format!(
                    "\"reportCustomFields[{i}]\" must be of type object"
                )));
            };
            let text = |name: &str| -> Result<String, ApiError> {
                match fields.get(name) {
                    None | Some(Value::Null) => Ok(String::new()),
                    Some(Value::String(s)) if s.chars().count() <= MAX_CUSTOM_TEXT => Ok(s.clone()),
                    Some(Value::String(_)) => Err(ApiError::InvalidField(format!(
                        "\"{}\" length must be less than or equal to {MAX_CUSTOM_TEXT} characters long",
                        at(name)
                    ))),
                    Some(_) => Err(ApiError::InvalidField(format!("\"{}\" must be a string", at(name)))),
                }
            };
            let shown = match fields.get("shown") {
                None | Some(Value::Null) => true,
                Some(Value::Bool(b)) => *b,
                Some(_) => {
                    return Err(ApiError::InvalidField(format!(
                        "\"{}\" must be a boolean",
                        at("shown")
                    )));
                }
            };
            Ok(CustomField {
                label: text("label")?,
                value: text("value")?,
                shown,
            })
        })
        .collect()
}

/// The whitespace-separated `accountIds`: the customer's accounts, distinct,
/// in the order given; every account when absent or blank.
fn account_ids(customer: &Customer, value: Option<&Value>) -> Result<Vec<u64>, ApiError> {
    let listed = match value {
        None | Some(Value::Null) => "",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => {
            return Err(ApiError::InvalidField(
                "\"accountIds\" must be a string of account IDs separated by spaces".into(),
            ));
        }
    };
    let mut chosen: Vec<u64> = Vec::new();
    for token in listed.split_whitespace() {
        let account = token.parse::<u64>().ok().and_then(|id| customer.account(id));
        let Some(account) = account else {
            let shown: String = token.chars().take(40).collect();
            return Err(ApiError::decisioning(format!(
                "Account {shown} does not belong to customer {}.",
                customer.id
            )));
        };
        if !chosen.contains(&account.id) {
            chosen.push(account.id);
        }
    }
    if chosen.is_empty() {
        chosen = customer.accounts.iter().map(|a| a.id).collect();
    }
    if chosen.is_empty() {
        return Err(ApiError::decisioning(format!(
            "Customer {} has no accounts.",
            customer.id
        )));
    }
    Ok(chosen)
}

/// The first day reported on, and `fromDate` as the ack echoes it: 24
/// months back by default; never before the two years of history
/// accounts have; never in the future.
fn start_date(value: Option<&Value>, now: DateTime<Utc>) -> Result<(NaiveDate, i64), ApiError> {
    let today = clock::local_date(now);
    let earliest = today - TimeDelta::days(HISTORY_DAYS - 1);
    let from = match value {
        None | Some(Value::Null) => {
            let from = now.checked_sub_months(Months::new(24)).unwrap_or(now);
            return Ok((clock::local_date(from).max(earliest), from.timestamp()));
        }
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| {
            ApiError::InvalidField("\"fromDate\" must be an integer of epoch seconds".into())
        })?,
        Some(_) => {
            return Err(ApiError::InvalidField(
                "\"fromDate\" must be an integer of epoch seconds".into(),
            ));
        }
    };
    let at = DateTime::from_timestamp(from, 0)
        .filter(|at| *at <= now)
        .ok_or_else(|| ApiError::decisioning("fromDate must be a past date in epoch seconds."))?;
    Ok((clock::local_date(at).max(earliest), from))
}

