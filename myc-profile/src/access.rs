//! Fluent, narrowing access checks over a [`Profile`], with upstream's names and semantics.
//!
//! A chain starts on `&Profile` (every filter is also a method of [`Profile`]), narrows the
//! licences step by step and ends in a typed result. Narrowing never clones the profile: the
//! chain holds references to the profile's licence records (URL-form licences are parsed once,
//! when the chain starts) and only drops references as filters apply.
//!
//! Semantics follow upstream 9.x:
//! - an empty result collapses to "no licences" (never an empty list);
//! - filters never change `isStaff`, `isManager` or the owned tenants; staff and managers
//!   short-circuit only in the terminal `get_*` methods;
//! - `with_write_access` keeps write licences, `with_read_access` keeps read **and** write ones;
//! - `with_roles` matches slugs exactly (case-sensitive); an empty list keeps nothing;
//! - every filter appends `"n:key:value"` to the filtering state that errors report.
//!
//! ```
//! use myc_profile::{Permission, Profile, RelatedAccounts};
//! # let profile: Profile = serde_json::from_str(include_str!("../tests/data/doc_profile.json")).unwrap();
//! let tenant = "11111111-1111-4111-8111-111111111111".parse().unwrap();
//! let accounts = profile
//!     .on_tenant(tenant)
//!     .with_write_access()
//!     .with_roles(["editor"])
//!     .get_related_account_or_error();
//! match accounts {
//!     Ok(RelatedAccounts::AllowedAccounts(ids)) => assert_eq!(ids.len(), 1),
//!     other => panic!("unexpected {other:?}"),
//! }
//! let denied = profile.on_tenant(tenant).with_roles(["admin"]).get_related_account_or_error();
//! let err = denied.unwrap_err();
//! assert_eq!(err.code(), "MYC00019");
//! assert!(err.to_string().ends_with("1:tenantId:11111111-1111-4111-8111-111111111111, 2:role:admin"));
//! ```

use std::borrow::Cow;
use std::fmt;

use uuid::Uuid;

use crate::url_form::UrlFormError;
use crate::{LicensedResource, LicensedResources, Permission, Profile, RelatedAccounts};

/// The role slug `on_tenant_as_manager` requires.
pub const TENANT_MANAGER_ROLE: &str = "tenant-manager";

/// One filter applied by a chain, as reported in the filtering state.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FilterStep {
    /// `tenantId:<uuid>`
    Tenant(Uuid),
    /// `accountId:<uuid>`
    Account(Uuid),
    /// `isAccStd:true`
    SystemAccounts,
    /// `permission:<0|1>`
    Permission(Permission),
    /// `role:<slugs comma-joined>`
    Roles(Vec<String>),
    /// `permittedFlags:<comma-joined>`
    PermitFlags(Vec<String>),
    /// `deniedFlags:<comma-joined>`
    DenyFlags(Vec<String>),
    /// `isTenantManager:true`
    TenantManager,
    /// `tenantOwnership:<uuid>`
    TenantOwnership(Uuid),
}

impl fmt::Display for FilterStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tenant(t) => write!(f, "tenantId:{t}"),
            Self::Account(a) => write!(f, "accountId:{a}"),
            Self::SystemAccounts => f.write_str("isAccStd:true"),
            Self::Permission(p) => write!(f, "permission:{}", p.as_int()),
            Self::Roles(r) => write!(f, "role:{}", r.join(",")),
            Self::PermitFlags(fs) => write!(f, "permittedFlags:{}", fs.join(",")),
            Self::DenyFlags(fs) => write!(f, "deniedFlags:{}", fs.join(",")),
            Self::TenantManager => f.write_str("isTenantManager:true"),
            Self::TenantOwnership(t) => write!(f, "tenantOwnership:{t}"),
        }
    }
}

