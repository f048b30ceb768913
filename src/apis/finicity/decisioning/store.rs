//! The `/decisioning` reports: what each generate call asked for, fixed at
//! that moment, and its status on the virtual clock. A report is
//! `inProgress` until its finish time, then `success`, or `failure` when a
//! fixture or the admin API scripted that. Status is a function of the
//! clock: setting the clock back before a finish time shows the report in
//! progress again, as every other virtual-clock fact follows the clock.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use foldhash::HashMap;
use rand::RngExt;
use serde::Serialize;
use serde_json::Value;

use super::super::customers::Customer;
use super::records::{BusinessRecord, ConsumerRecord};
use crate::shared::seed::Seed;

/// Which analytics a report holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Product {
    Balance,
    CashFlow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserType {
    Business,
    Personal,
}

/// What the report is for (`analyticsReportData`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Cra,
    NonCra,
    Ftc,
}

/// How attributes are cut into periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum Interval {
    /// Calendar months, the first and last cut at the report's ends.
    MonthlyCalendar,
    /// 30-day windows counted back from the report's end.
    #[serde(rename = "MONTHLY_ROLLING_30")]
    MonthlyRolling30,
}

impl Interval {
    pub(crate) fn parse(name: &str) -> Option<Self> {
        match name {
            "MONTHLY_CALENDAR" => Some(Self::MonthlyCalendar),
            "MONTHLY_ROLLING_30" => Some(Self::MonthlyRolling30),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Status {
    InProgress,
    Success,
    Failure,
}

/// `{label, value, shown}`, as posted (`shown` defaults to true).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CustomField {
    pub(crate) label: String,
    pub(crate) value: String,
    pub(crate) shown: bool,
}

/// A generated report: what the generate call asked for, fixed at that
/// moment, under the ids the store drew for it.
#[derive(Debug)]
pub(crate) struct DecisioningReport {
    /// `sd1j45yn37wr-barbcra`: twelve characters, then the type code.
    pub(crate) id: String,
    pub(crate) request_id: String,
    /// CRA reports carry a PIN.
    pub(crate) pin: Option<String>,
    pub(crate) finishes: DateTime<Utc>,
    /// Scripted failure; the admin API may set it until the report finishes.
    pub(crate) fails: AtomicBool,
    pub(crate) request: ReportRequest,
}

impl DecisioningReport {
    pub(crate) fn status(&self, now: DateTime<Utc>) -> Status {
        if now < self.finishes {
            Status::InProgress
        } else if self.fails.load(Ordering::Relaxed) {
            Status::Failure
        } else {
            Status::Success
        }
    }

    /// `barbcra`, `cfrpnoncra`, ...: product, user type, purpose.
    pub(crate) fn type_code(&self) -> String {
        type_code(self.request.product, self.request.user_type, self.request.purpose)
    }

    pub(crate) fn title(&self) -> &'static str {
        match self.request.product {
            Product::Balance => "Mastercard Open Banking Balance Analytics",
            Product::CashFlow => "Mastercard Open Banking Cash Flow Analytics",
        }
    }
}

pub(crate) fn type_code(product: Product, user_type: UserType, purpose: Purpose) -> String {
    let product = match product {
        Product::Balance => "bar",
        Product::CashFlow => "cfr",
    };
    let user = match user_type {
        UserType::Business => "b",
        UserType::Personal => "p",
    };
    let purpose = match purpose {
        Purpose::Cra => "cra",
        Purpose::NonCra => "noncra",
        Purpose::Ftc => "ftc",
    };
    format!("{product}{user}{purpose}")
}

/// What a generate call asked for.
#[derive(Debug)]
pub(crate) struct ReportRequest {
    pub(crate) product: Product,
    pub(crate) user_type: UserType,
    pub(crate) purpose: Purpose,
    pub(crate) partner: usize,
    pub(crate) requester_name: String,
    pub(crate) customer: Arc<Customer>,
    pub(crate) account_ids: Vec<u64>,
    /// The first day reported on (Mountain Time), and `fromDate` as posted.
    pub(crate) start: NaiveDate,
    pub(crate) from_date: i64,
    /// `analyticsReportData` as posted, echoed in `constraints`.
    pub(crate) report_data: Option<Value>,
    pub(crate) custom_fields: Vec<CustomField>,
    pub(crate) intervals: Vec<Interval>,
    pub(crate) business: Option<Arc<BusinessRecord>>,
    pub(crate) consumer: Option<Arc<ConsumerRecord>>,
    pub(crate) created: DateTime<Utc>,
    pub(crate) callback_url: Option<String>,
}

/// Most reports one customer may have (the vendor's limit is not
/// published; its error is): the 51st generate call is refused.
pub(crate) const REPORTS_PER_CUSTOMER: usize = 50;
/// Reports kept in all, oldest forgotten first: each is under a kilobyte
/// until it is read.
const CAPACITY: usize = 100_000;
/// Generation time drawn per report unless the customer's fixture sets one.
pub(crate) const GENERATION_SECONDS: std::ops::RangeInclusive<u32> = 20..=90;

#[derive(Debug)]
pub(crate) struct DecisioningReports {
    inner: Mutex<Store>,
    seed: Seed,
}

#[derive(Debug, Default)]
struct Store {
    by_id: HashMap<String, Arc<DecisioningReport>>,
    by_customer: HashMap<i64, Vec<String>>,
    order: VecDeque<String>,
    issued: u64,
}

/// Why a report was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LimitReached;

impl DecisioningReports {
    pub(crate) fn new(seed: Seed) -> Self {
        Self {
            inner: Mutex::default(),
            seed,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores a report under ids drawn from the seed and this run's count
    /// of reports, so the same calls give the same ids.
    pub(crate) fn create(&self, new: ReportRequest) -> Result<Arc<DecisioningReport>, LimitReached> {
        let mut store = self.lock();
        let customer = new.customer.id;
        if store.by_customer.get(&customer).map_or(0, Vec::len) >= REPORTS_PER_CUSTOMER {
            return Err(LimitReached);
        }
        let n = store.issued;
        store.issued += 1;
        let mut rng = self.seed.rng("finicity.decisioning", n);
        let mut token = |len: usize| -> String {
            (0..len)
                .map(|_| {
                    let i = rng.random_range(0..36u8);
                    char::from(if i < 10 { b'0' + i } else { b'a' + i - 10 })
                })
                .collect()
        };
        let code = type_code(new.product, new.user_type, new.purpose);
        let id = format!("{}-{code}", token(12));
        let request_id = token(10);
        let pin = (new.purpose == Purpose::Cra).then(|| token(6));
        let seconds = new
            .customer
            .report_generation_seconds
            .unwrap_or_else(|| rng.random_range(GENERATION_SECONDS));
        let fails = new.customer.report_outcome == Some(super::super::fixtures::ReportOutcome::Failure);
        let report = Arc::new(DecisioningReport {
            id: id.clone(),
            request_id,
            pin,
            finishes: new.created + TimeDelta::seconds(i64::from(seconds)),
            fails: AtomicBool::new(fails),
            request: new,
        });
        if store.order.len() >= CAPACITY
            && let Some(oldest) = store.order.pop_front()
            && let Some(gone) = store.by_id.remove(&oldest)
            && let Some(ids) = store.by_customer.get_mut(&gone.request.customer.id)
        {
            ids.retain(|i| *i != oldest);
        }
        store.order.push_back(id.clone());
        store.by_customer.entry(customer).or_default().push(id.clone());
        store.by_id.insert(id, report.clone());
        Ok(report)
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<DecisioningReport>> {
        self.lock().by_id.get(id).cloned()
    }

    /// A customer's reports, oldest first.
    pub(crate) fn of_customer(&self, customer: i64) -> Vec<Arc<DecisioningReport>> {
        let store = self.lock();
        store
            .by_customer
            .get(&customer)
            .into_iter()
            .flatten()
            .filter_map(|id| store.by_id.get(id).cloned())
            .collect()
    }

    /// Every report, oldest first (the admin listing).
    pub(crate) fn all(&self) -> Vec<Arc<DecisioningReport>> {
        let store = self.lock();
        store.order.iter().filter_map(|id| store.by_id.get(id).cloned()).collect()
    }

    pub(crate) fn reset(&self) {
        *self.lock() = Store::default();
    }
}

#[cfg(test)]
mod spec_tests {
    use super::Interval;

    /// The 1.42.0 spec gives no `enum` for a time interval, only "Allowed
    /// Values" in the description: leadsim accepts exactly those.
    #[test]
    fn time_intervals_are_the_specs_allowed_values() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vendor/finicity-openapi-1.42.0.yaml");
        let spec: serde_json::Value =
            serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap_or_default()).unwrap_or_default();
        for name in ["TimeIntervalType", "TimeIntervalTypeEnum"] {
            let description = spec["components"]["schemas"][name]["description"].as_str().unwrap_or_default();
            let listed = description.split("Allowed Values").nth(1).unwrap_or_default();
            let allowed: Vec<&str> = listed.split(" - ").map(str::trim).filter(|v| !v.is_empty()).collect();
            assert_eq!(allowed, ["MONTHLY_CALENDAR", "MONTHLY_ROLLING_30"], "{name}: {description}");
            for value in &allowed {
                assert!(Interval::parse(value).is_some(), "{value}");
            }
            for other in ["monthly_calendar", "MONTHLY", "MONTHLY_ROLLING_31", ""] {
                assert!(Interval::parse(other).is_none(), "{other}");
            }
        }
    }
}
