//! Known-answer tests: Wycheproof AES-GCM and HKDF-SHA256, RFC 5869, C2SP XAES-256-GCM, and the
//! upstream Mycelium envelope vector.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::{AeadInPlace, Aes256Gcm, KeyInit, Nonce, Tag};
use hkdf::Hkdf;
use myc_crypto::upstream::UpstreamKek;
use myc_crypto::xaes::Xaes256Gcm;
use myc_crypto::{Envelope, KekRing, MasterKey, MemoryDekStore};
use sha2::Sha256;
use uuid::Uuid;

/// AES-256-GCM with a 96-bit nonce and a 128-bit tag, detached, in place: exactly how
/// `xaes` and `upstream` call it. Other key, nonce and tag sizes are never used by this crate.
#[test]
fn wycheproof_aes_gcm_as_we_use_it() {
    let set = wycheproof::aead::TestSet::load(wycheproof::aead::TestName::AesGcm).unwrap();
    let (mut ran, mut must_fail) = (0, 0);
    for group in set.test_groups {
        if group.key_size != 256 || group.nonce_size != 96 || group.tag_size != 128 {
            continue;
        }
        for t in group.tests {
            let cipher = Aes256Gcm::new(GenericArray::from_slice(&t.key));
            let nonce = Nonce::from_slice(&t.nonce);
            let mut buf = t.pt.to_vec();
            let tag = cipher
                .encrypt_in_place_detached(nonce, &t.aad, &mut buf)
                .unwrap();
            let mut back = t.ct.to_vec();
            let opened =
                cipher.decrypt_in_place_detached(nonce, &t.aad, &mut back, Tag::from_slice(&t.tag));
            if t.result.must_fail() {
                must_fail += 1;
                assert!(opened.is_err(), "tc {} ({}) must fail", t.tc_id, t.comment);
            } else {
                assert_eq!(buf, &t.ct[..], "tc {}", t.tc_id);
                assert_eq!(&tag[..], &t.tag[..], "tc {}", t.tc_id);
                assert!(opened.is_ok(), "tc {}", t.tc_id);
                assert_eq!(back, &t.pt[..], "tc {}", t.tc_id);
            }
            ran += 1;
        }
    }
    assert!(
        ran >= 60 && must_fail >= 10,
        "ran {ran}, must_fail {must_fail}"
    );
}

/// HKDF-SHA256 called as `MasterKey` calls it: extract with a salt, expand into a buffer.
#[test]
fn wycheproof_hkdf_sha256() {
    let set = wycheproof::hkdf::TestSet::load(wycheproof::hkdf::TestName::HkdfSha256).unwrap();
    let mut ran = 0;
    for group in set.test_groups {
        for t in group.tests {
            let hk = Hkdf::<Sha256>::new(Some(&t.salt), &t.ikm);
            let mut okm = vec![0u8; t.size];
            let result = hk.expand(&t.info, &mut okm);
            if t.result.must_fail() {
                assert!(result.is_err(), "tc {} must fail", t.tc_id);
            } else {
                result.unwrap();
                assert_eq!(okm, &t.okm[..], "tc {}", t.tc_id);
            }
            ran += 1;
        }
    }
    assert!(ran >= 80, "ran {ran}");
}

/// (IKM, salt, info, expected OKM hex).
type HkdfCase<'a> = (&'a [u8], Vec<u8>, Vec<u8>, &'a str);

#[test]
fn rfc5869_appendix_a() {
    let cases: [HkdfCase<'_>; 3] = [
        (
            &[0x0b; 22],
            (0x00..=0x0c).collect(),
            (0xf0..=0xf9).collect(),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
        ),
        (
            &(0x00..=0x4f).collect::<Vec<u8>>(),
            (0x60..=0xaf).collect(),
            (0xb0..=0xff).collect(),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87",
        ),
        (
            &[0x0b; 22],
            vec![],
            vec![],
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
        ),
    ];
    for (ikm, salt, info, okm) in cases {
        let hk = Hkdf::<Sha256>::new(Some(&salt), ikm);
        let mut out = vec![0u8; okm.len() / 2];
        hk.expand(&info, &mut out).unwrap();
        assert_eq!(hex::encode(out), okm);
    }
    // A.1's PRK, from the extract step alone.
    let (prk, _) = Hkdf::<Sha256>::extract(Some(&(0x00..=0x0c).collect::<Vec<u8>>()), &[0x0b; 22]);
    assert_eq!(
        hex::encode(prk),
        "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"
    );
}

