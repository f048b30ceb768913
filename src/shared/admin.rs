//! The admin API's error shape, `{"error": "<code>", "message": "..."}`,
//! shared by `/__admin` and each family's admin routes under it.

use axum::Json;
use axum::extract::{FromRequestParts, Path};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::shared::request::BodyError;

/// `Path`, refusing what it cannot read in the admin shape instead of
/// axum's plain text (a segment that is not UTF-8 never gets here: it is
/// made routable first, see `shared::http::routable`).
#[derive(Debug)]
pub(crate) struct AdminPath<T>(pub(crate) T);

impl<T, S> FromRequestParts<S> for AdminPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(AdminError::bad_request(format!(
                "Invalid path: {}",
                rejection.body_text()
            ))),
        }
    }
}

/// An admin API error: status plus a stable code and a human message.
#[derive(Debug)]
pub(crate) struct AdminError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl AdminError {
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.into(),
        }
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: message.into(),
        }
    }

    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::CONFLICT,
            code: "conflict",
            message: message.into(),
        }
    }

    /// The admin API's own shape, also used for framework errors on `/__admin`
    /// and on paths no family serves.
    pub(crate) fn response(status: StatusCode, code: &str, message: &str) -> Response {
        (status, Json(json!({ "error": code, "message": message }))).into_response()
    }
}

impl From<BodyError> for AdminError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::Malformed { reason } => Self::bad_request(format!("Malformed JSON body: {reason}")),
            BodyError::Invalid { path, reason } => Self::bad_request(format!("{path}: {reason}")),
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        Self::response(self.status, self.code, &self.message)
    }
}
