//! The one error type of the commands; each becomes one line on stderr and exit code 1
//! (`MissingConfig`: a usage error, exit code 2).

use std::path::PathBuf;

use myc_gateway::admin::{AdminError, MintError};
use myc_gateway::config::ConfigError;
use myc_gateway::demo::DemoError;
use myc_gateway::serve::ServeError;
use myc_gateway::store;
use myc_gateway::telegram::TelegramError;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// The command needs a configuration and none was given.
    #[error("this command needs --config FILE (or MYC_GATEWAY_CONFIG)")]
    MissingConfig,
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An admin operation refused or failed.
    #[error(transparent)]
    Admin(#[from] AdminError),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// A token could not be minted.
    #[error(transparent)]
    Mint(#[from] MintError),
    /// The gateway could not start or stopped with an error.
    #[error(transparent)]
    Serve(#[from] ServeError),
    /// The demo could not start.
    #[error(transparent)]
    Demo(#[from] DemoError),
    /// Telegram configuration failed.
    #[error(transparent)]
    Telegram(#[from] TelegramError),
    /// A file named on the command line.
    #[error("{}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong with it.
        message: String,
    },
    /// Standard input or output.
    #[error("{stream}: {source}")]
    Stdio {
        /// `stdin` or `stdout`.
        stream: &'static str,
        /// The failure.
        source: std::io::Error,
    },
    /// Input read from stdin is not what the command takes.
    #[error("stdin must be {0}")]
    Input(&'static str),
    /// The admin API refused the call (its message).
    #[error("{0}")]
    Refused(String),
    /// The thing named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A key rotation met concurrent changes.
    #[error("{0} DEKs changed during the rotation and were left as they were; run it again")]
    RotationConflicts(usize),
    /// Logging could not be set up.
    #[error("{0}")]
    Logging(String),
    /// The async runtime could not start.
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    /// Waiting for Ctrl-C failed.
    #[error("signal: {0}")]
    Signal(std::io::Error),
}
