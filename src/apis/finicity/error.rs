//! Finicity's two error shapes, with the vendor's example bodies verbatim.
//!
//! - `ErrorMessage` (`code`, sometimes as a string, `message`, ...): the
//!   aggregation calls and the report GETs.
//! - `ObbErrorMessage` (`errorCode` = the HTTP status, `message`): the two
//!   generate calls.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use crate::shared::rate_limit::{Exceeded, exceeded_message, with_retry_after};

/// `user_message` of the vendor's 400 examples.
const FIELDS_NOT_VALIDATED: &str =
    "One or more of the fields could not be validated. Please ensure you have entered the correct data.";

/// Why the credentials of a call were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    MissingAppKey,
    UnknownAppKey,
    /// Missing, unknown, expired, or issued to another app.
    BadToken,
    /// The partner's rate limit (fixtures `rateLimit`).
    RateLimited(Exceeded),
}

/// An `ErrorMessage` answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ApiError {
    Auth(AuthFailure),
    /// Wrong partner id or secret (CreateToken).
    InvalidCredentials,
    /// Five failed authentications in a row.
    PartnerLocked,
    /// No partner has the posted `partnerId` (spec 1.42.0's 404).
    PartnerNotFound,
    /// A testing customer's username is taken (spec 1.42.0's 409).
    UsernameTaken,
    /// Not JSON at all: `{"code": 14020, "message": "Bad request."}`.
    BadRequest,
    /// A field failed validation (`"partnerId" is required`), in the
    /// vendor's code-10010 shape.
    InvalidField(String),
    /// `?account_type=` other than `ava`.
    AccountTypeNotSupported,
    CustomerNotFound,
    ResourceNotFound,
    NotAcceptable,
    /// The `/decisioning` calls' refusals: `{"code": "10100", "status":
    /// "400", "message": ...}`, code and status as strings.
    Decisioning {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    /// `SecurityFreezeErrorMessage`, whose `code` is an integer.
    SecurityFreeze,
    /// `{"code": …, "message": …}` as the vendor's tests record it: the
    /// Connect service's codes are JSON strings, the aggregation
    /// services' numbers (`38007` is both, depending on who answers).
    Coded {
        status: StatusCode,
        code: Code,
        message: String,
    },
    Framework {
        status: StatusCode,
        message: String,
    },
}

/// An `ErrorMessage` code: "a number or a string".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    Number(u32),
    Text(&'static str),
}

/// `ErrorMessage` fields in the order the vendor's examples use.
#[derive(Serialize)]
struct ErrorMessage<'a> {
    code: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a str>,
}

fn simple(status: StatusCode, code: u32, message: &str) -> Response {
    let body = ErrorMessage {
        code: code.into(),
        status: None,
        message,
        user_message: None,
        tags: None,
    };
    (status, Json(body)).into_response()
}

fn detailed(status: StatusCode, code: &str, message: &str, user_message: &str) -> Response {
    let body = ErrorMessage {
        code: code.into(),
        status: Some(status.as_str()),
        message,
        user_message: Some(user_message),
        tags: Some(""),
    };
    (status, Json(body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use StatusCode as S;
        match self {
            ApiError::Auth(AuthFailure::MissingAppKey) => {
                simple(S::UNAUTHORIZED, 10026, "Missing parameter (Finicity-App-Key)")
            }
            ApiError::Auth(AuthFailure::UnknownAppKey) | ApiError::InvalidCredentials => {
                simple(S::UNAUTHORIZED, 10001, "Invalid credentials")
            }
            ApiError::Auth(AuthFailure::BadToken) => detailed(
                S::UNAUTHORIZED,
                "10022",
                "Invalid authorization credentials",
                "The session has expired or is invalid",
            ),
            ApiError::PartnerLocked => simple(
                S::UNAUTHORIZED,
                10001,
                "Invalid credentials: the partner is locked after five failed attempts; contact support",
            ),
            ApiError::PartnerNotFound => simple(S::NOT_FOUND, 12401, "partner not found"),
            ApiError::UsernameTaken => {
                let body = ErrorMessage {
                    code: "110002".into(),
                    status: None,
                    message: "Username is not available.",
                    user_message: None,
                    tags: None,
                };
                (S::CONFLICT, Json(body)).into_response()
            }
            ApiError::BadRequest => simple(S::BAD_REQUEST, 14020, "Bad request."),
            ApiError::InvalidField(message) => {
                detailed(S::BAD_REQUEST, "10010", &message, FIELDS_NOT_VALIDATED)
            }
            ApiError::AccountTypeNotSupported => simple(
                S::BAD_REQUEST,
                14020,
                "Bad request. (Account type not supported).",
            ),
            ApiError::CustomerNotFound => simple(S::NOT_FOUND, 14001, "Customer not found."),
            ApiError::ResourceNotFound => simple(S::NOT_FOUND, 14001, "Resource not found."),
            ApiError::NotAcceptable => {
                let mut response = simple(
                    S::NOT_ACCEPTABLE,
                    14020,
                    "Bad request. (Accept must allow application/json or application/pdf).",
                );
                // The answer depends on Accept, so caches must key on it.
                response
                    .headers_mut()
                    .insert(header::VARY, HeaderValue::from_static("accept"));
                response
            }
            ApiError::Decisioning { status, code, message } => {
                let body = ErrorMessage {
                    code: code.into(),
                    status: Some(status.as_str()),
                    message: &message,
                    user_message: None,
                    tags: None,
                };
                (status, Json(body)).into_response()
            }
            ApiError::SecurityFreeze => {
                let body = ErrorMessage {
                    code: 10405.into(),
                    status: Some("403"),
                    message: "The active security freeze for this consumer exists.",
                    user_message: None,
                    tags: None,
                };
                (S::FORBIDDEN, Json(body)).into_response()
            }
            ApiError::Coded { status, code, message } => {
                let body = ErrorMessage {
                    code: match code {
                        Code::Number(n) => n.into(),
                        Code::Text(t) => t.into(),
                    },
                    status: None,
                    message: &message,
                    user_message: None,
                    tags: None,
                };
                (status, Json(body)).into_response()
            }
            ApiError::Framework { status, message } => simple(status, u32::from(status.as_u16()), &message),
            ApiError::Auth(AuthFailure::RateLimited(exceeded)) => with_retry_after(
                simple(S::TOO_MANY_REQUESTS, 429, &exceeded_message(&exceeded)),
                &exceeded,
            ),
        }
    }
}

/// An `ObbErrorMessage` answer of the generate calls.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObbError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    /// Set on a 429: the `Retry-After` to send.
    pub(crate) rate_limited: Option<Exceeded>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ObbErrorMessage<'a> {
    error_code: u16,
    message: &'a str,
}

