//! Envelope behaviour under attack and over time: tampering, misbinding, key commitment,
//! rotation, concurrent DEK creation, and property round trips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Barrier};

use aes::Aes256;
use aes::cipher::{BlockEncrypt, generic_array::GenericArray};
use aes_gcm::{AeadInPlace, Aes256Gcm, KeyInit, Nonce, Tag};
use hmac::{Hmac, Mac};
use myc_crypto::{
    DekStore, Envelope, Error, JsonFileDekStore, Kek, KekRing, MasterKey, MemoryDekStore, format,
};
use proptest::prelude::*;
use sha2::Sha256;
use uuid::Uuid;

const T1: Uuid = Uuid::from_u128(0x1111);
const T2: Uuid = Uuid::from_u128(0x2222);

fn envelope() -> Envelope<MemoryDekStore> {
    Envelope::new(
        KekRing::derived(&MasterKey::generate().unwrap(), 1),
        MemoryDekStore::new(),
    )
}

#[test]
fn every_flip_truncation_and_extension_fails() {
    let env = envelope();
    let ct = env.seal(T1, "field", b"a secret worth protecting").unwrap();
    assert_eq!(ct.len(), format::OVERHEAD + 25);
    for i in 0..ct.len() {
        for bit in [0x01u8, 0x80] {
            let mut bad = ct.clone();
            bad[i] ^= bit;
            assert!(env.open(T1, "field", &bad).is_err(), "flip at {i}");
        }
    }
    for len in 0..ct.len() {
        assert!(
            env.open(T1, "field", &ct[..len]).is_err(),
            "truncated to {len}"
        );
    }
    for extra in [&[0u8][..], &[0, 0, 0, 0][..], &ct[..]] {
        let mut longer = ct.clone();
        longer.extend_from_slice(extra);
        assert!(env.open(T1, "field", &longer).is_err());
    }
    assert_eq!(
        &*env.open(T1, "field", &ct).unwrap(),
        b"a secret worth protecting"
    );
}

#[test]
fn wrong_scope_field_generation_or_kek_fails() {
    let master = MasterKey::generate().unwrap();
    let store = Arc::new(MemoryDekStore::new());
    let env = Envelope::new(KekRing::derived(&master, 1), store.clone());
    let ct = env.seal(T1, "totp_secret", b"JBSWY3DPEHPK3PXP").unwrap();
    env.seal(T2, "totp_secret", b"other tenant").unwrap();

    assert!(matches!(
        env.open(T2, "totp_secret", &ct),
        Err(Error::Decrypt)
    ));
    assert!(matches!(
        env.open(T1, "http_secret", &ct),
        Err(Error::Decrypt)
    ));
    assert!(matches!(env.open(T1, "", &ct), Err(Error::InvalidField)));

    // Relabel generation 1 as generation 2 once generation 2 exists.
    assert_eq!(env.rotate_dek(T1).unwrap(), 2);
    let mut relabelled = ct.clone();
    relabelled[1..5].copy_from_slice(&2u32.to_be_bytes());
    assert!(matches!(
        env.open(T1, "totp_secret", &relabelled),
        Err(Error::Decrypt)
    ));
    relabelled[1..5].copy_from_slice(&9u32.to_be_bytes());
    assert!(matches!(
        env.open(T1, "totp_secret", &relabelled),
        Err(Error::UnknownDek { generation: 9, .. })
    ));

    // Another master key over the same store cannot unwrap the DEKs.
    let intruder = Envelope::new(
        KekRing::derived(&MasterKey::generate().unwrap(), 1),
        store.clone(),
    );
    assert!(matches!(
        intruder.open(T1, "totp_secret", &ct),
        Err(Error::Decrypt)
    ));
    // A KEK version that is not configured is named.
    let v2_only = Envelope::new(KekRing::new(Kek::derive(&master, 2)), store);
    assert!(matches!(
        v2_only.open(T1, "totp_secret", &ct),
        Err(Error::UnknownKekVersion(1))
    ));
}

