//! `POST /connect/v2/generate` and its `lite`, `fix` and `send/email`
//! variants: validate the documented parameters (string error codes, as
//! the Connect service answers), ping the `webhook`, and answer a `link`
//! to leadsim's own Connect experience on the origin the caller reached
//! leadsim at, so the Web SDK's origin check passes.

use std::sync::Arc;

use axum::Json;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::TimeDelta;
use serde_json::{Map, Value, json};

use super::super::Finicity;
use super::super::aggregation::object;
use super::super::auth::{Caller, Partner};
use super::super::customers::Customer;
use super::super::error::{ApiError, Code};
use super::super::institutions;
use super::session::Session;
use super::webhooks::Target;
use super::{LINK_LIFETIME_MS, Link, LinkKind};
use crate::shared::request::{Head, HeadAndBody, public_base_url};

/// Where links point: the experience's path on leadsim.
pub(crate) const EXPERIENCE_PATH: &str = "/connect/experience";
/// `webhookHeaders` entries kept at most, and their size.
const MAX_WEBHOOK_HEADERS: usize = 20;
const MAX_WEBHOOK_HEADER_BYTES: usize = 1_024;
/// What `webhookData` may weigh (it is echoed in every event).
const MAX_WEBHOOK_DATA_BYTES: usize = 4_096;
const MAX_URL_BYTES: usize = 2_048;

/// Which generate call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Full,
    Lite,
    Fix,
    Email,
}

pub(crate) async fn generate(state: State<Finicity>, caller: Partner<ApiError>, request: HeadAndBody) -> Result<Response, ApiError> {
    create(state, caller, request, Variant::Full).await
}

pub(crate) async fn generate_lite(state: State<Finicity>, caller: Partner<ApiError>, request: HeadAndBody) -> Result<Response, ApiError> {
    create(state, caller, request, Variant::Lite).await
}

pub(crate) async fn generate_fix(state: State<Finicity>, caller: Partner<ApiError>, request: HeadAndBody) -> Result<Response, ApiError> {
    create(state, caller, request, Variant::Fix).await
}

pub(crate) async fn send_email(state: State<Finicity>, caller: Partner<ApiError>, request: HeadAndBody) -> Result<Response, ApiError> {
    create(state, caller, request, Variant::Email).await
}

/// A Connect-service 400: code `"10010"` with the vendor's `user_message`.
fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::InvalidField(message.into())
}

