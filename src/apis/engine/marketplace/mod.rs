//! Engine's lead marketplace (API 1.106.0): partners submit leads and get
//! rate tables of offers from leadsim's lenders, some answering later on
//! the virtual clock; offer URLs record clicks; and every submitted lead
//! lives on in supply analytics (v1, v3, leadsInfo) through its lender's
//! funnel to a payout. Plus the marketplace's helpers: prefills, approval
//! probability, offer previews and UI utilities.
//!
//! - [`lead`]: `LeadCreateData`, checked as the spec types it ([`plain_lead`]:
//!   what lead forms send, read without a JSON tree);
//! - [`lenders`] and [`underwriting`]: who offers what to whom, and when;
//! - [`store`]: what partners created, bounded, and each company's
//!   submitted leads as a batch of analytics records ([`funnel`]), kept up
//!   to date lead by lead (`feed_batch`);
//! - [`render`]: the wire forms; [`leads`] and [`reference`]: the handlers.

pub(crate) mod catalog;
mod feed_batch;
pub(crate) mod funnel;
pub(crate) mod lead;
pub(crate) mod leads;
pub(crate) mod offer_searches;
pub(crate) mod plain_lead;
pub(crate) mod lenders;
pub(crate) mod reference;
pub(crate) mod render;
pub(crate) mod store;
pub(crate) mod underwriting;
pub(crate) mod vehicles;

pub use store::Marketplace;
