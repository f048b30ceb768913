//! Balance Analytics reports: what a generate call records (`ReportSpec`),
//! where reports are kept (`Reports`), and the `ObbAnalyticsReport` built
//! from a spec on every read, from the same balance histories, so the same
//! report always reads the same.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use foldhash::HashMap;
use rand::RngExt;
use serde::Serialize;

use super::clock;
use super::customers::{Account, Customer};
use super::fixtures::CustomerKind;
use super::metrics::{self, BalanceAnalyticsMetrics, Snapshot, dollars};
use crate::shared::seed::Seed;

pub const TITLE: &str = "Finicity Balance Analytics";
/// The report lengths the vendor allows, in days; the default is the last.
pub const LENGTHS: [u32; 6] = [30, 90, 180, 270, 365, 730];
pub const DEFAULT_LENGTH: u32 = 730;
/// How far back account history goes, whatever the report asks.
pub const HISTORY_DAYS: i64 = 730;

/// A stored report: what the generate call asked for, fixed at that
/// moment, under the id and PIN the store gave it.
#[derive(Debug)]
pub struct ReportSpec {
    pub id: String,
    pub pin: String,
    pub request: ReportRequest,
}

/// The generated reports, oldest evicted first past the capacity.
#[derive(Debug, Clone)]
pub struct Reports {
    inner: Arc<Mutex<Store>>,
    seed: Seed,
}

#[derive(Debug, Default)]
struct Store {
    by_id: HashMap<String, Arc<ReportSpec>>,
    order: VecDeque<String>,
    issued: u64,
}

/// Reports kept at most: each is a few hundred bytes until it is read.
const CAPACITY: usize = 100_000;

/// `BalanceAndCashFlowAnalyticsReportConstraints`. Unknown members are
/// ignored: the schema does not forbid them.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Constraints {
    #[serde(default)]
    pub account_ids: Option<Vec<i64>>,
    #[serde(default)]
    pub length_of_report: Option<i64>,
}

/// Why a report cannot be made for a customer as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Balance Analytics is a business product.
    NotABusiness,
    /// `lengthOfReport` is not one of [`LENGTHS`].
    Length(i64),
    /// `accountIds` was given empty.
    NoAccountsListed,
    /// An account in `accountIds` is not the customer's.
    ForeignAccount { account: i64, customer: i64 },
    /// The customer has no accounts to report on.
    NoAccounts { customer: i64 },
}

/// The accounts (distinct, in the order asked) and the length in days a
/// report on `customer` covers under `constraints`: every account and 730
/// days unless they say otherwise.
pub fn scope(customer: &Customer, constraints: &Constraints) -> Result<(Vec<u64>, u32), Refusal> {
    if customer.kind != CustomerKind::Business {
        return Err(Refusal::NotABusiness);
    }
    let length_days = match constraints.length_of_report {
        None => DEFAULT_LENGTH,
        Some(days) => LENGTHS
            .into_iter()
            .find(|l| i64::from(*l) == days)
            .ok_or(Refusal::Length(days))?,
    };
    let account_ids = match &constraints.account_ids {
        None => customer.accounts.iter().map(|a| a.id).collect(),
        Some(ids) if ids.is_empty() => return Err(Refusal::NoAccountsListed),
        Some(ids) => {
            let mut chosen: Vec<u64> = Vec::with_capacity(ids.len());
            for &id in ids {
                let account = u64::try_from(id).ok().and_then(|id| customer.account(id));
                let Some(account) = account else {
                    return Err(Refusal::ForeignAccount {
                        account: id,
                        customer: customer.id,
                    });
                };
                if !chosen.contains(&account.id) {
                    chosen.push(account.id);
                }
            }
            chosen
        }
    };
    if account_ids.is_empty() {
        return Err(Refusal::NoAccounts {
            customer: customer.id,
        });
    }
    Ok((account_ids, length_days))
}

/// What a generate call asked for.
#[derive(Debug)]
pub struct ReportRequest {
    pub fcra: bool,
    pub partner: usize,
    pub requester_name: String,
    pub customer: Arc<Customer>,
    pub account_ids: Vec<u64>,
    pub length_days: u32,
    pub reference_number: Option<String>,
    pub created: DateTime<Utc>,
}

impl Reports {
    pub fn new(seed: Seed) -> Self {
        Self {
            inner: Arc::default(),
            seed,
        }
    }

