//! Values sealed in the store with a key derived from the host's master key (XAES-256-GCM,
//! bound to what they belong to): `nonce ‖ ciphertext ‖ tag`.

use myc_crypto::xaes::{NONCE_LEN, TAG_LEN, Xaes256Gcm};
use zeroize::Zeroizing;

/// Why a value could not be sealed or opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// Not sealed with this key for this owner, or damaged.
    #[error("the sealed value cannot be opened with this master key")]
    Unopenable,
    /// Random bytes were not available.
    #[error("no randomness for a nonce")]
    Random,
}

/// Seals `plaintext` under `key`, bound to `owner`.
pub(crate) fn seal(key: &Xaes256Gcm, owner: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::getrandom(&mut nonce).map_err(|_| SealError::Random)?;
    let mut buf = Zeroizing::new(plaintext.to_vec());
    let tag = key
        .seal_in_place(&nonce, owner, &mut buf)
        .map_err(|_| SealError::Unopenable)?;
    let mut out = Vec::with_capacity(NONCE_LEN + buf.len() + TAG_LEN);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&buf);
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Opens what [`seal`] sealed under `key` for `owner`.
pub(crate) fn open(
    key: &Xaes256Gcm,
    owner: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err(SealError::Unopenable);
    }
    let (nonce, rest) = sealed.split_at(NONCE_LEN);
    let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Unopenable)?;
    let tag: [u8; TAG_LEN] = tag.try_into().map_err(|_| SealError::Unopenable)?;
    let mut buf = Zeroizing::new(body.to_vec());
    key.open_in_place(&nonce, owner, &mut buf, &tag)
        .map_err(|_| SealError::Unopenable)?;
    Ok(buf)
}
