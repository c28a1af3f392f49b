//! What every command shares: the global `--config` and what it opens.

use std::path::{Path, PathBuf};

use myc_gateway::admin;
use myc_gateway::config::Config;
use myc_gateway::store::SqlStore;
use myc_gateway::vault::SecretVault;

use super::error::CliError;

/// The global arguments.
pub(crate) struct Context {
    config: Option<PathBuf>,
}

impl Context {
    pub(crate) fn new(config: Option<PathBuf>) -> Self {
        Self { config }
    }

    /// The `--config` path (a usage error without it).
    pub(crate) fn config_path(&self) -> Result<&Path, CliError> {
        self.config.as_deref().ok_or(CliError::MissingConfig)
    }

    /// The loaded configuration; its warnings are logged.
    pub(crate) fn config(&self) -> Result<Config, CliError> {
        let path = self.config_path()?;
        let loaded = Config::load(path)?;
        for warning in &loaded.warnings {
            tracing::warn!("{}: {warning}", path.display());
        }
        Ok(loaded)
    }

    /// The configured store.
    pub(crate) async fn store(&self) -> Result<SqlStore, CliError> {
        Ok(admin::open_store(&self.config()?).await?)
    }

    /// The configuration, with the sealed-secrets vault over its store.
    pub(crate) async fn vault(&self) -> Result<(Config, SecretVault<SqlStore>), CliError> {
        let config = self.config()?;
        let store = admin::open_store(&config).await?;
        let vault = admin::vault(&config, store)?;
        Ok((config, vault))
    }
}

impl Context {
    /// Runs the admin API's `method` with `params` as the local operator, through the same use
    /// cases (authorization, validation, audit trail) as `POST /_adm/rpc`.
    pub(crate) async fn run_method(
        &self,
        method: &str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value, CliError> {
        use myc_directory::rpc::{Api, methods};
        let spec = methods::find(method).ok_or_else(|| {
            CliError::NotFound(format!("no admin method {method:?} (see `admin methods`)"))
        })?;
        let config = self.config()?;
        let mut api = Api::new(admin::open_store(&config).await?);
        if let Some(hmac) = &config.auth.connection_strings {
            let keyring = hmac
                .keyring()
                .map_err(|e| CliError::Refused(format!("connection-string keys: {e}")))?;
            api = api.with_connection_strings(std::sync::Arc::new(keyring));
        }
        if let Some(secrets) = &config.secrets {
            let keys = myc_directory::webhooks::WebhookKeys::new(secrets.master.clone());
            api = api.with_webhook_keys(std::sync::Arc::new(keys));
        }
        api.run(
            &myc_directory::usecase::Caller::local_operator(),
            spec,
            params,
        )
        .await
        .map_err(|e| CliError::Refused(format!("{method}: {}", e.message)))
    }
}

/// Records a mutation made from the command line in the directory's audit trail (the actor
/// is the local operator: no account; `detail.via = "cli"`). Never holds secrets.
pub(crate) async fn audit(
    store: &SqlStore,
    action: &str,
    tenant: Option<uuid::Uuid>,
    account: Option<uuid::Uuid>,
    mut detail: serde_json::Value,
) -> Result<(), CliError> {
    if let Some(map) = detail.as_object_mut() {
        map.insert("via".into(), "cli".into());
    }
    store
        .record_audit(myc_gateway::store::NewAuditEvent {
            actor_account: None,
            actor_email: None,
            action,
            tenant_id: tenant,
            account_id: account,
            detail,
        })
        .await?;
    Ok(())
}

/// `-` for nothing, else the value.
pub(crate) fn show<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}
