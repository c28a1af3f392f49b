//! `secrets`: tenant secrets and integration credentials.

use std::io::{Read, Write};

use clap::{Args, Subcommand};
use myc_gateway::admin;
use myc_gateway::nats::secrets::{Kind, split_stored, stored_name};
use myc_gateway::store::Store;
use uuid::Uuid;

use super::context::Context;
use super::error::CliError;

#[derive(Args, Debug)]
pub(crate) struct SecretRef {
    /// The tenant.
    #[arg(long)]
    tenant: Uuid,
    /// The secret's name (ASCII letters, digits, '-', '_', '.', '/').
    #[arg(long)]
    name: String,
    /// An integration credential (`mycelium.integrations.*`) rather than a secret.
    #[arg(long)]
    integration: bool,
}

impl SecretRef {
    fn stored(&self) -> String {
        let kind = if self.integration {
            Kind::Integration
        } else {
            Kind::Secret
        };
        stored_name(kind, &self.name)
    }

    fn missing(&self) -> CliError {
        CliError::NotFound(format!("tenant {} has no {:?}", self.tenant, self.name))
    }
}

#[derive(Subcommand, Debug)]
pub(crate) enum SecretsCommand {
    /// Seal and store a value read from stdin (one trailing newline is dropped).
    Put(SecretRef),
    /// Print a value.
    Get(SecretRef),
    /// List a tenant's names (never values).
    List {
        /// The tenant.
        #[arg(long)]
        tenant: Uuid,
    },
    /// Delete a value.
    Delete(SecretRef),
}

pub(crate) async fn run(command: SecretsCommand, cx: &Context) -> Result<(), CliError> {
    let stdio = |stream| move |source| CliError::Stdio { stream, source };
    match command {
        SecretsCommand::Put(secret) => {
            let (_, vault) = cx.vault().await?;
            let mut value = zeroize::Zeroizing::new(Vec::new());
            std::io::stdin()
                .take(admin::MAX_SECRET_BYTES as u64 + 2)
                .read_to_end(&mut value)
                .map_err(stdio("stdin"))?;
            admin::put_secret(&vault, secret.tenant, &secret.stored(), value).await?;
            println!("stored {} of tenant {}", secret.name, secret.tenant);
        }
        SecretsCommand::Get(secret) => {
            let (_, vault) = cx.vault().await?;
            let value = vault
                .get(secret.tenant, &secret.stored())
                .await?
                .ok_or_else(|| secret.missing())?;
            std::io::stdout()
                .write_all(&value)
                .map_err(stdio("stdout"))?;
        }
        SecretsCommand::List { tenant } => {
            for stored in cx.store().await?.sealed_names(tenant).await? {
                if let Some((kind, name)) = split_stored(&stored) {
                    let label = match kind {
                        Kind::Secret => "secret",
                        Kind::Integration => "integration",
                    };
                    println!("{label}\t{name}");
                }
            }
        }
        SecretsCommand::Delete(secret) => {
            let deleted = cx
                .store()
                .await?
                .delete_sealed(secret.tenant, &secret.stored())
                .await?;
            if !deleted {
                return Err(secret.missing());
            }
            println!("deleted {}", secret.name);
        }
    }
    Ok(())
}
