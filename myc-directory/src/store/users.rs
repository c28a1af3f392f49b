//! The person behind an e-mail, as a login answer shows them: the owner record of their
//! account, when they have one.

use sqlx::Row;
use uuid::Uuid;

use super::Error;
use super::sql::{SqlStore, args, db, uuid};

/// An account owner, as a login answer shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    /// The owner's id.
    pub id: Uuid,
    /// The account they own.
    pub account_id: Uuid,
    /// Their username (when set).
    pub username: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Whether they are the account's principal owner.
    pub is_principal: bool,
    /// Whether their account is active.
    pub is_active: bool,
    /// When they were added (Unix seconds).
    pub created_at: i64,
}

impl SqlStore {
    /// The owner whose login is `email` (canonical), if any.
    pub async fn login_user(&self, email: &str) -> Result<Option<UserRecord>, Error> {
        let sql = "SELECT o.id, o.account_id, o.username, o.first_name, o.last_name, \
                   o.is_principal, a.is_active, o.created_at \
                   FROM myc_owners o JOIN myc_accounts a ON a.id = o.account_id \
                   WHERE o.email = $1";
        let rows = self.fetch(sql, args![email]).await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let id: String = row.try_get(0).map_err(db)?;
        let account: String = row.try_get(1).map_err(db)?;
        let principal: i64 = row.try_get(5).map_err(db)?;
        let active: i64 = row.try_get(6).map_err(db)?;
        Ok(Some(UserRecord {
            id: uuid(&id)?,
            account_id: uuid(&account)?,
            username: row.try_get(2).map_err(db)?,
            first_name: row.try_get(3).map_err(db)?,
            last_name: row.try_get(4).map_err(db)?,
            is_principal: principal == 1,
            is_active: active == 1,
            created_at: row.try_get(7).map_err(db)?,
        }))
    }
}