#[test]
fn c2sp_xaes_256_gcm() {
    for (key, aad, ct_tag) in [
        (
            [1u8; 32],
            &b""[..],
            "ce546ef63c9cc60765923609b33a9a1974e96e52daf2fcf7075e2271",
        ),
        (
            [3u8; 32],
            &b"c2sp.org/XAES-256-GCM"[..],
            "986ec1832593df5443a179437fd083bf3fdb41abd740a21f71eb769d",
        ),
    ] {
        let x = Xaes256Gcm::new(&key);
        let nonce = *b"ABCDEFGHIJKLMNOPQRSTUVWX";
        let mut buf = b"XAES-256-GCM".to_vec();
        let tag = x.seal_in_place(&nonce, aad, &mut buf).unwrap();
        assert_eq!(format!("{}{}", hex::encode(&buf), hex::encode(tag)), ct_tag);
        let mut bad = tag;
        bad[0] ^= 1;
        assert!(
            x.open_in_place(&nonce, aad, &mut buf.clone(), &bad)
                .is_err()
        );
        x.open_in_place(&nonce, aad, &mut buf, &tag).unwrap();
        assert_eq!(buf, b"XAES-256-GCM");
    }
}

fn shared_vector() -> serde_json::Value {
    let path = myc_testkit::shared_dir().join("vectors/mycelium/envelope_encryption.json");
    serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

#[test]
fn upstream_vector_opens_and_migrates() {
    let v = shared_vector();
    let tenant: Uuid = v["tenant_id"].as_str().unwrap().parse().unwrap();
    let kek = UpstreamKek::from_token_secret(v["token_secret_uuid"].as_str().unwrap()).unwrap();
    let wrapped = v["wrapped_dek (aad = tenant uuid 16 bytes)"]
        .as_str()
        .unwrap();
    let ciphertext = v["ciphertext"].as_str().unwrap();
    let plaintext = v["plaintext"].as_str().unwrap();

    let dek = kek.unwrap_dek(wrapped, tenant).unwrap();
    assert_eq!(
        &*dek.open(tenant, "totp_secret", ciphertext).unwrap(),
        plaintext.as_bytes()
    );
    // Wrong tenant or field tag: refused, as upstream refuses.
    let other = Uuid::from_u128(1);
    assert!(kek.unwrap_dek(wrapped, other).is_err());
    assert!(dek.open(other, "totp_secret", ciphertext).is_err());
    assert!(dek.open(tenant, "http_secret", ciphertext).is_err());
    assert!(UpstreamKek::from_token_secret("not-a-uuid").is_err());
    assert!(
        UpstreamKek::from_token_secret("00000000-0000-4000-8000-000000000000")
            .unwrap()
            .unwrap_dek(wrapped, tenant)
            .is_err()
    );

    // Migration into our format, bound to the same tenant and field.
    let envelope = Envelope::new(
        KekRing::derived(&MasterKey::generate().unwrap(), 1),
        MemoryDekStore::new(),
    );
    let ours = envelope
        .migrate_upstream(&kek, Some(wrapped), tenant, "totp_secret", ciphertext)
        .unwrap();
    assert!(ours.starts_with("myc1:"));
    assert_eq!(
        &*envelope.open_text(tenant, "totp_secret", &ours).unwrap(),
        plaintext.as_bytes()
    );
    assert!(envelope.open_text(tenant, "http_secret", &ours).is_err());
}

#[test]
fn upstream_legacy_v1_opens() {
    // v1: no prefix, encrypted directly under the KEK with empty AAD (built here with the KEK
    // the vector documents, since upstream's v1 values are random-nonce and decrypt-only).
    let v = shared_vector();
    let kek_bytes: [u8; 32] =
        hex::decode(v["kek_hex (= sha256(16 raw uuid bytes))"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
    let cipher = Aes256Gcm::new(GenericArray::from_slice(&kek_bytes));
    let nonce = [7u8; 12];
    let mut buf = b"legacy-secret".to_vec();
    let tag = cipher
        .encrypt_in_place_detached(Nonce::from_slice(&nonce), b"", &mut buf)
        .unwrap();
    let mut raw = nonce.to_vec();
    raw.extend_from_slice(&buf);
    raw.extend_from_slice(&tag);
    use base64::Engine as _;
    let v1 = base64::engine::general_purpose::STANDARD.encode(raw);
    let kek = UpstreamKek::from_token_secret(v["token_secret_uuid"].as_str().unwrap()).unwrap();
    assert_eq!(&*kek.open_v1(&v1).unwrap(), b"legacy-secret");
    assert_eq!(
        &*kek.open_any(None, Uuid::nil(), "http_secret", &v1).unwrap(),
        b"legacy-secret"
    );
}
