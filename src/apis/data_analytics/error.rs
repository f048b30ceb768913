//! The Data Analytics Service's error shape. Its vendor documents only the
//! 422 status; leadsim answers every error with one JSON shape that names
//! each offending field: `{"message": "...", "errors": [{"field", "message"}]}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::event::FieldError;
use crate::shared::rate_limit::{Exceeded, exceeded_message, with_retry_after};
use crate::shared::request::BodyError;

#[derive(Debug)]
pub(crate) enum DataAnalyticsError {
    /// 422: the body or query failed validation; nothing was stored.
    Validation(Vec<FieldError>),
    /// 404, 405, 413 from the framework.
    Framework { status: StatusCode, message: String },
    /// The customer's rate limit (fixtures `customers[].rateLimit`).
    RateLimited(Exceeded),
}

impl IntoResponse for DataAnalyticsError {
    fn into_response(self) -> Response {
        match self {
            DataAnalyticsError::Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "message": "Validation failed", "errors": errors })),
            )
                .into_response(),
            DataAnalyticsError::Framework { status, message } => {
                (status, Json(json!({ "message": message, "errors": [] }))).into_response()
            }
            DataAnalyticsError::RateLimited(exceeded) => {
                let body = json!({ "message": exceeded_message(&exceeded), "errors": [] });
                with_retry_after(
                    (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response(),
                    &exceeded,
                )
            }
        }
    }
}

impl From<BodyError> for DataAnalyticsError {
    fn from(e: BodyError) -> Self {
        let message = match e {
            BodyError::Malformed { reason } => format!("body must be valid JSON: {reason}"),
            BodyError::Invalid { path, reason } => format!("{path}: {reason}"),
        };
        DataAnalyticsError::Validation(vec![FieldError {
            field: "body".into(),
            message,
        }])
    }
}

pub(crate) fn framework_error(status: StatusCode, message: &str) -> Response {
    DataAnalyticsError::Framework {
        status,
        message: message.to_owned(),
    }
    .into_response()
}
