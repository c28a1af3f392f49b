//! The JSON-RPC 2.0 wire format: requests decoded with bounds, responses, error objects.

use serde::Serialize;
use serde_json::{Map, Value};

/// Largest request body read (1 MiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Most calls in one batch.
pub const MAX_BATCH: usize = 100;

/// Error codes: JSON-RPC 2.0's, and the two upstream Mycelium clients see for domain refusals.
pub mod codes {
    /// The body is not JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// Not a JSON-RPC 2.0 request object (or an empty or oversized batch).
    pub const INVALID_REQUEST: i64 = -32600;
    /// No such method.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// The params do not fit the method.
    pub const INVALID_PARAMS: i64 = -32602;
    /// The server failed.
    pub const INTERNAL_ERROR: i64 = -32603;
    /// The caller's role or scope does not allow it (upstream's code; data carries `MYC…`).
    pub const FORBIDDEN: i64 = -32401;
    /// It exists already (upstream answers these with 409).
    pub const CONFLICT: i64 = 409;
}

/// A JSON-RPC error object.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorObject {
    /// See [`codes`].
    pub code: i64,
    /// What went wrong.
    pub message: String,
    /// Details (upstream's `{"code": "MYC…"}` for domain errors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl ErrorObject {
    /// An error without data.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// `-32602` with `message`.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(codes::INVALID_PARAMS, message)
    }

    /// `-32401` with upstream's domain code in `data`.
    pub fn forbidden(message: impl Into<String>, myc_code: &str) -> Self {
        Self {
            data: Some(serde_json::json!({ "code": myc_code })),
            ..Self::new(codes::FORBIDDEN, message)
        }
    }
}

/// One call: a method, its params (`{}` when absent) and its id (`None`: a notification,
/// answered with nothing).
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The method name.
    pub method: String,
    /// Named (object) or positional (array) params.
    pub params: Value,
    /// The id (a string, a number or null); `None` for a notification.
    pub id: Option<Value>,
}

/// One entry of what was received.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    /// A well-formed call.
    Call(Call),
    /// Not a request object; answered with this error and the id, if one could be read.
    Invalid {
        /// The id the entry carried, or null.
        id: Value,
        /// Why.
        error: ErrorObject,
    },
}

/// What a body holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Incoming {
    /// One entry: answered with one response (or nothing for a notification).
    Single(Entry),
    /// An array: answered with an array of the responses to its calls with ids.
    Batch(Vec<Entry>),
}

/// A response.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Response {
    jsonrpc: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorObject>,
    id: Value,
}

impl Response {
    /// The result of the call `id`.
    pub fn result(id: Value, result: Value) -> Self {
        Self {
            jsonrpc: "2.0",
            result: Some(result),
            error: None,
            id,
        }
    }

    /// The error of the call `id` (null when it could not be read).
    pub fn error(id: Value, error: ErrorObject) -> Self {
        Self {
            jsonrpc: "2.0",
            result: None,
            error: Some(error),
            id,
        }
    }

    /// The error, if it is one.
    pub fn error_object(&self) -> Option<&ErrorObject> {
        self.error.as_ref()
    }
}

fn invalid(id: Value, message: &str) -> Entry {
    Entry::Invalid {
        id,
        error: ErrorObject::new(codes::INVALID_REQUEST, message),
    }
}

fn entry(value: Value) -> Entry {
    let Value::Object(mut object) = value else {
        return invalid(Value::Null, "a request is a JSON object");
    };
    let id = match object.remove("id") {
        None => None,
        Some(id @ (Value::String(_) | Value::Number(_) | Value::Null)) => Some(id),
        Some(_) => return invalid(Value::Null, "id must be a string, a number or null"),
    };
    let answer_id = id.clone().unwrap_or(Value::Null);
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return invalid(answer_id, "jsonrpc must be \"2.0\"");
    }
    let Some(Value::String(method)) = object.remove("method") else {
        return invalid(answer_id, "method must be a string");
    };
    let params = match object.remove("params") {
        None => Value::Object(Map::new()),
        Some(params @ (Value::Object(_) | Value::Array(_))) => params,
        Some(_) => return invalid(answer_id, "params must be an object or an array"),
    };
    Entry::Call(Call { method, params, id })
}

/// Decodes a request body. An error here is answered alone, with a null id.
pub fn decode(body: &[u8]) -> Result<Incoming, ErrorObject> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ErrorObject::new(
            codes::INVALID_REQUEST,
            format!("requests are at most {MAX_BODY_BYTES} bytes"),
        ));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ErrorObject::new(codes::PARSE_ERROR, format!("parse error: {e}")))?;
    match value {
        Value::Array(items) if items.is_empty() => Err(ErrorObject::new(
            codes::INVALID_REQUEST,
            "a batch holds at least one request",
        )),
        Value::Array(items) if items.len() > MAX_BATCH => Err(ErrorObject::new(
            codes::INVALID_REQUEST,
            format!("a batch holds at most {MAX_BATCH} requests"),
        )),
        Value::Array(items) => Ok(Incoming::Batch(items.into_iter().map(entry).collect())),
        other => Ok(Incoming::Single(entry(other))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn single(body: &str) -> Entry {
        match decode(body.as_bytes()).unwrap() {
            Incoming::Single(entry) => entry,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn calls_notifications_and_refusals() {
        assert_eq!(
            single(r#"{"jsonrpc":"2.0","method":"a.b","id":7}"#),
            Entry::Call(Call {
                method: "a.b".into(),
                params: json!({}),
                id: Some(json!(7))
            })
        );
        assert!(matches!(
            single(r#"{"jsonrpc":"2.0","method":"a.b","params":[1]}"#),
            Entry::Call(Call { id: None, .. })
        ));
        for (body, id) in [
            (r#"{"jsonrpc":"1.0","method":"a","id":"x"}"#, json!("x")),
            (r#"{"jsonrpc":"2.0","method":5,"id":1}"#, json!(1)),
            (
                r#"{"jsonrpc":"2.0","method":"a","params":3,"id":2}"#,
                json!(2),
            ),
            (r#"{"jsonrpc":"2.0","method":"a","id":{}}"#, Value::Null),
            (r#"7"#, Value::Null),
        ] {
            match single(body) {
                Entry::Invalid { id: got, error } => {
                    assert_eq!((got, error.code), (id, codes::INVALID_REQUEST), "{body}");
                }
                other => panic!("{body}: {other:?}"),
            }
        }
        assert_eq!(decode(b"{").unwrap_err().code, codes::PARSE_ERROR);
        assert_eq!(decode(b"[]").unwrap_err().code, codes::INVALID_REQUEST);
        let many = format!("[{}]", vec!["1"; MAX_BATCH + 1].join(","));
        assert_eq!(
            decode(many.as_bytes()).unwrap_err().code,
            codes::INVALID_REQUEST
        );
        let deep = "[".repeat(10_000);
        assert_eq!(
            decode(deep.as_bytes()).unwrap_err().code,
            codes::PARSE_ERROR
        );
    }
}
