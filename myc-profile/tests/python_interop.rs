//! Interop with the Python SDK's decoder: `zstandard.ZstdDecompressor().decompress()` with no
//! size hint (what `myc_http_tools` does) reads our headers and yields our exact JSON, and
//! fails on upstream's frames (which lack the content size) — the defect we fix.
//!
//! The set-up installs the pinned `zstandard` with pip when it is missing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use myc_profile::{
    AccountMetaKey, LicensedResource, LicensedResources, Permission, Profile, codec,
};
use uuid::Uuid;

const ZSTANDARD: &str = "zstandard==0.25.0";

fn python() -> String {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let has_module = || {
        Command::new(&python)
            .args(["-c", "import zstandard"])
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    if !has_module() {
        for extra in [&[][..], &["--break-system-packages"][..]] {
            let ok = Command::new(&python)
                .args(["-m", "pip", "install", "--quiet", ZSTANDARD])
                .args(extra)
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ok {
                break;
            }
        }
    }
    assert!(
        has_module(),
        "{python} cannot import zstandard and `pip install {ZSTANDARD}` failed"
    );
    python
}

const SDK_DECODE: &str = r#"
import base64, sys, zstandard
for line in sys.stdin:
    line = line.strip()
    try:
        out = zstandard.ZstdDecompressor().decompress(base64.b64decode(line))
        print("OK " + out.decode("utf-8"))
    except Exception as e:
        print("ERR " + str(e).replace("\n", " "))
"#;

/// Runs the SDK's decode on each header; one result line per header.
fn sdk_decode(headers: &[String]) -> Vec<String> {
    let mut child = Command::new(python())
        .args(["-c", SDK_DECODE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        for h in headers {
            writeln!(stdin, "{h}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn big_profile(licences: usize) -> Profile {
    let mut p = Profile::new(Uuid::from_u128(0xa));
    let records = (0..licences)
        .map(|i| LicensedResource {
            acc_id: Uuid::new_v4(),
            sys_acc: i % 7 == 0,
            tenant_id: Uuid::new_v4(),
            acc_name: format!("Conta nº {i} — ação"),
            role: format!("role-{}", i % 5),
            role_id: Uuid::new_v4(),
            perm: if i % 2 == 0 {
                Permission::Read
            } else {
                Permission::Write
            },
            verified: true,
            permit_flags: (i % 3 == 0).then(|| vec!["dashboard".into()]),
            deny_flags: None,
        })
        .collect();
    p.licensed_resources = Some(LicensedResources::Records(records));
    p.meta = Some(
        [
            (AccountMetaKey::WhatsAppUser, "+55 11 9".to_owned()),
            (AccountMetaKey::Custom("team".into()), "core".to_owned()),
            (AccountMetaKey::Locale, "pt-BR".to_owned()),
        ]
        .into_iter()
        .collect(),
    );
    p
}

#[test]
fn python_sdk_decodes_our_headers_and_not_upstreams() {
    let mut profiles: Vec<Profile> = common::vector_names()
        .iter()
        .map(|n| codec::decode(&common::read(&format!("{n}.header.txt"))).unwrap())
        .collect();
    profiles.push(big_profile(200));
    profiles.push(big_profile(1));

    let ours: Vec<String> = profiles.iter().map(|p| codec::encode(p).unwrap()).collect();
    let results = sdk_decode(&ours);
    assert_eq!(results.len(), profiles.len());
    for (profile, result) in profiles.iter().zip(&results) {
        let json = result
            .strip_prefix("OK ")
            .unwrap_or_else(|| panic!("SDK failed on our header: {result}"));
        assert_eq!(json, profile.to_json().unwrap());
    }

    // Upstream's frames (no content size) are what the SDK cannot read.
    let upstream: Vec<String> = common::vector_names()
        .iter()
        .map(|n| common::read(&format!("{n}.header.txt")).trim().to_owned())
        .collect();
    for result in sdk_decode(&upstream) {
        assert!(
            result.starts_with("ERR") && result.contains("content size"),
            "{result}"
        );
    }
}
