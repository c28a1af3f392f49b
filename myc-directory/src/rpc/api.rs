//! [`Api`]: the admin API over a store; one call, a batch, notifications.

use serde_json::Value;

use super::methods;
use super::spec::{Effect, MethodSpec};
use super::wire::{Call, ErrorObject, Incoming, Response, codes};
use crate::store::SqlStore;
use crate::usecase::{Caller, UseCaseError};

/// Called after every call that changed the directory, so caches of resolved profiles can
/// forget what they hold (myc-tower's `Authenticator::forget_everyone`).
pub type ChangeHook = std::sync::Arc<dyn Fn() + Send + Sync>;

/// The admin API over a store.
#[derive(Clone)]
pub struct Api {
    store: SqlStore,
    changed: Option<ChangeHook>,
    keyring: Option<std::sync::Arc<myc_profile::HmacKeyring>>,
    catalog: Option<std::sync::Arc<crate::catalog::Catalog>>,
    tools: Option<crate::tools::Tools>,
    invitations: Option<crate::mail::invitations::Invitations>,
    webhook_keys: Option<std::sync::Arc<crate::webhooks::WebhookKeys>>,
    descriptions: std::sync::Arc<super::describe::Descriptions>,
    public: &'static [MethodSpec],
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl Api {
    /// The API over `store`.
    pub fn new(store: SqlStore) -> Self {
        Self {
            store,
            changed: None,
            keyring: None,
            catalog: None,
            tools: None,
            invitations: None,
            webhook_keys: None,
            descriptions: std::sync::Arc::default(),
            public: &[],
        }
    }

    /// Signs connection strings callers create for themselves (`beginners.tokens.create`)
    /// with `keyring`; without one that method answers an internal error.
    pub fn with_connection_strings(
        mut self,
        keyring: std::sync::Arc<myc_profile::HmacKeyring>,
    ) -> Self {
        self.keyring = Some(keyring);
        self
    }

    /// Calls `hook` after every call that changed the directory (myc-tower's
    /// `Authenticator::forget_everyone`, so the next request sees the change).
    pub fn on_change(mut self, hook: ChangeHook) -> Self {
        self.changed = Some(hook);
        self
    }

    fn changed(&self) {
        if let Some(hook) = &self.changed {
            hook();
        }
    }

    /// Answers `gatewayManager.routes.list` and `.services.list` from `catalog` (what the host
    /// routes); without one they answer that it is not configured.
    pub fn with_catalog(mut self, catalog: std::sync::Arc<crate::catalog::Catalog>) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// Answers `gatewayManager.tools.list` from `tools` (the host keeps them fetched); without
    /// them it answers that MCP tools are not configured.
    pub fn with_tools(mut self, tools: crate::tools::Tools) -> Self {
        self.tools = Some(tools);
        self
    }

    /// Sends an invitation message whenever a guest is invited (the host configured mail).
    pub fn with_invitations(mut self, invitations: crate::mail::invitations::Invitations) -> Self {
        self.invitations = Some(invitations);
        self
    }

    /// After an invitation was made: its message, when mail is configured and the
    /// invitation is new (a failure is logged; the invitation stands).
    pub(crate) async fn invited(
        &self,
        record: &crate::usecase::subscriptions_manager::GuestRecord,
    ) {
        let (Some(invitations), Some(tenant), true) =
            (&self.invitations, record.invited_to, record.created)
        else {
            return;
        };
        if let Err(e) = invitations
            .send(tenant, record.account_id, &record.email, record.role_id)
            .await
        {
            tracing::warn!(error = %e, "invitation message not queued");
        }
    }

    /// The host's tools, if given.
    pub(crate) fn tools(&self) -> Result<&crate::tools::Tools, UseCaseError> {
        self.tools
            .as_ref()
            .ok_or(UseCaseError::NotConfigured("MCP tools"))
    }

    /// Signs webhook deliveries and seals their credentials with `keys` (derived from the
    /// host's master key); without them deliveries are unsigned and credentials refused.
    pub fn with_webhook_keys(mut self, keys: std::sync::Arc<crate::webhooks::WebhookKeys>) -> Self {
        self.webhook_keys = Some(keys);
        self
    }

    /// The webhook keys, if given.
    pub(crate) fn webhook_keys(&self) -> Option<&crate::webhooks::WebhookKeys> {
        self.webhook_keys.as_deref()
    }

    /// The host's catalog, if given.
    pub(crate) fn catalog(&self) -> Result<&crate::catalog::Catalog, UseCaseError> {
        self.catalog
            .as_deref()
            .ok_or(UseCaseError::NotConfigured("routes and services"))
    }

    /// The keyring connection strings are signed with, if configured.
    pub(crate) fn keyring(&self) -> Result<&myc_profile::HmacKeyring, UseCaseError> {
        self.keyring
            .as_deref()
            .ok_or(UseCaseError::NotConfigured("connection strings"))
    }

    /// Lists `specs` in `rpc.discover` as methods answered before authentication (by a layer
    /// in front of this API, such as [`crate::login::rpc::public_first`]); a call of one that
    /// reaches this API anyway (in a batch with other methods) is refused with a hint.
    #[must_use]
    pub fn with_public_methods(mut self, specs: &'static [MethodSpec]) -> Self {
        self.public = specs;
        self
    }

    /// The methods answered before authentication, as listed by [`Self::with_public_methods`].
    pub fn public_methods(&self) -> &'static [MethodSpec] {
        self.public
    }

