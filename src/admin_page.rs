//! `GET /__admin/`: one server-rendered page (no scripts, no build step)
//! with what a person debugging a failing CI job wants first: the clock,
//! what was loaded, the tenants, the active faults and the latest requests
//! with their status.

use axum::extract::{RawQuery, State};
use axum::response::Html;
use maud::{DOCTYPE, Markup, html};

use crate::openapi;
use crate::shared::journal::{Entry, Filter};
use crate::shared::request::{query_pairs, query_value};
use crate::state::AppState;
use crate::tenants;

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Requests shown on the page, newest first.
const LATEST: usize = 50;
/// Bodies are cut to this many characters on the page; the JSON API has them whole.
const BODY_PREVIEW: usize = 400;

/// `?refresh=<seconds>` reloads the page on its own (1 to 3600).
pub(crate) async fn page(State(state): State<AppState>, RawQuery(query): RawQuery) -> Html<String> {
    let pairs = query_pairs(query.as_deref());
    let refresh = query_value(&pairs, "refresh")
        .and_then(|value| value.parse::<u32>().ok())
        .filter(|seconds| (1..=3600).contains(seconds));
    let clock = state.clock.status();
    let tenants = tenants::list(&state);
    let faults = state.faults.list();
    let listing = state.journal.list(&Filter {
        limit: Some(LATEST),
        ..Filter::default()
    });
    let views = admin_views(&state);
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                @if let Some(seconds) = refresh {
                    meta http-equiv="refresh" content=(seconds);
                }
                title { "leadsim admin" }
                style { (STYLE) }
            }
            body {
                h1 { "leadsim " small { (env!("CARGO_PKG_VERSION")) } }
                section {
                    h2 { "Clock" }
                    p {
                        code { (clock.now.format("%Y-%m-%dT%H:%M:%SZ")) }
                        " — " (if clock.frozen { "frozen" } else { "running" })
                        ", " (offset_in_words(clock.offset_seconds))
                    }
                    p.muted {
                        "Seed " (state.seed.value()) ". " (state.fixtures_summary()) "."
                    }
                }
                section {
                    h2 { "Tenants " small { (tenants.len()) } }
                    table {
                        thead { tr { th { "family" } th { "id" } th { "name" } th { "credentials" } th { "rate limit" } th { "origin" } } }
                        tbody {
                            @for tenant in &tenants {
                                tr {
                                    td { (tenant.family.as_str()) }
                                    td { code { (tenant.id) } }
                                    td { (tenant.name) }
                                    td { code { (tenant.credentials.to_string()) } }
                                    td {
                                        @match tenant.rate_limit {
                                            Some(limit) => { (limit.calls) " / " (limit.seconds) " s" }
                                            None => span.muted { "none" },
                                        }
                                    }
                                    td.muted { (tenant.origin) }
                                }
                            }
                        }
                    }
                }
                section {
                    h2 { "Active faults " small { (faults.len()) } }
                    @if faults.is_empty() {
                        p.muted { "None. " code { "POST /__admin/faults" } " adds one." }
                    } @else {
                        table {
                            thead { tr { th { "id" } th { "match" } th { "effect" } th { "times" } th { "probability" } th { "matched" } th { "applied" } } }
                            tbody {
                                @for fault in &faults {
                                    tr {
                                        td { code { (fault.id) } }
                                        td { code { (json(&fault.matcher)) } }
                                        td { code { (json(&fault.effect)) } }
                                        td { (fault.times.map_or("until removed".to_owned(), |t| t.to_string())) }
                                        td { (fault.probability.map_or("always".to_owned(), |p| p.to_string())) }
                                        td { (fault.matched) }
                                        td { (fault.applied) }
                                    }
                                }
                            }
                        }
                    }
                }
                section {
                    h2 { "Latest requests " small { (listing.recorded) " kept of " (listing.capacity) } }
                    @if listing.requests.is_empty() {
                        p.muted { "No requests yet." }
                    } @else {
                        table {
                            thead { tr { th { "#" } th { "time" } th { "family" } th { "request" } th { "status" } th { "ms" } th { "fault" } } }
                            tbody {
                                @for entry in &listing.requests { (request_row(entry)) }
                            }
                        }
                    }
                }
                section {
                    h2 { "Views" }
                    p {
                        "Everything leadsim records, as JSON: "
                        @for (i, path) in views.iter().enumerate() {
                            @if i > 0 { ", " }
                            a href=(path) { (path) }
                        }
                        "."
                    }
                }
                section {
                    h2 { "API" }
                    p {
                        "Specs: "
                        @for (i, (family, _)) in openapi::specs(state.families).iter().enumerate() {
                            @if i > 0 { ", " }
                            a href={ "/__admin/openapi/" (family) ".yaml" } { (family) }
                        }
                        ". Reload every 5 s: " a href="/__admin/?refresh=5" { "?refresh=5" } "."
                    }
                }
            }
        }
    };
    Html(markup.into_string())
}