/// Why an access check denied.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DenialReason {
    /// No licence survived the filters (`get_related_account_or_error`).
    NoAccounts,
    /// Neither staff, manager, tenant owner nor tenant manager.
    NoTenantWidePermission,
    /// No licence survived and the caller is not an admin (`get_ids_or_error`).
    NoIds,
    /// The tenant is not owned.
    NoTenantOwnership,
    /// The profile carries an empty licence list.
    NoLicensedResources,
    /// Neither staff nor manager.
    NoAdminPrivileges,
    /// A URL-form licence or ownership in the profile is malformed (upstream panics here).
    Malformed(UrlFormError),
}

/// An access check that denied: upstream's `MYC00019` ("insufficient privileges") with the
/// filtering-state trail.
///
/// `Display` reproduces upstream's text, e.g.
/// `[codes=MYC00019 error_type=execution-error] Insufficient privileges to perform these action (no accounts): 1:tenantId:…`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessError {
    reason: DenialReason,
    state: Vec<String>,
}

impl AccessError {
    /// Upstream's error code for every access denial.
    pub const CODE: &'static str = "MYC00019";

    /// The error code (`MYC00019`).
    pub fn code(&self) -> &'static str {
        Self::CODE
    }

    /// Why access was denied.
    pub fn reason(&self) -> &DenialReason {
        &self.reason
    }

    /// The filtering state when the check failed.
    pub fn filtering_state(&self) -> &[String] {
        &self.state
    }

    /// The message without the code prefix, as upstream words it.
    pub fn message(&self) -> String {
        let why = match &self.reason {
            DenialReason::NoAccounts => "no accounts",
            DenialReason::NoTenantWidePermission => "no tenant wide permission",
            DenialReason::NoIds => "no ids",
            DenialReason::NoTenantOwnership => "no tenant ownership",
            DenialReason::NoLicensedResources => {
                return "No licensed resources found to perform these action".to_owned();
            }
            DenialReason::NoAdminPrivileges => {
                return "Current account has no administration privileges".to_owned();
            }
            DenialReason::Malformed(e) => return format!("Malformed profile: {e}"),
        };
        format!(
            "Insufficient privileges to perform these action ({why}): {}",
            self.state.join(", ")
        )
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[codes={} error_type=execution-error] {}",
            Self::CODE,
            self.message()
        )
    }
}

impl std::error::Error for AccessError {}

/// A narrowing access-check chain over a borrowed [`Profile`]. See the [module docs](self).
#[derive(Clone, Debug)]
#[must_use = "an access chain does nothing until a terminal check is called"]
pub struct Access<'a> {
    profile: &'a Profile,
    /// `None`: no licences (absent, or filtered to nothing). `Some(empty)` only before any
    /// filter, for a profile that carries an empty list.
    records: Option<Vec<Cow<'a, LicensedResource>>>,
    steps: Vec<FilterStep>,
    malformed: Option<UrlFormError>,
}

impl<'a> Access<'a> {
    /// Starts a chain on `profile`.
    pub fn new(profile: &'a Profile) -> Self {
        let (records, malformed) = match &profile.licensed_resources {
            None => (None, None),
            Some(LicensedResources::Records(r)) => {
                (Some(r.iter().map(Cow::Borrowed).collect()), None)
            }
            Some(LicensedResources::Urls(urls)) => {
                match urls
                    .iter()
                    .map(|u| LicensedResource::from_url(u).map(Cow::Owned))
                    .collect()
                {
                    Ok(records) => (Some(records), None),
                    Err(e) => (None, Some(e)),
                }
            }
        };
        Self {
            profile,
            records,
            steps: Vec::new(),
            malformed,
        }
    }

    fn retain(mut self, step: FilterStep, keep: impl Fn(&LicensedResource) -> bool) -> Self {
        if let Some(records) = &mut self.records {
            records.retain(|r| keep(r));
            if records.is_empty() {
                self.records = None;
            }
        }
        self.steps.push(step);
        self
    }

    /// Keeps licences of tenant `tenant`.
    pub fn on_tenant(self, tenant: Uuid) -> Self {
        self.retain(FilterStep::Tenant(tenant), |r| r.tenant_id == tenant)
    }

    /// Keeps licences on account `account`.
    pub fn on_account(self, account: Uuid) -> Self {
        self.retain(FilterStep::Account(account), |r| r.acc_id == account)
    }

