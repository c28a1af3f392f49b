//! Child processes and scratch directories for tests that run the workspace's binaries.

use std::io::BufRead as _;
use std::path::PathBuf;

/// A child process killed (and reaped) on drop.
#[derive(Debug)]
pub struct Kill(pub std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The rest of the first line `child` prints on its (piped) stdout after `prefix`.
///
/// # Panics
/// When stdout is not piped, cannot be read, or the line does not start with `prefix`.
#[allow(clippy::expect_used, clippy::panic)]
pub fn first_line_after(child: &mut Kill, prefix: &str) -> String {
    let mut line = String::new();
    std::io::BufReader::new(child.0.stdout.take().expect("a piped stdout"))
        .read_line(&mut line)
        .expect("a line on stdout");
    line.trim()
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_owned()
}

/// A fresh directory under the system's temp dir, named `prefix-<random>`.
///
/// # Panics
/// When the directory cannot be created.
#[allow(clippy::expect_used)]
pub fn temp_dir(prefix: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    dir
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
