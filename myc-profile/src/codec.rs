//! The `x-mycelium-profile` header codec: compact JSON → zstd → standard padded base64.
//!
//! # Encoding
//! [`ProfileEncoder`] serializes the profile to compact JSON (struct keys in upstream order,
//! `meta` keys sorted), compresses it in a single shot with a reused zstd context (level 3 by
//! default, with upstream's minimum match length) and base64-encodes it. Single-shot compression writes the **frame content size**
//! (frame header descriptor `0x60`), which the Python SDK needs and upstream's streaming encoder
//! omits; upstream Rust decoders read both.
//!
//! # Decoding
//! [`ProfileDecoder`] accepts:
//! - standard base64 of a zstd frame, with or without a content size;
//! - legacy raw JSON (the value starts with `{`; gateways before 8.1.1), unless disabled;
//! - base64 of uncompressed JSON, only when [`DecodeOptions::accept_uncompressed_base64`] is set.
//!
//! Its work is bounded by [`DecodeLimits`]: a header longer than
//! [`DecodeLimits::max_header_len`] (default 64 KiB) is rejected before it is decoded, and the
//! decompressed JSON may not exceed [`DecodeLimits::max_decoded_len`] (default 256 KiB, about
//! 1,000 licences). A frame that declares a larger content size is rejected before anything is
//! allocated; a frame without one is decompressed into a buffer of at most the limit, so a zstd
//! bomb costs at most that much memory.
//!
//! Both codecs keep their zstd contexts and buffers between calls. The free functions
//! [`encode`] and [`decode`] use one per thread with default options.
//!
//! ```
//! use myc_profile::{codec, Profile};
//! let profile = Profile::new(uuid::Uuid::from_u128(7));
//! let header = codec::encode(&profile).unwrap();
//! assert_eq!(codec::decode(&header).unwrap(), profile);
//! // A zstd frame with content size (header descriptor 0x60), as the Python SDK requires.
//! use base64::Engine as _;
//! let frame = base64::engine::general_purpose::STANDARD.decode(&header).unwrap();
//! assert_eq!(&frame[..5], &[0x28, 0xB5, 0x2F, 0xFD, 0x60]);
//! ```

use std::cell::RefCell;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zstd::bulk::{Compressor, Decompressor};
use zstd::zstd_safe;

use crate::Profile;

/// zstd frame magic number.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// Default maximum header length accepted by the decoder (64 KiB).
pub const DEFAULT_MAX_HEADER_LEN: usize = 64 * 1024;
/// Default maximum decompressed JSON size (256 KiB).
pub const DEFAULT_MAX_DECODED_LEN: usize = 256 * 1024;
/// Default zstd level (upstream's).
pub const DEFAULT_LEVEL: i32 = 3;

/// Why a header could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The value is empty (or only whitespace).
    #[error("profile header is empty")]
    Empty,
    /// The value is longer than the configured limit.
    #[error("profile header is {len} bytes, over the {max}-byte limit")]
    TooLong {
        /// Length received.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// The value is not standard padded base64.
    #[error("profile header is not valid base64: {0}")]
    Base64(String),
    /// The decoded bytes are not a zstd frame (nor accepted legacy JSON).
    #[error("profile header is not a zstd frame")]
    NotZstd,
    /// Decompressed data would exceed the configured limit.
    #[error("decompressed profile exceeds the {limit}-byte size limit{}", declared.map(|d| format!(" (frame declares {d} bytes)")).unwrap_or_default())]
    DecodedTooLarge {
        /// Limit.
        limit: usize,
        /// Content size the frame declared, if any.
        declared: Option<u64>,
    },
    /// The zstd frame is corrupt or truncated.
    #[error("profile header has invalid zstd data: {0}")]
    Zstd(String),
    /// The JSON does not describe a profile.
    #[error("profile JSON is invalid at `{path}`: {message}")]
    Json {
        /// Where (e.g. `licensedResources.records[0].perm`).
        path: String,
        /// What.
        message: String,
    },
    /// Serialization, compression or context set-up failed while encoding.
    #[error("cannot encode profile: {0}")]
    Encode(String),
}

/// Bounds on the decoder's work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Longest header value accepted, in bytes (before trimming).
    pub max_header_len: usize,
    /// Largest decompressed JSON accepted, in bytes.
    pub max_decoded_len: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_header_len: DEFAULT_MAX_HEADER_LEN,
            max_decoded_len: DEFAULT_MAX_DECODED_LEN,
        }
    }
}

