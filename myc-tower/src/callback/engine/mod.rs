//! The engines that run callbacks: Rhai scripts in process, HTTP requests, child processes.

mod http;
mod process;
mod rhai;

use std::sync::Arc;

use bytes::Bytes;

use super::context::CallbackContext;
use super::definition::{Callback, Engine};

pub use self::rhai::MAX_OPERATIONS;

/// Why one attempt of a callback failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// The attempt ran past its timeout (a script is stopped, a child killed).
    #[error("timed out")]
    TimedOut,
    /// The Rhai script failed.
    #[error("script failed: {0}")]
    Script(String),
    /// The HTTP request could not be made.
    #[error("request failed: {0}")]
    Request(String),
    /// The HTTP receiver answered with a status that is not 2xx.
    #[error("receiver answered {0}")]
    Status(u16),
    /// The interpreter could not be started.
    #[error("could not start: {0}")]
    Spawn(String),
    /// The child process exited unsuccessfully (`None`: killed by a signal).
    #[error("exited with {0:?}")]
    Exit(Option<i32>),
}

/// A callback ready to run.
pub(crate) struct Prepared {
    pub(crate) callback: Callback,
    runner: Runner,
}

struct HttpTarget {
    sender: http::Sender,
    url: ::http::Uri,
    method: ::http::Method,
}

enum Runner {
    Rhai(Arc<rhai::Script>),
    Http(Box<HttpTarget>),
    Process(process::Program),
}

impl Prepared {
    /// Compiles scripts and checks URLs; `sender` carries HTTP callbacks.
    pub(crate) fn new(callback: Callback, tls: &Arc<rustls::ClientConfig>) -> Result<Self, String> {
        let runner = match &callback.engine {
            Engine::Rhai { script } => {
                Runner::Rhai(Arc::new(rhai::Script::compile(&callback.name, script)?))
            }
            Engine::Http { url, method } => {
                let uri: ::http::Uri = url.parse().map_err(|_| format!("{url:?} is not a URL"))?;
                if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
                    return Err(format!("{url:?} is not an http:// or https:// URL"));
                }
                if !matches!(
                    *method,
                    ::http::Method::POST
                        | ::http::Method::PUT
                        | ::http::Method::PATCH
                        | ::http::Method::DELETE
                ) {
                    return Err(format!("method {method} is not POST, PUT, PATCH or DELETE"));
                }
                Runner::Http(Box::new(HttpTarget {
                    sender: http::Sender::new(tls.clone()),
                    url: uri,
                    method: method.clone(),
                }))
            }
            Engine::Process {
                interpreter,
                script,
            } => Runner::Process(process::Program {
                interpreter: interpreter.clone(),
                script: script.clone(),
            }),
        };
        Ok(Self { callback, runner })
    }

    /// Whether it is a script (run on the script threads, needing no JSON).
    pub(crate) fn is_script(&self) -> bool {
        matches!(self.runner, Runner::Rhai(_))
    }

    /// A script's one run on this (blocking) thread; `None` for other engines.
    pub(crate) fn run_script_here(
        &self,
        context: &CallbackContext,
    ) -> Option<Result<(), CallbackError>> {
        match &self.runner {
            Runner::Rhai(script) => Some(script.run_here(context, self.callback.timeout)),
            _ => None,
        }
    }

    /// One attempt.
    async fn attempt(
        &self,
        context: &Arc<CallbackContext>,
        json: &Bytes,
    ) -> Result<(), CallbackError> {
        let timeout = self.callback.timeout;
        match &self.runner {
            Runner::Rhai(script) => script.run(context, timeout).await,
            Runner::Http(to) => {
                to.sender
                    .send(&to.url, &to.method, json.clone(), timeout)
                    .await
            }
            Runner::Process(program) => {
                let text = std::str::from_utf8(json).unwrap_or_default();
                program.run(&self.callback.name, text, timeout).await
            }
        }
    }

    /// Every attempt the callback allows, until one succeeds; the last error otherwise. A
    /// script is deterministic: it runs once.
    pub(crate) async fn run(
        &self,
        context: &Arc<CallbackContext>,
        json: &Bytes,
    ) -> Result<(), CallbackError> {
        let mut left = match self.runner {
            Runner::Rhai(_) => 0,
            _ => self.callback.retries,
        };
        loop {
            match self.attempt(context, json).await {
                Ok(()) => return Ok(()),
                Err(e) if left == 0 => return Err(e),
                Err(e) => {
                    tracing::debug!(callback = %self.callback.name, error = %e, "callback attempt failed; retrying");
                    left -= 1;
                    tokio::time::sleep(self.callback.retry_interval).await;
                }
            }
        }
    }
}
