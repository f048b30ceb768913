//! HTTP behaviour every family shares: the 1 MiB body limit, the request
//! journal, framework errors (404/405/413) in the owning vendor's shape,
//! permissive CORS and request tracing.

use std::borrow::Cow;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use futures_util::future::Either;
use http_body_util::BodyExt;
use pin_project_lite::pin_project;
use tower::{Layer, Service, ServiceExt};
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::shared::admin::AdminError;
use crate::shared::budget::Held;
use crate::shared::clock::Clock;
use crate::shared::family::{Families, Family};
use crate::shared::faults::{Action, Call, Faults, Injection};
use crate::shared::journal::{
    InjectedFault, Journal, MAX_RECORDED_BODY, Outcome, RequestRecord, ResponseRecord,
};
use crate::shared::redaction::Redaction;
use crate::shared::request::lossy_utf8_path;

/// Largest request body accepted; larger ones get 413.
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What the shared layers need from the application.
#[derive(Clone)]
pub(crate) struct HttpContext {
    pub(crate) clock: Clock,
    pub(crate) journal: Journal,
    pub(crate) faults: Faults,
    /// Which family owns a path: framework errors take its shape.
    pub(crate) families: Families,
    /// What logs must not show of a request target.
    pub(crate) redaction: Arc<Redaction>,
    /// How long a request body may take to arrive (`--idle-timeout`).
    pub(crate) body_timeout: std::time::Duration,
}

/// Who may use the control plane under `/__admin`.
#[derive(Debug, Clone, Default)]
pub(crate) struct AdminAccess {
    /// Browser origins allowed besides the server's own (`--admin-allow-origin`).
    pub(crate) allowed_origins: Vec<String>,
    /// A token every admin call but health must carry (`--admin-token`).
    pub(crate) token: Option<String>,
}

/// Marks a response that reports leadsim's own failure (not a vendor error
/// it simulates, such as LeadSquared's 500 for a bad value): the journal
/// layer logs it at error level, so a broken simulator is never silent.
#[derive(Debug, Clone)]
pub(crate) struct ServerFailure(pub(crate) String);

/// `response`, marked as leadsim's own failure for `reason`.
pub(crate) fn server_failure(mut response: Response, reason: impl Into<String>) -> Response {
    response.extensions_mut().insert(ServerFailure(reason.into()));
    response
}

/// Header that carries the admin token (besides `Authorization: Bearer`).
pub(crate) const ADMIN_TOKEN_HEADER: &str = "x-leadsim-admin-token";

/// The whole application as one service: paths made routable, then CORS and
/// the admin guard, then the journal, then the router.
///
/// The shared layers wrap the router once, outside it, rather than each
/// route (`Router::layer`): a layer under the router is a boxed service and
/// a boxed future per route per request, and the pixel paid three of each
/// (about 1.5 KB allocated and copied per request) for the same behaviour.
/// The layers see every request either way, unknown paths and methods too,
/// since the router's fallbacks answer those.
#[derive(Clone)]
pub struct App(Stack);

#[derive(Clone)]
enum Stack {
    Plain(BrowserCors<JournalService<Router>>),
    /// Request spans cost a few percent of the pixel's throughput even
    /// when no subscriber wants them, so they are only there when they are
    /// wanted (`RUST_LOG=tower_http=debug`), boxed, outermost.
    Traced(tower::util::BoxCloneSyncService<Request, Response, Infallible>),
}

/// Wraps a fully routed application in the shared layers.
pub(crate) fn with_layers(router: Router, ctx: HttpContext, admin: AdminAccess) -> App {
    let redaction = ctx.redaction.clone();
    let plain = BrowserCorsLayer::new(admin).layer(JournalService {
        inner: router,
        ctx: Arc::new(ctx),
    });
    if !tracing::enabled!(target: "tower_http::trace", tracing::Level::DEBUG) {
        return App(Stack::Plain(plain));
    }
    let traced = TraceLayer::new_for_http()
        .make_span_with(move |request: &Request| {
            // The span's target is the layer's, so the filter that asks for
            // the layer's events (`tower_http=debug`) shows it too. It
            // shows the target as the journal does: credentials in the
            // query never reach the logs.
            tracing::debug_span!(
                target: "tower_http::trace",
                "request",
                method = %request.method(),
                uri = %redaction.target(request.uri()),
                version = ?request.version(),
            )
        })
        .layer(plain)
        .map_response(|response: http::Response<_>| response.map(Body::new));
    App(Stack::Traced(tower::util::BoxCloneSyncService::new(traced)))
}

