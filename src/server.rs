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
//!   closes every connection still open;
//! - a connection closed while the client is still sending (a head or body
//!   refused for its size) is read out for a moment first, so the client
//!   gets the answer rather than a reset.

use std::future::Future;
use std::io;
use std::ops::RangeInclusive;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_io_timeout::TimeoutStream;
use tower::ServiceExt;

use crate::config::{self, Config};
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

    /// Each limit moved into the range its flag accepts.
    fn bounded(self) -> Self {
        let seconds = |limit: Duration, range: &RangeInclusive<u64>| {
            limit.clamp(
                Duration::from_secs(*range.start()),
                Duration::from_secs(*range.end()),
            )
        };
        let head_bytes = u64::try_from(self.max_header_bytes).unwrap_or(u64::MAX);
        Self {
            header_read_timeout: seconds(self.header_read_timeout, &config::HEADER_READ_TIMEOUT_SECS),
            idle_timeout: seconds(self.idle_timeout, &config::IDLE_TIMEOUT_SECS),
            shutdown_grace: seconds(self.shutdown_grace, &config::SHUTDOWN_GRACE_SECS),
            max_header_bytes: usize::try_from(config::within(head_bytes, &config::MAX_HEADER_BYTES))
                .unwrap_or(usize::MAX),
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

/// hyper's header-read deadlines, on one tokio timer entry per connection.
///
/// hyper asks its timer for a new sleep each time a connection starts
/// waiting for a request head, and drops it once the head is in. With
/// `TokioTimer`, that put an entry into tokio's timer wheel and took it out
/// again, each under the wheel's lock, on every request (about 2.4% of the
/// pixel's CPU). Here a connection's sleeps share one entry, armed no later
/// than the deadline of the sleep that polls it; when it fires before a
/// later deadline, it is armed for that one. A connection's deadlines only
/// move forward, so a keep-alive connection arms its entry about once a
/// timeout period, and at worst wakes once more than it needs to.
#[derive(Clone, Default)]
struct HeadTimer(Arc<Mutex<Option<Pin<Box<tokio::time::Sleep>>>>>);

impl hyper::rt::Timer for HeadTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep_until(Instant::now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HeadSleep {
            deadline: deadline.into(),
            entry: self.0.clone(),
        })
    }
}

/// One deadline of a [`HeadTimer`]'s connection.
struct HeadSleep {
    deadline: tokio::time::Instant,
    entry: Arc<Mutex<Option<Pin<Box<tokio::time::Sleep>>>>>,
}

impl Future for HeadSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = self.deadline;
        let mut entry = self.entry.lock().unwrap_or_else(PoisonError::into_inner);
        let sleep = entry.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.deadline() > deadline {
            sleep.as_mut().reset(deadline);
        }
        loop {
            match sleep.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(()) if sleep.deadline() >= deadline => return Poll::Ready(()),
                // It fired for an earlier wait on this connection.
                Poll::Ready(()) => sleep.as_mut().reset(deadline),
            }
        }
    }
}

impl hyper::rt::Sleep for HeadSleep {}

/// A connection's socket that is not simply closed under a client still
/// sending. Closing a socket with received bytes unread, or with bytes still
/// on their way, makes the kernel reset the connection, and a client that
/// writes its whole request before it reads (Python's `http.client`,
/// blocking SDK clients) then loses the answer to that reset: hyper's 431 to
/// a head over `max_header_bytes`, or a 413 to a body larger than the
/// journal layer drains. Whether bytes are waiting at the moment of the
/// close says nothing about the ones still in flight, so every socket the
/// client has not ended itself is handed to [`linger`] when dropped.
struct LingeringSocket {
    stream: Option<TcpStream>,
    /// The client ended its side (a read saw end of stream or a reset):
    /// nothing more can arrive, so the socket closes at once.
    client_ended: bool,
}

impl LingeringSocket {
    fn new(stream: TcpStream) -> Self {
        Self {
            stream: Some(stream),
            client_ended: false,
        }
    }

    /// The stream, there until the socket is dropped.
    fn with<T>(
        self: Pin<&mut Self>,
        io: impl FnOnce(Pin<&mut TcpStream>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match &mut self.get_mut().stream {
            Some(stream) => io(Pin::new(stream)),
            None => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }
}

impl AsyncRead for LingeringSocket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let read = self.as_mut().with(|stream| stream.poll_read(cx, buf));
        let ended = match &read {
            Poll::Ready(Ok(())) => buf.filled().len() == before && buf.remaining() > 0,
            Poll::Ready(Err(_)) => true,
            Poll::Pending => false,
        };
        if ended {
            self.client_ended = true;
        }
        read
    }
}

