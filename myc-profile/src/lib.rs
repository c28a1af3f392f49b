#![doc = include_str!("../README.md")]
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
pub use connection_string::{
    ConnectionString, ConnectionStringError, HmacKeyring, InvalidScopedRole,
};
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
