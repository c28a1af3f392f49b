//! `connection-strings`: issue, list, revoke.

use clap::Subcommand;
use myc_gateway::admin::{self, IssueRequest};
use myc_gateway::store::Store;
use myc_profile::connection_string::ScopedRole;
use uuid::Uuid;

use super::args::Lifetime;
use super::context::{Context, audit, show};
use super::error::CliError;

#[derive(Subcommand, Debug)]
pub(crate) enum ConnectionStringsCommand {
    /// Issue one for an account; prints it (it is not stored and cannot be shown again).
    Issue {
        /// The owner's e-mail.
        #[arg(long)]
        email: String,
        /// Scope it to a tenant.
        #[arg(long)]
        tenant: Option<Uuid>,
        /// Scope it to roles: `slug` or `slug:read|write` (repeatable).
        #[arg(long = "role")]
        roles: Vec<ScopedRole>,
        /// Lifetime: seconds, or with a unit (`12h`, `30d`).
        #[arg(long, default_value = "30d")]
        ttl: Lifetime,
        /// A label shown by `list`.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List an account's connection strings (ids, scopes, expiry, revocation; never values).
    List {
        /// The owner's e-mail.
        #[arg(long)]
        email: String,
    },
    /// Revoke one by id.
    Revoke {
        /// Its id (from `issue` or `list`).
        #[arg(long)]
        id: Uuid,
    },
}

pub(crate) async fn run(command: ConnectionStringsCommand, cx: &Context) -> Result<(), CliError> {
    match command {
        ConnectionStringsCommand::Issue {
            email,
            tenant,
            roles,
            ttl,
            name,
        } => {
            let config = cx.config()?;
            let store = admin::open_store(&config).await?;
            let request = IssueRequest {
                email: &email,
                tenant,
                roles,
                ttl: ttl.chrono(),
                name: &name,
            };
            let (value, record) =
                admin::issue_connection_string(&config.auth, &store, request).await?;
            let detail = serde_json::json!({ "tokenId": record.id, "name": record.name });
            audit(
                &store,
                "cli.connectionStrings.issue",
                record.tenant_id,
                Some(record.account_id),
                detail,
            )
            .await?;
            eprintln!(
                "connection string {} (expires {}); shown once:",
                record.id,
                show(record.expires_at)
            );
            println!("{}", value.as_str());
        }
        ConnectionStringsCommand::List { email } => {
            let store = cx.store().await?;
            let account = store
                .account_by_email(&email)
                .await?
                .ok_or_else(|| CliError::NotFound(format!("no account for {email}")))?;
            println!("id\tname\ttenant\tcreated\texpires\trevoked");
            for r in store.connection_strings(account.id).await? {
                let name = if r.name.is_empty() { "-" } else { &r.name };
                println!(
                    "{}\t{name}\t{}\t{}\t{}\t{}",
                    r.id,
                    show(r.tenant_id),
                    r.created_at,
                    show(r.expires_at),
                    show(r.revoked_at)
                );
            }
        }
        ConnectionStringsCommand::Revoke { id } => {
            let store = cx.store().await?;
            store.revoke_connection_string(id).await?;
            audit(
                &store,
                "cli.connectionStrings.revoke",
                None,
                None,
                serde_json::json!({ "tokenId": id }),
            )
            .await?;
            println!("revoked {id}");
        }
    }
    Ok(())
}
