//! Trust-chain verification, as nats-server does it: is this user JWT (or creds file) valid
//! now under this operator and account, who signed it, and which permissions apply.
//!
//! ```
//! use myc_natsauth::chain::{Signer, TrustChain};
//! use myc_natsauth::claims::{Account, Claims, Operator, User};
//! use myc_natsauth::{KeyKind, Nkey};
//!
//! let operator = Nkey::generate(KeyKind::Operator)?;
//! let account = Nkey::generate(KeyKind::Account)?;
//! let user = Nkey::generate(KeyKind::User)?;
//! let mut chain = TrustChain::new(&Claims::new(operator.public_key(), "OP", Operator::default()).encode(&operator)?)?;
//! chain.add_account(&Claims::new(account.public_key(), "APP", Account::default()).encode(&operator)?)?;
//! let token = Claims::new(user.public_key(), "svc", User::default()).encode(&account)?;
//! let verified = chain.verify_user(&token, myc_natsauth::jwt::now())?;
//! assert_eq!(verified.signer, Signer::Account);
//! # Ok::<(), myc_natsauth::Error>(())
//! ```

use std::collections::HashMap;

use crate::claims::{Account, Claims, Operator, SigningKey, User, UserPermissionLimits};
use crate::creds::Creds;
use crate::{Error, Result};

/// Why a trust chain or a connection was refused; each case is one the server refuses too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The client did not sign the nonce and the user is not a bearer user.
    #[error("the client did not sign the nonce and the user is not a bearer user")]
    NonceNotSigned,
    /// The client address is outside the user's `src` CIDRs.
    #[error("{0} is outside the user's source CIDRs")]
    SourceNotAllowed(std::net::IpAddr),
    /// The connection type is not in the user's `allowed_connection_types`.
    #[error("connection type {0} is not allowed")]
    ConnectionType(String),
    /// The user's time windows name a time zone other than UTC or local.
    #[error("time zone {0} cannot be evaluated here")]
    TimeZone(String),
    /// The connection is outside the user's time windows.
    #[error("outside the user's allowed time windows")]
    OutsideTimeWindows,
    /// The operator JWT is not signed by the operator.
    #[error("the operator JWT is not self-signed")]
    OperatorNotSelfSigned,
    /// An account JWT is signed by neither the operator nor its signing keys.
    #[error("account {0} is not signed by the operator or its signing keys")]
    AccountNotSignedByOperator(String),
    /// The user's account is not among the known accounts.
    #[error("unknown account {0}")]
    UnknownAccount(String),
    /// The account JWT has expired.
    #[error("the account JWT has expired")]
    AccountExpired,
    /// Strict signing-key usage: the account's identity key signed the user.
    #[error("strict signing key usage: users must be signed by an account signing key")]
    StrictSigningKeys,
    /// The user is signed by a key that is not its account's.
    #[error("user is signed by {signer}, not a key of account {account}")]
    ForeignSigner {
        /// The user JWT's issuer.
        signer: String,
        /// The account.
        account: String,
    },
    /// A user signed by a signing key lacks `issuer_account`.
    #[error("a user signed by a signing key must name its account in issuer_account")]
    IssuerAccountMissing,
    /// The user JWT has expired.
    #[error("the user JWT has expired")]
    UserExpired,
    /// The user JWT's `nbf` is in the future.
    #[error("the user JWT is not valid yet")]
    UserNotYetValid,
    /// The account revoked the user.
    #[error("the user is revoked")]
    UserRevoked,
    /// A user of a scoped signing key carries permissions or limits of its own.
    #[error("users of a scoped signing key must carry no permissions or limits")]
    ScopedUserHasPermissions,
    /// The account disallows bearer users.
    #[error("the account disallows bearer users")]
    BearerNotAllowed,
    /// A scope template names a tag the user or account lacks.
    #[error("template tag {0} not present")]
    TemplateTagMissing(String),
    /// A scope template uses an unknown function.
    #[error("unknown template function {0}")]
    TemplateFunction(String),
}

/// Which key signed a user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signer {
    /// The account's identity key.
    Account,
    /// A plain signing key of the account.
    SigningKey(String),
    /// A scoped signing key: the user gets the scope's template.
    Scoped {
        /// The key.
        key: String,
        /// The scope's role.
        role: String,
    },
}

/// A user that passed verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedUser {
    /// The user's claims.
    pub claims: Claims<User>,
    /// The account it belongs to.
    pub account: String,
    /// Who signed it.
    pub signer: Signer,
    /// The permissions and limits in force (a scoped key's template, expanded).
    pub effective: UserPermissionLimits,
}

