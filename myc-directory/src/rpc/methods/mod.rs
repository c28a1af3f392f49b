//! Every method served, one file per namespace (the role it needs): its [`MethodSpec`]s and
//! the calls into the use cases.

mod account_manager;
mod audit;
mod beginners;
mod gateway_manager;
mod guest_manager;
mod managers;
mod service;
mod staff;
mod subscriptions_manager;
mod system_manager;
mod tenant_manager;
mod tenant_owner;
mod users_manager;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Api;
use super::spec::{Effect, MethodSpec, rest};
use crate::usecase::{Caller, UseCaseError};

const DISCOVERY: &[MethodSpec] = &[MethodSpec {
    name: "rpc.discover",
    summary: "This server's OpenRPC document",
    params: &[],
    result: openrpc_document,
    effect: Effect::Read,
    rest: rest("GET", "/_adm/rpc/discover", super::spec::Success::Ok),
}];

fn openrpc_document() -> Value {
    serde_json::json!({ "type": "object", "description": "an OpenRPC 1.3 document" })
}

const NAMESPACES: &[&[MethodSpec]] = &[
    DISCOVERY,
    beginners::SPECS,
    managers::SPECS,
    tenant_owner::SPECS,
    tenant_manager::SPECS,
    subscriptions_manager::SPECS,
    guest_manager::SPECS,
    gateway_manager::SPECS,
    account_manager::SPECS,
    users_manager::SPECS,
    service::SPECS,
    staff::SPECS,
    system_manager::SPECS,
    audit::SPECS,
];

/// Every method served, `rpc.discover` first.
pub fn all() -> impl Iterator<Item = &'static MethodSpec> {
    NAMESPACES.iter().flat_map(|specs| specs.iter())
}

/// The spec of `name`, if it is served.
pub fn find(name: &str) -> Option<&'static MethodSpec> {
    all().find(|m| m.name == name)
}

/// Named params (an object; `null` reads as `{}`) into `T`.
pub(super) fn decode<T: DeserializeOwned>(params: Value) -> Result<T, UseCaseError> {
    let params = match params {
        Value::Null => Value::Object(serde_json::Map::new()),
        Value::Array(_) => {
            // Positional params are not part of upstream's interface: named only.
            return Err(UseCaseError::InvalidParams(
                "params are named (an object)".into(),
            ));
        }
        other => other,
    };
    serde_json::from_value(params).map_err(|e| UseCaseError::InvalidParams(e.to_string()))
}

/// A result as JSON.
pub(super) fn encode<T: Serialize>(value: T) -> Result<Value, UseCaseError> {
    serde_json::to_value(value)
        .map_err(|e| UseCaseError::Store(crate::store::Error::Database(e.to_string())))
}

/// What a namespace answers for a name it does not serve (never reached through [`find`]).
pub(super) fn unserved(name: &str) -> UseCaseError {
    UseCaseError::InvalidParams(format!("{name} is not served"))
}

/// Runs the method `name` (found by [`find`]).
pub(super) async fn run(
    api: &Api,
    caller: &Caller,
    name: &str,
    params: Value,
) -> Result<Value, UseCaseError> {
    let namespace = name.split_once('.').map_or(name, |(ns, _)| ns);
    match namespace {
        "rpc" => Ok(super::discover::document_with(api.public_methods())),
        "beginners" => beginners::run(api, caller, name, params).await,
        "managers" => managers::run(api, caller, name, params).await,
        "tenantOwner" => tenant_owner::run(api, caller, name, params).await,
        "tenantManager" => tenant_manager::run(api, caller, name, params).await,
        "subscriptionsManager" => subscriptions_manager::run(api, caller, name, params).await,
        "guestManager" => guest_manager::run(api, caller, name, params).await,
        "gatewayManager" => gateway_manager::run(api, caller, name, params).await,
        "accountManager" => account_manager::run(api, caller, name, params).await,
        "userManager" => users_manager::run(api, caller, name, params).await,
        "service" => service::run(api, caller, name, params).await,
        "staff" => staff::run(api, caller, name, params).await,
        "systemManager" => system_manager::run(api, caller, name, params).await,
        "audit" => audit::run(api, caller, name, params).await,
        _ => Err(unserved(name)),
    }
}

/// `encode(f(store, caller, decode(params)?).await?)`.
macro_rules! call {
    ($f:path, $api:expr, $caller:expr, $params:expr $(, $extra:expr)*) => {
        $crate::rpc::methods::encode($f($api.store(), $caller, $crate::rpc::methods::decode($params)? $(, $extra)*).await?)?
    };
}
pub(super) use call;

/// `f(...)` that invites a guest, then the invitation's message (when the host sends mail).
macro_rules! invite {
    ($f:path, $api:expr, $caller:expr, $params:expr) => {{
        let record = $f(
            $api.store(),
            $caller,
            $crate::rpc::methods::decode($params)?,
        )
        .await?;
        $api.invited(&record).await;
        $crate::rpc::methods::encode(record)?
    }};
}
pub(super) use invite;

/// `null` after `f(...)` succeeded.
macro_rules! call_unit {
    ($f:path, $api:expr, $caller:expr, $params:expr $(, $extra:expr)*) => {{
        $f($api.store(), $caller, $crate::rpc::methods::decode($params)? $(, $extra)*).await?;
        serde_json::Value::Null
    }};
}
pub(super) use call_unit;

use super::spec::schema as s;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_namespaced() {
        let names: Vec<&str> = all().map(|m| m.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "a method is listed twice");
        for m in all() {
            assert!(m.rest.path.starts_with("/_adm/"), "{}", m.name);
            for segment in m.rest.path.split('/') {
                if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    assert!(
                        m.param(name).is_some(),
                        "{}: {{{name}}} is not a param",
                        m.name
                    );
                }
            }
        }
    }

    #[test]
    fn rest_endpoints_are_unique() {
        let mut seen: Vec<(&str, &str)> = all().map(|m| (m.rest.method, m.rest.path)).collect();
        let n = seen.len();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), n, "two methods share a REST endpoint");
    }

    /// Every listed method reaches a use case: called with params no method accepts, each
    /// answers an invalid-params or forbidden error, never "not served".
    #[tokio::test]
    async fn every_listed_method_is_dispatched() {
        let store = crate::store::SqlStore::memory().await.unwrap();
        let api = Api::new(store);
        let caller = Caller {
            profile: std::sync::Arc::new(myc_profile::Profile::new(uuid::Uuid::new_v4())),
            tenant: None,
        };
        for m in all() {
            let params = serde_json::json!({ "no such param": true });
            if let Err(UseCaseError::InvalidParams(why)) = run(&api, &caller, m.name, params).await
            {
                assert!(
                    !why.ends_with("is not served"),
                    "{} is not dispatched",
                    m.name
                );
            }
        }
    }
}
