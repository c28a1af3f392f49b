//! Log output: `[api.logging]` in upstream's shape, and `RUST_LOG`.
//!
//! ```toml
//! [api.logging]
//! level = "info"                 # or any RUST_LOG-style filter: "info,myc_tower=debug"
//! format = "ansi"                # human-readable lines; "jsonl": one JSON object a line
//! target = "stderr"              # the default here; "stdout", or { file = { path = "logs/api.log" } }
//! ```
//!
//! `RUST_LOG`, when set, replaces `level`. A file target is opened for appending and created
//! private (0600) with its directory, relative paths from the config file's folder. Upstream's
//! `{ collector = … }` (OpenTelemetry) is accepted and logged to stderr, with a warning.
//! Without `[api.logging]` the gateway logs `info` lines to stderr (stdout carries the
//! commands' output, such as `listening on …`).

use crate::config::KeyError;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// `[api.logging]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLogging {
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    format: Option<LogFormat>,
    #[serde(default)]
    target: Option<RawTarget>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawTarget {
    Named(String),
    Table(RawTargetTable),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawTargetTable {
    #[serde(default)]
    file: Option<RawFile>,
    #[serde(default)]
    collector: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    path: String,
}

/// How lines look.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (colours only on a terminal).
    #[default]
    Ansi,
    /// One JSON object a line.
    Jsonl,
}

/// Where lines go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum LogTarget {
    /// Standard error (the default).
    #[default]
    Stderr,
    /// Standard output.
    Stdout,
    /// A file, appended to (created 0600).
    File(PathBuf),
}

/// Resolved `[api.logging]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggingSettings {
    /// A `RUST_LOG`-style filter (`info`).
    pub level: String,
    /// Line format.
    pub format: LogFormat,
    /// Destination.
    pub target: LogTarget,
    /// `target = { collector = … }` was asked for (not supported; stderr is used).
    pub collector_requested: bool,
}

impl Default for LoggingSettings {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Ansi,
            target: LogTarget::Stderr,
            collector_requested: false,
        }
    }
}

impl RawLogging {
    /// Resolves paths against `base`; errors are (key, message).
    pub(crate) fn resolve(self, base: &Path) -> Result<LoggingSettings, KeyError> {
        let level = self.level.unwrap_or_else(|| "info".into());
        tracing_subscriber::EnvFilter::builder()
            .parse(&level)
            .map_err(|e| KeyError::new("api.logging.level", e.to_string()))?;
        let mut collector_requested = false;
        let target = match self.target {
            None => LogTarget::Stderr,
            Some(RawTarget::Named(name)) => match name.as_str() {
                "stdout" => LogTarget::Stdout,
                "stderr" => LogTarget::Stderr,
                other => {
                    return Err(KeyError::new(
                        "api.logging.target",
                        format!(
                            "{other:?}: expected \"stdout\", \"stderr\" or {{ file = {{ path = … }} }}"
                        ),
                    ));
                }
            },
            Some(RawTarget::Table(RawTargetTable {
                file: Some(file),
                collector: None,
            })) => LogTarget::File(base.join(file.path)),
            Some(RawTarget::Table(RawTargetTable {
                file: None,
                collector: Some(_),
            })) => {
                collector_requested = true;
                LogTarget::Stderr
            }
            Some(RawTarget::Table(_)) => {
                return Err(KeyError::new(
                    "api.logging.target",
                    "set exactly one of file or collector",
                ));
            }
        };
        Ok(LoggingSettings {
            level,
            format: self.format.unwrap_or_default(),
            target,
            collector_requested,
        })
    }
}

/// Opens a log file for appending, created private with its directory.
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Installs the global subscriber `settings` describe (`RUST_LOG` replaces the level).
pub fn init(settings: &LoggingSettings) -> Result<(), String> {
    use tracing_subscriber::fmt::writer::BoxMakeWriter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(env) if !env.trim().is_empty() => tracing_subscriber::EnvFilter::builder()
            .parse(&env)
            .map_err(|e| format!("RUST_LOG: {e}"))?,
        _ => tracing_subscriber::EnvFilter::builder()
            .parse(&settings.level)
            .map_err(|e| format!("api.logging.level: {e}"))?,
    };
    let (writer, terminal) = match &settings.target {
        LogTarget::Stderr => (
            BoxMakeWriter::new(std::io::stderr),
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
        ),
        LogTarget::Stdout => (
            BoxMakeWriter::new(std::io::stdout),
            std::io::IsTerminal::is_terminal(&std::io::stdout()),
        ),
        LogTarget::File(path) => {
            let file = open_private(path)
                .map_err(|e| format!("api.logging.target: cannot open {}: {e}", path.display()))?;
            (BoxMakeWriter::new(std::sync::Mutex::new(file)), false)
        }
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let installed = match settings.format {
        LogFormat::Ansi => builder.with_ansi(terminal).try_init(),
        LogFormat::Jsonl => builder.json().with_current_span(false).try_init(),
    };
    installed.map_err(|e| format!("logging: {e}"))?;
    if settings.collector_requested {
        tracing::warn!(
            "api.logging.target.collector (OpenTelemetry) is not supported; logging to stderr"
        );
    }
    Ok(())
}
