//! Arbitrary creds text never panics the parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use myc_natsauth::creds::Creds;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Creds::parse(text);
    }
});
