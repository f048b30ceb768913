//! Aggregated transactions: the ledger the reports are built from
//! (`decisioning::ledger`, each day's postings summing to exactly that
//! day's balance change), served by the aggregation API with its date
//! range, record-counted paging (`start` is the first record's index) and
//! sort; single transactions by id or `uniqueTransactionId`; and the
//! asynchronous transaction refresh of 1.39.0.
//!
//! An account holds the transactions from 180 days before it was added (730
//! after a historic load) up to today.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::Finicity;
use super::aggregation::{object, owned_customer, owned_customer_and};
use super::auth::Partner;
use super::clock::local_date;
use super::customers::{Account, Customer, HISTORIC_DAYS};
use super::decisioning::ledger::{self, Kind, Transaction};
use super::error::ApiError;
use super::metrics::dollars;
use crate::shared::cache::BoundedCache;
use crate::shared::http::JSON;
use crate::shared::request::{Buffered, Head, decoded_pairs, query_value};
use crate::shared::seed::Seed;
use crate::shared::time::serialize_rfc3339;

/// The most records a page holds, and its default.
pub(crate) const MAX_LIMIT: usize = 1_000;
const DEFAULT_LIMIT: usize = 25;
/// Account ledgers kept (one per account and window), and what they may weigh.
const LEDGERS_KEPT: usize = 256;
const LEDGERS_MAX_BYTES: usize = 64 * 1024 * 1024;
/// Transaction refreshes kept, and how long one takes on the virtual clock.
const REFRESHES_KEPT: usize = 10_000;
const REFRESH_SECONDS: i64 = 30;

/// The cache of rendered account ledgers: a page of a long window is cut
/// from the ledger the first page built.
pub(crate) type Ledgers = BoundedCache<(u64, NaiveDate, NaiveDate, bool), Arc<Vec<Transaction>>>;

/// Rendered pages of transactions kept, and what they may weigh.
const PAGES_KEPT: usize = 1024;
const PAGES_MAX_BYTES: usize = 32 * 1024 * 1024;
/// What a kept page's customer is counted as (a customer and its accounts'
/// models; their transactions are computed, not held).
const HELD_CUSTOMER_BYTES: usize = 4096;

/// The cache of rendered pages. Clients poll the same page, and rendering
/// one (merging the accounts' ledgers, serializing the records) cost five
/// times what sending it does.
///
/// A page is a function of the customer as it is, the day on the virtual
/// clock and the query. Customers change copy-on-write (a change is a new
/// `Arc`), so the customer's address names its version; each entry holds
/// its customer, so that address cannot be reused while the entry is kept.
pub(crate) type Pages = BoundedCache<PageKey, (Arc<Customer>, Bytes)>;

pub(crate) fn pages() -> Pages {
    BoundedCache::weighed(PAGES_KEPT, PAGES_MAX_BYTES, |key, (_, body)| {
        size_of::<PageKey>() + key.query.from_text.len() + key.query.to_text.len() + HELD_CUSTOMER_BYTES + body.len()
    })
}

/// See [`Pages`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PageKey {
    customer: usize,
    /// The account of a v4 (one account's) list; `None` for the customer's.
    account: Option<u64>,
    today: NaiveDate,
    query: ListQuery,
}

pub(crate) fn ledgers() -> Ledgers {
    BoundedCache::weighed(LEDGERS_KEPT, LEDGERS_MAX_BYTES, |_, v| {
        v.len() * size_of::<Transaction>()
    })
}

/// The first and last day of `account`'s transactions on `today`.
fn available(account: &Account, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let added = local_date(account.created);
    let mut first = added - TimeDelta::days(i64::from(account.history_days));
    if let Some(opened) = account.opened {
        first = first.max(opened);
    }
    (first, today)
}

