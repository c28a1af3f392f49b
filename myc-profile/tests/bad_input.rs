//! Bad input gets a typed error, never a panic: the table the issue names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{TimeZone, Utc};
use myc_profile::codec::{self, DecodeLimits, DecodeOptions, HeaderError, ProfileDecoder};
use myc_profile::connection_string::{
    ConnectionString, ConnectionStringError, HmacKeyring, ParsedConnectionString,
};
use serde_json::Value;

fn frame(json: &str) -> String {
    STANDARD.encode(zstd::bulk::compress(json.as_bytes(), 3).unwrap())
}

fn vector_json() -> Value {
    serde_json::from_str(&common::read("02_single_tenant_one_license.json")).unwrap()
}

fn with(mut v: Value, pointer: &str, new: Value) -> String {
    *v.pointer_mut(pointer).unwrap() = new;
    v.to_string()
}

#[test]
fn header_decoder_table() {
    let valid = common::read("02_single_tenant_one_license.header.txt");
    let valid = valid.trim();
    let truncated = {
        let raw = STANDARD.decode(valid).unwrap();
        STANDARD.encode(&raw[..raw.len() / 2])
    };
    let json_path = |h: &str| match codec::decode(h) {
        Err(HeaderError::Json { path, .. }) => path,
        other => panic!("expected a JSON error, got {other:?}"),
    };

    assert_eq!(codec::decode(""), Err(HeaderError::Empty));
    assert_eq!(codec::decode("  \t"), Err(HeaderError::Empty));
    assert!(matches!(
        codec::decode("KLUv/QBY***"),
        Err(HeaderError::Base64(_))
    ));
    assert!(matches!(
        codec::decode(&valid.replace('+', "-")),
        Err(HeaderError::Base64(_)) | Err(HeaderError::Zstd(_))
    ));
    assert!(matches!(
        codec::decode(&truncated),
        Err(HeaderError::Zstd(_))
    ));
    assert_eq!(
        codec::decode(&STANDARD.encode(b"hello world")),
        Err(HeaderError::NotZstd)
    );
    let long = "A".repeat(codec::DEFAULT_MAX_HEADER_LEN + 1);
    assert!(matches!(
        codec::decode(&long),
        Err(HeaderError::TooLong { .. })
    ));

    // Wrong JSON types and unknown enum values name the field.
    let v = vector_json();
    assert_eq!(
        json_path(&frame(&with(v.clone(), "/isStaff", "no".into()))),
        "isStaff"
    );
    assert_eq!(
        json_path(&frame(&with(v.clone(), "/accId", "not-a-uuid".into()))),
        "accId"
    );
    assert_eq!(
        json_path(&frame(&with(v.clone(), "/verboseStatus", "banned".into()))),
        "verboseStatus"
    );
    assert_eq!(
        json_path(&frame(&with(
            v.clone(),
            "/licensedResources/records/0/perm",
            "admin".into()
        ))),
        "licensedResources.records[0].perm"
    );
    assert_eq!(
        json_path(&frame(&with(
            v.clone(),
            "/licensedResources/records/0/perm",
            2.into()
        ))),
        "licensedResources.records[0].perm"
    );
    assert_eq!(
        json_path(&frame(&with(
            v.clone(),
            "/licensedResources",
            serde_json::json!({"rows": []})
        ))),
        "licensedResources"
    );
    let mut m = v.clone();
    m["meta"] = serde_json::json!({"shoe_size": "44"});
    assert_eq!(json_path(&frame(&m.to_string())), "meta.shoe_size");
    let mut missing = v.clone();
    missing.as_object_mut().unwrap().remove("accId");
    assert!(codec::decode(&frame(&missing.to_string())).is_err());
    // Not UTF-8 inside the frame.
    assert!(matches!(
        codec::decode(&STANDARD.encode(zstd::bulk::compress(&[0xff, 0xfe, b'{'], 3).unwrap())),
        Err(HeaderError::Json { .. })
    ));
    // Trailing garbage after the JSON.
    assert!(matches!(
        codec::decode(&frame(&format!("{} x", v))),
        Err(HeaderError::Json { .. })
    ));
}

#[test]
fn configurable_limits() {
    let valid = common::read("02_single_tenant_one_license.header.txt");
    let mut tight = ProfileDecoder::with_options(DecodeOptions {
        limits: DecodeLimits {
            max_header_len: 100,
            max_decoded_len: 1 << 20,
        },
        ..Default::default()
    })
    .unwrap();
    assert!(matches!(
        tight.decode(&valid),
        Err(HeaderError::TooLong { max: 100, .. })
    ));
    let mut small_output = ProfileDecoder::with_options(DecodeOptions {
        limits: DecodeLimits {
            max_header_len: 1 << 16,
            max_decoded_len: 200,
        },
        ..Default::default()
    })
    .unwrap();
    // Upstream frame: no content size, stopped at the buffer bound.
    assert!(matches!(
        small_output.decode(&valid),
        Err(HeaderError::DecodedTooLarge { declared: None, .. })
    ));
    // Our frame: declared size rejected up front.
    let ours = codec::encode(&codec::decode(&valid).unwrap()).unwrap();
    assert!(matches!(
        small_output.decode(&ours),
        Err(HeaderError::DecodedTooLarge {
            declared: Some(681),
            ..
        })
    ));
}