async fn create(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    HeadAndBody {
        head: Head { headers, .. },
        body,
    }: HeadAndBody,
    variant: Variant,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let fields = object(&body)?;
    let partner = state
        .finicity
        .auth
        .partner(caller.partner)
        .ok_or(ApiError::PartnerNotFound)?;
    let partner_id = string(&fields, "partnerId")?.ok_or_else(|| invalid("\"partnerId\" is required"))?;
    if partner_id != partner.partner_id {
        return Err(invalid("Invalid \"partnerId\" in request body"));
    }
    let customer_id = string(&fields, "customerId")?.ok_or_else(|| invalid("\"customerId\" is required"))?;
    let customer = customer(&state, caller, &customer_id)?;

    let kind = match variant {
        Variant::Full => LinkKind::Full,
        Variant::Email => LinkKind::Email,
        Variant::Lite => {
            let id = match fields.get("institutionId") {
                None | Some(Value::Null) => return Err(invalid("\"institutionId\" is required")),
                Some(Value::Number(n)) => n.as_u64().ok_or_else(|| invalid("\"institutionId\" must be an integer"))?,
                Some(_) => return Err(invalid("\"institutionId\" must be a number")),
            };
            if institutions::find(id).is_none() {
                return Err(invalid("Invalid \"institutionId\" in request body"));
            }
            LinkKind::Lite { institution: id }
        }
        Variant::Fix => {
            let login = string(&fields, "institutionLoginId")?
                .ok_or_else(|| invalid("\"institutionLoginId\" is required"))?;
            let account = login
                .parse::<i64>()
                .ok()
                .and_then(|login| customer.accounts.iter().find(|a| a.institution_login_id == login));
            let Some(account) = account else {
                return Err(ApiError::Coded {
                    status: StatusCode::NOT_FOUND,
                    code: Code::Text("38007"),
                    message: "Customer does not have any accounts associated with institutionLoginId.".into(),
                });
            };
            LinkKind::Fix {
                institution: account.institution.id,
                login: account.institution_login_id,
            }
        }
    };
    let consumer_id = string(&fields, "consumerId")?;
    if variant == Variant::Email && consumer_id.is_none() {
        return Err(invalid("\"consumerId\" is required"));
    }
    let email_config = match (variant, fields.get("email")) {
        (Variant::Email, Some(Value::Object(email))) => {
            match email.get("to") {
                Some(Value::String(to)) if !to.trim().is_empty() => {}
                Some(Value::String(_)) => return Err(invalid("\"email.to\" is not allowed to be empty")),
                Some(_) => return Err(invalid("\"email.to\" must be a string")),
                None => return Err(invalid("\"email.to\" is required")),
            }
            Some(Value::Object(email.clone()))
        }
        (Variant::Email, None | Some(Value::Null)) => return Err(invalid("\"email\" is required")),
        (Variant::Email, Some(_)) => return Err(invalid("\"email\" must be of type object")),
        _ => None,
    };
    let options = Options::read(&fields, variant)?;

    let target = match &options.webhook {
        Some(url) => {
            let target = Arc::new(Target {
                url: url.clone(),
                xml: options.xml,
                data: options.webhook_data.clone(),
                headers: options.webhook_headers.clone(),
                secret: partner.partner_secret.clone(),
                customer_id: customer.id.to_string(),
                consumer_id: consumer_id.clone(),
            });
            if let Err(why) = state.connect.webhooks.ping(&target).await {
                return Err(invalid(format!(
                    "The webhook did not answer the ping event with a 2xx status ({why})"
                )));
            }
            Some(target)
        }
        None => None,
    };

    let signature = state.connect.next_signature();
    let timestamp = now.timestamp_millis();
    let ttl = timestamp + LINK_LIFETIME_MS;
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("customerId", &customer.id.to_string());
    if let LinkKind::Lite { institution } = &kind {
        query.append_pair("institutionId", &institution.to_string());
    }
    if let LinkKind::Fix { login, .. } = &kind {
        query.append_pair("institutionLoginId", &login.to_string());
    }
    query.append_pair("origin", if variant == Variant::Email { "email" } else { "url" });
    query.append_pair("partnerId", &partner.partner_id);
    query.append_pair("signature", &signature);
    query.append_pair("timestamp", &timestamp.to_string());
    query.append_pair("ttl", &ttl.to_string());
    match variant {
        Variant::Lite => {
            query.append_pair("type", "lite");
        }
        Variant::Fix => {
            query.append_pair("type", "fix");
        }
        _ => {}
    }
    query.append_pair(
        "webhookContentType",
        if options.xml { "application/xml" } else { "application/json" },
    );
    let base = public_base_url(state.settings.public_url.as_deref(), &headers);
    let link = format!("{base}{EXPERIENCE_PATH}?{}", query.finish());

    state.connect.insert(Link {
        signature,
        customer_id: customer.id,
        session: Session::new(&kind),
        kind,
        expires: now + TimeDelta::milliseconds(LINK_LIFETIME_MS),
        single_use: options.single_use,
        used: false,
        target,
        redirect_uri: options.redirect_uri,
        raised: 0,
    });
    let body = match email_config {
        Some(email) => json!({"link": link, "emailConfig": email}),
        None => json!({"link": link}),
    };
    Ok(Json(body).into_response())
}

/// The customer a generate call names, refused as the vendor's services do.
fn customer(state: &Finicity, caller: Caller, id: &str) -> Result<Arc<Customer>, ApiError> {
    let unknown = || invalid(format!("Request failed with status code 404 GET /aggregation/v1/customers/{id}"));
    let parsed = super::super::parse_customer_id(id).ok_or_else(unknown)?;
    let customer = state.finicity.customers.get(parsed).ok_or_else(unknown)?;
    if customer.partner != caller.partner {
        return Err(invalid("Customer ID does not exist or does not belong to this partner"));
    }
    Ok(customer)
}

/// The optional parameters every variant shares, checked by type.
struct Options {
    webhook: Option<String>,
    xml: bool,
    webhook_data: Option<Value>,
    webhook_headers: Vec<(http::HeaderName, http::HeaderValue)>,
    single_use: bool,
    redirect_uri: Option<String>,
}

