//! Active health checks: `GET {healthCheckPath}` on every host of every service that declares
//! a path (over the proxy's own connections, so HTTPS hosts are probed over TLS), on an
//! interval with a timeout; thresholds decide when a host leaves and rejoins the rotation
//! ([`Upstream::probed`]).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use http::Request;
use http_body_util::BodyExt;

use super::client::Connector;
use super::{Host, Upstream};
use crate::config::HealthPolicy;

/// The health checks of a gateway; [`HealthChecks::spawn`] starts them.
#[derive(Debug)]
pub struct HealthChecks {
    targets: Vec<(Arc<Upstream>, String)>,
    policy: HealthPolicy,
    connector: Connector,
}

impl HealthChecks {
    pub(crate) fn new(policy: HealthPolicy, connector: Connector) -> Self {
        Self {
            targets: Vec::new(),
            policy,
            connector,
        }
    }

    pub(crate) fn add(&mut self, upstream: Arc<Upstream>, path: String) {
        self.targets.push((upstream, path));
    }

    /// Probes every interval until the task is aborted. Needs a Tokio runtime.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run())
    }

    async fn run(self) {
        let interval = Duration::from_millis(self.policy.interval_ms);
        let timeout = Duration::from_millis(self.policy.timeout_ms);
        loop {
            for (upstream, path) in &self.targets {
                for host in upstream.host_handles() {
                    let ok = probe(&self.connector, &host, path, timeout).await;
                    upstream.probed(
                        &host.name,
                        ok,
                        self.policy.unhealthy_threshold,
                        self.policy.healthy_threshold,
                    );
                }
            }
            tokio::time::sleep(interval).await;
        }
    }
}

async fn probe(connector: &Connector, host: &Arc<Host>, path: &str, timeout: Duration) -> bool {
    let Ok(request) = Request::get(path)
        .header(http::header::HOST, host.host_header.clone())
        .header(http::header::USER_AGENT, "myc-gateway-health")
        .body(Body::empty())
    else {
        return false;
    };
    let exchange = async {
        let response = connector.send(host, request).await.ok()?;
        let ok = response.status().is_success();
        // Read the (small) body so the connection goes back to the pool.
        response.into_body().collect().await.ok()?;
        Some(ok)
    };
    matches!(
        tokio::time::timeout(timeout, exchange).await,
        Ok(Some(true))
    )
}