impl Service<Request> for App {
    type Response = Response;
    type Error = Infallible;
    /// One level of `Either` from the route's future up: a pass-through
    /// layer hands its inner future on as it is, so the future (hundreds
    /// of bytes) is not moved into a new wrapper at every layer.
    type Future = <BrowserCors<JournalService<Router>> as Service<Request>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        match &mut self.0 {
            Stack::Plain(service) => service.poll_ready(cx),
            Stack::Traced(service) => service.poll_ready(cx),
        }
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // Paths are made routable before anything reads them (see `routable`).
        let request = routable(request);
        match &mut self.0 {
            Stack::Plain(service) => service.call(request),
            Stack::Traced(service) => Either::Right(service.call(request)),
        }
    }
}

/// CORS and the admin plane's guard, for the requests browsers make.
///
/// Vendor routes get permissive CORS: browsers call the UI-event routes with
/// an `Authorization` header, which a wildcard does not cover, so request
/// headers are mirrored (`very_permissive`). The admin plane is not a CORS
/// resource: it lists every credential and can reset the server, so a page
/// from another origin may neither read nor drive it (a cross-origin call
/// with an `Origin` header is refused outright, which also stops the
/// "simple" POSTs browsers send without a preflight), unless the origin was
/// allowed with `--admin-allow-origin`. With `--admin-token`, every admin
/// call but health must carry the token.
///
/// Browsers send `Origin` on every cross-origin request and preflight; SDKs,
/// curl and test clients never do, and CORS headers mean nothing to them.
/// Running tower-http's CORS only when `Origin` is present saves the hot
/// routes a header map per request, and holding the layers behind an `Arc`
/// saves cloning their header lists each time axum clones the route's service.
#[derive(Clone)]
struct BrowserCorsLayer(Arc<BrowserPolicy>);

struct BrowserPolicy {
    vendor: CorsLayer,
    /// CORS for the allowed admin origins; `None` when none are allowed.
    admin: Option<CorsLayer>,
    access: AdminAccess,
}

impl BrowserCorsLayer {
    fn new(access: AdminAccess) -> Self {
        let admin = (!access.allowed_origins.is_empty()).then(|| {
            let origins = access
                .allowed_origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect::<Vec<_>>();
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods(AllowMethods::mirror_request())
                .allow_headers(AllowHeaders::mirror_request())
        });
        Self(Arc::new(BrowserPolicy {
            vendor: CorsLayer::very_permissive(),
            admin,
            access,
        }))
    }
}

impl BrowserPolicy {
    /// Why an admin call is refused, if it is.
    fn refuse_admin(&self, request: &Request) -> Option<Response> {
        let headers = request.headers();
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or_default();
            let allowed =
                self.access.allowed_origins.iter().any(|o| o == origin) || same_origin(origin, headers);
            if !allowed {
                return Some(AdminError::response(
                    StatusCode::FORBIDDEN,
                    "forbidden_origin",
                    "The admin API does not answer pages from other origins; \
                     start leadsim with --admin-allow-origin <origin> to allow one",
                ));
            }
        }
        let token = self.access.token.as_deref()?;
        if request.uri().path() == "/__admin/health" || request.method() == http::Method::OPTIONS {
            return None;
        }
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let named = headers.get(ADMIN_TOKEN_HEADER).and_then(|v| v.to_str().ok());
        // Headers first. The query's `token` only opens the HTML page (a
        // browser cannot send a header from its address bar); anywhere else
        // a URL carrying it, such as a callback URL, could change state.
        let presented = match bearer.or(named) {
            Some(header) => Some(Cow::Borrowed(header)),
            None if !is_admin_page(request) => None,
            None => request.uri().query().and_then(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .find(|(name, _)| name == "token")
                    .map(|(_, value)| value)
            }),
        };
        if presented.as_deref().map(str::trim) == Some(token) {
            return None;
        }
        Some(AdminError::response(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "This leadsim requires an admin token: send Authorization: Bearer <token> or X-Leadsim-Admin-Token",
        ))
    }
}

