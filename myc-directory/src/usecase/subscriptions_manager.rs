//! `subscriptionsManager.*`: subscription accounts of a tenant and the guests in them.

use myc_profile::Permission;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::managers::Page;
use super::{Audit, Caller, UseCaseError, require_tenant_manager};
use crate::store::{
    AccountDetails, AccountRecord, GuestRoleDetails, SqlStore, SubscriptionAccount,
    TenantAccountKind,
};

/// `subscriptionsManager.accounts.createSubscriptionAccount` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateSubscriptionAccount {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The account's name.
    pub name: String,
}

/// A subscription account as answered.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionAccountRecord {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Upstream's account type: `{"subscription": {"tenantId": …}}`.
    pub account_type: serde_json::Value,
    /// When it was created.
    pub created: chrono::DateTime<chrono::Utc>,
}

impl From<SubscriptionAccount> for SubscriptionAccountRecord {
    fn from(a: SubscriptionAccount) -> Self {
        Self {
            id: a.id,
            name: a.name,
            account_type: serde_json::json!({ "subscription": { "tenantId": a.tenant_id } }),
            created: a.created_at,
        }
    }
}

/// `subscriptionsManager.accounts.createSubscriptionAccount`.
pub async fn create_subscription_account(
    store: &SqlStore,
    caller: &Caller,
    params: CreateSubscriptionAccount,
) -> Result<SubscriptionAccountRecord, UseCaseError> {
    require_tenant_manager(caller, params.tenant_id, Permission::Write)?;
    let account = store
        .create_subscription_account(params.tenant_id, &params.name)
        .await?;
    Audit::of(
        caller,
        "subscriptionsManager.accounts.createSubscriptionAccount",
    )
    .tenant(params.tenant_id)
    .account(account.id)
    .detail(serde_json::json!({ "name": account.name }))
    .record(store)
    .await?;
    let record = SubscriptionAccountRecord::from(account);
    fire_account(store, "subscriptionAccount.created", &record).await;
    Ok(record)
}

/// The webhook event about a subscription account.
async fn fire_account(store: &SqlStore, event: &'static str, account: &SubscriptionAccountRecord) {
    let payload = serde_json::json!({
        "accountId": account.id,
        "tenantId": account.account_type["subscription"]["tenantId"],
        "name": account.name,
        "accountType": account.account_type,
    });
    crate::webhooks::fire(store, crate::webhooks::Event::now(event, payload)).await;
}

/// `subscriptionsManager.accounts.propagateSubscriptionAccount` params.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Propagate {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The subscription account.
    pub account_id: Uuid,
}

/// What `propagateSubscriptionAccount` answers.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Propagated {
    /// The account.
    pub account: SubscriptionAccountRecord,
    /// How many webhook deliveries were queued.
    pub deliveries: usize,
}

/// `subscriptionsManager.accounts.propagateSubscriptionAccount`: sends the account to the
/// webhooks listening to `subscriptionAccount.created` again (`"propagated": true`), e.g.
/// for a system that joined after it was created.
pub async fn propagate(
    store: &SqlStore,
    caller: &Caller,
    p: Propagate,
) -> Result<Propagated, UseCaseError> {
    tenant_account(store, caller, p.tenant_id, p.account_id, Permission::Write).await?;
    let account = store
        .subscription_accounts(p.tenant_id)
        .await?
        .into_iter()
        .find(|a| a.id == p.account_id)
        .ok_or_else(|| UseCaseError::NotFound(format!("subscription account {}", p.account_id)))?;
    let record = SubscriptionAccountRecord::from(account);
    let event = crate::webhooks::Event::now(
        "subscriptionAccount.created",
        serde_json::json!({
            "accountId": record.id,
            "tenantId": p.tenant_id,
            "name": record.name,
            "accountType": record.account_type,
            "propagated": true,
        }),
    );
    let deliveries = store.enqueue_event(event.name, |id| event.body(id)).await?;
    let action = "subscriptionsManager.accounts.propagateSubscriptionAccount";
    let detail = serde_json::json!({ "deliveries": deliveries });
    Audit::of(caller, action)
        .tenant(p.tenant_id)
        .account(p.account_id)
        .detail(detail)
        .record(store)
        .await?;
    Ok(Propagated {
        account: record,
        deliveries,
    })
}

