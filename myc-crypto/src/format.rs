//! Ciphertext and wrapped-DEK layouts. See the [crate docs](crate#formats) for the table.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use uuid::Uuid;

use crate::xaes::{NONCE_LEN, TAG_LEN};
use crate::{Error, Result};

/// Format version byte of data ciphertexts.
pub const CIPHERTEXT_VERSION: u8 = 0x01;
/// Text form prefix of data ciphertexts (`myc1:` + standard base64).
pub const TEXT_PREFIX: &str = "myc1:";
/// Bytes before the encrypted body: version, generation, commitment, nonce.
pub const HEADER_LEN: usize = 1 + 4 + 32 + NONCE_LEN;
/// Total bytes a ciphertext adds to its plaintext.
pub const OVERHEAD: usize = HEADER_LEN + TAG_LEN;
/// The header prefix covered by the AAD (the nonce is bound through the key derivation).
pub(crate) const BOUND_HEADER_LEN: usize = 1 + 4 + 32;

/// Format version byte of wrapped DEKs.
pub const WRAP_VERSION: u8 = 0x01;
/// Wrapped DEK length: version, KEK version, 12-byte nonce, encrypted 32-byte DEK, tag.
pub const WRAPPED_LEN: usize = 1 + 4 + 12 + 32 + TAG_LEN;
/// Text form prefix of wrapped DEKs.
pub const WRAPPED_TEXT_PREFIX: &str = "mycw1:";

const WRAP_AAD_LABEL: &[u8] = b"myc-crypto/v1/dek-wrap";

/// Longest field name (it is length-prefixed with one byte in the AAD).
pub const MAX_FIELD_LEN: usize = 255;

fn malformed(what: &'static str, reason: &'static str) -> Error {
    Error::Malformed { what, reason }
}

/// A parsed data ciphertext, borrowing the input.
pub(crate) struct Parsed<'a> {
    pub(crate) generation: u32,
    pub(crate) commitment: &'a [u8; 32],
    pub(crate) nonce: &'a [u8; NONCE_LEN],
    pub(crate) bound_header: &'a [u8],
    pub(crate) body: &'a [u8],
    pub(crate) tag: &'a [u8; TAG_LEN],
}

pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed<'_>> {
    if bytes.len() < OVERHEAD {
        return Err(malformed("ciphertext", "too short"));
    }
    if bytes[0] != CIPHERTEXT_VERSION {
        return Err(malformed("ciphertext", "unknown format version"));
    }
    let (header, rest) = bytes.split_at(HEADER_LEN);
    let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
    let fixed = |r: std::ops::Range<usize>| &header[r];
    Ok(Parsed {
        generation: u32::from_be_bytes(
            fixed(1..5)
                .try_into()
                .map_err(|_| malformed("ciphertext", "header"))?,
        ),
        commitment: fixed(5..37)
            .try_into()
            .map_err(|_| malformed("ciphertext", "header"))?,
        nonce: fixed(37..HEADER_LEN)
            .try_into()
            .map_err(|_| malformed("ciphertext", "header"))?,
        bound_header: &header[..BOUND_HEADER_LEN],
        body,
        tag: tag.try_into().map_err(|_| malformed("ciphertext", "tag"))?,
    })
}

/// The DEK generation a ciphertext was sealed with (for planning re-encryption).
pub fn ciphertext_generation(ciphertext: &[u8]) -> Result<u32> {
    Ok(parse(ciphertext)?.generation)
}

/// The largest data AAD: bound header ‖ scope ‖ length byte ‖ field.
const MAX_DATA_AAD: usize = BOUND_HEADER_LEN + 16 + 1 + MAX_FIELD_LEN;

/// A data AAD on the stack (no allocation per message).
pub(crate) struct DataAad {
    buf: [u8; MAX_DATA_AAD],
    len: usize,
}

impl DataAad {
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// The AAD of a data ciphertext: bound header ‖ scope (16 bytes) ‖ len(field) (1 byte) ‖ field.
pub(crate) fn data_aad(bound_header: &[u8], scope: Uuid, field: &str) -> Result<DataAad> {
    if field.is_empty() || field.len() > MAX_FIELD_LEN || bound_header.len() != BOUND_HEADER_LEN {
        return Err(Error::InvalidField);
    }
    let mut aad = DataAad {
        buf: [0u8; MAX_DATA_AAD],
        len: BOUND_HEADER_LEN + 17 + field.len(),
    };
    aad.buf[..BOUND_HEADER_LEN].copy_from_slice(bound_header);
    aad.buf[BOUND_HEADER_LEN..BOUND_HEADER_LEN + 16].copy_from_slice(scope.as_bytes());
    aad.buf[BOUND_HEADER_LEN + 16] = field.len() as u8;
    aad.buf[BOUND_HEADER_LEN + 17..aad.len].copy_from_slice(field.as_bytes());
    Ok(aad)
}

/// The AAD of a wrapped DEK: label ‖ scope ‖ generation ‖ version byte ‖ KEK version.
pub(crate) fn wrap_aad(
    scope: Uuid,
    generation: u32,
    kek_version: u32,
) -> [u8; 22 + 16 + 4 + 1 + 4] {
    let mut aad = [0u8; 22 + 16 + 4 + 1 + 4];
    aad[..22].copy_from_slice(WRAP_AAD_LABEL);
    aad[22..38].copy_from_slice(scope.as_bytes());
    aad[38..42].copy_from_slice(&generation.to_be_bytes());
    aad[42] = WRAP_VERSION;
    aad[43..].copy_from_slice(&kek_version.to_be_bytes());
    aad
}

/// Text form of a data ciphertext: `myc1:` + standard base64.
pub fn to_text(ciphertext: &[u8]) -> String {
    let mut out = String::with_capacity(TEXT_PREFIX.len() + ciphertext.len().div_ceil(3) * 4);
    out.push_str(TEXT_PREFIX);
    STANDARD.encode_string(ciphertext, &mut out);
    out
}

/// Parses the text form back to bytes.
pub fn from_text(text: &str) -> Result<Vec<u8>> {
    let body = text
        .trim()
        .strip_prefix(TEXT_PREFIX)
        .ok_or(malformed("ciphertext", "missing myc1: prefix"))?;
    STANDARD
        .decode(body)
        .map_err(|_| malformed("ciphertext", "invalid base64"))
}
