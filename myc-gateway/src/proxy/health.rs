//! Active health checks: `GET http://host{healthCheckPath}` for every host of every service
//! that declares a path, on an interval with a timeout; thresholds decide when a host leaves
//! and rejoins the rotation ([`Upstream::probed`]).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use http::{Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::Upstream;
use crate::config::HealthPolicy;

/// The health checks of a gateway; [`HealthChecks::spawn`] starts them.
#[derive(Debug)]
pub struct HealthChecks {
    targets: Vec<(Arc<Upstream>, String)>,
    policy: HealthPolicy,
}

impl HealthChecks {
    pub(crate) fn new(policy: HealthPolicy) -> Self {
        Self {
            targets: Vec::new(),
            policy,
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
        let client: Client<HttpConnector, Body> =
            Client::builder(TokioExecutor::new()).build_http();
        let interval = Duration::from_millis(self.policy.interval_ms);
        let timeout = Duration::from_millis(self.policy.timeout_ms);
        loop {
            for (upstream, path) in &self.targets {
                for host in upstream.hosts() {
                    let ok = probe(&client, &host, path, timeout).await;
                    upstream.probed(
                        &host,
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

async fn probe(
    client: &Client<HttpConnector, Body>,
    host: &str,
    path: &str,
    timeout: Duration,
) -> bool {
    let Ok(uri) = Uri::builder()
        .scheme("http")
        .authority(host)
        .path_and_query(path)
        .build()
    else {
        return false;
    };
    let Ok(request) = Request::get(uri).body(Body::empty()) else {
        return false;
    };
    matches!(
        tokio::time::timeout(timeout, client.request(request)).await,
        Ok(Ok(response)) if response.status().is_success()
    )
}
