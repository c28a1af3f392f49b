//! `beginners.*`: what any authenticated caller may do for itself.

use myc_profile::Profile;

use super::{Audit, Caller};

/// `beginners.profile.get` params.
#[derive(Clone, Copy, Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetProfile {
    /// Licences and ownerships as URL strings (upstream's default: `true`) or as records.
    #[serde(default)]
    pub with_url: Option<bool>,
}

/// `beginners.profile.get`: the caller's own resolved profile, with licences and ownerships
/// as URL strings unless `withUrl` is `false` (as upstream answers).
pub fn profile_get(caller: &Caller, params: GetProfile) -> Result<Profile, super::UseCaseError> {
    let mut profile = Profile::clone(&caller.profile);
    if params.with_url.unwrap_or(true) {
        let internal = |_| super::UseCaseError::InvalidParams("unreadable licence".into());
        if let Some(licences) = &profile.licensed_resources {
            let urls = licences.to_urls().map_err(internal)?;
            profile.licensed_resources =
                (!urls.is_empty()).then_some(myc_profile::LicensedResources::Urls(urls));
        }
        if let Some(owned) = &profile.tenants_ownership {
            let urls: Vec<String> = owned
                .to_records()
                .map_err(internal)?
                .iter()
                .map(myc_profile::TenantOwnership::to_url)
                .collect();
            profile.tenants_ownership =
                (!urls.is_empty()).then_some(myc_profile::TenantsOwnership::Urls(urls));
        }
    }
    Ok(profile)
}

/// `beginners.guests.acceptInvitation` params (upstream's: the role by name and permission).
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptInvitation {
    /// The subscription account the caller was invited to.
    pub account_id: uuid::Uuid,
    /// The guest role's slug.
    pub guest_role_name: String,
    /// `0` read, `1` write.
    pub permission: myc_profile::Permission,
}

/// `beginners.guests.acceptInvitation`: the caller accepts an invitation made to its own
/// e-mail; returns that e-mail (its cached profiles are stale).
pub async fn accept_invitation(
    store: &crate::store::SqlStore,
    caller: &Caller,
    params: AcceptInvitation,
) -> Result<String, super::UseCaseError> {
    use super::UseCaseError;
    let email = caller
        .email()
        .ok_or(UseCaseError::Forbidden("the caller has no e-mail"))?
        .to_owned();
    let role = store
        .guest_role_by(&params.guest_role_name, params.permission)
        .await?
        .ok_or_else(|| UseCaseError::NotFound(format!("guest role {}", params.guest_role_name)))?;
    if !store
        .accept_invitation(params.account_id, &email, role.id)
        .await?
    {
        return Err(UseCaseError::NotFound(
            "no invitation to that account with that role for the caller".into(),
        ));
    }
    Audit::of(caller, "beginners.guests.acceptInvitation")
        .account(params.account_id)
        .detail(serde_json::json!({ "roleId": role.id }))
        .record(store)
        .await?;
    Ok(email)
}

/// Params naming the caller's own account.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OwnAccount {
    /// The caller's account id (anything else is refused).
    pub account_id: uuid::Uuid,
    /// A new name (`beginners.accounts.updateName`).
    #[serde(default)]
    pub name: Option<String>,
}

fn own(caller: &Caller, account: uuid::Uuid) -> Result<(), super::UseCaseError> {
    if caller.profile.acc_id == account {
        Ok(())
    } else {
        Err(super::UseCaseError::Forbidden(
            "only the caller's own account",
        ))
    }
}

/// `beginners.accounts.get`: the caller's own account with tags and metadata.
pub async fn account_get(
    store: &crate::store::SqlStore,
    caller: &Caller,
    _: serde_json::Map<String, serde_json::Value>,
) -> Result<crate::store::AccountDetails, super::UseCaseError> {
    Ok(store.account_details(caller.profile.acc_id).await?)
}

/// `beginners.accounts.updateName`.
pub async fn account_update_name(
    store: &crate::store::SqlStore,
    caller: &Caller,
    p: OwnAccount,
) -> Result<crate::store::AccountRecord, super::UseCaseError> {
    own(caller, p.account_id)?;
    let name = p
        .name
        .clone()
        .ok_or_else(|| super::UseCaseError::InvalidParams("name is required".into()))?;
    let update = crate::store::AccountUpdate {
        name: Some(name.clone()),
        ..Default::default()
    };
    store.update_account(p.account_id, &update).await?;
    let detail = serde_json::json!({ "name": name });
    Audit::of(caller, "beginners.accounts.updateName")
        .account(p.account_id)
        .detail(detail)
        .record(store)
        .await?;
    let record = store.account_record(p.account_id).await?;
    let payload = serde_json::json!({ "accountId": record.id, "name": record.name });
    let event = crate::webhooks::Event::now("userAccount.updated", payload);
    crate::webhooks::fire(store, event).await;
    Ok(record)
}