/// Decoder options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Size limits.
    pub limits: DecodeLimits,
    /// Accept a raw JSON header (gateways before 8.1.1). Default: true.
    pub accept_raw_json: bool,
    /// Accept base64 of uncompressed JSON (the SDKs' lenient mode). Default: false.
    pub accept_uncompressed_base64: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            limits: DecodeLimits::default(),
            accept_raw_json: true,
            accept_uncompressed_base64: false,
        }
    }
}

/// What the encoder does with `meta` keys upstream Rust cannot read back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MetaPolicy {
    /// Write every key (upstream's behaviour; our decoders and the SDKs read them all).
    #[default]
    Keep,
    /// Drop `whatsapp_user` and `custom:*` keys, which make upstream 9.x Rust decoders fail
    /// (they answer 401). Use when downstream services run upstream's Rust extractor.
    DropUpstreamUnreadable,
}

/// Encoder options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodeOptions {
    /// zstd level (1–22). Default 3.
    pub level: i32,
    /// Append a content checksum to the frame (descriptor `0x64`, 4 more bytes). Default false.
    pub checksum: bool,
    /// `meta` key policy.
    pub meta: MetaPolicy,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        Self {
            level: DEFAULT_LEVEL,
            checksum: false,
            meta: MetaPolicy::Keep,
        }
    }
}

fn encode_err(e: impl std::fmt::Display) -> HeaderError {
    HeaderError::Encode(e.to_string())
}

/// Encodes profiles into header values, reusing its zstd context and buffers.
pub struct ProfileEncoder {
    compressor: Compressor<'static>,
    json: Vec<u8>,
    frame: Vec<u8>,
    options: EncodeOptions,
}

impl std::fmt::Debug for ProfileEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileEncoder")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl ProfileEncoder {
    /// An encoder with default options.
    pub fn new() -> Result<Self, HeaderError> {
        Self::with_options(EncodeOptions::default())
    }

    /// An encoder with `options`.
    pub fn with_options(options: EncodeOptions) -> Result<Self, HeaderError> {
        let mut compressor = Compressor::new(options.level).map_err(encode_err)?;
        compressor
            .set_parameter(zstd_safe::CParameter::ChecksumFlag(options.checksum))
            .map_err(encode_err)?;
        compressor
            .set_parameter(zstd_safe::CParameter::ContentSizeFlag(true))
            .map_err(encode_err)?;
        if options.level == DEFAULT_LEVEL {
            // With a known source size zstd picks its small-input level-3 table (min match 4),
            // which compresses profile JSON a few bytes worse than upstream's streaming encoder.
            // Min match 5 (level 3's unknown-size value) keeps our headers within 8 bytes of
            // upstream's on every vector despite the added content-size field.
            compressor
                .set_parameter(zstd_safe::CParameter::MinMatch(5))
                .map_err(encode_err)?;
        }
        Ok(Self {
            compressor,
            json: Vec::with_capacity(1024),
            frame: Vec::with_capacity(1024),
            options,
        })
    }

    /// Encodes `profile` into a new header value.
    pub fn encode(&mut self, profile: &Profile) -> Result<String, HeaderError> {
        let mut out = String::new();
        self.encode_into(profile, &mut out)?;
        Ok(out)
    }

    /// Encodes `profile` into `out` (cleared first), reusing its allocation.
    pub fn encode_into(&mut self, profile: &Profile, out: &mut String) -> Result<(), HeaderError> {
        self.json.clear();
        let drop_keys = self.options.meta == MetaPolicy::DropUpstreamUnreadable
            && profile
                .meta
                .as_ref()
                .is_some_and(|m| m.keys().any(|k| k.unreadable_by_upstream_rust()));
        if drop_keys {
            let mut trimmed = profile.clone();
            if let Some(meta) = &mut trimmed.meta {
                meta.retain(|k, _| !k.unreadable_by_upstream_rust());
                if meta.is_empty() {
                    trimmed.meta = None;
                }
            }
            serde_json::to_writer(&mut self.json, &trimmed).map_err(encode_err)?;
        } else {
            serde_json::to_writer(&mut self.json, profile).map_err(encode_err)?;
        }
        self.frame.clear();
        self.frame
            .reserve(zstd_safe::compress_bound(self.json.len()));
        self.compressor
            .compress_to_buffer(&self.json[..], &mut self.frame)
            .map_err(encode_err)?;
        out.clear();
        STANDARD.encode_string(&self.frame, out);
        Ok(())
    }
}

/// Decodes header values into profiles, reusing its zstd context and buffers.
pub struct ProfileDecoder {
    decompressor: Decompressor<'static>,
    raw: Vec<u8>,
    json: Vec<u8>,
    options: DecodeOptions,
}

