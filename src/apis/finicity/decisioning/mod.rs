//! Finicity's current Balance Analytics (spec 1.42.0): the asynchronous
//! `/decisioning` flow, beside the seed's `/analytics` one and over the same
//! customers, accounts and daily balance histories.
//!
//! - `records`: the business and consumer records a report needs first.
//! - `generate`: the generate calls (balance and cash flow), answered 202.
//! - `store`: the reports, each `inProgress` on the virtual clock until its
//!   finish time, then `success` or (when scripted) `failure`.
//! - `ledger` and `attributes`: transactions that explain every daily
//!   balance change, and the analytics computed from them.
//! - `report`: the finished `AFBalanceAnalyticsReport` /
//!   `AFCashFlowAnalyticsReport`, as JSON or PDF (`read`).
//! - `callbacks`: the Report Listener notifications, delivered as the clock
//!   passes a report's finish time.

pub(crate) mod attributes;
pub(crate) mod callbacks;
pub(crate) mod generate;
pub(crate) mod ledger;
pub(crate) mod read;
pub(crate) mod records;
pub(crate) mod report;
pub(crate) mod store;

use std::sync::Arc;

use records::Records;
use store::DecisioningReports;

use crate::shared::clock::Clock;
use crate::shared::outbound::Outbound;
use crate::shared::seed::Seed;
use callbacks::Callbacks;

/// The flow's state, beside the old flow's.
#[derive(Debug, Clone)]
pub(crate) struct Decisioning {
    pub(crate) records: Arc<Records>,
    pub(crate) reports: Arc<DecisioningReports>,
    pub(crate) callbacks: Arc<Callbacks>,
}

impl Decisioning {
    pub(crate) fn new(seed: Seed, clock: Clock, outbound: Outbound) -> Self {
        Self {
            records: Arc::new(Records::new(seed)),
            reports: Arc::new(DecisioningReports::new(seed)),
            callbacks: Arc::new(Callbacks::new(clock, outbound)),
        }
    }

    /// Records, reports and deliveries go; a notification still pending is
    /// never sent.
    pub(crate) fn reset(&self) {
        self.records.reset();
        self.reports.reset();
        self.callbacks.reset();
    }
}
