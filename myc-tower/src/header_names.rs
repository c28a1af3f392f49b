//! The `x-mycelium-*` header names as parsed [`HeaderName`]s (the `&str` constants of
//! [`myc_profile::headers`] would be parsed again on every insert).

use http::HeaderName;

/// `x-mycelium-profile`.
pub const PROFILE: HeaderName = HeaderName::from_static("x-mycelium-profile");
/// `x-mycelium-profile-signature`.
pub const PROFILE_SIGNATURE: HeaderName = HeaderName::from_static("x-mycelium-profile-signature");
/// `x-mycelium-email`.
pub const EMAIL: HeaderName = HeaderName::from_static("x-mycelium-email");
/// `x-mycelium-security-group`.
pub const SECURITY_GROUP: HeaderName = HeaderName::from_static("x-mycelium-security-group");
/// `x-mycelium-request-id`.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-mycelium-request-id");
/// `x-mycelium-connection-string`.
pub const CONNECTION_STRING: HeaderName = HeaderName::from_static("x-mycelium-connection-string");
/// `x-mycelium-tenant-id`.
pub const TENANT_ID: HeaderName = HeaderName::from_static("x-mycelium-tenant-id");

#[cfg(test)]
mod tests {
    #[test]
    fn same_names_as_myc_profile() {
        use myc_profile::headers as h;
        for (ours, theirs) in [
            (super::PROFILE, h::PROFILE),
            (super::PROFILE_SIGNATURE, h::PROFILE_SIGNATURE),
            (super::EMAIL, h::EMAIL),
            (super::SECURITY_GROUP, h::SECURITY_GROUP),
            (super::REQUEST_ID, h::REQUEST_ID),
            (super::CONNECTION_STRING, h::CONNECTION_STRING),
            (super::TENANT_ID, h::TENANT_ID),
        ] {
            assert_eq!(ours.as_str(), theirs);
        }
    }
}
