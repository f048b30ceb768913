//! Command-line flags, each with a `LEADSIM_*` environment twin.

use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Parser;

use crate::shared::clock::Clock;
use crate::shared::{journal, time};

/// What the connection flags accept. A `Config` or
/// [`Limits`](crate::server::Limits) built in code is held to the same
/// ranges when served, so no value can overflow a deadline, time out every
/// request at once, or unbound a connection's read buffer.
pub const HEADER_READ_TIMEOUT_SECS: RangeInclusive<u64> = 1..=3600;
pub const IDLE_TIMEOUT_SECS: RangeInclusive<u64> = 1..=86_400;
pub const SHUTDOWN_GRACE_SECS: RangeInclusive<u64> = 0..=3600;
pub const MAX_HEADER_BYTES: RangeInclusive<u64> = 8192..=16 * 1024 * 1024;

/// `value` moved into `range`.
pub(crate) fn within(value: u64, range: &RangeInclusive<u64>) -> u64 {
    value.clamp(*range.start(), *range.end())
}

/// leadsim: a deterministic simulator of the Engine by MoneyLion, Data
/// Analytics Service, Finicity and LeadSquared analytics APIs.
#[derive(Debug, Clone, Parser)]
#[command(name = "leadsim", version, about)]
pub struct Config {
    /// What to do instead of serving (none: serve).
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on: `host:port`, with an IP address or a host name
    /// (`localhost:8080`, `0.0.0.0:8080`, `[::1]:8080`).
    #[arg(long, env = "LEADSIM_LISTEN", default_value = "127.0.0.1:8080", value_parser = parse_listen)]
    pub listen: String,

    /// Directory of fixture files (engine.json, finicity.json, leadsquared.json,
    /// data_analytics.json). A file present there replaces that family's
    /// embedded defaults; a missing one keeps them.
    #[arg(long, env = "LEADSIM_FIXTURES", value_name = "DIR")]
    pub fixtures: Option<PathBuf>,

    /// Seed for all generated data: same seed, same data, byte for byte.
    #[arg(long, env = "LEADSIM_SEED", default_value_t = 42, allow_negative_numbers = true, value_parser = parse_seed)]
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

    /// How many bytes the journal may hold (oldest dropped first).
    #[arg(long, env = "LEADSIM_JOURNAL_MAX_BYTES", default_value_t = journal::DEFAULT_MAX_BYTES)]
    pub journal_max_bytes: usize,

    /// Keep each response beside its request in the journal (headers, and
    /// the body's first 64 KiB), redacted like requests. Off by default: it
    /// costs every request a copy of what it answers.
    #[arg(long, env = "LEADSIM_JOURNAL_RESPONSES")]
    pub journal_responses: bool,

    /// Seconds a client has to send a request's headers, counted from when
    /// the connection starts waiting for them (so it also closes keep-alive
    /// connections that stay silent this long).
    #[arg(long, env = "LEADSIM_HEADER_READ_TIMEOUT", value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(HEADER_READ_TIMEOUT_SECS))]
    pub header_read_timeout: u64,

    /// Seconds a request body may take to arrive (then 408), and a response
    /// write may wait on a client that stopped reading (then the connection
    /// is closed).
    #[arg(long, env = "LEADSIM_IDLE_TIMEOUT", value_name = "SECONDS", default_value_t = 90, value_parser = clap::value_parser!(u64).range(IDLE_TIMEOUT_SECS))]
    pub idle_timeout: u64,

    /// Seconds a stop (SIGTERM, Ctrl-C) waits for requests in flight before
    /// it closes every connection still open.
    #[arg(long, env = "LEADSIM_SHUTDOWN_GRACE", value_name = "SECONDS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(SHUTDOWN_GRACE_SECS))]
    pub shutdown_grace: u64,

    /// Largest request head (request line and headers) accepted, in bytes;
    /// a larger one is refused with 431.
    #[arg(long, env = "LEADSIM_MAX_HEADER_BYTES", default_value_t = 64 * 1024, value_parser = clap::value_parser!(u64).range(MAX_HEADER_BYTES))]
    pub max_header_bytes: u64,

    /// An origin (`https://app.example:3000`) whose pages may call the admin
    /// API from a browser; repeat or separate with commas. By default the
    /// admin API answers only same-origin and non-browser clients.
    #[arg(long = "admin-allow-origin", env = "LEADSIM_ADMIN_ALLOW_ORIGIN", value_name = "ORIGIN", value_delimiter = ',', value_parser = parse_origin)]
    pub admin_allow_origins: Vec<String>,