fn keys() -> HmacKeyring {
    HmacKeyring::new(2, [(1, "hmac-secret-v1"), (2, "hmac-secret-v2")]).unwrap()
}

#[test]
fn connection_string_table() {
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
    let vectors: Vec<Value> =
        serde_json::from_str(&common::read("connection_strings.json")).unwrap();
    let header = vectors[1]["connection_string_header_value"]
        .as_str()
        .unwrap();
    let plain = vectors[1]["decoded_plaintext"].as_str().unwrap();
    let verify_text =
        |t: &str| ParsedConnectionString::parse_text(t).and_then(|p| p.verify(&keys(), now));

    // Tampered: a role upgraded from read to write.
    let err = verify_text(&plain.replace("viewer:0", "viewer:1")).unwrap_err();
    assert_eq!(
        (err.clone(), err.code()),
        (ConnectionStringError::BadSignature, Some("MYC00032"))
    );
    // Signature byte flipped.
    let flipped = {
        let (head, sig) = plain.rsplit_once("sig=").unwrap();
        let first = if sig.starts_with('0') { '1' } else { '0' };
        format!("{head}sig={first}{}", &sig[1..])
    };
    assert_eq!(
        verify_text(&flipped).unwrap_err(),
        ConnectionStringError::BadSignature
    );
    // Unknown key version.
    let err = verify_text(&plain.replace("kvr=2", "kvr=9")).unwrap_err();
    assert_eq!(
        (err.clone(), err.code()),
        (
            ConnectionStringError::UnknownKeyVersion(9),
            Some("MYC00031")
        )
    );
    // Unsigned.
    let unsigned = plain.rsplit_once(";sig=").unwrap().0;
    assert_eq!(verify_text(unsigned).unwrap_err().code(), Some("MYC00030"));
    let no_kvr = plain.replace("kvr=2;", "");
    assert_eq!(
        verify_text(&no_kvr).unwrap_err(),
        ConnectionStringError::MissingSignature
    );
    // Expired signed edt (upstream never checks it).
    let expired = ConnectionString::new(
        uuid::Uuid::from_u128(1),
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .unwrap()
            .fixed_offset(),
    )
    .sign(&keys())
    .unwrap();
    assert!(matches!(
        ConnectionString::verify_header(&expired, &keys(), now),
        Err(ConnectionStringError::Expired(_))
    ));
    // The valid one passes.
    assert!(ConnectionString::verify_header(header, &keys(), now).is_ok());

    // Malformed shapes.
    for (text, want) in [
        ("aid=1;edt", "MalformedBean"),
        ("aid=a=b", "MalformedBean"),
        ("aid=x;;edt=y", "MalformedBean"),
        ("Aid=x", "MixedCaseKey"),
        ("aid=x;foo=y", "UnknownKey"),
        (
            "aid=aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa;aid=aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa",
            "DuplicateKey",
        ),
        ("edt=2030-01-01T00:00:00+00:00", "MissingBean"),
        ("aid=nope;edt=2030-01-01T00:00:00+00:00", "InvalidValue"),
        (
            "aid=aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa;edt=2030-01-01",
            "InvalidValue",
        ),
        (
            "aid=aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa;edt=2030-01-01T00:00:00+00:00;rls=a:7",
            "InvalidValue",
        ),
        (
            "aid=aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa;edt=2030-01-01T00:00:00+00:00;kvr=-1",
            "InvalidValue",
        ),
        (
            "aid=aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa;edt=2030-01-01T00:00:00+00:00;kvr=1;sig=zz",
            "InvalidValue",
        ),
    ] {
        let err = ParsedConnectionString::parse_text(text).unwrap_err();
        assert!(format!("{err:?}").starts_with(want), "{text}: {err:?}");
    }
    assert_eq!(
        ParsedConnectionString::parse("%%%").unwrap_err(),
        ConnectionStringError::Encoding
    );
    assert_eq!(
        ParsedConnectionString::parse(&STANDARD.encode([0xff, 0xfe])).unwrap_err(),
        ConnectionStringError::Encoding
    );
    assert!(matches!(
        ParsedConnectionString::parse(&"A".repeat(10_000)),
        Err(ConnectionStringError::TooLong(_))
    ));
}
