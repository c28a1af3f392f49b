//! `tenantOwner.*`: what an owner of a tenant does to it.

use serde_json::Value;

use super::s::*;
use super::{call, call_unit, unserved};
use crate::rpc::Api;
use crate::rpc::spec::{Effect, MethodSpec, ParamSpec, Success, optional, required, rest};
use crate::store::TenantFlag;
use crate::usecase::tenant_owner as uc;
use crate::usecase::{Caller, UseCaseError};

const TENANT: &[ParamSpec] = &[required("tenantId", uuid)];
const STATUS: &[ParamSpec] = &[required("tenantId", uuid), optional("value", boolean)];

pub(super) const SPECS: &[MethodSpec] = &[
    MethodSpec {
        name: "tenantOwner.accounts.createManagementAccount",
        summary: "Create the tenant's management account (tenant managers are guested into it)",
        params: TENANT,
        result: account,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/tenant-owner/accounts", Success::Created),
    },
    MethodSpec {
        name: "tenantOwner.accounts.deleteTenantManagerAccount",
        summary: "Delete the tenant's management account",
        params: &[required("tenantId", uuid), required("accountId", uuid)],
        result: null,
        effect: Effect::Write,
        rest: rest(
            "DELETE",
            "/_adm/tenant-owner/accounts/{accountId}",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "tenantOwner.meta.create",
        summary: "Add a metadata key to the tenant (e.g. legal_name, locale)",
        params: &[
            required("tenantId", uuid),
            required("key", string),
            required("value", string),
        ],
        result: null,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/tenant-owner/meta", Success::Created),
    },
    MethodSpec {
        name: "tenantOwner.meta.delete",
        summary: "Remove a metadata key of the tenant",
        params: &[required("tenantId", uuid), required("key", string)],
        result: null,
        effect: Effect::Write,
        rest: rest("DELETE", "/_adm/tenant-owner/meta/{key}", Success::Ok),
    },
    MethodSpec {
        name: "tenantOwner.owner.guest",
        summary: "Make an existing account (by e-mail) a co-owner of the tenant",
        params: &[required("tenantId", uuid), required("email", email)],
        result: null,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/tenant-owner/owners", Success::Created),
    },
    MethodSpec {
        name: "tenantOwner.owner.revoke",
        summary: "Remove a co-owner of the tenant (the last owner stays)",
        params: &[required("tenantId", uuid), required("email", email)],
        result: null,
        effect: Effect::Write,
        rest: rest("DELETE", "/_adm/tenant-owner/owners", Success::Ok),
    },
    MethodSpec {
        name: "tenantOwner.tenant.updateNameAndDescription",
        summary: "Rename and/or redescribe the tenant",
        params: &[
            required("tenantId", uuid),
            optional("name", string),
            optional("description", string),
        ],
        result: null,
        effect: Effect::Write,
        rest: rest("PATCH", "/_adm/tenant-owner/tenants", Success::Accepted),
    },
    MethodSpec {
        name: "tenantOwner.tenant.updateArchivingStatus",
        summary: "Archive the tenant (value: false un-archives)",
        params: STATUS,
        result: null,
        effect: Effect::Write,
        rest: rest(
            "PATCH",
            "/_adm/tenant-owner/tenants/archive",
            Success::Accepted,
        ),
    },
    MethodSpec {
        name: "tenantOwner.tenant.updateTrashingStatus",
        summary: "Trash the tenant (value: false restores it)",
        params: STATUS,
        result: null,
        effect: Effect::Write,
        rest: rest(
            "PATCH",
            "/_adm/tenant-owner/tenants/trash",
            Success::Accepted,
        ),
    },
    MethodSpec {
        name: "tenantOwner.tenant.updateVerifyingStatus",
        summary: "Mark the tenant verified (value: false unverifies it)",
        params: STATUS,
        result: null,
        effect: Effect::Write,
        rest: rest(
            "PATCH",
            "/_adm/tenant-owner/tenants/verify",
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
        "tenantOwner.accounts.createManagementAccount" => {
            call!(uc::create_management_account, api, caller, params)
        }
        "tenantOwner.accounts.deleteTenantManagerAccount" => {
            call_unit!(uc::delete_tenant_manager_account, api, caller, params)
        }
        "tenantOwner.meta.create" => call_unit!(uc::create_meta, api, caller, params),
        "tenantOwner.meta.delete" => call_unit!(uc::delete_meta, api, caller, params),
        "tenantOwner.owner.guest" => call_unit!(uc::guest_owner, api, caller, params),
        "tenantOwner.owner.revoke" => call_unit!(uc::revoke_owner, api, caller, params),
        "tenantOwner.tenant.updateNameAndDescription" => {
            call_unit!(uc::update_tenant, api, caller, params)
        }
        "tenantOwner.tenant.updateArchivingStatus" => {
            call_unit!(uc::set_status, api, caller, params, TenantFlag::Archived)
        }
        "tenantOwner.tenant.updateTrashingStatus" => {
            call_unit!(uc::set_status, api, caller, params, TenantFlag::Trashed)
        }
        "tenantOwner.tenant.updateVerifyingStatus" => {
            call_unit!(uc::set_status, api, caller, params, TenantFlag::Verified)
        }
        other => return Err(unserved(other)),
    })
}