// ---- key commitment: a GCM ciphertext crafted to open under two keys ----------------------

/// GF(2^128) multiplication in GCM's bit order (NIST SP 800-38D, Algorithm 1).
fn gf_mul(x: u128, y: u128) -> u128 {
    let r = 0xE1u128 << 120;
    let (mut z, mut v) = (0u128, y);
    for i in 0..128 {
        if (x >> (127 - i)) & 1 == 1 {
            z ^= v;
        }
        v = if v & 1 == 1 { (v >> 1) ^ r } else { v >> 1 };
    }
    z
}

fn gf_pow(mut base: u128, mut exp: u128) -> u128 {
    let mut acc = 1u128 << 127; // the multiplicative identity in GCM's bit order
    while exp > 0 {
        if exp & 1 == 1 {
            acc = gf_mul(acc, base);
        }
        base = gf_mul(base, base);
        exp >>= 1;
    }
    acc
}

fn gf_inv(x: u128) -> u128 {
    gf_pow(x, u128::MAX - 1) // x^(2^128 - 2)
}

fn aes(key: &[u8; 32], block: [u8; 16]) -> u128 {
    let mut b = GenericArray::from(block);
    Aes256::new(GenericArray::from_slice(key)).encrypt_block(&mut b);
    u128::from_be_bytes(b.into())
}

/// The per-message AES-256-GCM key XAES-256-GCM derives (C2SP; checked by the vectors test).
fn xaes_message_key(key: &[u8; 32], nonce: &[u8; 24]) -> [u8; 32] {
    let l = aes(key, [0; 16]);
    let k1 = (l << 1) ^ if l >> 127 == 1 { 0x87 } else { 0 };
    let mut out = [0u8; 32];
    for (i, counter) in [1u8, 2].into_iter().enumerate() {
        let mut m = [0u8; 16];
        m[1] = counter;
        m[2] = b'X';
        m[4..].copy_from_slice(&nonce[..12]);
        let block = (u128::from_be_bytes(m) ^ k1).to_be_bytes();
        out[i * 16..i * 16 + 16].copy_from_slice(&aes(key, block).to_be_bytes());
    }
    out
}

fn blocks(data: &[u8]) -> Vec<u128> {
    data.chunks(16)
        .map(|c| {
            let mut b = [0u8; 16];
            b[..c.len()].copy_from_slice(c);
            u128::from_be_bytes(b)
        })
        .collect()
}

fn ghash(h: u128, aad: &[u8], ct: &[u8]) -> u128 {
    let mut y = 0u128;
    let len = ((aad.len() as u128 * 8) << 64) | (ct.len() as u128 * 8);
    for x in blocks(aad).into_iter().chain(blocks(ct)).chain([len]) {
        y = gf_mul(y ^ x, h);
    }
    y
}

fn commitment(key: &[u8; 32]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    mac.update(b"myc-crypto/v1/key-commitment");
    mac.finalize().into_bytes().into()
}