    /// The store the use cases run on.
    pub fn store(&self) -> &SqlStore {
        &self.store
    }

    /// The result of one call.
    pub async fn call(&self, caller: &Caller, call: Call) -> Result<Value, ErrorObject> {
        let Some(spec) = methods::find(&call.method) else {
            if self.public.iter().any(|m| m.name == call.method) {
                return Err(ErrorObject::new(
                    codes::INVALID_REQUEST,
                    format!(
                        "{} needs no credential: send it alone, or in a batch of only such methods",
                        call.method
                    ),
                ));
            }
            return Err(ErrorObject::new(
                codes::METHOD_NOT_FOUND,
                format!(
                    "method not found: {}",
                    call.method.chars().take(128).collect::<String>()
                ),
            ));
        };
        self.run(caller, spec, call.params).await
    }

    /// Runs the method `spec` with `params` (an object or `null`) for `caller`: what both
    /// transports call.
    pub async fn run(
        &self,
        caller: &Caller,
        spec: &'static MethodSpec,
        params: Value,
    ) -> Result<Value, ErrorObject> {
        let result = methods::run(self, caller, spec.name, params).await;
        if result.is_ok() && spec.effect == Effect::Write {
            self.changed();
            if spec.name.starts_with("systemManager.errorCodes.") {
                self.descriptions.forget();
            }
        }
        match result {
            Ok(value) => Ok(value),
            Err(e) => Err(self.described(ErrorObject::from(e)).await),
        }
    }

    /// `error` with the registry's message and details of its code, if registered.
    async fn described(&self, mut error: ErrorObject) -> ErrorObject {
        let name = error.myc_code().to_owned();
        if let Some(text) = self.descriptions.of(&self.store, &name).await {
            error.data = Some(serde_json::json!({ "code": name, "details": text }));
        }
        error
    }

    /// `beginners.accounts.create` for a caller whose credential verified as `email` but who
    /// has no account yet (what myc-tower's `AuthLayer::admit_unknown_accounts` lets through).
    pub async fn sign_up(&self, email: &str, params: Value) -> Result<Value, ErrorObject> {
        let run = async {
            let p = methods::decode(params)?;
            let account = crate::usecase::beginners::account_create(&self.store, email, p).await?;
            methods::encode(account)
        };
        let result: Result<Value, UseCaseError> = run.await;
        match result {
            Ok(value) => {
                self.changed();
                Ok(value)
            }
            Err(e) => Err(self.described(ErrorObject::from(e)).await),
        }
    }

    async fn answer(&self, caller: &Caller, entry: super::wire::Entry) -> Option<Response> {
        match entry {
            super::wire::Entry::Invalid { id, error } => Some(Response::error(id, error)),
            super::wire::Entry::Call(call) => {
                let id = call.id.clone();
                let result = self.call(caller, call).await;
                // A notification is run and answered with nothing.
                let id = id?;
                Some(match result {
                    Ok(value) => Response::result(id, value),
                    Err(error) => Response::error(id, error),
                })
            }
        }
    }

    /// The answer to a decoded body: one response, an array of them, or nothing (only
    /// notifications).
    pub async fn handle(&self, caller: &Caller, incoming: Incoming) -> Option<Value> {
        match incoming {
            Incoming::Single(entry) => {
                let response = self.answer(caller, entry).await?;
                serde_json::to_value(response).ok()
            }
            Incoming::Batch(entries) => {
                let mut responses = Vec::with_capacity(entries.len());
                for entry in entries {
                    if let Some(response) = self.answer(caller, entry).await {
                        responses.push(response);
                    }
                }
                if responses.is_empty() {
                    return None;
                }
                serde_json::to_value(responses).ok()
            }
        }
    }
}
