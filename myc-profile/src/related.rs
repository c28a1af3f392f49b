//! [`RelatedAccounts`]: what a terminal access check grants.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The accounts a caller may act on, as returned by
/// [`Access::get_related_account_or_error`](crate::Access::get_related_account_or_error).
///
/// JSON (upstream): `{"allowedAccounts":[…]}`, `{"hasTenantWidePrivileges":"<uuid>"}`,
/// `"hasStaffPrivileges"`, `"hasManagerPrivileges"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RelatedAccounts {
    /// Only these accounts.
    AllowedAccounts(Vec<Uuid>),
    /// Every account of this tenant.
    HasTenantWidePrivileges(Uuid),
    /// The caller is staff: everything.
    HasStaffPrivileges,
    /// The caller is a manager: everything.
    HasManagerPrivileges,
}
