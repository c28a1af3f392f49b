//! The keys of webhooks, derived from the host's master key: each webhook's signing secret,
//! and the key that seals the credential a webhook sends (upstream's `secret`).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use myc_crypto::xaes::Xaes256Gcm;
use myc_crypto::{MasterKey, Purpose};
use uuid::Uuid;
use zeroize::Zeroizing;

/// The credential a webhook's deliveries carry (upstream's `HttpSecret`).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum HttpSecret {
    /// A header: `headerName` (default `Authorization`) = `prefix` + ` ` + `token`.
    #[serde(rename_all = "camelCase")]
    AuthorizationHeader {
        /// The header (default `Authorization`).
        #[serde(default)]
        header_name: Option<String>,
        /// A prefix such as `Bearer`.
        #[serde(default)]
        prefix: Option<String>,
        /// The token.
        token: String,
    },
    /// A query parameter `name` = `token`.
    #[serde(rename_all = "camelCase")]
    QueryParameter {
        /// The parameter's name.
        name: String,
        /// The token.
        token: String,
    },
}

impl std::fmt::Debug for HttpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpSecret(<redacted>)")
    }
}

impl Drop for HttpSecret {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        match self {
            Self::AuthorizationHeader { token, .. } | Self::QueryParameter { token, .. } => {
                token.zeroize();
            }
        }
    }
}

/// Why a sealed credential could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// Not sealed by this master key for this webhook, or damaged.
    #[error("the webhook's credential cannot be opened with this master key")]
    Unopenable,
    /// Random bytes were not available.
    #[error("no randomness for a nonce")]
    Random,
}

/// The keys of webhooks.
#[derive(Clone)]
pub struct WebhookKeys {
    master: Arc<MasterKey>,
}

impl std::fmt::Debug for WebhookKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookKeys(<redacted>)")
    }
}

impl WebhookKeys {
    /// Keys derived from `master` (the gateway's `[gateway.secrets] master_key`).
    pub fn new(master: Arc<MasterKey>) -> Self {
        Self { master }
    }

    /// The signing secret of webhook `id` (HKDF of the master key; never stored).
    pub fn signing_key(&self, id: Uuid) -> Zeroizing<[u8; 32]> {
        let label = format!("webhook-signing:{id}");
        self.master.derive(Purpose::Custom(&label))
    }

    /// The signing secret as shown to the webhook's owner: `whsec_` + base64.
    pub fn signing_secret(&self, id: Uuid) -> Zeroizing<String> {
        Zeroizing::new(format!("whsec_{}", STANDARD.encode(*self.signing_key(id))))
    }

    fn sealer(&self) -> Xaes256Gcm {
        Xaes256Gcm::new(&self.master.derive(Purpose::Custom("webhook-credential")))
    }

    /// Seals `secret` for webhook `id`: nonce, ciphertext, tag.
    pub fn seal(&self, id: Uuid, secret: &HttpSecret) -> Result<Vec<u8>, SecretError> {
        let plain = Zeroizing::new(serde_json::to_vec(secret).unwrap_or_default());
        crate::sealed::seal(&self.sealer(), id.as_bytes(), &plain).map_err(|e| match e {
            crate::sealed::SealError::Random => SecretError::Random,
            _ => SecretError::Unopenable,
        })
    }

    /// Opens what [`Self::seal`] sealed for webhook `id`.
    pub fn open(&self, id: Uuid, sealed: &[u8]) -> Result<HttpSecret, SecretError> {
        let plain = crate::sealed::open(&self.sealer(), id.as_bytes(), sealed)
            .map_err(|_| SecretError::Unopenable)?;
        serde_json::from_slice(&plain).map_err(|_| SecretError::Unopenable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_credentials_open_only_for_their_webhook() {
        let keys = WebhookKeys::new(Arc::new(MasterKey::from_bytes(&[7; 32]).unwrap()));
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let secret = HttpSecret::QueryParameter {
            name: "key".into(),
            token: "t0ken".into(),
        };
        let sealed = keys.seal(a, &secret).unwrap();
        assert_eq!(keys.open(a, &sealed).unwrap(), secret);
        assert!(keys.open(b, &sealed).is_err(), "bound to its webhook");
        let mut tampered = sealed.clone();
        tampered[30] ^= 1;
        assert!(keys.open(a, &tampered).is_err());
        assert!(keys.open(a, &sealed[..10]).is_err());
        assert_ne!(*keys.signing_key(a), *keys.signing_key(b));
        assert!(!format!("{secret:?}").contains("t0ken"));
    }
}
