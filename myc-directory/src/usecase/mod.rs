//! Use cases, one function each, authorized through the caller's profile before they touch
//! the store. Both transports call these; neither holds a rule of its own.

pub mod account_manager;
pub mod beginners;
pub mod gateway_manager;
pub mod guests_manager;
pub mod managers;
pub mod staff;
pub mod subscriptions_manager;
pub mod system_manager;
pub mod tenant_manager;
pub mod tenant_owner;
pub mod tokens;
pub mod trail;
pub mod users_manager;

use std::sync::Arc;

use myc_profile::{Permission, Profile};
use uuid::Uuid;

/// Who calls: the profile the identity layer resolved, and the tenant the request names
/// (`x-mycelium-tenant-id`), if any.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The caller's resolved profile.
    pub profile: Arc<Profile>,
    /// The tenant the request is scoped to.
    pub tenant: Option<Uuid>,
}

/// Why a use case refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UseCaseError {
    /// The caller's role or scope does not allow it (upstream's `MYC00019`).
    #[error("{0}")]
    Forbidden(&'static str),
    /// The params do not fit.
    #[error("{0}")]
    InvalidParams(String),
    /// What the call names does not exist.
    #[error("{0}")]
    NotFound(String),
    /// It exists already.
    #[error("{0}")]
    Conflict(String),
    /// The server lacks what the operation needs (e.g. connection-string keys).
    #[error("{0} are not configured on this server")]
    NotConfigured(&'static str),
    /// The store failed.
    #[error(transparent)]
    Store(crate::store::Error),
}

/// Guest roles that administer a tenant (upstream's system roles).
pub const TENANT_MANAGER_ROLE: &str = "tenant-manager";
/// The guest role of subscription managers.
pub const SUBSCRIPTIONS_MANAGER_ROLE: &str = "subscriptions-manager";

/// Whether the caller owns `tenant`.
fn owns(caller: &Caller, tenant: Uuid) -> bool {
    match &caller.profile.tenants_ownership {
        Some(myc_profile::TenantsOwnership::Records(owned)) => owned.iter().any(|o| o.id == tenant),
        _ => false,
    }
}

/// Whether the caller holds an accepted licence on `tenant` with one of `roles` and at least
/// `need` (write implies read).
pub(crate) fn holds(caller: &Caller, tenant: Uuid, roles: &[&str], need: Permission) -> bool {
    match &caller.profile.licensed_resources {
        Some(myc_profile::LicensedResources::Records(records)) => records.iter().any(|r| {
            r.tenant_id == tenant
                && r.verified
                && (roles.is_empty() || roles.contains(&r.role.as_str()))
                && r.perm >= need
        }),
        _ => false,
    }
}

fn platform_admin(caller: &Caller) -> bool {
    caller.profile.is_staff || caller.profile.is_manager
}

/// `tenantOwner.*`: an owner of the tenant, or a platform administrator.
pub(crate) fn require_tenant_owner(caller: &Caller, tenant: Uuid) -> Result<(), UseCaseError> {
    if platform_admin(caller) || owns(caller, tenant) {
        Ok(())
    } else {
        Err(UseCaseError::Forbidden(
            "Insufficient privileges: tenant owner required",
        ))
    }
}

/// `tenantManager.*`: a tenant owner, a platform administrator, or a holder of a
/// `tenant-manager` licence on it with `need`.
pub(crate) fn require_tenant_admin(
    caller: &Caller,
    tenant: Uuid,
    need: Permission,
) -> Result<(), UseCaseError> {
    if platform_admin(caller)
        || owns(caller, tenant)
        || holds(caller, tenant, &[TENANT_MANAGER_ROLE], need)
    {
        Ok(())
    } else {
        Err(UseCaseError::Forbidden(
            "Insufficient privileges: tenant owner or tenant manager required",
        ))
    }
}

/// `subscriptionsManager.*`: as [`require_tenant_admin`], or a holder of a
/// `subscriptions-manager` licence on the tenant with `need`.
pub(crate) fn require_tenant_manager(
    caller: &Caller,
    tenant: Uuid,
    need: Permission,
) -> Result<(), UseCaseError> {
    let roles = [TENANT_MANAGER_ROLE, SUBSCRIPTIONS_MANAGER_ROLE];
    if platform_admin(caller) || owns(caller, tenant) || holds(caller, tenant, &roles, need) {
        Ok(())
    } else {
        Err(UseCaseError::Forbidden(
            "Insufficient privileges: tenant owner, tenant manager or subscriptions manager required",
        ))
    }
}

/// `staff.*`: staff accounts only.
pub(crate) fn require_staff(caller: &Caller) -> Result<(), UseCaseError> {
    if caller.profile.is_staff {
        Ok(())
    } else {
        Err(UseCaseError::Forbidden(
            "Insufficient privileges: staff account required",
        ))
    }
}

impl Caller {
    /// The operator of the machine the directory runs on (a command line with the store's
    /// credentials): a platform administrator without an account. Its audit events name no
    /// actor account and carry `detail.via = "cli"`.
    pub fn local_operator() -> Self {
        let mut profile = Profile::new(Uuid::nil());
        profile.is_staff = true;
        profile.is_manager = true;
        Self {
            profile: Arc::new(profile),
            tenant: None,
        }
    }

    fn is_local_operator(&self) -> bool {
        self.profile.acc_id.is_nil()
    }

    /// The caller's principal e-mail, if the profile names one.
    pub fn email(&self) -> Option<&str> {
        self.profile.primary_email()
    }
}

/// Platform administrators: staff or manager accounts (upstream's `managers.*` namespace).
pub(crate) fn require_platform_admin(caller: &Caller) -> Result<(), UseCaseError> {
    if platform_admin(caller) {
        Ok(())
    } else {
        Err(UseCaseError::Forbidden(
            "Insufficient privileges: staff or manager account required",
        ))
    }
}

impl From<crate::store::Error> for UseCaseError {
    fn from(e: crate::store::Error) -> Self {
        use crate::store::Error as E;
        match e {
            E::NotFound(what) => Self::NotFound(format!("{what} not found")),
            E::Conflict(what) => Self::Conflict(format!("{what} already exists")),
            E::Invalid(why) => Self::InvalidParams(why),
            other => Self::Store(other),
        }
    }
}

/// The name of `tenant` (one query), or not found.
pub(crate) async fn tenant_name(
    store: &crate::store::SqlStore,
    tenant: Uuid,
) -> Result<String, UseCaseError> {
    use crate::store::Store;
    store
        .tenant(tenant)
        .await?
        .map(|t| t.name)
        .ok_or_else(|| UseCaseError::NotFound(format!("tenant {tenant} not found")))
}

/// The audit event of a use case's change: who (the caller; `via: "cli"` for the local
/// operator), what (`action`), where (tenant, account) and details, recorded once the change
/// succeeded.
pub(crate) struct Audit<'a> {
    caller: &'a Caller,
    action: &'a str,
    tenant: Option<Uuid>,
    account: Option<Uuid>,
    detail: serde_json::Value,
}

