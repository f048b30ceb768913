//! The report bodies: `AnalyticsReportAck` (the 202, and the minimal
//! report while in progress or failed), and the finished
//! `AFBalanceAnalyticsReport` / `AFCashFlowAnalyticsReport`, computed from
//! the same daily balance model as the old flow's report, so the two agree
//! on every balance both show.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::super::clock;
use super::super::customers::{Account, Customer};
use super::super::metrics::dollars;
use super::attributes::{self, StatePeriod, TransactionalPeriod};
use super::ledger::{self, Kind, Transaction};
use super::records::BusinessRecord;
use super::store::{CustomField, DecisioningReport, Interval, Product, Status, UserType};

/// `AnalyticsReportAck`, in the order of the vendor's examples.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Ack<'a> {
    id: &'a str,
    customer_type: &'static str,
    customer_id: i64,
    request_id: &'a str,
    requester_name: &'a str,
    created_date: i64,
    title: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumer_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumer_ssn: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumer_details: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    business_details: Option<BusinessDetails<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    report_pin: Option<&'a str>,
    constraints: Constraints<'a>,
    #[serde(rename = "type")]
    kind: String,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<[ReportError; 1]>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct BusinessDetails<'a> {
    business_id: &'a str,
    name: &'a str,
    address: &'a Map<String, Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Constraints<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    analytics_report_data: Option<&'a Value>,
    account_ids: Vec<String>,
    from_date: i64,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    report_custom_fields: &'a [CustomField],
}

/// Why a report failed (`ErrorMessage`).
#[derive(Debug, Serialize)]
struct ReportError {
    code: &'static str,
    message: &'static str,
}

/// The ack, or the minimal report, as of `now`.
pub(crate) fn ack(report: &DecisioningReport, now: DateTime<Utc>) -> Ack<'_> {
    let status = report.status(now);
    let consumer = report.request.consumer.as_deref();
    Ack {
        id: &report.id,
        customer_type: if report.request.customer.testing { "testing" } else { "active" },
        customer_id: report.request.customer.id,
        request_id: &report.request_id,
        requester_name: &report.request.requester_name,
        created_date: report.request.created.timestamp(),
        title: report.title(),
        consumer_id: consumer.map(|c| c.id.as_str()),
        consumer_ssn: consumer.map(|c| c.ssn.as_str()).filter(|s| !s.is_empty()),
        consumer_details: consumer.map(|c| {
            let mut details = Map::new();
            for (name, value) in [
                ("id", &c.id),
                ("firstName", &c.first_name),
                ("lastName", &c.last_name),
                ("address", &c.address),
                ("city", &c.city),
                ("state", &c.state),
                ("zip", &c.zip),
                ("phone", &c.phone),
                ("ssn", &c.ssn),
                ("email", &c.email),
            ] {
                if !value.is_empty() {
                    details.insert(name.into(), Value::String(value.clone()));
                }
            }
            details
        }),
        business_details: report.request.business.as_deref().map(business_details),
        report_pin: report.pin.as_deref(),
        constraints: Constraints {
            analytics_report_data: report.request.report_data.as_ref(),
            account_ids: report.request.account_ids.iter().map(u64::to_string).collect(),
            from_date: report.request.from_date,
            report_custom_fields: &report.request.custom_fields,
        },
        kind: report.type_code(),
        status,
        errors: (status == Status::Failure).then_some([ReportError {
            code: "10200",
            message: "The report could not be generated: the institution did not return account data.",
        }]),
    }
}

fn business_details(business: &BusinessRecord) -> BusinessDetails<'_> {
    BusinessDetails {
        business_id: &business.business_id,
        name: &business.name,
        address: &business.address,
    }
}