/// The account's transactions posted on days `from..=to` (clipped to what
/// it holds), newest first.
fn ledger(state: &Finicity, customer: &Customer, account: &Account, from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Arc<Vec<Transaction>> {
    let (first, last) = available(account, today);
    let (from, to) = (from.max(first), to.min(last));
    if from > to {
        return Arc::default();
    }
    let business = matches!(customer.kind, super::fixtures::CustomerKind::Business);
    state.ledgers.get_or_insert_with((account.id, from, to, business), || {
        Arc::new(ledger::transactions(account, customer.kind, &account.balances.flows(from, to)))
    })
}

/// The aggregation API's `Transaction`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TransactionBody<'a> {
    id: i64,
    amount: f64,
    account_id: u64,
    customer_id: i64,
    status: &'static str,
    description: &'a str,
    memo: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    transaction_date: i64,
    posted_date: i64,
    created_date: i64,
    effective_date: i64,
    unique_transaction_id: String,
    categorization: Categorization<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Categorization<'a> {
    normalized_payee_name: &'a str,
    category: &'a str,
    best_representation: &'a str,
    country: &'static str,
}

fn type_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Payroll => "directDeposit",
        Kind::Rent | Kind::Utilities => "directDebit",
        Kind::Purchase => "pointOfSale",
        Kind::LargeExpense => "debit",
        Kind::TransferIn | Kind::TransferOut => "transfer",
    }
}

fn body<'a>(customer: &Customer, account: &Account, t: &'a Transaction) -> TransactionBody<'a> {
    let posted = t.posted_date();
    TransactionBody {
        id: t.id,
        amount: dollars(t.amount),
        account_id: account.id,
        customer_id: customer.id,
        status: "active",
        description: t.description,
        memo: t.description,
        kind: type_of(t.kind),
        transaction_date: posted,
        posted_date: posted,
        // Aggregated when the day was: its end, in Mountain Time at most.
        created_date: posted,
        effective_date: posted,
        unique_transaction_id: format!("{}-{}", account.id, t.id),
        categorization: Categorization {
            normalized_payee_name: t.payee,
            category: t.category,
            best_representation: t.description,
            country: "USA",
        },
    }
}

/// The list parameters, checked as the vendor names them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ListQuery {
    from: i64,
    to: i64,
    from_text: String,
    to_text: String,
    start: usize,
    limit: usize,
    ascending: bool,
    daily_balances: bool,
}

fn missing(name: &str) -> ApiError {
    ApiError::bad(10005, format!("Missing parameter ({name})"))
}

fn invalid(name: &str) -> ApiError {
    ApiError::bad(10100, format!("Invalid parameter ({name})"))
}

fn list_query(query: Option<&str>) -> Result<ListQuery, ApiError> {
    // Borrowed where nothing is escaped: a repeated page (the common case)
    // copies none of its parameters.
    let pairs: Vec<_> = query.map(|query| decoded_pairs(query).collect()).unwrap_or_default();
    let get = |name: &str| query_value(&pairs, name).filter(|v| !v.is_empty());
    let epoch = |name: &str| -> Result<(i64, String), ApiError> {
        let text = get(name).ok_or_else(|| missing(name))?;
        let value: i64 = text.parse().map_err(|_| invalid(name))?;
        // Epoch seconds a calendar can hold.
        if !(0..=253_402_300_799).contains(&value) {
            return Err(invalid(name));
        }
        Ok((value, text.to_owned()))
    };
    let (from, from_text) = epoch("fromDate")?;
    let (to, to_text) = epoch("toDate")?;
    if from > to {
        return Err(ApiError::bad(41002, "Invalid date range: fromDate must not be after toDate"));
    }
    let number = |name: &str, default: usize, max: usize| -> Result<usize, ApiError> {
        match get(name) {
            None => Ok(default),
            Some(text) => text.parse().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| invalid(name)),
        }
    };
    let start = number("start", 1, i32::MAX as usize)?;
    let limit = number("limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let ascending = match get("sort") {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(_) => return Err(invalid("sort")),
    };
    let flag = |name: &str| -> Result<bool, ApiError> {
        match get(name) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(invalid(name)),
        }
    };
    flag("includePending")?;
    let daily_balances = flag("showDailyBalance")?;
    Ok(ListQuery {
        from,
        to,
        from_text,
        to_text,
        start,
        limit,
        ascending,
        daily_balances,
    })
}

