//! HTTP behaviour every family shares: the 1 MiB body limit, the request
//! journal, framework errors (404/405/413) in the owning vendor's shape,
//! permissive CORS and request tracing.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::cors::CorsLayer;
use tower_http::trace::TraceLayer;

use crate::shared::clock::Clock;
use crate::shared::family::Family;
use crate::shared::journal::{Journal, RequestRecord};

/// Largest request body accepted; larger ones get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Renders a framework-level error (unknown route, wrong method, body too
/// large) in the error shape of the family that owns the path.
pub type ErrorRenderer = fn(Family, StatusCode, &str) -> Response;

/// What the shared layers need from the application.
#[derive(Clone)]
pub struct HttpContext {
    pub clock: Clock,
    pub journal: Journal,
    pub render_error: ErrorRenderer,
}

/// Wraps a fully routed application in the shared layers.
pub fn with_layers(router: Router, ctx: HttpContext) -> Router {
    router
        .layer(middleware::from_fn_with_state(ctx, journal_and_limit))
        // Browsers call the UI-event routes with an Authorization header, which
        // a wildcard does not cover, so request headers are mirrored.
        .layer(CorsLayer::very_permissive())
        .layer(TraceLayer::new_for_http())
}

/// Buffers the body (refusing more than [`MAX_BODY_BYTES`]), runs the request,
/// gives framework errors the family's shape and records the exchange.
async fn journal_and_limit(State(ctx): State<HttpContext>, request: Request, next: Next) -> Response {
    let started = tokio::time::Instant::now();
    let family = Family::of_path(request.uri().path());
    let (parts, body) = request.into_parts();

    let declared_len = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let body = match declared_len {
        Some(len) if len > MAX_BODY_BYTES as u64 => Err(StatusCode::PAYLOAD_TOO_LARGE),
        _ => axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|e| body_error_status(&e)),
    };

    let record = (family != Family::Admin).then(|| {
        RequestRecord::capture(
            ctx.clock.now(),
            &parts.method,
            &parts.uri,
            &parts.headers,
            body.as_ref().unwrap_or(&Bytes::new()),
        )
    });

    let response = match body {
        Ok(bytes) => {
            let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            shape_framework_error(response, family, ctx.render_error)
        }
        Err(status) => (ctx.render_error)(family, status, &body_error_message(status)),
    };

    if let Some(record) = record {
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        ctx.journal
            .record(record, family, response.status().as_u16(), latency_ms);
    }
    response
}

fn body_error_status(error: &axum::Error) -> StatusCode {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return StatusCode::PAYLOAD_TOO_LARGE;
        }
        source = e.source();
    }
    StatusCode::BAD_REQUEST
}

fn body_error_message(status: StatusCode) -> String {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        format!("Request body exceeds the limit of {MAX_BODY_BYTES} bytes")
    } else {
        "Request body could not be read".to_owned()
    }
}

/// axum answers a wrong method with an empty 405; give it the family's body
/// while keeping the `Allow` header.
fn shape_framework_error(response: Response, family: Family, render: ErrorRenderer) -> Response {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let message = match allow.as_ref().and_then(|v| v.to_str().ok()) {
        Some(allowed) => format!("Method not allowed; this route accepts {allowed}"),
        None => "Method not allowed".to_owned(),
    };
    let mut shaped = render(family, StatusCode::METHOD_NOT_ALLOWED, &message);
    if let Some(allow) = allow {
        shaped.headers_mut().insert(header::ALLOW, allow);
    }
    shaped
}

/// `Content-Type: application/json` for hand-built responses.
pub const JSON: HeaderValue = HeaderValue::from_static("application/json");
