//! `service.*`: what discovery clients and AI agents may call through the gateway.

use serde_json::Value;

use super::s::*;
use super::{decode, encode, unserved};
use crate::rpc::Api;
use crate::rpc::spec::{Effect, MethodSpec, Success, optional, rest};
use crate::usecase::gateway_manager as uc;
use crate::usecase::{Caller, UseCaseError};

fn discoverable() -> Value {
    serde_json::json!({
        "oneOf": [
            { "type": "null" },
            object(&["description", "contexts", "tools"]),
        ],
    })
}

pub(super) const SPECS: &[MethodSpec] = &[MethodSpec {
    name: "service.listDiscoverableServices",
    summary: "Discoverable services (description, capabilities, OpenAPI path) for any signed-in caller",
    params: &[optional("id", uuid), optional("name", string)],
    result: discoverable,
    effect: Effect::Read,
    rest: rest("GET", "/_adm/service/discoverable-services", Success::Ok),
}];

pub(super) async fn run(
    api: &Api,
    caller: &Caller,
    name: &str,
    params: Value,
) -> Result<Value, UseCaseError> {
    match name {
        "service.listDiscoverableServices" => {
            encode(uc::discoverable(api.catalog()?, caller, decode(params)?)?)
        }
        other => Err(unserved(other)),
    }
}