#[test]
fn a_ciphertext_opening_under_two_keys_is_rejected() {
    let (k1, k2) = ([0x11u8; 32], [0x22u8; 32]);
    // Build the ciphertext: header with k1's commitment, two body blocks, the first solved so
    // that the GCM tag verifies under both message keys.
    let nonce = [0x5au8; 24];
    let (x1, x2) = (xaes_message_key(&k1, &nonce), xaes_message_key(&k2, &nonce));
    let (h1, h2) = (aes(&x1, [0; 16]), aes(&x2, [0; 16]));
    let mut j0 = [0u8; 16];
    j0[..12].copy_from_slice(&nonce[12..]);
    j0[15] = 1;
    let (e1, e2) = (aes(&x1, j0), aes(&x2, j0));

    let mut header = vec![1u8];
    header.extend_from_slice(&1u32.to_be_bytes());
    header.extend_from_slice(&commitment(&k1));
    let mut aad = header.clone();
    aad.extend_from_slice(T1.as_bytes());
    aad.push(1);
    aad.extend_from_slice(b"f");

    // tag(C) = ghash_h(A, C) ^ e. With C = [c, 0], ghash is affine in c with coefficient h^3.
    let base1 = ghash(h1, &aad, &[0u8; 32]) ^ e1;
    let base2 = ghash(h2, &aad, &[0u8; 32]) ^ e2;
    let coeff = gf_pow(h1, 3) ^ gf_pow(h2, 3);
    let c = gf_mul(base1 ^ base2, gf_inv(coeff));
    let mut body = c.to_be_bytes().to_vec();
    body.extend_from_slice(&[0u8; 16]);
    let tag = (ghash(h1, &aad, &body) ^ e1).to_be_bytes();
    assert_eq!(
        tag,
        (ghash(h2, &aad, &body) ^ e2).to_be_bytes(),
        "collision construction"
    );

    // Plain AES-GCM accepts it under both message keys: the attack is real.
    for x in [&x1, &x2] {
        let mut buf = body.clone();
        Aes256Gcm::new(GenericArray::from_slice(x))
            .decrypt_in_place_detached(
                Nonce::from_slice(&nonce[12..]),
                &aad,
                &mut buf,
                Tag::from_slice(&tag),
            )
            .expect("GCM alone is not key-committing");
    }

    let mut ct = header;
    ct.extend_from_slice(&nonce);
    ct.extend_from_slice(&body);
    ct.extend_from_slice(&tag);
    let envelope_for = |dek: &[u8; 32]| {
        let kek = Kek::from_bytes(1, &[9; 32]);
        let store = MemoryDekStore::new();
        store
            .insert_if_absent(T1, 1, &kek.wrap(T1, 1, dek).unwrap())
            .unwrap();
        Envelope::new(KekRing::new(kek), store)
    };
    // The envelope opens it only under the key it commits to.
    assert!(envelope_for(&k1).open(T1, "f", &ct).is_ok());
    assert!(matches!(
        envelope_for(&k2).open(T1, "f", &ct),
        Err(Error::Decrypt)
    ));
}

#[test]
fn rotation_keeps_every_record_readable() {
    let master = MasterKey::generate().unwrap();
    let store = Arc::new(MemoryDekStore::new());
    let v1 = Envelope::new(KekRing::derived(&master, 1), store.clone());
    let mut records = Vec::new();
    for (i, scope) in [T1, T2, Uuid::nil()].into_iter().enumerate() {
        records.push((
            scope,
            v1.seal_text(scope, "secret", format!("gen1-{i}").as_bytes())
                .unwrap(),
        ));
    }
    assert_eq!(v1.rotate_dek(T1).unwrap(), 2);
    records.push((T1, v1.seal_text(T1, "secret", b"gen2").unwrap()));
    assert_eq!(
        format::ciphertext_generation(&format::from_text(&records[3].1).unwrap()).unwrap(),
        2
    );

    // KEK v1 -> v2: dry run reports without writing.
    let v2 = Envelope::new(KekRing::derived(&master, 2), store.clone());
    let dry = v2.rewrap_all(true).unwrap();
    assert_eq!(
        (
            dry.total,
            dry.rewrapped,
            dry.already_current,
            dry.by_version.get(&1).copied()
        ),
        (4, 4, 0, Some(4))
    );
    assert!(
        store
            .list()
            .unwrap()
            .iter()
            .all(|d| d.wrapped.kek_version() == 1)
    );
    let done = v2.rewrap_all(false).unwrap();
    assert_eq!((done.rewrapped, done.conflicts), (4, 0));
    assert!(
        store
            .list()
            .unwrap()
            .iter()
            .all(|d| d.wrapped.kek_version() == 2)
    );
    assert_eq!(v2.rewrap_all(false).unwrap().already_current, 4);

    // With only KEK v2 configured, everything still opens; with only v1, nothing does.
    let only_v2 = Envelope::new(KekRing::new(Kek::derive(&master, 2)), store.clone());
    for (scope, ct) in &records {
        assert!(only_v2.open_text(*scope, "secret", ct).is_ok());
    }
    let only_v1 = Envelope::new(KekRing::new(Kek::derive(&master, 1)), store.clone());
    assert!(matches!(
        only_v1.open_text(T1, "secret", &records[0].1),
        Err(Error::UnknownKekVersion(2))
    ));
    // Rewrap refuses up front if a stored version is unknown.
    assert!(matches!(
        only_v1.rewrap_all(false),
        Err(Error::UnknownKekVersion(2))
    ));

    // Re-encryption moves a generation-1 record to generation 2; a current one is left alone.
    let old = format::from_text(&records[0].1).unwrap();
    let moved = only_v2.reencrypt(T1, "secret", &old).unwrap().unwrap();
    assert_eq!(format::ciphertext_generation(&moved).unwrap(), 2);
    assert_eq!(&*only_v2.open(T1, "secret", &moved).unwrap(), b"gen1-0");
    assert!(only_v2.reencrypt(T1, "secret", &moved).unwrap().is_none());
}

