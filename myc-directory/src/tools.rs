//! The operations of discoverable services as AI agents see them: MCP tools built from each
//! service's OpenAPI document, answered by the gateway's `POST /mcp` and by
//! `gatewayManager.tools.list`.
//!
//! - **Names** follow upstream's documentation, `{service}__{method}__{path_slug}`
//!   (`GET /api/customers/{id}` on `customer-api` → `customer-api__get__api_customers_id`);
//!   upstream 9.0.0's code names them `{service}.{operationId}` instead, which clients only
//!   see through `tools/list`. A name longer than [`MAX_NAME`] is cut and suffixed with a
//!   hash of the whole; a clash gets `_2`, `_3`, … in document order.
//! - **Arguments** use upstream's layout: `__path_params`, `__query_params` (objects keyed
//!   by parameter name) and `__body` (the JSON request body), with the operation's schemas;
//!   local `$ref`s are inlined (at most [`MAX_REF_DEPTH`] deep; deeper or cyclic ones become
//!   `{}`).
//! - Only operations a route of the same service serves (method and path) become tools: an
//!   agent can never be offered what the gateway would not forward. The route's security
//!   group is shown in the description and in [`ToolOperation::security_group`].
//!
//! ```
//! use myc_directory::tools::{Tools, operations};
//! let doc = serde_json::json!({"openapi": "3.0.3", "paths": {
//!     "/api/customers/{id}": {"get": {"summary": "One customer",
//!         "parameters": [{"name": "id", "in": "path", "required": true,
//!                         "schema": {"type": "integer"}}]}}}});
//! let ops = operations("customer-api", &doc, |_, _| Some(serde_json::json!("protected")));
//! assert_eq!(ops[0].name, "customer-api__get__api_customers_id");
//! let tools = Tools::default();
//! tools.replace("customer-api", ops);
//! assert!(tools.find("customer-api__get__api_customers_id").is_some());
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// Longest tool name (MCP clients accept up to 128 characters).
pub const MAX_NAME: usize = 128;

/// How deep `$ref`s are inlined.
pub const MAX_REF_DEPTH: usize = 16;

/// Operations read from one document, at most.
pub const MAX_OPERATIONS: usize = 1_000;

/// The methods OpenAPI path items may hold.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of a discoverable service, as a tool.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolOperation {
    /// The tool's name.
    pub name: String,
    /// The service.
    pub service: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// The OpenAPI path template (`/api/customers/{id}`).
    pub path: String,
    /// The operation's id, if the document gives one.
    pub operation_id: Option<String>,
    /// `{service}: {summary} [{security group}]`.
    pub description: String,
    /// The security group of the route that serves it, as upstream writes it.
    pub security_group: Value,
    /// JSON Schema of the arguments (`__path_params`, `__query_params`, `__body`).
    pub input_schema: Value,
}

/// Builds the tools of `service` from its OpenAPI `document`; `route_of(method, path)` is
/// the security group of the service's route that serves the operation, `None` when no
/// route does (the operation is left out).
pub fn operations(
    service: &str,
    document: &Value,
    route_of: impl Fn(&str, &str) -> Option<Value>,
) -> Vec<ToolOperation> {
    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut out: Vec<ToolOperation> = Vec::new();
    for (path, item) in paths {
        let shared = item.get("parameters").and_then(Value::as_array);
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let upper = method.to_ascii_uppercase();
            let Some(group) = route_of(&upper, path) else {
                continue;
            };
            if out.len() == MAX_OPERATIONS {
                return out;
            }
            let summary = operation
                .get("summary")
                .or_else(|| operation.get("description"))
                .and_then(Value::as_str)
                .unwrap_or("No description");
            let group_text = match &group {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let mut name = tool_name(service, method, path);
            let base = name.clone();
            let mut n = 1;
            while out.iter().any(|t| t.name == name) {
                n += 1;
                name = format!("{base}_{n}");
            }
            out.push(ToolOperation {
                name,
                service: service.to_owned(),
                method: upper,
                path: path.clone(),
                operation_id: operation
                    .get("operationId")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                description: format!("{service}: {summary} [{group_text}]"),
                security_group: group,
                input_schema: input_schema(document, shared, operation),
            });
        }
    }
    out
}

/// `{service}__{method}__{path_slug}`: the path's letters and digits, lower case, runs of
/// anything else as one `_`.
pub fn tool_name(service: &str, method: &str, path: &str) -> String {
    let mut slug = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('_') {
            slug.push('_');
        }
    }
    let name = format!(
        "{service}__{}__{}",
        method.to_ascii_lowercase(),
        slug.trim_matches('_')
    );
    if name.len() <= MAX_NAME {
        return name;
    }
    let digest = Sha256::digest(name.as_bytes());
    let suffix: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    let mut cut = MAX_NAME - suffix.len() - 1;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{suffix}", &name[..cut])
}

