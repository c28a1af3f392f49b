//! `userManager.*`: the life cycle of accounts (platform administrators).

use serde::Deserialize;
use uuid::Uuid;

use super::{Caller, UseCaseError, audit, require_platform_admin};
use crate::store::SqlStore;

/// `userManager.account.activate` / `.deactivate` params.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountId {
    /// The account.
    pub account_id: Uuid,
}

/// `userManager.account.activate` (`active`) or `.deactivate`: staff or manager; the
/// account's owners' e-mails come back (their cached profiles are stale). A deactivated
/// account is refused on every route but public ones.
pub async fn set_active(
    store: &SqlStore,
    caller: &Caller,
    params: AccountId,
    active: bool,
) -> Result<Vec<String>, UseCaseError> {
    require_platform_admin(caller)?;
    if params.account_id == caller.profile.acc_id && !active {
        return Err(UseCaseError::InvalidParams(
            "an administrator cannot deactivate its own account".into(),
        ));
    }
    let emails = store
        .set_account_active_by_id(params.account_id, active)
        .await?;
    let action = if active {
        "userManager.account.activate"
    } else {
        "userManager.account.deactivate"
    };
    audit(
        store,
        caller,
        action,
        None,
        Some(params.account_id),
        serde_json::json!({}),
    )
    .await?;
    Ok(emails)
}
