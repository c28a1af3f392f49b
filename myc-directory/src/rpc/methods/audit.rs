//! `audit.*`: the trail of what the admin API changed (staff or manager).

use serde_json::Value;

use super::s::*;
use super::{call, unserved};
use crate::rpc::Api;
use crate::rpc::spec::{Effect, MethodSpec, Success, required, rest};
use crate::usecase::trail as uc;
use crate::usecase::{Caller, UseCaseError};

fn events() -> Value {
    array_of(object(&["id", "at", "action", "detail"]))
}
fn resource_type() -> Value {
    serde_json::json!({ "enum": ["tenant", "account"] })
}

pub(super) const SPECS: &[MethodSpec] = &[MethodSpec {
    name: "audit.resourceTrail.fetch",
    summary: "What happened to a tenant or an account, newest first",
    params: &[
        required("resourceType", resource_type),
        required("resourceId", uuid),
    ],
    result: events,
    effect: Effect::Read,
    rest: rest(
        "GET",
        "/_adm/audit/resource-trail/{resourceType}/{resourceId}",
        Success::Ok,
    ),
}];

pub(super) async fn run(
    api: &Api,
    caller: &Caller,
    name: &str,
    params: Value,
) -> Result<Value, UseCaseError> {
    Ok(match name {
        "audit.resourceTrail.fetch" => call!(uc::fetch, api, caller, params),
        other => return Err(unserved(other)),
    })
}
