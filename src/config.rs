//! Command-line flags, each with a `LEADSIM_*` environment twin.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Parser;

use crate::shared::{journal, time};

/// leadsim: a deterministic simulator of the Engine by MoneyLion, Data
/// Analytics Service, Finicity and LeadSquared analytics APIs.
#[derive(Debug, Clone, Parser)]
#[command(name = "leadsim", version, about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "LEADSIM_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory of fixture files (engine.json, finicity.json, leadsquared.json,
    /// data_analytics.json). A file present there replaces that family's
    /// embedded defaults; a missing one keeps them.
    #[arg(long, env = "LEADSIM_FIXTURES", value_name = "DIR")]
    pub fixtures: Option<PathBuf>,

    /// Seed for all generated data: same seed, same data, byte for byte.
    #[arg(long, env = "LEADSIM_SEED", default_value_t = 42)]
    pub seed: u64,

    /// Start with the virtual clock frozen at this RFC 3339 time.
    #[arg(long, env = "LEADSIM_NOW", value_name = "RFC3339", value_parser = parse_now)]
    pub now: Option<DateTime<Utc>>,

    /// Base URL used in absolute links such as Engine's `nextUrl`
    /// (default: derived from each request's Host / X-Forwarded-* headers).
    #[arg(long, env = "LEADSIM_PUBLIC_URL", value_name = "URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,

    /// How many requests the journal keeps (oldest dropped first; 0 disables it).
    #[arg(long, env = "LEADSIM_JOURNAL_CAPACITY", default_value_t = journal::DEFAULT_CAPACITY)]
    pub journal_capacity: usize,

    /// How many recorded UI events (offer displays, session inits) are kept
    /// in memory before the oldest are dropped.
    #[arg(long, env = "LEADSIM_UI_EVENT_CAPACITY", default_value_t = 100_000)]
    pub ui_event_capacity: usize,

    /// How many Data Analytics Service events (lead and contact) are kept in
    /// memory before the oldest are dropped.
    #[arg(long, env = "LEADSIM_ANALYTICS_EVENT_CAPACITY", default_value_t = 200_000)]
    pub analytics_event_capacity: usize,
}

impl Config {
    /// Defaults as if no flag or variable were given (for tests and embedding).
    pub fn defaults() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            fixtures: None,
            seed: 42,
            now: None,
            public_url: None,
            journal_capacity: journal::DEFAULT_CAPACITY,
            ui_event_capacity: 100_000,
            analytics_event_capacity: 200_000,
        }
    }
}

fn parse_now(value: &str) -> Result<DateTime<Utc>, String> {
    time::parse_rfc3339(value)
        .ok_or_else(|| format!("'{value}' is not an RFC 3339 timestamp (e.g. 2020-01-01T08:15:00Z)"))
}

fn parse_public_url(value: &str) -> Result<String, String> {
    let trimmed = value.trim_end_matches('/');
    let valid = (trimmed.starts_with("http://") || trimmed.starts_with("https://"))
        && trimmed.parse::<http::Uri>().is_ok_and(|u| u.host().is_some());
    if valid {
        Ok(trimmed.to_owned())
    } else {
        Err(format!(
            "'{value}' is not an absolute http(s) URL (e.g. https://leadsim.example:8443)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_process_contract() {
        let parsed = Config::try_parse_from(["leadsim"]);
        let config = parsed.unwrap_or_else(|_| Config::defaults());
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.seed, 42);
        assert!(config.now.is_none() && config.fixtures.is_none());
    }

    #[test]
    fn bad_flags_are_refused_with_a_reason() {
        let err = Config::try_parse_from(["leadsim", "--now", "tomorrow"]).err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("'tomorrow' is not an RFC 3339 timestamp"), "{text}");
        assert!(Config::try_parse_from(["leadsim", "--public-url", "ftp://x"]).is_err());
    }
}