/// A read of the admin HTML page, the one admin route that takes its token
/// from the query.
fn is_admin_page(request: &Request) -> bool {
    matches!(*request.method(), http::Method::GET | http::Method::HEAD)
        && matches!(request.uri().path(), "/__admin" | "/__admin/")
}

/// A browser calling from a page leadsim served itself.
fn same_origin(origin: &str, headers: &http::HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    host.is_some() && authority == host
}

impl<S> Layer<S> for BrowserCorsLayer {
    type Service = BrowserCors<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BrowserCors {
            policy: self.0.clone(),
            inner,
        }
    }
}

#[derive(Clone)]
pub struct BrowserCors<S> {
    policy: Arc<BrowserPolicy>,
    inner: S,
}

/// A call through tower-http's CORS (browsers only) is boxed, into the
/// inner service's own boxed variant: unboxed, its state (the request and a
/// clone of the service) made every request's future larger, and a future
/// of this layer's own would be one more move of every request's.
impl<S, F> Service<Request> for BrowserCors<S>
where
    S: Service<Request, Response = Response, Error = Infallible, Future = Either<F, BoxedResponse>>
        + Clone
        + Send
        + 'static,
    F: Future<Output = Result<Response, Infallible>> + Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let has_origin = request.headers().contains_key(header::ORIGIN);
        // SDKs and curl send no Origin: with no admin token to check, the
        // hot routes skip even finding the path's family.
        if !has_origin && self.policy.access.token.is_none() {
            return self.inner.call(request);
        }
        let admin = Family::ADMIN.owns(request.uri().path());
        if admin && let Some(refusal) = self.policy.refuse_admin(&request) {
            return Either::Right(Box::pin(std::future::ready(Ok(refusal))));
        }
        let cors = match (admin, has_origin) {
            (_, false) => None,
            (false, true) => Some(&self.policy.vendor),
            (true, true) => self.policy.admin.as_ref(),
        };
        match cors {
            Some(cors) => Either::Right(Box::pin(cors.layer(self.inner.clone()).oneshot(request))),
            None => self.inner.call(request),
        }
    }
}

/// Buffers the body (refusing more than [`MAX_BODY_BYTES`]), applies an
/// injected fault if one fires, runs the request, gives framework errors the
/// family's shape and records the exchange.
///
/// A hand-written layer rather than `middleware::from_fn`: bodiless requests
/// (the pixel, every GET) go straight to the route inside a small unboxed
/// future, which keeps the hottest route close to bare axum; only requests
/// with a body pay for an async buffering step.
/// The context sits behind one `Arc`: the server clones the application for
/// every request, and each exchange keeps a handle until it is recorded.
#[derive(Clone)]
pub struct JournalService<S> {
    inner: S,
    ctx: Arc<HttpContext>,
}

type BoxedResponse = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl<S> Service<Request> for JournalService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Journaled<S::Future>, BoxedResponse>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let exchange = Exchange::begin(&self.ctx, request.uri().path());
        if let Some(BadFraming(problem)) = request.extensions().get::<BadFraming>().copied() {
            let record = exchange.capture(&request, &Bytes::new());
            let mut response = exchange.family.framework_error(StatusCode::BAD_REQUEST, problem);
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return Either::Right(Box::pin(std::future::ready(
                Ok(exchange.finish(response, record)),
            )));
        }
        let injection = if self.ctx.faults.any() {
            self.ctx.faults.decide(&Call {
                family: exchange.family,
                method: request.method(),
                path: request.uri().path(),
                query: request.uri().query(),
                headers: request.headers(),
            })
        } else {
            None
        };
        if injection.is_none() && request.body().is_end_stream() {
            let record = exchange.capture(&request, &Bytes::new());
            return Either::Left(Journaled {
                response: self.inner.call(request),
                finish: Some((exchange, record)),
            });
        }
        // The clone is not ready; the service that was polled ready is the
        // one that must take this call (tower's contract).
        let ready = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, ready);
        Either::Right(Box::pin(buffer_then_call(exchange, inner, request, injection)))
    }
}

