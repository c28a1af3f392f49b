//! Arbitrary bytes and text never panic opening a ciphertext, a wrapped DEK or an upstream
//! value, and nothing forged opens.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use myc_crypto::upstream::UpstreamKek;
use myc_crypto::{Envelope, Kek, KekRing, MemoryDekStore, WrappedDek};
use uuid::Uuid;

const SCOPE: Uuid = Uuid::from_u128(1);

fn envelope() -> &'static Envelope<MemoryDekStore> {
    static ENV: OnceLock<Envelope<MemoryDekStore>> = OnceLock::new();
    ENV.get_or_init(|| {
        let env = Envelope::new(KekRing::new(Kek::from_bytes(1, &[7; 32])), MemoryDekStore::new());
        env.seal(SCOPE, "f", b"seed").expect("seal");
        env
    })
}

fuzz_target!(|data: &[u8]| {
    let env = envelope();
    // Forgeries never authenticate (the chance of a random 128-bit tag matching is nil).
    assert!(env.open(SCOPE, "f", data).is_err());
    let mut framed = vec![1u8, 0, 0, 0, 1];
    framed.extend_from_slice(data);
    assert!(env.open(SCOPE, "f", &framed).is_err());
    if let Ok(text) = std::str::from_utf8(data) {
        assert!(env.open_text(SCOPE, "f", text).is_err());
        let _ = WrappedDek::from_text(text);
        if let Ok(kek) = UpstreamKek::from_token_secret("550e8400-e29b-41d4-a716-446655440000") {
            let _ = kek.open_any(Some(text), SCOPE, "f", text);
            let _ = kek.open_v1(text);
        }
    }
    let _ = WrappedDek::from_bytes(data.to_vec());
});
