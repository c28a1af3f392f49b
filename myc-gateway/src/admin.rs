//! Operations behind the admin CLI (`tokens mint`, `connection-strings issue`, `guests add`,
//! `kek rotate`), on top of the [`Store`]. The binary only parses arguments and prints.

use chrono::{Duration, Utc};
use myc_profile::connection_string::ScopedRole;
use myc_profile::{HmacKeyring, Permission};
use uuid::Uuid;

use crate::config::{AuthSettings, Config, InternalKey};
use crate::store::{self, ConnectionStringRecord, GuestLink, NewAccount, SqlStore, Store};
use crate::vault::SecretVault;

/// Why an admin operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The configuration lacks what the operation needs.
    #[error("{0}")]
    Config(String),
    /// The input is wrong.
    #[error("{0}")]
    Invalid(String),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// Why a token could not be minted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MintError {
    /// The configuration has no internal issuer.
    #[error("tokens mint: no internal issuer ([auth] jwtSecret or [gateway.auth.internal])")]
    NoInternalIssuer,
    /// The internal issuer has only EdDSA public keys.
    #[error("tokens mint: no HMAC key to sign with (EdDSA keys are public keys here)")]
    NoSigningKey,
    /// The subject is not an e-mail address.
    #[error("tokens mint: {0:?} is not an e-mail address")]
    NotAnEmail(String),
    /// Signing failed.
    #[error("tokens mint: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
    /// The Ed25519 signer failed.
    #[error("tokens mint: {0}")]
    Issue(myc_tower::jwt::issue::IssueError),
}

/// Mints an internal JWT for `email`, valid `ttl_secs`: with the current Ed25519 signing key
/// when `signing_keys` are configured (its `kid` in the header; verifiable through
/// `/.well-known/jwks.json`), else with the first HMAC key of `[gateway.auth.internal]`.
/// Configurations with EdDSA public keys only hold no private key, so they cannot mint.
pub fn mint_token(auth: &AuthSettings, email: &str, ttl_secs: u64) -> Result<String, MintError> {
    mint_login_token(auth, email, ttl_secs, false)
}

/// [`mint_token`], marked as a login awaiting its TOTP code when `totp_pending`
/// ([`myc_tower::jwt::TOTP_PENDING_CLAIM`]: myc-tower refuses such a token everywhere but
/// the TOTP check).
pub fn mint_login_token(
    auth: &AuthSettings,
    email: &str,
    ttl_secs: u64,
    totp_pending: bool,
) -> Result<String, MintError> {
    let (issuer, audiences, keys) = auth.internal.as_ref().ok_or(MintError::NoInternalIssuer)?;
    if email.is_empty() || !email.contains('@') {
        return Err(MintError::NotAnEmail(email.to_owned()));
    }
    let now = jsonwebtoken::get_current_timestamp();
    let mut claims = serde_json::json!({
        "iss": issuer,
        "sub": email,
        "email": email,
        "iat": now,
        "exp": now.saturating_add(ttl_secs),
    });
    // Upstream's tokens (`[auth] jwtSecret`) carry no audience.
    if let Some(audience) = audiences.first() {
        claims["aud"] = serde_json::json!(audience);
    }
    if totp_pending {
        claims[myc_tower::jwt::TOTP_PENDING_CLAIM] = serde_json::json!("pending");
    }
    // Ed25519 keys with ids (published at /.well-known/jwks.json) before a shared secret.
    if let Some(signer) = &auth.signer {
        return signer.sign(&claims).map_err(MintError::Issue);
    }
    let (kid, alg, secret) = keys
        .iter()
        .find_map(|k| match k {
            InternalKey::Hmac { kid, alg, secret } => Some((kid, alg, secret)),
            InternalKey::Ed25519 { .. } => None,
        })
        .ok_or(MintError::NoSigningKey)?;
    let mut header = jsonwebtoken::Header::new(*alg);
    header.kid = kid.clone();
    myc_tower::jwt::backend::install_default();
    jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .map_err(MintError::Sign)
}

/// Opens (creating and migrating) the store of `config`.
pub async fn open_store(config: &Config) -> Result<SqlStore, AdminError> {
    Ok(SqlStore::open(&config.store).await?)
}

/// The sealed-secrets vault of `config` over `store`.
pub fn vault(config: &Config, store: SqlStore) -> Result<SecretVault<SqlStore>, AdminError> {
    let secrets = config.secrets.clone().ok_or_else(|| {
        AdminError::Config("no [gateway.secrets] section (master_key, kek_version)".into())
    })?;
    Ok(SecretVault::new(store, secrets))
}

/// What to put in a connection string.
#[derive(Clone, Debug)]
pub struct IssueRequest<'a> {
    /// The owner's e-mail.
    pub email: &'a str,
    /// Tenant scope.
    pub tenant: Option<Uuid>,
    /// Role scope.
    pub roles: Vec<ScopedRole>,
    /// Lifetime.
    pub ttl: Duration,
    /// A label for `list`.
    pub name: &'a str,
}

