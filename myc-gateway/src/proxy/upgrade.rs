//! Protocol upgrades (WebSocket and any other `Upgrade`): the request that asks for one is
//! routed, authenticated and given its identity headers like any other; when the upstream
//! answers `101 Switching Protocols`, the client's and the upstream's connections are joined
//! and bytes flow both ways until either side closes (the other is then shut down too) or
//! nothing moves for [`IDLE_TIMEOUT`] (`[gateway] upgrade_idle_secs`).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http::HeaderMap;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// How long an upgraded connection may carry nothing in either direction.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// The protocol a request asks to switch to: its `Upgrade` value when `Connection` names
/// `upgrade` (HTTP/1.1 only; an HTTP/2 request cannot ask).
pub fn requested(version: http::Version, headers: &HeaderMap) -> Option<http::HeaderValue> {
    if version != http::Version::HTTP_11 {
        return None;
    }
    let names_upgrade = headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
    let mut values = headers.get_all(http::header::UPGRADE).iter();
    match (names_upgrade, values.next(), values.next()) {
        (true, Some(value), None) => Some(value.clone()),
        _ => None,
    }
}

/// Joins the two upgraded connections in a task of their own.
pub(crate) fn bridge(client: OnUpgrade, upstream: OnUpgrade, idle: Duration) {
    tokio::spawn(async move {
        let (client, upstream) = match tokio::try_join!(client, upstream) {
            Ok(pair) => pair,
            Err(e) => {
                tracing::debug!(error = %e, "upgrade did not complete");
                return;
            }
        };
        let activity = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let mut client = Active::new(TokioIo::new(client), activity.clone(), start);
        let mut upstream = Active::new(TokioIo::new(upstream), activity.clone(), start);
        let copy = tokio::io::copy_bidirectional(&mut client, &mut upstream);
        tokio::pin!(copy);
        loop {
            let last = Duration::from_millis(activity.load(Ordering::Relaxed));
            let deadline = start + last + idle;
            tokio::select! {
                result = &mut copy => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "upgraded connection ended");
                    }
                    return;
                }
                () = tokio::time::sleep_until(deadline) => {
                    let now = Duration::from_millis(activity.load(Ordering::Relaxed));
                    if now == last {
                        tracing::debug!("upgraded connection idle; closed");
                        return;
                    }
                }
            }
        }
    });
}

/// An I/O object that records when bytes last moved through it (ms since `start`).
struct Active<T> {
    inner: T,
    activity: Arc<AtomicU64>,
    start: Instant,
}

impl<T> Active<T> {
    fn new(inner: T, activity: Arc<AtomicU64>, start: Instant) -> Self {
        Self {
            inner,
            activity,
            start,
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.activity.store(ms, Ordering::Relaxed);
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Active<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.touch();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Active<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_asks_for_an_upgrade() {
        let headers = |pairs: &[(&str, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.append(
                    http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            h
        };
        let v11 = http::Version::HTTP_11;
        let ws = headers(&[
            ("connection", "keep-alive, Upgrade"),
            ("upgrade", "websocket"),
        ]);
        assert_eq!(requested(v11, &ws).unwrap(), "websocket");
        assert!(requested(http::Version::HTTP_2, &ws).is_none());
        assert!(requested(v11, &headers(&[("upgrade", "websocket")])).is_none());
        assert!(requested(v11, &headers(&[("connection", "upgrade")])).is_none());
        let two = headers(&[
            ("connection", "upgrade"),
            ("upgrade", "websocket"),
            ("upgrade", "h2c"),
        ]);
        assert!(requested(v11, &two).is_none());
    }
}