/// `beginners.accounts.delete`: the caller's own account is marked deleted and inactive (it
/// is refused from then on; administrators keep its trail).
pub async fn account_delete(
    store: &crate::store::SqlStore,
    caller: &Caller,
    p: OwnAccount,
) -> Result<(), super::UseCaseError> {
    own(caller, p.account_id)?;
    let update = crate::store::AccountUpdate {
        active: Some(false),
        deleted: Some(true),
        ..Default::default()
    };
    store.update_account(p.account_id, &update).await?;
    let detail = serde_json::json!({});
    Audit::of(caller, "beginners.accounts.delete")
        .account(p.account_id)
        .detail(detail)
        .record(store)
        .await?;
    let payload = serde_json::json!({ "accountId": p.account_id });
    let event = crate::webhooks::Event::now("userAccount.deleted", payload);
    crate::webhooks::fire(store, event).await;
    Ok(())
}

/// `beginners.meta.*` params.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Meta {
    /// The key (e.g. `phone_number`, `locale`, `custom:key`).
    pub key: String,
    /// The value (create, update).
    #[serde(default)]
    pub value: Option<String>,
}

/// What `beginners.meta.*` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetaAction {
    /// `create`: a new key.
    Create,
    /// `update`: set a key.
    Update,
    /// `delete`.
    Delete,
}

/// `beginners.meta.create|update|delete` on the caller's own account.
pub async fn meta(
    store: &crate::store::SqlStore,
    caller: &Caller,
    p: Meta,
    action: MetaAction,
) -> Result<(), super::UseCaseError> {
    use super::UseCaseError;
    let account = caller.profile.acc_id;
    let value = || {
        p.value
            .as_deref()
            .ok_or_else(|| UseCaseError::InvalidParams("value is required".into()))
    };
    let name = match action {
        MetaAction::Create => {
            store
                .put_account_meta(account, &p.key, value()?, true)
                .await?;
            "beginners.meta.create"
        }
        MetaAction::Update => {
            store
                .put_account_meta(account, &p.key, value()?, false)
                .await?;
            "beginners.meta.update"
        }
        MetaAction::Delete => {
            if !store.delete_account_meta(account, &p.key).await? {
                return Err(UseCaseError::NotFound(format!(
                    "metadata {} not found",
                    p.key
                )));
            }
            "beginners.meta.delete"
        }
    };
    let detail = serde_json::json!({ "key": p.key });
    Audit::of(caller, name)
        .account(account)
        .detail(detail)
        .record(store)
        .await
}

/// `beginners.tenants.getPublicInfo` params.
#[derive(Clone, Copy, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantId {
    /// The tenant.
    pub tenant_id: uuid::Uuid,
}

/// What any signed-in caller may read of a tenant.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantPublicInfo {
    /// Id.
    pub id: uuid::Uuid,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Verified by its owners.
    pub is_verified: bool,
}

/// `beginners.tenants.getPublicInfo`: name, description and verification, nothing else.
pub async fn tenant_public_info(
    store: &crate::store::SqlStore,
    _caller: &Caller,
    p: TenantId,
) -> Result<TenantPublicInfo, super::UseCaseError> {
    let t = store.tenant_details(p.tenant_id).await?;
    Ok(TenantPublicInfo {
        id: t.id,
        name: t.name,
        description: t.description,
        is_verified: t.is_verified,
    })
}

/// `beginners.accounts.create` params.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateAccount {
    /// The account's name.
    pub name: String,
}

/// `beginners.accounts.create`: a caller whose credential verified (an identity provider's
/// token) but who has no account yet creates its own user account, owned by its e-mail.
pub async fn account_create(
    store: &crate::store::SqlStore,
    email: &str,
    p: CreateAccount,
) -> Result<crate::store::AccountRecord, super::UseCaseError> {
    use crate::store::Store;
    if p.name.trim().is_empty() {
        return Err(super::UseCaseError::InvalidParams(
            "name is required".into(),
        ));
    }
    let mut new = crate::store::NewAccount::user(email);
    new.name = &p.name;
    let account = store.create_account(new).await.map_err(|e| match e {
        crate::store::Error::Conflict(_) => {
            super::UseCaseError::Conflict("the caller has an account already".into())
        }
        other => other.into(),
    })?;
    store
        .record_audit(crate::store::NewAuditEvent {
            actor_account: Some(account.id),
            actor_email: Some(&account.email),
            action: "beginners.accounts.create",
            tenant_id: None,
            account_id: Some(account.id),
            detail: serde_json::json!({ "name": account.name }),
        })
        .await?;
    let payload = serde_json::json!({
        "accountId": account.id, "email": account.email, "name": account.name,
    });
    let event = crate::webhooks::Event::now("userAccount.created", payload);
    crate::webhooks::fire(store, event).await;
    Ok(store.account_record(account.id).await?)
}
