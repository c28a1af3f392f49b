//! The gateway on NATS (`[nats]`): the connection and the services answered there.
//!
//! - [`secrets`]: tenant secrets over request/reply on `mycelium.secrets.<tenant>.<name>` and
//!   `mycelium.integrations.<tenant>.<name>`, in a queue group so replicas share the load,
//!   readable by the accounts `[[nats.secrets.allow]]` names (cross-account through a service
//!   import; the server tells which account asks).
//! - [`issuer`]: NATS user credentials for registered nodes (`POST /v1/nats/credentials`).

pub mod issuer;
pub mod secrets;

use async_nats::ServerAddr;

use crate::config::NatsSettings;

/// Why the NATS connection failed.
#[derive(Debug, thiserror::Error)]
#[error("nats: {0}")]
pub struct NatsError(pub String);

/// Connects with the settings' servers and credentials file; `name` is the connection name
/// servers show in monitoring.
pub async fn connect(settings: &NatsSettings, name: &str) -> Result<async_nats::Client, NatsError> {
    let servers = settings
        .servers
        .iter()
        .map(|s| {
            s.parse::<ServerAddr>()
                .map_err(|e| NatsError(format!("{s}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut options = async_nats::ConnectOptions::new().name(name);
    if let Some(creds) = &settings.creds {
        options = options
            .credentials_file(creds)
            .await
            .map_err(|e| NatsError(format!("{}: {e}", creds.display())))?;
    }
    options
        .connect(servers)
        .await
        .map_err(|e| NatsError(e.to_string()))
}