    /// A token every admin call must carry (`Authorization: Bearer <token>`
    /// or `X-Leadsim-Admin-Token`), for instances others can reach.
    /// `/__admin/health` stays open for health checks.
    #[arg(
        long,
        env = "LEADSIM_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,

    /// Log format on stderr: `text` (coloured only on a terminal, never with
    /// `NO_COLOR` set) or `json`, one object per line, for log collectors.
    #[arg(long, env = "LEADSIM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// How many recorded UI events (offer displays, session inits) are kept
    /// in memory before the oldest are dropped.
    #[arg(long, env = "LEADSIM_UI_EVENT_CAPACITY", default_value_t = 100_000)]
    pub ui_event_capacity: usize,

    /// How many Data Analytics Service events (lead and contact) are kept in
    /// memory before the oldest are dropped.
    #[arg(long, env = "LEADSIM_ANALYTICS_EVENT_CAPACITY", default_value_t = 200_000)]
    pub analytics_event_capacity: usize,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Commands besides serving.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum Command {
    /// Ask the leadsim listening on `--listen` (`LEADSIM_LISTEN`) whether it
    /// is healthy: exit 0 when `/__admin/health` answers 200 within two
    /// seconds, 1 otherwise. A container health check that needs no curl.
    Health,
}

impl Config {
    /// The flags and `LEADSIM_*` variables of this process; exits with a
    /// usage error (status 2) naming the flag or variable that is wrong.
    pub fn from_process() -> Self {
        let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        Self::try_parse_from(&args).unwrap_or_else(|e| name_the_variable(e, &args).exit())
    }

    /// Defaults as if no flag or variable were given (for tests and embedding).
    pub fn defaults() -> Self {
        use clap::{CommandFactory, FromArgMatches};
        // The flags' own defaults, read through clap with every
        // environment twin ignored: one source for each default.
        let command = Self::command().mut_args(|arg| arg.env(None));
        command
            .try_get_matches_from(["leadsim"])
            .and_then(|matches| Self::from_arg_matches(&matches))
            .unwrap_or_else(|e| e.exit())
    }
}

/// An RFC 3339 instant with its offset (`Z` or `+01:00`): a bare local
/// time would silently mean UTC, which is rarely what the person meant.
/// A seed is a whole number; `-1` is read as a value (and refused as one),
/// not as an unknown flag.
fn parse_seed(value: &str) -> Result<u64, String> {
    value.trim().parse().map_err(|_| {
        format!(
            "'{value}' is not a seed: use a whole number from 0 to {}",
            u64::MAX
        )
    })
}

fn parse_now(value: &str) -> Result<DateTime<Utc>, String> {
    let has_offset = value.ends_with(['z', 'Z'])
        || value
            .rsplit_once('T')
            .is_some_and(|(_, time)| time.contains(['+', '-']));
    let at = time::parse_rfc3339(value).filter(|_| has_offset).ok_or_else(|| {
        format!("'{value}' is not an RFC 3339 timestamp with an offset (e.g. 2020-01-01T08:15:00Z)")
    })?;
    Clock::check(at).map_err(|e| e.to_string())
}

/// clap names a flag when a value is bad, even one set by its environment
/// twin; when the flag was not on the command line, name the variable.
fn name_the_variable(error: clap::Error, args: &[std::ffi::OsString]) -> clap::Error {
    use clap::CommandFactory;
    use clap::error::{ContextKind, ContextValue};
    let Some(ContextValue::String(arg)) = error.get(ContextKind::InvalidArg) else {
        return error;
    };
    let flag = arg.split_whitespace().next().unwrap_or_default();
    let on_command_line = args.iter().any(|a| {
        let a = a.to_string_lossy();
        a == flag || a.starts_with(&format!("{flag}="))
    });
    let mut command = Config::command();
    let variable = command
        .get_arguments()
        .find(|a| a.get_long().is_some_and(|long| format!("--{long}") == flag))
        .and_then(|a| a.get_env())
        .map(|env| env.to_string_lossy().into_owned());
    match variable {
        Some(variable) if !on_command_line => {
            let text = error.to_string();
            let detail = text
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ");
            let detail = detail.replace(arg.as_str(), &format!("{variable} (the twin of {flag})"));
            command.error(error.kind(), detail)
        }
        _ => error,
    }
}

/// `host:port`, where host is an IP address (IPv6 in brackets) or a name
/// resolved when binding.
fn parse_listen(value: &str) -> Result<String, String> {
    let bad = || format!("'{value}' is not host:port (e.g. 127.0.0.1:8080, localhost:8080, [::1]:8080)");
    if value.parse::<SocketAddr>().is_ok() {
        return Ok(value.to_owned());
    }
    let (host, port) = value.rsplit_once(':').ok_or_else(bad)?;
    let valid_host = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    match port.parse::<u16>() {
        Ok(_) if valid_host => Ok(value.to_owned()),
        _ => Err(bad()),
    }
}

/// A browser origin: scheme, host and optional port, nothing else.
fn parse_origin(value: &str) -> Result<String, String> {
    let origin = value.trim().trim_end_matches('/');
    let valid = absolute_http(origin).is_some_and(|u| u.path() == "/" && u.query().is_none());
    if valid {
        Ok(origin.to_owned())
    } else {
        Err(format!("'{value}' is not an origin (e.g. http://localhost:3000)"))
    }
}

fn parse_public_url(value: &str) -> Result<String, String> {
    let trimmed = value.trim_end_matches('/');
    if absolute_http(trimmed).is_some() {
        Ok(trimmed.to_owned())
    } else {
        Err(format!(
            "'{value}' is not an absolute http(s) URL (e.g. https://leadsim.example:8443)"
        ))
    }
}

/// `value` as an http(s) URL with a host, if it is one.
fn absolute_http(value: &str) -> Option<http::Uri> {
    let web = value.starts_with("http://") || value.starts_with("https://");
    let uri = value.parse::<http::Uri>().ok().filter(|_| web)?;
    uri.host().is_some().then_some(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_process_contract() {
        let config = Config::defaults();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.seed, 42);
        assert!(config.now.is_none() && config.fixtures.is_none() && config.public_url.is_none());
        assert_eq!(
            (
                config.header_read_timeout,
                config.idle_timeout,
                config.shutdown_grace
            ),
            (10, 90, 5)
        );
        assert_eq!(config.max_header_bytes, 64 * 1024);
        assert_eq!(
            (config.journal_capacity, config.journal_max_bytes),
            (journal::DEFAULT_CAPACITY, journal::DEFAULT_MAX_BYTES)
        );
        assert_eq!(
            (config.ui_event_capacity, config.analytics_event_capacity),
            (100_000, 200_000)
        );
        assert_eq!(config.log_format, LogFormat::Text);
        assert!(config.admin_allow_origins.is_empty() && config.admin_token.is_none());
    }

    #[test]
    fn bad_flags_are_refused_with_a_reason() {
        let err = Config::try_parse_from(["leadsim", "--now", "tomorrow"]).err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("'tomorrow' is not an RFC 3339 timestamp"), "{text}");
        assert!(Config::try_parse_from(["leadsim", "--public-url", "ftp://x"]).is_err());
    }

