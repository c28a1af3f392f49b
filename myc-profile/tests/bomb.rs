//! A zstd bomb (1 GiB of zeros) is rejected without allocating beyond the decode limit.
//!
//! Alone in its test binary so the peak-RSS reading is not disturbed by other tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use myc_profile::codec::{self, HeaderError};

const GIB: u64 = 1 << 30;

fn bomb(declare_size: bool) -> String {
    let mut encoder = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
    if declare_size {
        encoder.set_pledged_src_size(Some(GIB)).unwrap();
    }
    encoder.include_contentsize(declare_size).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..(GIB >> 20) {
        encoder.write_all(&chunk).unwrap();
    }
    STANDARD.encode(encoder.finish().unwrap())
}

/// Peak resident set size of this process, in KiB (Linux).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn one_gib_of_zeros_is_rejected_cheaply() {
    let with_size = bomb(true);
    let without_size = bomb(false);
    // Small enough to pass any header-length check: the output bound is what stops it.
    assert!(
        with_size.len() < codec::DEFAULT_MAX_HEADER_LEN,
        "bomb header is {} bytes",
        with_size.len()
    );

    let before = peak_rss_kib();
    let mut decoder = codec::ProfileDecoder::with_options(codec::DecodeOptions {
        limits: codec::DecodeLimits {
            max_header_len: 1 << 20,
            ..Default::default()
        },
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        decoder.decode(&with_size),
        Err(HeaderError::DecodedTooLarge {
            limit: codec::DEFAULT_MAX_DECODED_LEN,
            declared: Some(GIB)
        })
    );
    assert_eq!(
        decoder.decode(&without_size),
        Err(HeaderError::DecodedTooLarge {
            limit: codec::DEFAULT_MAX_DECODED_LEN,
            declared: None
        })
    );
    let grown_kib = peak_rss_kib().saturating_sub(before);
    // The limit is 256 KiB; allow generous slack for the allocator and zstd's context.
    assert!(
        grown_kib < 16 * 1024,
        "peak RSS grew by {grown_kib} KiB while rejecting a 1 GiB bomb"
    );
    // The default codec refuses it the same way.
    assert!(matches!(
        codec::decode(&with_size),
        Err(HeaderError::DecodedTooLarge { .. })
    ));
}
