//! `userManager.*`: the life cycle of accounts (platform administrators).

use serde::Deserialize;
use uuid::Uuid;

use super::{Audit, Caller, UseCaseError, require_platform_admin};
use crate::store::{AccountRecord, AccountUpdate, SqlStore};

/// `userManager.account.activate` / `.deactivate` params.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountId {
    /// The account.
    pub account_id: Uuid,
}

/// What `userManager.account.*` does to an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountState {
    /// `activate`: it may sign in again.
    Activate,
    /// `deactivate`: refused on every route but public ones.
    Deactivate,
    /// `approve`: checked.
    Approve,
    /// `disapprove`: unchecked.
    Disapprove,
    /// `archive`.
    Archive,
    /// `unarchive`.
    Unarchive,
}

impl AccountState {
    fn action(self) -> &'static str {
        match self {
            Self::Activate => "userManager.account.activate",
            Self::Deactivate => "userManager.account.deactivate",
            Self::Approve => "userManager.account.approve",
            Self::Disapprove => "userManager.account.disapprove",
            Self::Archive => "userManager.account.archive",
            Self::Unarchive => "userManager.account.unarchive",
        }
    }

    fn update(self) -> AccountUpdate {
        let mut update = AccountUpdate::default();
        match self {
            Self::Activate | Self::Deactivate => update.active = Some(self == Self::Activate),
            Self::Approve | Self::Disapprove => update.checked = Some(self == Self::Approve),
            Self::Archive | Self::Unarchive => update.archived = Some(self == Self::Archive),
        }
        update
    }
}

/// `userManager.account.*`: staff or manager. An administrator cannot deactivate or archive
/// its own account.
pub async fn set_state(
    store: &SqlStore,
    caller: &Caller,
    params: AccountId,
    state: AccountState,
) -> Result<AccountRecord, UseCaseError> {
    require_platform_admin(caller)?;
    let locks_out = matches!(state, AccountState::Deactivate | AccountState::Archive);
    if params.account_id == caller.profile.acc_id && locks_out {
        return Err(UseCaseError::InvalidParams(
            "an administrator cannot deactivate or archive its own account".into(),
        ));
    }
    store
        .update_account(params.account_id, &state.update())
        .await?;
    Audit::of(caller, state.action())
        .account(params.account_id)
        .record(store)
        .await?;
    Ok(store.account_record(params.account_id).await?)
}
