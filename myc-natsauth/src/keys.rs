//! nkeys: operator, account, user, server and curve keys, and seed files.

use std::fmt;
use std::path::Path;

use nkeys::{KeyPair, KeyPairType};
use zeroize::Zeroizing;

use crate::{Error, Result};

/// The kinds of nkey a decentralized-auth hierarchy uses, by their public-key prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyKind {
    /// `O…`
    Operator,
    /// `A…`
    Account,
    /// `U…`
    User,
    /// `N…`
    Server,
    /// `X…` (curve keys for xkey encryption)
    Curve,
}

impl KeyKind {
    /// The public-key prefix character.
    pub fn prefix(self) -> char {
        match self {
            Self::Operator => 'O',
            Self::Account => 'A',
            Self::User => 'U',
            Self::Server => 'N',
            Self::Curve => 'X',
        }
    }

    /// The kind of a public key, by prefix.
    pub fn of_public_key(key: &str) -> Option<Self> {
        match key.chars().next()? {
            'O' => Some(Self::Operator),
            'A' => Some(Self::Account),
            'U' => Some(Self::User),
            'N' => Some(Self::Server),
            'X' => Some(Self::Curve),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Account => "account",
            Self::User => "user",
            Self::Server => "server",
            Self::Curve => "curve",
        }
    }

    fn pair_type(self) -> Option<KeyPairType> {
        match self {
            Self::Operator => Some(KeyPairType::Operator),
            Self::Account => Some(KeyPairType::Account),
            Self::User => Some(KeyPairType::User),
            Self::Server => Some(KeyPairType::Server),
            Self::Curve => None,
        }
    }
}

/// A signing nkey (operator, account, user or server). The seed is never printed, and the
/// key material is zeroized on drop by the underlying Ed25519 key.
pub struct Nkey {
    kind: KeyKind,
    pair: KeyPair,
    /// The encoded public key, computed once (base32 + CRC on every use adds up when issuing).
    public: String,
}

impl fmt::Debug for Nkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nkey({:?}, {})", self.kind, self.public_key())
    }
}

impl Nkey {
    /// A fresh random key of `kind` (not [`KeyKind::Curve`]).
    pub fn generate(kind: KeyKind) -> Result<Self> {
        let pair_type = kind.pair_type().ok_or_else(|| Error::Key {
            expected: kind.name(),
            reason: "curve keys do not sign".into(),
        })?;
        Ok(Self::wrap(kind, KeyPair::new(pair_type)))
    }

    /// From a seed (`SO…`, `SA…`, `SU…`, `SN…`), which must be of `kind`.
    pub fn from_seed(kind: KeyKind, seed: &str) -> Result<Self> {
        let pair = KeyPair::from_seed(seed.trim()).map_err(|e| Error::Key {
            expected: kind.name(),
            reason: e.to_string(),
        })?;
        let key = Self::wrap(kind, pair);
        if KeyKind::of_public_key(&key.public) != Some(kind) {
            return Err(Error::Key {
                expected: kind.name(),
                reason: "seed is of another kind".into(),
            });
        }
        Ok(key)
    }

    /// Reads a seed file (one seed, surrounding whitespace ignored).
    pub fn from_seed_file(kind: KeyKind, path: &Path) -> Result<Self> {
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| io_err(path, &e))?);
        Self::from_seed(kind, &text)
    }

    fn wrap(kind: KeyKind, pair: KeyPair) -> Self {
        let public = pair.public_key();
        Self { kind, pair, public }
    }

    /// The key kind.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The public key (`O…`, `A…`, …).
    pub fn public_key(&self) -> String {
        self.public.clone()
    }

    /// The public key, borrowed.
    pub fn public_key_str(&self) -> &str {
        &self.public
    }

    /// The seed, in a zeroizing string.
    pub fn seed(&self) -> Result<Zeroizing<String>> {
        self.pair
            .seed()
            .map(Zeroizing::new)
            .map_err(|e| Error::Key {
                expected: self.kind.name(),
                reason: e.to_string(),
            })
    }

    /// Writes the seed to a new file with mode 0600 (refuses to overwrite).
    pub fn write_seed_file(&self, path: &Path) -> Result<()> {
        write_private(path, self.seed()?.as_bytes(), false)
    }

    /// Signs `message` (raw 64-byte Ed25519 signature).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        self.pair.sign(message).map_err(|e| Error::Key {
            expected: self.kind.name(),
            reason: e.to_string(),
        })
    }
}

/// Verifies `signature` over `message` by public key `public_key`.
pub fn verify(public_key: &str, message: &[u8], signature: &[u8]) -> Result<()> {
    let pair = KeyPair::from_public_key(public_key).map_err(|e| Error::Key {
        expected: "public",
        reason: e.to_string(),
    })?;
    pair.verify(message, signature)
        .map_err(|_| Error::BadSignature)
}