/// `subscriptionsManager.guests.guestUserToSubscriptionAccount` and
/// `…revokeUserGuestToSubscriptionAccount` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuestParams {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The subscription account (of that tenant).
    pub account_id: Uuid,
    /// The guest role.
    pub role_id: Uuid,
    /// The guest's e-mail.
    pub email: String,
}

/// A guest relation as answered.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuestRecord {
    /// The guest's e-mail.
    pub email: String,
    /// The subscription account.
    pub account_id: Uuid,
    /// The guest role.
    pub role_id: Uuid,
    /// Whether the invitation was accepted.
    pub was_verified: bool,
    /// False when the invitation existed already.
    pub created: bool,
    /// The tenant, when the record comes from an invitation just made (not serialized).
    #[serde(skip)]
    pub invited_to: Option<Uuid>,
}

/// The account, checked to belong to the tenant the caller manages.
pub(crate) async fn tenant_account(
    store: &SqlStore,
    caller: &Caller,
    tenant: Uuid,
    account: Uuid,
    need: Permission,
) -> Result<AccountRecord, UseCaseError> {
    require_tenant_manager(caller, tenant, need)?;
    match store.account_record(account).await {
        Ok(record) if record.tenant_id == Some(tenant) => Ok(record),
        _ => Err(UseCaseError::NotFound(format!(
            "account {account} of tenant {tenant} not found"
        ))),
    }
}

/// Guesting into (or revoking from) the tenant's management account, or with a role that
/// administers the tenant (`tenant-manager`, `subscriptions-manager`), changes who
/// administers it: only its owners, tenant managers and platform administrators may. A
/// subscriptions manager cannot raise anybody, itself included, to those.
pub(crate) async fn require_grant(
    store: &SqlStore,
    caller: &Caller,
    tenant: Uuid,
    account: &AccountRecord,
    role: Uuid,
) -> Result<(), UseCaseError> {
    let management =
        account.account_type == serde_json::json!({ "tenantManager": { "tenantId": tenant } });
    let administrative = store.guest_role(role).await.is_ok_and(|r| {
        r.slug == super::TENANT_MANAGER_ROLE || r.slug == super::SUBSCRIPTIONS_MANAGER_ROLE
    });
    if management || administrative {
        super::require_tenant_admin(caller, tenant, Permission::Write)?;
    }
    Ok(())
}

/// Who may add or remove `params`'s guest relation: a manager of the tenant, and for
/// administrative roles or the management account a tenant administrator.
async fn authorize_guest(
    store: &SqlStore,
    caller: &Caller,
    params: &GuestParams,
) -> Result<(), UseCaseError> {
    let (tenant, account) = (params.tenant_id, params.account_id);
    let record = tenant_account(store, caller, tenant, account, Permission::Write).await?;
    require_grant(store, caller, tenant, &record, params.role_id).await
}

/// `subscriptionsManager.guests.guestUserToSubscriptionAccount`: invites the e-mail (pending
/// until the user accepts with `beginners.guests.acceptInvitation`).
pub async fn guest_user(
    store: &SqlStore,
    caller: &Caller,
    params: GuestParams,
) -> Result<GuestRecord, UseCaseError> {
    authorize_guest(store, caller, &params).await?;
    let created = store
        .invite_guest(params.account_id, &params.email, params.role_id)
        .await?;
    let guest = store
        .guest(params.account_id, &params.email, params.role_id)
        .await?
        .ok_or_else(|| UseCaseError::NotFound("the invitation vanished".into()))?;
    Audit::of(
        caller,
        "subscriptionsManager.guests.guestUserToSubscriptionAccount",
    )
    .tenant(params.tenant_id)
    .account(params.account_id)
    .detail(serde_json::json!({ "email": guest.email, "roleId": params.role_id }))
    .record(store)
    .await?;
    let (tenant, account, role) = (params.tenant_id, params.account_id, params.role_id);
    let invited = "guestAccount.invited";
    crate::webhooks::fire_guest(store, invited, tenant, account, &guest.email, role).await;
    Ok(GuestRecord {
        email: guest.email,
        account_id: params.account_id,
        role_id: params.role_id,
        was_verified: guest.accepted,
        created,
        invited_to: Some(params.tenant_id),
    })
}

