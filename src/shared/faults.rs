//! Fault injection: rules that make matching vendor calls misbehave on
//! purpose (an error status, added latency, a dropped connection, a
//! truncated body), for the next N calls, with a seeded probability, or
//! until removed.
//!
//! This module decides *whether* and *how* a call is faulted; the HTTP
//! layer (`shared::http`) carries the decision out, because only it can
//! delay, cut or drop a response.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wildmatch::WildMatch;

use crate::shared::family::Families;
use crate::shared::family::Family;
use crate::shared::redaction::Redaction;
use crate::shared::seed::Seed;

/// Longest latency a fault may add: far beyond any client timeout worth testing.
pub(crate) const MAX_LATENCY_MS: u64 = 600_000;

/// A fault as clients post it (`POST /__admin/faults`).
/// Most faults active at once: every vendor call is checked against each.
pub const MAX_ACTIVE_FAULTS: usize = 100;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultRequest {
    /// Which calls; every given field must hold (none given: every vendor call).
    #[serde(rename = "match", default)]
    pub(crate) matcher: MatchRequest,
    pub(crate) effect: Effect,
    /// Apply to this many calls, then retire; absent: until removed.
    #[serde(default)]
    pub(crate) times: Option<u64>,
    /// Chance that a matching call is affected, drawn from a seeded RNG.
    #[serde(default)]
    pub(crate) probability: Option<f64>,
    /// Seeds this fault's draws; default: derived from `--seed` and the fault's number.
    #[serde(default)]
    pub(crate) seed: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MatchRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) method: Option<String>,
    /// An exact path, or a pattern where `*` is any run of characters
    /// (slashes included) and `?` any one character.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) family: Option<String>,
    /// A credential the call carries, as sent: a bearer token, a Finicity
    /// app key or token, a LeadSquared access key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) credential: Option<String>,
}

/// What happens to an affected call.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub(crate) enum Effect {
    /// Answer `status` without reaching the vendor logic. `body` defaults to
    /// the family's own error shape; a JSON string is sent as text.
    Status {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<Value>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<String, String>,
    },
    /// Wait `ms` milliseconds, then answer normally.
    Latency { ms: u64 },
    /// Close the connection without answering.
    Drop,
    /// Answer normally, but close the connection after `bytes` bytes of the
    /// body (default: half) while `Content-Length` announces all of it.
    Truncate {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bytes: Option<usize>,
    },
}

/// A fault as listed: the request, its id and how often it fired.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FaultView {
    pub(crate) id: String,
    #[serde(rename = "match")]
    pub(crate) matcher: MatchRequest,
    pub(crate) effect: Effect,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) times: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) probability: Option<f64>,
    pub(crate) seed: u64,
    /// Calls that matched so far.
    pub(crate) matched: u64,
    /// Calls the effect was applied to so far.
    pub(crate) applied: u64,
    /// Applications left before the fault retires (with `times`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) remaining: Option<u64>,
    #[serde(serialize_with = "crate::shared::time::serialize_rfc3339_millis")]
    pub(crate) created_at: DateTime<Utc>,
}

/// What the HTTP layer must do to one call.
#[derive(Debug, Clone)]
pub(crate) struct Injection {
    /// `fault-<n>`, as listed and as the journal marks the call.
    pub(crate) fault_id: String,
    pub(crate) action: Action,
}

#[derive(Debug, Clone)]
pub(crate) enum Action {
    Respond {
        status: StatusCode,
        /// `None`: the family's own error body for `status`.
        body: Option<Value>,
        headers: Vec<(HeaderName, HeaderValue)>,
    },
    Delay(Duration),
    Drop,
    Truncate {
        bytes: Option<usize>,
    },
}

impl Action {
    /// The effect's name, as the journal shows it.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Action::Respond { .. } => "status",
            Action::Delay(_) => "latency",
            Action::Drop => "drop",
            Action::Truncate { .. } => "truncate",
        }
    }
}

/// The call a fault is matched against.
pub(crate) struct Call<'a> {
    pub(crate) family: Family,
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
}

/// Every active fault; a cheap-to-clone handle.
#[derive(Debug, Clone)]
pub(crate) struct Faults {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Whether any fault exists: the hot routes check this one flag.
    any: AtomicBool,
    rules: Mutex<Rules>,
    seed: Seed,
    /// The families faults may match, and where their calls carry credentials.
    families: Families,
    redaction: Arc<Redaction>,
}

