//! Creds files: a user JWT and its nkey seed in the decorated format Go's `FormatUserConfig` writes.

use std::path::Path;

use zeroize::Zeroizing;

use crate::claims::{Claims, User};
use crate::keys::{KeyKind, Nkey, write_private};
use crate::{Error, Result};

/// Why a creds file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredsError {
    /// The text is not one JWT block and one seed block.
    #[error("expected a JWT block and a seed block")]
    Blocks,
    /// The seed block holds another kind of seed.
    #[error("the seed is not a user seed (SU…)")]
    NotUserSeed,
    /// The seed does not decode.
    #[error("seed: {0}")]
    Seed(Box<Error>),
    /// The JWT does not decode as a user JWT.
    #[error("JWT: {0}")]
    Jwt(Box<Error>),
    /// The seed's public key is not the JWT's subject.
    #[error("the seed does not belong to the JWT's subject")]
    SeedNotSubject,
}

/// A parsed creds file. The seed is zeroized on drop.
pub struct Creds {
    /// The user JWT.
    pub jwt: String,
    seed: Zeroizing<String>,
}

impl std::fmt::Debug for Creds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Creds")
            .field("jwt", &self.jwt)
            .field("seed", &"<redacted>")
            .finish()
    }
}

/// Renders a creds file for `jwt` and `seed` (exact Go layout).
pub fn format(jwt: &str, seed: &str) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "-----BEGIN NATS USER JWT-----\n{jwt}\n------END NATS USER JWT------\n\n\
************************* IMPORTANT *************************\n\
NKEY Seed printed below can be used to sign and prove identity.\n\
NKEYs are sensitive and should be treated as secrets.\n\n\
-----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n\n\
*************************************************************\n"
    ))
}

/// Writes a creds file with mode 0600 (atomically replacing an old one).
pub fn write(path: &Path, jwt: &str, user: &Nkey) -> Result<()> {
    let seed = user.seed()?;
    write_private(path, format(jwt, &seed).as_bytes(), true)
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '=')
}

impl Creds {
    /// Parses creds text: the first token framed by dash lines is the JWT, the second the seed.
    /// Tolerates CRLF and extra whitespace. The seed must be a user seed whose public key is the
    /// JWT's `sub` (the JWT's signature is checked too).
    pub fn parse(text: &str) -> Result<Self> {
        let mut tokens = Vec::new();
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        let is_frame = |l: &str| l.starts_with("---") && l.ends_with("---") && l.len() >= 6;
        let mut i = 0;
        while i < lines.len() && tokens.len() < 2 {
            if is_frame(lines[i]) {
                // The token is the next non-empty line, followed by another frame line.
                let mut j = i + 1;
                while j < lines.len() && lines[j].is_empty() {
                    j += 1;
                }
                if j + 1 < lines.len()
                    && !lines[j].is_empty()
                    && lines[j].chars().all(is_token_char)
                    && is_frame(lines[j + 1])
                {
                    tokens.push(lines[j]);
                    i = j + 2;
                    continue;
                }
            }
            i += 1;
        }
        let [jwt, seed] = tokens[..] else {
            return Err(CredsError::Blocks.into());
        };
        if !seed.starts_with("SU") {
            return Err(CredsError::NotUserSeed.into());
        }
        let user =
            Nkey::from_seed(KeyKind::User, seed).map_err(|e| CredsError::Seed(Box::new(e)))?;
        let claims = Claims::<User>::decode(jwt).map_err(|e| CredsError::Jwt(Box::new(e)))?;
        if claims.sub != user.public_key() {
            return Err(CredsError::SeedNotSubject.into());
        }
        Ok(Self {
            jwt: jwt.to_owned(),
            seed: Zeroizing::new(seed.to_owned()),
        })
    }

    /// Reads and parses a creds file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = Zeroizing::new(
            std::fs::read_to_string(path).map_err(|e| crate::keys::io_err(path, &e))?,
        );
        Self::parse(&text)
    }

    /// The user's signing key.
    pub fn user_key(&self) -> Result<Nkey> {
        Nkey::from_seed(KeyKind::User, &self.seed)
    }

    /// The seed text.
    pub fn seed(&self) -> &str {
        &self.seed
    }

    /// The decoded (signature-checked) user claims.
    pub fn claims(&self) -> Result<Claims<User>> {
        Claims::<User>::decode(&self.jwt)
    }
}
