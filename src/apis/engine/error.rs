//! Engine's error shape: a JSON array of `ApiError`
//! (`attribute`, `type`, `details` with string values, `message`), with the
//! exact texts of the vendor's examples where it documents them.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::shared::rate_limit::{Exceeded, exceeded_message, with_retry_after};
use crate::shared::request::BodyError;
use crate::shared::time::{format_millis, format_seconds};

/// One `ApiError`. Fields are omitted when empty, as the vendor does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ApiError {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) attribute: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub(crate) kind: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) details: BTreeMap<String, String>,
    pub(crate) message: String,
}

impl ApiError {
    /// `{attribute} must be specified` (`type: missing`).
    pub(crate) fn missing(attribute: &str) -> Self {
        Self {
            attribute: Some(attribute.to_owned()),
            kind: Some("missing".into()),
            details: BTreeMap::new(),
            message: format!("{attribute} must be specified"),
        }
    }

    /// `type: malformed`, echoing what was specified (cut to a readable length).
    pub(crate) fn malformed(attribute: &str, specified: &str, message: impl Into<String>) -> Self {
        Self {
            attribute: Some(attribute.to_owned()),
            kind: Some("malformed".into()),
            details: BTreeMap::from([("specified".to_owned(), shorten(specified))]),
            message: message.into(),
        }
    }
}

/// Echoed input is cut so a huge bad value does not make a huge error.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EngineError {
    /// One or more attributes are missing or malformed, each its own `ApiError`.
    Attributes(Vec<ApiError>),
    /// No `Authorization: Bearer` header at all.
    MissingToken,
    /// A token leadsim does not know.
    InvalidToken,
    /// A known token of the wrong kind (publishable on analytics, or the reverse).
    TokenNotPermitted,
    /// A required attribute is absent.
    Missing { attribute: String },
    /// An attribute is present but unusable.
    Malformed {
        attribute: Option<String>,
        specified: Option<String>,
        message: String,
    },
    /// The SLA (v1: an hour, v3: 5 minutes): not published yet.
    TimestampTooLate {
        /// `timestamp` (v1) or `sinceTimestamp` (v3).
        attribute: &'static str,
        specified: DateTime<Utc>,
        requirement: DateTime<Utc>,
    },
    /// Unknown route, wrong method, body too large.
    Framework { status: StatusCode, message: String },
    /// The company's rate limit (fixtures `rateLimit`): 429 with `Retry-After`.
    RateLimited(Exceeded),
    /// The marketplace's answers: a status and its `ApiError`s (400 for
    /// invalid fields, 404, 409 for a duplicate lead).
    Rejected { status: StatusCode, errors: Vec<ApiError> },
}

impl EngineError {
    /// One plain `ApiError` (only a message) with `status`, as the
    /// marketplace's examples show them.
    pub(crate) fn plain(status: StatusCode, message: impl Into<String>) -> Self {
        Self::Rejected {
            status,
            errors: vec![ApiError {
                attribute: None,
                kind: None,
                details: BTreeMap::new(),
                message: message.into(),
            }],
        }
    }

    /// The same errors, as a 400 (the marketplace's status for any bad request).
    pub(crate) fn into_bad_request(self) -> Self {
        match self {
            auth @ (Self::MissingToken | Self::InvalidToken | Self::TokenNotPermitted | Self::RateLimited(_)) => auth,
            other => Self::Rejected {
                status: StatusCode::BAD_REQUEST,
                errors: other.body(),
            },
        }
    }

