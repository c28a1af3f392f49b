//! Response callbacks (upstream's `[[callback]]`): side effects run after a route's
//! upstream has answered: an inline Rhai script, an HTTP request carrying the
//! [`CallbackContext`] as JSON, or a Python/JavaScript child process given the context as
//! its argument. They never change the response.
//!
//! - **Filters** ([`Filters`]): `triggeringMethods`, `triggeringStatusCodes`,
//!   `triggeringHeaders`, each with `oneof` / `allof` / `noneof`; the context is built only
//!   when some callback passes.
//! - **Modes** ([`Mode`]): `fireAndForget` (the default) puts the response's callbacks on a
//!   bounded queue and returns at once; a full queue drops them and counts the drop
//!   ([`Stats::dropped`]), so a slow receiver can never hold requests or memory.
//!   `parallel` and `sequential` hold the response until the callbacks end.
//! - **Bounds**: every attempt has its timeout in every mode (a Rhai script is stopped at
//!   its deadline and after [`MAX_OPERATIONS`]; a child process is killed); HTTP and
//!   process callbacks are retried `retries` times `retry_interval` apart; a script runs
//!   once. Queued scripts run on [`Settings::script_threads`] dedicated threads (no task or
//!   blocking-pool hop per response; the context is never serialized for them); at most
//!   [`Settings::concurrency`] queued HTTP and process callbacks run at once as tasks.
//!
//! Layer order: put [`CallbackLayer`] inside the authentication layer, so the context's
//! `user_info` is the verified caller, and have the forwarder put a [`DownstreamUrl`] in
//! the response's extensions.
//!
//! ```
//! use std::sync::Arc;
//! use http::{Request, Response, StatusCode};
//! use myc_profile::SecurityGroup;
//! use myc_tower::callback::{Callback, CallbackLayer, Callbacks, Engine, Settings};
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let tls = myc_tower::tls::client_config(&[])?;
//! let slow = Callback::new("slow-responses", Engine::Rhai {
//!     script: r#"if duration_ms > 1000 { log_warn("slow: " + upstream_path) }"#.into(),
//! });
//! let callbacks = Callbacks::new(vec![slow], Settings::new(tls))?;
//! let route = callbacks.select(&["slow-responses".to_owned()])?;
//! let service = ServiceBuilder::new()
//!     .layer(CallbackLayer::new(route, SecurityGroup::Public))
//!     .service_fn(|_: Request<String>| async {
//!         Ok::<_, std::convert::Infallible>(Response::new(String::from("hello")))
//!     });
//! let response = service.oneshot(Request::new(String::new())).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//! # Ok(())
//! # }
//! ```

mod context;
mod definition;
mod engine;
mod future;
mod layer;
mod service;
mod set;

pub use context::{CallbackContext, UserInfo};
pub use definition::{Blocked, Callback, Engine, Filter, Filters, Mode, Statement};
pub use engine::{CallbackError, MAX_OPERATIONS};
pub use future::ResponseFuture;
pub use layer::CallbackLayer;
pub use service::CallbackService;
pub use set::{
    BuildError, Callbacks, DEFAULT_CONCURRENCY, DEFAULT_QUEUE, DEFAULT_SCRIPT_THREADS,
    RouteCallbacks, Settings, Stats,
};

/// Where a response came from (scheme, host and path): the forwarder puts it in the
/// response's extensions for the context's `downstream_url`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownstreamUrl(pub String);
