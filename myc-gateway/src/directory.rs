//! An in-memory identity directory: accounts (by owner e-mail) with their licences, and the
//! connection strings issued to them (stored as SHA-256 of the header value, never the
//! signature). It implements myc-tower's [`ProfileResolver`] and [`ConnectionStringStore`].
//! Loaded from a TOML/JSON file (`--directory`) or seeded for `demo`; the SQL stores of
//! issue 7 implement the same traits.
//!
//! ```toml
//! [[tenants]]
//! id = "11111111-1111-4111-8111-111111111111"
//! name = "Demo"
//!
//! [[accounts]]
//! email = "alice@example.com"
//! is_manager = false
//! licences = [{ tenant = "11111111-1111-4111-8111-111111111111", role = "accountant", permission = "write" }]
//! ```

use std::collections::HashMap;
use std::sync::RwLock;

use myc_profile::{LicensedResource, LicensedResources, Owner, Permission, Profile};
use myc_tower::BoxFuture;
use myc_tower::resolver::{
    ConnectionStringStore, IssuedToken, ProfileQuery, ProfileResolver, StoreError,
};
use serde::Deserialize;
use uuid::Uuid;

/// A tenant.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantEntry {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
}

/// A licence (guest link) of an account.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenceEntry {
    /// Tenant.
    pub tenant: Uuid,
    /// Guest-role slug.
    pub role: String,
    /// Permission.
    #[serde(default = "read")]
    pub permission: Permission,
}

fn read() -> Permission {
    Permission::Read
}

/// An account and its owner.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountEntry {
    /// Owner e-mail (the login).
    pub email: String,
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
    /// Accounts.
    #[serde(default)]
    pub accounts: Vec<AccountEntry>,
}

/// The in-memory directory.
#[derive(Debug, Default)]
pub struct Directory {
    profiles: RwLock<HashMap<String, Profile>>,
    tokens: RwLock<HashMap<(Uuid, [u8; 32]), IssuedToken>>,
}

/// Why a directory could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("directory: {0}")]
pub struct DirectoryError(pub String);

impl Directory {
    /// Builds the directory from parsed entries.
    pub fn from_file(file: DirectoryFile) -> Result<Self, DirectoryError> {
        let tenants: HashMap<Uuid, String> =
            file.tenants.into_iter().map(|t| (t.id, t.name)).collect();
        let mut profiles = HashMap::new();
        for account in file.accounts {
            let mut profile = Profile::new(account.id.unwrap_or_else(Uuid::new_v4));
            profile.is_manager = account.is_manager;
            profile.is_staff = account.is_staff;
            profile.owners.push(Owner {
                id: Uuid::new_v4(),
                email: account.email.clone(),
                first_name: None,
                last_name: None,
                username: None,
                is_principal: true,
            });
            let mut records = Vec::new();
            for licence in account.licences {
                let Some(tenant_name) = tenants.get(&licence.tenant) else {
                    return Err(DirectoryError(format!(
                        "{}: licence on unknown tenant {}",
                        account.email, licence.tenant
                    )));
                };
                records.push(LicensedResource {
                    acc_id: profile.acc_id,
                    sys_acc: false,
                    tenant_id: licence.tenant,
                    acc_name: tenant_name.clone(),
                    role: licence.role,
                    role_id: Uuid::new_v4(),
                    perm: licence.permission,
                    verified: true,
                    permit_flags: None,
                    deny_flags: None,
                });
            }
            if !records.is_empty() {
                profile.licensed_resources = Some(LicensedResources::Records(records));
            }
            if profiles.insert(account.email.clone(), profile).is_some() {
                return Err(DirectoryError(format!("{} is listed twice", account.email)));
            }
        }
        Ok(Self {
            profiles: RwLock::new(profiles),
            tokens: RwLock::new(HashMap::new()),
        })
    }

    /// Parses a TOML (or, starting with `{`, JSON) directory file.
    pub fn parse(text: &str) -> Result<Self, DirectoryError> {
        let file: DirectoryFile = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| DirectoryError(e.to_string()))?
        } else {
            toml::from_str(text).map_err(|e| DirectoryError(e.message().to_owned()))?
        };
        Self::from_file(file)
    }

    /// The profile of `email`, if any.
    pub fn profile(&self, email: &str) -> Option<Profile> {
        self.profiles.read().ok()?.get(email).cloned()
    }

    /// Records an issued connection string (by the SHA-256 of its header value).
    pub fn record_connection_string(&self, account: Uuid, header_value: &str, email: &str) {
        use sha2::Digest;
        let hash: [u8; 32] = sha2::Sha256::digest(header_value.trim().as_bytes()).into();
        if let Ok(mut tokens) = self.tokens.write() {
            tokens.insert(
                (account, hash),
                IssuedToken {
                    email: email.to_owned(),
                    expires_at: None,
                },
            );
        }
    }
}

impl ProfileResolver for Directory {
    fn resolve<'a>(
        &'a self,
        query: ProfileQuery<'a>,
    ) -> BoxFuture<'a, Result<Option<Profile>, StoreError>> {
        Box::pin(async move {
            self.profiles
                .read()
                .map(|p| p.get(query.email).cloned())
                .map_err(|_| StoreError("directory lock poisoned".into()))
        })
    }
}

impl ConnectionStringStore for Directory {
    fn lookup<'a>(
        &'a self,
        account_id: Uuid,
        token_hash: [u8; 32],
    ) -> BoxFuture<'a, Result<Option<IssuedToken>, StoreError>> {
        Box::pin(async move {
            self.tokens
                .read()
                .map(|t| t.get(&(account_id, token_hash)).cloned())
                .map_err(|_| StoreError("directory lock poisoned".into()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        let dir = Directory::parse(
            r#"
[[tenants]]
id = "11111111-1111-4111-8111-111111111111"
name = "Demo"
[[accounts]]
email = "a@example.com"
licences = [{ tenant = "11111111-1111-4111-8111-111111111111", role = "viewer" }]
"#,
        )
        .unwrap();
        let p = dir.profile("a@example.com").unwrap();
        assert_eq!(p.licensed_resources.unwrap().len(), 1);
        assert!(Directory::parse("[[accounts]]\nemail = \"x\"\nlicences = [{ tenant = \"11111111-1111-4111-8111-111111111111\", role = \"r\" }]").is_err());
        assert!(
            Directory::parse("[[accounts]]\nemail = \"x\"\n[[accounts]]\nemail = \"x\"\n").is_err()
        );
        assert!(Directory::parse("[[accounts]]\nemial = \"x\"\n").is_err());
    }
}
