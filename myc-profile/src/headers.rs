//! Header names used between clients, the gateway and downstream services (all lowercase).

/// The prefix of every Mycelium header; the gateway strips every inbound header with it.
pub const PREFIX: &str = "x-mycelium-";
/// Gateway → downstream: the caller's [`Profile`](crate::Profile), encoded by [`crate::codec`].
pub const PROFILE: &str = "x-mycelium-profile";
/// Gateway → downstream (opt-in): the detached profile signature (see [`crate::signature`]).
pub const PROFILE_SIGNATURE: &str = "x-mycelium-profile-signature";
/// Gateway → downstream on `authenticated` routes: the e-mail as a JSON string, quotes included.
pub const EMAIL: &str = "x-mycelium-email";
/// Gateway → downstream on every proxied request: the route's security group as JSON.
pub const SECURITY_GROUP: &str = "x-mycelium-security-group";
/// Gateway → downstream: the service name.
pub const SERVICE_NAME: &str = "x-mycelium-service-name";
/// Gateway → downstream and in responses: a fresh UUIDv4 per request.
pub const REQUEST_ID: &str = "x-mycelium-request-id";
/// Client → gateway credential (see [`crate::connection_string`]); stripped before forwarding.
pub const CONNECTION_STRING: &str = "x-mycelium-connection-string";
/// Client → gateway: a tenant UUID that narrows the profile. Never forwarded.
pub const TENANT_ID: &str = "x-mycelium-tenant-id";
/// Internal to upstream's native admin API: a JSON array of role slugs.
pub const ROLE: &str = "x-mycelium-role";
/// Declared by upstream, never produced.
pub const SCOPE: &str = "x-mycelium-scope";
/// Forwarding: the client address chain.
pub const X_FORWARDED_FOR: &str = "x-forwarded-for";
/// Forwarding (RFC 7239).
pub const FORWARDED: &str = "forwarded";

/// True for a header name (any case) in the `x-mycelium-` namespace.
///
/// ```
/// assert!(myc_profile::headers::is_mycelium_header("X-Mycelium-Profile"));
/// assert!(!myc_profile::headers::is_mycelium_header("x-request-id"));
/// ```
pub fn is_mycelium_header(name: &str) -> bool {
    name.len() >= PREFIX.len()
        && name.as_bytes()[..PREFIX.len()].eq_ignore_ascii_case(PREFIX.as_bytes())
}
