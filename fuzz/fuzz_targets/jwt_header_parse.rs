//! Arbitrary tokens never panic the header parser; accepted headers never carry `none`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use myc_tower::internal::jwt_header::{MAX_KID_LEN, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(header) = parse(text) {
        if let Some(kid) = header.kid {
            assert!(!kid.is_empty() && kid.len() <= MAX_KID_LEN);
            assert!(kid.bytes().all(|b| (0x20..0x7f).contains(&b)));
        }
    }
});