impl<'a> Audit<'a> {
    /// `action` by `caller`, with no tenant, account or details yet.
    pub(crate) fn of(caller: &'a Caller, action: &'a str) -> Self {
        Self {
            caller,
            action,
            tenant: None,
            account: None,
            detail: serde_json::json!({}),
        }
    }

    /// The tenant it concerns.
    pub(crate) fn tenant(mut self, tenant: impl Into<Option<Uuid>>) -> Self {
        self.tenant = tenant.into();
        self
    }

    /// The account it concerns.
    pub(crate) fn account(mut self, account: impl Into<Option<Uuid>>) -> Self {
        self.account = account.into();
        self
    }

    /// What changed (a JSON object).
    pub(crate) fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }

    /// Records it in the audit trail.
    pub(crate) async fn record(self, store: &crate::store::SqlStore) -> Result<(), UseCaseError> {
        let operator = self.caller.is_local_operator();
        let mut detail = self.detail;
        if operator && let Some(map) = detail.as_object_mut() {
            map.insert("via".into(), "cli".into());
        }
        store
            .record_audit(crate::store::NewAuditEvent {
                actor_account: (!operator).then_some(self.caller.profile.acc_id),
                actor_email: self.caller.email(),
                action: self.action,
                tenant_id: self.tenant,
                account_id: self.account,
                detail,
            })
            .await?;
        Ok(())
    }
}