#[derive(Debug, Default)]
struct Rules {
    active: Vec<Rule>,
    /// Numbers restart on reset, so a replayed test gets the same ids and draws.
    created: u64,
}

#[derive(Debug)]
struct Rule {
    number: u64,
    request: FaultRequest,
    matcher: Matcher,
    action: Action,
    seed: u64,
    rng: ChaCha8Rng,
    matched: u64,
    applied: u64,
    created_at: DateTime<Utc>,
}

/// A validated matcher.
#[derive(Debug)]
struct Matcher {
    method: Option<Method>,
    path: Option<WildMatch>,
    family: Option<Family>,
    credential: Option<String>,
}

impl Matcher {
    fn matches(&self, call: &Call<'_>, redaction: &Redaction) -> bool {
        self.family.is_none_or(|f| f == call.family)
            && self.method.as_ref().is_none_or(|m| m == call.method)
            && self.path.as_ref().is_none_or(|p| p.matches(call.path))
            && self.credential.as_deref().is_none_or(|wanted| {
                let headers = call
                    .headers
                    .iter()
                    .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)));
                redaction
                    .identities(headers, call.query)
                    .any(|sent| sent == wanted)
            })
    }
}

impl Faults {
    pub(crate) fn new(seed: Seed, families: Families, redaction: Arc<Redaction>) -> Self {
        Self {
            inner: Arc::new(Inner {
                any: AtomicBool::new(false),
                rules: Mutex::default(),
                seed,
                families,
                redaction,
            }),
        }
    }

    /// Whether any fault is active (one relaxed load: the pixel pays this).
    #[inline]
    pub(crate) fn any(&self) -> bool {
        self.inner.any.load(Ordering::Relaxed)
    }

    /// Validates and activates a fault (at most [`MAX_ACTIVE_FAULTS`]).
    pub(crate) fn add(&self, request: FaultRequest, now: DateTime<Utc>) -> Result<FaultView, String> {
        let matcher = validate_matcher(&request.matcher, self.inner.families)?;
        let action = validate_effect(&request.effect)?;
        if request.times == Some(0) {
            return Err("times: must be at least 1 (omit it to apply until removed)".into());
        }
        if let Some(p) = request.probability
            && !(p > 0.0 && p <= 1.0)
        {
            return Err("probability: must be greater than 0 and at most 1".into());
        }
        let mut rules = self.lock();
        if rules.active.len() >= MAX_ACTIVE_FAULTS {
            return Err(format!(
                "at most {MAX_ACTIVE_FAULTS} faults may be active at once; remove some first"
            ));
        }
        rules.created += 1;
        let number = rules.created;
        let seed = request.seed.unwrap_or_else(|| {
            let mut derived = self.inner.seed.rng("faults", number);
            u64::from(derived.random::<u32>())
        });
        let rule = Rule {
            number,
            matcher,
            action,
            seed,
            rng: ChaCha8Rng::seed_from_u64(seed),
            matched: 0,
            applied: 0,
            created_at: now,
            request,
        };
        let view = rule.view();
        rules.active.push(rule);
        self.publish(&rules);
        Ok(view)
    }

    pub(crate) fn list(&self) -> Vec<FaultView> {
        self.lock().active.iter().map(Rule::view).collect()
    }

    pub(crate) fn get(&self, id: &str) -> Option<FaultView> {
        let number = parse_id(id)?;
        self.lock()
            .active
            .iter()
            .find(|r| r.number == number)
            .map(Rule::view)
    }

    /// Removes one fault; `None` when no active fault has that id.
    pub(crate) fn remove(&self, id: &str) -> Option<FaultView> {
        let number = parse_id(id)?;
        let mut rules = self.lock();
        let index = rules.active.iter().position(|r| r.number == number)?;
        let removed = rules.active.remove(index);
        self.publish(&rules);
        Some(removed.view())
    }

    /// Removes every fault; returns how many there were.
    pub(crate) fn clear(&self) -> usize {
        let mut rules = self.lock();
        let removed = rules.active.len();
        rules.active.clear();
        self.publish(&rules);
        removed
    }

    /// Back to no faults, numbering from 1 again.
    pub(crate) fn reset(&self) {
        let mut rules = self.lock();
        *rules = Rules::default();
        self.publish(&rules);
    }

