//! Arbitrary header values, raw and as base64 of zstd-framed bytes, never panic the decoder,
//! and whatever decodes re-encodes and decodes back equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use myc_profile::codec;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(profile) = codec::decode(text) {
            let header = codec::encode(&profile).expect("a decoded profile encodes");
            assert_eq!(codec::decode(&header).expect("our header decodes"), profile);
        }
    }
    use base64::Engine as _;
    let mut framed = vec![0x28, 0xB5, 0x2F, 0xFD];
    framed.extend_from_slice(data);
    let _ = codec::decode(&base64::engine::general_purpose::STANDARD.encode(&framed));
    let _ = codec::parse_profile(data);
});
