//! Upstream 9.x vectors: headers produced by upstream code decode to their exact JSON, our
//! re-encoding decodes back equal, and every fluent result in `*.checks.json` is reproduced.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use myc_profile::{AccessError, Permission, Profile, RelatedAccounts, codec};
use serde_json::{Value, json};
use uuid::Uuid;

const T1: &str = "11111111-1111-4111-8111-111111111111";
const T2: &str = "22222222-2222-4222-8222-222222222222";

fn t(s: &str) -> Uuid {
    s.parse().unwrap()
}

#[test]
fn headers_decode_to_their_json_and_reencode() {
    for name in common::vector_names() {
        let header = common::read(&format!("{name}.header.txt"));
        let json_text = common::read(&format!("{name}.json"));
        let expected: Profile = serde_json::from_str(&json_text).unwrap();

        let decoded = codec::decode(&header).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(decoded, expected, "{name}");

        // Our JSON is upstream's JSON: the same value, and the same bytes unless `meta` has
        // several keys (upstream's HashMap order is arbitrary; ours is sorted).
        let ours = decoded.to_json().unwrap();
        let ours_value: Value = serde_json::from_str(&ours).unwrap();
        let theirs_value: Value = serde_json::from_str(&json_text).unwrap();
        assert_eq!(ours_value, theirs_value, "{name}");
        if decoded.meta.as_ref().is_none_or(|m| m.len() < 2) {
            assert_eq!(ours, json_text.trim_end(), "{name}: compact JSON bytes");
        }

        // Upstream frames carry no content size; ours do, and decode back equal.
        assert_eq!(
            STANDARD.decode(header.trim()).unwrap()[4],
            0x00,
            "{name}: upstream descriptor"
        );
        let ours_header = codec::encode(&decoded).unwrap();
        assert_eq!(
            STANDARD.decode(&ours_header).unwrap()[4],
            0x60,
            "{name}: our descriptor"
        );
        assert_eq!(codec::decode(&ours_header).unwrap(), expected, "{name}");
        assert!(
            ours_header.len() <= header.trim().len() + 8,
            "{name}: {} vs upstream {}",
            ours_header.len(),
            header.trim().len()
        );
    }
}

fn err_json(e: &AccessError) -> Value {
    json!({ "code": e.code(), "error": e.to_string() })
}

fn related(r: Result<RelatedAccounts, AccessError>) -> Value {
    match r {
        Ok(r) => serde_json::to_value(r).unwrap(),
        Err(e) => err_json(&e),
    }
}

/// Computes every check the vectors name, keyed as in `*.checks.json`.
fn checks(p: &Profile) -> BTreeMap<&'static str, Value> {
    let mut m = BTreeMap::new();
    m.insert(
        "filtered_profile_json_example(on_tenant(T1).with_write_access)",
        serde_json::to_value(p.on_tenant(t(T1)).with_write_access().to_profile().unwrap()).unwrap(),
    );
    m.insert(
        "get_ids_or_error",
        match p.get_ids_or_error() {
            Ok(ids) => serde_json::to_value(ids).unwrap(),
            Err(e) => err_json(&e),
        },
    );
    m.insert(
        "get_related_account_or_error",
        related(p.get_related_account_or_error()),
    );
    m.insert(
        "get_tenant_wide_permission_or_error(T2, Write)",
        related(p.get_tenant_wide_permission_or_error(t(T2), Permission::Write)),
    );
    m.insert(
        "has_not_deny_flags([admin_panel]).count",
        json!(p.has_not_deny_flags(["admin_panel"]).len()),
    );
    m.insert(
        "has_permit_flags([dashboard]).count",
        json!(p.has_permit_flags(["dashboard"]).len()),
    );
    m.insert("on_tenant(T1).count", json!(p.on_tenant(t(T1)).len()));
    m.insert(
        "on_tenant(T1).with_read_access.count",
        json!(p.on_tenant(t(T1)).with_read_access().len()),
    );
    m.insert(
        "on_tenant(T1).with_roles([editor]).count",
        json!(p.on_tenant(t(T1)).with_roles(["editor"]).len()),
    );
    m.insert(
        "on_tenant(T1).with_write_access.count",
        json!(p.on_tenant(t(T1)).with_write_access().len()),
    );
    m.insert(
        "on_tenant(T1).with_write_access.get_related_account_or_error",
        related(
            p.on_tenant(t(T1))
                .with_write_access()
                .get_related_account_or_error(),
        ),
    );
    m.insert(
        "on_tenant(T2).with_system_accounts_access.with_write_access.with_roles([subscriptions-manager]).get_related_account_or_error",
        related(
            p.on_tenant(t(T2))
                .with_system_accounts_access()
                .with_write_access()
                .with_roles(["subscriptions-manager"])
                .get_related_account_or_error(),
        ),
    );
    m.insert(
        "with_system_accounts_access.count",
        json!(p.with_system_accounts_access().len()),
    );
    m.insert(
        "with_tenant_ownership_or_error(T2).is_ok",
        json!(p.with_tenant_ownership_or_error(t(T2)).is_ok()),
    );
    m
}

