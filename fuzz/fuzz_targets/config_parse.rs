//! Arbitrary configuration text never panics the loader: it parses or names a key and a reason.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use myc_gateway::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Config::parse(text, "fuzz.toml", Path::new("/nonexistent"), &|_| None) {
        Ok(config) => {
            for service in &config.services {
                assert!(!service.hosts.is_empty());
            }
        }
        Err(e) => assert!(!e.key.is_empty()),
    }
});
