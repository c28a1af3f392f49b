//! Header codec throughput against upstream's pipeline, measured in the same run.
//!
//! Baseline (what upstream does per request): a fresh `serde_json::to_string` →
//! `zstd::encode_all(…, 3)` → base64, and base64 → `zstd::decode_all` → `serde_json`.
//! Ours: a reused [`ProfileEncoder`] / [`ProfileDecoder`].
//!
//! Goals (issue #2): encode ≥ 3x faster, decode ≥ 1.5x faster, header ≤ baseline + 8 bytes.
//! The summary at the end prints each as a ratio; nothing is asserted.
//!
//! Run: `cargo bench -p myc-profile --bench header` (add `-- --quick` for a fast pass).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::{BenchmarkId, Criterion};
use myc_profile::codec::{ProfileDecoder, ProfileEncoder};
use myc_profile::{LicensedResource, LicensedResources, Permission, Profile};
use myc_testkit::bench::speedup;
use uuid::Uuid;

fn baseline_encode(p: &Profile) -> String {
    let json = serde_json::to_string(p).unwrap();
    STANDARD.encode(zstd::stream::encode_all(json.as_bytes(), 3).unwrap())
}

fn baseline_decode(h: &str) -> Profile {
    let raw = STANDARD.decode(h).unwrap();
    serde_json::from_slice(&zstd::stream::decode_all(&raw[..]).unwrap()).unwrap()
}

fn inputs() -> Vec<(String, Profile)> {
    let dir = myc_testkit::shared_dir().join("vectors/mycelium");
    let mut out: Vec<(String, Profile)> = Vec::new();
    for name in [
        "01_minimal",
        "02_single_tenant_one_license",
        "04_flags_meta_staff",
        "05_url_form_licenses",
    ] {
        let text =
            std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("shared vectors");
        out.push((
            name.split('_').next().unwrap().to_owned(),
            serde_json::from_str(&text).unwrap(),
        ));
    }
    // 200 licences with random-looking UUIDs (deterministic).
    let mut state: u128 = 0x243F_6A88_85A3_08D3_1319_8A2E_0370_7344;
    let mut next = || {
        state = state
            .wrapping_mul(0x2360_ED05_1FC6_5DA4_4385_DF64_9FCC_F645)
            .wrapping_add(0x5851_F42D_4C95_7F2D);
        Uuid::from_u128(state)
    };
    let mut big = out[1].1.clone();
    big.licensed_resources = Some(LicensedResources::Records(
        (0..200)
            .map(|i| LicensedResource {
                acc_id: next(),
                sys_acc: i % 9 == 0,
                tenant_id: next(),
                acc_name: format!("Account {i}"),
                role: ["reader", "editor", "billing"][i % 3].to_owned(),
                role_id: next(),
                perm: if i % 2 == 0 {
                    Permission::Read
                } else {
                    Permission::Write
                },
                verified: true,
                permit_flags: None,
                deny_flags: None,
            })
            .collect(),
    ));
    out.push(("200-licences".to_owned(), big));
    out
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(40)
        .configure_from_args();
    let inputs = inputs();
    let mut encoder = ProfileEncoder::new().unwrap();
    let mut decoder = ProfileDecoder::new().unwrap();

    let mut group = c.benchmark_group("encode");
    for (name, p) in &inputs {
        group.bench_with_input(BenchmarkId::new("baseline", name), p, |b, p| {
            b.iter(|| baseline_encode(black_box(p)))
        });
        let mut out = String::new();
        group.bench_with_input(BenchmarkId::new("ours", name), p, |b, p| {
            b.iter(|| encoder.encode_into(black_box(p), &mut out).unwrap())
        });
    }
    group.finish();

    let mut group = c.benchmark_group("decode");
    for (name, p) in &inputs {
        let upstream_header = baseline_encode(p);
        let our_header = encoder.encode(p).unwrap();
        group.bench_with_input(
            BenchmarkId::new("baseline", name),
            &upstream_header,
            |b, h| b.iter(|| baseline_decode(black_box(h))),
        );
        group.bench_with_input(
            BenchmarkId::new("ours-upstream-frame", name),
            &upstream_header,
            |b, h| b.iter(|| decoder.decode(black_box(h)).unwrap()),
        );
        group.bench_with_input(BenchmarkId::new("ours", name), &our_header, |b, h| {
            b.iter(|| decoder.decode(black_box(h)).unwrap())
        });
    }
    group.finish();
    c.final_summary();

    println!(
        "\nmyc-profile header codec vs upstream pipeline (same run; >1.00x = faster than baseline)"
    );
    println!(
        "{:<14} {:>13} {:>13} {:>22} {:>16}",
        "input", "encode (≥3x)", "decode (≥1.5x)", "decode upstream frame", "size (≤ +8 B)"
    );
    for (name, p) in &inputs {
        let ratio = |group: &str, ours: &str| speedup(group, "baseline", ours, name);
        let base_len = baseline_encode(p).len();
        let our_len = encoder.encode(p).unwrap().len();
        println!(
            "{:<14} {:>13} {:>14} {:>22} {:>10} {:+} B",
            name,
            ratio("encode", "ours"),
            ratio("decode", "ours"),
            ratio("decode", "ours-upstream-frame"),
            format!("{our_len}/{base_len}"),
            our_len as i64 - base_len as i64
        );
    }
}