#[test]
fn fluent_checks_reproduce_upstream_results() {
    let mut compared = 0;
    for name in common::vector_names() {
        let Ok(text) =
            std::fs::read_to_string(common::vectors_dir().join(format!("{name}.checks.json")))
        else {
            continue;
        };
        let expected: BTreeMap<String, Value> = serde_json::from_str(&text).unwrap();
        let profile = codec::decode(&common::read(&format!("{name}.header.txt"))).unwrap();
        let ours = checks(&profile);
        for (key, want) in &expected {
            let got = ours
                .get(key.as_str())
                .unwrap_or_else(|| panic!("{name}: no implementation for check {key}"));
            match (want, got) {
                // Upstream errors are recorded with `error` and sometimes `code`.
                (Value::Object(w), Value::Object(g)) if w.contains_key("error") => {
                    for (field, value) in w {
                        assert_eq!(g.get(field), Some(value), "{name}: {key}.{field}");
                    }
                }
                _ => assert_eq!(got, want, "{name}: {key}"),
            }
            compared += 1;
        }
    }
    assert!(compared >= 50, "only {compared} checks compared");
}

#[test]
fn connection_string_vectors_verify_and_resign_identically() {
    use myc_profile::connection_string::{ConnectionString, HmacKeyring, ParsedConnectionString};
    let vectors: Vec<Value> =
        serde_json::from_str(&common::read("connection_strings.json")).unwrap();
    assert!(!vectors.is_empty());
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-22T00:00:00Z")
        .unwrap()
        .to_utc();
    for v in vectors {
        let label = v["label"].as_str().unwrap();
        let keys: Vec<(u32, String)> = v["hmac_key_versions"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, s)| (k.parse().unwrap(), s.as_str().unwrap().to_owned()))
            .collect();
        let keyring =
            HmacKeyring::new(v["primary_version"].as_u64().unwrap() as u32, keys).unwrap();
        let header = v["connection_string_header_value"].as_str().unwrap();
        let plain = v["decoded_plaintext"].as_str().unwrap();
        assert_eq!(
            String::from_utf8(STANDARD.decode(header).unwrap()).unwrap(),
            plain
        );

        let claims = ConnectionString::verify_header(header, &keyring, now)
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        // Our signer writes the same bytes upstream issued.
        assert_eq!(claims.sign(&keyring).unwrap(), header, "{label}");

        // Tampering with any signed bean gives upstream's code.
        let tampered = plain.replacen("aid=a", "aid=b", 1);
        let err = ParsedConnectionString::parse_text(&tampered)
            .unwrap()
            .verify(&keyring, now)
            .unwrap_err();
        assert_eq!(err.code(), v["tampered_verify_error"].as_str(), "{label}");
    }
}