impl AsyncWrite for LingeringSocket {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.with(|stream| stream.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.with(|stream| stream.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.as_ref().is_some_and(AsyncWrite::is_write_vectored)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.with(|stream| stream.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.with(|stream| stream.poll_shutdown(cx))
    }
}

impl Drop for LingeringSocket {
    fn drop(&mut self) {
        let Some(stream) = self.stream.take() else { return };
        if !self.client_ended
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(linger(stream));
        }
    }
}

/// How long, and how much, [`linger`] reads from a client still sending.
const LINGER_TIME: Duration = Duration::from_secs(5);
const LINGER_BYTES: usize = 64 * 1024 * 1024;

/// Ends the connection's writing (the answer is sent), then reads and drops
/// what the client still sends, up to [`LINGER_BYTES`] or [`LINGER_TIME`],
/// so that the close that follows finds nothing unread. A client that has
/// finished ends its side on seeing ours end, and this returns at once.
async fn linger(mut stream: TcpStream) {
    let _ = stream.shutdown().await;
    let mut sink = vec![0; 16 * 1024];
    let read_out = async {
        let mut read = 0;
        while read < LINGER_BYTES {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(n) => read += n,
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_TIME, read_out).await;
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
    let limits = limits.bounded();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.header_read_timeout(limits.header_read_timeout)
        // A larger head is refused with 431; the read buffer is bounded by
        // the same size, so a head that has not ended yet cannot grow past it.
        .max_header_size(limits.max_header_bytes)
        .max_buf_size(limits.max_header_bytes);
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
        let mut stream = TimeoutStream::new(LingeringSocket::new(stream));
        stream.set_write_timeout(Some(limits.idle_timeout));
        let io = TokioIo::new(Box::pin(stream));
        let mut http = http.clone();
        http.timer(HeadTimer::default());
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

#[cfg(test)]
mod tests {
    use hyper::rt::Timer;
    use tokio::time::{Instant as TokioInstant, advance};

    use super::*;

    fn ready(sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>) -> bool {
        sleep
            .as_mut()
            .poll(&mut Context::from_waker(std::task::Waker::noop()))
            .is_ready()
    }

    fn armed_for(timer: &HeadTimer) -> Option<TokioInstant> {
        let entry = timer.0.lock().unwrap_or_else(PoisonError::into_inner);
        entry.as_ref().map(|sleep| sleep.deadline())
    }

    #[tokio::test(start_paused = true)]
    async fn a_connections_deadlines_share_one_entry_and_each_keeps_its_time() {
        let timer = HeadTimer::default();
        let start = TokioInstant::now();
        let at = |secs| (start + Duration::from_secs(secs)).into_std();

        // A head that arrives in time: its sleep is dropped unfired.
        let mut first = timer.sleep_until(at(10));
        assert!(!ready(&mut first));
        advance(Duration::from_secs(4)).await;
        drop(first);

        // The next wait does not arm the entry again...
        let mut second = timer.sleep_until(at(14));
        assert!(!ready(&mut second));
        assert_eq!(armed_for(&timer), Some(start + Duration::from_secs(10)));
        // ...and is not cut short when the earlier deadline passes.
        advance(Duration::from_secs(6)).await;
        assert!(!ready(&mut second));
        assert_eq!(armed_for(&timer), Some(start + Duration::from_secs(14)));
        advance(Duration::from_millis(3_999)).await;
        assert!(!ready(&mut second));
        advance(Duration::from_millis(1)).await;
        assert!(ready(&mut second));
    }

    #[tokio::test(start_paused = true)]
    async fn an_earlier_deadline_rearms_the_entry_and_a_past_one_is_due_at_once() {
        let timer = HeadTimer::default();
        let start = TokioInstant::now();
        let mut late = timer.sleep_until((start + Duration::from_secs(10)).into_std());
        assert!(!ready(&mut late));
        let mut early = timer.sleep_until((start + Duration::from_secs(5)).into_std());
        assert!(!ready(&mut early));
        assert_eq!(armed_for(&timer), Some(start + Duration::from_secs(5)));
        advance(Duration::from_secs(5)).await;
        assert!(ready(&mut early));

        let mut past = timer.sleep_until(start.into_std());
        assert!(ready(&mut past));
        // The later deadline still holds after both.
        assert!(!ready(&mut late));
        advance(Duration::from_secs(5)).await;
        assert!(ready(&mut late));
    }
}