/// A finished report.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Finished<'a> {
    #[serde(flatten)]
    pub(crate) ack: Ack<'a>,
    pub(crate) start_date: i64,
    pub(crate) end_date: i64,
    pub(crate) days: i64,
    pub(crate) seasoned: bool,
    pub(crate) institutions: Vec<ReportInstitution>,
    pub(crate) customer_analytics: Analytics,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReportInstitution {
    pub(crate) id: u64,
    pub(crate) name: &'static str,
    pub(crate) url_home_app: &'static str,
    pub(crate) accounts: Vec<ReportAccount>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReportAccount {
    pub(crate) id: u64,
    pub(crate) owner_name: String,
    pub(crate) owner_address: String,
    pub(crate) owner_as_of_date: i64,
    pub(crate) name: String,
    pub(crate) number: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) currency: String,
    pub(crate) aggregation_status_code: i32,
    pub(crate) current_balance: f64,
    pub(crate) available_balance: f64,
    pub(crate) balance_date: i64,
    pub(crate) transactions: Vec<TransactionBody>,
    pub(crate) analytics: Analytics,
    /// The daily ending balances behind the analytics (for the PDF).
    #[serde(skip)]
    pub(crate) series: Vec<(NaiveDate, i64)>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TransactionBody {
    pub(crate) id: i64,
    pub(crate) amount: f64,
    pub(crate) posted_date: i64,
    pub(crate) description: &'static str,
    pub(crate) normalized_payee: &'static str,
    pub(crate) institution_transaction_id: String,
    pub(crate) category: &'static str,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
}

/// `AccountAnalytics` / `CustomerAnalytics`.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Analytics {
    pub(crate) transactional_attributes: Vec<TransactionalAttribute>,
    pub(crate) state_attributes: Vec<StateAttribute>,
    pub(crate) streams: Vec<Stream>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TransactionalAttribute {
    pub(crate) attribute_name: &'static str,
    pub(crate) aggregated_by_time_periods: Vec<TimeIntervalOf<TransactionalPeriod>>,
    pub(crate) transaction_ids: Vec<String>,
    pub(crate) stream_ids: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StateAttribute {
    pub(crate) attribute_name: &'static str,
    pub(crate) reported_by_time_periods: Vec<TimeIntervalOf<StatePeriod>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TimeIntervalOf<P> {
    pub(crate) time_interval_type: Interval,
    pub(crate) periods: Vec<P>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Stream {
    pub(crate) id: String,
    pub(crate) payor: String,
    pub(crate) payee: String,
    pub(crate) cadence: u32,
    pub(crate) recency: i64,
    pub(crate) transaction_ids: Vec<String>,
}

/// What one account contributes, before it is written out.
struct AccountData<'a> {
    account: &'a Account,
    begin: NaiveDate,
    series: Vec<(NaiveDate, i64)>,
    transactions: Vec<Transaction>,
}

/// The finished report (call only once the status is not in progress).
pub(crate) fn build(report: &DecisioningReport, now: DateTime<Utc>) -> Finished<'_> {
    let customer = &report.request.customer;
    let today = clock::local_date(report.request.created);
    let data: Vec<AccountData<'_>> = report
        .request
        .account_ids
        .iter()
        .filter_map(|id| customer.account(*id))
        .map(|account| {
            let opened = account.opened.unwrap_or(report.request.start).min(today);
            let begin = report.request.start.max(opened);
            let flows = account.balances.flows(begin, today);
            AccountData {
                account,
                begin,
                series: account.balances.series(begin, today),
                transactions: ledger::transactions(account, customer.kind, &flows),
            }
        })
        .collect();

    let mut institutions: Vec<ReportInstitution> = Vec::new();
    let mut summed: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut everything: Vec<Transaction> = Vec::new();
    let mut all_streams = Vec::new();
    for d in &data {
        for (day, balance) in &d.series {
            *summed.entry(*day).or_default() += balance;
        }
        everything.extend(d.transactions.iter().cloned());
        let streams = streams(customer, d.account.id, &d.transactions, today);
        all_streams.extend(streams.iter().cloned());
        let analytics = analytics(report, &d.series, &d.transactions, streams, d.begin, today);
        let current = d.series.last().map_or(0, |(_, b)| *b);
        let available = current - d.account.balances.pending_holds(today, current);
        let account = ReportAccount {
            id: d.account.id,
            owner_name: customer.owner_name(),
            owner_address: customer.address.one_line(),
            owner_as_of_date: report.request.created.timestamp(),
            name: d.account.name.clone(),
            number: d.account.last4().to_owned(),
            kind: d.account.kind.clone(),
            currency: d.account.currency.clone(),
            aggregation_status_code: 0,
            current_balance: dollars(current),
            available_balance: dollars(available),
            balance_date: report.request.created.timestamp(),
            transactions: d.transactions.iter().map(transaction_body).collect(),
            analytics,
            series: d.series.clone(),
        };
        let institution = d.account.institution;
        match institutions.iter_mut().find(|i| i.id == institution.id) {
            Some(known) => known.accounts.push(account),
            None => institutions.push(ReportInstitution {
                id: institution.id,
                name: institution.name,
                url_home_app: "http://www.finbank.com",
                accounts: vec![account],
            }),
        }
    }
    everything.sort_by(|a, b| b.day.cmp(&a.day).then(b.id.cmp(&a.id)));
    let summed: Vec<(NaiveDate, i64)> = summed.into_iter().collect();
    let begin = summed.first().map_or(today, |(day, _)| *day);
    let customer_analytics = analytics(report, &summed, &everything, all_streams, begin, today);
    let days = (today - report.request.start).num_days() + 1;
    Finished {
        ack: ack(report, now),
        start_date: noon(report.request.start),
        end_date: noon(today),
        days,
        seasoned: days > 365,
        institutions,
        customer_analytics,
    }
}

fn noon(day: NaiveDate) -> i64 {
    day.and_time(chrono::NaiveTime::MIN).and_utc().timestamp() + 12 * 3600
}

fn transaction_body(t: &Transaction) -> TransactionBody {
    TransactionBody {
        id: t.id,
        amount: dollars(t.amount),
        posted_date: t.posted_date(),
        description: t.description,
        normalized_payee: t.payee,
        institution_transaction_id: t.id.to_string(),
        category: t.category,
        kind: if t.amount > 0 { "credit" } else { "debit" },
    }
}

/// The account's recurring inflows and outflows.
fn streams(customer: &Customer, account: u64, transactions: &[Transaction], today: NaiveDate) -> Vec<Stream> {
    let owner = customer.owner_name();
    [Kind::Payroll, Kind::Rent, Kind::Utilities]
        .into_iter()
        .filter_map(|kind| {
            let members: Vec<&Transaction> = transactions.iter().filter(|t| t.kind == kind).collect();
            let latest = members.first()?;
            let cadence = kind.cadence()?;
            let (payor, payee) = if latest.amount > 0 {
                (latest.payee.to_owned(), owner.clone())
            } else {
                (owner.clone(), latest.payee.to_owned())
            };
            Some(Stream {
                id: stream_id(account, kind),
                payor,
                payee,
                cadence,
                recency: (today - latest.day).num_days(),
                transaction_ids: members.iter().map(|t| t.id.to_string()).collect(),
            })
        })
        .collect()
}

/// Stable across reports: the same stream keeps its id.
fn stream_id(account: u64, kind: Kind) -> String {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("leadsim/finicity/stream/{account}/{kind:?}").as_bytes()).to_string()
}

/// Balance Analytics reports `ASSET_BALANCE` (and, like the vendor's
/// examples, no transactional attributes); Cash Flow Analytics reports
/// inflows, outflows, all flows and (for business reports) revenue by period,
/// and the daily `NET_CASH_FLOW`.
fn analytics(
    report: &DecisioningReport,
    series: &[(NaiveDate, i64)],
    transactions: &[Transaction],
    streams: Vec<Stream>,
    begin: NaiveDate,
    today: NaiveDate,
) -> Analytics {
    let cuts: Vec<(Interval, Vec<(NaiveDate, NaiveDate)>)> = report
        .request
        .intervals
        .iter()
        .map(|i| (*i, attributes::periods(*i, begin, today)))
        .collect();
    let state = |name: &'static str, values: &[(NaiveDate, i64)]| StateAttribute {
        attribute_name: name,
        reported_by_time_periods: cuts
            .iter()
            .map(|(interval, cuts)| TimeIntervalOf {
                time_interval_type: *interval,
                periods: attributes::state_periods(values, cuts),
            })
            .collect(),
    };
    match report.request.product {
        Product::Balance => Analytics {
            transactional_attributes: Vec::new(),
            state_attributes: vec![state("ASSET_BALANCE", series)],
            streams,
        },
        Product::CashFlow => {
            let stream_by_transaction: std::collections::HashMap<&str, &str> = streams
                .iter()
                .flat_map(|s| s.transaction_ids.iter().map(|t| (t.as_str(), s.id.as_str())))
                .collect();
            let stream_of = |t: &Transaction| {
                stream_by_transaction
                    .get(t.id.to_string().as_str())
                    .map(|id| (*id).to_owned())
            };
            let transactional = |name: &'static str, keep: &dyn Fn(&Transaction) -> bool| {
                let chosen: Vec<&Transaction> = transactions.iter().filter(|t| keep(t)).collect();
                let amounts: Vec<(NaiveDate, i64)> = chosen.iter().map(|t| (t.day, t.amount)).collect();
                let mut stream_ids: Vec<String> = chosen.iter().filter_map(|t| stream_of(t)).collect();
                stream_ids.sort();
                stream_ids.dedup();
                TransactionalAttribute {
                    attribute_name: name,
                    aggregated_by_time_periods: cuts
                        .iter()
                        .map(|(interval, cuts)| TimeIntervalOf {
                            time_interval_type: *interval,
                            periods: attributes::transactional_periods(&amounts, cuts),
                        })
                        .collect(),
                    transaction_ids: chosen.iter().map(|t| t.id.to_string()).collect(),
                    stream_ids,
                }
            };
            let mut attributes = vec![
                transactional("CASH_INFLOW", &|t| t.amount > 0),
                transactional("CASH_OUTFLOW", &|t| t.amount < 0),
                transactional("ALL_CASH_FLOWS", &|_| true),
            ];
            if report.request.user_type == UserType::Business {
                attributes.push(transactional("REVENUE", &|t| t.kind == Kind::Payroll));
            }
            let mut net: BTreeMap<NaiveDate, i64> = begin
                .iter_days()
                .take_while(|d| *d <= today)
                .map(|d| (d, 0))
                .collect();
            for t in transactions {
                *net.entry(t.day).or_default() += t.amount;
            }
            let net: Vec<(NaiveDate, i64)> = net.into_iter().collect();
            Analytics {
                transactional_attributes: attributes,
                state_attributes: vec![state("NET_CASH_FLOW", &net)],
                streams,
            }
        }
    }
}

