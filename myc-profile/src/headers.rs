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

/// True for a header name in the `x-mycelium-` namespace, in any spelling a server behind the
/// gateway could read as one: any ASCII case, and `-` or `_` in either separator
/// (`x_mycelium_profile`, `X-Mycelium_Email`). WSGI, CGI and Rack map both `-` and `_` to
/// `HTTP_X_MYCELIUM_…`, so stripping only the dashed spelling would let a client forge an
/// identity header there.
///
/// ```
/// use myc_profile::headers::is_mycelium_header;
/// assert!(is_mycelium_header("X-Mycelium-Profile"));
/// assert!(is_mycelium_header("x_mycelium_profile"));
/// assert!(is_mycelium_header("X-MYCELIUM_tenant-id"));
/// assert!(!is_mycelium_header("x-request-id"));
/// assert!(!is_mycelium_header("x-myceliumprofile"));
/// ```
pub fn is_mycelium_header(name: &str) -> bool {
    let name = name.as_bytes();
    name.len() >= PREFIX.len()
        && matches!(name[1], b'-' | b'_')
        && matches!(name[10], b'-' | b'_')
        && name[0].eq_ignore_ascii_case(&b'x')
        && name[2..10].eq_ignore_ascii_case(b"mycelium")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_is_in_the_namespace() {
        for name in [
            PROFILE,
            PROFILE_SIGNATURE,
            EMAIL,
            SECURITY_GROUP,
            SERVICE_NAME,
            REQUEST_ID,
            CONNECTION_STRING,
            TENANT_ID,
            ROLE,
            SCOPE,
        ] {
            assert!(is_mycelium_header(name));
            assert!(is_mycelium_header(&name.replace('-', "_")));
            assert!(is_mycelium_header(
                &name.to_uppercase().replacen('-', "_", 1)
            ));
        }
        for name in [
            "x-mycelium",
            "x-myceliu-a",
            "y-mycelium-a",
            "x.mycelium-a",
            "",
        ] {
            assert!(!is_mycelium_header(name), "{name}");
        }
    }
}
