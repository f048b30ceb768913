//! Mechanisms every family uses; nothing here knows any vendor's API.

pub mod admin;
pub mod cache;
pub mod clock;
pub mod family;
pub mod faults;
pub mod fixtures;
pub mod http;
pub mod journal;
pub mod persistent;
pub mod plugin;
pub mod rate_limit;
pub mod redaction;
pub mod request;
pub mod routes;
pub mod seed;
pub mod strict_json;
pub mod time;
