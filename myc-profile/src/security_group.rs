//! [`SecurityGroup`] and [`PermissionedRole`]: what a route requires, and the
//! `x-mycelium-security-group` header value.

use serde::{Deserialize, Serialize};

use crate::Permission;

/// A role slug with the permission a route requires of it.
///
/// JSON: `{"name":"slug","permission":"read"}`; `slug` is accepted for `name`, and a missing
/// `permission` means read. `None` is written as `null` (upstream).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PermissionedRole {
    /// The guest-role slug (case-sensitive).
    #[serde(alias = "slug")]
    pub name: String,
    /// The permission required; `None` behaves as read.
    #[serde(default = "default_permission")]
    pub permission: Option<Permission>,
}

fn default_permission() -> Option<Permission> {
    Some(Permission::Read)
}

impl PermissionedRole {
    /// A role requirement.
    pub fn new(name: impl Into<String>, permission: Permission) -> Self {
        Self {
            name: name.into(),
            permission: Some(permission),
        }
    }

    /// The permission required, read when unset.
    pub fn required(&self) -> Permission {
        self.permission.unwrap_or(Permission::Read)
    }
}

/// The security group of a route, sent downstream as `x-mycelium-security-group`.
///
/// ```
/// use myc_profile::{Permission, PermissionedRole, SecurityGroup};
/// let group = SecurityGroup::ProtectedByRoles(vec![PermissionedRole::new("editor", Permission::Write)]);
/// assert_eq!(
///     serde_json::to_string(&group).unwrap(),
///     r#"{"protectedByRoles":[{"name":"editor","permission":"write"}]}"#
/// );
/// assert_eq!(serde_json::to_string(&SecurityGroup::Public).unwrap(), r#""public""#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SecurityGroup {
    /// No credential needed.
    Public,
    /// Any valid credential; downstream receives the e-mail.
    Authenticated,
    /// Any valid credential; downstream receives the profile.
    Protected,
    /// A licence with one of these roles (at the permission given) is required.
    ProtectedByRoles(Vec<PermissionedRole>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_defaults_and_aliases() {
        let role: PermissionedRole = serde_json::from_str(r#"{"slug":"viewer"}"#).unwrap();
        assert_eq!(role, PermissionedRole::new("viewer", Permission::Read));
        let role: PermissionedRole =
            serde_json::from_str(r#"{"name":"x","permission":null}"#).unwrap();
        assert_eq!(role.permission, None);
        assert_eq!(role.required(), Permission::Read);
        assert_eq!(
            serde_json::to_string(&role).unwrap(),
            r#"{"name":"x","permission":null}"#
        );
    }

    #[test]
    fn groups_round_trip() {
        for text in [
            r#""public""#,
            r#""authenticated""#,
            r#""protected""#,
            r#"{"protectedByRoles":[{"name":"a","permission":"write"}]}"#,
        ] {
            let group: SecurityGroup = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&group).unwrap(), text);
        }
    }
}
