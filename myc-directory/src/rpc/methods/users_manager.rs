//! `userManager.*`: the life cycle of accounts (staff or manager).

use serde_json::Value;

use super::s::*;
use super::{call, unserved};
use crate::rpc::Api;
use crate::rpc::spec::{Effect, MethodSpec, ParamSpec, Success, required, rest};
use crate::usecase::users_manager::{self as uc, AccountState};
use crate::usecase::{Caller, UseCaseError};

const ACCOUNT: &[ParamSpec] = &[required("accountId", uuid)];

macro_rules! state {
    ($name:literal, $summary:literal, $path:literal) => {
        MethodSpec {
            name: $name,
            summary: $summary,
            params: ACCOUNT,
            result: account,
            effect: Effect::Write,
            rest: rest("PATCH", $path, Success::Accepted),
        }
    };
}

pub(super) const SPECS: &[MethodSpec] = &[
    state!(
        "userManager.account.approve",
        "Approve (check) an account",
        "/_adm/users-manager/accounts/{accountId}/approve"
    ),
    state!(
        "userManager.account.disapprove",
        "Disapprove (uncheck) an account",
        "/_adm/users-manager/accounts/{accountId}/disapprove"
    ),
    state!(
        "userManager.account.activate",
        "Activate an account",
        "/_adm/users-manager/accounts/{accountId}/activate"
    ),
    state!(
        "userManager.account.deactivate",
        "Deactivate an account: refused on every non-public route",
        "/_adm/users-manager/accounts/{accountId}/deactivate"
    ),
    state!(
        "userManager.account.archive",
        "Archive an account",
        "/_adm/users-manager/accounts/{accountId}/archive"
    ),
    state!(
        "userManager.account.unarchive",
        "Unarchive an account",
        "/_adm/users-manager/accounts/{accountId}/unarchive"
    ),
];

pub(super) async fn run(
    api: &Api,
    caller: &Caller,
    name: &str,
    params: Value,
) -> Result<Value, UseCaseError> {
    let state = match name {
        "userManager.account.approve" => AccountState::Approve,
        "userManager.account.disapprove" => AccountState::Disapprove,
        "userManager.account.activate" => AccountState::Activate,
        "userManager.account.deactivate" => AccountState::Deactivate,
        "userManager.account.archive" => AccountState::Archive,
        "userManager.account.unarchive" => AccountState::Unarchive,
        other => return Err(unserved(other)),
    };
    Ok(call!(uc::set_state, api, caller, params, state))
}