/// Signs a connection string with the primary key of `[gateway.auth.connection_strings]` and
/// records its hash; returns the header value (shown once, never stored) and the record.
pub async fn issue_connection_string(
    auth: &AuthSettings,
    store: &SqlStore,
    request: IssueRequest<'_>,
) -> Result<(zeroize::Zeroizing<String>, ConnectionStringRecord), AdminError> {
    let keyring = keyring(auth)?;
    if request.ttl <= Duration::zero() {
        return Err(AdminError::Invalid("the lifetime must be positive".into()));
    }
    let account = store
        .account_by_email(request.email)
        .await?
        .ok_or_else(|| store::Error::NotFound(format!("an account for {}", request.email)))?;
    let issued = store
        .issue_connection_string(
            &keyring,
            store::TokenRequest {
                account_id: account.id,
                name: request.name,
                tenant: request.tenant,
                roles: request.roles,
                expires_at: Utc::now() + request.ttl,
            },
        )
        .await?;
    Ok(issued)
}

/// The connection-string keyring of `[gateway.auth.connection_strings]`.
pub fn keyring(auth: &AuthSettings) -> Result<HmacKeyring, AdminError> {
    let hmac = auth
        .connection_strings
        .as_ref()
        .ok_or_else(|| AdminError::Config("no [gateway.auth.connection_strings] section".into()))?;
    hmac.keyring()
        .map_err(|e| AdminError::Config(e.to_string()))
}

/// Links `email` to `tenant` with a role, creating a user account for an unknown e-mail
/// (an invitation); the flag says whether an account was created.
pub async fn add_guest<S: Store>(
    store: &S,
    tenant: Uuid,
    email: &str,
    slug: &str,
    permission: Permission,
) -> Result<(GuestLink, bool), AdminError> {
    let created = match store.account_by_email(email).await? {
        Some(_) => false,
        None => {
            store.create_account(NewAccount::user(email)).await?;
            true
        }
    };
    Ok((
        store.add_guest(tenant, email, slug, permission).await?,
        created,
    ))
}

/// Largest secret value accepted.
pub const MAX_SECRET_BYTES: usize = 64 * 1024;

/// Seals and stores `value` (one trailing newline dropped) as `stored_name` of `tenant`,
/// which must exist.
pub async fn put_secret<S: Store>(
    vault: &SecretVault<S>,
    tenant: Uuid,
    stored_name: &str,
    mut value: zeroize::Zeroizing<Vec<u8>>,
) -> Result<(), AdminError> {
    if value.len() > MAX_SECRET_BYTES {
        return Err(AdminError::Invalid(format!(
            "values are at most {MAX_SECRET_BYTES} bytes"
        )));
    }
    if value.last() == Some(&b'\n') {
        value.pop();
        if value.last() == Some(&b'\r') {
            value.pop();
        }
    }
    if value.is_empty() {
        return Err(AdminError::Invalid("empty value".into()));
    }
    if vault.store().tenant(tenant).await?.is_none() {
        return Err(store::Error::NotFound(format!("tenant {tenant}")).into());
    }
    vault.put(tenant, stored_name, &value).await?;
    Ok(())
}

/// Registers a node for the NATS credential issuer; returns the record and the node token
/// (shown once: only its SHA-256 is stored).
pub async fn add_node<S: Store>(
    store: &S,
    id: &str,
    pub_allow: Vec<String>,
    sub_allow: Vec<String>,
    ttl_secs: u64,
    allow_responses: bool,
) -> Result<(store::NodeRecord, zeroize::Zeroizing<String>), AdminError> {
    if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AdminError::Invalid(format!(
            "node id {:?} must be 1-128 printable ASCII characters",
            id.chars().take(40).collect::<String>()
        )));
    }
    for subject in pub_allow.iter().chain(&sub_allow) {
        if subject.is_empty() || subject.contains(char::is_whitespace) {
            return Err(AdminError::Invalid(format!(
                "{subject:?} is not a NATS subject"
            )));
        }
    }
    if pub_allow.is_empty() && sub_allow.is_empty() {
        return Err(AdminError::Invalid(
            "give the node something to do: --pub-allow and/or --sub-allow".into(),
        ));
    }
    if !(5..=7 * 24 * 3600).contains(&ttl_secs) {
        return Err(AdminError::Invalid(
            "the JWT lifetime must be between 5 s and 7 days".into(),
        ));
    }
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::getrandom(bytes.as_mut())
        .map_err(|e| AdminError::Invalid(format!("no randomness: {e}")))?;
    let token = zeroize::Zeroizing::new(base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        bytes.as_ref(),
    ));
    let record = store::NodeRecord {
        id: id.to_owned(),
        pub_allow,
        sub_allow,
        ttl_secs,
        allow_responses,
        created_at: Utc::now(),
        revoked_at: None,
    };
    store
        .add_node(&record, crate::nats::issuer::token_hash(&token))
        .await?;
    Ok((record, token))
}
