//! `tenants`: create and list.

use clap::Subcommand;
use myc_gateway::store::Store;
use uuid::Uuid;

use super::context::{Context, audit};
use super::error::CliError;

#[derive(Subcommand, Debug)]
pub(crate) enum TenantsCommand {
    /// Create a tenant; prints its id.
    Create {
        /// Name (unique).
        #[arg(long)]
        name: String,
        /// The owning account's e-mail.
        #[arg(long)]
        owner: Option<String>,
        /// A chosen id.
        #[arg(long)]
        id: Option<Uuid>,
    },
    /// List tenants.
    List,
}

pub(crate) async fn run(command: TenantsCommand, cx: &Context) -> Result<(), CliError> {
    let store = cx.store().await?;
    match command {
        TenantsCommand::Create { name, owner, id } => {
            let tenant = store.create_tenant(&name, owner.as_deref(), id).await?;
            let detail = serde_json::json!({ "name": tenant.name, "owner": owner });
            audit(&store, "cli.tenants.create", Some(tenant.id), None, detail).await?;
            println!("{}", tenant.id);
        }
        TenantsCommand::List => {
            for tenant in store.tenants().await? {
                println!("{}\t{}", tenant.id, tenant.name);
            }
        }
    }
    Ok(())
}
