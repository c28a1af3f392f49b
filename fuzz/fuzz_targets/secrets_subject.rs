//! Arbitrary NATS subjects and `Nats-Request-Info` values never panic the secrets service's
//! parsing: a subject parses to (kind, tenant, valid name) or is refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use myc_gateway::nats::secrets::{parse_subject, requester};
use myc_gateway::vault::check_name;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some((_, _, name)) = parse_subject(text) {
        assert!(check_name(name).is_ok());
    }
    let mut headers = async_nats::HeaderMap::new();
    if !text.contains(['\r', '\n']) {
        headers.insert("Nats-Request-Info", text);
        let _ = requester(Some(&headers));
    }
});
