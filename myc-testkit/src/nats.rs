//! Real `nats-server` processes for tests: generated config, free loopback port, readiness
//! wait, log capture, cleanup.
//!
//! Binaries: the modern server that `scripts/setup` fetches (pinned 2.15.1, sha256-checked)
//! into `.cache/nats-server/<version>/nats-server`, or `$MYC_NATS_SERVER`; and Debian's
//! `nats-server` (2.9.x) as the older one, when installed.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Which server build to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerKind {
    /// nats-server 2.10+ (auth callout, modern JetStream API).
    Modern,
    /// Debian's 2.9.x.
    Legacy,
}

/// The pinned modern version `scripts/setup` installs.
pub const MODERN_VERSION: &str = "2.15.1";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The binary for `kind`, if available.
pub fn binary(kind: ServerKind) -> Option<PathBuf> {
    match kind {
        ServerKind::Modern => {
            if let Some(p) = std::env::var_os("MYC_NATS_SERVER") {
                return Some(PathBuf::from(p));
            }
            let p = repo_root()
                .join(".cache/nats-server")
                .join(MODERN_VERSION)
                .join("nats-server");
            p.is_file().then_some(p)
        }
        ServerKind::Legacy => {
            let p = PathBuf::from("/usr/sbin/nats-server");
            let version = Command::new(&p).arg("--version").output().ok()?;
            String::from_utf8_lossy(&version.stdout)
                .contains("v2.9.")
                .then_some(p)
        }
    }
}

/// The modern binary; panics with the set-up command to run when it is missing (tests that
/// need a server must not silently skip).
pub fn modern_binary() -> PathBuf {
    binary(ServerKind::Modern).unwrap_or_else(|| {
        panic!("nats-server {MODERN_VERSION} not found: run `bash scripts/setup` (or set MYC_NATS_SERVER)")
    })
}

/// The servers to run a test against: always the modern one, plus Debian's 2.9.x if installed.
pub fn available() -> Vec<(ServerKind, PathBuf)> {
    let mut out = vec![(ServerKind::Modern, modern_binary())];
    if let Some(p) = binary(ServerKind::Legacy) {
        out.push((ServerKind::Legacy, p));
    }
    out
}

/// A scratch directory removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory under the system temp dir.
    pub fn new(label: &str) -> io::Result<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("myc-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A free TCP port on 127.0.0.1 (bound then released).
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A running nats-server, killed on drop.
#[derive(Debug)]
pub struct NatsServer {
    child: Child,
    port: u16,
    dir: TempDir,
    kind: ServerKind,
}

impl NatsServer {
    /// Starts `binary` with the config `make_config(dir)` returns (`dir` is the server's own
    /// scratch directory, for JetStream or resolver storage) on a free loopback port, and waits
    /// until it accepts TCP connections (10 s at most).
    pub fn start(
        kind: ServerKind,
        binary: &Path,
        make_config: impl FnOnce(&Path) -> String,
    ) -> io::Result<Self> {
        let dir = TempDir::new("nats")?;
        let config = dir.path().join("nats-server.conf");
        std::fs::write(&config, make_config(dir.path()))?;
        let log = dir.path().join("nats-server.log");
        let port = free_port()?;
        let child = Command::new(binary)
            .arg("-c")
            .arg(&config)
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            // Debug logging always; protocol tracing with MYC_NATS_TRACE=1.
            .arg(if std::env::var_os("MYC_NATS_TRACE").is_some() {
                "-DV"
            } else {
                "-D"
            })
            .arg("-l")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut server = Self {
            child,
            port,
            dir,
            kind,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // Ready is our server saying so and accepting: a connection alone could reach
            // another process that took the same free port meanwhile.
            let exited = server.child.try_wait()?;
            if exited.is_none()
                && server.log().contains("Server is ready")
                && TcpStream::connect(("127.0.0.1", port)).is_ok()
            {
                return Ok(server);
            }
            if let Some(status) = exited {
                let mut err = String::new();
                if let Some(mut stderr) = server.child.stderr.take() {
                    let _ = io::Read::read_to_string(&mut stderr, &mut err);
                }
                return Err(io::Error::other(format!(
                    "nats-server exited ({status}): {err}\n{}",
                    server.log()
                )));
            }
            if Instant::now() > deadline {
                return Err(io::Error::other(format!(
                    "nats-server did not accept in 10 s\n{}",
                    server.log()
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Which build runs.
    pub fn kind(&self) -> ServerKind {
        self.kind
    }

    /// The server's scratch directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("nats-server.log")).unwrap_or_default()
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