    /// Keeps licences on system (standard) accounts.
    pub fn with_system_accounts_access(self) -> Self {
        self.retain(FilterStep::SystemAccounts, |r| r.sys_acc)
    }

    /// Keeps licences that grant at least read (read or write).
    pub fn with_read_access(self) -> Self {
        self.with_permission(Permission::Read)
    }

    /// Keeps licences that grant write.
    pub fn with_write_access(self) -> Self {
        self.with_permission(Permission::Write)
    }

    /// Keeps licences whose permission satisfies `required` (write implies read).
    pub fn with_permission(self, required: Permission) -> Self {
        self.retain(FilterStep::Permission(required), |r| {
            r.perm.satisfies(required)
        })
    }

    /// Keeps licences whose role slug equals one of `roles` exactly.
    pub fn with_roles<I, S>(self, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let roles: Vec<String> = roles.into_iter().map(Into::into).collect();
        let keep = roles.clone();
        self.retain(FilterStep::Roles(roles), move |r| keep.contains(&r.role))
    }

    /// Keeps licences whose permit flags contain all of `flags` (licences without flags drop).
    pub fn has_permit_flags<I, S>(self, flags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let flags: Vec<String> = flags.into_iter().map(Into::into).collect();
        let want = flags.clone();
        self.retain(FilterStep::PermitFlags(flags), move |r| {
            r.permit_flags
                .as_ref()
                .is_some_and(|have| want.iter().all(|f| have.contains(f)))
        })
    }

    /// Keeps licences whose deny flags are absent or contain none of `flags`.
    pub fn has_not_deny_flags<I, S>(self, flags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let flags: Vec<String> = flags.into_iter().map(Into::into).collect();
        let deny = flags.clone();
        self.retain(FilterStep::DenyFlags(flags), move |r| {
            r.deny_flags
                .as_ref()
                .is_none_or(|have| !deny.iter().any(|f| have.contains(f)))
        })
    }

    /// `on_tenant(tenant)`, then `with_permission(required)`, then
    /// `with_roles(["tenant-manager"])`, recorded with a final `isTenantManager:true` entry.
    pub fn on_tenant_as_manager(self, tenant: Uuid, required: Permission) -> Self {
        let mut next = self
            .on_tenant(tenant)
            .with_permission(required)
            .with_roles([TENANT_MANAGER_ROLE]);
        next.steps.push(FilterStep::TenantManager);
        next
    }

    /// Continues the chain if the profile owns `tenant` (licences are untouched), else denies.
    pub fn with_tenant_ownership_or_error(mut self, tenant: Uuid) -> Result<Self, AccessError> {
        if self.owns_tenant(tenant)? {
            self.steps.push(FilterStep::TenantOwnership(tenant));
            Ok(self)
        } else {
            Err(self.deny(DenialReason::NoTenantOwnership))
        }
    }

    fn owns_tenant(&self, tenant: Uuid) -> Result<bool, AccessError> {
        match &self.profile.tenants_ownership {
            None => Ok(false),
            Some(owned) => owned
                .owns(tenant)
                .map_err(|e| self.deny(DenialReason::Malformed(e))),
        }
    }

    fn deny(&self, reason: DenialReason) -> AccessError {
        AccessError {
            reason,
            state: self.filtering_state(),
        }
    }

    fn ensure_well_formed(&self) -> Result<(), AccessError> {
        match &self.malformed {
            Some(e) => Err(self.deny(DenialReason::Malformed(e.clone()))),
            None => Ok(()),
        }
    }

    /// Staff → `HasStaffPrivileges`; manager → `HasManagerPrivileges`; surviving licences →
    /// `AllowedAccounts`; otherwise denied.
    pub fn get_related_account_or_error(&self) -> Result<RelatedAccounts, AccessError> {
        self.ensure_well_formed()?;
        if self.profile.is_staff {
            return Ok(RelatedAccounts::HasStaffPrivileges);
        }
        if self.profile.is_manager {
            return Ok(RelatedAccounts::HasManagerPrivileges);
        }
        match &self.records {
            Some(records) if records.is_empty() => {
                Err(self.deny(DenialReason::NoLicensedResources))
            }
            Some(records) => Ok(RelatedAccounts::AllowedAccounts(
                records.iter().map(|r| r.acc_id).collect(),
            )),
            None => Err(self.deny(DenialReason::NoAccounts)),
        }
    }

