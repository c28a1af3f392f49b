//! What a callback receives about a completed request, in upstream's field names.

use std::collections::BTreeMap;
use std::sync::Arc;

use myc_profile::{Profile, SecurityGroup};
use serde::Serialize;

/// Who made the request, when the route takes an identity: the e-mail on `authenticated`
/// routes, the profile on `protected` ones (upstream's `{"email": …}` / `{"profile": …}`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum UserInfo {
    /// The verified e-mail.
    Email(String),
    /// The resolved profile.
    Profile(#[serde(serialize_with = "profile_json")] Arc<Profile>),
}

fn profile_json<S: serde::Serializer>(profile: &Arc<Profile>, to: S) -> Result<S::Ok, S::Error> {
    Profile::serialize(profile, to)
}

/// The context of one response. HTTP callbacks get it as their JSON body, Python and
/// JavaScript ones as their argument, Rhai scripts as variables.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct CallbackContext {
    /// The upstream's status code.
    pub status_code: u16,
    /// The upstream's response headers (serialized as an object: values that are not text
    /// left out, repeated names joined with `, `).
    #[serde(serialize_with = "headers_json")]
    pub response_headers: http::HeaderMap,
    /// Milliseconds from forwarding to the upstream's response head.
    pub duration_ms: u64,
    /// The path the client called.
    pub upstream_path: String,
    /// Where the gateway forwarded it (scheme, host, path; never the query).
    pub downstream_url: String,
    /// The request's method.
    pub method: String,
    /// When the response arrived (serialized as RFC 3339, UTC, milliseconds).
    #[serde(serialize_with = "timestamp_json")]
    pub timestamp: chrono::DateTime<chrono::Utc>,
    /// `x-mycelium-request-id`.
    pub request_id: Option<String>,
    /// The client's address (through trusted proxies).
    pub client_ip: Option<String>,
    /// Who made the request.
    pub user_info: Option<UserInfo>,
    /// The route's security group.
    pub security_group: SecurityGroup,
}

fn headers_json<S: serde::Serializer>(headers: &http::HeaderMap, to: S) -> Result<S::Ok, S::Error> {
    CallbackContext::headers_of(headers).serialize(to)
}

fn timestamp_json<S: serde::Serializer>(
    at: &chrono::DateTime<chrono::Utc>,
    to: S,
) -> Result<S::Ok, S::Error> {
    to.serialize_str(&CallbackContext::rfc3339(at))
}

impl CallbackContext {
    /// `at` as the context writes it (RFC 3339, UTC, milliseconds).
    pub fn rfc3339(at: &chrono::DateTime<chrono::Utc>) -> String {
        at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }

    /// The headers as the context serializes them.
    pub fn headers_of(headers: &http::HeaderMap) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in headers {
            let Ok(value) = value.to_str() else { continue };
            out.entry(name.as_str().to_owned())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(value);
                })
                .or_insert_with(|| value.to_owned());
        }
        out
    }
}