    /// The injection for this call, if a fault fires: the first fault (in
    /// creation order) that matches decides; its draw happens even when it
    /// does not fire, so outcomes depend only on the sequence of matching calls.
    pub(crate) fn decide(&self, call: &Call<'_>) -> Option<Injection> {
        if call.family == Family::ADMIN {
            return None;
        }
        let mut rules = self.lock();
        let index = rules
            .active
            .iter()
            .position(|r| r.matcher.matches(call, &self.inner.redaction))?;
        let rule = &mut rules.active[index];
        rule.matched += 1;
        let fires = match rule.request.probability {
            Some(p) => rule.rng.random_bool(p),
            None => true,
        };
        if !fires {
            return None;
        }
        rule.applied += 1;
        let injection = Injection {
            fault_id: fault_id(rule.number),
            action: rule.action.clone(),
        };
        if rule.request.times.is_some_and(|times| rule.applied >= times) {
            rules.active.remove(index);
            self.publish(&rules);
        }
        Some(injection)
    }

    /// Mirrors whether any fault is active into the flag the hot path reads;
    /// called with the lock held after every change to the list.
    fn publish(&self, rules: &Rules) {
        self.inner.any.store(!rules.active.is_empty(), Ordering::Relaxed);
    }

    fn lock(&self) -> MutexGuard<'_, Rules> {
        self.inner.rules.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Rule {
    fn view(&self) -> FaultView {
        FaultView {
            id: fault_id(self.number),
            matcher: self.request.matcher.clone(),
            effect: self.request.effect.clone(),
            times: self.request.times,
            probability: self.request.probability,
            seed: self.seed,
            matched: self.matched,
            applied: self.applied,
            remaining: self.request.times.map(|t| t.saturating_sub(self.applied)),
            created_at: self.created_at,
        }
    }
}

fn fault_id(number: u64) -> String {
    format!("fault-{number}")
}

fn parse_id(id: &str) -> Option<u64> {
    id.strip_prefix("fault-")?.parse().ok()
}

fn validate_matcher(m: &MatchRequest, families: Families) -> Result<Matcher, String> {
    let method = m
        .method
        .as_deref()
        .map(|name| {
            Method::from_bytes(name.to_ascii_uppercase().as_bytes())
                .map_err(|_| format!("match.method: '{name}' is not an HTTP method"))
        })
        .transpose()?;
    let path = m
        .path
        .as_deref()
        .map(|pattern| {
            if pattern.starts_with('/') || pattern.starts_with('*') {
                Ok(WildMatch::new(pattern))
            } else {
                Err(format!(
                    "match.path: '{pattern}' must start with '/' (or '*'); '*' matches any run of characters"
                ))
            }
        })
        .transpose()?;
    let family = m
        .family
        .as_deref()
        .map(|name| {
            families
                .vendor(name)
                .ok_or_else(|| format!("match.family: '{name}' is not one of {}", families.names(None)))
        })
        .transpose()?;
    if m.credential.as_deref().is_some_and(str::is_empty) {
        return Err("match.credential: must not be empty".into());
    }
    Ok(Matcher {
        method,
        path,
        family,
        credential: m.credential.clone(),
    })
}

fn validate_effect(effect: &Effect) -> Result<Action, String> {
    Ok(match effect {
        Effect::Status {
            status,
            body,
            headers,
        } => {
            let status = StatusCode::from_u16(*status)
                .ok()
                .filter(|s| (200..=599).contains(&s.as_u16()))
                .ok_or_else(|| {
                    format!("effect.status: {status} is not an HTTP status between 200 and 599")
                })?;
            let headers = headers
                .iter()
                .map(|(name, value)| {
                    let header = HeaderName::from_bytes(name.as_bytes())
                        .map_err(|_| format!("effect.headers: '{name}' is not a header name"))?;
                    // Framing is the server's: a wrong length would corrupt the connection.
                    if [
                        http::header::CONTENT_LENGTH,
                        http::header::TRANSFER_ENCODING,
                        http::header::CONNECTION,
                    ]
                    .contains(&header)
                    {
                        return Err(format!(
                            "effect.headers: '{name}' is set by leadsim (the truncate effect cuts a body)"
                        ));
                    }
                    let value = HeaderValue::from_str(value)
                        .map_err(|_| format!("effect.headers.{name}: not a valid header value"))?;
                    Ok((header, value))
                })
                .collect::<Result<_, String>>()?;
            Action::Respond {
                status,
                body: body.clone(),
                headers,
            }
        }
        Effect::Latency { ms } => {
            if *ms > MAX_LATENCY_MS {
                return Err(format!("effect.ms: must be at most {MAX_LATENCY_MS}"));
            }
            Action::Delay(Duration::from_millis(*ms))
        }
        Effect::Drop => Action::Drop,
        Effect::Truncate { bytes } => Action::Truncate { bytes: *bytes },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server's own families, so matchers see real paths and names.
    fn new_faults(seed: Seed) -> Faults {
        Faults::new(seed, crate::FAMILIES, Arc::new(Redaction::of(crate::FAMILIES)))
    }

    fn request(json: &str) -> FaultRequest {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"))
    }

    fn call<'a>(method: &'a Method, path: &'a str, headers: &'a HeaderMap) -> Call<'a> {
        Call {
            family: crate::FAMILIES.of_path(path),
            method,
            path,
            query: None,
            headers,
        }
    }

    #[test]
    fn next_n_counts_applications_then_retires() {
        let faults = new_faults(Seed::new(1));
        let view = faults
            .add(
                request(r#"{"match": {"path": "/uiEvent/*"}, "effect": {"type": "drop"}, "times": 2}"#),
                Utc::now(),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(view.id, "fault-1");
        let headers = HeaderMap::new();
        let get = Method::GET;
        assert!(
            faults
                .decide(&call(&get, "/supplyAnalytics/leadEvents", &headers))
                .is_none()
        );
        assert!(
            faults
                .decide(&call(&get, "/uiEvent/sessionInits", &headers))
                .is_some()
        );
        assert_eq!(faults.list()[0].remaining, Some(1));
        assert!(
            faults
                .decide(&call(&get, "/uiEvent/sessionInits", &headers))
                .is_some()
        );
        assert!(
            faults
                .decide(&call(&get, "/uiEvent/sessionInits", &headers))
                .is_none()
        );
        assert!(!faults.any());
        assert!(faults.list().is_empty());
    }

    #[test]
    fn probability_is_reproducible_from_the_seed() {
        let outcomes = |seed: u64| {
            let faults = new_faults(Seed::new(seed));
            let added = faults.add(
                request(r#"{"effect": {"type": "latency", "ms": 5}, "probability": 0.5}"#),
                Utc::now(),
            );
            assert!(added.is_ok(), "{added:?}");
            let headers = HeaderMap::new();
            (0..64)
                .map(|_| faults.decide(&call(&Method::GET, "/Leads/x", &headers)).is_some())
                .collect::<Vec<_>>()
        };
        let first = outcomes(7);
        assert_eq!(first, outcomes(7));
        assert_ne!(first, outcomes(8));
        let fired = first.iter().filter(|f| **f).count();
        assert!((16..=48).contains(&fired), "{fired} of 64");
    }

    #[test]
    fn admin_calls_are_never_faulted() {
        let faults = new_faults(Seed::new(1));
        let added = faults.add(request(r#"{"effect": {"type": "drop"}}"#), Utc::now());
        assert!(added.is_ok());
        let headers = HeaderMap::new();
        assert!(
            faults
                .decide(&call(&Method::GET, "/__admin/faults", &headers))
                .is_none()
        );
        assert!(faults.decide(&call(&Method::GET, "/unknown", &headers)).is_some());
    }

    #[test]
    fn bad_requests_are_explained() {
        let faults = new_faults(Seed::new(1));
        let error = |json: &str| faults.add(request(json), Utc::now()).err().unwrap_or_default();
        assert_eq!(
            error(r#"{"effect": {"type": "status", "status": 99}}"#),
            "effect.status: 99 is not an HTTP status between 200 and 599"
        );
        assert_eq!(
            error(r#"{"effect": {"type": "drop"}, "probability": 0}"#),
            "probability: must be greater than 0 and at most 1"
        );
        assert_eq!(
            error(r#"{"match": {"family": "admin"}, "effect": {"type": "drop"}}"#),
            "match.family: 'admin' is not one of engine, data_analytics, finicity, leadsquared"
        );
        assert_eq!(
            error(r#"{"match": {"path": "uiEvent"}, "effect": {"type": "drop"}}"#),
            "match.path: 'uiEvent' must start with '/' (or '*'); '*' matches any run of characters"
        );
        assert_eq!(
            error(r#"{"effect": {"type": "status", "status": 500, "headers": {"Content-Length": "3"}}}"#),
            "effect.headers: 'Content-Length' is set by leadsim (the truncate effect cuts a body)"
        );
        assert_eq!(
            error(r#"{"effect": {"type": "drop"}, "times": 0}"#),
            "times: must be at least 1 (omit it to apply until removed)"
        );
        assert!(faults.list().is_empty());
    }
}
