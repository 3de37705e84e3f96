//! The accept loop: every TCP connection gets a slot (or a clean `503` when none is free), an
//! optional TLS handshake and an HTTP/1.1 connection whose request head must arrive within the
//! handshake timeout. The slot travels with the socket, through a WebSocket upgrade, and is freed
//! when the socket closes, so the limit counts viewers too.
//!
//! **The moderator is never locked out by a full house.** Past `max_connections`, a connection
//! may still take one of [`RESERVED`] reserved slots. It is served by the `reserved` router, which
//! answers only requests whose *headers* carry the valid token (anything else gets the same `503`
//! as a full server), so viewers, strangers and guessers cannot keep a reserved slot for longer
//! than the handshake timeout allows them to take to send a request head, and a body, if any, is
//! read only after the token has been checked and under the same deadline (see `command`). Past
//! the reserve, up to [`MAX_REFUSALS_IN_FLIGHT`] connections are answered `503`; beyond that they
//! are dropped unanswered.
//!
//! Every request carries the peer's address as `ConnectInfo<SocketAddr>`, for the failed-token
//! throttle, and the connection's [`Abandon`] switch: a WebSocket loop that gives up on a viewer
//! that stopped reading flips it, and the socket is then reset when it closes (SO_LINGER 0), so
//! the kernel frees its queue of unsent states at once instead of trickling megabytes of stale
//! states into the stalled viewer's window for minutes.
//!
//! It binds nothing and handles no signals: it serves the listener it is given until `shutdown`.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// Connections past `max_connections` that may still be served if they carry the moderator's
/// token: enough for the moderator's pages and scripts, and for strangers' slow request heads
/// (each gone within the handshake timeout) not to crowd them out easily.
pub(crate) const RESERVED: usize = 16;
/// Connections turned away at once may themselves take no more than this many sockets.
const MAX_REFUSALS_IN_FLIGHT: usize = 64;
/// How long a refused connection may take to send its request before it is simply closed.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(2);

/// A connection's switch for an abortive close: flipped by whoever gives up on the peer.
#[derive(Clone, Default)]
pub(crate) struct Abandon(Arc<AtomicBool>);

impl Abandon {
    /// The socket will be reset, not drained, when it closes.
    pub(crate) fn abandon(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn is_abandoned(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// How connections are accepted.
#[derive(Clone)]
pub(crate) struct Accept {
    pub max_connections: usize,
    pub handshake_timeout: Duration,
    pub tls: Option<TlsAcceptor>,
}

/// Accepts until `shutdown`; every connection task is spawned on `tracker`. `reserved` serves the
/// connections past the limit (it must refuse requests without the moderator's token).
pub(crate) async fn accept_loop(
    listener: TcpListener,
    app: Router,
    reserved: Router,
    accept: Accept,
    tracker: TaskTracker,
    shutdown: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(accept.max_connections));
    let reserve = Arc::new(Semaphore::new(RESERVED));
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS_IN_FLIGHT));
    let busy = busy_router();
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors or a connection reset before accept: wait a moment
                    // rather than spin.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        if let Ok(slot) = slots.clone().try_acquire_owned() {
            let io = Slotted::new(stream, slot);
            tracker.spawn(connection(
                io,
                app.clone(),
                peer,
                accept.clone(),
                shutdown.clone(),
            ));
        } else if let Ok(slot) = reserve.clone().try_acquire_owned() {
            let io = Slotted::new(stream, slot);
            tracker.spawn(connection(
                io,
                reserved.clone(),
                peer,
                accept.clone(),
                shutdown.clone(),
            ));
        } else if let Ok(slot) = refusals.clone().try_acquire_owned() {
            let io = Slotted::new(stream, slot);
            let refusal = Accept {
                handshake_timeout: REFUSAL_TIMEOUT.min(accept.handshake_timeout),
                ..accept.clone()
            };
            tracker.spawn(connection(
                io,
                busy.clone(),
                peer,
                refusal,
                shutdown.clone(),
            ));
        }
        // else: far over the limit; dropping the socket is the only answer that costs nothing.
    }
}

/// Answers every request with `503` and closes: the polite refusal past `max_connections`.
fn busy_router() -> Router {
    Router::new().fallback(|| async { busy() })
}

/// The `503` of a full server.
pub(crate) fn busy() -> axum::response::Response {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONNECTION, "close"), (header::RETRY_AFTER, "5")],
        axum::Json(serde_json::json!({
            "error": "too many connections: the server is at its limit, try again shortly"
        })),
    )
        .into_response()
}

async fn connection(
    io: Slotted,
    app: Router,
    peer: std::net::SocketAddr,
    accept: Accept,
    shutdown: CancellationToken,
) {
    let abandon = io.abandon.clone();
    match accept.tls {
        None => serve_http(io, app, peer, abandon, accept.handshake_timeout, shutdown).await,
        Some(tls) => match tokio::time::timeout(accept.handshake_timeout, tls.accept(io)).await {
            Ok(Ok(stream)) => {
                let timeout = accept.handshake_timeout;
                serve_http(stream, app, peer, abandon, timeout, shutdown).await
            }
            Ok(Err(e)) => tracing::debug!("TLS handshake failed: {e}"),
            Err(_) => tracing::debug!("TLS handshake timed out"),
        },
    }
}

async fn serve_http<I>(
    io: I,
    app: Router,
    peer: std::net::SocketAddr,
    abandon: Abandon,
    handshake_timeout: Duration,
    shutdown: CancellationToken,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let app = app.map_request(move |mut request: hyper::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request.extensions_mut().insert(abandon.clone());
        request
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        // Also bounds how long an idle keep-alive connection may wait for its next request.
        .header_read_timeout(handshake_timeout)
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(app))
        .with_upgrades();
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        _ = shutdown.cancelled() => {
            conn.as_mut().graceful_shutdown();
            match tokio::time::timeout(Duration::from_secs(1), conn).await {
                Ok(result) => result,
                Err(_) => return,
            }
        }
    };
    if let Err(e) = result {
        tracing::debug!("connection ended: {e}");
    }
}

/// A socket holding one connection slot; the slot is released when the socket is dropped, which
/// for an upgraded WebSocket is when the viewer's loop ends. An abandoned socket is reset then.
struct Slotted {
    io: TcpStream,
    _slot: OwnedSemaphorePermit,
    abandon: Abandon,
}

impl Slotted {
    fn new(io: TcpStream, slot: OwnedSemaphorePermit) -> Slotted {
        Slotted {
            io,
            _slot: slot,
            abandon: Abandon::default(),
        }
    }
}

impl Drop for Slotted {
    fn drop(&mut self) {
        if self.abandon.is_abandoned() {
            // Linger 0: close sends a reset and discards what the peer never read.
            let _ = socket2::SockRef::from(&self.io).set_linger(Some(Duration::ZERO));
        }
    }
}

impl AsyncRead for Slotted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Slotted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