impl std::fmt::Debug for ProfileDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileDecoder")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl ProfileDecoder {
    /// A decoder with default options.
    pub fn new() -> Result<Self, HeaderError> {
        Self::with_options(DecodeOptions::default())
    }

    /// A decoder with `options`.
    pub fn with_options(options: DecodeOptions) -> Result<Self, HeaderError> {
        let decompressor = Decompressor::new().map_err(encode_err)?;
        Ok(Self {
            decompressor,
            raw: Vec::new(),
            json: Vec::new(),
            options,
        })
    }

    /// The options in force.
    pub fn options(&self) -> &DecodeOptions {
        &self.options
    }

    /// Decodes a header value into a profile.
    pub fn decode(&mut self, value: &str) -> Result<Profile, HeaderError> {
        let json = self.decode_to_json(value)?;
        parse_profile(json)
    }

    /// Decodes a header value to its JSON bytes without parsing them.
    pub fn decode_to_json(&mut self, value: &str) -> Result<&[u8], HeaderError> {
        let limits = self.options.limits;
        if value.len() > limits.max_header_len {
            return Err(HeaderError::TooLong {
                len: value.len(),
                max: limits.max_header_len,
            });
        }
        let value = value.trim();
        if value.is_empty() {
            return Err(HeaderError::Empty);
        }
        self.json.clear();
        if value.starts_with('{') {
            if !self.options.accept_raw_json {
                return Err(HeaderError::NotZstd);
            }
            if value.len() > limits.max_decoded_len {
                return Err(HeaderError::DecodedTooLarge {
                    limit: limits.max_decoded_len,
                    declared: None,
                });
            }
            self.json.extend_from_slice(value.as_bytes());
            return Ok(&self.json);
        }
        self.raw.clear();
        STANDARD
            .decode_vec(value.as_bytes(), &mut self.raw)
            .map_err(|e| HeaderError::Base64(e.to_string()))?;

        if !self.raw.starts_with(&ZSTD_MAGIC) {
            if self.options.accept_uncompressed_base64 && self.raw.first() == Some(&b'{') {
                if self.raw.len() > limits.max_decoded_len {
                    return Err(HeaderError::DecodedTooLarge {
                        limit: limits.max_decoded_len,
                        declared: None,
                    });
                }
                std::mem::swap(&mut self.raw, &mut self.json);
                return Ok(&self.json);
            }
            return Err(HeaderError::NotZstd);
        }

        let declared = zstd_safe::get_frame_content_size(&self.raw).ok().flatten();
        let capacity = match declared {
            Some(size) if size > limits.max_decoded_len as u64 => {
                return Err(HeaderError::DecodedTooLarge {
                    limit: limits.max_decoded_len,
                    declared,
                });
            }
            // The frame's declared size bounds the output of the first frame; further
            // (concatenated) frames are still bounded by the buffer, whose capacity never
            // exceeds the limit.
            Some(size) => usize::try_from(size).unwrap_or(limits.max_decoded_len),
            None => limits.max_decoded_len,
        };
        if self.json.capacity() > limits.max_decoded_len {
            self.json = Vec::new();
        }
        self.json.reserve_exact(capacity);
        match self
            .decompressor
            .decompress_to_buffer(&self.raw[..], &mut self.json)
        {
            Ok(_) if self.json.len() <= limits.max_decoded_len => Ok(&self.json),
            Ok(_) => Err(HeaderError::DecodedTooLarge {
                limit: limits.max_decoded_len,
                declared,
            }),
            Err(e) if e.to_string().contains("too small") => Err(HeaderError::DecodedTooLarge {
                limit: limits.max_decoded_len,
                declared,
            }),
            Err(e) => Err(HeaderError::Zstd(e.to_string())),
        }
    }
}

/// Parses profile JSON; on failure, parses again with path tracking to name the field.
pub fn parse_profile(json: &[u8]) -> Result<Profile, HeaderError> {
    match serde_json::from_slice::<Profile>(json) {
        Ok(profile) => Ok(profile),
        Err(first) => {
            let mut de = serde_json::Deserializer::from_slice(json);
            let path = match serde_path_to_error::deserialize::<_, Profile>(&mut de) {
                Err(e) => (e.path().to_string(), e.into_inner().to_string()),
                Ok(_) => (".".to_owned(), first.to_string()),
            };
            Err(HeaderError::Json {
                path: path.0,
                message: path.1,
            })
        }
    }
}