/// The request with a path the router can hand to handlers as text: runs
/// of percent-escapes that are not UTF-8 become U+FFFD, so every route
/// answers `/leads/%ff` as it answers any other malformed value. Applied
/// before routing (axum matches a route's parameters before its layers
/// run); the journal keeps the path as sent, from `OriginalUri`.
pub(crate) fn routable(mut request: Request) -> Request {
    let Some(path) = lossy_utf8_path(request.uri().path()) else {
        return request;
    };
    let original = axum::extract::OriginalUri(request.uri().clone());
    request.extensions_mut().insert(original);
    let target = match request.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    let mut parts = request.uri().clone().into_parts();
    if let Ok(path_and_query) = target.parse() {
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = http::Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    request
}

/// One request on its way through the journal layer.
struct Exchange {
    ctx: Arc<HttpContext>,
    family: Family,
    started: std::time::Instant,
}

impl Exchange {
    fn begin(ctx: &Arc<HttpContext>, path: &str) -> Self {
        Self {
            ctx: ctx.clone(),
            family: ctx.families.of_path(path),
            started: std::time::Instant::now(),
        }
    }

    /// What the journal keeps of the request; the admin API's own calls are not kept.
    fn capture<B>(&self, request: &http::Request<B>, body: &Bytes) -> Option<RequestRecord> {
        (self.family != Family::ADMIN).then(|| {
            // As sent: `routable` may have rewritten the path for routing.
            let uri = request
                .extensions()
                .get::<axum::extract::OriginalUri>()
                .map_or(request.uri(), |original| &original.0);
            RequestRecord::capture(
                self.ctx.clock.now(),
                request.method(),
                uri,
                request.headers(),
                body,
            )
        })
    }

    /// Gives axum's bodiless framework errors the family's shape.
    fn shape(&self, response: Response) -> Response {
        shape_framework_error(response, self.family)
    }

    /// Shapes a framework error the family's way and records the exchange.
    fn finish(self, response: Response, record: Option<RequestRecord>) -> Response {
        let response = self.shape(response);
        let status = response.status().as_u16();
        if let Some(ServerFailure(reason)) = response.extensions().get::<ServerFailure>() {
            tracing::error!(
                family = self.family.as_str(),
                status,
                "leadsim failed to answer: {reason}"
            );
        }
        self.record_answer(record, status, None, response)
    }

    fn record(&self, record: Option<RequestRecord>, status: u16, fault: Option<InjectedFault>) {
        if let Some(record) = record {
            self.ctx
                .journal
                .record(record, self.family, self.outcome(status, fault), None);
        }
    }

    /// Records the exchange with what was answered, when the journal keeps
    /// responses: the headers now, the body as it is sent.
    fn record_answer(
        &self,
        record: Option<RequestRecord>,
        status: u16,
        fault: Option<InjectedFault>,
        response: Response,
    ) -> Response {
        let Some(record) = record else { return response };
        let journal = &self.ctx.journal;
        if !journal.keeps_responses() {
            journal.record(record, self.family, self.outcome(status, fault), None);
            return response;
        }
        let kept = ResponseRecord::capture(response.headers());
        let Some(id) = journal.record(record, self.family, self.outcome(status, fault), Some(kept)) else {
            return response;
        };
        let (parts, body) = response.into_parts();
        Response::from_parts(parts, Body::new(TeeBody::new(body, journal.clone(), id)))
    }

    fn outcome(&self, status: u16, fault: Option<InjectedFault>) -> Outcome {
        Outcome {
            status,
            latency_ms: self.started.elapsed().as_secs_f64() * 1000.0,
            fault: fault.map(Box::new),
        }
    }
}

pin_project! {
    /// A response body that keeps its first [`MAX_RECORDED_BODY`] bytes for
    /// the journal as they are sent, and hands them over when it ends (or
    /// when it is dropped, the client gone).
    struct TeeBody {
        #[pin]
        inner: Body,
        capture: Capture,
    }

    impl PinnedDrop for TeeBody {
        fn drop(this: Pin<&mut Self>) {
            // Dropped before its end: the client went away.
            this.project().capture.hand_over(false);
        }
    }
}

/// What a [`TeeBody`] has kept so far, and where it goes.
struct Capture {
    kept: Vec<u8>,
    sent: usize,
    /// Taken when the bytes are handed over: once only.
    journal: Option<Journal>,
    id: u64,
}

impl Capture {
    fn keep(&mut self, data: &[u8]) {
        let room = MAX_RECORDED_BODY.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&data[..data.len().min(room)]);
        self.sent += data.len();
    }

    fn hand_over(&mut self, complete: bool) {
        if let Some(journal) = self.journal.take() {
            journal.finish_response(
                self.id,
                Bytes::from(std::mem::take(&mut self.kept)),
                self.sent,
                complete,
            );
        }
    }
}

