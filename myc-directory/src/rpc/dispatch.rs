//! Calls to use cases: one call, a batch, notifications.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::methods;
use super::wire::{Call, ErrorObject, Incoming, Response, codes};
use crate::store::SqlStore;
use crate::usecase::{self, Caller, UseCaseError};

/// Told the e-mail of every account whose profile an admin call changed (a guest added,
/// revoked or accepted), so caches of resolved profiles can forget it.
pub type ChangeHook = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

impl From<UseCaseError> for ErrorObject {
    fn from(e: UseCaseError) -> Self {
        match e {
            UseCaseError::Forbidden(why) => ErrorObject::forbidden(why, "MYC00019"),
            UseCaseError::InvalidParams(why) | UseCaseError::NotFound(why) => {
                ErrorObject::invalid_params(why)
            }
            UseCaseError::Conflict(why) => ErrorObject::new(codes::CONFLICT, why),
            UseCaseError::NotConfigured(what) => ErrorObject::new(
                codes::INTERNAL_ERROR,
                format!("{what} are not configured on this server"),
            ),
            UseCaseError::Store(e) => {
                tracing::error!(error = %e, "admin API: store failed");
                ErrorObject::new(codes::INTERNAL_ERROR, "internal error")
            }
        }
    }
}

fn params<T: DeserializeOwned>(params: Value) -> Result<T, ErrorObject> {
    // Positional params are not part of upstream's interface: named only.
    if params.is_array() {
        return Err(ErrorObject::invalid_params("params are named (an object)"));
    }
    serde_json::from_value(params).map_err(|e| ErrorObject::invalid_params(e.to_string()))
}

fn to_value<T: serde::Serialize>(value: T) -> Result<Value, ErrorObject> {
    serde_json::to_value(value)
        .map_err(|_| ErrorObject::new(codes::INTERNAL_ERROR, "internal error"))
}

/// The admin API over a store.
#[derive(Clone)]
pub struct Api {
    store: SqlStore,
    changed: Option<ChangeHook>,
    keyring: Option<std::sync::Arc<myc_profile::HmacKeyring>>,
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

    /// Calls `hook` with the e-mail of every account whose profile a call changed (myc-tower's
    /// `Authenticator::forget_account`, so the next request sees the change).
    pub fn on_profile_change(mut self, hook: ChangeHook) -> Self {
        self.changed = Some(hook);
        self
    }

    fn changed(&self, email: &str) {
        if let Some(hook) = &self.changed {
            hook(email);
        }
    }

    /// The store the use cases run on.
    pub fn store(&self) -> &SqlStore {
        &self.store
    }

    /// `managers.tenants.create`, telling the change hook about the new owner.
    pub async fn create_tenant(
        &self,
        caller: &Caller,
        params: usecase::managers::CreateTenant,
    ) -> Result<usecase::managers::TenantRecord, UseCaseError> {
        let (tenant, owner) =
            usecase::managers::tenants_create(&self.store, caller, params).await?;
        if let Some(owner) = owner {
            self.changed(&owner);
        }
        Ok(tenant)
    }

    /// `userManager.account.activate` / `.deactivate`, telling the change hook about every
    /// owner of the account.
    pub async fn set_account_active(
        &self,
        caller: &Caller,
        params: usecase::users_manager::AccountId,
        active: bool,
    ) -> Result<(), UseCaseError> {
        for email in usecase::users_manager::set_active(&self.store, caller, params, active).await?
        {
            self.changed(&email);
        }
        Ok(())
    }

    /// `beginners.tokens.create` with the keyring this API was given.
    pub async fn create_token(
        &self,
        caller: &Caller,
        params: usecase::tokens::CreateToken,
    ) -> Result<zeroize::Zeroizing<String>, UseCaseError> {
        let keyring = self
            .keyring
            .as_deref()
            .ok_or(UseCaseError::NotConfigured("connection strings"))?;
        usecase::tokens::create(&self.store, keyring, caller, params).await
    }