    /// Stores a report under the next id of this run: a lowercase UUID (as
    /// in the vendor's examples) and a four-letter PIN, both from the seed.
    pub fn create(&self, request: ReportRequest) -> Arc<ReportSpec> {
        let mut store = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let n = store.issued;
        store.issued += 1;
        let mut rng = self.seed.rng("finicity.reports", n);
        let id = crate::shared::seed::uuid_from(&mut rng).to_string();
        let pin: String = (0..4)
            .map(|_| char::from(rng.random_range(b'a'..=b'z')))
            .collect();
        let spec = Arc::new(ReportSpec {
            id: id.clone(),
            pin,
            request,
        });
        if store.order.len() >= CAPACITY
            && let Some(oldest) = store.order.pop_front()
        {
            store.by_id.remove(&oldest);
        }
        store.order.push_back(id.clone());
        store.by_id.insert(id, spec.clone());
        spec
    }

    pub fn get(&self, id: &str) -> Option<Arc<ReportSpec>> {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .by_id
            .get(id)
            .cloned()
    }

    pub fn reset(&self) {
        *self.inner.lock().unwrap_or_else(PoisonError::into_inner) = Store::default();
    }
}

/// The generate calls' 200 body (`BalanceAndCashFlowAnalyticsReportAck`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ack<'a> {
    pub account_ids: &'a [u64],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_id: Option<i64>,
    pub created_date: String,
    pub customer_id: i64,
    pub report_id: &'a str,
    pub report_pin: &'a str,
    pub requester_name: &'a str,
    pub title: &'static str,
}

impl ReportSpec {
    pub fn ack(&self) -> Ack<'_> {
        let request = &self.request;
        Ack {
            account_ids: &request.account_ids,
            business_id: request.customer.business.as_ref().map(|b| b.id),
            created_date: clock::timestamp(request.created),
            customer_id: request.customer.id,
            report_id: &self.id,
            report_pin: &self.pin,
            requester_name: &request.requester_name,
            title: TITLE,
        }
    }
}

/// `ObbAnalyticsReport`, balance side.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub account_results: Vec<AccountResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_id: Option<i64>,
    pub business_summary: BusinessSummary,
    pub customer_id: i64,
    pub report_header: ReportHeader,
    pub requester_name: String,
    pub title: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountResult {
    pub account_details: AccountDetails,
    pub account_id: u64,
    pub balance_analytics_metrics: BalanceAnalyticsMetrics,
    pub current_report_request: CurrentReportRequest,
    pub historic_data_availability: DataAvailability,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountDetails {
    pub account_number_display: String,
    pub account_owner: AccountOwner,
    pub aggregation_attempt_date: String,
    pub aggregation_status_code: i32,
    pub aggregation_success_date: String,
    pub currency: String,
    pub current_balance: f64,
    pub id: u64,
    pub institution: InstitutionDetails,
    pub institution_login_id: i64,
    pub name: String,
    pub real_account_number_last4: u32,
    pub status: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Serialize)]