impl TeeBody {
    fn new(inner: Body, journal: Journal, id: u64) -> Self {
        Self {
            inner,
            capture: Capture {
                kept: Vec::new(),
                sent: 0,
                journal: Some(journal),
                id,
            },
        }
    }
}

impl HttpBody for TeeBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let mut this = self.project();
        let frame = std::task::ready!(this.inner.as_mut().poll_frame(cx));
        match &frame {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    this.capture.keep(data);
                }
                // hyper stops polling a body that says it has ended.
                if this.inner.is_end_stream() {
                    this.capture.hand_over(true);
                }
            }
            Some(Err(_)) => {}
            None => this.capture.hand_over(true),
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

pin_project! {
    /// The route's own future, finished by the journal when it completes.
    pub struct Journaled<F> {
        #[pin]
        response: F,
        finish: Option<(Exchange, Option<RequestRecord>)>,
    }
}

impl<F> Future for Journaled<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = std::task::ready!(this.response.poll(cx))?;
        Poll::Ready(Ok(match this.finish.take() {
            Some((exchange, record)) => exchange.finish(response, record),
            None => response,
        }))
    }
}

async fn buffer_then_call<S>(
    exchange: Exchange,
    mut inner: S,
    request: Request,
    injection: Option<Injection>,
) -> Result<Response, Infallible>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let declared_len = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let (parts, mut body) = request.into_parts();
    // A client that stalls its body must not hold the connection forever.
    // (Bounded by `IDLE_TIMEOUT_SECS`, so the sum cannot overflow.)
    let deadline = tokio::time::Instant::now() + exchange.ctx.body_timeout;
    let body = match declared_len {
        Some(len) if len > MAX_BODY_BYTES as u64 => {
            // A client that waits for `100 Continue` has sent nothing yet,
            // and will send nothing once it has the answer.
            let waits = parts.headers.contains_key(header::EXPECT);
            let drained = !waits && len <= DRAINED_BODY_BYTES && drain(body, deadline).await;
            Err((StatusCode::PAYLOAD_TOO_LARGE, !drained))
        }
        _ => match tokio::time::timeout_at(deadline, read_body(&mut body)).await {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(StatusCode::PAYLOAD_TOO_LARGE)) => {
                let drained = drain(body, deadline).await;
                Err((StatusCode::PAYLOAD_TOO_LARGE, !drained))
            }
            Ok(Err(status)) => Err((status, false)),
            // The rest of the body may still come.
            Err(_) => Err((StatusCode::REQUEST_TIMEOUT, true)),
        },
    };
    let bytes = match body {
        Ok(bytes) => bytes,
        Err((status, unread)) => {
            let record = exchange.capture(&http::Request::from_parts(parts, ()), &Bytes::new());
            let message = body_error_message(status, exchange.ctx.body_timeout);
            let mut response = exchange.family.framework_error(status, &message);
            if unread {
                // Bytes of the request are still on their way: the
                // connection cannot carry another one.
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            return Ok(exchange.finish(response, record));
        }
    };
    let request = Request::from_parts(parts, Body::from(bytes.clone()));
    let record = exchange.capture(&request, &bytes);
    let Some(injection) = injection else {
        let response = inner.call(request).await?;
        return Ok(exchange.finish(response, record));
    };
    let fault = InjectedFault {
        id: injection.fault_id,
        effect: injection.action.name(),
    };
    let response = match injection.action {
        Action::Respond {
            status,
            body,
            headers,
        } => injected_response(&exchange, status, body, headers),
        Action::Delay(delay) => {
            tokio::time::sleep(delay).await;
            exchange.shape(inner.call(request).await?)
        }
        Action::Drop => {
            exchange.record(record, 0, Some(fault));
            return Ok(dropped_connection());
        }
        Action::Truncate { bytes } => truncated(exchange.shape(inner.call(request).await?), bytes).await,
    };
    exchange.record(record, response.status().as_u16(), Some(fault));
    Ok(response)
}

