//! NATS decentralized auth in Rust: nkeys, JWT v2 claims, signing and verification, trust
//! chains, creds files and server configuration — what `nsc` does, as a library.
//!
//! | module | what |
//! |---|---|
//! | [`claims`] | operator, account, user, activation, generic and auth-callout claims (Go-compatible JSON, safe defaults) |
//! | [`jwt`] | encode (sign, Go's `jti`) and decode (verify, type, issuer kind, version, size) |
//! | [`chain`] | trust-chain verification as the server does it (signing keys, scopes, revocation, expiry) |
//! | [`validate`] | the rules nats-server enforces or trips over (CONNECT budget, JetStream on SYS, …) |
//! | [`permissions`] | exact subject presets: KV, JetStream, services, streams, planes |
//! | [`creds`] | creds files (Go layout, robust parsing, 0600) |
//! | [`server_config`] | operator-mode server configs (MEMORY or full resolver, JetStream, TLS, leaf nodes) |
//! | [`wire`] | the credential issuer's request/response bodies |
//! | `issuer` (feature `issuer`) | the credential issuer: HTTP router and NATS responder |
//! | `client` (feature `client`) | the self-renewing client: seed, stored creds, background renewal, async-nats auth callback |
//! | `spec` (feature `spec`) | the declarative site spec behind `myc-nats` |
//! | [`guide`] | the hoodcloud, Microbus, Harmony and Mycelium hierarchies in code |
//!
//! Every claim shape here is exercised against real nats-server 2.15.1 and 2.9.10 processes in
//! `tests/` (pub/sub permissions, service and stream imports with activations, response types,
//! allow_responses, expiry, live revocation over `$SYS`, limits, bearer, CIDRs, connection types,
//! signing keys and scopes, JetStream and KV, auth callout, the full resolver).
//!
//! ```
//! use myc_natsauth::claims::{Account, Claims, Operator, User};
//! use myc_natsauth::{KeyKind, Nkey};
//!
//! // Operator → account → user, as in `nsc add operator/account/user`.
//! let operator = Nkey::generate(KeyKind::Operator)?;
//! let account = Nkey::generate(KeyKind::Account)?;
//! let user = Nkey::generate(KeyKind::User)?;
//!
//! let operator_jwt = Claims::new(operator.public_key(), "OP", Operator::default()).encode(&operator)?;
//! let account_jwt = Claims::new(account.public_key(), "APP", Account::default()).encode(&operator)?;
//! let mut user_claims = Claims::new(user.public_key(), "svc", User::default());
//! user_claims.nats.limits.permissions.publish.allow = vec!["orders.>".into()];
//! let user_jwt = user_claims.encode(&account)?;
//!
//! let decoded = Claims::<User>::decode(&user_jwt)?;
//! assert_eq!(decoded.iss, account.public_key());
//! # let _ = (operator_jwt, account_jwt);
//! # Ok::<(), myc_natsauth::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod chain;
pub mod claims;
#[cfg(feature = "client")]
pub mod client;
pub mod creds;
mod error;
pub mod guide;
#[cfg(feature = "issuer")]
pub mod issuer;
pub mod jwt;
mod keys;
pub mod permissions;
pub mod server_config;
#[cfg(feature = "spec")]
pub mod spec;
pub mod validate;
pub mod wire;

pub use error::{Error, Result};
pub use keys::{CurveKey, KeyKind, Nkey, is_public_key, verify, write_private};