    /// Staff → staff; manager → manager; owner of `tenant`, or tenant manager of it at
    /// `required` → `HasTenantWidePrivileges(tenant)`; otherwise denied.
    pub fn get_tenant_wide_permission_or_error(
        &self,
        tenant: Uuid,
        required: Permission,
    ) -> Result<RelatedAccounts, AccessError> {
        self.ensure_well_formed()?;
        if self.profile.is_staff {
            return Ok(RelatedAccounts::HasStaffPrivileges);
        }
        if self.profile.is_manager {
            return Ok(RelatedAccounts::HasManagerPrivileges);
        }
        if self.owns_tenant(tenant)?
            || self
                .clone()
                .on_tenant_as_manager(tenant, required)
                .get_ids_or_error()
                .is_ok()
        {
            return Ok(RelatedAccounts::HasTenantWidePrivileges(tenant));
        }
        Err(self.deny(DenialReason::NoTenantWidePermission))
    }

    /// The tenant-wide check first, then [`Access::get_related_account_or_error`].
    pub fn get_related_accounts_or_tenant_wide_permission_or_error(
        &self,
        tenant: Uuid,
        required: Permission,
    ) -> Result<RelatedAccounts, AccessError> {
        match self.get_tenant_wide_permission_or_error(tenant, required) {
            Ok(granted) => Ok(granted),
            Err(e) if matches!(e.reason, DenialReason::Malformed(_)) => Err(e),
            Err(_) => self.get_related_account_or_error(),
        }
    }

    /// The account ids of the surviving licences; Ok when there is at least one or the caller
    /// is an admin (the list may then be empty).
    pub fn get_ids_or_error(&self) -> Result<Vec<Uuid>, AccessError> {
        self.ensure_well_formed()?;
        let ids: Vec<Uuid> = self.licenses().map(|r| r.acc_id).collect();
        if ids.is_empty() && !self.has_admin_privileges() {
            return Err(self.deny(DenialReason::NoIds));
        }
        Ok(ids)
    }

    /// Staff or manager.
    pub fn has_admin_privileges(&self) -> bool {
        self.profile.is_staff || self.profile.is_manager
    }

    /// Ok for staff or manager, else denied.
    pub fn has_admin_privileges_or_error(&self) -> Result<(), AccessError> {
        if self.has_admin_privileges() {
            Ok(())
        } else {
            Err(self.deny(DenialReason::NoAdminPrivileges))
        }
    }

    /// The licences that survived the filters so far.
    pub fn licenses(&self) -> impl Iterator<Item = &LicensedResource> + '_ {
        self.records.iter().flatten().map(|r| r.as_ref())
    }

    /// How many licences survived.
    pub fn len(&self) -> usize {
        self.records.as_ref().map_or(0, Vec::len)
    }

    /// True when no licence survived.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The filters this chain applied.
    pub fn steps(&self) -> &[FilterStep] {
        &self.steps
    }

    /// The profile the chain started on.
    pub fn profile(&self) -> &'a Profile {
        self.profile
    }

    /// The filtering state: the profile's own entries, then `"n:key:value"` per filter, with n
    /// continuing the numbering.
    pub fn filtering_state(&self) -> Vec<String> {
        let base = self.profile.filtering_state.as_deref().unwrap_or_default();
        let mut state = Vec::with_capacity(base.len() + self.steps.len());
        state.extend(base.iter().cloned());
        for step in &self.steps {
            state.push(format!("{}:{step}", state.len() + 1));
        }
        state
    }

    /// The narrowed profile upstream's chain would return: surviving licences as records (or
    /// none) and the filtering state. Fails if the profile's URL-form licences are malformed.
    pub fn to_profile(&self) -> Result<Profile, AccessError> {
        self.ensure_well_formed()?;
        let mut profile = self.profile.clone();
        profile.licensed_resources = self
            .records
            .as_ref()
            .map(|r| LicensedResources::Records(r.iter().map(|c| c.as_ref().clone()).collect()));
        let state = self.filtering_state();
        profile.filtering_state = (!state.is_empty()).then_some(state);
        Ok(profile)
    }
}