/// An injected status: the given body (a JSON string is sent as text), or
/// the family's own error for that status; given headers go on top.
fn injected_response(
    exchange: &Exchange,
    status: StatusCode,
    body: Option<serde_json::Value>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
) -> Response {
    let mut response = match body {
        None => {
            let reason = status.canonical_reason().unwrap_or("Injected fault");
            exchange.family.framework_error(status, reason)
        }
        Some(serde_json::Value::String(text)) => {
            let mut response = Response::new(Body::from(text));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            response
        }
        Some(json) => {
            let mut response = Response::new(Body::from(json.to_string()));
            response.headers_mut().insert(header::CONTENT_TYPE, JSON);
            response
        }
    };
    *response.status_mut() = status;
    for (name, value) in headers {
        response.headers_mut().insert(name, value);
    }
    response
}

/// A response hyper can never send: its body fails before the head is
/// flushed, so the server closes the connection and the client reads nothing.
fn dropped_connection() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, _>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "connection dropped by an injected fault",
        ))
    });
    Response::new(Body::from_stream(failing))
}

/// The response's head with its full `Content-Length`, then only the first
/// `bytes` bytes of its body (default half), then the connection closes.
async fn truncated(response: Response, bytes: Option<usize>) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(full) = axum::body::to_bytes(body, usize::MAX).await else {
        return dropped_connection();
    };
    if full.is_empty() {
        // Nothing to cut: the answer goes out whole.
        return Response::from_parts(parts, Body::from(full));
    }
    let kept = bytes.unwrap_or(full.len() / 2).min(full.len() - 1);
    parts.headers.remove(header::TRANSFER_ENCODING);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(full.len()));
    let prefix = full.slice(..kept);
    let frames = futures_util::stream::unfold(0u8, move |step| {
        let prefix = prefix.clone();
        async move {
            match step {
                0 => Some((Ok(prefix), 1)),
                1 => {
                    // Let the server flush the head and the prefix first:
                    // hyper drops unflushed output when a body fails.
                    tokio::task::yield_now().await;
                    let error = std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "body truncated by an injected fault",
                    );
                    Some((Err(error), 2))
                }
                _ => None,
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(frames))
}

/// How much of a body too large to take leadsim still reads, and drops,
/// before it answers 413. A client that sends its whole body before it
/// reads (Python's `http.client`, many blocking SDK clients) would
/// otherwise find the connection closed under bytes it was still sending:
/// the kernel resets it, and the client sees a broken pipe, not the 413.
const DRAINED_BODY_BYTES: u64 = 16 * 1024 * 1024;

/// The body whole, at most [`MAX_BODY_BYTES`] of it: over that, 413, and
/// the rest is left in `body` for [`drain`]. (A body of one frame, as most
/// are, is taken as it is.)
async fn read_body(body: &mut Body) -> Result<Bytes, StatusCode> {
    let mut first = Bytes::new();
    let mut joined = Vec::new();
    let mut read = 0;
    while let Some(frame) = body.frame().await {
        // A body that fails to arrive whole (a broken chunk, a reset).
        let frame = frame.map_err(|_| StatusCode::BAD_REQUEST)?;
        // Trailers carry no body.
        let Ok(data) = frame.into_data() else { continue };
        if data.is_empty() {
            continue;
        }
        read += data.len();
        if read > MAX_BODY_BYTES {
            return Err(StatusCode::PAYLOAD_TOO_LARGE);
        }
        if first.is_empty() {
            first = data;
        } else {
            if joined.is_empty() {
                joined.extend_from_slice(&first);
            }
            joined.extend_from_slice(&data);
        }
    }
    Ok(if joined.is_empty() {
        first
    } else {
        Bytes::from(joined)
    })
}

/// Reads and drops the rest of a refused body, up to
/// [`DRAINED_BODY_BYTES`] and until `deadline`; whether it all arrived.
async fn drain(mut body: Body, deadline: tokio::time::Instant) -> bool {
    let all_read = async {
        let mut read = 0u64;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return false };
            read += frame.data_ref().map_or(0, |data| data.len() as u64);
            if read > DRAINED_BODY_BYTES {
                return false;
            }
        }
        true
    };
    tokio::time::timeout_at(deadline, all_read).await.unwrap_or(false)
}

fn body_error_message(status: StatusCode, timeout: std::time::Duration) -> String {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => format!("Request body exceeds the limit of {MAX_BODY_BYTES} bytes"),
        StatusCode::REQUEST_TIMEOUT => {
            format!("Request body did not arrive within {} seconds", timeout.as_secs())
        }
        _ => "Request body could not be read".to_owned(),
    }
}