    /// `beginners.guests.acceptInvitation`, telling the change hook.
    pub async fn accept_invitation(
        &self,
        caller: &Caller,
        params: usecase::beginners::AcceptInvitation,
    ) -> Result<(), UseCaseError> {
        let email = usecase::beginners::accept_invitation(&self.store, caller, params).await?;
        self.changed(&email);
        Ok(())
    }

    /// `subscriptionsManager.guests.revokeUserGuestToSubscriptionAccount`, telling the hook.
    pub async fn revoke_guest(
        &self,
        caller: &Caller,
        params: usecase::subscriptions_manager::GuestParams,
    ) -> Result<(), UseCaseError> {
        let email =
            usecase::subscriptions_manager::revoke_guest(&self.store, caller, params).await?;
        self.changed(&email);
        Ok(())
    }

    /// The result of one call.
    pub async fn call(&self, caller: &Caller, call: Call) -> Result<Value, ErrorObject> {
        match call.method.as_str() {
            methods::RPC_DISCOVER => Ok(super::discover::document()),
            methods::BEGINNERS_PROFILE_GET => {
                let p = params(call.params)?;
                to_value(usecase::beginners::profile_get(caller, p)?)
            }
            methods::TOKENS_CREATE => {
                let p = params(call.params)?;
                let value = self.create_token(caller, p).await?;
                Ok(serde_json::json!({ "connectionString": value.as_str() }))
            }
            methods::TOKENS_LIST => {
                params::<serde_json::Map<String, Value>>(call.params)?;
                to_value(usecase::tokens::list(&self.store, caller).await?)
            }
            methods::TOKENS_REVOKE => {
                let p = params(call.params)?;
                usecase::tokens::revoke(&self.store, caller, p).await?;
                Ok(Value::Null)
            }
            methods::MANAGERS_TENANTS_LIST => {
                let p = params(call.params)?;
                to_value(usecase::managers::tenants_list(&self.store, caller, p).await?)
            }
            methods::MANAGERS_TENANTS_CREATE => {
                let p = params(call.params)?;
                to_value(self.create_tenant(caller, p).await?)
            }
            methods::SUBSCRIPTIONS_CREATE_ACCOUNT => {
                let p = params(call.params)?;
                let account = usecase::subscriptions_manager::create_subscription_account(
                    &self.store,
                    caller,
                    p,
                )
                .await?;
                to_value(account)
            }
            methods::SUBSCRIPTIONS_GUEST_USER => {
                let p = params(call.params)?;
                to_value(usecase::subscriptions_manager::guest_user(&self.store, caller, p).await?)
            }
            methods::SUBSCRIPTIONS_REVOKE_GUEST => {
                let p = params(call.params)?;
                self.revoke_guest(caller, p).await?;
                Ok(Value::Null)
            }
            methods::GUEST_ROLES_CREATE => {
                let p = params(call.params)?;
                to_value(usecase::guests_manager::create_guest_role(&self.store, caller, p).await?)
            }
            methods::GUEST_ROLES_LIST => {
                let p = params(call.params)?;
                to_value(usecase::guests_manager::list_guest_roles(&self.store, caller, p).await?)
            }
            methods::USERS_ACTIVATE | methods::USERS_DEACTIVATE => {
                let active = call.method == methods::USERS_ACTIVATE;
                let p = params(call.params)?;
                self.set_account_active(caller, p, active).await?;
                Ok(Value::Null)
            }
            methods::AUDIT_TRAIL => {
                let p = params(call.params)?;
                to_value(usecase::trail::fetch(&self.store, caller, p).await?)
            }
            methods::BEGINNERS_ACCEPT_INVITATION => {
                let p = params(call.params)?;
                let email = usecase::beginners::accept_invitation(&self.store, caller, p).await?;
                self.changed(&email);
                Ok(Value::Null)
            }
            other => Err(ErrorObject::new(
                codes::METHOD_NOT_FOUND,
                format!(
                    "method not found: {}",
                    other.chars().take(128).collect::<String>()
                ),
            )),
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