fn day_of(epoch: i64) -> NaiveDate {
    DateTime::from_timestamp(epoch, 0).unwrap_or_default().date_naive()
}

/// A page of the customer's active accounts' transactions, or of one
/// account's (v4, with its daily balances when asked), as rendered before
/// while the customer, the day and the query are the same.
fn page(state: &Finicity, customer: &Arc<Customer>, account: Option<&Account>, q: ListQuery) -> Response {
    let today = local_date(state.clock.now());
    let key = PageKey {
        customer: Arc::as_ptr(customer) as usize,
        account: account.map(|a| a.id),
        today,
        query: q,
    };
    let pages = &state.transaction_pages;
    let body = match pages.get(&key) {
        Some((_, body)) => body,
        None => {
            let body = match account {
                Some(account) => render(state, customer, &[account], &key.query, Some(account), today),
                None => {
                    let accounts: Vec<&Account> =
                        customer.accounts.iter().filter(|a| a.status == "active").collect();
                    render(state, customer, &accounts, &key.query, None, today)
                }
            };
            pages.get_or_insert_with(key, || (Arc::clone(customer), body)).1
        }
    };
    ([(header::CONTENT_TYPE, JSON)], body).into_response()
}

/// A page of `accounts`' transactions as JSON.
fn render(state: &Finicity, customer: &Customer, accounts: &[&Account], q: &ListQuery, daily: Option<&Account>, today: NaiveDate) -> Bytes {
    let (from_day, to_day) = (day_of(q.from), day_of(q.to));
    let ledgers: Vec<(&Account, Arc<Vec<Transaction>>)> = accounts
        .iter()
        .map(|a| (*a, ledger(state, customer, a, from_day, to_day, today)))
        .collect();
    // (posting time, id) computed once per record, for the filter and the sort.
    let mut matching: Vec<((i64, i64), &Account, &Transaction)> = ledgers
        .iter()
        .flat_map(|(a, l)| l.iter().map(move |t| ((t.posted_date(), t.id), *a, t)))
        .filter(|((posted, _), ..)| (q.from..=q.to).contains(posted))
        .collect();
    // Newest first by posting date, then by id; reversed for `asc`. One
    // account's ledger is in that order already.
    if ledgers.len() > 1 {
        matching.sort_unstable_by_key(|(key, ..)| std::cmp::Reverse(*key));
    }
    if q.ascending {
        matching.reverse();
    }
    let found = matching.len();
    let shown: Vec<TransactionBody<'_>> = matching
        .iter()
        .skip(q.start - 1)
        .take(q.limit)
        .map(|(_, a, t)| body(customer, a, t))
        .collect();
    let more = q.start - 1 + shown.len() < found;
    let daily_balances = daily.filter(|_| q.daily_balances).map(|account| daily_balances(account, q, today));
    let page = Page {
        found,
        displaying: shown.len(),
        more_available: if more { "true" } else { "false" },
        from_date: &q.from_text,
        to_date: &q.to_text,
        sort: if q.ascending { "asc" } else { "desc" },
        transactions: shown,
        daily_balances,
    };
    // Numbers, strings and string-keyed maps: serializing cannot fail.
    serde_json::to_vec(&page).map(Bytes::from).unwrap_or_default()
}

/// `Transactions`, serialized as it is built (no intermediate JSON tree).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Page<'a> {
    found: usize,
    displaying: usize,
    more_available: &'static str,
    from_date: &'a str,
    to_date: &'a str,
    sort: &'static str,
    transactions: Vec<TransactionBody<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    daily_balances: Option<Vec<Value>>,
}

