//! `rpc.discover`: the OpenRPC document of every method in [`super::methods::all`].

use serde_json::{Value, json};

use super::methods;

/// The OpenRPC version the document follows.
pub const OPENRPC_VERSION: &str = "1.3.2";

/// The document: every method with its params and result schemas.
pub fn document() -> Value {
    let methods: Vec<Value> = methods::all()
        .map(|m| {
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
        })
        .collect();
    json!({
        "openrpc": OPENRPC_VERSION,
        "info": {
            "title": "Mycelium admin API (myc-directory)",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "methods": methods,
    })
}
