//! [`Error`]: everything this crate reports.

/// An error from keys, tokens, validation, creds files or configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An nkey (public key or seed) is malformed or of the wrong kind.
    #[error("invalid {expected} key: {reason}")]
    Key {
        /// The kind expected.
        expected: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A token is not three base64url segments with a valid header and JSON.
    #[error("malformed JWT: {0}")]
    Malformed(String),
    /// The token is larger than the decoder accepts.
    #[error("JWT is {0} bytes, over the 1 MB limit")]
    TooLarge(usize),
    /// The header is not `{"typ":"JWT","alg":"ed25519-nkey"}` (or v1's `ed25519`).
    #[error("unsupported JWT header: {0}")]
    Header(String),
    /// The signature does not verify against the token's issuer.
    #[error("JWT signature does not verify")]
    BadSignature,
    /// The claim type is not the one expected.
    #[error("expected a {expected} JWT, got {found:?}")]
    WrongType {
        /// Expected `nats.type`.
        expected: &'static str,
        /// Found.
        found: String,
    },
    /// The issuer kind is not allowed for the claim type.
    #[error("{claim} JWT cannot be issued by {issuer}")]
    IssuerNotAllowed {
        /// Claim type.
        claim: &'static str,
        /// The issuer key.
        issuer: String,
    },
    /// `nats.version` is newer than 2.
    #[error("unsupported claims version {0}")]
    Version(i64),
    /// Validation found errors (see [`crate::validate`]); the error findings, in order.
    #[error("{}", Findings(.0))]
    Invalid(Vec<crate::validate::Finding>),
    /// A site spec is not acceptable (see [`crate::spec`]).
    #[error("{0}")]
    Spec(String),
    /// The trust chain does not hold (see [`crate::chain`]).
    #[error("trust chain: {0}")]
    Chain(#[from] crate::chain::ChainError),
    /// A creds file could not be parsed.
    #[error("creds: {0}")]
    Creds(#[from] crate::creds::CredsError),
    /// The self-renewing client was closed; its key is gone.
    #[error("credentials closed")]
    Closed,
    /// A file could not be written or read.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What happened.
        message: String,
    },
}

struct Findings<'a>(&'a [crate::validate::Finding]);

impl std::fmt::Display for Findings<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, finding) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", finding.code, finding.message)?;
        }
        Ok(())
    }
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
