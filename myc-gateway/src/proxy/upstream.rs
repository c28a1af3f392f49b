//! Host selection for one service: round-robin over hosts that are not ejected; a connect
//! failure ejects a host for a cool-down (passive health), doubling while it keeps failing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Ejection after a connect failure: 5 s, doubling up to 60 s while failures continue.
const EJECT_BASE: Duration = Duration::from_secs(5);
const EJECT_MAX: Duration = Duration::from_secs(60);

/// How the gateway speaks to a host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wire {
    /// HTTP/1.1 over TCP (`protocol = "http"`).
    Http1,
    /// HTTP/2 with prior knowledge over TCP, h2c (`protocol = "http2"` or `"grpc"`).
    Http2,
    /// TLS, then HTTP/2 or HTTP/1.1 as ALPN chooses (`protocol = "https"`).
    Tls,
}

/// One upstream host, parsed once: what a request to it needs.
#[derive(Debug)]
pub struct Host {
    /// `host:port` as configured.
    pub name: String,
    /// The URI authority.
    pub authority: http::uri::Authority,
    /// The `Host` header value.
    pub host_header: http::HeaderValue,
    /// For an HTTPS upstream, the name its certificate must carry.
    pub tls_name: Option<rustls::pki_types::ServerName<'static>>,
    /// How it is spoken to.
    pub wire: Wire,
    /// Idle HTTP/1.1 connections (plain hosts).
    pub(crate) pool: super::h1_pool::IdlePool,
}

impl Host {
    /// `name` (`host:port`), spoken to as `wire` says; a name that is not a URI authority
    /// (or, for TLS, not a server name) is an error.
    pub fn new(name: &str, wire: Wire) -> Result<Self, String> {
        let https = wire == Wire::Tls;
        let authority = name
            .parse::<http::uri::Authority>()
            .map_err(|_| format!("{name:?} is not a host:port"))?;
        let host_header = http::HeaderValue::from_str(name)
            .map_err(|_| format!("{name:?} is not a header value"))?;
        let tls_name = if https {
            let server = rustls::pki_types::ServerName::try_from(authority.host())
                .map_err(|_| format!("{name:?} is not a TLS server name"))?;
            Some(server.to_owned())
        } else {
            None
        };
        Ok(Self {
            name: name.to_owned(),
            authority,
            host_header,
            tls_name,
            wire,
            pool: super::h1_pool::IdlePool::default(),
        })
    }
}

#[derive(Debug)]
struct HostState {
    host: Arc<Host>,
    ejected_until: Option<Instant>,
    failures: u32,
    /// Taken out by active health checks.
    down: bool,
    probe_failures: u32,
    probe_successes: u32,
}

impl HostState {
    fn available(&self, now: Instant) -> bool {
        !self.down && self.ejected_until.is_none_or(|t| t <= now)
    }
}

/// The hosts of one service.
#[derive(Debug)]
pub struct Upstream {
    hosts: Mutex<Vec<HostState>>,
    next: AtomicUsize,
}

