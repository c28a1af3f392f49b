//! `myc-gateway`: the reference gateway binary (thin: parsing arguments, starting the library).
//!
//! Exit codes: 0 success; 1 runtime failure (one line on stderr); 2 usage error.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The Mycelium-compatible reference gateway.
#[derive(Parser, Debug)]
#[command(name = "myc-gateway", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Zero set-up demo: an echo upstream, the gateway in front of it with one route per
    /// security group, demo users, and curl commands to try (printed on stdout).
    Demo {
        /// Where the gateway listens.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
    /// Serve the gateway described by a configuration file, with identities from a directory
    /// file (TOML or JSON).
    Serve {
        /// The gateway configuration (TOML).
        #[arg(long)]
        config: PathBuf,
        /// The identity directory (tenants, accounts, licences).
        #[arg(long)]
        directory: PathBuf,
        /// Overrides `[api] serviceIp`/`servicePort`.
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Internal tokens, for operations and tests.
    Tokens {
        #[command(subcommand)]
        command: TokensCommand,
    },
}

#[derive(Subcommand, Debug)]
enum TokensCommand {
    /// Mint an internal JWT for a user with the first HMAC key of [gateway.auth.internal];
    /// prints the token.
    Mint {
        /// The gateway configuration (TOML).
        #[arg(long)]
        config: PathBuf,
        /// The user's e-mail.
        #[arg(long)]
        email: String,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("myc-gateway: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Tokens {
                command: TokensCommand::Mint { config, email, ttl },
            } => {
                let config = myc_gateway::config::Config::load(&config).map_err(|e| e.to_string())?;
                let token = myc_gateway::admin::mint_token(&config.auth, &email, ttl)
                    .map_err(|e| e.to_string())?;
                println!("{token}");
                Ok(())
            }
            Command::Serve {
                config,
                directory,
                listen,
            } => myc_gateway::serve::serve(&config, &directory, listen, |addr| {
                println!("listening on http://{addr}");
            })
            .await
            .map_err(|e| e.to_string()),
            Command::Demo { listen } => {
                let demo = myc_gateway::demo::start(listen)
                    .await
                    .map_err(|e| e.to_string())?;
                println!("myc-gateway demo: gateway on http://{} (upstream echo on {})", demo.gateway, demo.upstream);
                println!("users: alice (accountant write, reporter read), bob (reporter read), carol (no licences)");
                println!();
                for (command, expect) in &demo.commands {
                    match expect {
                        Some(code) => println!("{command}    # expect {code}"),
                        None => println!("{command}"),
                    }
                }
                println!();
                println!("ready (Ctrl-C to stop)");
                tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
                Ok::<(), String>(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("myc-gateway: {e}");
            ExitCode::from(1)
        }
    }
}