    pub(crate) fn malformed(attribute: &str, specified: Option<&str>, message: impl Into<String>) -> Self {
        Self::Malformed {
            attribute: Some(attribute.to_owned()),
            specified: specified.map(str::to_owned),
            message: message.into(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::MissingToken | Self::InvalidToken | Self::TokenNotPermitted => StatusCode::UNAUTHORIZED,
            Self::Attributes(_)
            | Self::Missing { .. }
            | Self::Malformed { .. }
            | Self::TimestampTooLate { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Framework { status, .. } => *status,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Rejected { status, .. } => *status,
        }
    }

    pub(crate) fn body(self) -> Vec<ApiError> {
        match self {
            Self::Attributes(errors) | Self::Rejected { errors, .. } => errors,
            single => vec![single.single_body()],
        }
    }

    fn single_body(self) -> ApiError {
        let plain = |message: &str| ApiError {
            attribute: None,
            kind: None,
            details: BTreeMap::new(),
            message: message.to_owned(),
        };
        match self {
            Self::MissingToken => plain("Access token is missing"),
            Self::InvalidToken => plain("Access token is invalid"),
            Self::TokenNotPermitted => plain("Access token is not permitted to access this resource"),
            Self::Attributes(mut errors) | Self::Rejected { mut errors, .. } => {
                errors.pop().unwrap_or_else(|| plain("Invalid request"))
            }
            Self::Missing { attribute } => ApiError::missing(&attribute),
            Self::Malformed {
                attribute,
                specified,
                message,
            } => ApiError {
                attribute,
                kind: Some("malformed".into()),
                details: specified
                    .map(|s| BTreeMap::from([("specified".to_owned(), shorten(&s))]))
                    .unwrap_or_default(),
                message,
            },
            Self::TimestampTooLate {
                attribute,
                specified,
                requirement,
            } => {
                let requirement = format!("must be at or before {}", format_seconds(requirement));
                ApiError {
                    message: format!("{attribute} {requirement}, but is '{}'", format_seconds(specified)),
                    attribute: Some(attribute.into()),
                    kind: Some("malformed".into()),
                    details: BTreeMap::from([
                        ("specified".to_owned(), format_millis(specified)),
                        ("requirement".to_owned(), requirement),
                    ]),
                }
            }
            Self::Framework { status, message } => ApiError {
                attribute: None,
                kind: Some(framework_kind(status).into()),
                details: BTreeMap::new(),
                message,
            },
            Self::RateLimited(exceeded) => ApiError {
                attribute: None,
                kind: Some("rate_limited".into()),
                details: BTreeMap::from([
                    ("limit".to_owned(), exceeded.limit.calls.to_string()),
                    (
                        "windowSeconds".to_owned(),
                        exceeded.limit.window.num_seconds().to_string(),
                    ),
                    (
                        "retryAfterSeconds".to_owned(),
                        exceeded.retry_after_seconds().to_string(),
                    ),
                ]),
                message: exceeded_message(&exceeded),
            },
        }
    }
}

fn framework_kind(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        _ => "invalid_request",
    }
}

impl IntoResponse for EngineError {
    fn into_response(self) -> Response {
        let status = self.status();
        let exceeded = match &self {
            Self::RateLimited(exceeded) => Some(*exceeded),
            _ => None,
        };
        let response = (status, Json(self.body())).into_response();
        match exceeded {
            Some(exceeded) => with_retry_after(response, &exceeded),
            None => response,
        }
    }
}

/// Framework errors on Engine paths, in Engine's shape.
pub(crate) fn framework_error(status: StatusCode, message: &str) -> Response {
    EngineError::Framework {
        status,
        message: message.to_owned(),
    }
    .into_response()
}

/// A request body that is not JSON, or not the expected shape.
impl From<BodyError> for EngineError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::Malformed { reason } => Self::Malformed {
                attribute: None,
                specified: None,
                message: format!("Request body must be valid JSON: {reason}"),
            },
            BodyError::Invalid { path, reason } if reason.starts_with("missing field") => Self::Missing {
                attribute: path_or_field(&path, &reason),
            },
            BodyError::Invalid { path, reason } => {
                let attribute = (path != ".").then_some(path);
                let message = match &attribute {
                    Some(a) => format!("{a} is invalid: {reason}"),
                    None => format!("Request body is invalid: {reason}"),
                };
                Self::Malformed {
                    attribute,
                    specified: None,
                    message,
                }
            }
        }
    }
}

/// serde reports a missing field at its parent's path; name the field itself.
fn path_or_field(path: &str, reason: &str) -> String {
    let field = reason.split('`').nth(1).unwrap_or(reason).to_owned();
    if path == "." {
        field
    } else {
        format!("{path}.{field}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(e: EngineError) -> serde_json::Value {
        serde_json::to_value(e.body()).unwrap_or_default()
    }

    #[test]
    fn documented_examples_are_reproduced_exactly() {
        assert_eq!(
            json(EngineError::MissingToken),
            serde_json::json!([{"message": "Access token is missing"}])
        );
        assert_eq!(
            json(EngineError::Missing {
                attribute: "timestamp".into()
            }),
            serde_json::json!([{"attribute": "timestamp", "type": "missing", "message": "timestamp must be specified"}])
        );
        let at = |s: &str| crate::shared::time::parse_rfc3339(s).unwrap_or_default();
        assert_eq!(
            json(EngineError::TimestampTooLate {
                attribute: "timestamp",
                specified: at("2021-02-01T17:00:00Z"),
                requirement: at("2021-01-13T16:00:00Z"),
            }),
            serde_json::json!([{
                "attribute": "timestamp",
                "type": "malformed",
                "details": {"specified": "2021-02-01T17:00:00.000Z", "requirement": "must be at or before 2021-01-13T16:00:00Z"},
                "message": "timestamp must be at or before 2021-01-13T16:00:00Z, but is '2021-02-01T17:00:00Z'"
            }])
        );
    }
}
