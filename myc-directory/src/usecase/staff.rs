//! `staff.*`: staff accounts raise or lower other accounts' platform privileges.

use serde::Deserialize;
use uuid::Uuid;

use super::{Audit, Caller, UseCaseError, require_staff};
use crate::store::{AccountRecord, SqlStore};

/// `staff.accounts.upgradePrivileges` / `downgradePrivileges` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Privileges {
    /// The account (a user, manager or staff account).
    pub account_id: Uuid,
    /// `Staff`/`Manager` (upgrade) or `Manager`/`User` (downgrade), any case.
    pub to: String,
}

/// `staff.accounts.upgradePrivileges` (`upgrade`) or `downgradePrivileges`.
pub async fn change_privileges(
    store: &SqlStore,
    caller: &Caller,
    p: Privileges,
    upgrade: bool,
) -> Result<AccountRecord, UseCaseError> {
    require_staff(caller)?;
    let to = p.to.to_ascii_lowercase();
    let allowed: &[&str] = if upgrade {
        &["staff", "manager"]
    } else {
        &["manager", "user"]
    };
    if !allowed.contains(&to.as_str()) {
        return Err(UseCaseError::InvalidParams(format!(
            "to must be {} here",
            allowed.join(" or ")
        )));
    }
    if p.account_id == caller.profile.acc_id && !upgrade {
        return Err(UseCaseError::InvalidParams(
            "staff cannot downgrade its own account".into(),
        ));
    }
    store.set_privileges(p.account_id, &to).await?;
    let action = if upgrade {
        "staff.accounts.upgradePrivileges"
    } else {
        "staff.accounts.downgradePrivileges"
    };
    Audit::of(caller, action)
        .account(p.account_id)
        .detail(serde_json::json!({ "to": to }))
        .record(store)
        .await?;
    Ok(store.account_record(p.account_id).await?)
}
