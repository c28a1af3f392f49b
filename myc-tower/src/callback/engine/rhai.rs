//! Inline Rhai scripts: compiled once, run on the blocking pool with the context as
//! variables, stopped at their deadline or operation budget.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rhai::{AST, Dynamic, Engine, Map, Scope};

use super::super::context::CallbackContext;
use super::CallbackError;

/// Operations one run may take besides its time limit.
pub const MAX_OPERATIONS: u64 = 50_000_000;

thread_local! {
    /// The running script's deadline (scripts run on blocking threads, one at a time each).
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// A compiled script.
pub(crate) struct Script {
    engine: Engine,
    ast: AST,
}

impl Script {
    /// Compiles `source`; `name` tags its log lines.
    pub(crate) fn compile(name: &str, source: &str) -> Result<Self, String> {
        let mut engine = Engine::new();
        engine
            .set_max_operations(MAX_OPERATIONS)
            .set_max_call_levels(32)
            .set_max_expr_depths(64, 32)
            .set_max_string_size(64 * 1024)
            .set_max_array_size(10_000)
            .set_max_map_size(10_000);
        engine.on_progress(|ops| {
            if ops % 256 != 0 {
                return None;
            }
            let past = DEADLINE.with(|d| d.get().is_some_and(|at| Instant::now() >= at));
            past.then(|| Dynamic::from("deadline"))
        });
        // `print`/`debug` go to the log, never to the gateway's stdout.
        let tag = name.to_owned();
        engine.on_print(move |text| tracing::info!(callback = %tag, "{text}"));
        let tag = name.to_owned();
        engine.on_debug(move |text, _, _| tracing::debug!(callback = %tag, "{text}"));
        let tag = name.to_owned();
        engine.register_fn(
            "log_info",
            move |text: &str| tracing::info!(callback = %tag, "{text}"),
        );
        let tag = name.to_owned();
        engine.register_fn(
            "log_warn",
            move |text: &str| tracing::warn!(callback = %tag, "{text}"),
        );
        let tag = name.to_owned();
        engine.register_fn(
            "log_error",
            move |text: &str| tracing::error!(callback = %tag, "{text}"),
        );
        let ast = engine.compile(source).map_err(|e| e.to_string())?;
        Ok(Self { engine, ast })
    }

    /// Runs the script once with `context`, at most `timeout`, on the blocking pool.
    pub(crate) async fn run(
        self: &Arc<Self>,
        context: &Arc<CallbackContext>,
        timeout: Duration,
    ) -> Result<(), CallbackError> {
        let script = self.clone();
        let context = context.clone();
        tokio::task::spawn_blocking(move || script.run_here(&context, timeout))
            .await
            .map_err(|e| CallbackError::Script(format!("the script's thread failed: {e}")))?
    }

    /// Runs the script once on this thread (a blocking one), at most `timeout`.
    pub(crate) fn run_here(
        &self,
        context: &CallbackContext,
        timeout: Duration,
    ) -> Result<(), CallbackError> {
        DEADLINE.with(|d| d.set(Some(Instant::now() + timeout)));
        let mut scope = scope_of(context);
        let outcome = self.engine.run_ast_with_scope(&mut scope, &self.ast);
        DEADLINE.with(|d| d.set(None));
        match outcome {
            Ok(()) => Ok(()),
            Err(e) => match *e {
                rhai::EvalAltResult::ErrorTerminated(..) => Err(CallbackError::TimedOut),
                rhai::EvalAltResult::ErrorTooManyOperations(..) => {
                    Err(CallbackError::Script("operation budget exhausted".into()))
                }
                other => Err(CallbackError::Script(other.to_string())),
            },
        }
    }
}

/// The context's fields as variables (`headers` and `response_headers` are the same map).
fn scope_of(context: &CallbackContext) -> Scope<'static> {
    let mut scope = Scope::new();
    let headers: Map = context
        .response_headers
        .iter()
        .map(|(k, v)| (k.as_str().into(), Dynamic::from(v.clone())))
        .collect();
    let optional = |v: &Option<String>| v.clone().map_or(Dynamic::UNIT, Dynamic::from);
    scope
        .push("status_code", i64::from(context.status_code))
        .push(
            "duration_ms",
            i64::try_from(context.duration_ms).unwrap_or(i64::MAX),
        )
        .push("headers", headers.clone())
        .push("response_headers", headers)
        .push("method", context.method.clone())
        .push("upstream_path", context.upstream_path.clone())
        .push("downstream_url", context.downstream_url.clone())
        .push("timestamp", context.timestamp.clone())
        .push("request_id", optional(&context.request_id))
        .push("client_ip", optional(&context.client_ip))
        .push(
            "security_group",
            serde_json::to_value(&context.security_group)
                .ok()
                .and_then(|v| rhai::serde::to_dynamic(v).ok())
                .unwrap_or(Dynamic::UNIT),
        )
        .push(
            "user_info",
            serde_json::to_value(&context.user_info)
                .ok()
                .and_then(|v| rhai::serde::to_dynamic(v).ok())
                .unwrap_or(Dynamic::UNIT),
        );
    scope
}