    #[test]
    fn a_bad_variable_is_named_as_such() {
        let args = ["leadsim".into()];
        let flag_error = Config::try_parse_from(["leadsim", "--now", "nope"]).err();
        let named = flag_error.map(|e| name_the_variable(e, &args).to_string());
        let text = named.unwrap_or_default();
        assert!(text.contains("LEADSIM_NOW (the twin of --now)"), "{text}");
        assert!(text.contains("'nope'"), "{text}");
    }

    #[test]
    fn listen_takes_host_names_and_addresses() {
        for good in [
            "localhost:8080",
            "0.0.0.0:0",
            "[::1]:8080",
            "leadsim-host.internal:80",
        ] {
            assert_eq!(parse_listen(good).as_deref(), Ok(good), "{good}");
        }
        for bad in ["localhost", ":8080", "localhost:99999", "a b:80", "http://x:80"] {
            assert!(parse_listen(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn now_needs_an_offset_and_a_supported_instant() {
        assert!(parse_now("2020-01-01T00:00:00Z").is_ok());
        assert!(parse_now("2020-01-01T00:00:00+01:00").is_ok());
        let bare = parse_now("2020-01-01T00:00:00").err().unwrap_or_default();
        assert!(bare.contains("with an offset"), "{bare}");
        let far = parse_now("2300-01-01T00:00:00Z").err().unwrap_or_default();
        assert!(far.contains("2199-12-31T23:59:59Z"), "{far}");
    }

    #[test]
    fn defaults_agree_with_the_flags() {
        let parsed = Config::try_parse_from(["leadsim"]).map(|c| format!("{c:?}"));
        assert_eq!(parsed.ok(), Some(format!("{:?}", Config::defaults())));
    }
}
