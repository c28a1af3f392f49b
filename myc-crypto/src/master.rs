//! [`MasterKey`] and its purpose-separated subkeys.

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{Error, Result, random};

/// HKDF-Extract salt: fixes the domain of every subkey to this crate's version 1.
const EXTRACT_SALT: &[u8] = b"myc-crypto/master-key/v1";

/// What a subkey is for. Each purpose has its own versioned HKDF label, so rotating one
/// purpose (say, the KEK) never changes the keys of another (say, connection-string HMACs).
///
/// | purpose | HKDF info label |
/// |---|---|
/// | `Kek { version }` | `myc-crypto/v1/kek/<version>` |
/// | `ConnectionStringHmac { version }` | `myc-crypto/v1/connection-string-hmac/<version>` |
/// | `ProfileSigning { key_id }` | `myc-crypto/v1/profile-signing/<key_id>` |
/// | `NodeTokenHash` | `myc-crypto/v1/node-token-hash` |
/// | `Custom(label)` | `myc-crypto/v1/custom/<label>` |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Purpose<'a> {
    /// A key-encryption key generation.
    Kek {
        /// KEK version.
        version: u32,
    },
    /// The HMAC key of connection strings (`kvr` = version).
    ConnectionStringHmac {
        /// Key version.
        version: u32,
    },
    /// An Ed25519 seed for signing profile headers.
    ProfileSigning {
        /// Key id.
        key_id: &'a str,
    },
    /// The key of keyed hashes of stored node tokens.
    NodeTokenHash,
    /// An application-defined purpose.
    Custom(&'a str),
}

impl Purpose<'_> {
    fn label(&self) -> String {
        match self {
            Self::Kek { version } => format!("myc-crypto/v1/kek/{version}"),
            Self::ConnectionStringHmac { version } => {
                format!("myc-crypto/v1/connection-string-hmac/{version}")
            }
            Self::ProfileSigning { key_id } => format!("myc-crypto/v1/profile-signing/{key_id}"),
            Self::NodeTokenHash => "myc-crypto/v1/node-token-hash".to_owned(),
            Self::Custom(label) => format!("myc-crypto/v1/custom/{label}"),
        }
    }
}

/// The root secret: at least 32 random bytes, zeroized on drop, never printed.
///
/// ```
/// use myc_crypto::{MasterKey, Purpose};
/// let master = MasterKey::from_text("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
/// let kek1 = master.derive(Purpose::Kek { version: 1 });
/// let kek2 = master.derive(Purpose::Kek { version: 2 });
/// assert_ne!(*kek1, *kek2);
/// assert_eq!(format!("{master:?}"), "MasterKey(<32 bytes redacted>)");
/// ```
pub struct MasterKey {
    bytes: Zeroizing<Vec<u8>>,
    prk: Hkdf<Sha256>,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey(<{} bytes redacted>)", self.bytes.len())
    }
}

impl MasterKey {
    /// Minimum key length in bytes.
    pub const MIN_LEN: usize = 32;

