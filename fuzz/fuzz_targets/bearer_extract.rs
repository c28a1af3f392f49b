//! Arbitrary credential headers never panic extraction; accepted bearers are token68 text.
#![no_main]

use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;
use myc_tower::credential::{Credential, MAX_CREDENTIAL_LEN, extract};

fuzz_target!(|data: &[u8]| {
    // Up to three header values separated by 0xff; the first byte picks the header names.
    let names = ["authorization", "x-mycelium-connection-string"];
    let selector = data.first().copied().unwrap_or(0);
    let mut headers = HeaderMap::new();
    for (i, part) in data.get(1..).unwrap_or_default().split(|b| *b == 0xff).take(3).enumerate() {
        let name = names[usize::from((selector >> i) & 1)];
        if let Ok(value) = HeaderValue::from_bytes(part) {
            headers.append(HeaderName::from_static(name), value);
        }
    }
    if let Ok(Some(credential)) = extract(&headers) {
        match credential {
            Credential::Bearer(token) | Credential::ConnectionString(token) => {
                assert!(!token.is_empty() && token.len() <= MAX_CREDENTIAL_LEN);
            }
        }
    }
});