/// `subscriptionsManager.guests.revokeUserGuestToSubscriptionAccount`; the guest's e-mail is
/// returned so the caller can forget cached profiles.
pub async fn revoke_guest(
    store: &SqlStore,
    caller: &Caller,
    params: GuestParams,
) -> Result<String, UseCaseError> {
    authorize_guest(store, caller, &params).await?;
    if !store
        .revoke_guest(params.account_id, &params.email, params.role_id)
        .await?
    {
        return Err(UseCaseError::NotFound(format!(
            "{} is not a guest of that account with that role",
            params.email
        )));
    }
    Audit::of(
        caller,
        "subscriptionsManager.guests.revokeUserGuestToSubscriptionAccount",
    )
    .tenant(params.tenant_id)
    .account(params.account_id)
    .detail(serde_json::json!({ "email": params.email, "roleId": params.role_id }))
    .record(store)
    .await?;
    let (tenant, account, role) = (params.tenant_id, params.account_id, params.role_id);
    let email = crate::store::normalize_email(&params.email)?;
    let revoked = "guestAccount.revoked";
    crate::webhooks::fire_guest(store, revoked, tenant, account, &email, role).await;
    Ok(email)
}

/// `subscriptionsManager.accounts.createRoleAssociatedAccount` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRoleAssociated {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The account's name.
    pub account_name: String,
    /// The role's name (its read and write guest roles are created when missing).
    pub role_name: String,
    /// The role's description.
    pub role_description: String,
}

/// `subscriptionsManager.accounts.createRoleAssociatedAccount`.
pub async fn create_role_associated_account(
    store: &SqlStore,
    caller: &Caller,
    p: CreateRoleAssociated,
) -> Result<AccountRecord, UseCaseError> {
    require_tenant_manager(caller, p.tenant_id, Permission::Write)?;
    let slug = crate::store::slugify(&p.role_name);
    if slug.is_empty() {
        return Err(UseCaseError::InvalidParams(
            "roleName needs letters or digits".into(),
        ));
    }
    let mut ids = [Uuid::nil(); 2];
    for (i, permission) in [Permission::Read, Permission::Write]
        .into_iter()
        .enumerate()
    {
        ids[i] = match store.guest_role_by(&slug, permission).await? {
            Some(role) => role.id,
            None => {
                store
                    .create_guest_role_described(
                        &p.role_name,
                        &p.role_description,
                        permission,
                        false,
                    )
                    .await?
                    .id
            }
        };
    }
    let kind = TenantAccountKind::RoleAssociated {
        role_name: slug,
        read_role_id: ids[0],
        write_role_id: ids[1],
    };
    let account = store
        .create_tenant_account(p.tenant_id, &p.account_name, &kind)
        .await?;
    let action = "subscriptionsManager.accounts.createRoleAssociatedAccount";
    let detail = serde_json::json!({ "name": account.name, "roleName": p.role_name });
    Audit::of(caller, action)
        .tenant(p.tenant_id)
        .account(account.id)
        .detail(detail)
        .record(store)
        .await?;
    Ok(account)
}

/// `subscriptionsManager.accounts.list` params.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListAccounts {
    /// The tenant.
    pub tenant_id: Uuid,
    /// Only names containing this.
    #[serde(default)]
    pub term: Option<String>,
    /// Only accounts tagged with this value.
    #[serde(default)]
    pub tag_value: Option<String>,
    /// Only this type (`subscription`, `tenantManager`, `roleAssociated`; upstream's
    /// PascalCase names are accepted).
    #[serde(default)]
    pub account_type: Option<String>,
    /// Page size (default 20, at most 100).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// How many to skip.
    #[serde(default)]
    pub skip: Option<u32>,
}

/// The page size and skip of paginated params.
pub(crate) fn paging(size: Option<u32>, skip: Option<u32>) -> Result<(u32, u32), UseCaseError> {
    let size = size.unwrap_or(20);
    if !(1..=100).contains(&size) {
        return Err(UseCaseError::InvalidParams(
            "pageSize must be between 1 and 100".into(),
        ));
    }
    Ok((size, skip.unwrap_or(0)))
}