/// What the server knows about a connection when it authorizes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionContext {
    /// The client's address.
    pub ip: std::net::IpAddr,
    /// `STANDARD`, `WEBSOCKET`, `LEAFNODE`, …
    pub connection_type: String,
    /// Whether the client proved possession of the user key (signed the nonce).
    pub signed_nonce: bool,
}

impl ConnectionContext {
    /// A standard client connection from `ip` that signed the nonce.
    pub fn standard(ip: std::net::IpAddr) -> Self {
        Self {
            ip,
            connection_type: "STANDARD".into(),
            signed_nonce: true,
        }
    }
}

fn cidr_contains(cidr: &str, ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    let (net, bits) = match cidr.split_once('/') {
        Some((net, bits)) => (net, bits.parse::<u32>().ok()),
        None => (cidr, None),
    };
    match (net.parse::<IpAddr>(), ip) {
        (Ok(IpAddr::V4(n)), IpAddr::V4(i)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (Ok(IpAddr::V6(n)), IpAddr::V6(i)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

fn seconds_of_day(hms: &str) -> Option<i64> {
    let mut parts = hms.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    (parts.next().is_none() && h < 24 && m < 60 && s < 60).then_some(h * 3600 + m * 60 + s)
}

impl VerifiedUser {
    /// Applies the checks the server makes when a client connects: bearer (no nonce
    /// signature), source CIDRs, allowed connection types, and daily time windows (UTC or no
    /// location; other zones need a time-zone database and are refused here rather than
    /// guessed).
    pub fn admits(&self, ctx: &ConnectionContext, now: i64) -> Result<()> {
        let limits = &self.effective;
        if !ctx.signed_nonce && !limits.bearer_token {
            return Err(ChainError::NonceNotSigned.into());
        }
        if !limits.src.is_empty() && !limits.src.iter().any(|c| cidr_contains(c, ctx.ip)) {
            return Err(ChainError::SourceNotAllowed(ctx.ip).into());
        }
        if !limits.allowed_connection_types.is_empty()
            && !limits
                .allowed_connection_types
                .contains(&ctx.connection_type)
        {
            return Err(ChainError::ConnectionType(ctx.connection_type.to_string()).into());
        }
        if !limits.times.is_empty() {
            if !(limits.times_location.is_empty() || limits.times_location == "UTC") {
                return Err(ChainError::TimeZone(limits.times_location.clone()).into());
            }
            let now_s = now.rem_euclid(86_400);
            let inside = limits.times.iter().any(|t| {
                match (seconds_of_day(&t.start), seconds_of_day(&t.end)) {
                    (Some(a), Some(b)) if a <= b => (a..=b).contains(&now_s),
                    (Some(a), Some(b)) => now_s >= a || now_s <= b,
                    _ => false,
                }
            });
            if !inside {
                return Err(ChainError::OutsideTimeWindows.into());
            }
        }
        Ok(())
    }
}

/// An operator and the accounts it vouches for.
#[derive(Clone, Debug)]
pub struct TrustChain {
    operator: Claims<Operator>,
    accounts: HashMap<String, Claims<Account>>,
}

impl TrustChain {
    /// Trusts `operator_jwt` (self-signed).
    pub fn new(operator_jwt: &str) -> Result<Self> {
        let operator = Claims::<Operator>::decode(operator_jwt)?;
        if operator.iss != operator.sub {
            return Err(ChainError::OperatorNotSelfSigned.into());
        }
        Ok(Self {
            operator,
            accounts: HashMap::new(),
        })
    }

    /// The operator.
    pub fn operator(&self) -> &Claims<Operator> {
        &self.operator
    }

    /// Adds an account after checking that the operator (or, with strict signing-key usage,
    /// one of its signing keys) signed it.
    pub fn add_account(&mut self, account_jwt: &str) -> Result<&Claims<Account>> {
        let account = Claims::<Account>::decode(account_jwt)?;
        let op = &self.operator;
        let by_identity = account.iss == op.sub;
        let by_signing_key = op.nats.signing_keys.contains(&account.iss);
        if !(by_signing_key || (by_identity && !op.nats.strict_signing_key_usage)) {
            return Err(ChainError::AccountNotSignedByOperator(account.sub.clone()).into());
        }
        let key = account.sub.clone();
        Ok(self.accounts.entry(key).insert_entry(account).into_mut())
    }

    /// The account `key`, if added.
    pub fn account(&self, key: &str) -> Option<&Claims<Account>> {
        self.accounts.get(key)
    }

    /// Verifies a user JWT at `now` (Unix seconds).
    pub fn verify_user(&self, user_jwt: &str, now: i64) -> Result<VerifiedUser> {
        let claims = Claims::<User>::decode(user_jwt)?;
        let account_key = if claims.nats.issuer_account.is_empty() {
            &claims.iss
        } else {
            &claims.nats.issuer_account
        };
        let account = self
            .accounts
            .get(account_key)
            .ok_or_else(|| Error::from(ChainError::UnknownAccount(account_key.to_string())))?;
        if account.is_expired(now) {
            return Err(ChainError::AccountExpired.into());
        }
        let signer = if claims.iss == account.sub {
            // Under strict signing-key usage the server does not accept the account's identity
            // key as a user signer; users must be signed by one of its signing keys.
            if self.operator.nats.strict_signing_key_usage {
                return Err(ChainError::StrictSigningKeys.into());
            }
            Signer::Account
        } else {
            match account.nats.signing_key(&claims.iss) {
                Some(SigningKey::Plain(key)) => Signer::SigningKey(key.clone()),
                Some(SigningKey::Scoped(scope)) => Signer::Scoped {
                    key: scope.key.clone(),
                    role: scope.role.clone(),
                },
                None => {
                    return Err(ChainError::ForeignSigner {
                        signer: claims.iss.clone(),
                        account: account.sub.clone(),
                    }
                    .into());
                }
            }
        };
        if !matches!(signer, Signer::Account) && claims.nats.issuer_account != account.sub {
            return Err(ChainError::IssuerAccountMissing.into());
        }
        if claims.is_expired(now) {
            return Err(ChainError::UserExpired.into());
        }
        if claims.is_not_yet_valid(now) {
            return Err(ChainError::UserNotYetValid.into());
        }
        if account.nats.is_revoked(&claims.sub, claims.iat) {
            return Err(ChainError::UserRevoked.into());
        }
        let effective = match (&signer, account.nats.signing_key(&claims.iss)) {
            (Signer::Scoped { .. }, Some(SigningKey::Scoped(scope))) => {
                if !claims.nats.limits.is_empty() {
                    return Err(ChainError::ScopedUserHasPermissions.into());
                }
                expand_template(&scope.template, &claims, account)?
            }
            _ => claims.nats.limits.clone(),
        };
        if effective.bearer_token && account.nats.limits.disallow_bearer {
            return Err(ChainError::BearerNotAllowed.into());
        }
        Ok(VerifiedUser {
            account: account.sub.clone(),
            claims,
            signer,
            effective,
        })
    }

    /// Verifies a creds file's JWT (the seed was matched to the JWT when it was parsed).
    pub fn verify_creds(&self, creds: &Creds, now: i64) -> Result<VerifiedUser> {
        self.verify_user(&creds.jwt, now)
    }
}

/// Expands `{{name()}}`, `{{subject()}}`, `{{account-name()}}`, `{{account-subject()}}`,
/// `{{tag(x)}}` and `{{account-tag(x)}}` in a template's subjects (whole tokens only).
fn expand_template(
    template: &UserPermissionLimits,
    user: &Claims<User>,
    account: &Claims<Account>,
) -> Result<UserPermissionLimits> {
    let expand = |subject: &str| -> Result<String> {
        let tokens: Result<Vec<String>> = subject
            .split('.')
            .map(|token| {
                let Some(inner) = token.strip_prefix("{{").and_then(|t| t.strip_suffix("}}"))
                else {
                    return Ok(token.to_owned());
                };
                let inner = inner.trim();
                let tag = |tags: &[String], name: &str| {
                    tags.iter()
                        .find_map(|t| t.strip_prefix(&format!("{name}:")).map(str::to_owned))
                        .ok_or_else(|| Error::from(ChainError::TemplateTagMissing(name.to_owned())))
                };
                match inner {
                    "name()" => Ok(user.name.clone()),
                    "subject()" => Ok(user.sub.clone()),
                    "account-name()" => Ok(account.name.clone()),
                    "account-subject()" => Ok(account.sub.clone()),
                    _ => {
                        if let Some(name) = inner
                            .strip_prefix("account-tag(")
                            .and_then(|t| t.strip_suffix(')'))
                        {
                            tag(&account.nats.tags, name)
                        } else if let Some(name) =
                            inner.strip_prefix("tag(").and_then(|t| t.strip_suffix(')'))
                        {
                            tag(&user.nats.tags, name)
                        } else {
                            Err(ChainError::TemplateFunction(inner.to_owned()).into())
                        }
                    }
                }
            })
            .collect();
        Ok(tokens?.join("."))
    };
    let mut out = template.clone();
    for list in [
        &mut out.permissions.publish.allow,
        &mut out.permissions.publish.deny,
        &mut out.permissions.subscribe.allow,
        &mut out.permissions.subscribe.deny,
    ] {
        for s in list.iter_mut() {
            *s = expand(s)?;
        }
    }
    Ok(out)
}
