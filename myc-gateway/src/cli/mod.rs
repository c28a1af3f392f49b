//! The command line: global arguments, the command groups (one file each) and the runtime.
//!
//! Exit codes: 0 success; 1 runtime failure (one line on stderr); 2 usage error (clap's
//! message, including a command that needs `--config` run without it).

mod accounts;
mod admin;
mod args;
mod connection_strings;
mod context;
mod demo;
mod directory;
mod error;
mod guests;
mod kek;
mod nodes;
mod secrets;
mod serve;
mod telegram;
mod tenants;
mod tokens;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use context::Context;
use error::CliError;

/// The Mycelium-compatible reference gateway.
#[derive(Parser, Debug)]
#[command(name = "myc-gateway", version, about)]
struct Cli {
    /// The gateway configuration (TOML); every command but `demo` needs it.
    #[arg(long, global = true, env = "MYC_GATEWAY_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Zero set-up demo: an echo upstream, the gateway in front of it with one route per
    /// security group, demo users in an embedded store, and curl commands to try (stdout).
    Demo(demo::DemoArgs),
    /// Serve the gateway a configuration file describes (identities from its store).
    Serve(serve::ServeArgs),
    /// Accounts.
    #[command(subcommand)]
    Accounts(accounts::AccountsCommand),
    /// Any admin API method, run by the local operator through the same use cases as
    /// `POST /_adm/rpc` (authorized, validated, audited).
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Tenants.
    #[command(subcommand)]
    Tenants(tenants::TenantsCommand),
    /// Guest roles (a slug with a permission).
    #[command(subcommand)]
    GuestRoles(guests::GuestRolesCommand),
    /// Guests: accounts holding a role on a tenant.
    #[command(subcommand)]
    Guests(guests::GuestsCommand),
    /// Connection strings (only their hash is stored).
    #[command(subcommand)]
    ConnectionStrings(connection_strings::ConnectionStringsCommand),
    /// Internal tokens, for operations and tests.
    #[command(subcommand)]
    Tokens(tokens::TokensCommand),
    /// Bulk identities.
    #[command(subcommand)]
    Directory(directory::DirectoryCommand),
    /// Tenant secrets and integration credentials (sealed; served over NATS).
    #[command(subcommand)]
    Secrets(secrets::SecretsCommand),
    /// Nodes the NATS credential issuer serves (`[nats.issuer]`).
    #[command(subcommand)]
    Nodes(nodes::NodesCommand),
    /// The Telegram identity source.
    #[command(subcommand)]
    Telegram(telegram::TelegramCommand),
    /// Key-encryption keys of sealed secrets.
    #[command(subcommand)]
    Kek(kek::KekCommand),
}

async fn run(command: Command, cx: Context) -> Result<(), CliError> {
    match command {
        Command::Demo(args) => demo::run(args).await,
        Command::Serve(args) => serve::run(args, &cx).await,
        Command::Accounts(c) => accounts::run(c, &cx).await,
        Command::Admin(c) => admin::run(c, &cx).await,
        Command::Tenants(c) => tenants::run(c, &cx).await,
        Command::GuestRoles(c) => guests::run_roles(c, &cx).await,
        Command::Guests(c) => guests::run(c, &cx).await,
        Command::ConnectionStrings(c) => connection_strings::run(c, &cx).await,
        Command::Tokens(c) => tokens::run(c, &cx),
        Command::Directory(c) => directory::run(c, &cx).await,
        Command::Secrets(c) => secrets::run(c, &cx).await,
        Command::Nodes(c) => nodes::run(c, &cx).await,
        Command::Telegram(c) => telegram::run(c, &cx).await,
        Command::Kek(c) => kek::run(c, &cx).await,
    }
}

fn fail(e: &CliError) -> ExitCode {
    if let CliError::MissingConfig = e {
        Cli::command()
            .error(clap::error::ErrorKind::MissingRequiredArgument, e)
            .exit()
    }
    eprintln!("myc-gateway: {e}");
    ExitCode::from(1)
}

/// Parses the arguments, sets up logging and the runtime, runs the command.
pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    myc_tower::jwt::backend::install_default();
    let cx = Context::new(cli.config);
    // `serve` logs and sizes its runtime as its configuration says; other commands log
    // `info` to stderr.
    let (logging, workers) = match &cli.command {
        Command::Serve(args) => match serve::runtime_settings(args, &cx) {
            Ok(settings) => settings,
            Err(e) => return fail(&e),
        },
        _ => (myc_gateway::logging::LoggingSettings::default(), None),
    };
    if let Err(e) = myc_gateway::logging::init(&logging) {
        return fail(&CliError::Logging(e));
    }
    let runtime = match workers {
        Some(1) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Some(n) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build(),
        None => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    };
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => return fail(&CliError::Runtime(e)),
    };
    match runtime.block_on(run(cli.command, cx)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}
