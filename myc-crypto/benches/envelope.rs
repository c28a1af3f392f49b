//! Envelope costs against raw AES-256-GCM with the same key and no envelope, in one run.
//!
//! Goals (issue #3): 1 MiB seal and open ≥ 0.9x raw throughput; 64-byte seal+open ≤ 2x raw
//! time (DEK cached); rewrapping 10,000 DEKs ≤ 1.5x the time of 10,000 raw AES-GCM wraps.
//! Baselines draw their nonces from the same OS random source the envelope uses and return
//! plaintexts in the same zeroizing buffers.
//!
//! Run: `cargo bench -p myc-crypto --bench envelope`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::{AeadInPlace, Aes256Gcm, KeyInit, Nonce};
use criterion::{BatchSize, Criterion, Throughput};
use myc_crypto::{DekStore, Envelope, Kek, KekRing, MasterKey, MemoryDekStore};
use myc_testkit::bench::{cost, speedup};
use uuid::Uuid;
use zeroize::Zeroizing;

const SCOPE: Uuid = Uuid::from_u128(42);
const DEKS: usize = 10_000;

fn nonce12() -> [u8; 12] {
    let mut n = [0u8; 12];
    getrandom::getrandom(&mut n).unwrap();
    n
}

fn raw_seal(cipher: &Aes256Gcm, pt: &[u8]) -> Vec<u8> {
    let nonce = nonce12();
    let mut out = Vec::with_capacity(12 + pt.len() + 16);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(pt);
    let tag = cipher
        .encrypt_in_place_detached(Nonce::from_slice(&nonce), b"scope+field", &mut out[12..])
        .unwrap();
    out.extend_from_slice(&tag);
    out
}

/// Returns the plaintext in the same zeroizing container the envelope returns, so both sides do
/// the same memory work and the ratio measures the envelope itself.
fn raw_open(cipher: &Aes256Gcm, ct: &[u8]) -> Zeroizing<Vec<u8>> {
    let (nonce, rest) = ct.split_at(12);
    let (body, tag) = rest.split_at(rest.len() - 16);
    let mut buf = Zeroizing::new(body.to_vec());
    cipher
        .decrypt_in_place_detached(
            Nonce::from_slice(nonce),
            b"scope+field",
            &mut buf,
            GenericArray::from_slice(tag),
        )
        .unwrap();
    buf
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
        .configure_from_args();
    let raw = Aes256Gcm::new(GenericArray::from_slice(&[7u8; 32]));
    let master = MasterKey::generate().unwrap();
    let env = Envelope::new(KekRing::derived(&master, 1), MemoryDekStore::new());
    env.seal(SCOPE, "f", b"warm the DEK cache").unwrap();

    for (label, size) in [("1MiB", 1 << 20), ("64B", 64)] {
        let pt = vec![0xa5u8; size];
        let mut group = c.benchmark_group(format!("seal-{label}"));
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function("raw", |b| b.iter(|| raw_seal(&raw, black_box(&pt))));
        group.bench_function("envelope", |b| {
            b.iter(|| env.seal(SCOPE, "f", black_box(&pt)).unwrap())
        });
        group.finish();

        let raw_ct = raw_seal(&raw, &pt);
        let env_ct = env.seal(SCOPE, "f", &pt).unwrap();
        let mut group = c.benchmark_group(format!("open-{label}"));
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function("raw", |b| b.iter(|| raw_open(&raw, black_box(&raw_ct))));
        group.bench_function("envelope", |b| {
            b.iter(|| env.open(SCOPE, "f", black_box(&env_ct)).unwrap())
        });
        group.finish();
    }

    let pt = [0x5au8; 64];
    let mut group = c.benchmark_group("seal+open-64B");
    group.bench_function("raw", |b| {
        b.iter(|| raw_open(&raw, &raw_seal(&raw, black_box(&pt))))
    });
    group.bench_function("envelope", |b| {
        b.iter(|| {
            env.open(SCOPE, "f", &env.seal(SCOPE, "f", black_box(&pt)).unwrap())
                .unwrap()
        })
    });
    group.finish();

    // 10,000 DEKs wrapped under KEK v1, rewrapped to v2 by the envelope; the baseline wraps
    // 10,000 32-byte keys once each with raw AES-GCM.
    let kek1 = Kek::derive(&master, 1);
    let stored: Vec<_> = (0..DEKS as u128)
        .map(|i| {
            (
                Uuid::from_u128(i),
                kek1.wrap(Uuid::from_u128(i), 1, &[i as u8; 32]).unwrap(),
            )
        })
        .collect();
    let mut group = c.benchmark_group("rewrap-10k");
    group.sample_size(10);
    group.bench_function("raw", |b| {
        b.iter(|| {
            for i in 0..DEKS {
                black_box(raw_seal(&raw, &[i as u8; 32]));
            }
        })
    });
    group.bench_function("envelope", |b| {
        b.iter_batched(
            || {
                let store = MemoryDekStore::new();
                for (scope, w) in &stored {
                    store.insert_if_absent(*scope, 1, w).unwrap();
                }
                Envelope::new(KekRing::derived(&master, 2), store)
            },
            |env| assert_eq!(env.rewrap_all(false).unwrap().rewrapped, DEKS),
            BatchSize::PerIteration,
        )
    });
    group.finish();
    c.final_summary();

    println!("\nmyc-crypto envelope vs raw AES-256-GCM (same run)");
    println!(
        "  1 MiB seal throughput     {} of raw (goal ≥ 0.90x)",
        speedup("seal-1MiB", "raw", "envelope", "")
    );
    println!(
        "  1 MiB open throughput     {} of raw (goal ≥ 0.90x)",
        speedup("open-1MiB", "raw", "envelope", "")
    );
    println!(
        "  64 B seal+open time       {} of raw (goal ≤ 2.00x)",
        cost("seal+open-64B", "raw", "envelope", "")
    );
    println!(
        "  64 B seal time            {} of raw",
        cost("seal-64B", "raw", "envelope", "")
    );
    println!(
        "  64 B open time            {} of raw",
        cost("open-64B", "raw", "envelope", "")
    );
    println!(
        "  rewrap 10,000 DEKs time   {} of 10,000 raw wraps (goal ≤ 1.50x)",
        cost("rewrap-10k", "raw", "envelope", "")
    );
}
