//! A REST request's params, gathered by name from its path, query, body and tenant header.

use axum::extract::{RawPathParams, Request};
use serde_json::{Map, Value};

use crate::rpc::wire::MAX_BODY_BYTES;
use crate::rpc::{ErrorObject, MethodSpec};

fn invalid(message: impl Into<String>) -> ErrorObject {
    ErrorObject::invalid_params(message)
}

/// A path or query string as the param `name` wants it: a number or boolean where its schema
/// admits one, else the string.
fn typed(spec: &MethodSpec, name: &str, raw: &str) -> Value {
    let schema = spec
        .param(name)
        .map(|p| (p.schema)())
        .unwrap_or(Value::Null);
    let wants = |t: &str| {
        schema["type"] == t
            || schema["enum"]
                .as_array()
                .is_some_and(|e| e.iter().any(|v| v.is_number()) && t == "integer")
    };
    if wants("integer")
        && let Ok(n) = raw.parse::<i64>()
    {
        return Value::from(n);
    }
    if wants("boolean")
        && let Ok(b) = raw.parse::<bool>()
    {
        return Value::Bool(b);
    }
    Value::String(raw.to_owned())
}

fn insert(params: &mut Map<String, Value>, name: &str, value: Value) -> Result<(), ErrorObject> {
    if params.insert(name.to_owned(), value).is_some() {
        return Err(invalid(format!("{name} is given twice")));
    }
    Ok(())
}

/// The params of `spec` from the request: path segments, query pairs, a JSON object body and
/// `x-mycelium-tenant-id` for `tenantId`.
pub(super) async fn gather(
    spec: &'static MethodSpec,
    tenant: Option<uuid::Uuid>,
    path: &RawPathParams,
    query: Option<&str>,
    request: Request,
) -> Result<Value, ErrorObject> {
    let mut params = Map::new();
    for (name, value) in path {
        insert(&mut params, name, typed(spec, name, value))?;
    }
    if let Some(query) = query {
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            insert(&mut params, &name, typed(spec, &name, &value))?;
        }
    }
    let body = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|_| invalid(format!("bodies are at most {MAX_BODY_BYTES} bytes")))?;
    if !body.is_empty() {
        match serde_json::from_slice(&body) {
            Ok(Value::Object(fields)) => {
                for (name, value) in fields {
                    insert(&mut params, &name, value)?;
                }
            }
            Ok(_) => return Err(invalid("the body is a JSON object")),
            Err(e) => return Err(invalid(format!("the body is not JSON: {e}"))),
        }
    }
    if spec.param("tenantId").is_some() {
        match (tenant, params.get("tenantId")) {
            (Some(tenant), None) => {
                params.insert("tenantId".into(), Value::String(tenant.to_string()));
            }
            (Some(tenant), Some(given)) if given.as_str() != Some(&tenant.to_string()) => {
                return Err(invalid("tenantId differs from x-mycelium-tenant-id"));
            }
            (None, None) if spec.param("tenantId").is_some_and(|p| p.required) => {
                return Err(invalid("x-mycelium-tenant-id is required here"));
            }
            _ => {}
        }
    }
    Ok(Value::Object(params))
}
