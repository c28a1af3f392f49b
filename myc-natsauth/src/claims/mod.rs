//! JWT v2 claim types with Go-compatible JSON (field names and omission rules of nats-io/jwt).
//!
//! Go's `omitempty` drops zero numbers, empty strings, `false` and empty lists and maps, but never
//! struct-typed fields; numeric limits that are omitted therefore mean **0**, and "unlimited" is
//! **-1**. The constructors here start from safe, usable values (see each type).

mod account;
mod activation;
mod callout;
mod generic;
mod operator;
mod user;

pub use account::{
    Account, AccountLimits, Export, ExportType, ExternalAuthorization, Import, JetStreamLimits,
    ResponseType, ServiceLatency, SigningKey, UserScope, WeightedMapping,
};
pub use activation::Activation;
pub use callout::{
    AuthorizationRequest, AuthorizationResponse, ClientInformation, ConnectOptions, ServerId,
};
pub use generic::Generic;
pub use operator::Operator;
pub use user::{
    Permission, Permissions, ResponsePermission, TimeRange, User, UserPermissionLimits,
};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use crate::KeyKind;

/// Claims version written (and the highest read).
pub const VERSION: i64 = 2;

/// The `nats` section of one claim type.
pub trait NatsClaims: Serialize + DeserializeOwned + Clone {
    /// `nats.type` (`operator`, `account`, …).
    const TYPE: &'static str;
    /// Key kinds allowed to issue this claim type; empty means any.
    const ISSUERS: &'static [KeyKind];
    /// The `nats.type` found in a decoded token.
    fn claim_type(&self) -> &str;
    /// The `nats.version` found in a decoded token.
    fn version(&self) -> i64;
    /// Puts lists in the canonical order Go encodes them in (called by `encode`).
    fn normalize(&mut self) {}
}

/// A JWT payload: the standard claims (Go's `ClaimsData`, in its field order) and `nats`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims<T> {
    /// Audience.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub aud: String,
    /// Expiry (Unix seconds; 0 = never). Expired when `now > exp`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub exp: i64,
    /// Token id (computed on encode).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub jti: String,
    /// Issued at (set on encode).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub iat: i64,
    /// Issuer public key (set on encode).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub iss: String,
    /// Name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Not before (Unix seconds; 0 = now).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub nbf: i64,
    /// Subject public key.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sub: String,
    /// The typed `nats` section.
    pub nats: T,
}

impl<T> Claims<T> {
    /// Claims about `subject` named `name`, with the given `nats` section.
    pub fn new(subject: impl Into<String>, name: impl Into<String>, nats: T) -> Self {
        Self {
            aud: String::new(),
            exp: 0,
            jti: String::new(),
            iat: 0,
            iss: String::new(),
            name: name.into(),
            nbf: 0,
            sub: subject.into(),
            nats,
        }
    }

    /// True when expired at `now` (`now > exp`, exp 0 never expires).
    pub fn is_expired(&self, now: i64) -> bool {
        self.exp != 0 && now > self.exp
    }

    /// True when not valid yet at `now`.
    pub fn is_not_yet_valid(&self, now: i64) -> bool {
        self.nbf != 0 && now < self.nbf
    }
}

/// Go's `GenericFields`: tags, type and version.
pub(crate) fn generic_type<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// A JSON `null` (Go's nil slice) or missing list reads as empty.
pub(crate) fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Implements [`NatsClaims`] for a `nats` section with `claim_type` and `version` fields.
macro_rules! nats_claims {
    ($ty:ty, $name:literal, [$($issuer:ident),*]) => {
        impl $crate::claims::NatsClaims for $ty {
            const TYPE: &'static str = $name;
            const ISSUERS: &'static [$crate::KeyKind] = &[$($crate::KeyKind::$issuer),*];
            fn claim_type(&self) -> &str {
                &self.claim_type
            }
            fn version(&self) -> i64 {
                self.version
            }
        }
    };
}
pub(crate) use nats_claims;

pub(crate) fn is_zero(v: &i64) -> bool {
    *v == 0
}

pub(crate) fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}

pub(crate) fn is_false(v: &bool) -> bool {
    !*v
}

/// Unlimited.
pub const NO_LIMIT: i64 = -1;