    /// From raw bytes (at least 32).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() < Self::MIN_LEN {
            return Err(Error::MasterKeyTooShort {
                min: Self::MIN_LEN,
                got: bytes.len(),
            });
        }
        Ok(Self {
            bytes: Zeroizing::new(bytes.to_vec()),
            prk: Hkdf::<Sha256>::new(Some(EXTRACT_SALT), bytes),
        })
    }

    /// A fresh random 32-byte key.
    pub fn generate() -> Result<Self> {
        let bytes = Zeroizing::new(random::array::<32>()?);
        Self::from_bytes(bytes.as_ref())
    }

    /// From text: hex (only hex digits, even length), else base64 (standard or URL-safe,
    /// padded or not). Surrounding whitespace is ignored.
    pub fn from_text(text: &str) -> Result<Self> {
        let text = text.trim();
        let bytes = if text.len().is_multiple_of(2)
            && !text.is_empty()
            && text.bytes().all(|b| b.is_ascii_hexdigit())
        {
            Zeroizing::new(hex::decode(text).map_err(|_| Error::MasterKeyEncoding)?)
        } else {
            Zeroizing::new(
                [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
                    .iter()
                    .find_map(|engine| engine.decode(text).ok())
                    .ok_or(Error::MasterKeyEncoding)?,
            )
        };
        Self::from_bytes(&bytes)
    }

    /// From the environment variable `var` (text form).
    pub fn from_env(var: &str) -> Result<Self> {
        let text =
            Zeroizing::new(std::env::var(var).map_err(|_| Error::MasterKeyEnv(var.to_owned()))?);
        Self::from_text(&text)
    }

    /// From a file holding the text form. On Unix the file must not be readable by group or
    /// others (mode 0600 or stricter).
    pub fn from_file(path: &Path) -> Result<Self> {
        check_private(path)?;
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| io_err(path, e))?);
        Self::from_text(&text)
    }

    /// The standard base64 text form (what `myc-crypto keygen` prints).
    pub fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.bytes.as_slice()))
    }

    /// Writes the text form to a new file created with mode 0600 (fails if it exists).
    pub fn write_new_file(&self, path: &Path) -> Result<()> {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(|e| io_err(path, e))?;
        file.write_all(self.to_text().as_bytes())
            .map_err(|e| io_err(path, e))?;
        file.sync_all().map_err(|e| io_err(path, e))
    }

    /// The 32-byte subkey for `purpose` (HKDF-SHA256).
    pub fn derive(&self, purpose: Purpose<'_>) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's 8160-byte limit.
        let _ = self.prk.expand(purpose.label().as_bytes(), out.as_mut());
        out
    }
}

pub(crate) fn io_err(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Refuses files readable by group or others.
pub(crate) fn check_private(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| io_err(path, e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(Error::InsecurePermissions {
                path: path.display().to_string(),
                mode: mode & 0o777,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_agree() {
        let bytes: Vec<u8> = (0u8..32).collect();
        let from_hex = MasterKey::from_text(&hex::encode(&bytes)).unwrap();
        let from_b64 = MasterKey::from_text(&STANDARD.encode(&bytes)).unwrap();
        let from_url = MasterKey::from_text(&URL_SAFE_NO_PAD.encode(&bytes)).unwrap();
        let k = Purpose::Kek { version: 1 };
        assert_eq!(*from_hex.derive(k), *from_b64.derive(k));
        assert_eq!(*from_hex.derive(k), *from_url.derive(k));
        assert!(matches!(
            MasterKey::from_text("short"),
            Err(Error::MasterKeyEncoding | Error::MasterKeyTooShort { .. })
        ));
        assert!(matches!(
            MasterKey::from_bytes(&[0; 31]),
            Err(Error::MasterKeyTooShort { got: 31, .. })
        ));
        assert!(matches!(
            MasterKey::from_text("!!"),
            Err(Error::MasterKeyEncoding)
        ));
    }

    #[test]
    fn purposes_are_separated() {
        let m = MasterKey::generate().unwrap();
        let keys = [
            m.derive(Purpose::Kek { version: 1 }),
            m.derive(Purpose::Kek { version: 2 }),
            m.derive(Purpose::ConnectionStringHmac { version: 1 }),
            m.derive(Purpose::ProfileSigning { key_id: "1" }),
            m.derive(Purpose::NodeTokenHash),
            m.derive(Purpose::Custom("kek/1")),
        ];
        for i in 0..keys.len() {
            for j in i + 1..keys.len() {
                assert_ne!(*keys[i], *keys[j], "{i} {j}");
            }
        }
    }

    #[test]
    fn files_must_be_private() {
        let dir = std::env::temp_dir().join(format!("myc-crypto-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("master.key");
        let _ = std::fs::remove_file(&path);
        let m = MasterKey::generate().unwrap();
        m.write_new_file(&path).unwrap();
        let back = MasterKey::from_file(&path).unwrap();
        assert_eq!(
            *back.derive(Purpose::NodeTokenHash),
            *m.derive(Purpose::NodeTokenHash)
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(matches!(
                MasterKey::from_file(&path),
                Err(Error::InsecurePermissions { .. })
            ));
        }
        assert!(m.write_new_file(&path).is_err(), "never overwrites");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