impl ObbError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        let mut message = message.into();
        // The schema caps `message` at 255 characters.
        if message.len() > 255 {
            let mut cut = 252;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str("...");
        }
        Self {
            status,
            message,
            rate_limited: None,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn customer_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Customer not found")
    }

    pub(crate) fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Partner does not have access to this resource",
        )
    }

    pub(crate) fn not_a_business() -> Self {
        Self::new(StatusCode::CONFLICT, "Customer is not registered as a business")
    }
}

impl ApiError {
    /// A 404 of the aggregation services, its code a number.
    pub(crate) fn not_found(code: u32, message: impl Into<String>) -> Self {
        Self::Coded {
            status: StatusCode::NOT_FOUND,
            code: Code::Number(code),
            message: message.into(),
        }
    }

    /// A 400 of the aggregation services, its code a number.
    pub(crate) fn bad(code: u32, message: impl Into<String>) -> Self {
        Self::Coded {
            status: StatusCode::BAD_REQUEST,
            code: Code::Number(code),
            message: message.into(),
        }
    }

    /// A `/decisioning` 400 with the vendor's validation code.
    pub(crate) fn decisioning(message: impl Into<String>) -> Self {
        Self::Decisioning {
            status: StatusCode::BAD_REQUEST,
            code: "10100",
            message: message.into(),
        }
    }

    /// A `/decisioning` 404 (`Cannot find consumer for customer with id 5011115315.`).
    pub(crate) fn decisioning_not_found(message: impl Into<String>) -> Self {
        Self::Decisioning {
            status: StatusCode::NOT_FOUND,
            code: "10100",
            message: message.into(),
        }
    }

    /// A 409 for a record the customer already has.
    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self::Decisioning {
            status: StatusCode::CONFLICT,
            code: "11000",
            message: message.into(),
        }
    }
}

impl From<AuthFailure> for ApiError {
    fn from(failure: AuthFailure) -> Self {
        Self::Auth(failure)
    }
}

impl From<AuthFailure> for ObbError {
    fn from(failure: AuthFailure) -> Self {
        let message = match failure {
            AuthFailure::MissingAppKey | AuthFailure::UnknownAppKey => "Invalid Finicity-App-Key",
            AuthFailure::BadToken => "Invalid Finicity-App-Token",
            AuthFailure::RateLimited(exceeded) => {
                let mut error = Self::new(StatusCode::TOO_MANY_REQUESTS, exceeded_message(&exceeded));
                error.rate_limited = Some(exceeded);
                return error;
            }
        };
        Self::new(StatusCode::UNAUTHORIZED, message)
    }
}

impl IntoResponse for ObbError {
    fn into_response(self) -> Response {
        let body = ObbErrorMessage {
            error_code: self.status.as_u16(),
            message: &self.message,
        };
        let response = (self.status, Json(body)).into_response();
        match &self.rate_limited {
            Some(exceeded) => with_retry_after(response, exceeded),
            None => response,
        }
    }
}

/// 404, 405 and 413 from the framework, as `ErrorMessage`.
pub(crate) fn framework_error(status: StatusCode, message: &str) -> Response {
    if status == StatusCode::NOT_FOUND {
        return ApiError::ResourceNotFound.into_response();
    }
    ApiError::Framework {
        status,
        message: message.to_owned(),
    }
    .into_response()
}