/// True when `key` is a well-formed public key of `kind`.
pub fn is_public_key(kind: KeyKind, key: &str) -> bool {
    KeyKind::of_public_key(key) == Some(kind) && nkeys::from_public_key(key).is_ok()
}

pub(crate) fn io_err(path: &Path, e: &std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Writes `bytes` to `path` with mode 0600: a new file, or (with `replace`) atomically over an
/// old one.
pub fn write_private(path: &Path, bytes: &[u8], replace: bool) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let target = if replace {
        path.with_extension(format!("tmp.{}", std::process::id()))
    } else {
        path.to_path_buf()
    };
    if replace {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(&target).map_err(|e| io_err(&target, &e))?;
    file.write_all(bytes).map_err(|e| io_err(&target, &e))?;
    file.sync_all().map_err(|e| io_err(&target, &e))?;
    if replace {
        std::fs::rename(&target, path).map_err(|e| io_err(path, &e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_seeds() {
        for kind in [
            KeyKind::Operator,
            KeyKind::Account,
            KeyKind::User,
            KeyKind::Server,
        ] {
            let key = Nkey::generate(kind).unwrap();
            assert_eq!(KeyKind::of_public_key(&key.public_key()), Some(kind));
            assert!(is_public_key(kind, &key.public_key()));
            let again = Nkey::from_seed(kind, &key.seed().unwrap()).unwrap();
            assert_eq!(again.public_key(), key.public_key());
            let sig = key.sign(b"m").unwrap();
            verify(&key.public_key(), b"m", &sig).unwrap();
            assert_eq!(
                verify(&key.public_key(), b"n", &sig),
                Err(Error::BadSignature)
            );
            assert!(!format!("{key:?}").contains(key.seed().unwrap().as_str()));
        }
        let account = Nkey::generate(KeyKind::Account).unwrap();
        assert!(Nkey::from_seed(KeyKind::User, &account.seed().unwrap()).is_err());
        assert!(Nkey::generate(KeyKind::Curve).is_err());
    }
}

/// A curve (`X…`) key for xkey encryption, e.g. of auth-callout requests and responses
/// (curve25519 + XSalsa20-Poly1305, as nkeys and nats-server do it). Never printed.
pub struct CurveKey(nkeys::XKey);

impl fmt::Debug for CurveKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurveKey({})", self.0.public_key())
    }
}

impl CurveKey {
    /// A fresh random curve key.
    pub fn generate() -> Self {
        Self(nkeys::XKey::new())
    }

    /// From a curve seed (`SX…`).
    pub fn from_seed(seed: &str) -> Result<Self> {
        nkeys::XKey::from_seed(seed.trim())
            .map(Self)
            .map_err(|e| Error::Key {
                expected: "curve",
                reason: e.to_string(),
            })
    }

    /// The public key (`X…`).
    pub fn public_key(&self) -> String {
        self.0.public_key()
    }

    /// The seed, in a zeroizing string.
    pub fn seed(&self) -> Result<Zeroizing<String>> {
        self.0.seed().map(Zeroizing::new).map_err(|e| Error::Key {
            expected: "curve",
            reason: e.to_string(),
        })
    }

    /// Encrypts `message` for the holder of `recipient` (an `X…` public key).
    pub fn seal(&self, message: &[u8], recipient: &str) -> Result<Vec<u8>> {
        let recipient = nkeys::XKey::from_public_key(recipient).map_err(|e| Error::Key {
            expected: "curve",
            reason: e.to_string(),
        })?;
        self.0.seal(message, &recipient).map_err(|e| Error::Key {
            expected: "curve",
            reason: e.to_string(),
        })
    }

    /// Decrypts `sealed` sent by the holder of `sender` (an `X…` public key).
    pub fn open(&self, sealed: &[u8], sender: &str) -> Result<Vec<u8>> {
        let sender = nkeys::XKey::from_public_key(sender).map_err(|e| Error::Key {
            expected: "curve",
            reason: e.to_string(),
        })?;
        self.0
            .open(sealed, &sender)
            .map_err(|_| Error::BadSignature)
    }
}

#[cfg(test)]
mod curve_tests {
    use super::*;

    #[test]
    fn seal_and_open() {
        let (server, service) = (CurveKey::generate(), CurveKey::generate());
        assert!(is_public_key(KeyKind::Curve, &server.public_key()));
        let sealed = server.seal(b"auth request", &service.public_key()).unwrap();
        assert_eq!(
            service.open(&sealed, &server.public_key()).unwrap(),
            b"auth request"
        );
        let stranger = CurveKey::generate();
        assert!(service.open(&sealed, &stranger.public_key()).is_err());
        let again = CurveKey::from_seed(&service.seed().unwrap()).unwrap();
        assert_eq!(again.public_key(), service.public_key());
        assert!(!format!("{service:?}").contains(service.seed().unwrap().as_str()));
    }
}
