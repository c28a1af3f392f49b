//! Which cryptography verifies token signatures.
//!
//! jsonwebtoken delegates signatures to a process-wide `CryptoProvider`. myc-tower compiles in
//! one or both of its providers through features:
//!
//! | feature | provider | notes |
//! |---|---|---|
//! | `aws-lc` (default) | aws-lc-rs | RSA and ECDSA verification several times faster; builds a C library (a C compiler is needed, no CMake) |
//! | `rust-crypto` | RustCrypto (`rsa`, `p256`, `ed25519-dalek`) | pure Rust, no C toolchain |
//!
//! Cargo features are additive, so a build can end up with both (one crate of the graph asks
//! for each); jsonwebtoken then cannot choose on its own and would panic on the first
//! signature. [`JwtVerifier::new`](super::JwtVerifier::new) therefore installs the process
//! default through [`install_default`]: aws-lc when compiled in, else RustCrypto, and nothing
//! when the application already installed a provider. Code that signs tokens before any
//! verifier exists (a CLI minting a token) calls [`install_default`] itself.
//!
//! With neither feature, install your own provider with [`install_custom`]; until then every
//! verification fails with [`AuthError::Internal`](crate::AuthError::Internal) (never a panic).

use std::sync::OnceLock;

use jsonwebtoken::crypto::CryptoProvider;

/// A provider this crate can install.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// aws-lc-rs (feature `aws-lc`).
    AwsLc,
    /// The RustCrypto crates (feature `rust-crypto`).
    RustCrypto,
}

impl Backend {
    /// The backends compiled into this build, preferred first.
    pub fn compiled() -> &'static [Backend] {
        &[
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc,
            #[cfg(feature = "rust-crypto")]
            Backend::RustCrypto,
        ]
    }

    /// The myc-tower feature that compiles this backend in.
    pub fn feature(self) -> &'static str {
        match self {
            Backend::AwsLc => "aws-lc",
            Backend::RustCrypto => "rust-crypto",
        }
    }

    fn provider(self) -> Option<&'static CryptoProvider> {
        match self {
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => Some(&jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER),
            #[cfg(feature = "rust-crypto")]
            Backend::RustCrypto => Some(&jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.feature())
    }
}

/// What is installed for this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Installed {
    /// One of ours.
    Backend(Backend),
    /// A provider installed by the application (or by [`install_custom`]).
    Other,
}

/// Why a provider could not be installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The backend's feature is off in this build.
    #[error("the {0} JWT backend is not compiled in (enable myc-tower's `{0}` feature)")]
    NotCompiled(Backend),
    /// A provider was installed before; the process keeps it.
    #[error("a JWT crypto provider is already installed for this process")]
    AlreadyInstalled,
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();

fn record(what: Installed) -> Installed {
    *INSTALLED.get_or_init(|| what)
}

/// Installs `backend` as the process's provider. Call it before any token is verified or
/// signed; it fails if a provider is installed already.
pub fn install(backend: Backend) -> Result<(), BackendError> {
    let provider = backend
        .provider()
        .ok_or(BackendError::NotCompiled(backend))?;
    provider.install_default().map_err(|_| {
        record(Installed::Other);
        BackendError::AlreadyInstalled
    })?;
    record(Installed::Backend(backend));
    Ok(())
}

/// Installs an application's own provider.
pub fn install_custom(provider: &'static CryptoProvider) -> Result<(), BackendError> {
    let result = provider
        .install_default()
        .map_err(|_| BackendError::AlreadyInstalled);
    record(Installed::Other);
    result
}

/// Makes sure a provider is installed: the preferred compiled-in backend unless one is there
/// already. `None` when none is compiled in and none was installed through this module.
pub fn install_default() -> Option<Installed> {
    if let Some(done) = INSTALLED.get() {
        return Some(*done);
    }
    let preferred = *Backend::compiled().first()?;
    match install(preferred) {
        Ok(()) => Some(record(Installed::Backend(preferred))),
        Err(_) => INSTALLED.get().copied(),
    }
}

/// What [`install_default`], [`install`] or [`install_custom`] left installed, if anything.
pub fn installed() -> Option<Installed> {
    INSTALLED.get().copied()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::jwt::{InternalIssuer, JwtVerifier, LocalKey};

    /// HS256 under the key `"k" * 32`, kid `k`, issuer `mycelium`, audience `t`, exp 2100.
    const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsifQ.eyJpc3MiOiJteWNlbGl1bSIsImF1ZCI6InQiLCJleHAiOjQxMDI0NDQ4MDAsImVtYWlsIjoiYUBleGFtcGxlLmNvbSJ9.5NN7g6BGgl5GKLyy664BTWwk0gTVQtJVY15L90m_w9I";

    fn verifier() -> JwtVerifier {
        JwtVerifier::new().internal(InternalIssuer {
            issuer: "mycelium".into(),
            audiences: vec!["t".into()],
            keys: vec![
                LocalKey::hmac(Some("k"), jsonwebtoken::Algorithm::HS256, &[b'k'; 32]).unwrap(),
            ],
        })
    }

    #[cfg(any(feature = "aws-lc", feature = "rust-crypto"))]
    #[tokio::test]
    async fn the_preferred_compiled_backend_is_installed_and_stays() {
        let verified = verifier().verify(TOKEN).await.unwrap();
        assert_eq!(verified.email.as_deref(), Some("a@example.com"));
        let preferred = Backend::compiled()[0];
        assert_eq!(installed(), Some(Installed::Backend(preferred)));
        for b in Backend::compiled() {
            assert_eq!(install(*b), Err(BackendError::AlreadyInstalled));
        }
        assert_eq!(install_default(), Some(Installed::Backend(preferred)));
    }

    #[cfg(not(all(feature = "aws-lc", feature = "rust-crypto")))]
    #[test]
    fn a_backend_left_out_of_the_build_is_a_typed_error() {
        let missing = [Backend::AwsLc, Backend::RustCrypto]
            .into_iter()
            .find(|b| !Backend::compiled().contains(b))
            .unwrap();
        assert_eq!(install(missing), Err(BackendError::NotCompiled(missing)));
    }

    /// `cargo test -p myc-tower --no-default-features --lib` (scripts/publish-check runs it).
    #[cfg(not(any(feature = "aws-lc", feature = "rust-crypto")))]
    #[tokio::test]
    async fn without_any_backend_verification_fails_without_panicking() {
        assert_eq!(install_default(), None);
        assert_eq!(
            verifier().verify(TOKEN).await,
            Err(crate::AuthError::Internal)
        );
    }
}
