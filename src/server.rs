//! Serving connections: HTTP/1.1 with every wait bounded.
//!
//! `axum::serve` has no header read timeout, no idle timeout and a graceful
//! shutdown that waits forever for a client that never finishes its request,
//! so leadsim drives hyper itself:
//! - a request head must arrive within `header_read_timeout` of the
//!   connection starting to wait for it (this also closes silent keep-alive
//!   connections), and may be at most `max_header_bytes` long (else 431);
//! - a request body that takes longer than `idle_timeout` to arrive gets
//!   408 (in the journal layer), and a connection on which a write waits
//!   that long (a client that stops reading) is closed;
//! - a stop lets requests in flight finish for `shutdown_grace`, then
//!   closes every connection still open.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_io_timeout::TimeoutStream;
use tower::ServiceExt;

use crate::config::Config;
use crate::shared::http::{App, BadFraming};

/// The bounds a connection is served under.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub shutdown_grace: Duration,
    pub max_header_bytes: usize,
}

impl Limits {
    pub fn from_config(config: &Config) -> Self {
        Self {
            header_read_timeout: Duration::from_secs(config.header_read_timeout),
            idle_timeout: Duration::from_secs(config.idle_timeout),
            shutdown_grace: Duration::from_secs(config.shutdown_grace),
            max_header_bytes: usize::try_from(config.max_header_bytes).unwrap_or(usize::MAX),
        }
    }
}

/// What is wrong with a request's framing that hyper lets through: RFC 9112
/// section 3.2 says a server answers 400 to an HTTP/1.1 request without a
/// `Host` header, and to any request with more than one. The app answers
/// it (in the path's family's shape, journaled), so it is only marked here.
fn framing_problem<B>(request: &Request<B>) -> Option<BadFraming> {
    let hosts = request.headers().get_all(http::header::HOST).iter().count();
    match hosts {
        0 if request.version() == http::Version::HTTP_11 => Some(BadFraming("Request has no Host header")),
        0 | 1 => None,
        _ => Some(BadFraming("Request has more than one Host header")),
    }
}

/// How a stop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Every connection finished within the grace period.
    Drained,
    /// The grace period ran out with connections still open; they close
    /// as the runtime stops.
    GraceExpired,
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains.
pub async fn serve(
    listener: TcpListener,
    app: App,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> Stopped {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        // A larger head is refused with 431; the read buffer is bounded by
        // the same size, so a head that has not ended yet cannot grow past it.
        .max_header_size(limits.max_header_bytes)
        .max_buf_size(limits.max_header_bytes.max(8192));
    let graceful = GracefulShutdown::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: pause rather than spin.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Responses are small and latency matters more than packet count.
        let _ = stream.set_nodelay(true);
        // Reads need no timer of their own: hyper times the head, and the
        // journal layer times the body; one less timer per request.
        let mut stream = TimeoutStream::new(stream);
        stream.set_write_timeout(Some(limits.idle_timeout));
        let io = TokioIo::new(Box::pin(stream));
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            let app = app.clone();
            if let Some(problem) = framing_problem(&request) {
                request.extensions_mut().insert(problem);
            }
            async move { app.oneshot(request.map(axum::body::Body::new)).await }
        });
        let connection = graceful.watch(http.serve_connection(io, service));
        tokio::spawn(async move {
            // Timeouts and resets end connections; they are the client's business.
            if let Err(e) = connection.await {
                tracing::debug!("connection closed: {e}");
            }
        });
    }
    drop(listener);
    match tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await {
        Ok(()) => Stopped::Drained,
        Err(_) => Stopped::GraceExpired,
    }
}