/// `subscriptionsManager.accounts.list`: the tenant's accounts; `None` when none match.
pub async fn list_accounts(
    store: &SqlStore,
    caller: &Caller,
    p: ListAccounts,
) -> Result<Option<Page<AccountRecord>>, UseCaseError> {
    require_tenant_manager(caller, p.tenant_id, Permission::Read)?;
    let (size, skip) = paging(p.page_size, p.skip)?;
    let account_type = p.account_type.map(|t| {
        let mut chars = t.chars();
        chars
            .next()
            .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
            .unwrap_or_default()
    });
    let filter = crate::store::AccountFilter {
        tenant: Some(p.tenant_id),
        term: p.term,
        account_type,
        tag_value: p.tag_value,
        skip,
        size,
    };
    let (count, records) = store.list_accounts(&filter).await?;
    Ok(Page::counted(count, records, size, skip))
}

/// `subscriptionsManager.accounts.get` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetAccount {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The account.
    pub account_id: Uuid,
}

/// `subscriptionsManager.accounts.get`: one of the tenant's accounts with tags and metadata.
pub async fn get_account(
    store: &SqlStore,
    caller: &Caller,
    p: GetAccount,
) -> Result<AccountDetails, UseCaseError> {
    tenant_account(store, caller, p.tenant_id, p.account_id, Permission::Read).await?;
    Ok(store.account_details(p.account_id).await?)
}

/// `subscriptionsManager.accounts.updateNameAndFlags` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateAccount {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The account.
    pub account_id: Uuid,
    /// A new name.
    #[serde(default)]
    pub name: Option<String>,
    /// Active.
    #[serde(default)]
    pub is_active: Option<bool>,
    /// Checked.
    #[serde(default)]
    pub is_checked: Option<bool>,
    /// Archived.
    #[serde(default)]
    pub is_archived: Option<bool>,
}

/// `subscriptionsManager.accounts.updateNameAndFlags`.
pub async fn update_account(
    store: &SqlStore,
    caller: &Caller,
    p: UpdateAccount,
) -> Result<AccountRecord, UseCaseError> {
    tenant_account(store, caller, p.tenant_id, p.account_id, Permission::Write).await?;
    let update = crate::store::AccountUpdate {
        name: p.name.clone(),
        active: p.is_active,
        checked: p.is_checked,
        archived: p.is_archived,
        deleted: None,
    };
    store.update_account(p.account_id, &update).await?;
    let action = "subscriptionsManager.accounts.updateNameAndFlags";
    let detail = serde_json::json!({
        "name": p.name, "isActive": p.is_active, "isChecked": p.is_checked, "isArchived": p.is_archived,
    });
    Audit::of(caller, action)
        .tenant(p.tenant_id)
        .account(p.account_id)
        .detail(detail)
        .record(store)
        .await?;
    let record = store.account_record(p.account_id).await?;
    if record.account_type.get("subscription").is_some() {
        let payload = serde_json::json!({
            "accountId": record.id, "tenantId": p.tenant_id, "name": record.name,
            "isActive": record.is_active, "isChecked": record.is_checked,
            "isArchived": record.is_archived,
        });
        let event = crate::webhooks::Event::now("subscriptionAccount.updated", payload);
        crate::webhooks::fire(store, event).await;
    }
    Ok(record)
}

/// `subscriptionsManager.guests.listLicensedAccountsOfEmail` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LicensedAccountsOf {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The e-mail.
    pub email: String,
    /// Only accepted (`true`) or pending (`false`) relations.
    #[serde(default)]
    pub was_verified: Option<bool>,
}

/// `subscriptionsManager.guests.listLicensedAccountsOfEmail`: the e-mail's guest relations in
/// the tenant.
pub async fn licensed_accounts_of(
    store: &SqlStore,
    caller: &Caller,
    p: LicensedAccountsOf,
) -> Result<Vec<GuestRecord>, UseCaseError> {
    require_tenant_manager(caller, p.tenant_id, Permission::Read)?;
    Ok(store
        .guest_relations_of(p.tenant_id, &p.email)
        .await?
        .into_iter()
        .filter(|g| p.was_verified.is_none_or(|v| v == g.accepted))
        .map(GuestRecord::from)
        .collect())
}

impl From<crate::store::GuestUser> for GuestRecord {
    fn from(g: crate::store::GuestUser) -> Self {
        Self {
            email: g.email,
            account_id: g.subscription_id,
            role_id: g.role_id,
            was_verified: g.accepted,
            created: false,
            invited_to: None,
        }
    }
}

