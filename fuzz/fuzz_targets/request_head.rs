//! Arbitrary bytes from a client never panic the gateway's request-head parser, and an accepted
//! head keeps the anti-smuggling invariants: never both `Content-Length` and
//! `Transfer-Encoding`, never `Transfer-Encoding` in HTTP/1.0, exactly one `Host` in HTTP/1.1,
//! at most one distinct length.
#![no_main]

use libfuzzer_sys::fuzz_target;
use myc_gateway::server::request::{MAX_HEADERS, decode_head};

fuzz_target!(|data: &[u8]| {
    let Ok(Some(parts)) = decode_head(data) else {
        return;
    };
    let headers = &parts.headers;
    assert!(!(headers.contains_key("content-length") && headers.contains_key("transfer-encoding")));
    if parts.version == http::Version::HTTP_10 {
        assert!(!headers.contains_key("transfer-encoding"));
    } else {
        assert_eq!(headers.get_all("host").iter().count(), 1);
    }
    assert!(headers.len() <= MAX_HEADERS);
    let lengths: std::collections::HashSet<u64> = headers
        .get_all("content-length")
        .iter()
        .flat_map(|v| v.to_str().expect("validated length").split(','))
        .map(|n| n.trim().parse::<u64>().expect("validated length"))
        .collect();
    assert!(lengths.len() <= 1);
});
