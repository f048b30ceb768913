//! Account reads beyond the customer's list (one account, by institution
//! login, by institution), the refresh calls (v1 answers the accounts, the
//! Data Access Tiers v2 twins 204), and the deletions.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Finicity;
use super::aggregation::{account_body, customer_accounts, owned_customer, owned_customer_and};
use super::auth::Partner;
use super::clock::local_date;
use super::customers::{Account, Customer};
use super::error::ApiError;
use super::transactions::account_of;
use crate::shared::admin::AdminError;
use crate::shared::request::{parse_json_value, query_pairs, query_value};

fn login_of(id: &str) -> Result<i64, ApiError> {
    id.parse::<i64>().map_err(|_| no_login(id))
}

fn no_login(id: &str) -> ApiError {
    ApiError::not_found(
        38007,
        format!("Customer does not have any accounts associated with institutionLoginId = ({id})"),
    )
}

/// The customer and institution login named in the path, if it has accounts.
fn customer_and_login(
    state: &Finicity,
    caller: super::auth::Caller,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<(std::sync::Arc<Customer>, i64), ApiError> {
    let (customer, login) = owned_customer_and(state, caller, path)?;
    let id = login_of(&login)?;
    if !customer.accounts.iter().any(|a| a.institution_login_id == id) {
        return Err(no_login(&login));
    }
    Ok((customer, id))
}

/// `GET /aggregation/v2/customers/{customerId}/accounts/{accountId}`.
pub(crate) async fn account(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let (customer, account_id) = owned_customer_and(&state, caller, path)?;
    let account = account_of(&customer, &account_id)?;
    let now = state.clock.now();
    let position = customer.accounts.iter().position(|a| a.id == account.id).unwrap_or_default();
    Ok(Json(account_body(&customer, account, position, local_date(now), now.timestamp())).into_response())
}

/// `GET /aggregation/v1/customers/{customerId}/institutionLogins/{institutionLoginId}/accounts`.
pub(crate) async fn by_login(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(query.as_deref());
    let status = match query_value(&pairs, "status") {
        None | Some("") => None,
        Some(s @ ("active" | "pending")) => Some(s.to_owned()),
        Some(_) => {
            return Err(ApiError::Coded {
                status: StatusCode::BAD_REQUEST,
                code: super::error::Code::Text("18017"),
                message: "status parameter value must be 'active' or 'pending".into(),
            });
        }
    };
    let (customer, login) = customer_and_login(&state, caller, path)?;
    Ok(customer_accounts(&customer, state.clock.now(), |a| {
        a.institution_login_id == login && status.as_ref().is_none_or(|s| a.status == *s)
    }))
}

/// `GET /aggregation/v1/customers/{customerId}/institutions/{institutionId}/accounts`:
/// the active accounts at the institution.
pub(crate) async fn by_institution(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let (customer, institution) = owned_customer_and(&state, caller, path)?;
    let id = institution.parse::<u64>().ok();
    let at = |a: &Account| Some(a.institution.id) == id && a.status == "active";
    if !customer.accounts.iter().any(at) {
        return Err(ApiError::not_found(
            38006,
            format!("Customer does not have any accounts associated with institutionId = ({institution})"),
        ));
    }
    Ok(customer_accounts(&customer, state.clock.now(), at))
}

/// `POST /aggregation/v1/customers/{customerId}/accounts`: every account
/// aggregated again (at once, on the virtual clock), answered.
pub(crate) async fn refresh(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    customer_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let customer = owned_customer(&state, caller, customer_id)?;
    Ok(customer_accounts(&customer, state.clock.now(), |_| true))
}

/// `POST /aggregation/v2/customers/{customerId}/accounts`: 204.
pub(crate) async fn refresh_v2(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    customer_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    owned_customer(&state, caller, customer_id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /aggregation/v1/customers/{customerId}/institutionLogins/{institutionLoginId}/accounts`.
pub(crate) async fn refresh_login(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(query.as_deref());
    for name in ["fromDate", "toDate"] {
        if let Some(value) = query_value(&pairs, name).filter(|v| !v.is_empty())
            && value.parse::<i64>().is_err()
        {
            return Err(ApiError::bad(14020, "Bad request."));
        }
    }
    let (customer, login) = customer_and_login(&state, caller, path)?;
    Ok(customer_accounts(&customer, state.clock.now(), |a| a.institution_login_id == login))
}

/// `POST /aggregation/v2/customers/{customerId}/institutionLogins/{institutionLoginId}/accounts`: 204.
pub(crate) async fn refresh_login_v2(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    customer_and_login(&state, caller, path)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /aggregation/v1/customers/{customerId}`: the customer and its
/// accounts are gone until a reset.
pub(crate) async fn delete_customer(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    customer_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let customer = owned_customer(&state, caller, customer_id)?;
    state.finicity.customers.remove(customer.id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /aggregation/v1/customers/{customerId}/institutionLogins/{institutionLoginId}`.
pub(crate) async fn delete_login(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let (customer, login) = customer_and_login(&state, caller, path)?;
    state
        .finicity
        .customers
        .update(customer.id, |c| c.accounts.retain(|a| a.institution_login_id != login));
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /aggregation/v1/customers/{customerId}/accounts/{accountId}`.
pub(crate) async fn delete_account(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let (customer, account_id) = owned_customer_and(&state, caller, path)?;
    let id = account_of(&customer, &account_id)?.id;
    state
        .finicity
        .customers
        .update(customer.id, |c| c.accounts.retain(|a| a.id != id));
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /__admin/finicity/customers/{customerId}/institutionLogins/{institutionLoginId}/status`
/// with `{"aggregationStatusCode": 185}`: the login's accounts show that
/// aggregation error (a stale login) until a Fix link signs in again; 0 clears it.
pub(crate) async fn admin_login_status(
    State(state): State<Finicity>,
    path: Result<Path<(String, String)>, PathRejection>,
    body: axum::body::Bytes,
) -> Result<Response, AdminError> {
    let (customer_id, login) = path.map(|Path(p)| p).unwrap_or_default();
    let code = parse_json_value(&body, None)
        .ok()
        .and_then(|v| v.get("aggregationStatusCode").and_then(Value::as_i64))
        .and_then(|c| i32::try_from(c).ok())
        .ok_or_else(|| AdminError::bad_request("body must be {\"aggregationStatusCode\": <integer>}"))?;
    let customer = super::parse_customer_id(&customer_id)
        .ok_or_else(|| AdminError::not_found(format!("no customer {customer_id}")))?;
    let login: i64 = login
        .parse()
        .map_err(|_| AdminError::not_found(format!("no institution login {login}")))?;
    let changed = state
        .finicity
        .customers
        .update(customer, |c| {
            let mut changed = 0;
            for account in c.accounts.iter_mut().filter(|a| a.institution_login_id == login) {
                account.aggregation_status = code;
                changed += 1;
            }
            changed
        })
        .ok_or_else(|| AdminError::not_found(format!("no customer {customer_id}")))?;
    if changed == 0 {
        return Err(AdminError::not_found(format!("customer {customer_id} has no institution login {login}")));
    }
    Ok(Json(json!({"customerId": customer_id, "institutionLoginId": login, "aggregationStatusCode": code, "accounts": changed})).into_response())
}
