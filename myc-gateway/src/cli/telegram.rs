//! `telegram`: the Telegram identity source.

use std::io::Read;

use clap::Subcommand;
use uuid::Uuid;

use super::context::Context;
use super::error::CliError;

#[derive(Subcommand, Debug)]
pub(crate) enum TelegramCommand {
    /// Seal a tenant's bot token and webhook secret, read from stdin as
    /// `{"botToken": "…", "webhookSecret": "…"}`.
    Config {
        /// The tenant.
        #[arg(long)]
        tenant: Uuid,
    },
}

#[derive(serde::Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BotConfig {
    bot_token: String,
    webhook_secret: String,
}

pub(crate) async fn run(command: TelegramCommand, cx: &Context) -> Result<(), CliError> {
    let TelegramCommand::Config { tenant } = command;
    let mut input = zeroize::Zeroizing::new(String::new());
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut input)
        .map_err(|source| CliError::Stdio {
            stream: "stdin",
            source,
        })?;
    let bot: BotConfig = serde_json::from_str(&input)
        .map_err(|_| CliError::Input("{\"botToken\": \"…\", \"webhookSecret\": \"…\"}"))?;
    let (config, vault) = cx.vault().await?;
    let settings = config
        .telegram
        .ok_or_else(|| CliError::NotFound("no [gateway.telegram] section".into()))?;
    let telegram = myc_gateway::telegram::Telegram::new(vault, config.auth.clone(), settings);
    telegram
        .configure(tenant, &bot.bot_token, &bot.webhook_secret)
        .await?;
    println!("telegram configured for tenant {tenant}");
    Ok(())
}
