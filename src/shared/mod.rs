//! Mechanisms every family uses; nothing here knows any vendor's API.

/// `1 partner`, `3 partners`: a count with its noun.
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(crate) mod admin;
pub(crate) mod budget;
pub(crate) mod cache;
pub(crate) mod clock;
pub(crate) mod deliveries;
pub(crate) mod family;
pub(crate) mod faults;
pub(crate) mod fixtures;
pub(crate) mod http;
pub(crate) mod journal;
pub(crate) mod json_writer;
pub(crate) mod outbound;
pub(crate) mod persistent;
pub(crate) mod plugin;
pub(crate) mod rate_limit;
pub(crate) mod redaction;
pub(crate) mod request;
pub(crate) mod routes;
pub(crate) mod seed;
pub(crate) mod strict_json;
pub(crate) mod time;
