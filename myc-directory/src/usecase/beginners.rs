//! `beginners.*`: what any authenticated caller may do for itself.

use super::Caller;
use myc_profile::Profile;

/// `beginners.profile.get`: the caller's own resolved profile.
pub fn profile_get(caller: &Caller) -> &Profile {
    &caller.profile
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
