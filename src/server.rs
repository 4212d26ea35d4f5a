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
//!   idle and half-read connections at once, lets requests in flight finish, and after
//!   `drain_timeout` closes whatever is still open.
//! - **One `Host`.** A request with several `Host` headers is refused with 400 (RFC 9112
//!   §3.2), before any route sees it.
//!
//! It is axum's router on hyper's HTTP/1 connection, as `axum::serve` does it, plus these
//! limits, which `axum::serve` does not offer.

use std::{convert::Infallible, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    extract::Request,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use tokio::{
    net::TcpListener,
    sync::{Semaphore, watch},
};
use tower::{Service, ServiceExt};

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

/// Serves `router` on `listener` until `shutdown` completes, then drains (see the module
/// documentation). Returns once every connection is closed.
pub async fn serve_connections(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let (hard_stop, hard_stop_signal) = watch::channel(false);
    let mut make_service = router.into_make_service_with_connect_info::<SocketAddr>();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
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
        let connection = http.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(OneHost(service)),
        );
        let connection = graceful.watch(connection);
        let mut stop = hard_stop_signal.clone();
        tokio::spawn(async move {
            let _slot = slot;
            tokio::select! {
                result = connection => {
                    if let Err(error) = result {
                        tracing::debug!(%error, "connection closed with an error");
                    }
                }
                _ = stop.wait_for(|stop| *stop) => {}
            }
        });
    }
    drop(listener);
    let open = graceful.count();
    if tokio::time::timeout(limits.drain_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            connections.open = open,
            drain_timeout_s = limits.drain_timeout.as_secs(),
            "requests still in flight at the shutdown deadline; closing their connections"
        );
        hard_stop.send(true).ok();
    }
    // Every connection task holds a slot until it ends.
    let all = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    Ok(())
}

/// Wraps the per-connection service: a request with more than one `Host` header is
/// answered 400 before routing (RFC 9112 §3.2).
#[derive(Clone)]
struct OneHost<S>(S);

impl<S> Service<Request<Incoming>> for OneHost<S>
where
    S: Service<Request<Incoming>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future =
        futures_util::future::Either<S::Future, std::future::Ready<Result<Response, Infallible>>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        if request
            .headers()
            .get_all(header::HOST)
            .iter()
            .nth(1)
            .is_some()
        {
            return futures_util::future::Either::Right(std::future::ready(Ok(duplicate_host())));
        }
        futures_util::future::Either::Left(self.0.call(request))
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
