//! `myc-gateway directory import FILE`: bulk tenants, guest roles, accounts and licences from
//! TOML (or JSON, when the file starts with `{`). Idempotent: what exists is kept and counted,
//! so a file can be re-applied after editing. The whole file is checked before anything is
//! written.
//!
//! ```toml
//! [[tenants]]
//! id = "11111111-1111-4111-8111-111111111111"   # optional
//! name = "Demo"
//! owner = "alice@example.com"                    # optional, an account of this file or the store
//!
//! [[guest_roles]]                                # optional: roles licences name are created anyway
//! slug = "accountant"
//! permission = "write"
//!
//! [[accounts]]
//! email = "alice@example.com"
//! licences = [{ tenant = "Demo", role = "accountant", permission = "write" }]  # tenant: name or id
//! ```

use std::collections::{BTreeSet, HashMap};

use myc_profile::Permission;
use serde::Deserialize;
use uuid::Uuid;

use super::{Error, NewAccount, Store, normalize_email};

/// Largest accepted directory file.
pub const MAX_DIRECTORY_BYTES: usize = 16 * 1024 * 1024;

/// A tenant.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantEntry {
    /// Id (random when absent).
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Name (unique).
    pub name: String,
    /// The owning account's e-mail.
    #[serde(default)]
    pub owner: Option<String>,
}

/// A guest role.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestRoleEntry {
    /// Slug.
    pub slug: String,
    /// Permission (`read` by default).
    #[serde(default = "read")]
    pub permission: Permission,
    /// Display name (the slug by default).
    #[serde(default)]
    pub name: Option<String>,
}

/// A licence (guest link) of an account.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenceEntry {
    /// Tenant id or name.
    pub tenant: String,
    /// Guest-role slug.
    pub role: String,
    /// Permission (`read` by default).
    #[serde(default = "read")]
    pub permission: Permission,
}

fn read() -> Permission {
    Permission::Read
}

/// An account and its principal owner.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountEntry {
    /// Owner e-mail (the login).
    pub email: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Account id (random when absent).
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Manager account.
    #[serde(default)]
    pub is_manager: bool,
    /// Staff account.
    #[serde(default)]
    pub is_staff: bool,
    /// Licences.
    #[serde(default)]
    pub licences: Vec<LicenceEntry>,
}

/// A directory file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryFile {
    /// Tenants.
    #[serde(default)]
    pub tenants: Vec<TenantEntry>,
    /// Guest roles.
    #[serde(default)]
    pub guest_roles: Vec<GuestRoleEntry>,
    /// Accounts.
    #[serde(default)]
    pub accounts: Vec<AccountEntry>,
}

/// What an import created and what it found in place.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Accounts created / already present.
    pub accounts: (usize, usize),
    /// Tenants created / already present.
    pub tenants: (usize, usize),
    /// Guest roles created / already present.
    pub guest_roles: (usize, usize),
    /// Guest links created / already present.
    pub licences: (usize, usize),
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pair = |(new, old): (usize, usize)| format!("{new} created, {old} existing");
        write!(
            f,
            "accounts: {}; tenants: {}; guest roles: {}; licences: {}",
            pair(self.accounts),
            pair(self.tenants),
            pair(self.guest_roles),
            pair(self.licences)
        )
    }
}

