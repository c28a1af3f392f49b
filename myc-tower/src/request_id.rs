//! Request ids: UUIDv4-shaped, from a per-thread SplitMix64 stream seeded once from the OS
//! (a syscall per request would cost more than the rest of the layer). Ids are unique and
//! unguessable enough for correlation; nothing relies on them being secret.
//!
//! The text of an id is carved out of a per-thread buffer shared by [`SLAB_IDS`] ids, so an
//! id costs no allocation of its own and cloning it (into the response) is a reference-count
//! increment rather than a copy.

use std::cell::{Cell, RefCell};

use bytes::BytesMut;

/// Ids per shared buffer (a retained id keeps at most this many ids' bytes alive).
const SLAB_IDS: usize = 64;

thread_local! {
    static STATE: Cell<u64> = Cell::new(seed());
    static SLAB: RefCell<BytesMut> = RefCell::new(BytesMut::new());
}

fn seed() -> u64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    u64::from_le_bytes([
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[8], bytes[9],
    ])
}

fn splitmix(state: &Cell<u64>) -> u64 {
    let next = state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
    state.set(next);
    let mut z = next;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A fresh request id (hyphenated UUIDv4 text) as a header value.
pub(crate) fn next() -> http::HeaderValue {
    let (hi, lo) = STATE.with(|s| (splitmix(s), splitmix(s)));
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&hi.to_le_bytes());
    bytes[8..].copy_from_slice(&lo.to_le_bytes());
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
    let text = id.hyphenated().encode_lower(&mut text);
    let shared = SLAB.with(|slab| {
        let mut slab = slab.try_borrow_mut().ok()?;
        if slab.capacity() < text.len() {
            *slab = BytesMut::with_capacity(text.len() * SLAB_IDS);
        }
        slab.extend_from_slice(text.as_bytes());
        Some(slab.split().freeze())
    });
    match shared {
        Some(bytes) => http::HeaderValue::from_maybe_shared(bytes),
        None => http::HeaderValue::from_str(text),
    }
    .unwrap_or_else(|_| http::HeaderValue::from_static("0"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn unique_v4() {
        let ids: std::collections::HashSet<String> = (0..10_000)
            .map(|_| super::next().to_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), 10_000);
        let id = uuid::Uuid::parse_str(ids.iter().next().unwrap()).unwrap();
        assert_eq!(id.get_version_num(), 4);
    }
}
