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
        // A chosen id (imports, fixtures) is an operator's bootstrap: the admin API assigns ids.
        TenantsCommand::Create {
            name,
            owner,
            id: Some(id),
        } => {
            let tenant = store
                .create_tenant(&name, owner.as_deref(), Some(id))
                .await?;
            let detail = serde_json::json!({ "name": tenant.name, "owner": owner });
            audit(&store, "cli.tenants.create", Some(tenant.id), None, detail).await?;
            println!("{}", tenant.id);
        }
        TenantsCommand::Create {
            name,
            owner,
            id: None,
        } => {
            let owner_id = match owner {
                Some(email) => Some(
                    store
                        .owner_id(&email)
                        .await?
                        .ok_or_else(|| CliError::NotFound(format!("no account for {email}")))?,
                ),
                None => None,
            };
            let params = serde_json::json!({ "name": name, "ownerId": owner_id });
            let tenant = cx.run_method("managers.tenants.create", params).await?;
            println!("{}", tenant["id"].as_str().unwrap_or_default());
        }
        TenantsCommand::List => {
            let mut skip = 0;
            loop {
                let params = serde_json::json!({ "pageSize": 100, "skip": skip });
                let page = cx.run_method("managers.tenants.list", params).await?;
                let records = page["records"].as_array().cloned().unwrap_or_default();
                for tenant in &records {
                    let (id, name) = (&tenant["id"], &tenant["name"]);
                    println!(
                        "{}\t{}",
                        id.as_str().unwrap_or_default(),
                        name.as_str().unwrap_or_default()
                    );
                }
                skip += records.len();
                if records.is_empty() || skip as u64 >= page["count"].as_u64().unwrap_or(0) {
                    break;
                }
            }
        }
    }
    Ok(())
}
