//! Arbitrary expressions never panic the parser, and parsed ones evaluate without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use myc_tower::claims_expr::ClaimsPredicate;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(predicate) = ClaimsPredicate::parse(text) {
        let claims = serde_json::json!({
            "roles": ["admin", "user"], "level": 7, "guest": false, "idp": "sso.corp.example.com",
            "org": {"tier": "gold", "seats": 12}, "n": null
        });
        if let Some(map) = claims.as_object() {
            let _ = predicate.evaluate(map);
        }
    }
});
