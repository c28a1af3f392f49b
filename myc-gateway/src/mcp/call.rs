//! A `tools/call` as a gateway request: the operation's path with its parameters
//! (percent-encoded, so a value can never add a path segment), the query, the JSON body and
//! the caller's credential headers; and the upstream's answer as a tool result.

use axum::body::Body;
use http::{HeaderMap, HeaderName, Method, Request};
use http_body_util::BodyExt;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value};

/// Headers of the MCP request that travel on to the tool's request: the caller's
/// credential and tenant, the request id, and forwarding headers (the client address is
/// computed as for a direct request).
const PASSED_ON: [&str; 6] = [
    "authorization",
    "x-mycelium-connection-string",
    "x-mycelium-tenant-id",
    "x-mycelium-request-id",
    "x-forwarded-for",
    "forwarded",
];

/// The most of an answer returned to the agent.
pub(crate) const MAX_ANSWER: usize = 1024 * 1024;

/// Everything but RFC 3986's unreserved characters is encoded in a path value.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Why a call's arguments do not make a request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum ArgumentError {
    #[error("unknown argument {0:?} (expected __path_params, __query_params, __body)")]
    Unknown(String),
    #[error("{0} must be an object")]
    NotObject(&'static str),
    #[error("missing path parameter {0:?}")]
    MissingPath(String),
}

/// The request for `method path` (a gateway path template) with `arguments`, carrying the
/// pass-on headers of `from`.
pub(crate) fn request(
    method: &str,
    template: &str,
    arguments: &Map<String, Value>,
    from: &HeaderMap,
) -> Result<Request<Body>, ArgumentError> {
    for key in arguments.keys() {
        if !matches!(key.as_str(), "__path_params" | "__query_params" | "__body") {
            return Err(ArgumentError::Unknown(key.clone()));
        }
    }
    let path = fill_path(template, object(arguments, "__path_params")?)?;
    let mut uri = path;
    if let Some(query) = object(arguments, "__query_params")?
        && !query.is_empty()
    {
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        for (name, value) in query {
            pairs.append_pair(name, &text(value));
        }
        uri.push('?');
        uri.push_str(&pairs.finish());
    }
    let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
    let mut builder = Request::builder().method(method).uri(uri);
    for name in PASSED_ON {
        for value in from.get_all(name) {
            builder = builder.header(HeaderName::from_static(name), value.clone());
        }
    }
    let body = match arguments.get("__body") {
        Some(body) => {
            builder = builder.header(http::header::CONTENT_TYPE, "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    builder
        .body(body)
        .map_err(|_| ArgumentError::MissingPath("(the path is not a valid URI)".into()))
}

fn object<'a>(
    arguments: &'a Map<String, Value>,
    key: &'static str,
) -> Result<Option<&'a Map<String, Value>>, ArgumentError> {
    match arguments.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(ArgumentError::NotObject(key)),
    }
}

/// `template` with each `{name}` replaced by its encoded value.
fn fill_path(template: &str, params: Option<&Map<String, Value>>) -> Result<String, ArgumentError> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            out.push_str(&rest[open..]);
            return Ok(out);
        };
        let name = &rest[open + 1..open + close];
        let value = params
            .and_then(|p| p.get(name))
            .ok_or_else(|| ArgumentError::MissingPath(name.to_owned()))?;
        out.extend(utf8_percent_encode(&text(value), SEGMENT));
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A value as it goes into a path or query: strings as they are, anything else as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The answer as the agent gets it: the body as text (cut at [`MAX_ANSWER`]), prefixed with
/// the status when it is an error.
pub(crate) async fn answer(response: http::Response<Body>) -> (bool, String) {
    let status = response.status();
    let body = http_body_util::Limited::new(response.into_body(), MAX_ANSWER)
        .collect()
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
        .unwrap_or_else(|_| format!("(the answer is larger than {MAX_ANSWER} bytes)"));
    let failed = status.as_u16() >= 400;
    if failed {
        (true, format!("HTTP {}\n{body}", status.as_u16()))
    } else {
        (false, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn path_values_cannot_add_segments() {
        let args = json!({"__path_params": {"id": "../../admin?x=1#y"}});
        let request = request(
            "GET",
            "/api/customers/{id}",
            args.as_object().unwrap_or(&Map::new()),
            &HeaderMap::new(),
        );
        assert_eq!(
            request.map(|r| r.uri().to_string()).ok().as_deref(),
            Some("/api/customers/..%2F..%2Fadmin%3Fx%3D1%23y")
        );
    }

    #[test]
    fn arguments_are_checked() {
        let empty = HeaderMap::new();
        let bad = json!({"path": {}});
        assert!(matches!(
            request("GET", "/a", bad.as_object().unwrap_or(&Map::new()), &empty),
            Err(ArgumentError::Unknown(_))
        ));
        let missing = json!({});
        assert!(matches!(
            request(
                "GET",
                "/a/{id}",
                missing.as_object().unwrap_or(&Map::new()),
                &empty
            ),
            Err(ArgumentError::MissingPath(_))
        ));
        let query = json!({"__query_params": {"q": "a b&c", "n": 3}});
        let uri = request(
            "GET",
            "/a",
            query.as_object().unwrap_or(&Map::new()),
            &empty,
        )
        .map(|r| r.uri().to_string());
        assert_eq!(uri.ok().as_deref(), Some("/a?n=3&q=a+b%26c"));
    }
}