/// The account's beginning and ending balance of each day whose postings
/// (at noon UTC) fall inside the window.
fn daily_balances(account: &Account, q: &ListQuery, today: NaiveDate) -> Vec<Value> {
    let (first, last) = available(account, today);
    let (from, to) = (day_of(q.from).max(first), day_of(q.to).min(last));
    if from > to {
        return Vec::new();
    }
    let mut beginning = account.balances.ending_balance(from - TimeDelta::days(1));
    account
        .balances
        .series(from, to)
        .into_iter()
        .filter_map(|(day, ending)| {
            let noon = day.and_hms_opt(12, 0, 0).map_or(0, |t| t.and_utc().timestamp());
            let entry = json!({
                "date": noon,
                "beginning": dollars(beginning),
                "ending": dollars(ending),
            });
            beginning = ending;
            (q.from..=q.to).contains(&noon).then_some(entry)
        })
        .collect()
}

/// `GET /aggregation/v3/customers/{customerId}/transactions`.
pub(crate) async fn customer_transactions(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    customer_id: Result<Path<String>, PathRejection>,
    Head { uri, .. }: Head,
) -> Result<Response, ApiError> {
    let customer = owned_customer(&state, caller, customer_id)?;
    let q = list_query(uri.query())?;
    Ok(page(&state, &customer, None, q))
}

/// `GET /aggregation/v4/customers/{customerId}/accounts/{accountId}/transactions`.
pub(crate) async fn account_transactions(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    path: Result<Path<(String, String)>, PathRejection>,
    Head { uri, .. }: Head,
) -> Result<Response, ApiError> {
    let (customer, account_id) = owned_customer_and(&state, caller, path)?;
    let account = account_of(&customer, &account_id)?;
    let q = list_query(uri.query())?;
    Ok(page(&state, &customer, Some(account), q))
}

/// The customer's account named in a path, or the vendor's 404.
pub(crate) fn account_of<'a>(customer: &'a Customer, id: &str) -> Result<&'a Account, ApiError> {
    id.parse::<u64>()
        .ok()
        .and_then(|id| customer.account(id))
        .ok_or_else(|| {
            ApiError::not_found(
                38003,
                format!("customer does not have given account (customerId = {}, accountId = [{id}])", customer.id),
            )
        })
}

/// One transaction by its id: the account and day are in the id.
fn find(state: &Finicity, customer: &Customer, id: i64, account_hint: Option<u64>) -> Option<Response> {
    let account_id = u64::try_from(id / 1_000_000).ok()?;
    if account_hint.is_some_and(|hint| hint != account_id) {
        return None;
    }
    let account = customer.account(account_id)?;
    let days = (id % 1_000_000) / 10;
    let day = DateTime::UNIX_EPOCH.date_naive().checked_add_signed(TimeDelta::days(days))?;
    let today = local_date(state.clock.now());
    let ledger = ledger(state, customer, account, day, day, today);
    let t = ledger.iter().find(|t| t.id == id)?;
    Some(Json(body(customer, account, t)).into_response())
}

fn transaction_not_found(id: &str) -> ApiError {
    ApiError::not_found(14001, format!("Transaction not found. (transactionId = {id})"))
}

/// `GET /aggregation/v2/customers/{customerId}/transactions/{transactionId}`.
pub(crate) async fn transaction(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let (customer, id) = owned_customer_and(&state, caller, path)?;
    id.parse::<i64>()
        .ok()
        .and_then(|n| find(&state, &customer, n, None))
        .ok_or_else(|| transaction_not_found(&id))
}

