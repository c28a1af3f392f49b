//! `myc-gateway`: the reference gateway binary (thin: parsing arguments, starting the library,
//! printing results).
//!
//! Exit codes: 0 success; 1 runtime failure (one line on stderr); 2 usage error.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use myc_gateway::admin::{self, IssueRequest};
use myc_gateway::config::Config;
use myc_gateway::store::{DirectoryFile, NewAccount, Store};
use uuid::Uuid;

// The proxy allocates and frees small buffers per request (headers, URIs, body frames);
// mimalloc's thread-local free lists cut that cost by about a third versus glibc malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The Mycelium-compatible reference gateway.
#[derive(Parser, Debug)]
#[command(name = "myc-gateway", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
struct ConfigArg {
    /// The gateway configuration (TOML).
    #[arg(long)]
    config: PathBuf,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Zero set-up demo: an echo upstream, the gateway in front of it with one route per
    /// security group, demo users in an embedded store, and curl commands to try (stdout).
    Demo {
        /// Where the gateway listens.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
    /// Serve the gateway a configuration file describes (identities from its store).
    Serve {
        #[command(flatten)]
        config: ConfigArg,
        /// Overrides `[api] serviceIp`/`servicePort`.
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Worker threads (default: one per CPU). `--workers 1` serves on a single-threaded
        /// runtime: one core and no work-stealing scheduler, like nginx's `worker_processes 1`
        /// (a one-CPU container, or one process per core).
        #[arg(long)]
        workers: Option<std::num::NonZeroUsize>,
    },
    /// Accounts.
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
    /// Tenants.
    Tenants {
        #[command(subcommand)]
        command: TenantsCommand,
    },
    /// Guest roles (a slug with a permission).
    GuestRoles {
        #[command(subcommand)]
        command: GuestRolesCommand,
    },
    /// Guests: accounts holding a role on a tenant.
    Guests {
        #[command(subcommand)]
        command: GuestsCommand,
    },
    /// Connection strings (only their hash is stored).
    ConnectionStrings {
        #[command(subcommand)]
        command: ConnectionStringsCommand,
    },
    /// Internal tokens, for operations and tests.
    Tokens {
        #[command(subcommand)]
        command: TokensCommand,
    },
    /// Bulk identities.
    Directory {
        #[command(subcommand)]
        command: DirectoryCommand,
    },
    /// Tenant secrets and integration credentials (sealed; served over NATS).
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
    /// Nodes the NATS credential issuer serves (`[nats.issuer]`).
    Nodes {
        #[command(subcommand)]
        command: NodesCommand,
    },
    /// The Telegram identity source.
    Telegram {
        #[command(subcommand)]
        command: TelegramCommand,
    },
    /// Key-encryption keys of sealed secrets.
    Kek {
        #[command(subcommand)]
        command: KekCommand,
    },
}

#[derive(Subcommand, Debug)]
enum AccountsCommand {
    /// Create the seed (staff and manager) account.
    CreateSeedAccount {
        #[command(flatten)]
        config: ConfigArg,
        /// The owner's e-mail.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Create a user account.
    Create {
        #[command(flatten)]
        config: ConfigArg,
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
        #[command(flatten)]
        config: ConfigArg,
        /// The owner's e-mail.
        #[arg(long)]
        email: String,
    },
    /// Activate an account again.
    Activate {
        #[command(flatten)]
        config: ConfigArg,
        /// The owner's e-mail.
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand, Debug)]
enum TenantsCommand {
    /// Create a tenant; prints its id.
    Create {
        #[command(flatten)]
        config: ConfigArg,
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
    List {
        #[command(flatten)]
        config: ConfigArg,
    },
}

#[derive(Subcommand, Debug)]
enum GuestRolesCommand {
    /// Create a guest role.
    Create {
        #[command(flatten)]
        config: ConfigArg,
        /// Slug (what `protectedByRoles` names).
        #[arg(long)]
        slug: String,
        /// read or write.
        #[arg(long, default_value = "read")]
        permission: String,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
enum GuestsCommand {
    /// Give an account (created for an unknown e-mail) a role on a tenant.
    Add {
        #[command(flatten)]
        config: ConfigArg,
        /// Tenant id.
        #[arg(long)]
        tenant: Uuid,
        /// The guest's e-mail.
        #[arg(long)]
        email: String,
        /// Guest-role slug.
        #[arg(long)]
        role: String,
        /// read or write.
        #[arg(long, default_value = "read")]
        permission: String,
    },
}

#[derive(Subcommand, Debug)]
enum ConnectionStringsCommand {
    /// Issue one for an account; prints it (it is not stored and cannot be shown again).
    Issue {
        #[command(flatten)]
        config: ConfigArg,
        /// The owner's e-mail.
        #[arg(long)]
        email: String,
        /// Scope it to a tenant.
        #[arg(long)]
        tenant: Option<Uuid>,
        /// Scope it to roles: `slug` or `slug:read|write` (repeatable).
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Lifetime in seconds (30 days).
        #[arg(long, default_value_t = 30 * 24 * 3600)]
        ttl: u32,
        /// A label shown by `list`.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List an account's connection strings (ids, scopes, expiry, revocation; never values).
    List {
        #[command(flatten)]
        config: ConfigArg,
        /// The owner's e-mail.
        #[arg(long)]
        email: String,
    },
    /// Revoke one by id.
    Revoke {
        #[command(flatten)]
        config: ConfigArg,
        /// Its id (from `issue` or `list`).
        #[arg(long)]
        id: Uuid,
    },
}

#[derive(Subcommand, Debug)]
enum TokensCommand {
    /// Mint an internal JWT for a user with the first HMAC key of [gateway.auth.internal];
    /// prints the token.
    Mint {
        #[command(flatten)]
        config: ConfigArg,
        /// The user's e-mail.
        #[arg(long)]
        email: String,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: u64,
    },
}

#[derive(Subcommand, Debug)]
enum DirectoryCommand {
    /// Import tenants, guest roles, accounts and licences from a TOML or JSON file
    /// (idempotent).
    Import {
        #[command(flatten)]
        config: ConfigArg,
        /// The file.
        file: PathBuf,
    },
}

#[derive(Args, Debug)]
struct SecretRef {
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

#[derive(Subcommand, Debug)]
enum SecretsCommand {
    /// Seal and store a value read from stdin (one trailing newline is dropped).
    Put {
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        secret: SecretRef,
    },
    /// Print a value.
    Get {
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        secret: SecretRef,
    },
    /// List a tenant's names (never values).
    List {
        #[command(flatten)]
        config: ConfigArg,
        /// The tenant.
        #[arg(long)]
        tenant: Uuid,
    },
    /// Delete a value.
    Delete {
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        secret: SecretRef,
    },
}

#[derive(Subcommand, Debug)]
enum NodesCommand {
    /// Register a node; prints its token (shown once, only a hash is stored).
    Add {
        #[command(flatten)]
        config: ConfigArg,
        /// The node id it will present.
        #[arg(long)]
        id: String,
        /// Subjects its users may publish to (repeatable).
        #[arg(long = "pub-allow")]
        pub_allow: Vec<String>,
        /// Subjects its users may subscribe to (repeatable).
        #[arg(long = "sub-allow")]
        sub_allow: Vec<String>,
        /// Lifetime of the JWTs it receives, in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: u64,
        /// Its users may reply to the requests they receive (a service, e.g. a gateway
        /// replica answering mycelium.secrets.>).
        #[arg(long)]
        allow_responses: bool,
    },
    /// List nodes (never tokens).
    List {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Revoke a node: it receives no further JWTs.
    Revoke {
        #[command(flatten)]
        config: ConfigArg,
        /// The node id.
        #[arg(long)]
        id: String,
    },
}

#[derive(Subcommand, Debug)]
enum TelegramCommand {
    /// Seal a tenant's bot token and webhook secret, read from stdin as
    /// `{"botToken": "…", "webhookSecret": "…"}`.
    Config {
        #[command(flatten)]
        config: ConfigArg,
        /// The tenant.
        #[arg(long)]
        tenant: Uuid,
    },
}

#[derive(Subcommand, Debug)]
enum KekCommand {
    /// Rewrap every DEK under `[gateway.secrets] kek_version` (older versions must still be
    /// derivable: they are 1..kek_version of the same master key).
    Rotate {
        #[command(flatten)]
        config: ConfigArg,
        /// Check and report without writing.
        #[arg(long)]
        dry_run: bool,
    },
}

fn load(config: &ConfigArg) -> Result<Config, String> {
    let loaded = Config::load(&config.config).map_err(|e| e.to_string())?;
    for warning in &loaded.warnings {
        tracing::warn!("{}: {warning}", config.config.display());
    }
    Ok(loaded)
}

fn read_file(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut text = String::new();
    file.take(myc_gateway::store::MAX_DIRECTORY_BYTES as u64 + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text)
}

fn show<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

async fn run(command: Command) -> Result<(), String> {
    let e = |e: admin::AdminError| e.to_string();
    let s = |e: myc_gateway::store::Error| e.to_string();
    match command {
        Command::Demo { listen } => {
            let demo = myc_gateway::demo::start(listen)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "myc-gateway demo: gateway on http://{} (upstream echo on {})",
                demo.gateway, demo.upstream
            );
            println!(
                "users: alice (accountant write, reporter read), bob (reporter read), carol (no licences)"
            );
            println!();
            for (command, expect) in &demo.commands {
                match expect {
                    Some(code) => println!("{command}    # expect {code}"),
                    None => println!("{command}"),
                }
            }
            println!();
            println!("ready (Ctrl-C to stop)");
            tokio::signal::ctrl_c().await.map_err(|e| e.to_string())
        }
        Command::Serve { config, listen, .. } => {
            myc_gateway::serve::serve(&config.config, listen, |url| {
                println!("listening on {url}");
            })
            .await
            .map_err(|e| e.to_string())
        }
        Command::Tokens {
            command: TokensCommand::Mint { config, email, ttl },
        } => {
            let config = load(&config)?;
            let token = admin::mint_token(&config.auth, &email, ttl).map_err(|e| e.to_string())?;
            println!("{token}");
            Ok(())
        }
        Command::Accounts { command } => {
            // (config, e-mail, Ok((name, seed)) to create, Err(active) to set the state)
            let (config, email, action) = match command {
                AccountsCommand::CreateSeedAccount {
                    config,
                    email,
                    name,
                } => (config, email, Ok((name, true))),
                AccountsCommand::Create {
                    config,
                    email,
                    name,
                } => (config, email, Ok((name, false))),
                AccountsCommand::Activate { config, email } => (config, email, Err(true)),
                AccountsCommand::Deactivate { config, email } => (config, email, Err(false)),
            };
            let store = admin::open_store(&load(&config)?).await.map_err(e)?;
            let (name, seed) = match action {
                Ok(create) => create,
                Err(active) => {
                    let account = store.set_account_active(&email, active).await.map_err(s)?;
                    let state = if active { "active" } else { "inactive" };
                    println!("account {} ({}) {state}", account.id, account.email);
                    return Ok(());
                }
            };
            let new = if seed {
                NewAccount::seed(&email, &name)
            } else {
                NewAccount {
                    name: &name,
                    ..NewAccount::user(&email)
                }
            };
            let account = store.create_account(new).await.map_err(s)?;
            println!("account {} ({})", account.id, account.email);
            Ok(())
        }
        Command::Tenants { command } => match command {
            TenantsCommand::Create {
                config,
                name,
                owner,
                id,
            } => {
                let store = admin::open_store(&load(&config)?).await.map_err(e)?;
                let tenant = store
                    .create_tenant(&name, owner.as_deref(), id)
                    .await
                    .map_err(s)?;
                println!("{}", tenant.id);
                Ok(())
            }
            TenantsCommand::List { config } => {
                let store = admin::open_store(&load(&config)?).await.map_err(e)?;
                for tenant in store.tenants().await.map_err(s)? {
                    println!("{}\t{}", tenant.id, tenant.name);
                }
                Ok(())
            }
        },
        Command::GuestRoles {
            command:
                GuestRolesCommand::Create {
                    config,
                    slug,
                    permission,
                    name,
                },
        } => {
            let permission = admin::parse_permission(&permission).map_err(e)?;
            let store = admin::open_store(&load(&config)?).await.map_err(e)?;
            let role = store
                .create_guest_role(&slug, &name, permission)
                .await
                .map_err(s)?;
            println!(
                "guest role {} {} ({})",
                role.id,
                role.slug,
                permission.as_str()
            );
            Ok(())
        }
        Command::Guests {
            command:
                GuestsCommand::Add {
                    config,
                    tenant,
                    email,
                    role,
                    permission,
                },
        } => {
            let permission = admin::parse_permission(&permission).map_err(e)?;
            let store = admin::open_store(&load(&config)?).await.map_err(e)?;
            let (link, created) = admin::add_guest(&store, tenant, &email, &role, permission)
                .await
                .map_err(e)?;
            if created {
                println!("created account {} for {email}", link.account_id);
            }
            println!(
                "{} {role} ({}) on tenant {tenant}",
                if link.created {
                    "granted"
                } else {
                    "already had"
                },
                permission.as_str()
            );
            Ok(())
        }
        Command::ConnectionStrings { command } => match command {
            ConnectionStringsCommand::Issue {
                config,
                email,
                tenant,
                roles,
                ttl,
                name,
            } => {
                let roles = roles
                    .iter()
                    .map(|r| admin::parse_scoped_role(r))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(e)?;
                let config = load(&config)?;
                let store = admin::open_store(&config).await.map_err(e)?;
                let (value, record) = admin::issue_connection_string(
                    &config.auth,
                    &store,
                    IssueRequest {
                        email: &email,
                        tenant,
                        roles,
                        ttl: chrono::Duration::seconds(i64::from(ttl)),
                        name: &name,
                    },
                )
                .await
                .map_err(e)?;
                eprintln!(
                    "connection string {} (expires {}); shown once:",
                    record.id,
                    show(record.expires_at)
                );
                println!("{value}");
                Ok(())
            }
            ConnectionStringsCommand::List { config, email } => {
                let store = admin::open_store(&load(&config)?).await.map_err(e)?;
                let account = store
                    .account_by_email(&email)
                    .await
                    .map_err(s)?
                    .ok_or_else(|| format!("no account for {email}"))?;
                println!("id\tname\ttenant\tcreated\texpires\trevoked");
                for r in store.connection_strings(account.id).await.map_err(s)? {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        r.id,
                        if r.name.is_empty() { "-" } else { &r.name },
                        show(r.tenant_id),
                        r.created_at,
                        show(r.expires_at),
                        show(r.revoked_at)
                    );
                }
                Ok(())
            }
            ConnectionStringsCommand::Revoke { config, id } => {
                let store = admin::open_store(&load(&config)?).await.map_err(e)?;
                store.revoke_connection_string(id).await.map_err(s)?;
                println!("revoked {id}");
                Ok(())
            }
        },
        Command::Directory {
            command: DirectoryCommand::Import { config, file },
        } => {
            let text = read_file(&file)?;
            let parsed =
                DirectoryFile::parse(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            let store = admin::open_store(&load(&config)?).await.map_err(e)?;
            let report = parsed
                .import(&store)
                .await
                .map_err(|e| format!("{}: {e}", file.display()))?;
            println!("{report}");
            Ok(())
        }
        Command::Secrets { command } => secrets(command).await,
        Command::Telegram {
            command: TelegramCommand::Config { config, tenant },
        } => {
            #[derive(serde::Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
            #[serde(rename_all = "camelCase", deny_unknown_fields)]
            struct BotConfig {
                bot_token: String,
                webhook_secret: String,
            }
            let mut input = zeroize::Zeroizing::new(String::new());
            std::io::stdin()
                .take(64 * 1024)
                .read_to_string(&mut input)
                .map_err(|e| format!("stdin: {e}"))?;
            let bot: BotConfig = serde_json::from_str(&input).map_err(|_| {
                "stdin must be {\"botToken\": \"…\", \"webhookSecret\": \"…\"}".to_owned()
            })?;
            let config = load(&config)?;
            let settings = config
                .telegram
                .ok_or_else(|| "no [gateway.telegram] section".to_owned())?;
            let store = admin::open_store(&config).await.map_err(e)?;
            let vault = admin::vault(&config, store).map_err(e)?;
            let telegram =
                myc_gateway::telegram::Telegram::new(vault, config.auth.clone(), settings);
            telegram
                .configure(tenant, &bot.bot_token, &bot.webhook_secret)
                .await
                .map_err(|e| e.to_string())?;
            println!("telegram configured for tenant {tenant}");
            Ok(())
        }
        Command::Nodes { command } => match command {
            NodesCommand::Add {
                config,
                id,
                pub_allow,
                sub_allow,
                ttl,
                allow_responses,
            } => {
                let store = admin::open_store(&load(&config)?).await.map_err(e)?;
                let (node, token) =
                    admin::add_node(&store, &id, pub_allow, sub_allow, ttl, allow_responses)
                        .await
                        .map_err(e)?;
                eprintln!(
                    "node {} added (JWTs for {} s); its token, shown once:",
                    node.id, node.ttl_secs
                );
                println!("{}", token.as_str());
                Ok(())
            }
            NodesCommand::List { config } => {
                let store = admin::open_store(&load(&config)?).await.map_err(e)?;
                println!("id\tpub_allow\tsub_allow\tttl_secs\tcreated\trevoked");
                for n in store.nodes().await.map_err(s)? {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        n.id,
                        n.pub_allow.join(","),
                        n.sub_allow.join(","),
                        n.ttl_secs,
                        n.created_at,
                        show(n.revoked_at)
                    );
                }
                Ok(())
            }
            NodesCommand::Revoke { config, id } => {
                let store = admin::open_store(&load(&config)?).await.map_err(e)?;
                store.revoke_node(&id).await.map_err(s)?;
                println!("revoked {id}");
                Ok(())
            }
        },
        Command::Kek {
            command: KekCommand::Rotate { config, dry_run },
        } => {
            let config = load(&config)?;
            let store = admin::open_store(&config).await.map_err(e)?;
            let vault = admin::vault(&config, store).map_err(e)?;
            let report = vault.rotate_kek(dry_run).await.map_err(s)?;
            println!(
                "{} {} of {} DEKs to KEK version {} ({} already current; by version before: {:?})",
                if dry_run { "would rewrap" } else { "rewrapped" },
                report.rewrapped,
                report.total,
                report.to_version,
                report.already_current,
                report.by_version
            );
            if report.conflicts > 0 {
                return Err(format!(
                    "{} DEKs changed during the rotation and were left as they were; run it again",
                    report.conflicts
                ));
            }
            Ok(())
        }
    }
}

async fn secrets(command: SecretsCommand) -> Result<(), String> {
    use myc_gateway::nats::secrets::{Kind, split_stored, stored_name};
    let e = |e: admin::AdminError| e.to_string();
    let s = |e: myc_gateway::store::Error| e.to_string();
    let kind = |r: &SecretRef| {
        if r.integration {
            Kind::Integration
        } else {
            Kind::Secret
        }
    };
    match command {
        SecretsCommand::Put { config, secret } => {
            let config = load(&config)?;
            let store = admin::open_store(&config).await.map_err(e)?;
            let vault = admin::vault(&config, store).map_err(e)?;
            let mut value = zeroize::Zeroizing::new(Vec::new());
            std::io::stdin()
                .take(admin::MAX_SECRET_BYTES as u64 + 2)
                .read_to_end(&mut value)
                .map_err(|e| format!("stdin: {e}"))?;
            admin::put_secret(
                &vault,
                secret.tenant,
                &stored_name(kind(&secret), &secret.name),
                value,
            )
            .await
            .map_err(e)?;
            println!("stored {} of tenant {}", secret.name, secret.tenant);
            Ok(())
        }
        SecretsCommand::Get { config, secret } => {
            let config = load(&config)?;
            let store = admin::open_store(&config).await.map_err(e)?;
            let vault = admin::vault(&config, store).map_err(e)?;
            let value = vault
                .get(secret.tenant, &stored_name(kind(&secret), &secret.name))
                .await
                .map_err(s)?
                .ok_or_else(|| format!("tenant {} has no {:?}", secret.tenant, secret.name))?;
            use std::io::Write;
            std::io::stdout()
                .write_all(&value)
                .map_err(|e| format!("stdout: {e}"))
        }
        SecretsCommand::List { config, tenant } => {
            let store = admin::open_store(&load(&config)?).await.map_err(e)?;
            for stored in store.sealed_names(tenant).await.map_err(s)? {
                if let Some((kind, name)) = split_stored(&stored) {
                    let label = match kind {
                        Kind::Secret => "secret",
                        Kind::Integration => "integration",
                    };
                    println!("{label}\t{name}");
                }
            }
            Ok(())
        }
        SecretsCommand::Delete { config, secret } => {
            let store = admin::open_store(&load(&config)?).await.map_err(e)?;
            if store
                .delete_sealed(secret.tenant, &stored_name(kind(&secret), &secret.name))
                .await
                .map_err(s)?
            {
                println!("deleted {}", secret.name);
                Ok(())
            } else {
                Err(format!("tenant {} has no {:?}", secret.tenant, secret.name))
            }
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    myc_tower::jwt::backend::install_default();
    // `serve` logs and sizes its runtime as its configuration says; other commands log
    // `info` to stderr.
    let (logging, workers) = match &cli.command {
        Command::Serve {
            workers, config, ..
        } => match load(config) {
            Ok(loaded) => (
                loaded.logging,
                workers
                    .map(std::num::NonZeroUsize::get)
                    .or(loaded.service_workers),
            ),
            Err(e) => {
                eprintln!("myc-gateway: {e}");
                return ExitCode::from(1);
            }
        },
        _ => (myc_gateway::logging::LoggingSettings::default(), None),
    };
    if let Err(e) = myc_gateway::logging::init(&logging) {
        eprintln!("myc-gateway: {e}");
        return ExitCode::from(1);
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
        Err(e) => {
            eprintln!("myc-gateway: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("myc-gateway: {e}");
            ExitCode::from(1)
        }
    }
}
