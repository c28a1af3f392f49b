//! Upstream Mycelium's database as its 9.x release leaves it, for import tests: its
//! AES-256-GCM sealing (`base64(nonce ‖ ciphertext ‖ tag)`, KEK = SHA-256 of the
//! `tokenSecret` UUID's bytes, `v2:` values under the system tenant's DEK with AAD = tenant
//! bytes ‖ field tag, `v1` values under the KEK with no AAD) and the `tenant`/`"user"`
//! columns an import reads.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The system tenant's id.
pub const SYSTEM_TENANT: &str = "00000000-0000-0000-0000-000000000000";

/// How a secret is sealed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `v2:`, under the system tenant's DEK.
    V2,
    /// Legacy, under the KEK.
    V1,
}

/// A person of upstream's `user` table and their TOTP factor.
#[derive(Clone, Copy, Debug)]
pub struct User<'a> {
    /// E-mail as upstream stored it.
    pub email: &'a str,
    /// The base32 secret their app holds; `None`: TOTP disabled.
    pub secret: Option<&'a str>,
    /// Whether the enrolment was confirmed.
    pub verified: bool,
    /// How the secret is sealed.
    pub format: Format,
}

/// Upstream's sealing of `plain` under `key` with `aad`.
///
/// # Panics
/// Without randomness.
#[allow(clippy::expect_used)]
pub fn seal(key: &[u8; 32], aad: &[u8], plain: &[u8]) -> String {
    let mut nonce = [0u8; 12];
    getrandom::getrandom(&mut nonce).expect("randomness");
    let body = Aes256Gcm::new(key.into())
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad })
        .expect("AES-GCM seals any input");
    STANDARD.encode([nonce.as_slice(), &body].concat())
}

fn uuid_bytes(text: &str) -> [u8; 16] {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or_else(|_| panic!("{text}"));
    }
    out
}

/// The KEK of a `tokenSecret`.
pub fn kek(token_secret: &str) -> [u8; 32] {
    Sha256::digest(uuid_bytes(token_secret)).into()
}

/// Creates upstream's `tenant` (with the system tenant's wrapped DEK) and `"user"` tables at
/// `url` (`sqlite://…?mode=rwc` or a PostgreSQL schema) holding `users`.
///
/// # Panics
/// When the database refuses.
#[allow(clippy::expect_used)]
pub async fn totp_database(url: &str, token_secret: &str, users: &[User<'_>]) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("upstream database");
    for ddl in [
        "CREATE TABLE tenant (id TEXT PRIMARY KEY, name TEXT NOT NULL, encrypted_dek TEXT)",
        "CREATE TABLE \"user\" (id TEXT PRIMARY KEY, email TEXT NOT NULL, mfa TEXT)",
    ] {
        sqlx::query(ddl).execute(&pool).await.expect("upstream DDL");
    }
    let kek = kek(token_secret);
    let mut dek = [0u8; 32];
    getrandom::getrandom(&mut dek).expect("randomness");
    let system = uuid_bytes(SYSTEM_TENANT);
    let wrapped = format!("v2:{}", seal(&kek, &system, &dek));
    sqlx::query("INSERT INTO tenant (id, name, encrypted_dek) VALUES ($1, 'system', $2)")
        .bind(SYSTEM_TENANT)
        .bind(wrapped)
        .execute(&pool)
        .await
        .expect("system tenant");
    let field = [system.as_slice(), b"totp_secret"].concat();
    for (n, user) in users.iter().enumerate() {
        let mfa = match user.secret {
            None => serde_json::json!({ "totp": "disabled" }),
            Some(secret) => {
                let sealed = match user.format {
                    Format::V2 => format!("v2:{}", seal(&dek, &field, secret.as_bytes())),
                    Format::V1 => seal(&kek, b"", secret.as_bytes()),
                };
                serde_json::json!({ "totp": { "enabled": {
                    "verified": user.verified, "issuer": "Upstream", "secret": sealed } } })
            }
        };
        sqlx::query("INSERT INTO \"user\" (id, email, mfa) VALUES ($1, $2, $3)")
            .bind(format!("00000000-0000-4000-8000-{n:012}"))
            .bind(user.email)
            .bind(mfa.to_string())
            .execute(&pool)
            .await
            .expect("upstream user");
    }
    pool.close().await;
}