/// `subscriptionsManager.guests.updateFlagsFromSubscriptionAccount` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuestFlags {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The account.
    pub account_id: Uuid,
    /// The guest role whose relations get the flags.
    pub role_id: Uuid,
    /// Flags licences must carry for `has_permit_flags` checks.
    #[serde(default)]
    pub permit_flags: Option<Vec<String>>,
    /// Flags that deny.
    #[serde(default)]
    pub deny_flags: Option<Vec<String>>,
}

/// `subscriptionsManager.guests.updateFlagsFromSubscriptionAccount`: sets the flags every
/// guest of the account with the role carries in its licence.
pub async fn update_guest_flags(
    store: &SqlStore,
    caller: &Caller,
    p: GuestFlags,
) -> Result<(), UseCaseError> {
    tenant_account(store, caller, p.tenant_id, p.account_id, Permission::Write).await?;
    let permit = p.permit_flags.clone().unwrap_or_default();
    let deny = p.deny_flags.clone().unwrap_or_default();
    if store
        .set_guest_flags(p.account_id, p.role_id, &permit, &deny)
        .await?
        == 0
    {
        return Err(UseCaseError::NotFound(
            "no guest of that account with that role".into(),
        ));
    }
    let action = "subscriptionsManager.guests.updateFlagsFromSubscriptionAccount";
    let detail =
        serde_json::json!({ "roleId": p.role_id, "permitFlags": permit, "denyFlags": deny });
    Audit::of(caller, action)
        .tenant(p.tenant_id)
        .account(p.account_id)
        .detail(detail)
        .record(store)
        .await
}

/// `subscriptionsManager.guests.listGuestOnSubscriptionAccount` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListGuests {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The account.
    pub account_id: Uuid,
    /// Page size (default 20, at most 100).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// How many to skip.
    #[serde(default)]
    pub skip: Option<u32>,
}

/// `subscriptionsManager.guests.listGuestOnSubscriptionAccount`; `None` when it has none.
pub async fn list_guests(
    store: &SqlStore,
    caller: &Caller,
    p: ListGuests,
) -> Result<Option<Page<GuestRecord>>, UseCaseError> {
    tenant_account(store, caller, p.tenant_id, p.account_id, Permission::Read).await?;
    let (size, skip) = paging(p.page_size, p.skip)?;
    let (count, guests) = store.account_guests(p.account_id, skip, size).await?;
    let records = guests.into_iter().map(GuestRecord::from).collect();
    Ok(Page::counted(count, records, size, skip))
}

/// `subscriptionsManager.guestRoles.list` / `accountManager.guestRoles.listGuestRoles` params.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListRoles {
    /// The tenant the caller manages.
    pub tenant_id: Uuid,
    /// Only names containing this.
    #[serde(default)]
    pub name: Option<String>,
    /// Only this slug.
    #[serde(default)]
    pub slug: Option<String>,
    /// Only system (or only non-system) roles.
    #[serde(default)]
    pub system: Option<bool>,
    /// Page size (default 20, at most 100).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// How many to skip.
    #[serde(default)]
    pub skip: Option<u32>,
}

/// `…guestRoles.get` / `…fetchGuestRoleDetails` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleId {
    /// The tenant the caller manages.
    pub tenant_id: Uuid,
    /// The guest role.
    pub id: Uuid,
}

/// `subscriptionsManager.guestRoles.list`: the roles guests can be given; `None` when none.
pub async fn list_roles(
    store: &SqlStore,
    caller: &Caller,
    p: ListRoles,
) -> Result<Option<Page<GuestRoleDetails>>, UseCaseError> {
    require_tenant_manager(caller, p.tenant_id, Permission::Read)?;
    roles_page(store, p).await
}

pub(crate) async fn roles_page(
    store: &SqlStore,
    p: ListRoles,
) -> Result<Option<Page<GuestRoleDetails>>, UseCaseError> {
    let (size, skip) = paging(p.page_size, p.skip)?;
    let filter = super::guests_manager::ListGuestRoles {
        name: p.name,
        slug: p.slug,
        system: p.system,
    };
    let all = super::guests_manager::filtered_roles(store, filter).await?;
    Ok(Page::of(all, size, skip))
}

/// `subscriptionsManager.guestRoles.get`.
pub async fn get_role(
    store: &SqlStore,
    caller: &Caller,
    p: RoleId,
) -> Result<GuestRoleDetails, UseCaseError> {
    require_tenant_manager(caller, p.tenant_id, Permission::Read)?;
    Ok(store.guest_role(p.id).await?)
}
