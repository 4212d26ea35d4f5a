//! Accepting connections and speaking HTTP/1.1 on them, with limits that keep slow or
//! numerous clients from holding the server:
//!
//! - **A connection limit** (`OPENPXL_MAX_CONNECTIONS`). Beyond it the server stops
//!   accepting; new connections wait in the kernel's queue until one closes. File
//!   descriptors are never exhausted by clients, so the probes and the database always have
//!   theirs.
//! - **A header-read timeout** (`OPENPXL_HEADER_READ_TIMEOUT`). A connection must deliver a
//!   complete request head within this time of the server starting to wait for it —
//!   whether it is new, half-way through a head, or idle between keep-alive requests — or
//!   it is closed. So it is also the idle keep-alive timeout. (Request bodies and handlers
//!   are bounded by the request timeout.)
//! - **Graceful shutdown with a deadline.** On shutdown the server stops accepting, closes
//!   every connection without a request in flight at once (idle, half-read, never used),
//!   lets requests in flight finish (their connections close after the response), and
//!   after `drain_timeout` closes whatever is still open.
//! - **One `Host`.** A request with several `Host` headers is refused with 400 (RFC 9112
//!   §3.2), before any route sees it.
//!
//! It is axum's router on hyper's HTTP/1 connection, as `axum::serve` does it, plus these
//! limits, which `axum::serve` does not offer, plus a [`Shortcut`]: requests one handler
//! answers before the router sees them (visits to short links: routing, the peer-address
//! extension and the path parameters cost a sixth of a redirect's CPU).

mod header_timer;

use std::{
    convert::Infallible,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    Router,
    body::Body,
    extract::Request,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use futures_util::future::{BoxFuture, Either};
use hyper::body::Incoming;
use hyper_util::{rt::TokioIo, server::graceful::GracefulShutdown, service::TowerToHyperService};
use tokio::{
    net::TcpListener,
    sync::{Semaphore, watch},
};
use tower::{Service, ServiceExt};

use header_timer::ConnectionTimer;

/// How the server treats connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Most connections open at once.
    pub max_connections: usize,
    /// Longest wait for a complete request head (idle keep-alive included).
    pub header_read_timeout: Duration,
    /// Longest a graceful shutdown waits for requests in flight.
    pub drain_timeout: Duration,
}

/// Requests answered before the router: the shortcut takes the ones it claims (with the
/// connection's peer address) and gives every other back to be routed. What it claims it
/// must answer exactly as the router would.
pub trait Shortcut: Clone + Send + Sync + 'static {
    /// The answer to `request`, or the request back for the router.
    #[allow(clippy::result_large_err)] // the request goes back as it came, not boxed
    fn take(
        &self,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Result<BoxFuture<'static, Result<Response, Infallible>>, Request<Incoming>>;
}

/// Serves `shortcut`, then `router`, on `listener` until `shutdown` completes, then
/// drains (see the module documentation). Returns once every connection is closed.
pub async fn serve_connections(
    listener: TcpListener,
    router: Router,
    shortcut: impl Shortcut,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let (phase, phase_signal) = watch::channel(Phase::Serving);
    let mut make_service = router.into_make_service_with_connect_info::<SocketAddr>();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        stream.set_nodelay(true).ok();
        let Ok(service) = make_service.call(peer).await;
        let service = service.map_request(|request: Request<Incoming>| request.map(Body::new));
        let in_flight = Arc::new(AtomicUsize::new(0));
        // Each connection has a timer of its own for its header-read timeouts, re-armed
        // lazily instead of once per request (`header_timer`).
        let connection = http.clone().timer(ConnectionTimer::new()).serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(Gate {
                inner: service,
                shortcut: shortcut.clone(),
                peer,
                in_flight: in_flight.clone(),
            }),
        );
        let connection = graceful.watch(connection);
        let phase = phase_signal.clone();
        tokio::spawn(async move {
            let _slot = slot;
            run_connection(connection, in_flight, phase).await;
        });
    }
    drop(listener);
    let open = graceful.count();
    phase.send(Phase::Draining).ok();
    if tokio::time::timeout(limits.drain_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            connections.open = open,
            drain_timeout_s = limits.drain_timeout.as_secs(),
            "requests still in flight at the shutdown deadline; closing their connections"
        );
        phase.send(Phase::Closing).ok();
    }
    // Every connection task holds a slot until it ends.
    let all = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    Ok(())
}

/// Where the server is in its life; every connection task watches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Serving,
    /// Shutting down: connections without a request in flight close now.
    Draining,
    /// The drain deadline passed: every connection closes now.
    Closing,
}

/// How long a connection with no request in flight is given, once draining starts, to
/// finish writing a response whose handler just returned.
const DRAIN_GRACE: Duration = Duration::from_millis(50);

/// Drives one connection until it ends, or until the server's shutdown closes it.
async fn run_connection<C>(
    connection: C,
    in_flight: Arc<AtomicUsize>,
    mut phase: watch::Receiver<Phase>,
) where
    C: Future<Output = Result<(), hyper::Error>>,
{
    tokio::pin!(connection);
    loop {
        tokio::select! {
            result = &mut connection => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection closed with an error");
                }
                return;
            }
            changed = phase.changed() => {
                let current = *phase.borrow_and_update();
                if changed.is_err() || current == Phase::Closing {
                    return;
                }
                if current == Phase::Draining {
                    tokio::select! {
                        _ = &mut connection => return,
                        () = tokio::time::sleep(DRAIN_GRACE) => {}
                    }
                    if in_flight.load(Ordering::Acquire) == 0 {
                        return; // idle, half-read or never used: nothing to finish
                    }
                }
            }
        }
    }
}

/// The per-connection service around the router: counts the requests in flight on the
/// connection (for the drain), answers a request with more than one `Host` header with
/// 400 before routing (RFC 9112 §3.2), and hands the shortcut what it claims.
#[derive(Clone)]
struct Gate<S, C> {
    inner: S,
    shortcut: C,
    peer: SocketAddr,
    in_flight: Arc<AtomicUsize>,
}

impl<S, C> Service<Request<Incoming>> for Gate<S, C>
where
    S: Service<Request<Incoming>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    C: Shortcut,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<
        Counted<Either<BoxFuture<'static, Result<Response, Infallible>>, S::Future>>,
        std::future::Ready<Result<Response, Infallible>>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        if request
            .headers()
            .get_all(header::HOST)
            .iter()
            .nth(1)
            .is_some()
        {
            return Either::Right(std::future::ready(Ok(duplicate_host())));
        }
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        let inner = match self.shortcut.take(request, self.peer) {
            Ok(answer) => Either::Left(answer),
            Err(request) => Either::Right(self.inner.call(request)),
        };
        Either::Left(Counted {
            inner,
            in_flight: InFlight(self.in_flight.clone()),
        })
    }
}

/// One request in flight; counted down when its handler is done (or dropped).
struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

pin_project_lite::pin_project! {
    /// A handler's future that holds its [`InFlight`] until it completes.
    struct Counted<F> {
        #[pin]
        inner: F,
        in_flight: InFlight,
    }
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().inner.poll(cx)
    }
}

fn duplicate_host() -> Response {
    (
        StatusCode::BAD_REQUEST,
        "a request must carry exactly one Host header (RFC 9112, section 3.2); send only one\n",
    )
        .into_response()
}

/// A failed `accept`: a connection that went away before it was accepted is nothing; any
/// other error (out of file descriptors) is logged and accepting pauses briefly.
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "cannot accept connections; pausing for 100 ms");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
