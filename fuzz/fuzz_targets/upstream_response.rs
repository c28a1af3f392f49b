//! Arbitrary bytes from an upstream never panic the gateway's HTTP/1.1 response decoder, and a
//! decoded response keeps the framing invariants: a body framed by `Content-Length` has exactly
//! that length, and no response carries both `Content-Length` and `Transfer-Encoding`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use myc_gateway::proxy::h1::{MAX_HEADERS, decode_response};

fuzz_target!(|data: &[u8]| {
    let (head_method, bytes) = match data.split_first() {
        Some((flag, rest)) => (flag & 1 == 1, rest),
        None => return,
    };
    let Ok((parts, body)) = decode_response(bytes, head_method) else {
        return;
    };
    assert!(bytes.len() >= body.len());
    assert!(
        !(parts.headers.contains_key("content-length")
            && parts.headers.contains_key("transfer-encoding"))
    );
    assert!(parts.headers.len() <= MAX_HEADERS);
    if head_method {
        assert!(body.is_empty());
    } else if !parts.headers.contains_key("transfer-encoding")
        && let Some(length) = parts.headers.get("content-length")
        && parts.status != 204
        && parts.status != 304
    {
        let text = length.to_str().expect("validated length");
        let first = text.split(',').next().unwrap_or_default().trim();
        assert_eq!(first.parse::<usize>().ok(), Some(body.len()));
    }
});