impl Upstream {
    /// Round-robin over `hosts` (`host:port`, spoken to as `wire` says); a host that is not
    /// a URI authority is an error.
    pub fn new(hosts: &[String], wire: Wire) -> Result<Self, String> {
        let hosts = hosts
            .iter()
            .map(|h| {
                Ok(HostState {
                    host: Arc::new(Host::new(h, wire)?),
                    ejected_until: None,
                    failures: 0,
                    down: false,
                    probe_failures: 0,
                    probe_successes: 0,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Self {
            hosts: Mutex::new(hosts),
            next: AtomicUsize::new(0),
        })
    }

    /// The next host that is not ejected and not in `skip`; when every host is ejected, the one
    /// whose ejection ends first (better a likely failure than a certain one).
    pub fn pick(&self, skip: &[Arc<Host>]) -> Option<Arc<Host>> {
        let hosts = self.hosts.lock().ok()?;
        let n = hosts.len();
        if n == 0 {
            return None;
        }
        let now = Instant::now();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for k in 0..n {
            let host = &hosts[(start + k) % n];
            if skip.iter().any(|s| Arc::ptr_eq(s, &host.host)) {
                continue;
            }
            if host.available(now) {
                return Some(host.host.clone());
            }
        }
        hosts
            .iter()
            .filter(|h| !skip.iter().any(|s| Arc::ptr_eq(s, &h.host)))
            .min_by_key(|h| (h.down, h.ejected_until))
            .map(|h| h.host.clone())
    }

    /// Records a connect failure: ejects the host.
    pub fn failed(&self, authority: &str) {
        if let Ok(mut hosts) = self.hosts.lock()
            && let Some(h) = hosts.iter_mut().find(|h| h.host.name == authority)
        {
            h.failures = h.failures.saturating_add(1);
            let backoff = EJECT_BASE
                .saturating_mul(1u32 << (h.failures - 1).min(4))
                .min(EJECT_MAX);
            h.ejected_until = Some(Instant::now() + backoff);
            tracing::warn!(upstream = %authority, ejected_for_s = backoff.as_secs(), "upstream ejected after a connect failure");
        }
    }

    /// Records a success (or a passing health check): the host is back.
    pub fn succeeded(&self, authority: &str) {
        if let Ok(mut hosts) = self.hosts.lock()
            && let Some(h) = hosts.iter_mut().find(|h| h.host.name == authority)
            && (h.failures > 0 || h.ejected_until.is_some())
        {
            h.failures = 0;
            h.ejected_until = None;
            tracing::info!(upstream = %authority, "upstream healthy again");
        }
    }

    /// Records an active probe: `unhealthy` consecutive failures take the host out,
    /// `healthy` consecutive successes bring it back.
    pub fn probed(&self, authority: &str, ok: bool, unhealthy: u32, healthy: u32) {
        if let Ok(mut hosts) = self.hosts.lock()
            && let Some(h) = hosts.iter_mut().find(|h| h.host.name == authority)
        {
            if ok {
                h.probe_failures = 0;
                h.probe_successes = h.probe_successes.saturating_add(1);
                if h.down && h.probe_successes >= healthy {
                    h.down = false;
                    h.ejected_until = None;
                    h.failures = 0;
                    tracing::info!(upstream = %authority, "upstream passed its health checks; back in rotation");
                }
            } else {
                h.probe_successes = 0;
                h.probe_failures = h.probe_failures.saturating_add(1);
                if !h.down && h.probe_failures >= unhealthy {
                    h.down = true;
                    tracing::warn!(upstream = %authority, "upstream failed its health checks; out of rotation");
                }
            }
        }
    }

    /// The hosts themselves, in configuration order.
    pub fn host_handles(&self) -> Vec<Arc<Host>> {
        self.hosts
            .lock()
            .map(|h| h.iter().map(|h| h.host.clone()).collect())
            .unwrap_or_default()
    }

    /// The hosts, in configuration order.
    pub fn hosts(&self) -> Vec<String> {
        self.hosts
            .lock()
            .map(|h| h.iter().map(|h| h.host.name.clone()).collect())
            .unwrap_or_default()
    }

    /// Whether `authority` is out of rotation (down or ejected).
    pub fn is_out(&self, authority: &str) -> bool {
        let now = Instant::now();
        self.hosts.lock().is_ok_and(|hosts| {
            hosts
                .iter()
                .any(|h| h.host.name == authority && !h.available(now))
        })
    }

    /// Whether `authority` is currently ejected.
    pub fn is_ejected(&self, authority: &str) -> bool {
        let now = Instant::now();
        self.hosts.lock().is_ok_and(|hosts| {
            hosts
                .iter()
                .any(|h| h.host.name == authority && h.ejected_until.is_some_and(|t| t > now))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_and_ejection() {
        let up = Upstream::new(&["a:1".into(), "b:1".into(), "c:1".into()], Wire::Http1).unwrap();
        let hosts: Vec<Arc<Host>> = (0..6).map(|_| up.pick(&[]).unwrap()).collect();
        let picks: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(picks, ["a:1", "b:1", "c:1", "a:1", "b:1", "c:1"]);
        assert_eq!(hosts[0].host_header, "a:1");
        up.failed("b:1");
        assert!(up.is_ejected("b:1"));
        let picks: Vec<String> = (0..4).map(|_| up.pick(&[]).unwrap().name.clone()).collect();
        assert!(!picks.contains(&"b:1".to_owned()));
        let skip = [hosts[0].clone(), hosts[2].clone()];
        assert_eq!(up.pick(&skip).map(|h| h.name.clone()), Some("b:1".into()));
        assert!(Upstream::new(&["bad host:1".into()], Wire::Http1).is_err());
        let tls = Upstream::new(
            &["api.example.com:443".into(), "10.0.0.1:8443".into()],
            Wire::Tls,
        )
        .unwrap();
        assert!(tls.pick(&[]).unwrap().tls_name.is_some());
        up.succeeded("b:1");
        assert!(!up.is_ejected("b:1"));
        for _ in 0..2 {
            up.probed("c:1", false, 3, 2);
        }
        assert!(!up.is_out("c:1"));
        up.probed("c:1", false, 3, 2);
        assert!(up.is_out("c:1"));
        up.probed("c:1", true, 3, 2);
        assert!(up.is_out("c:1"));
        up.probed("c:1", true, 3, 2);
        assert!(!up.is_out("c:1"));
    }
}
