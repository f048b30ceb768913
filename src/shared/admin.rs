//! The admin API's error shape, `{"error": "<code>", "message": "..."}`,
//! shared by `/__admin` and each family's admin routes under it.

use axum::Json;
use axum::extract::path::ErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::shared::request::{BodyError, PathTexts};

/// `Path`, refusing what it cannot read (a segment that is not UTF-8, say)
/// in the admin shape instead of axum's plain text.
#[derive(Debug)]
pub(crate) struct AdminPath<T>(pub(crate) T);

impl<T, S> FromRequestParts<S> for AdminPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let rejection = match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => return Ok(Self(value)),
            Err(rejection) => rejection,
        };
        let invalid = || AdminError::bad_request(format!("Invalid path: {}", rejection.body_text()));
        // A segment that is not UTF-8 is read as text like any other, so
        // the route answers it as it answers any unknown name.
        let not_utf8 = matches!(&rejection, PathRejection::FailedToDeserializePathParams(e)
            if matches!(e.kind(), ErrorKind::InvalidUtf8InPathParam { .. }));
        if !not_utf8 {
            return Err(invalid());
        }
        let PathTexts(mut texts) = PathTexts::from_request_parts(parts, state)
            .await
            .unwrap_or_default();
        let value = match texts.len() {
            1 => serde_json::Value::String(texts.remove(0)),
            _ => json!(texts),
        };
        serde_json::from_value(value).map(Self).map_err(|_| invalid())
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
