//! Load-test target for `bench/tower.sh`: one axum "hello" route, bare or behind `AuthLayer`.
//!
//! `cargo run --release -p myc-tower --example bench_server -- MODE ADDR` with MODE one of
//! `bare`, `hs256` (internal HS256 JWT, cached profile, injection) or `eddsa` (internal EdDSA
//! JWT, verified-token cache). Prints `TOKEN=<jwt>` and `READY` on stdout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../benches/support/bench_app.rs"]
mod bench_app;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "bare".into());
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:3100".into());
    let (app, token) = bench_app::app(&mode);
    let listener = tokio::net::TcpListener::bind(&addr).await.unwrap();
    println!("TOKEN={token}");
    println!("READY");
    axum::serve(listener, app).await.unwrap();
}