fn concurrent_first_seal<S: DekStore + 'static>(
    make: impl Fn() -> S + Send + Sync + 'static,
    master: Arc<MasterKey>,
) {
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let make = Arc::new(make);
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let (barrier, make, master) = (barrier.clone(), make.clone(), master.clone());
            std::thread::spawn(move || {
                // Each thread is its own "process": its own envelope and caches.
                let env = Envelope::new(KekRing::derived(&master, 1), make());
                barrier.wait();
                env.seal(T1, "f", format!("writer {i}").as_bytes()).unwrap()
            })
        })
        .collect();
    let sealed: Vec<Vec<u8>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let reader = Envelope::new(KekRing::derived(&master, 1), make());
    let deks = reader.store().list().unwrap();
    assert_eq!(
        deks.iter().filter(|d| d.scope == T1).count(),
        1,
        "exactly one DEK"
    );
    for (i, ct) in sealed.iter().enumerate() {
        assert_eq!(
            &*reader.open(T1, "f", ct).unwrap(),
            format!("writer {i}").as_bytes()
        );
    }
}

#[test]
fn concurrent_lazy_creation_agrees_on_one_dek() {
    let master = Arc::new(MasterKey::generate().unwrap());
    let shared = Arc::new(MemoryDekStore::new());
    concurrent_first_seal(move || shared.clone(), master.clone());

    let dir = std::env::temp_dir().join(format!("myc-crypto-conc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keyring.json");
    let p = path.clone();
    concurrent_first_seal(move || JsonFileDekStore::new(p.clone()), master);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

proptest! {
    #[test]
    fn round_trips(plaintext in proptest::collection::vec(any::<u8>(), 0..2048), scope in any::<u128>(), field in "[a-z_]{1,40}") {
        let env = envelope();
        let scope = Uuid::from_u128(scope);
        let ct = env.seal(scope, &field, &plaintext).unwrap();
        prop_assert_eq!(&*env.open(scope, &field, &ct).unwrap(), &plaintext[..]);
        let text = env.seal_text(scope, &field, &plaintext).unwrap();
        prop_assert_eq!(&*env.open_text(scope, &field, &text).unwrap(), &plaintext[..]);
    }

    #[test]
    fn arbitrary_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300), text in "\\PC{0,200}") {
        let env = envelope();
        env.seal(T1, "f", b"x").unwrap();
        let _ = env.open(T1, "f", &bytes);
        let mut framed = vec![1u8, 0, 0, 0, 1];
        framed.extend_from_slice(&bytes);
        let _ = env.open(T1, "f", &framed);
        let _ = env.open_text(T1, "f", &text);
        let _ = myc_crypto::WrappedDek::from_text(&text);
        let _ = MasterKey::from_text(&text);
    }
}