pub struct AccountOwner {
    pub address: String,
    pub name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstitutionDetails {
    pub institution_icon_url: String,
    pub institution_id: u64,
    pub institution_name: &'static str,
    pub institution_primary_color: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrentReportRequest {
    pub report_begin_date: String,
    pub report_end_date: String,
    pub report_request_date: String,
    pub requested_days_for_report: u32,
    pub requested_report_begin_date: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataAvailability {
    pub historic_availability_begin_date: String,
    pub historic_availability_end_date: String,
    pub historic_available_days: u32,
    pub historic_data_availability: String,
}

/// Required by the cash-flow half of the `allOf` as well, so all three parts
/// are always present.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BusinessSummary {
    pub balance_analytics_metrics: BalanceAnalyticsMetrics,
    pub current_report_request: CurrentReportRequest,
    pub historic_data_availability: DataAvailability,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportHeader {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_zip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_number: Option<String>,
    pub report_date: String,
    pub report_id: String,
}

/// One account's days in the report.
struct AccountDays<'a> {
    account: &'a Account,
    available_from: NaiveDate,
    series: Vec<(NaiveDate, i64)>,
}

/// The report's dates: "today" is the report's day in Mountain Time.
struct Period {
    today: NaiveDate,
    requested_begin: NaiveDate,
    history_begin: NaiveDate,
}

impl Period {
    fn of(request: &ReportRequest) -> Self {
        let today = clock::local_date(request.created);
        Self {
            today,
            requested_begin: today - TimeDelta::days(i64::from(request.length_days) - 1),
            history_begin: today - TimeDelta::days(HISTORY_DAYS - 1),
        }
    }

    fn request(&self, begin: NaiveDate, request: &ReportRequest) -> CurrentReportRequest {
        CurrentReportRequest {
            report_begin_date: clock::date(begin),
            report_end_date: clock::date(self.today),
            report_request_date: clock::timestamp(request.created),
            requested_days_for_report: request.length_days,
            requested_report_begin_date: clock::date(self.requested_begin),
        }
    }

    fn availability(&self, from: NaiveDate) -> DataAvailability {
        let days = (self.today - from).num_days() + 1;
        DataAvailability {
            historic_availability_begin_date: clock::date(from),
            historic_availability_end_date: clock::date(self.today),
            historic_available_days: u32::try_from(days).unwrap_or(0),
            historic_data_availability: format!(
                "Data is available from {} to {}",
                clock::date(from),
                clock::date(self.today)
            ),
        }
    }
}

/// Builds the report a spec describes.
pub fn build(spec: &ReportSpec) -> Report {
    let request = &spec.request;
    let period = Period::of(request);
    let customer = &request.customer;
    let days: Vec<AccountDays<'_>> = request
        .account_ids
        .iter()
        .filter_map(|id| customer.account(*id))
        .map(|account| {
            let opened = account.opened.unwrap_or(period.history_begin).min(period.today);
            let available_from = opened.max(period.history_begin);
            let begin = available_from.max(period.requested_begin);
            AccountDays {
                account,
                available_from,
                series: account.balances.series(begin, period.today),
            }
        })
        .collect();

    let stamp = clock::timestamp(request.created);
    let owner = AccountOwner {
        address: customer.address.one_line(),
        name: customer.owner_name(),
    };
    let mut total_current = 0;
    let mut total_available = 0;
    let mut summed: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let account_results = days
        .iter()
        .map(|d| {
            let current = d.series.last().map_or(0, |(_, b)| *b);
            let available = current - d.account.balances.pending_holds(period.today, current);
            total_current += current;
            total_available += available;
            for (day, balance) in &d.series {
                *summed.entry(*day).or_default() += balance;
            }
            let begin = d.series.first().map_or(period.today, |(day, _)| *day);
            let snapshot = Snapshot {
                current,
                available,
                as_of: request.created,
            };
            AccountResult {
                account_details: details(d.account, &owner, current, &stamp),
                account_id: d.account.id,
                balance_analytics_metrics: metrics::compute(&d.series, period.today, snapshot),
                current_report_request: period.request(begin, request),
                historic_data_availability: period.availability(d.available_from),
            }
        })
        .collect();

    let summed: Vec<(NaiveDate, i64)> = summed.into_iter().collect();
    let summary_begin = summed.first().map_or(period.today, |(day, _)| *day);
    let summary_available_from = days
        .iter()
        .map(|d| d.available_from)
        .min()
        .unwrap_or(period.today);
    let business_summary = BusinessSummary {
        balance_analytics_metrics: metrics::compute(
            &summed,
            period.today,
            Snapshot {
                current: total_current,
                available: total_available,
                as_of: request.created,
            },
        ),
        current_report_request: period.request(summary_begin, request),
        historic_data_availability: period.availability(summary_available_from),
    };

    let business = customer.business.as_ref();
    let address = &customer.address;
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    Report {
        account_results,
        business_id: business.map(|b| b.id),
        business_summary,
        customer_id: customer.id,
        report_header: ReportHeader {
            business_address: non_empty(&address.street),
            business_city: non_empty(&address.city),
            business_name: business.map(|b| b.name.clone()),
            business_state: non_empty(&address.state),
            business_zip: non_empty(&address.zip),
            reference_number: request.reference_number.clone(),
            report_date: stamp,
            report_id: spec.id.clone(),
        },
        requester_name: request.requester_name.clone(),
        title: TITLE,
    }
}

fn details(account: &Account, owner: &AccountOwner, current: i64, stamp: &str) -> AccountDetails {
    AccountDetails {
        account_number_display: account.last4().to_owned(),
        account_owner: AccountOwner {
            address: owner.address.clone(),
            name: owner.name.clone(),
        },
        aggregation_attempt_date: stamp.to_owned(),
        aggregation_status_code: 0,
        aggregation_success_date: stamp.to_owned(),
        currency: account.currency.clone(),
        current_balance: dollars(current),
        id: account.id,
        institution: InstitutionDetails {
            institution_icon_url: account.institution.icon_url(),
            institution_id: account.institution.id,
            institution_name: account.institution.name,
            institution_primary_color: account.institution.primary_color,
        },
        institution_login_id: account.institution_login_id,
        name: account.name.clone(),
        real_account_number_last4: account.last4().parse().unwrap_or(0),
        status: account.status.clone(),
        kind: account.kind.clone(),
    }
}
