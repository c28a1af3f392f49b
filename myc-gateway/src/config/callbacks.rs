//! `[[callback]]` definitions (upstream writes them after `[api.callbacks]`) and
//! `[api] callbackExecutionMode`, checked at load time: a script that does not compile is
//! refused by the gateway's build, a missing key or script file here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use myc_tower::callback::{Callback, Engine, Filter, Filters, Mode, Statement};
use serde::Deserialize;

use super::KeyError;

/// Callbacks and how routes run them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackSettings {
    /// `callbackExecutionMode`.
    pub mode: Mode,
    /// Every `[[callback]]`, in file order.
    pub definitions: Vec<Callback>,
    /// Responses whose fire-and-forget callbacks may wait (`[gateway.callbacks] queue`,
    /// 1024); one more is dropped and counted.
    pub queue: usize,
    /// Queued callbacks running at once (`[gateway.callbacks] concurrency`, 64).
    pub concurrency: usize,
}

/// `[gateway.callbacks]`: the bounds of the fire-and-forget queue (ours; upstream has none).
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBounds {
    #[serde(default)]
    queue: Option<usize>,
    #[serde(default)]
    concurrency: Option<usize>,
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum RawMode {
    FireAndForget,
    Parallel,
    Sequential,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
enum RawStatement {
    #[serde(alias = "oneOf", alias = "OneOf")]
    #[serde(rename = "oneof")]
    Any,
    #[serde(alias = "allOf", alias = "AllOf")]
    #[serde(rename = "allof")]
    Every,
    #[serde(alias = "noneOf", alias = "NoneOf")]
    #[serde(rename = "noneof")]
    Neither,
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Rhai,
    Http,
    Python,
    Javascript,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawCallback {
    name: String,
    #[serde(rename = "type")]
    kind: Kind,
    #[serde(default, alias = "timeout_ms")]
    timeout_ms: Option<u64>,
    #[serde(default, alias = "retry_count")]
    retry_count: Option<u32>,
    #[serde(default, alias = "retry_interval_ms")]
    retry_interval_ms: Option<u64>,
    #[serde(default)]
    script: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default, alias = "script_path")]
    script_path: Option<PathBuf>,
    #[serde(default, alias = "python_path")]
    python_path: Option<PathBuf>,
    #[serde(default, alias = "node_path")]
    node_path: Option<PathBuf>,
    #[serde(default, alias = "triggering_methods")]
    triggering_methods: Option<BTreeMap<RawStatement, Vec<String>>>,
    #[serde(default, alias = "triggering_status_codes")]
    triggering_status_codes: Option<BTreeMap<RawStatement, Vec<u16>>>,
    #[serde(default, alias = "triggering_headers")]
    triggering_headers: Option<BTreeMap<RawStatement, BTreeMap<String, String>>>,
}

/// Validates every definition; file paths are relative to `base`.
pub(super) fn resolve(
    raw: Vec<RawCallback>,
    mode: Option<RawMode>,
    bounds: &RawBounds,
    base: &Path,
) -> Result<CallbackSettings, KeyError> {
    for (key, value) in [("queue", bounds.queue), ("concurrency", bounds.concurrency)] {
        if value == Some(0) {
            return Err(KeyError::new(
                format!("gateway.callbacks.{key}"),
                "must be at least 1",
            ));
        }
    }
    let mut definitions: Vec<Callback> = Vec::with_capacity(raw.len());
    for (i, raw) in raw.into_iter().enumerate() {
        let key = format!("api.callbacks[{i}]");
        let callback = one(raw, &key, base)?;
        if definitions.iter().any(|c| c.name == callback.name) {
            return Err(KeyError::new(
                format!("{key}.name"),
                format!("callback {:?} is defined twice", callback.name),
            ));
        }
        definitions.push(callback);
    }
    Ok(CallbackSettings {
        mode: match mode {
            None | Some(RawMode::FireAndForget) => Mode::FireAndForget,
            Some(RawMode::Parallel) => Mode::Parallel,
            Some(RawMode::Sequential) => Mode::Sequential,
        },
        definitions,
        queue: bounds.queue.unwrap_or(myc_tower::callback::DEFAULT_QUEUE),
        concurrency: bounds
            .concurrency
            .unwrap_or(myc_tower::callback::DEFAULT_CONCURRENCY),
    })
}

fn one(raw: RawCallback, key: &str, base: &Path) -> Result<Callback, KeyError> {
    let unexpected = |field: &str, present: bool| {
        if present {
            Err(KeyError::new(
                format!("{key}.{field}"),
                format!("is not a key of a {} callback", kind_name(raw.kind)),
            ))
        } else {
            Ok(())
        }
    };
    let needed = |field: &str| {
        KeyError::new(
            format!("{key}.{field}"),
            format!("a {} callback needs it", kind_name(raw.kind)),
        )
    };
    let is_process = matches!(raw.kind, Kind::Python | Kind::Javascript);
    unexpected(
        "script",
        raw.script.is_some() && !matches!(raw.kind, Kind::Rhai),
    )?;
    unexpected("url", raw.url.is_some() && !matches!(raw.kind, Kind::Http))?;
    unexpected(
        "method",
        raw.method.is_some() && !matches!(raw.kind, Kind::Http),
    )?;
    unexpected("scriptPath", raw.script_path.is_some() && !is_process)?;
    unexpected(
        "pythonPath",
        raw.python_path.is_some() && !matches!(raw.kind, Kind::Python),
    )?;
    unexpected(
        "nodePath",
        raw.node_path.is_some() && !matches!(raw.kind, Kind::Javascript),
    )?;
    let engine = match raw.kind {
        Kind::Rhai => Engine::Rhai {
            script: raw.script.clone().ok_or_else(|| needed("script"))?,
        },
        Kind::Http => {
            let method = raw.method.as_deref().unwrap_or("POST").to_ascii_uppercase();
            if !matches!(method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE") {
                return Err(KeyError::new(
                    format!("{key}.method"),
                    format!("{method:?} is not POST, PUT, PATCH or DELETE"),
                ));
            }
            Engine::Http {
                url: raw.url.clone().ok_or_else(|| needed("url"))?,
                method: method.parse().map_err(|_| needed("method"))?,
            }
        }
        Kind::Python | Kind::Javascript => {
            let script = base.join(
                raw.script_path
                    .as_ref()
                    .ok_or_else(|| needed("scriptPath"))?,
            );
            if !script.is_file() {
                return Err(KeyError::new(
                    format!("{key}.scriptPath"),
                    format!("{} is not a readable file", script.display()),
                ));
            }
            let interpreter = match raw.kind {
                Kind::Python => raw.python_path.clone().unwrap_or_else(|| "python3".into()),
                _ => raw.node_path.clone().unwrap_or_else(|| "node".into()),
            };
            Engine::Process {
                interpreter,
                script,
            }
        }
    };
    let mut callback = Callback::new(raw.name.clone(), engine);
    if let Some(ms) = raw.timeout_ms {
        if ms == 0 {
            return Err(KeyError::new(
                format!("{key}.timeoutMs"),
                "must be positive",
            ));
        }
        callback.timeout = Duration::from_millis(ms);
    }
    if let Some(n) = raw.retry_count {
        callback.retries = n.min(20);
    }
    if let Some(ms) = raw.retry_interval_ms {
        callback.retry_interval = Duration::from_millis(ms);
    }
    callback.filters = filters(&raw, key)?;
    Ok(callback)
}

fn filters(raw: &RawCallback, key: &str) -> Result<Filters, KeyError> {
    let methods = raw
        .triggering_methods
        .as_ref()
        .map(|f| {
            f.iter()
                .map(|(s, names)| {
                    let parsed = names
                        .iter()
                        .map(|n| {
                            http::Method::from_bytes(n.to_ascii_uppercase().as_bytes()).map_err(
                                |_| {
                                    KeyError::new(
                                        format!("{key}.triggeringMethods"),
                                        format!("{n:?} is not an HTTP method"),
                                    )
                                },
                            )
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok((statement(*s), parsed))
                })
                .collect::<Result<Filter<_>, KeyError>>()
        })
        .transpose()?;
    Ok(Filters {
        methods,
        status_codes: raw
            .triggering_status_codes
            .as_ref()
            .map(|f| f.iter().map(|(s, v)| (statement(*s), v.clone())).collect()),
        headers: raw.triggering_headers.as_ref().map(|f| {
            f.iter()
                .map(|(s, pairs)| {
                    let lower = pairs
                        .iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                        .collect();
                    (statement(*s), lower)
                })
                .collect()
        }),
    })
}

fn statement(raw: RawStatement) -> Statement {
    match raw {
        RawStatement::Any => Statement::OneOf,
        RawStatement::Every => Statement::AllOf,
        RawStatement::Neither => Statement::NoneOf,
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Rhai => "rhai",
        Kind::Http => "http",
        Kind::Python => "python",
        Kind::Javascript => "javascript",
    }
}
