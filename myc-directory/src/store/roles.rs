//! Guest roles as the guest-role managers see them (description, system flag), and account
//! state changes by account id.

use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

use super::sql::{SqlStore, args, db, now, permission, uuid};
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
    /// The roles a holder of this one may guest others with (`accountManager`).
    pub children: Vec<Uuid>,
}

/// The slugs of upstream's system roles (one per system actor that guests can hold), each
/// created with read and write permission by `managers.guestRoles.createSystemRoles`.
pub const SYSTEM_ROLES: &[&str] = &[
    "subscriptions-manager",
    "users-manager",
    "account-manager",
    "guests-manager",
    "gateway-manager",
    "system-manager",
    "tenant-manager",
];

const ROLE_COLUMNS: &str = "id, slug, name, description, permission, is_system";

fn details(row: &sqlx::any::AnyRow) -> Result<GuestRoleDetails, Error> {
    Ok(GuestRoleDetails {
        id: uuid(&row.try_get::<String, _>(0).map_err(db)?)?,
        slug: row.try_get(1).map_err(db)?,
        name: row.try_get(2).map_err(db)?,
        description: row.try_get(3).map_err(db)?,
        permission: permission(row.try_get(4).map_err(db)?)?,
        system: row.try_get::<i64, _>(5).map_err(db)? != 0,
        children: Vec::new(),
    })
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
            children: Vec::new(),
        })
    }

    /// Every guest role with its children, by slug then permission (two queries).
    pub async fn guest_roles(&self) -> Result<Vec<GuestRoleDetails>, Error> {
        let sql = format!("SELECT {ROLE_COLUMNS} FROM myc_guest_roles ORDER BY slug, permission");
        let mut roles: Vec<GuestRoleDetails> = self
            .fetch(&sql, args![])
            .await?
            .iter()
            .map(details)
            .collect::<Result<_, _>>()?;
        for (parent, child) in self.role_edges().await? {
            if let Some(role) = roles.iter_mut().find(|r| r.id == parent) {
                role.children.push(child);
            }
        }
        Ok(roles)
    }

    async fn role_edges(&self) -> Result<Vec<(Uuid, Uuid)>, Error> {
        let sql =
            "SELECT parent_id, child_id FROM myc_guest_role_children ORDER BY parent_id, child_id";
        self.fetch(sql, args![])
            .await?
            .iter()
            .map(|r| {
                Ok((
                    uuid(&r.try_get::<String, _>(0).map_err(db)?)?,
                    uuid(&r.try_get::<String, _>(1).map_err(db)?)?,
                ))
            })
            .collect()
    }

    /// The guest role `id` with its children.
    pub async fn guest_role(&self, id: Uuid) -> Result<GuestRoleDetails, Error> {
        let sql = format!("SELECT {ROLE_COLUMNS} FROM myc_guest_roles WHERE id = $1");
        let rows = self.fetch(&sql, args![id]).await?;
        let mut role = rows
            .first()
            .map(details)
            .transpose()?
            .ok_or_else(|| Error::NotFound(format!("guest role {id}")))?;
        role.children = self
            .role_edges()
            .await?
            .into_iter()
            .filter(|(parent, _)| *parent == id)
            .map(|(_, child)| child)
            .collect();
        Ok(role)
    }

    /// Renames (the slug follows the name) and/or redescribes the guest role `id`.
    pub async fn update_guest_role(
        &self,
        id: Uuid,
        name: Option<&str>,
        description: Option<&str>,
    ) -> Result<(), Error> {
        let name = name.map(str::trim);
        if name.is_some_and(|n| slugify(n).is_empty()) {
            return Err(Error::Invalid(
                "a guest role needs a name with letters or digits".into(),
            ));
        }
        let sql = "UPDATE myc_guest_roles SET name = COALESCE($1, name), slug = COALESCE($2, slug), \
                   description = COALESCE($3, description) WHERE id = $4";
        let done = self
            .execute(sql, args![name, name.map(slugify), description, id])
            .await
            .map_err(|e| match e {
                Error::Conflict(_) => {
                    Error::Conflict("a guest role with that name and permission".into())
                }
                other => other,
            })?;
        if done == 0 {
            return Err(Error::NotFound(format!("guest role {id}")));
        }
        Ok(())
    }

    /// Changes the guest role `id`'s permission.
    pub async fn set_guest_role_permission(&self, id: Uuid, to: Permission) -> Result<(), Error> {
        let sql = "UPDATE myc_guest_roles SET permission = $1 WHERE id = $2";
        let done = self
            .execute(sql, args![i64::from(to.as_int()), id])
            .await
            .map_err(|e| match e {
                Error::Conflict(_) => {
                    Error::Conflict("a guest role with that name and permission".into())
                }
                other => other,
            })?;
        if done == 0 {
            return Err(Error::NotFound(format!("guest role {id}")));
        }
        Ok(())
    }

    /// Deletes the guest role `id`; every guest relation with it goes too.
    pub async fn delete_guest_role(&self, id: Uuid) -> Result<(), Error> {
        match self
            .execute("DELETE FROM myc_guest_roles WHERE id = $1", args![id])
            .await?
        {
            0 => Err(Error::NotFound(format!("guest role {id}"))),
            _ => Ok(()),
        }
    }

    /// Makes `child` a child of `parent`; refused when it would make a cycle. `false` when it
    /// was one already.
    pub async fn insert_role_child(&self, parent: Uuid, child: Uuid) -> Result<bool, Error> {
        let edges = self.role_edges().await?;
        // A cycle: `parent` is reachable from `child` (or is it).
        let mut seen = vec![child];
        let mut i = 0;
        while let Some(&at) = seen.get(i) {
            if at == parent {
                return Err(Error::Invalid(
                    "that child would make a cycle of roles".into(),
                ));
            }
            for (p, c) in &edges {
                if *p == at && !seen.contains(c) {
                    seen.push(*c);
                }
            }
            i += 1;
        }
        let sql = "INSERT INTO myc_guest_role_children (parent_id, child_id) VALUES ($1, $2) \
                   ON CONFLICT (parent_id, child_id) DO NOTHING";
        Ok(self
            .execute(sql, args![parent, child])
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => Error::NotFound("guest role".into()),
                other => other,
            })?
            > 0)
    }

    /// Removes `child` from `parent`'s children; `false` when it was not one.
    pub async fn remove_role_child(&self, parent: Uuid, child: Uuid) -> Result<bool, Error> {
        let sql = "DELETE FROM myc_guest_role_children WHERE parent_id = $1 AND child_id = $2";
        Ok(self.execute(sql, args![parent, child]).await? > 0)
    }

    /// Creates the [`SYSTEM_ROLES`] that do not exist yet (read and write each); every system
    /// role comes back.
    pub async fn create_system_roles(&self) -> Result<Vec<GuestRoleDetails>, Error> {
        for slug in SYSTEM_ROLES {
            for permission in [Permission::Read, Permission::Write] {
                let sql = "INSERT INTO myc_guest_roles (id, slug, name, description, permission, \
                           is_system, created_at) VALUES ($1, $2, $2, $3, $4, 1, $5) \
                           ON CONFLICT (slug, permission) DO NOTHING";
                let description = format!("system role {slug}");
                let args = args![
                    Uuid::new_v4(),
                    *slug,
                    description,
                    i64::from(permission.as_int()),
                    now()
                ];
                self.execute(sql, args).await?;
            }
        }
        Ok(self
            .guest_roles()
            .await?
            .into_iter()
            .filter(|r| SYSTEM_ROLES.contains(&r.slug.as_str()))
            .collect())
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
