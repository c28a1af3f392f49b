//! XAES-256-GCM ([C2SP](https://c2sp.org/XAES-256-GCM)): AES-256-GCM with a 192-bit nonce.
//!
//! For each message a fresh AES-256-GCM key is derived from the key and the first 12 nonce
//! bytes with two AES blocks (a NIST SP 800-108 counter-mode KDF with CMAC), and the last 12
//! bytes are the GCM nonce. With random 192-bit nonces, a (key, nonce) pair never repeats in
//! practice: after 2^64 messages the collision probability is about 2^-65. The CMAC subkey is
//! computed once per key, so a message costs two AES blocks and a GCM key set-up more than plain
//! AES-256-GCM.

use aes::Aes256;
use aes::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};
use aes_gcm::{AeadInPlace, Aes256Gcm, Nonce, Tag};
use zeroize::{Zeroize, Zeroizing};

/// Nonce length.
pub const NONCE_LEN: usize = 24;
/// Tag length.
pub const TAG_LEN: usize = 16;

/// An XAES-256-GCM key with its precomputed AES schedule and CMAC subkey.
pub struct Xaes256Gcm {
    cipher: Aes256,
    k1: Zeroizing<[u8; 16]>,
}

impl Xaes256Gcm {
    /// Prepares `key`.
    pub fn new(key: &[u8; 32]) -> Self {
        let cipher = Aes256::new(GenericArray::from_slice(key));
        let mut l = GenericArray::default();
        cipher.encrypt_block(&mut l);
        let mut k1 = Zeroizing::new([0u8; 16]);
        let carry = l[0] >> 7;
        for i in 0..16 {
            let next = if i < 15 { l[i + 1] >> 7 } else { 0 };
            k1[i] = (l[i] << 1) | next;
        }
        // Constant time: multiply instead of branching on a key bit.
        k1[15] ^= 0x87 * carry;
        l.zeroize();
        Self { cipher, k1 }
    }

    fn message_cipher(&self, nonce: &[u8; NONCE_LEN]) -> Aes256Gcm {
        let mut key = Zeroizing::new([0u8; 32]);
        for (counter, half) in [(1u8, 0usize), (2, 16)] {
            let mut block = GenericArray::from([0u8; 16]);
            block[1] = counter;
            block[2] = b'X';
            block[4..].copy_from_slice(&nonce[..12]);
            for (b, k) in block.iter_mut().zip(self.k1.iter()) {
                *b ^= k;
            }
            self.cipher.encrypt_block(&mut block);
            key[half..half + 16].copy_from_slice(&block);
            block.zeroize();
        }
        Aes256Gcm::new(GenericArray::from_slice(key.as_ref()))
    }

    /// Encrypts `buf` in place and returns the tag. Fails only past GCM's 2^36-byte limit.
    pub fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN], aes_gcm::Error> {
        let tag = self.message_cipher(nonce).encrypt_in_place_detached(
            Nonce::from_slice(&nonce[12..]),
            aad,
            buf,
        )?;
        Ok(tag.into())
    }

    /// Decrypts `buf` in place if `tag` authenticates it; on failure `buf` is left unspecified.
    pub fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), aes_gcm::Error> {
        self.message_cipher(nonce).decrypt_in_place_detached(
            Nonce::from_slice(&nonce[12..]),
            aad,
            buf,
            Tag::from_slice(tag),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // C2SP XAES-256-GCM test vectors.
    #[test]
    fn c2sp_vectors() {
        for (key, aad, ct, tag) in [
            (
                [1u8; 32],
                &b""[..],
                "ce546ef63c9cc60765923609",
                "b33a9a1974e96e52daf2fcf7075e2271",
            ),
            (
                [3u8; 32],
                &b"c2sp.org/XAES-256-GCM"[..],
                "986ec1832593df5443a17943",
                "7fd083bf3fdb41abd740a21f71eb769d",
            ),
        ] {
            let x = Xaes256Gcm::new(&key);
            let nonce = *b"ABCDEFGHIJKLMNOPQRSTUVWX";
            let mut buf = b"XAES-256-GCM".to_vec();
            let t = x.seal_in_place(&nonce, aad, &mut buf).unwrap();
            assert_eq!(hex::encode(&buf), ct);
            assert_eq!(hex::encode(t), tag);
            x.open_in_place(&nonce, aad, &mut buf, &t).unwrap();
            assert_eq!(buf, b"XAES-256-GCM");
        }
    }
}