/// Access checks start directly on a profile.
impl Profile {
    /// Starts an access chain with no filter.
    pub fn access(&self) -> Access<'_> {
        Access::new(self)
    }

    /// See [`Access::on_tenant`].
    pub fn on_tenant(&self, tenant: Uuid) -> Access<'_> {
        self.access().on_tenant(tenant)
    }

    /// See [`Access::on_account`].
    pub fn on_account(&self, account: Uuid) -> Access<'_> {
        self.access().on_account(account)
    }

    /// See [`Access::with_system_accounts_access`].
    pub fn with_system_accounts_access(&self) -> Access<'_> {
        self.access().with_system_accounts_access()
    }

    /// See [`Access::with_read_access`].
    pub fn with_read_access(&self) -> Access<'_> {
        self.access().with_read_access()
    }

    /// See [`Access::with_write_access`].
    pub fn with_write_access(&self) -> Access<'_> {
        self.access().with_write_access()
    }

    /// See [`Access::with_permission`].
    pub fn with_permission(&self, required: Permission) -> Access<'_> {
        self.access().with_permission(required)
    }

    /// See [`Access::with_roles`].
    pub fn with_roles<I, S>(&self, roles: I) -> Access<'_>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.access().with_roles(roles)
    }

    /// See [`Access::has_permit_flags`].
    pub fn has_permit_flags<I, S>(&self, flags: I) -> Access<'_>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.access().has_permit_flags(flags)
    }

    /// See [`Access::has_not_deny_flags`].
    pub fn has_not_deny_flags<I, S>(&self, flags: I) -> Access<'_>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.access().has_not_deny_flags(flags)
    }

    /// See [`Access::on_tenant_as_manager`].
    pub fn on_tenant_as_manager(&self, tenant: Uuid, required: Permission) -> Access<'_> {
        self.access().on_tenant_as_manager(tenant, required)
    }

    /// See [`Access::with_tenant_ownership_or_error`].
    pub fn with_tenant_ownership_or_error(&self, tenant: Uuid) -> Result<Access<'_>, AccessError> {
        self.access().with_tenant_ownership_or_error(tenant)
    }

    /// See [`Access::get_related_account_or_error`].
    pub fn get_related_account_or_error(&self) -> Result<RelatedAccounts, AccessError> {
        self.access().get_related_account_or_error()
    }

    /// See [`Access::get_tenant_wide_permission_or_error`].
    pub fn get_tenant_wide_permission_or_error(
        &self,
        tenant: Uuid,
        required: Permission,
    ) -> Result<RelatedAccounts, AccessError> {
        self.access()
            .get_tenant_wide_permission_or_error(tenant, required)
    }

    /// See [`Access::get_related_accounts_or_tenant_wide_permission_or_error`].
    pub fn get_related_accounts_or_tenant_wide_permission_or_error(
        &self,
        tenant: Uuid,
        required: Permission,
    ) -> Result<RelatedAccounts, AccessError> {
        self.access()
            .get_related_accounts_or_tenant_wide_permission_or_error(tenant, required)
    }

    /// See [`Access::get_ids_or_error`].
    pub fn get_ids_or_error(&self) -> Result<Vec<Uuid>, AccessError> {
        self.access().get_ids_or_error()
    }

    /// Staff or manager.
    pub fn has_admin_privileges(&self) -> bool {
        self.is_staff || self.is_manager
    }

    /// See [`Access::has_admin_privileges_or_error`].
    pub fn has_admin_privileges_or_error(&self) -> Result<(), AccessError> {
        self.access().has_admin_privileges_or_error()
    }
}
