//! The seed documents' hierarchies, built in code (each example runs as a doctest).
//!
//! # hoodcloud: agents publish metrics into a JetStream control plane
//! Operator → `AGENT` (no JetStream; exports `metrics.>` as a stream) and `CONTROL_PLANE`
//! (JetStream; imports the stream), plus `SYS`. Each node gets a short-lived user JWT.
//! ```
//! use myc_natsauth::claims::*;
//! use myc_natsauth::{jwt, permissions, KeyKind, Nkey};
//! let operator = Nkey::generate(KeyKind::Operator)?;
//! let (agent, control) = (Nkey::generate(KeyKind::Account)?, Nkey::generate(KeyKind::Account)?);
//!
//! let mut agent_acc = Claims::new(agent.public_key(), "AGENT", Account::default());
//! agent_acc.nats.exports.push(Export::new("metrics", "metrics.>", ExportType::Stream));
//! let mut control_acc = Claims::new(control.public_key(), "CONTROL_PLANE", Account::default());
//! control_acc.nats.limits.jetstream = JetStreamLimits::unlimited();
//! control_acc.nats.imports.push(Import::new("metrics", agent.public_key(), "metrics.>", ExportType::Stream));
//! let (agent_jwt, control_jwt) = (agent_acc.encode(&operator)?, control_acc.encode(&operator)?);
//!
//! let node = Nkey::generate(KeyKind::User)?;
//! let mut node_claims = Claims::new(node.public_key(), "node-17", User::default());
//! node_claims.exp = jwt::now() + 300;
//! permissions::stream_publisher("metrics.>")
//!     .and(permissions::stream_subscriber(permissions::INBOX))
//!     .apply(&mut node_claims.nats.limits);
//! let node_jwt = node_claims.encode(&agent)?;
//! # let _ = (agent_jwt, control_jwt, node_jwt);
//! # Ok::<(), myc_natsauth::Error>(())
//! ```
//!
//! # Microbus: per-service credentials on a plane, with expiry and revocation
//! ```
//! use myc_natsauth::claims::*;
//! use myc_natsauth::{jwt, permissions, KeyKind, Nkey};
//! let account = Nkey::generate(KeyKind::Account)?;
//! let billing = Nkey::generate(KeyKind::User)?;
//! let mut claims = Claims::new(billing.public_key(), "billing.example", User::default());
//! claims.exp = jwt::now() + 14 * 24 * 3600;
//! permissions::service_responder("safe.*.*.billing_example.>", None)
//!     .and(permissions::service_requester("safe.888.billing_example.>", permissions::INBOX))
//!     .on_plane("prod")
//!     .apply(&mut claims.nats.limits);
//! assert!(claims.nats.limits.permissions.subscribe.allow.contains(&"prod.safe.*.*.billing_example.>".to_owned()));
//! let token = claims.encode(&account)?;
//!
//! // Revocation: the account lists the user; every JWT issued until now is refused.
//! let mut acc = Claims::new(account.public_key(), "APP", Account::default());
//! acc.nats.revoke(billing.public_key(), jwt::now());
//! assert!(acc.nats.is_revoked(&billing.public_key(), jwt::now()));
//! # let _ = token;
//! # Ok::<(), myc_natsauth::Error>(())
//! ```
//!
//! # Harmony: a JetStream account whose agents may only use their KV bucket
//! ```
//! use myc_natsauth::claims::*;
//! use myc_natsauth::{permissions, validate, KeyKind, Nkey};
//! let harmony = Nkey::generate(KeyKind::Account)?;
//! let mut acc = Claims::new(harmony.public_key(), "HARMONY", Account::default());
//! acc.nats.limits.jetstream = JetStreamLimits { streams: 10, consumer: 50, ..JetStreamLimits::unlimited() };
//! assert!(validate::account(&acc, None).is_ok());
//!
//! let agent = Nkey::generate(KeyKind::User)?;
//! let mut claims = Claims::new(agent.public_key(), "agent-3", User::default());
//! permissions::kv_read("agent_state", permissions::INBOX)
//!     .and(permissions::kv_write("agent_state"))
//!     .and(permissions::kv_watch("agent_state"))
//!     .apply(&mut claims.nats.limits);
//! # let _ = claims.encode(&harmony)?;
//! # Ok::<(), myc_natsauth::Error>(())
//! ```
//!
//! # Mycelium: a hub serves `mycelium.>` to org-land services over NATS
//! `HUB` exports `mycelium.>` as a service; `ORG` imports it; the gateway answers with
//! `allow_responses` and no publish rights; org services may only ask.
//! ```
//! use myc_natsauth::claims::*;
//! use myc_natsauth::{jwt, permissions, KeyKind, Nkey};
//! let operator = Nkey::generate(KeyKind::Operator)?;
//! let (hub, org) = (Nkey::generate(KeyKind::Account)?, Nkey::generate(KeyKind::Account)?);
//! let mut hub_acc = Claims::new(hub.public_key(), "HUB", Account::default());
//! let mut export = Export::new("mycelium", "mycelium.>", ExportType::Service);
//! export.response_type = Some(ResponseType::Singleton);
//! hub_acc.nats.exports.push(export);
//! let mut org_acc = Claims::new(org.public_key(), "ORG", Account::default());
//! org_acc.nats.imports.push(Import::new("mycelium", hub.public_key(), "mycelium.>", ExportType::Service));
//!
//! let gateway = Nkey::generate(KeyKind::User)?;
//! let mut gw = Claims::new(gateway.public_key(), "gateway", User::default());
//! permissions::service_responder("mycelium.>", Some("gateways")).apply(&mut gw.nats.limits);
//! let forest = Nkey::generate(KeyKind::User)?;
//! let mut fs = Claims::new(forest.public_key(), "forest", User::default());
//! fs.exp = jwt::now() + 14 * 24 * 3600;
//! permissions::service_requester("mycelium.>", permissions::INBOX).apply(&mut fs.nats.limits);
//! let tokens = [hub_acc.encode(&operator)?, org_acc.encode(&operator)?, gw.encode(&hub)?, fs.encode(&org)?];
//! # let _ = tokens;
//! # Ok::<(), myc_natsauth::Error>(())
//! ```
