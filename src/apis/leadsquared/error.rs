//! LeadSquared's MX error envelope:
//! `{"Status":"Error","ExceptionType":"MX…Exception","ExceptionMessage":"…"}`.
//! Statuses follow what real accounts answer (reference NOTES.md): 401 for
//! bad keys, 400 for a body that is not the API's JSON, 429 for the rate
//! limit, and 500 for values the API refuses.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::query::QueryError;
use crate::shared::rate_limit::{Exceeded, with_retry_after};
use crate::shared::request::BodyError;

#[derive(Debug)]
pub(crate) enum LsqError {
    /// Missing, unknown or mismatched access/secret key.
    InvalidAccess,
    RateLimited(Exceeded),
    /// Not JSON, or members of the wrong type.
    BadRequest(String),
    Query(QueryError),
    /// 404, 405, 413 from the framework.
    Framework {
        status: StatusCode,
        message: String,
    },
    /// A v2 call's logical error: the vendor's exception type and message,
    /// as a 500 (the status LeadSquared documents for them).
    Mx {
        exception_type: &'static str,
        message: String,
    },
}

impl LsqError {
    /// A 500 with `exception_type` (an `MX…Exception`).
    pub(crate) fn mx(exception_type: &'static str, message: impl Into<String>) -> Self {
        LsqError::Mx {
            exception_type,
            message: message.into(),
        }
    }

    /// The exception type and message its envelope carries (a bulk row's
    /// result reports them inline).
    pub(crate) fn parts(&self) -> (String, String) {
        let response = match self {
            LsqError::Mx { exception_type, message } => return ((*exception_type).to_owned(), message.clone()),
            LsqError::BadRequest(message) => return ("MXInvalidRequestException".to_owned(), message.clone()),
            LsqError::Query(QueryError::InvalidInput(message)) => return ("MXInvalidInputException".to_owned(), message.clone()),
            LsqError::Query(QueryError::UnknownAttribute(message)) => {
                return ("MXUnknownAttributeException".to_owned(), message.clone());
            }
            other => format!("{other:?}"),
        };
        ("MXException".to_owned(), response)
    }

    /// `MXInvalidInputException` with the vendor's `Invalid Input!` wording.
    pub(crate) fn invalid_input(parameter: &str, reason: impl std::fmt::Display) -> Self {
        Self::mx(
            "MXInvalidInputException",
            format!("Invalid Input! Parameter Name: {parameter}. {reason}"),
        )
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Envelope<'a> {
    status: &'static str,
    exception_type: &'a str,
    exception_message: &'a str,
}

fn envelope(status: StatusCode, exception_type: &str, message: &str) -> Response {
    let body = Envelope {
        status: "Error",
        exception_type,
        exception_message: message,
    };
    (status, Json(body)).into_response()
}

impl IntoResponse for LsqError {
    fn into_response(self) -> Response {
        match self {
            LsqError::InvalidAccess => envelope(
                StatusCode::UNAUTHORIZED,
                "MXInvalidAccessDetailsException",
                "Invalid Access Details provided.",
            ),
            LsqError::RateLimited(exceeded) => {
                let message = format!(
                    "API calls exceeded the limit of {} in {} second(s)",
                    exceeded.limit.calls,
                    exceeded.limit.window.num_seconds()
                );
                let response = envelope(
                    StatusCode::TOO_MANY_REQUESTS,
                    "MXAPIRateLimitExceededException",
                    &message,
                );
                with_retry_after(response, &exceeded)
            }
            LsqError::BadRequest(message) => {
                envelope(StatusCode::BAD_REQUEST, "MXInvalidRequestException", &message)
            }
            LsqError::Query(QueryError::InvalidInput(message)) => envelope(
                StatusCode::INTERNAL_SERVER_ERROR,
                "MXInvalidInputException",
                &message,
            ),
            LsqError::Query(QueryError::UnknownAttribute(message)) => envelope(
                StatusCode::INTERNAL_SERVER_ERROR,
                "MXUnknownAttributeException",
                &message,
            ),
            LsqError::Mx { exception_type, message } => {
                envelope(StatusCode::INTERNAL_SERVER_ERROR, exception_type, &message)
            }
            LsqError::Framework { status, message } => {
                let exception_type = match status {
                    StatusCode::NOT_FOUND => "MXAPINotFoundException",
                    StatusCode::METHOD_NOT_ALLOWED => "MXMethodNotAllowedException",
                    StatusCode::PAYLOAD_TOO_LARGE => "MXRequestTooLargeException",
                    _ => "MXInvalidRequestException",
                };
                envelope(status, exception_type, &message)
            }
        }
    }
}

impl From<QueryError> for LsqError {
    fn from(e: QueryError) -> Self {
        LsqError::Query(e)
    }
}

impl From<BodyError> for LsqError {
    fn from(e: BodyError) -> Self {
        LsqError::BadRequest(match e {
            BodyError::Malformed { reason } => {
                format!("The request body contains malformed JSON: {reason}")
            }
            BodyError::Invalid { path, reason } => {
                format!("The request body contains unexpected JSON at {path}: {reason}")
            }
        })
    }
}

pub(crate) fn framework_error(status: StatusCode, message: &str) -> Response {
    let message = if status == StatusCode::NOT_FOUND {
        format!("The API could not be found. Please check the API signature. ({message})")
    } else {
        message.to_owned()
    };
    LsqError::Framework { status, message }.into_response()
}
