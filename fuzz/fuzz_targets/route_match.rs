//! Arbitrary request paths never panic routing, and a routed path never carries a dot segment
//! or an encoded separator; the public and admin routes cannot be confused.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use myc_tower::routing::{Addressing, MethodSet, RouteSpec, RouteTable, normalize};

fn tables() -> &'static [RouteTable; 2] {
    static TABLES: OnceLock<[RouteTable; 2]> = OnceLock::new();
    TABLES.get_or_init(|| {
        let all = MethodSet::parse(&["ALL"]).expect("methods");
        let routes = vec![
            RouteSpec::new("svc", "/public/*", all.clone(), 0),
            RouteSpec::new("svc", "/admin/*", all.clone(), 1),
            RouteSpec::new("svc", "/a?c/*x*", all, 2),
        ];
        [
            RouteTable::build(Addressing::FullPath, routes.clone()).expect("table"),
            RouteTable::build(Addressing::ServicePrefix, routes).expect("table"),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(path) = std::str::from_utf8(data) else { return };
    for table in tables() {
        if let Ok(hit) = table.find(&http::Method::GET, path) {
            let decoded = normalize(path).expect("routed paths normalize");
            assert!(decoded.split('/').all(|s| s != "." && s != ".."));
            if hit.route.key == 0 && table.routes().len() == 3 && decoded.starts_with("/admin/") {
                panic!("an admin path routed to the public route");
            }
        }
    }
});
