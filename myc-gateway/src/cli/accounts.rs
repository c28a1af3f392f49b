//! `accounts`: create, deactivate, activate.

use clap::Subcommand;
use myc_gateway::store::{NewAccount, SqlStore, Store};
use serde_json::json;

use super::context::{Context, audit};
use super::error::CliError;

#[derive(Subcommand, Debug)]
pub(crate) enum AccountsCommand {
    /// Create the seed (staff and manager) account.
    CreateSeedAccount {
        /// The owner's e-mail.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Create a user account.
    Create {
        /// The owner's e-mail.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Deactivate an account: refused on every route (connection strings at once, JWTs
    /// within the running gateway's profile TTL).
    Deactivate {
        /// The owner's e-mail.
        #[arg(long)]
        email: String,
    },
    /// Activate an account again.
    Activate {
        /// The owner's e-mail.
        #[arg(long)]
        email: String,
    },
}

pub(crate) async fn run(command: AccountsCommand, cx: &Context) -> Result<(), CliError> {
    let store = cx.store().await?;
    let account = match command {
        AccountsCommand::CreateSeedAccount { email, name } => {
            store
                .create_account(NewAccount::seed(&email, &name))
                .await?
        }
        AccountsCommand::Create { email, name } => {
            let new = NewAccount {
                name: &name,
                ..NewAccount::user(&email)
            };
            store.create_account(new).await?
        }
        AccountsCommand::Deactivate { email } => {
            return set_active(cx, &store, &email, false).await;
        }
        AccountsCommand::Activate { email } => return set_active(cx, &store, &email, true).await,
    };
    let action = if account.is_staff {
        "cli.accounts.createSeedAccount"
    } else {
        "cli.accounts.create"
    };
    audit(
        &store,
        action,
        None,
        Some(account.id),
        json!({ "email": account.email }),
    )
    .await?;
    println!("account {} ({})", account.id, account.email);
    Ok(())
}

/// `userManager.account.activate` / `.deactivate` through the admin API's use case.
async fn set_active(
    cx: &Context,
    store: &SqlStore,
    email: &str,
    active: bool,
) -> Result<(), CliError> {
    let account = store
        .account_by_email(email)
        .await?
        .ok_or_else(|| CliError::NotFound(format!("no account for {email}")))?;
    let method = if active {
        "userManager.account.activate"
    } else {
        "userManager.account.deactivate"
    };
    cx.run_method(method, json!({ "accountId": account.id }))
        .await?;
    let state = if active { "active" } else { "inactive" };
    println!("account {} ({}) {state}", account.id, account.email);
    Ok(())
}
