//! `staff.*`: platform privileges of accounts (staff only).

use serde_json::Value;

use super::s::*;
use super::{call, unserved};
use crate::rpc::Api;
use crate::rpc::spec::{Effect, MethodSpec, ParamSpec, Success, required, rest};
use crate::usecase::staff as uc;
use crate::usecase::{Caller, UseCaseError};

const PARAMS: &[ParamSpec] = &[required("accountId", uuid), required("to", string)];

pub(super) const SPECS: &[MethodSpec] = &[
    MethodSpec {
        name: "staff.accounts.upgradePrivileges",
        summary: "Make an account a staff or manager account",
        params: PARAMS,
        result: account,
        effect: Effect::Write,
        rest: rest(
            "PATCH",
            "/_adm/staffs/accounts/{accountId}/upgrade",
            Success::Accepted,
        ),
    },
    MethodSpec {
        name: "staff.accounts.downgradePrivileges",
        summary: "Make an account a manager or plain user account",
        params: PARAMS,
        result: account,
        effect: Effect::Write,
        rest: rest(
            "PATCH",
            "/_adm/staffs/accounts/{accountId}/downgrade",
            Success::Accepted,
        ),
    },
];

pub(super) async fn run(
    api: &Api,
    caller: &Caller,
    name: &str,
    params: Value,
) -> Result<Value, UseCaseError> {
    Ok(match name {
        "staff.accounts.upgradePrivileges" => {
            call!(uc::change_privileges, api, caller, params, true)
        }
        "staff.accounts.downgradePrivileges" => {
            call!(uc::change_privileges, api, caller, params, false)
        }
        other => return Err(unserved(other)),
    })
}