impl Options {
    fn read(fields: &Map<String, Value>, variant: Variant) -> Result<Self, ApiError> {
        for name in ["language", "institutionSettingsId"] {
            string(fields, name)?;
        }
        let redirect_uri = string(fields, "redirectUri")?;
        if redirect_uri.as_ref().is_some_and(|u| u.len() > MAX_URL_BYTES) {
            return Err(invalid(format!(
                "\"redirectUri\" length must be less than or equal to {MAX_URL_BYTES} characters long"
            )));
        }
        let webhook = string(fields, "webhook")?;
        if let Some(url) = &webhook
            && (url.len() > MAX_URL_BYTES || url.parse::<http::Uri>().map_or(true, |u| u.scheme().is_none()))
        {
            return Err(invalid("\"webhook\" must be a valid uri"));
        }
        let xml = match string(fields, "webhookContentType")?.as_deref() {
            None | Some("application/json") => false,
            Some("application/xml") => true,
            Some(_) => {
                return Err(invalid(
                    "\"webhookContentType\" must be one of [application/json, application/xml]",
                ));
            }
        };
        let webhook_data = match fields.get("webhookData") {
            None | Some(Value::Null) => None,
            Some(data @ Value::Object(_)) => {
                if data.to_string().len() > MAX_WEBHOOK_DATA_BYTES {
                    return Err(invalid(format!(
                        "\"webhookData\" must be at most {MAX_WEBHOOK_DATA_BYTES} bytes as JSON"
                    )));
                }
                Some(data.clone())
            }
            Some(_) => return Err(invalid("\"webhookData\" must be of type object")),
        };
        let webhook_headers = headers(fields.get("webhookHeaders"))?;
        match string(fields, "experience")?.as_deref() {
            None | Some("default") => {}
            Some(guid) if uuid::Uuid::try_parse(guid).is_ok() => {}
            Some(_) => return Err(invalid("\"experience\" must be a valid GUID")),
        }
        let single_use = boolean(fields, "singleUseUrl")?.unwrap_or(false);
        boolean(fields, "isHostedInMobileApp")?;
        if boolean(fields, "isWebView")? == Some(true) && redirect_uri.is_none() {
            return Err(invalid("\"redirectUri\" is required when \"isWebView\" is true"));
        }
        if matches!(variant, Variant::Full | Variant::Email) {
            consumer_info(fields.get("optionalConsumerInfo"))?;
            match fields.get("institutionSettings") {
                None | Some(Value::Null | Value::Object(_)) => {}
                Some(_) => return Err(invalid("\"institutionSettings\" must be of type object")),
            }
            match fields.get("fromDate") {
                None | Some(Value::Null) => {}
                Some(Value::Number(n)) if n.is_i64() => {}
                Some(_) => return Err(invalid("\"fromDate\" must be a number")),
            }
            match fields.get("reportCustomFields") {
                None | Some(Value::Null) => {}
                Some(Value::Array(items)) if items.len() <= 5 => {
                    if items.iter().any(|i| !i.is_object()) {
                        return Err(invalid("\"reportCustomFields\" items must be of type object"));
                    }
                }
                Some(Value::Array(_)) => {
                    return Err(invalid("\"reportCustomFields\" must contain less than or equal to 5 items"));
                }
                Some(_) => return Err(invalid("\"reportCustomFields\" must be an array")),
            }
        }
        Ok(Self {
            webhook,
            xml,
            webhook_data,
            webhook_headers,
            single_use,
            redirect_uri,
        })
    }
}

fn string(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(invalid(format!("\"{name}\" is not allowed to be empty")))
        }
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(format!("\"{name}\" must be a string"))),
    }
}

fn boolean(fields: &Map<String, Value>, name: &str) -> Result<Option<bool>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(invalid(format!("\"{name}\" must be a boolean"))),
    }
}

/// `webhookHeaders`: an object of strings, each a valid HTTP header.
fn headers(value: Option<&Value>) -> Result<Vec<(http::HeaderName, http::HeaderValue)>, ApiError> {
    let members = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(members)) => members,
        Some(_) => return Err(invalid("\"webhookHeaders\" must be of type object")),
    };
    if members.len() > MAX_WEBHOOK_HEADERS {
        return Err(invalid(format!(
            "\"webhookHeaders\" must have less than or equal to {MAX_WEBHOOK_HEADERS} keys"
        )));
    }
    members
        .iter()
        .map(|(name, value)| {
            let Value::String(value) = value else {
                return Err(invalid(format!("\"webhookHeaders.{name}\" must be a string")));
            };
            let header = http::HeaderName::from_bytes(name.as_bytes())
                .ok()
                .filter(|h| !matches!(h.as_str(), "host" | "content-length" | "content-type" | "transfer-encoding"));
            let value = http::HeaderValue::from_str(value)
                .ok()
                .filter(|_| name.len() + value.len() <= MAX_WEBHOOK_HEADER_BYTES);
            match (header, value) {
                (Some(h), Some(v)) => Ok((h, v)),
                _ => Err(invalid(format!("\"webhookHeaders.{name}\" is not a valid HTTP header"))),
            }
        })
        .collect()
}

/// `optionalConsumerInfo`: `ssn` (nine digits) required, `dob` epoch seconds.
fn consumer_info(value: Option<&Value>) -> Result<(), ApiError> {
    let members = match value {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Object(members)) => members,
        Some(_) => return Err(invalid("\"optionalConsumerInfo\" must be of type object")),
    };
    match members.get("ssn") {
        Some(Value::String(ssn)) if ssn.len() == 9 && ssn.bytes().all(|b| b.is_ascii_digit()) => {}
        Some(Value::String(_)) => {
            return Err(invalid(
                "\"optionalConsumerInfo.ssn\" with value \"[redacted]\" fails to match the required pattern: /^\\d{9}$/",
            ));
        }
        Some(_) => return Err(invalid("\"optionalConsumerInfo.ssn\" must be a string")),
        None => return Err(invalid("\"optionalConsumerInfo.ssn\" is required")),
    }
    match members.get("dob") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Number(n)) if n.is_i64() => Ok(()),
        Some(_) => Err(invalid("\"optionalConsumerInfo.dob\" must be a number")),
    }
}