impl DirectoryFile {
    /// Parses TOML, or JSON when the text starts with `{`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        if text.len() > MAX_DIRECTORY_BYTES {
            return Err(Error::Invalid(format!(
                "larger than {MAX_DIRECTORY_BYTES} bytes"
            )));
        }
        if text.trim_start().starts_with('{') {
            let mut de = serde_json::Deserializer::from_str(text);
            serde_path_to_error::deserialize(&mut de)
                .map_err(|e| Error::Invalid(format!("{}: {}", e.path(), e.inner())))
        } else {
            let value: toml::Table = text
                .parse()
                .map_err(|e: toml::de::Error| Error::Invalid(e.message().to_owned()))?;
            serde_path_to_error::deserialize(value)
                .map_err(|e| Error::Invalid(format!("{}: {}", e.path(), e.inner().message())))
        }
    }

    /// Checks the file, then writes what is missing into `store`.
    pub async fn import<S: Store>(&self, store: &S) -> Result<ImportReport, Error> {
        let existing = store.tenants().await?;
        let mut tenant_ids: HashMap<String, Uuid> = HashMap::new();
        for t in &existing {
            tenant_ids.insert(t.name.clone(), t.id);
            tenant_ids.insert(t.id.to_string(), t.id);
        }
        let mut planned = Vec::new();
        for (i, t) in self.tenants.iter().enumerate() {
            let id = match (t.id, tenant_ids.get(t.name.trim())) {
                (Some(id), Some(found)) if id != *found => {
                    return Err(Error::Invalid(format!(
                        "tenants[{i}]: {:?} already exists with id {found}",
                        t.name
                    )));
                }
                (_, Some(found)) => *found,
                (Some(id), None) => id,
                (None, None) => Uuid::new_v4(),
            };
            tenant_ids.insert(t.name.trim().to_owned(), id);
            tenant_ids.insert(id.to_string(), id);
            planned.push(id);
        }
        let mut emails = BTreeSet::new();
        for (i, a) in self.accounts.iter().enumerate() {
            let email = normalize_email(&a.email)
                .map_err(|e| Error::Invalid(format!("accounts[{i}]: {e}")))?;
            if !emails.insert(email.clone()) {
                return Err(Error::Invalid(format!(
                    "accounts[{i}]: {email} is listed twice"
                )));
            }
            for (j, l) in a.licences.iter().enumerate() {
                let known = Uuid::parse_str(&l.tenant)
                    .map(|u| u.to_string())
                    .unwrap_or_else(|_| l.tenant.trim().to_owned());
                if !tenant_ids.contains_key(&known) {
                    return Err(Error::Invalid(format!(
                        "accounts[{i}].licences[{j}]: unknown tenant {:?}",
                        l.tenant
                    )));
                }
            }
        }
        for (i, t) in self.tenants.iter().enumerate() {
            if let Some(owner) = &t.owner {
                let email = normalize_email(owner)
                    .map_err(|e| Error::Invalid(format!("tenants[{i}].owner: {e}")))?;
                if !emails.contains(&email) && store.account_by_email(&email).await?.is_none() {
                    return Err(Error::Invalid(format!(
                        "tenants[{i}].owner: no account for {email}"
                    )));
                }
            }
        }

        let mut report = ImportReport::default();
        for a in &self.accounts {
            let new = NewAccount {
                email: &a.email,
                name: a.name.as_deref().unwrap_or(""),
                is_staff: a.is_staff,
                is_manager: a.is_manager,
                id: a.id,
            };
            match store.create_account(new).await {
                Ok(_) => report.accounts.0 += 1,
                Err(Error::Conflict(_)) if store.account_by_email(&a.email).await?.is_some() => {
                    report.accounts.1 += 1
                }
                Err(e) => return Err(e),
            }
        }
        for (t, id) in self.tenants.iter().zip(&planned) {
            if existing.iter().any(|e| e.id == *id) {
                report.tenants.1 += 1;
                continue;
            }
            store
                .create_tenant(&t.name, t.owner.as_deref(), Some(*id))
                .await?;
            report.tenants.0 += 1;
        }
        let mut roles: BTreeSet<(String, u8)> = BTreeSet::new();
        let named: Vec<(String, Permission, String)> = self
            .guest_roles
            .iter()
            .map(|r| {
                (
                    r.slug.clone(),
                    r.permission,
                    r.name.clone().unwrap_or_default(),
                )
            })
            .chain(self.accounts.iter().flat_map(|a| {
                a.licences
                    .iter()
                    .map(|l| (l.role.clone(), l.permission, String::new()))
            }))
            .collect();
        for (slug, permission, name) in named {
            if !roles.insert((slug.clone(), permission.as_int())) {
                continue;
            }
            match store.create_guest_role(&slug, &name, permission).await {
                Ok(_) => report.guest_roles.0 += 1,
                Err(Error::Conflict(_)) => report.guest_roles.1 += 1,
                Err(e) => return Err(e),
            }
        }
        for a in &self.accounts {
            for l in &a.licences {
                let key = Uuid::parse_str(&l.tenant)
                    .map(|u| u.to_string())
                    .unwrap_or_else(|_| l.tenant.trim().to_owned());
                let tenant = tenant_ids
                    .get(&key)
                    .copied()
                    .ok_or_else(|| Error::Invalid(format!("unknown tenant {:?}", l.tenant)))?;
                let link = store
                    .add_guest(tenant, &a.email, &l.role, l.permission)
                    .await?;
                if link.created {
                    report.licences.0 += 1;
                } else {
                    report.licences.1 += 1;
                }
            }
        }
        Ok(report)
    }
}