thread_local! {
    static ENCODER: RefCell<Option<ProfileEncoder>> = const { RefCell::new(None) };
    static DECODER: RefCell<Option<ProfileDecoder>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's cached codec, creating it on first use (or a fresh one if the
/// cached one is somehow in use).
fn with_cached<C, T>(
    key: &'static std::thread::LocalKey<RefCell<Option<C>>>,
    make: fn() -> Result<C, HeaderError>,
    f: impl FnOnce(&mut C) -> Result<T, HeaderError>,
) -> Result<T, HeaderError> {
    key.with(|slot| match slot.try_borrow_mut() {
        Ok(mut slot) => match slot.as_mut() {
            Some(codec) => f(codec),
            None => f(slot.insert(make()?)),
        },
        Err(_) => f(&mut make()?),
    })
}

/// Encodes `profile` with default options, using this thread's reusable encoder.
pub fn encode(profile: &Profile) -> Result<String, HeaderError> {
    with_cached(&ENCODER, ProfileEncoder::new, |encoder| {
        encoder.encode(profile)
    })
}

/// Decodes `value` with default options, using this thread's reusable decoder.
pub fn decode(value: &str) -> Result<Profile, HeaderError> {
    with_cached(&DECODER, ProfileDecoder::new, |decoder| {
        decoder.decode(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream_style(json: &[u8]) -> String {
        // What upstream does: a streaming encoder, no content size.
        STANDARD.encode(zstd::stream::encode_all(json, 3).unwrap())
    }

    #[test]
    fn frames_without_content_size_decode() {
        let profile = Profile::new(uuid::Uuid::from_u128(1));
        let header = upstream_style(profile.to_json().unwrap().as_bytes());
        let frame = STANDARD.decode(&header).unwrap();
        assert_eq!(frame[4], 0x00, "upstream frame header descriptor");
        assert_eq!(decode(&header).unwrap(), profile);
    }

    #[test]
    fn checksum_option_sets_descriptor() {
        let mut enc = ProfileEncoder::with_options(EncodeOptions {
            checksum: true,
            ..Default::default()
        })
        .unwrap();
        let header = enc.encode(&Profile::new(uuid::Uuid::nil())).unwrap();
        assert_eq!(STANDARD.decode(&header).unwrap()[4], 0x64);
    }

    #[test]
    fn decoded_limit_applies_to_frames_without_content_size() {
        let zeros = vec![b' '; 300 * 1024];
        let header = upstream_style(&zeros);
        assert!(matches!(
            decode(&header),
            Err(HeaderError::DecodedTooLarge { declared: None, .. })
        ));
    }

    #[test]
    fn legacy_and_lenient_forms() {
        let profile = Profile::new(uuid::Uuid::from_u128(9));
        let json = profile.to_json().unwrap();
        assert_eq!(decode(&format!("  {json}\n")).unwrap(), profile);
        let b64 = STANDARD.encode(json.as_bytes());
        assert_eq!(decode(&b64), Err(HeaderError::NotZstd));
        let mut lenient = ProfileDecoder::with_options(DecodeOptions {
            accept_uncompressed_base64: true,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(lenient.decode(&b64).unwrap(), profile);
        let mut strict = ProfileDecoder::with_options(DecodeOptions {
            accept_raw_json: false,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(strict.decode(&json), Err(HeaderError::NotZstd));
    }

    #[test]
    fn json_errors_name_the_field() {
        let mut v: serde_json::Value =
            serde_json::from_str(&Profile::new(uuid::Uuid::nil()).to_json().unwrap()).unwrap();
        v["isStaff"] = serde_json::json!("yes");
        let header = encode_json(&v);
        match decode(&header) {
            Err(HeaderError::Json { path, .. }) => assert_eq!(path, "isStaff"),
            other => panic!("{other:?}"),
        }
    }

    fn encode_json(v: &serde_json::Value) -> String {
        STANDARD.encode(zstd::bulk::compress(v.to_string().as_bytes(), 3).unwrap())
    }

    #[test]
    fn drop_upstream_unreadable_meta() {
        use crate::AccountMetaKey;
        let mut p = Profile::new(uuid::Uuid::nil());
        p.meta = Some(
            [
                (AccountMetaKey::WhatsAppUser, "1".to_owned()),
                (AccountMetaKey::Locale, "pt".to_owned()),
            ]
            .into_iter()
            .collect(),
        );
        let mut enc = ProfileEncoder::with_options(EncodeOptions {
            meta: MetaPolicy::DropUpstreamUnreadable,
            ..Default::default()
        })
        .unwrap();
        let back = decode(&enc.encode(&p).unwrap()).unwrap();
        assert_eq!(
            back.meta.unwrap().keys().collect::<Vec<_>>(),
            vec![&AccountMetaKey::Locale]
        );
    }
}
