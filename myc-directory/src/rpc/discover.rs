//! `rpc.discover`: the OpenRPC document of every method in [`super::methods::all`], and of
//! the methods a layer in front answers before authentication.

use serde_json::{Value, json};

use super::methods;
use super::spec::MethodSpec;

/// The OpenRPC version the document follows.
pub const OPENRPC_VERSION: &str = "1.3.2";

/// The document: every method with its params and result schemas.
pub fn document() -> Value {
    document_with(&[])
}

/// The document, with `public` (methods answered before authentication, marked
/// `"x-authentication": "none"`) after the others.
pub fn document_with(public: &'static [MethodSpec]) -> Value {
    let described = |m: &MethodSpec| {
        let mut entry = describe(m);
        if public.iter().any(|p| p.name == m.name) {
            entry["x-authentication"] = json!("none");
        }
        entry
    };
    let methods: Vec<Value> = methods::all().chain(public).map(described).collect();
    json!({
        "openrpc": OPENRPC_VERSION,
        "info": {
            "title": "Mycelium admin API (myc-directory)",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "methods": methods,
    })
}

fn describe(m: &MethodSpec) -> Value {
    let params: Vec<Value> = m
        .params
        .iter()
        .map(|p| json!({ "name": p.name, "required": p.required, "schema": (p.schema)() }))
        .collect();
    json!({
        "name": m.name,
        "summary": m.summary,
        "paramStructure": "by-name",
        "params": params,
        "result": { "name": "result", "schema": (m.result)() },
        "x-rest": { "method": m.rest.method, "path": m.rest.path },
    })
}
