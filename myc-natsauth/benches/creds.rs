//! `myc-nats creds` for 500 services from one spec, in process: per-creds time (seed files read,
//! claims built, signed, validated, formatted) as a ratio to raw nkeys signing of a payload of
//! the same size, in one run.
//!
//! Run: `cargo bench -p myc-natsauth --features spec --bench creds`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use myc_natsauth::spec::{CredsRequest, Seeds, Site, Spec, issue_creds};
use myc_testkit::bench::{cost, mean_ns};
use myc_testkit::nats::TempDir;

const SERVICES: usize = 500;

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5))
        .sample_size(10)
        .configure_from_args();
    let dir = TempDir::new("bench-creds").unwrap();
    let seeds = dir.path().join("seeds");
    let spec =
        Spec::parse("[operator]\nname = \"OP\"\nsigning_keys = 1\n[[accounts]]\nname = \"APP\"\n")
            .unwrap();
    Site::generate(&spec, &mut Seeds::in_dir(&seeds)).unwrap();
    let requests: Vec<CredsRequest> = (0..SERVICES)
        .map(|i| CredsRequest {
            account: "APP".into(),
            name: format!("service-{i:03}"),
            publish: vec![format!("{{{{plane}}}}.svc-{i:03}.>"), "_INBOX.>".into()],
            subscribe: vec![
                format!("{{{{plane}}}}.svc-{i:03}.requests.>"),
                "_INBOX.>".into(),
            ],
            allow_responses: true,
            expires: Some("14d".into()),
            plane: Some("prod".into()),
            persist_user_nkeys: None,
        })
        .collect();
    let sample = issue_creds(&seeds, &requests[0]).unwrap();
    let jwt_len = sample.lines().nth(1).unwrap().len();
    let signer = nkeys::KeyPair::new_account();
    let payload = vec![b'x'; jwt_len * 3 / 4];

    let mut group = c.benchmark_group("creds-500");
    group.bench_function("raw-sign", |b| {
        b.iter(|| {
            for _ in 0..SERVICES {
                black_box(signer.sign(&payload).unwrap());
            }
        })
    });
    group.bench_function("issue", |b| {
        b.iter(|| {
            for r in &requests {
                black_box(issue_creds(&seeds, r).unwrap());
            }
        })
    });
    group.finish();
    c.final_summary();
    println!("\nmyc-nats creds for {SERVICES} services (same run)");
    if let Some(issue) = mean_ns("creds-500", "issue", "") {
        println!("  per creds: {:.1} µs", issue / SERVICES as f64 / 1000.0);
    }
    println!(
        "  ratio to raw signing: {}",
        cost("creds-500", "raw-sign", "issue", "")
    );
}
