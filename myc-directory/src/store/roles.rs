//! Guest roles as the guest-role managers see them (description, system flag), and account
//! state changes by account id.

use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

use super::sql::{SqlStore, db, permission, uuid};
use super::{Error, Store};
use myc_profile::Permission;

/// A guest role with what its managers set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuestRoleDetails {
    /// Id.
    pub id: Uuid,
    /// Slug (what routes name in `protectedByRoles`).
    pub slug: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Permission.
    pub permission: Permission,
    /// A system role (created for the platform's own actors).
    pub system: bool,
}

/// Upstream derives a role's slug from its name: lower case, runs of anything but letters and
/// digits become one `-`.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

impl SqlStore {
    /// Creates a guest role named `name` (its slug derived), with a description and flag.
    pub async fn create_guest_role_described(
        &self,
        name: &str,
        description: &str,
        permission: Permission,
        system: bool,
    ) -> Result<GuestRoleDetails, Error> {
        let role = self
            .create_guest_role(&slugify(name), name, permission)
            .await?;
        sqlx::query("UPDATE myc_guest_roles SET description = $1, is_system = $2 WHERE id = $3")
            .bind(description)
            .bind(i64::from(system))
            .bind(role.id.to_string())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(GuestRoleDetails {
            id: role.id,
            slug: role.slug,
            name: role.name,
            description: Some(description.to_owned()),
            permission,
            system,
        })
    }

    /// Every guest role, by slug then permission.
    pub async fn guest_roles(&self) -> Result<Vec<GuestRoleDetails>, Error> {
        sqlx::query(
            "SELECT id, slug, name, description, permission, is_system FROM myc_guest_roles \
             ORDER BY slug, permission",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(|row| {
            Ok(GuestRoleDetails {
                id: uuid(&row.try_get::<String, _>(0).map_err(db)?)?,
                slug: row.try_get(1).map_err(db)?,
                name: row.try_get(2).map_err(db)?,
                description: row.try_get(3).map_err(db)?,
                permission: permission(row.try_get(4).map_err(db)?)?,
                system: row.try_get::<i64, _>(5).map_err(db)? != 0,
            })
        })
        .collect()
    }

    /// Activates or deactivates the account `id`; its owners' e-mails come back (their cached
    /// profiles are stale).
    pub async fn set_account_active_by_id(
        &self,
        id: Uuid,
        active: bool,
    ) -> Result<Vec<String>, Error> {
        let done = sqlx::query("UPDATE myc_accounts SET is_active = $1 WHERE id = $2")
            .bind(i64::from(active))
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(db)?
            .rows_affected();
        if done != 1 {
            return Err(Error::NotFound(format!("account {id}")));
        }
        sqlx::query_scalar("SELECT email FROM myc_owners WHERE account_id = $1")
            .bind(id.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db)
    }
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Subscriptions Manager"), "subscriptions-manager");
        assert_eq!(slugify("  Editor (v2)!  "), "editor-v2");
        assert_eq!(slugify("reporter"), "reporter");
    }
}
