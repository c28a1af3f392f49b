//! Python and JavaScript callbacks: `interpreter script CONTEXT_JSON` as a child process
//! with no stdin and the gateway's environment; exit status 0 is a success. The child is
//! killed at its deadline (and whenever its run is dropped). The first lines of its stderr
//! are logged at debug level when it fails.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::Command;

use super::CallbackError;

/// How much of a failing child's stderr is kept for the log.
const MAX_STDERR: u64 = 4 * 1024;

/// An interpreter and its script.
pub(crate) struct Program {
    pub(crate) interpreter: PathBuf,
    pub(crate) script: PathBuf,
}

impl Program {
    /// One run with `context` (JSON) as the argument.
    pub(crate) async fn run(
        &self,
        name: &str,
        context: &str,
        timeout: Duration,
    ) -> Result<(), CallbackError> {
        let mut child = Command::new(&self.interpreter)
            .arg(&self.script)
            .arg(context)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| CallbackError::Spawn(format!("{}: {e}", self.interpreter.display())))?;
        let stderr = child.stderr.take();
        let run = async {
            let mut text = String::new();
            if let Some(stderr) = stderr {
                let _ = stderr.take(MAX_STDERR).read_to_string(&mut text).await;
            }
            (child.wait().await, text)
        };
        let (status, stderr) = tokio::time::timeout(timeout, run)
            .await
            .map_err(|_| CallbackError::TimedOut)?;
        let status = status.map_err(|e| CallbackError::Spawn(e.to_string()))?;
        if status.success() {
            return Ok(());
        }
        if !stderr.is_empty() {
            tracing::debug!(callback = %name, stderr = %stderr.trim_end(), "callback process failed");
        }
        Err(CallbackError::Exit(status.code()))
    }
}