/// `GET /aggregation/customers/{customerId}/transactions/{uniqueTransactionId}`
/// (`<accountId>-<transactionId>`).
pub(crate) async fn transaction_by_unique_id(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let (customer, unique) = owned_customer_and(&state, caller, path)?;
    unique
        .split_once('-')
        .and_then(|(account, id)| Some((account.parse::<u64>().ok()?, id.parse::<i64>().ok()?)))
        .and_then(|(account, id)| find(&state, &customer, id, Some(account)))
        .ok_or_else(|| transaction_not_found(&unique))
}

/// `POST /aggregation/v1/customers/{customerId}/accounts/{accountId}/transactions/historic`:
/// 24 months of history from now on; 204.
pub(crate) async fn load_historic(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let (customer, account_id) = owned_customer_and(&state, caller, path)?;
    let id = account_of(&customer, &account_id)?.id;
    state.finicity.customers.update(customer.id, |c| {
        if let Some(account) = c.accounts.iter_mut().find(|a| a.id == id) {
            account.history_days = HISTORIC_DAYS;
        }
    });
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// One asynchronous transaction refresh.
#[derive(Debug, Clone)]
struct Refresh {
    id: String,
    partner: usize,
    customer_id: i64,
    login: Option<i64>,
    accounts: Vec<(u64, i64, u64)>,
    mode: String,
    from: Option<String>,
    to: Option<String>,
    created: DateTime<Utc>,
}

/// Transaction refreshes, newest last, bounded.
#[derive(Debug, Default)]
pub(crate) struct Refreshes {
    kept: Mutex<VecDeque<Refresh>>,
    made: std::sync::atomic::AtomicU64,
}

impl Refreshes {
    pub(crate) fn reset(&self) {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner).clear();
        self.made.store(0, std::sync::atomic::Ordering::SeqCst);
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Initiated<'a> {
    refresh_id: &'a str,
    customer_id: String,
    /// A string here (`InstitutionLoginId`), a number in account records.
    #[serde(skip_serializing_if = "Option::is_none")]
    institution_login_id: Option<String>,
    account_ids: Vec<String>,
    mode: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    from_date: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to_date: Option<&'a str>,
    status: &'static str,
    #[serde(serialize_with = "serialize_rfc3339")]
    created_at: DateTime<Utc>,
}

/// `POST /aggregation/customers/{customerId}/transactions/refreshes`: 202;
/// the refresh completes 30 virtual seconds later.
pub(crate) async fn refresh_transactions(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    customer_id: Result<Path<String>, PathRejection>,
    Buffered(body): Buffered,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let customer = owned_customer(&state, caller, customer_id)?;
    let fields = object(&body)?;
    let login = match fields.get("institutionLoginId") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(n.as_i64().ok_or_else(|| invalid("institutionLoginId"))?),
        Some(Value::String(s)) => Some(s.parse::<i64>().map_err(|_| invalid("institutionLoginId"))?),
        Some(_) => return Err(invalid("institutionLoginId")),
    };
    let ids: Option<Vec<String>> = match fields.get("accountIds") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) if items.len() <= 100 => Some(
            items
                .iter()
                .map(|i| match i {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(invalid("accountIds")),
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => return Err(invalid("accountIds")),
    };
    let mode = match fields.get("mode") {
        None | Some(Value::Null) => "standard".to_owned(),
        Some(Value::String(m)) if matches!(m.as_str(), "standard" | "historic" | "custom") => m.clone(),
        Some(_) => return Err(invalid("mode")),
    };
    let date = |name: &str| -> Result<Option<String>, ApiError> {
        match fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if DateTime::parse_from_rfc3339(s).is_ok() => Ok(Some(s.clone())),
            Some(_) => Err(invalid(name)),
        }
    };
    let (mut from, mut to) = (date("fromDate")?, date("toDate")?);
    if mode == "custom" {
        let Some(start) = &from else { return Err(missing("fromDate")) };
        let end = to.clone().unwrap_or_else(|| now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        if DateTime::parse_from_rfc3339(start).ok() > DateTime::parse_from_rfc3339(&end).ok() {
            return Err(ApiError::bad(41002, "Invalid date range: fromDate must not be after toDate"));
        }
        to = Some(end);
    } else {
        (from, to) = (None, None);
    }
    let chosen: Vec<&Account> = match (&ids, login) {
        (Some(ids), _) => ids
            .iter()
            .map(|id| {
                account_of(&customer, id).map_err(|_| {
                    ApiError::not_found(10005, format!("Customer does not have the specified account ({id})"))
                })
            })
            .collect::<Result<_, _>>()?,
        (None, Some(login)) => {
            let at: Vec<&Account> = customer.accounts.iter().filter(|a| a.institution_login_id == login).collect();
            if at.is_empty() {
                return Err(ApiError::not_found(
                    38007,
                    format!("Customer does not have any accounts associated with institutionLoginId = ({login})"),
                ));
            }
            at
        }
        (None, None) => {
            return Err(ApiError::bad(10100, "Invalid parameter (request must contain institutionLoginId or accountIds)"));
        }
    };
    let n = state.refreshes.made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let seed: Seed = state.seed;
    let refresh = Refresh {
        id: seed.uuid("finicity.transaction-refresh", n).to_string(),
        partner: caller.partner,
        customer_id: customer.id,
        login: if ids.is_some() { None } else { login },
        accounts: chosen
            .iter()
            .map(|a| (a.id, a.institution_login_id, a.institution.id))
            .collect(),
        mode,
        from,
        to,
        created: now,
    };
    let answer = Initiated {
        refresh_id: &refresh.id,
        customer_id: customer.id.to_string(),
        institution_login_id: refresh.login.map(|l| l.to_string()),
        account_ids: refresh.accounts.iter().map(|(id, ..)| id.to_string()).collect(),
        mode: &refresh.mode,
        from_date: refresh.from.as_deref(),
        to_date: refresh.to.as_deref(),
        status: "NEW",
        created_at: now,
    };
    let response = (StatusCode::ACCEPTED, Json(answer)).into_response();
    let mut kept = state.refreshes.kept.lock().unwrap_or_else(PoisonError::into_inner);
    if kept.len() >= REFRESHES_KEPT {
        kept.pop_front();
    }
    kept.push_back(refresh);
    Ok(response)
}

/// `GET /aggregation/customers/{customerId}/transactions/refreshes/{refreshId}`:
/// `IN_PROGRESS` for 30 virtual seconds, then `COMPLETED`.
pub(crate) async fn refresh_status(
    State(state): State<Finicity>,
    Partner(caller, ..): Partner<ApiError>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let (customer, refresh_id) = owned_customer_and(&state, caller, path)?;
    let refresh = state
        .refreshes
        .kept
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .find(|r| r.id == refresh_id && r.customer_id == customer.id && r.partner == caller.partner)
        .cloned()
        .ok_or_else(|| ApiError::not_found(10008, "data not found"))?;
    let done_at = refresh.created + TimeDelta::seconds(REFRESH_SECONDS);
    let completed = now >= done_at;
    let accounts: Vec<Value> = refresh
        .accounts
        .iter()
        .map(|(account, login, institution)| {
            let mut entry = json!({
                "accountId": account.to_string(),
                "institutionLoginId": login.to_string(),
                "institutionId": institution.to_string(),
            });
            if completed {
                entry["aggregationStatusCode"] = json!(0);
                entry["aggregationSuccessDate"] = json!(done_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
            }
            entry
        })
        .collect();
    let total = accounts.len();
    Ok(Json(json!({
        "refreshId": refresh.id,
        "customerId": customer.id.to_string(),
        "accounts": accounts,
        "mode": refresh.mode,
        "status": if completed { "COMPLETED" } else { "IN_PROGRESS" },
        "totalCount": total,
        "successCount": if completed { total } else { 0 },
        "failedCount": 0,
    }))
    .into_response())
}
