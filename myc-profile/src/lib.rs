//! The Mycelium identity profile, wire-compatible with upstream Mycelium 9.x.
//!
//! A Mycelium gateway authenticates the caller and forwards their identity to downstream
//! services as the `x-mycelium-profile` header: the [`Profile`] as compact JSON, zstd-compressed,
//! in standard base64. This crate reads and writes exactly that format, and runs the fluent,
//! narrowing access checks downstream services use to decide what the caller may do.
//!
//! It is pure: no async, no I/O.
//!
//! | module | what |
//! |---|---|
//! | [`Profile`] and friends | the profile types, serde-compatible with upstream JSON |
//! | [`codec`] | the bounded header codec (`encode` / `decode`) |
//! | [`access`] | fluent checks: `on_tenant`, `with_write_access`, `with_roles`, … |
//! | [`connection_string`] | parse, sign and verify `x-mycelium-connection-string` |
//! | [`signature`] | opt-in Ed25519 signature binding a profile header to one request |
//! | [`headers`] | header name constants |
//!
//! # Differences from upstream
//! Headers carry the zstd content size (the Python SDK needs it); decoding is bounded (no zstd
//! bombs); `meta` keys are sorted; `whatsapp_user` and `custom:*` meta keys and the URL forms
//! round-trip; malformed URL forms are errors, not panics; unknown permission values are
//! rejected, not read as "read"; connection strings are checked against their signed expiry.
//!
//! # Example
//! ```
//! use myc_profile::{codec, Permission, Profile, RelatedAccounts};
//!
//! // Gateway side: encode the caller's profile into the header value.
//! let json = r#"{"owners":[{"id":"00000000-0000-4000-8000-000000000001","email":"alice@example.com","isPrincipal":true}],
//!   "accId":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","isSubscription":false,"isManager":false,"isStaff":false,
//!   "ownerIsActive":true,"accountIsActive":true,"accountWasApproved":true,"accountWasArchived":false,
//!   "accountWasDeleted":false,"verboseStatus":"verified",
//!   "licensedResources":{"records":[{"accId":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbb1","sysAcc":false,
//!   "tenantId":"11111111-1111-4111-8111-111111111111","accName":"Account One","role":"editor",
//!   "roleId":"cccccccc-cccc-4ccc-8ccc-ccccccccccc1","perm":"write","verified":true}]}}"#;
//! let profile: Profile = serde_json::from_str(json)?;
//! let header = codec::encode(&profile)?;
//!
//! // Downstream side: decode (bounded) and check.
//! let caller = codec::decode(&header)?;
//! assert_eq!(caller, profile);
//! let tenant = "11111111-1111-4111-8111-111111111111".parse()?;
//! let granted = caller
//!     .on_tenant(tenant)
//!     .with_write_access()
//!     .with_roles(["editor"])
//!     .get_related_account_or_error()?;
//! assert_eq!(
//!     granted,
//!     RelatedAccounts::AllowedAccounts(vec!["bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbb1".parse()?])
//! );
//!
//! // A caller without the role is denied with upstream's code and the filtering trail.
//! let err = caller.on_tenant(tenant).with_roles(["billing"]).get_ids_or_error().unwrap_err();
//! assert_eq!(err.code(), "MYC00019");
//! assert!(caller.get_tenant_wide_permission_or_error(tenant, Permission::Write).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod access;
pub mod codec;
pub mod connection_string;
pub mod email;
mod error;
pub mod headers;
mod license;
mod meta;
mod permission;
mod profile;
mod related;
mod security_group;
pub mod signature;
mod status;
mod tenant;
pub mod url_form;

pub use access::{Access, AccessError, DenialReason, FilterStep};
pub use codec::{HeaderError, ProfileDecoder, ProfileEncoder};
pub use connection_string::{ConnectionString, ConnectionStringError, HmacKeyring};
pub use email::EmailError;
pub use error::Error;
pub use license::{LicensedResource, LicensedResources};
pub use meta::AccountMetaKey;
pub use permission::{InvalidPermission, Permission};
pub use profile::{Owner, Profile};
pub use related::RelatedAccounts;
pub use security_group::{PermissionedRole, SecurityGroup};
pub use signature::{ProfileSigner, ProfileVerifier, SignatureError};
pub use status::VerboseStatus;
pub use tenant::{TenantOwnership, TenantsOwnership};
pub use url_form::UrlFormError;
