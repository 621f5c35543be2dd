//! The HTTP server: hyper HTTP/1.1 with keep-alive on a tokio listener, a cap on open connections,
//! and graceful shutdown: on the signal it stops accepting, lets requests in flight finish (their
//! webhooks are fully stored before they answer), then returns.
//!
//! Where a connection is served depends on its first request: one carrying webhooks is served on
//! the event loop of the JS worker that runs its subscription's `handle`, so the request, the
//! invocation and the answer stay on one thread (no hand-off, no wake-up of another thread per
//! webhook); everything else (the management API, `/metrics`) on the service's own runtime, where
//! a long-running `handle` never holds it up.

mod routes;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::app::App;
use crate::store::Store;

pub use routes::route;

/// Where a connection is served, by what its first request is for.
#[derive(Debug, PartialEq, Eq)]
enum FirstRequest {
    /// `/webhooks/{id}`: on the worker that runs that subscription.
    Webhook(String),
    /// `/global-webhooks/...`: on any worker (their sandboxes are on every worker).
    GlobalWebhook,
    /// Anything else, or not known yet: on the service's runtime.
    Other,
}

/// How long a new connection may take to send the start of its first request before it is placed
/// on the service's runtime without looking at it.
const FIRST_BYTES: Duration = Duration::from_millis(500);

/// A worker for a connection no one subscription owns: each in turn.
fn spread() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Looks at the first request's line without consuming it.
async fn first_request(stream: &TcpStream) -> FirstRequest {
    let mut start = [0u8; 256];
    match tokio::time::timeout(FIRST_BYTES, stream.peek(&mut start)).await {
        Ok(Ok(n)) => classify(&start[..n]),
        _ => FirstRequest::Other,
    }
}

/// What the start of a request is for; a request line not complete in `start` is `Other`.
fn classify(start: &[u8]) -> FirstRequest {
    let Some(end) = start.iter().position(|&b| b == b'\n') else {
        return FirstRequest::Other;
    };
    let mut parts = start[..end].split(|&b| b == b' ');
    let target = parts.nth(1).unwrap_or_default();
    let path = target.split(|&b| b == b'?').next().unwrap_or_default();
    if let Some(rest) = path.strip_prefix(b"/webhooks/".as_slice()) {
        let id = rest.split(|&b| b == b'/').next().unwrap_or_default();
        return match std::str::from_utf8(id) {
            Ok(id) if !id.is_empty() => FirstRequest::Webhook(id.to_string()),
            _ => FirstRequest::Other,
        };
    }
    if path.starts_with(b"/global-webhooks/") {
        return FirstRequest::GlobalWebhook;
    }
    FirstRequest::Other
}

/// Connections served at once; more wait in the listen backlog.
const MAX_CONNECTIONS: usize = 4096;
/// How long a client may take to send a request's headers (a slow or idle connection is closed).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long requests in flight may take to finish after the shutdown signal.
const DRAIN: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` until `shutdown` resolves, then drains.
pub async fn run<S: Store>(
    listener: TcpListener,
    app: Arc<App<S>>,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit { Ok(p) => p, Err(_) => break },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let worker = match first_request(&stream).await {
                FirstRequest::Webhook(id) => app.runtime.worker_of(&id).or_else(|| Some(spread())),
                FirstRequest::GlobalWebhook => Some(spread()),
                FirstRequest::Other => None,
            };
            let Some(index) = worker else {
                return serve(app, stream, peer, watcher, permit).await;
            };
            // Registered again on the worker's own event loop: a socket keeps the one it was
            // made on, and readiness from the service's would cost that thread a wake-up and
            // the worker a cross-thread wake per request.
            let stream = match stream.into_std() {
                Ok(stream) => stream,
                Err(error) => {
                    tracing::warn!(%error, %peer, "cannot move a connection");
                    return;
                }
            };
            let owner = app.clone();
            owner.runtime.spawn_on(index, async move {
                match TcpStream::from_std(stream) {
                    Ok(stream) => serve(app, stream, peer, watcher, permit).await,
                    Err(error) => tracing::warn!(%error, %peer, "cannot serve a connection"),
                }
            });
        });
    }
    tracing::info!("shutting down: draining requests in flight");
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after {DRAIN:?}; stopping anyway");
    }
}

/// Serves one connection with keep-alive until it closes or the server drains.
async fn serve<S: Store>(
    app: Arc<App<S>>,
    stream: TcpStream,
    peer: SocketAddr,
    watcher: Watcher,
    permit: OwnedSemaphorePermit,
) {
    let service = {
        let app = app.clone();
        service_fn(move |request| {
            let app = app.clone();
            async move { Ok::<_, std::convert::Infallible>(route(&app, request).await) }
        })
    };
    let connection = http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    if let Err(error) = watcher.watch(connection).await {
        tracing::debug!(%error, %peer, "connection ended with an error");
    }
    drop(permit);
}

#[cfg(test)]
mod tests {
    use super::{FirstRequest, classify};

    #[test]
    fn the_first_request_line_places_the_connection() {
        let webhook = |id: &str| FirstRequest::Webhook(id.to_string());
        for (start, expected) in [
            (
                &b"POST /webhooks/abc HTTP/1.1\r\nHost: x\r\n"[..],
                webhook("abc"),
            ),
            (
                b"GET /webhooks/abc?challenge=1 HTTP/1.1\r\n",
                webhook("abc"),
            ),
            (b"POST /webhooks/abc/more HTTP/1.1\r\n", webhook("abc")),
            (
                b"POST /global-webhooks/slack/events HTTP/1.1\r\n",
                FirstRequest::GlobalWebhook,
            ),
            (b"GET /api/subscriptions HTTP/1.1\r\n", FirstRequest::Other),
            (b"GET /metrics HTTP/1.1\r\n", FirstRequest::Other),
            (b"POST /webhooks/ HTTP/1.1\r\n", FirstRequest::Other),
            (b"POST /webhooks/abc", FirstRequest::Other),
            (b"", FirstRequest::Other),
            (b"\xff\xfe /webhooks/\xff HTTP/1.1\r\n", FirstRequest::Other),
        ] {
            assert_eq!(
                classify(start),
                expected,
                "{}",
                String::from_utf8_lossy(start)
            );
        }
    }
}
