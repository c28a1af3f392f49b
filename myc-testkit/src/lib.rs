//! Test and benchmark support shared by the workspace's crates (dev-dependency only).
//!
//! - [`bench`](mod@bench): read criterion's estimates back to print ratios against a baseline measured in
//!   the same run.
//! - [`shared_dir`]: where `shared/` (interop vectors) lives beside the repository.
//! - [`nats`]: real nats-server processes with generated configs.
//! - `db` (feature `db`): a PostgreSQL schema per store test.
//! - `http` (feature `http`): an axum router served on loopback in the background.
//! - `tls` (feature `tls`): an axum router behind rustls with a test CA.
//! - `upstream` (feature `upstream`): upstream Mycelium's sealing and tables, for imports.
#![forbid(unsafe_code)]
// Test support: a missing server binary must fail the test loudly, never skip it.
#![allow(clippy::panic)]

use std::path::PathBuf;

/// The `shared/` directory: `$MYC_SHARED_DIR`, else `shared/` beside the repository root.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("MYC_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
}

#[cfg(feature = "db")]
pub mod db;
#[cfg(feature = "http")]
pub mod http;
pub mod nats;
pub mod process;
#[cfg(feature = "tls")]
pub mod tls;
#[cfg(feature = "upstream")]
pub mod upstream;

pub mod bench {
    //! Ratios from criterion results.

    use std::path::PathBuf;

    /// Where criterion writes its results for the running bench binary.
    pub fn criterion_dir() -> Option<PathBuf> {
        if let Some(home) = std::env::var_os("CRITERION_HOME") {
            return Some(PathBuf::from(home));
        }
        if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
            return Some(PathBuf::from(target).join("criterion"));
        }
        // <target>/<profile>/deps/<bench binary>
        let exe = std::env::current_exe().ok()?;
        Some(exe.ancestors().nth(3)?.join("criterion"))
    }

    /// Mean time in nanoseconds of benchmark `group/function/input` from this run.
    pub fn mean_ns(group: &str, function: &str, input: &str) -> Option<f64> {
        let path = criterion_dir()?
            .join(group)
            .join(function)
            .join(input)
            .join("new/estimates.json");
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
        v["mean"]["point_estimate"].as_f64()
    }

    /// `baseline time / ours time` formatted as `1.23x` (above 1: ours is faster), or `n/a`.
    pub fn speedup(group: &str, baseline: &str, ours: &str, input: &str) -> String {
        match (mean_ns(group, baseline, input), mean_ns(group, ours, input)) {
            (Some(b), Some(o)) if o > 0.0 => format!("{:.2}x", b / o),
            _ => "n/a".to_owned(),
        }
    }

    /// `ours time / baseline time` formatted as `1.23x` (below 1: ours is faster), or `n/a`.
    pub fn cost(group: &str, baseline: &str, ours: &str, input: &str) -> String {
        match (mean_ns(group, baseline, input), mean_ns(group, ours, input)) {
            (Some(b), Some(o)) if b > 0.0 => format!("{:.2}x", o / b),
            _ => "n/a".to_owned(),
        }
    }
}