/// axum answers a wrong method with an empty 405; give it the family's body
/// while keeping the `Allow` header.
fn shape_framework_error(response: Response, family: Family) -> Response {
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
    let mut shaped = family.framework_error(StatusCode::METHOD_NOT_ALLOWED, &message);
    if let Some(allow) = allow {
        shaped.headers_mut().insert(header::ALLOW, allow);
    }
    shaped
}

/// A request the server must refuse with 400 for its framing (marked by
/// the connection's service, which sees what hyper lets through).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BadFraming(pub(crate) &'static str);

/// `Content-Type: application/json` for hand-built responses.
pub(crate) const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A JSON response whose body was written already (by hand, or by serde
/// into a buffer of the caller's).
pub(crate) fn json_written(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, JSON);
    response
}

/// A JSON response whose body is `parts` in order, sent without copying
/// them into one buffer (a cached page of megabytes goes out as it is
/// cached), with an exact `Content-Length`.
pub(crate) fn json_parts(status: StatusCode, parts: Vec<Bytes>) -> Response {
    json_parts_held(status, parts, None)
}

/// [`json_parts`] holding room in the response budget until the body is
/// sent or dropped.
pub(crate) fn json_parts_held(status: StatusCode, parts: Vec<Bytes>, held: Option<Held>) -> Response {
    let mut response = Response::new(Body::new(Parts::new(parts, held)));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, JSON);
    response
}

/// The body of [`json_parts`].
struct Parts {
    chunks: std::collections::VecDeque<Bytes>,
    remaining: u64,
    /// Released when the body is dropped: sent, or its connection closed.
    _held: Option<Held>,
}

impl Parts {
    fn new(chunks: Vec<Bytes>, held: Option<Held>) -> Self {
        let remaining = chunks.iter().map(|c| c.len() as u64).sum();
        Self {
            chunks: chunks.into_iter().filter(|c| !c.is_empty()).collect(),
            remaining,
            _held: held,
        }
    }
}

impl HttpBody for Parts {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        let frame = this.chunks.pop_front().map(|chunk| {
            this.remaining -= chunk.len() as u64;
            Ok(http_body::Frame::data(chunk))
        });
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use axum::response::IntoResponse;
    use tower::ServiceExt;

    use super::*;
    use crate::shared::redaction::Redaction;
    use crate::shared::seed::Seed;

    /// Log lines written while a test runs.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().map_or(Ok(0), |mut held| {
                held.extend_from_slice(bytes);
                Ok(bytes.len())
            })
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
        type Writer = Captured;

        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    #[tokio::test]
    async fn leadsims_own_failures_are_logged_and_simulated_errors_are_not() {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let families = crate::FAMILIES;
        let redaction = Arc::new(Redaction::of(families));
        let ctx = HttpContext {
            clock: Clock::starting_at(None),
            journal: Journal::new(10, 1 << 20, redaction.clone()),
            faults: Faults::new(Seed::new(1), families, redaction.clone()),
            families,
            redaction,
            body_timeout: std::time::Duration::from_secs(5),
        };
        let failing = || async {
            server_failure(
                StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                "window generation failed: boom",
            )
        };
        let simulated = || async { StatusCode::INTERNAL_SERVER_ERROR.into_response() };
        let router = Router::new()
            .route("/supplyAnalytics/leadEvents", axum::routing::get(failing))
            .route("/Leads/x", axum::routing::get(simulated));
        let app = with_layers(router, ctx, AdminAccess::default());
        for path in ["/supplyAnalytics/leadEvents", "/Leads/x"] {
            let request = Request::builder()
                .uri(path)
                .body(Body::empty())
                .unwrap_or_default();
            let response = app.clone().oneshot(request).await;
            assert_eq!(
                response.map(|r| r.status()).ok(),
                Some(StatusCode::INTERNAL_SERVER_ERROR)
            );
        }
        let logs = captured
            .0
            .lock()
            .map(|held| String::from_utf8_lossy(&held).into_owned())
            .unwrap_or_default();
        let errors: Vec<&str> = logs.lines().filter(|l| l.contains("ERROR")).collect();
        assert_eq!(errors.len(), 1, "{logs}");
        assert!(
            errors[0].contains("leadsim failed to answer: window generation failed: boom"),
            "{logs}"
        );
        assert!(errors[0].contains("family=\"engine\""), "{logs}");
    }
}
