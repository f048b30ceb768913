//! leadsim's integration tests: one test crate (one binary to build and
//! link), a module per area, and `common` for what they share.

mod common;

mod data_analytics;
mod engine_marketplace;
mod engine_offer_searches;
mod engine_supply_analytics;
mod engine_supply_analytics_v3;
mod engine_ui_events;
mod faults;
mod finicity;
mod finicity_connect;
mod finicity_decisioning;
mod foundation;
mod hardening;
mod hardening_isolation;
mod hardening_secrets;
mod leadsquared;
mod leadsquared_v2;
mod scenarios;
mod smoke;
mod vendor_examples;
