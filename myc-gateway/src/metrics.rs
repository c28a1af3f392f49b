//! Prometheus text metrics: requests by route and status, a latency histogram, and upstream
//! host availability.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Latency histogram bounds, seconds.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Debug, Default)]
struct Inner {
    /// route → status → count (looked up by `&str`: no allocation once a route was seen).
    requests: BTreeMap<String, BTreeMap<u16, u64>>,
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

/// The gateway's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// Records one request of `route` (a pattern, or `unrouted`) answered `status` in `elapsed`.
    pub fn observe(&self, route: &str, status: u16, elapsed: Duration) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        match inner.requests.get_mut(route) {
            Some(by_status) => *by_status.entry(status).or_default() += 1,
            None => {
                inner
                    .requests
                    .insert(route.to_owned(), BTreeMap::from([(status, 1)]));
            }
        }
        let seconds = elapsed.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                inner.buckets[i] += 1;
            }
        }
        inner.count += 1;
        inner.sum_seconds += seconds;
    }

    /// The exposition text; `hosts` are (service, host, available); `callbacks`' counters
    /// when the gateway has any.
    pub fn render(
        &self,
        hosts: &[(String, String, bool)],
        callbacks: Option<&myc_tower::callback::Callbacks>,
    ) -> String {
        let mut out = String::new();
        let Ok(inner) = self.inner.lock() else {
            return out;
        };
        let _ = writeln!(
            out,
            "# HELP myc_gateway_requests_total Requests by route and status."
        );
        let _ = writeln!(out, "# TYPE myc_gateway_requests_total counter");
        for (route, status, n) in inner
            .requests
            .iter()
            .flat_map(|(r, by)| by.iter().map(move |(s, n)| (r, s, n)))
        {
            let _ = writeln!(
                out,
                "myc_gateway_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        let _ = writeln!(
            out,
            "# HELP myc_gateway_auth_refusals_total Requests refused by authentication (401) or authorization (403)."
        );
        let _ = writeln!(out, "# TYPE myc_gateway_auth_refusals_total counter");
        for code in [401u16, 403] {
            let n: u64 = inner.requests.values().filter_map(|by| by.get(&code)).sum();
            let _ = writeln!(
                out,
                "myc_gateway_auth_refusals_total{{status=\"{code}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP myc_gateway_request_duration_seconds Time from routing to response headers."
        );
        let _ = writeln!(out, "# TYPE myc_gateway_request_duration_seconds histogram");
        for (i, bound) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "myc_gateway_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                inner.buckets[i]
            );
        }
        let _ = writeln!(
            out,
            "myc_gateway_request_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            inner.count
        );
        let _ = writeln!(
            out,
            "myc_gateway_request_duration_seconds_sum {}",
            inner.sum_seconds
        );
        let _ = writeln!(
            out,
            "myc_gateway_request_duration_seconds_count {}",
            inner.count
        );
        let _ = writeln!(
            out,
            "# HELP myc_gateway_upstream_up Whether an upstream host is in rotation."
        );
        let _ = writeln!(out, "# TYPE myc_gateway_upstream_up gauge");
        for (service, host, up) in hosts {
            let _ = writeln!(
                out,
                "myc_gateway_upstream_up{{service=\"{}\",host=\"{}\"}} {}",
                escape(service),
                escape(host),
                u8::from(*up)
            );
        }
        if let Some(callbacks) = callbacks {
            render_callbacks(&mut out, callbacks.stats());
        }
        out
    }
}

/// `myc_gateway_callbacks_total{outcome}`: succeeded, failed, dropped (queue full), filtered.
fn render_callbacks(out: &mut String, stats: &myc_tower::callback::Stats) {
    use std::sync::atomic::Ordering::Relaxed;
    let _ = writeln!(
        out,
        "# HELP myc_gateway_callbacks_total Response callbacks by outcome (dropped: the queue was full)."
    );
    let _ = writeln!(out, "# TYPE myc_gateway_callbacks_total counter");
    for (outcome, n) in [
        ("succeeded", stats.succeeded.load(Relaxed)),
        ("failed", stats.failed.load(Relaxed)),
        ("dropped", stats.dropped.load(Relaxed)),
        ("filtered", stats.filtered.load(Relaxed)),
    ] {
        let _ = writeln!(
            out,
            "myc_gateway_callbacks_total{{outcome=\"{outcome}\"}} {n}"
        );
    }
}
