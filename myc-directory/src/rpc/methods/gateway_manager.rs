//! `gatewayManager.*`: what the host routes.

use serde_json::Value;

use super::s::*;
use super::{decode, encode, unserved};
use crate::rpc::Api;
use crate::rpc::spec::{Effect, MethodSpec, ParamSpec, Success, optional, rest};
use crate::usecase::gateway_manager as uc;
use crate::usecase::{Caller, UseCaseError};

const FILTER: &[ParamSpec] = &[
    optional("id", uuid),
    optional("name", string),
    optional("pageSize", page_size),
    optional("skip", skip),
];

fn services() -> Value {
    page_of(object(&["id", "name", "protocol", "hosts"]))
}
fn routes() -> Value {
    page_of(object(&[
        "id",
        "service",
        "path",
        "methods",
        "securityGroup",
    ]))
}

const TOOL_FILTER: &[ParamSpec] = &[
    optional("query", string),
    optional("method", string),
    optional("pageSize", page_size),
    optional("skip", skip),
];

fn tools() -> Value {
    page_of(object(&[
        "name",
        "service",
        "method",
        "path",
        "operationId",
        "description",
        "securityGroup",
        "inputSchema",
    ]))
}

pub(super) const SPECS: &[MethodSpec] = &[
    MethodSpec {
        name: "gatewayManager.routes.list",
        summary: "The routes the gateway serves (no secrets, no upstream addresses)",
        params: FILTER,
        result: routes,
        effect: Effect::Read,
        rest: rest("GET", "/_adm/gateway-manager/routes", Success::Ok),
    },
    MethodSpec {
        name: "gatewayManager.services.list",
        summary: "The services the gateway routes to",
        params: FILTER,
        result: services,
        effect: Effect::Read,
        rest: rest("GET", "/_adm/gateway-manager/services", Success::Ok),
    },
    MethodSpec {
        name: "gatewayManager.tools.list",
        summary: "The operations of discoverable services offered to AI agents at POST /mcp",
        params: TOOL_FILTER,
        result: tools,
        effect: Effect::Read,
        rest: rest("GET", "/_adm/gateway-manager/tools", Success::Ok),
    },
];

pub(super) async fn run(
    api: &Api,
    caller: &Caller,
    name: &str,
    params: Value,
) -> Result<Value, UseCaseError> {
    match name {
        "gatewayManager.routes.list" => {
            encode(uc::routes(api.catalog()?, caller, decode(params)?)?)
        }
        "gatewayManager.services.list" => {
            encode(uc::services(api.catalog()?, caller, decode(params)?)?)
        }
        "gatewayManager.tools.list" => encode(uc::tools(api.tools()?, caller, decode(params)?)?),
        other => Err(unserved(other)),
    }
}
