//! `tokens`: internal JWTs for operations and tests.

use clap::Subcommand;
use myc_gateway::admin;

use super::args::Lifetime;
use super::context::Context;
use super::error::CliError;

#[derive(Subcommand, Debug)]
pub(crate) enum TokensCommand {
    /// Mint an internal JWT for a user with the first HMAC key of [gateway.auth.internal];
    /// prints the token.
    Mint {
        /// The user's e-mail.
        #[arg(long)]
        email: String,
        /// Lifetime: seconds, or with a unit (`15m`, `1h`).
        #[arg(long, default_value = "1h")]
        ttl: Lifetime,
    },
}

pub(crate) fn run(command: TokensCommand, cx: &Context) -> Result<(), CliError> {
    let TokensCommand::Mint { email, ttl } = command;
    let token = admin::mint_token(&cx.config()?.auth, &email, ttl.secs())?;
    println!("{token}");
    Ok(())
}