/// Every admin listing a person can open as it is: the GETs under
/// `/__admin` without path parameters (each family's recorded events,
/// submitted leads, reports and callbacks among them), from the route
/// table, so a new view is linked without touching this page.
fn admin_views(state: &AppState) -> Vec<String> {
    let mut views: Vec<String> = crate::routes(state)
        .table()
        .iter()
        .filter(|r| r.method == http::Method::GET && r.path.starts_with("/__admin/") && !r.path.contains('{'))
        .map(|r| r.path.clone())
        .filter(|path| path != "/__admin/" && path != "/__admin/openapi")
        .collect();
    views.sort();
    views.dedup();
    views
}

/// How far the virtual clock is from real time, in words.
fn offset_in_words(seconds: i64) -> String {
    if seconds == 0 {
        return "at real time".to_owned();
    }
    let side = if seconds < 0 { "behind" } else { "ahead of" };
    let mut left = seconds.unsigned_abs();
    let mut parts = Vec::new();
    for (unit, size) in [
        ("year", 365 * 86_400),
        ("day", 86_400),
        ("hour", 3_600),
        ("minute", 60),
        ("second", 1),
    ] {
        let n = left / size;
        left %= size;
        if n > 0 && parts.len() < 2 {
            parts.push(format!("{n} {unit}{}", if n == 1 { "" } else { "s" }));
        }
    }
    format!("{} {side} real time ({seconds} s)", parts.join(" "))
}

fn request_row(entry: &Entry) -> Markup {
    let target = match &entry.query {
        Some(query) => format!("{}?{query}", entry.path),
        None => entry.path.clone(),
    };
    let class = match entry.status {
        200..=299 => "ok",
        400..=499 => "client-error",
        _ => "server-error",
    };
    let body: String = entry.body.chars().take(BODY_PREVIEW).collect();
    html! {
        tr {
            td.muted { (entry.id) }
            td { code { (entry.time.format("%Y-%m-%dT%H:%M:%S%.3fZ")) } }
            td { (entry.family.as_str()) }
            td {
                code { (entry.method) " " (target) }
                // On demand: the request as the journal keeps it, redacted.
                details {
                    summary {
                        (entry.headers.len()) " headers"
                        @if !body.is_empty() { ", " (entry.body_bytes) " bytes of body" }
                    }
                    pre {
                        @for (name, value) in &entry.headers { (name) ": " (value) "\n" }
                    }
                    @if !body.is_empty() {
                        pre { (body) @if entry.body.chars().count() > BODY_PREVIEW { "…" } }
                    }
                    @match &entry.response {
                        Some(response) => {
                            p.muted { "Response " (entry.status) ", " (response.body_bytes) " bytes"
                                @if !response.complete { " (not all sent)" } ":" }
                            pre { @for (name, value) in &response.headers { (name) ": " (value) "\n" } }
                            @let shown: String = response.body.chars().take(BODY_PREVIEW).collect();
                            @if !shown.is_empty() {
                                pre { (shown) @if response.body.chars().count() > BODY_PREVIEW { "…" } }
                            }
                        }
                        None => {
                            p.muted { "Responses are kept with " code { "--journal-responses" } "." }
                        }
                    }
                }
            }
            td class=(class) {
                @if entry.status == 0 { "dropped" } @else { (entry.status) }
            }
            td.muted { (format!("{:.2}", entry.latency_ms)) }
            td {
                @if let Some(fault) = &entry.fault { code { (fault.id) " " (fault.effect) } }
            }
        }
    }
}

const STYLE: &str = "
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 small, h2 small, .muted { color: #777; font-weight: normal; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
code, pre { font-size: 13px; }
pre { white-space: pre-wrap; word-break: break-all; margin: 4px 0; }
.ok { color: #187a30; } .client-error { color: #a05a00; } .server-error { color: #b00020; font-weight: bold; }
";

#[cfg(test)]
mod tests {
    use super::offset_in_words;

    #[test]
    fn the_clock_offset_reads_in_words() {
        assert_eq!(offset_in_words(0), "at real time");
        assert_eq!(
            offset_in_words(90),
            "1 minute 30 seconds ahead of real time (90 s)"
        );
        assert_eq!(
            offset_in_words(-260_551_121),
            "8 years 95 days behind real time (-260551121 s)"
        );
    }
}
