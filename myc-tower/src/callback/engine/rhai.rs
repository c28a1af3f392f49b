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
    /// The context variables its source names.
    variables: Vec<&'static str>,
}

impl Script {
    /// Compiles `source`; `name` tags its log lines.
    pub(crate) fn compile(name: &str, source: &str) -> Result<Self, String> {
        let mut engine = Engine::new();
        engine.disable_symbol("eval");
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
        Ok(Self {
            engine,
            ast,
            variables: variables_named(source),
        })
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
        let mut scope = scope_of(context, &self.variables);
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

/// The context's variables, in the order [`value_of`] knows them.
const VARIABLES: [&str; 12] = [
    "status_code",
    "duration_ms",
    "headers",
    "response_headers",
    "method",
    "upstream_path",
    "downstream_url",
    "timestamp",
    "request_id",
    "client_ip",
    "security_group",
    "user_info",
];

/// Which of [`VARIABLES`] a script's source names (a word of the source, strings and
/// comments included: a false positive only costs a value built for nothing). `eval` is
/// disabled, so a script cannot reach a variable its source does not name.
fn variables_named(source: &str) -> Vec<&'static str> {
    let words: std::collections::HashSet<&str> = source
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    VARIABLES
        .iter()
        .copied()
        .filter(|v| words.contains(v))
        .collect()
}

/// The value of context variable `name`.
fn value_of(context: &CallbackContext, name: &str) -> Dynamic {
    let optional = |v: &Option<String>| v.clone().map_or(Dynamic::UNIT, Dynamic::from);
    let json = |v: serde_json::Result<serde_json::Value>| {
        v.ok()
            .and_then(|v| rhai::serde::to_dynamic(v).ok())
            .unwrap_or(Dynamic::UNIT)
    };
    match name {
        "status_code" => Dynamic::from(i64::from(context.status_code)),
        "duration_ms" => Dynamic::from(i64::try_from(context.duration_ms).unwrap_or(i64::MAX)),
        "headers" | "response_headers" => {
            let headers: Map = CallbackContext::headers_of(&context.response_headers)
                .into_iter()
                .map(|(k, v)| (k.into(), Dynamic::from(v)))
                .collect();
            Dynamic::from(headers)
        }
        "method" => Dynamic::from(context.method.clone()),
        "upstream_path" => Dynamic::from(context.upstream_path.clone()),
        "downstream_url" => Dynamic::from(context.downstream_url.clone()),
        "timestamp" => Dynamic::from(CallbackContext::rfc3339(&context.timestamp)),
        "request_id" => optional(&context.request_id),
        "client_ip" => optional(&context.client_ip),
        "security_group" => json(serde_json::to_value(&context.security_group)),
        "user_info" => json(serde_json::to_value(&context.user_info)),
        _ => Dynamic::UNIT,
    }
}

/// The variables `names` of `context` (`headers` and `response_headers` are the same map).
fn scope_of(context: &CallbackContext, names: &[&'static str]) -> Scope<'static> {
    let mut scope = Scope::new();
    for name in names {
        scope.push_dynamic(*name, value_of(context, name));
    }
    scope
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_named_variables_are_built_and_eval_is_gone() {
        assert_eq!(
            variables_named("if status_code >= 500 { log_error(\"x\" + headers[\"a\"]) }"),
            ["status_code", "headers"]
        );
        assert!(variables_named("let x = my_headers;").is_empty());
        assert!(Script::compile("t", "eval(\"status\" + \"_code\")").is_err());
    }
}
