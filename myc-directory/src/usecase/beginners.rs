//! `beginners.*`: what any authenticated caller may do for itself.

use super::Caller;
use myc_profile::Profile;

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
    super::audit(
        store,
        caller,
        "beginners.guests.acceptInvitation",
        None,
        Some(params.account_id),
        serde_json::json!({ "roleId": role.id }),
    )
    .await?;
    Ok(email)
}
