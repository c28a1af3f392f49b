//! Helpers shared by the gateway's NATS and process tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use myc_natsauth::claims::{Account, Claims};
use myc_natsauth::spec::{ResolverKind, Seeds, Site, Spec};
use myc_testkit::nats::{self, NatsServer, ServerKind};

pub(crate) use myc_testkit::process::Kill;

/// Generates the site `spec` describes into `dir/site` (seeds in `dir/seeds`: the code path of
/// `myc-nats init`) and starts nats-server 2.15 with its config.
pub(crate) fn site(dir: &Path, spec: &Spec) -> (PathBuf, NatsServer) {
    let site_dir = dir.join("site");
    let site = Site::generate(spec, &mut Seeds::in_dir(dir.join("seeds"))).unwrap();
    site.write(&site_dir, ResolverKind::Memory).unwrap();
    let conf = std::fs::read_to_string(site_dir.join("nats-server.conf")).unwrap();
    let server = NatsServer::start(ServerKind::Modern, &nats::modern_binary(), |_| conf).unwrap();
    (site_dir, server)
}

/// The public key of account `name` of a generated site.
pub(crate) fn account_key(site: &Path, name: &str) -> String {
    let jwt = std::fs::read_to_string(site.join(format!("accounts/{name}.jwt"))).unwrap();
    Claims::<Account>::decode(&jwt).unwrap().sub
}

/// Waits for `myc-gateway serve` to print its address; returns its URL.
pub(crate) fn listening(child: &mut Kill) -> String {
    myc_testkit::process::first_line_after(child, "listening on ")
}

/// A fresh directory under the system's temp dir.
pub(crate) fn temp_dir(prefix: &str) -> PathBuf {
    myc_testkit::process::temp_dir(prefix)
}

/// Runs `myc-gateway ARGS --config DIR/gateway.toml` with `env`; its stdout, trimmed. Panics
/// with its stderr when it fails.
pub(crate) fn admin(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_myc-gateway"))
        .args(args)
        .arg("--config")
        .arg(dir.join("gateway.toml"))
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Starts `myc-gateway serve` on a free loopback port with `DIR/gateway.toml` and `env`, its
/// stderr to `stderr`; the process and the URL it printed.
pub(crate) fn serve(
    dir: &Path,
    env: &[(&str, &str)],
    stderr: std::process::Stdio,
) -> (Kill, String) {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_myc-gateway"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(dir.join("gateway.toml"))
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut process = Kill(child);
    let base = listening(&mut process);
    (process, base)
}
