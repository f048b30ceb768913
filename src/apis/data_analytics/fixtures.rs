//! `fixtures/data_analytics.json`: events the service holds at start and
//! after every reset. Each entry is the body its route accepts plus a
//! required `created_at` (so seeded partition keys are reproducible).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::event::{EventKind, NewEvent, Route};
use crate::shared::fixtures::FixtureError;
use crate::shared::rate_limit::RateLimitSpec;
use crate::shared::time::parse_rfc3339;

pub(crate) const FILE: &str = "data_analytics.json";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct DataAnalyticsFixtures {
    /// Bodies of `POST /api/v1/analytics_events`.
    #[serde(default)]
    pub(crate) analytics_events: Vec<Value>,
    /// Bodies of `POST /api/v1/lead_analytics`.
    #[serde(default)]
    pub(crate) lead_analytics: Vec<Value>,
    /// Bodies of `POST /api/v1/contact_analytics`.
    #[serde(default)]
    pub(crate) contact_analytics: Vec<Value>,
    /// Customers (tenants, by `customer_id`) with settings of their own.
    #[serde(default)]
    pub(crate) customers: Vec<CustomerFixture>,
}

/// The service has no credentials: a tenant is a `customer_id`, the key
/// every event and search carries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct CustomerFixture {
    pub(crate) customer_id: String,
    /// Calls per window for this customer's events and searches (off when absent or null).
    #[serde(default)]
    pub(crate) rate_limit: Option<RateLimitSpec>,
}

/// A fixture event, validated exactly as its route would validate it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SeededEvent {
    pub(crate) event: NewEvent,
    pub(crate) created_at: DateTime<Utc>,
}

impl DataAnalyticsFixtures {
    /// Every event, validated, ordered by `created_at` (file order on ties).
    pub(crate) fn events(&self, file: &str) -> Result<Vec<SeededEvent>, FixtureError> {
        let lists = [
            ("analyticsEvents", Route::AnalyticsEvents, &self.analytics_events),
            (
                "leadAnalytics",
                Route::Typed(EventKind::Lead),
                &self.lead_analytics,
            ),
            (
                "contactAnalytics",
                Route::Typed(EventKind::Contact),
                &self.contact_analytics,
            ),
        ];
        let mut seeded = Vec::new();
        for (list, route, bodies) in lists {
            for (i, body) in bodies.iter().enumerate() {
                let at = |field: &str| format!("{list}[{i}].{field}");
                let created_at = match body.get("created_at") {
                    Some(Value::String(s)) => parse_rfc3339(s).ok_or_else(|| {
                        FixtureError::new(file, at("created_at"), "not an RFC 3339 timestamp")
                    })?,
                    Some(_) => return Err(FixtureError::new(file, at("created_at"), "must be a string")),
                    None => {
                        return Err(FixtureError::new(
                            file,
                            at("created_at"),
                            "is required in fixtures (an RFC 3339 timestamp)",
                        ));
                    }
                };
                let event = NewEvent::from_json(route, body.clone()).map_err(|errors| {
                    let first = errors.into_iter().next();
                    let (field, message) =
                        first.map_or(("body".into(), "invalid".into()), |e| (e.field, e.message));
                    let path = if field == "body" {
                        format!("{list}[{i}]")
                    } else {
                        at(&field)
                    };
                    FixtureError::new(file, path, message)
                })?;
                seeded.push(SeededEvent { event, created_at });
            }
        }
        seeded.sort_by_key(|s| s.created_at);
        Ok(seeded)
    }
}

/// Unique, non-blank customer ids with valid limits (a file's, or the
/// whole after a runtime merge).
pub(crate) fn validate_customers<'a>(
    customers: impl IntoIterator<Item = &'a CustomerFixture>,
    file: &str,
) -> Result<(), FixtureError> {
    let mut seen = std::collections::HashSet::new();
    for (c, customer) in customers.into_iter().enumerate() {
        let at = |field: &str| format!("customers[{c}].{field}");
        if customer.customer_id.trim().is_empty() {
            return Err(FixtureError::new(file, at("customerId"), "must not be blank"));
        }
        if !seen.insert(customer.customer_id.as_str()) {
            return Err(FixtureError::new(
                file,
                at("customerId"),
                format!("customer '{}' is listed twice", customer.customer_id),
            ));
        }
        if let Some(limit) = customer.rate_limit {
            limit.validate(file, &at("rateLimit"))?;
        }
    }
    Ok(())
}
