//! Arbitrary connection strings (text and header forms) never panic parsing or verification.
#![no_main]

use libfuzzer_sys::fuzz_target;
use myc_profile::connection_string::{HmacKeyring, ParsedConnectionString};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let keys = HmacKeyring::new(1, [(1u32, "k1"), (2, "k2")]).expect("static keyring");
    let now = chrono::Utc::now();
    if let Ok(parsed) = ParsedConnectionString::parse_text(text) {
        let _ = parsed.verify(&keys, now);
    }
    if let Ok(parsed) = ParsedConnectionString::parse(text) {
        let _ = parsed.verify(&keys, now);
    }
});
