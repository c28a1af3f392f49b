//! Arbitrary bodies never panic the JSON-RPC decoder, which bounds what it accepts: a batch
//! never holds more than MAX_BATCH entries, and every call it hands on is well formed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use myc_directory::rpc::wire::{Entry, Incoming, MAX_BATCH, decode};

fuzz_target!(|data: &[u8]| {
    let entries = match decode(data) {
        Ok(Incoming::Single(entry)) => vec![entry],
        Ok(Incoming::Batch(entries)) => {
            assert!(!entries.is_empty() && entries.len() <= MAX_BATCH);
            entries
        }
        Err(_) => return,
    };
    for entry in entries {
        if let Entry::Call(call) = entry {
            assert!(call.params.is_object() || call.params.is_array());
            if let Some(id) = call.id {
                assert!(id.is_string() || id.is_number() || id.is_null());
            }
        }
    }
});
