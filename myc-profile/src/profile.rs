//! [`Profile`] and [`Owner`]: the caller identity a gateway forwards downstream.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{AccountMetaKey, LicensedResources, TenantsOwnership, VerboseStatus};

/// A person who owns the account behind a profile.
///
/// The optional name fields are omitted from JSON when `None` (upstream).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Owner {
    /// The owner (user) id.
    pub id: Uuid,
    /// E-mail address.
    pub email: String,
    /// Given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// User name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Whether this is the account's principal owner.
    pub is_principal: bool,
}

/// The identity profile a Mycelium gateway forwards as `x-mycelium-profile`.
///
/// Serde-compatible with upstream 9.x: camelCase keys in upstream order, upstream's aliases,
/// `verboseStatus` written as `null` when `None`, the other options omitted when `None`, unknown
/// keys ignored. `meta` is a `BTreeMap`, so its keys are always written sorted (upstream's
/// `HashMap` order varies run to run).
///
/// Access checks: see [`Access`](crate::Access); every filter is available directly on a
/// profile (`profile.on_tenant(t).with_write_access()...`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// The account's owners.
    #[serde(alias = "owner_credentials")]
    pub owners: Vec<Owner>,
    /// The account id.
    #[serde(alias = "current_account_id")]
    pub acc_id: Uuid,
    /// The account is a subscription (legal entity) account.
    pub is_subscription: bool,
    /// The account is a manager account (elevated privileges).
    pub is_manager: bool,
    /// The account is a staff account (elevated privileges).
    pub is_staff: bool,
    /// The owner is active.
    pub owner_is_active: bool,
    /// The account is active.
    pub account_is_active: bool,
    /// The account was approved.
    pub account_was_approved: bool,
    /// The account was archived.
    pub account_was_archived: bool,
    /// The account was deleted.
    pub account_was_deleted: bool,
    /// Human-readable status; written as `null` when `None`.
    #[serde(default)]
    pub verbose_status: Option<VerboseStatus>,
    /// Guest licences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licensed_resources: Option<LicensedResources>,
    /// Owned tenants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenants_ownership: Option<TenantsOwnership>,
    /// Account metadata, written with sorted keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<BTreeMap<AccountMetaKey, String>>,
    /// The trail of access-check filters applied (`"n:key:value"`); gateways do not send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filtering_state: Option<Vec<String>>,
}

impl Profile {
    /// A profile for account `acc_id` with no owners, no licences and active, approved flags.
    pub fn new(acc_id: Uuid) -> Self {
        Self {
            owners: Vec::new(),
            acc_id,
            is_subscription: false,
            is_manager: false,
            is_staff: false,
            owner_is_active: true,
            account_is_active: true,
            account_was_approved: true,
            account_was_archived: false,
            account_was_deleted: false,
            verbose_status: Some(VerboseStatus::Verified),
            licensed_resources: None,
            tenants_ownership: None,
            meta: None,
            filtering_state: None,
        }
    }

    /// The owners' ids.
    pub fn owner_ids(&self) -> Vec<Uuid> {
        self.owners.iter().map(|o| o.id).collect()
    }

    /// The principal owner's e-mail, or the first owner's.
    pub fn primary_email(&self) -> Option<&str> {
        self.owners
            .iter()
            .find(|o| o.is_principal)
            .or_else(|| self.owners.first())
            .map(|o| o.email.as_str())
    }

    /// Compact JSON as upstream writes it (struct keys in upstream order, `meta` sorted).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}
