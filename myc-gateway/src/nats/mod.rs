//! The gateway on NATS (`[nats]`): the connection and the services answered there.
//!
//! - [`secrets`]: tenant secrets over request/reply on `mycelium.secrets.<tenant>.<name>` and
//!   `mycelium.integrations.<tenant>.<name>`, in a queue group so replicas share the load,
//!   readable by the accounts `[[nats.secrets.allow]]` names (cross-account through a service
//!   import; the server tells which account asks).
//! - [`issuer`]: NATS user credentials for registered nodes (`POST /v1/nats/credentials`).
//! - [`renewing`]: the gateway's own credentials from an issuer (`[nats.renewing]`, HTTP or
//!   HTTPS).

pub mod issuer;
pub mod renewing;
pub mod secrets;

use async_nats::ServerAddr;

use crate::config::NatsSettings;

/// Why a NATS connection or service could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NatsError {
    /// A `nats.servers` entry is not a server address.
    #[error("nats: {server}: {source}")]
    ServerAddress {
        /// The entry.
        server: String,
        /// Why.
        source: std::io::Error,
    },
    /// `nats.renewing.issuer_url` cannot be used.
    #[error("nats: nats.renewing.issuer_url: {0}")]
    IssuerUrl(String),
    /// No credentials could be obtained from the issuer.
    #[error("nats: credentials from the issuer: {0}")]
    Credentials(#[from] myc_natsauth::client::ClientError),
    /// The creds file could not be read.
    #[error("nats: {path}: {source}")]
    CredsFile {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No server accepted the connection.
    #[error("nats: {0}")]
    Connect(#[from] async_nats::ConnectError),
    /// A service's subscription failed.
    #[error("nats: {0}")]
    Subscribe(#[from] async_nats::SubscribeError),
    /// The server did not confirm the subscriptions.
    #[error("nats: {0}")]
    Flush(#[from] async_nats::client::FlushError),
    /// The issuer's signing key or claims are not usable.
    #[error("nats: issuer: {0}")]
    Issuer(#[from] myc_natsauth::Error),
}

/// A connection and, with `[nats.renewing]`, the credentials that keep it authenticated
/// (renewal stops when this is dropped).
#[derive(Debug)]
pub struct Connection {
    /// The client.
    pub client: async_nats::Client,
    renewing: Option<myc_natsauth::client::RenewingCredentials>,
}

impl Connection {
    /// Stops renewing (if any) and wipes the node seed from memory.
    pub async fn close(self) {
        if let Some(renewing) = self.renewing {
            renewing.close().await;
        }
    }
}

/// Connects with the settings' servers and credentials (a creds file, or self-renewing
/// credentials from an issuer, whose HTTPS certificate must chain to the system's roots or
/// `tls_roots`); `name` is the connection name servers show in monitoring.
pub async fn connect(
    settings: &NatsSettings,
    tls_roots: &[Vec<u8>],
    name: &str,
) -> Result<Connection, NatsError> {
    let servers = settings
        .servers
        .iter()
        .map(|s| {
            s.parse::<ServerAddr>()
                .map_err(|source| NatsError::ServerAddress {
                    server: s.clone(),
                    source,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(renewing) = &settings.renewing {
        use myc_natsauth::client::{ClientConfig, NodeIdentity, RenewingCredentials};
        let source = renewing::IssuerClient::new(
            &renewing.issuer_url,
            NodeIdentity::new(renewing.node_id.clone(), renewing.node_token.as_str()),
            tls_roots,
        )
        .map_err(NatsError::IssuerUrl)?;
        let credentials =
            RenewingCredentials::start(ClientConfig::in_dir(&renewing.state_dir), source).await?;
        let options = credentials.connect_options().name(name);
        let client = options.connect(servers).await?;
        credentials.follow(client.clone());
        return Ok(Connection {
            client,
            renewing: Some(credentials),
        });
    }
    let mut options = async_nats::ConnectOptions::new().name(name);
    if let Some(creds) = &settings.creds {
        options = options
            .credentials_file(creds)
            .await
            .map_err(|source| NatsError::CredsFile {
                path: creds.clone(),
                source,
            })?;
    }
    let client = options.connect(servers).await?;
    Ok(Connection {
        client,
        renewing: None,
    })
}