/// The arguments' schema of `operation` (path-item parameters first, the operation's win).
fn input_schema(document: &Value, shared: Option<&Vec<Value>>, operation: &Value) -> Value {
    let mut by_place: BTreeMap<&str, (Map<String, Value>, Vec<String>)> = BTreeMap::new();
    let own = operation.get("parameters").and_then(Value::as_array);
    for parameter in shared.into_iter().chain(own).flatten() {
        let parameter = resolve(document, parameter, 0);
        let (Some(name), Some(place)) = (
            parameter.get("name").and_then(Value::as_str),
            parameter.get("in").and_then(Value::as_str),
        ) else {
            continue;
        };
        let key = match place {
            "path" => "__path_params",
            "query" => "__query_params",
            _ => continue,
        };
        let mut schema = parameter
            .get("schema")
            .cloned()
            .unwrap_or_else(|| json!({"type": "string"}));
        if let (Some(object), Some(text)) = (schema.as_object_mut(), parameter.get("description")) {
            object.insert("description".into(), text.clone());
        }
        let (properties, required) = by_place.entry(key).or_default();
        properties.insert(name.to_owned(), schema);
        let needed =
            place == "path" || parameter.get("required").and_then(Value::as_bool) == Some(true);
        if needed && !required.iter().any(|r| r == name) {
            required.push(name.to_owned());
        }
    }
    let mut properties = Map::new();
    let mut required: Vec<String> = Vec::new();
    for (key, (props, needed)) in by_place {
        if key == "__path_params" {
            required.push(key.to_owned());
        }
        properties.insert(
            key.to_owned(),
            json!({"type": "object", "properties": props, "required": needed}),
        );
    }
    let body = operation
        .get("requestBody")
        .map(|b| resolve(document, b, 0));
    if let Some(body) = body
        && let Some(schema) = body.pointer("/content/application~1json/schema")
    {
        properties.insert("__body".into(), schema.clone());
        if body.get("required").and_then(Value::as_bool) == Some(true) {
            required.push("__body".into());
        }
    }
    json!({"type": "object", "properties": properties, "required": required})
}

/// `value` with its local `$ref`s inlined, `depth` levels in already.
fn resolve(document: &Value, value: &Value, depth: usize) -> Value {
    match value {
        Value::Object(object) => {
            if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
                if depth >= MAX_REF_DEPTH {
                    return json!({});
                }
                return match reference
                    .strip_prefix('#')
                    .and_then(|pointer| document.pointer(pointer))
                {
                    Some(target) => resolve(document, target, depth + 1),
                    None => json!({}),
                };
            }
            Value::Object(
                object
                    .iter()
                    .map(|(k, v)| (k.clone(), resolve(document, v, depth)))
                    .collect(),
            )
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| resolve(document, v, depth)).collect())
        }
        other => other.clone(),
    }
}

/// Every service's tools, replaced per service as documents are (re)fetched. Cheap to
/// clone; readers never wait for a fetch.
#[derive(Clone, Debug, Default)]
pub struct Tools(Arc<RwLock<Arc<Vec<ToolOperation>>>>);

impl Tools {
    /// Replaces `service`'s tools with `operations`.
    pub fn replace(&self, service: &str, operations: Vec<ToolOperation>) {
        let Ok(mut all) = self.0.write() else { return };
        let mut next: Vec<ToolOperation> = all
            .iter()
            .filter(|t| t.service != service)
            .cloned()
            .collect();
        next.extend(operations);
        next.sort_by(|a, b| a.name.cmp(&b.name));
        *all = Arc::new(next);
    }

    /// Every tool, by name.
    pub fn all(&self) -> Arc<Vec<ToolOperation>> {
        self.0.read().map(|a| a.clone()).unwrap_or_default()
    }

    /// The tool named `name`.
    pub fn find(&self, name: &str) -> Option<ToolOperation> {
        self.all().iter().find(|t| t.name == name).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_slugs_and_bounded() {
        assert_eq!(
            tool_name("customer-api", "GET", "/api/customers/{id}"),
            "customer-api__get__api_customers_id"
        );
        assert_eq!(tool_name("s", "post", "/"), "s__post__");
        let long = tool_name("s", "get", &"/segment".repeat(40));
        assert_eq!(long.len(), MAX_NAME);
        assert_ne!(long, tool_name("s", "get", &"/segment".repeat(41)));
    }

    #[test]
    fn refs_are_inlined_and_cycles_end() {
        let doc = json!({
            "paths": {"/a/{id}": {
                "parameters": [{"$ref": "#/components/parameters/Id"}],
                "post": {
                    "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
                    "requestBody": {"required": true, "content": {"application/json":
                        {"schema": {"$ref": "#/components/schemas/Node"}}}}
                }
            }},
            "components": {
                "parameters": {"Id": {"name": "id", "in": "path", "schema": {"type": "integer"}}},
                "schemas": {"Node": {"type": "object", "properties":
                    {"next": {"$ref": "#/components/schemas/Node"}}}}
            }
        });
        let ops = operations("s", &doc, |_, _| Some(json!("public")));
        assert_eq!(ops.len(), 1);
        let schema = &ops[0].input_schema;
        assert_eq!(
            schema["properties"]["__path_params"]["properties"]["id"]["type"],
            "integer"
        );
        assert_eq!(
            schema["properties"]["__path_params"]["required"],
            json!(["id"])
        );
        assert_eq!(schema["required"], json!(["__path_params", "__body"]));
        assert_eq!(
            schema["properties"]["__body"]["properties"]["next"]["type"],
            "object"
        );
        // The cycle ends in `{}` after MAX_REF_DEPTH levels.
        let mut node = &schema["properties"]["__body"];
        for _ in 0..MAX_REF_DEPTH - 1 {
            node = &node["properties"]["next"];
        }
        assert_eq!(node["properties"]["next"], json!({}));
    }

    #[test]
    fn unserved_operations_are_left_out_and_clashes_numbered() {
        let doc = json!({"paths": {
            "/a-b": {"get": {}}, "/a_b": {"get": {}}, "/admin": {"delete": {}}
        }});
        let ops = operations("s", &doc, |method, _| {
            (method == "GET").then(|| json!("public"))
        });
        let names: Vec<_> = ops.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["s__get__a_b", "s__get__a_b_2"]);
    }
}
