//! In-process cost of `AuthLayer` per request (no sockets, no load generator): the same axum
//! "hello" router called through `tower::ServiceExt::oneshot`, bare and behind the layer with
//! an HS256 or EdDSA internal JWT (verified-token cache and profile cache warm), in one run.
//! Complements `bench/tower.sh` (loopback RPS and p99), whose numbers move with host noise.
//! Run: `cargo bench -p myc-tower --bench layer`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Instant;

use axum::Router;
use axum::body::Body;
use http::Request;
use tower::ServiceExt;

#[path = "support/bench_app.rs"]
mod bench_app;
use bench_app::app;

async fn per_request_ns(router: &Router, token: &str, n: u32) -> f64 {
    let started = Instant::now();
    for _ in 0..n {
        let request = Request::get("/")
            .header("authorization", format!("Bearer {token}"))
            .header("user-agent", "bench")
            .body(Body::empty())
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        assert!(response.status().is_success());
    }
    started.elapsed().as_nanos() as f64 / f64::from(n)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // LAYER_BENCH_N / LAYER_BENCH_MODES / LAYER_BENCH_ROUNDS narrow a run (e.g. under callgrind).
        let n = std::env::var("LAYER_BENCH_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(100_000);
        let rounds = std::env::var("LAYER_BENCH_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5);
        let modes =
            std::env::var("LAYER_BENCH_MODES").unwrap_or_else(|_| "bare,hs256,eddsa".into());
        let modes: Vec<&str> = modes.split(',').collect();
        let mut best = std::collections::BTreeMap::new();
        for _round in 0..rounds {
            for mode in modes.iter().copied() {
                let (router, token) = app(mode);
                per_request_ns(&router, &token, 1_000).await; // warm caches
                let ns = per_request_ns(&router, &token, n).await;
                let entry = best.entry(mode).or_insert(f64::MAX);
                *entry = f64::min(*entry, ns);
            }
        }
        let bare = best.get("bare").copied().unwrap_or(0.0);
        println!("mode      ns/request  layer cost");
        for mode in modes {
            println!(
                "{mode:<8} {:>11.0} {:>+10.0} ns",
                best[mode],
                best[mode] - bare
            );
        }
    });
}
