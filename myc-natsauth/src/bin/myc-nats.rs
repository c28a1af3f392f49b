//! `myc-nats`: generate and inspect NATS decentralized-auth sites.
//!
//! Exit codes: 0 success; 1 failure or invalid token (one line on stderr); 2 usage error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use myc_natsauth::claims::{Account, Activation, Claims, Generic, Operator, User};
use myc_natsauth::creds::Creds;
use myc_natsauth::jwt;
use myc_natsauth::spec::{ResolverKind, Seeds, Site, Spec};

/// Generate and inspect NATS operator-mode sites (operator, accounts, users, server config).
#[derive(Parser, Debug)]
#[command(name = "myc-nats", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ResolverArg {
    /// All accounts preloaded in nats-server.conf.
    Memory,
    /// The NATS resolver: accounts stored as files in OUT/jwt.
    Full,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PrintSeeds {
    /// `export NAME=SEED` lines.
    Env,
    /// `vault kv put` commands.
    Vault,
}

// Help text shows <NAME>-style placeholders; rustdoc would read them as HTML tags.
#[allow(rustdoc::invalid_html_tags)]
#[derive(Subcommand, Debug)]
enum Command {
    /// Generate a site from a spec: OUT/operator.jwt, OUT/accounts/<NAME>.jwt,
    /// OUT/nats-server.conf and OUT/creds/<ACCOUNT>/<USER>.creds (0600).
    ///
    /// With --seeds DIR, keys are read from DIR (created 0700/0600 on first run), so running
    /// again reproduces the same keys and equal claims (only iat/jti differ). Without it,
    /// keys are fresh and --print-seeds prints them once; nothing secret but the creds files
    /// touches disk.
    Init {
        /// The site spec (TOML).
        #[arg(long)]
        spec: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Seed directory (read if present, created if not).
        #[arg(long)]
        seeds: Option<PathBuf>,
        /// Resolver for nats-server.conf.
        #[arg(long, value_enum, default_value = "memory")]
        resolver: ResolverArg,
        /// Print the generated seeds once (only without --seeds).
        #[arg(long, value_enum, conflicts_with = "seeds")]
        print_seeds: Option<PrintSeeds>,
    },
    /// Check a spec: findings with severity and a fix hint; exit 1 on any error.
    Lint {
        /// The site spec (TOML).
        #[arg(long)]
        spec: PathBuf,
    },
    /// Issue one service's creds, signed by the account's signing key (Microbus `gencreds`
    /// equivalent). `{{plane}}` in subjects is replaced by --plane.
    Creds {
        /// Seed directory of the site.
        #[arg(long)]
        seeds: PathBuf,
        /// Account name.
        #[arg(long)]
        account: String,
        /// Service name.
        #[arg(long)]
        name: String,
        /// Publish allow (repeatable).
        #[arg(long = "pub", value_name = "SUBJECT")]
        publish: Vec<String>,
        /// Subscribe allow (repeatable).
        #[arg(long = "sub", value_name = "SUBJECT")]
        subscribe: Vec<String>,
        /// Allow one reply per received request.
        #[arg(long)]
        allow_responses: bool,
        /// Lifetime (e.g. 14d, 12h).
        #[arg(long)]
        expires: Option<String>,
        /// Plane replacing {{plane}}.
        #[arg(long)]
        plane: Option<String>,
        /// Keep and reuse the user seed in this directory.
        #[arg(long)]
        persist_user_nkeys: Option<PathBuf>,
        /// The creds file to write (0600).
        #[arg(long)]
        out: PathBuf,
    },
    /// Revoke a user (U… key, or * for everyone) in a generated account, for JWTs issued at or
    /// before --at (Unix seconds; default now). Rewrites the account JWT and the config preload.
    Revoke {
        /// Seed directory of the site.
        #[arg(long)]
        seeds: PathBuf,
        /// The generated site directory.
        #[arg(long)]
        out: PathBuf,
        /// Account name.
        #[arg(long)]
        account: String,
        /// User public key (U…) or *.
        #[arg(long)]
        user: String,
        /// Revoke JWTs issued at or before this Unix time.
        #[arg(long)]
        at: Option<i64>,
    },
    /// Push account JWTs to running servers over $SYS (as a system-account user). Refuses to
    /// replace a server's JWT with an older one (the full resolver would accept it).
    Push {
        /// Server URL.
        #[arg(long)]
        server: String,
        /// Creds of a system-account user.
        #[arg(long)]
        creds: PathBuf,
        /// The server's resolver.
        #[arg(long, value_enum, default_value = "memory")]
        resolver: ResolverArg,
        /// Account JWT files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Report drift between two generated sites (claims, not timestamps); exit 1 on drift.
    Diff {
        /// First site directory.
        a: PathBuf,
        /// Second site directory.
        b: PathBuf,
    },
    /// Decode a JWT or creds file (argument: a file path or the token) and print its claims as
    /// JSON with its signature status; exit 1 if it does not verify or has expired.
    Describe {
        /// A file (JWT or creds) or the token itself.
        input: String,
    },
}

trait LowercaseFirst {
    fn to_lowercase_first(self) -> String;
}

impl LowercaseFirst for String {
    /// `Error code: …` → `error code: …`.
    fn to_lowercase_first(self) -> String {
        let mut chars = self.chars();
        match chars.next() {
            Some(c) => c.to_lowercase().chain(chars).collect(),
            None => self,
        }
    }
}

/// The account JWT a server currently holds: `CLAIMS.LOOKUP` (directory resolvers), else the
/// `jwt` of `ACCOUNT.<id>.INFO` (any resolver, once the account is loaded).
async fn current_jwt(client: &async_nats::Client, account: &str) -> Option<Claims<Account>> {
    let ask = |subject: String| async move {
        tokio::time::timeout(
            std::time::Duration::from_secs(2),
            client.request(subject, "".into()),
        )
        .await
        .ok()?
        .ok()
    };
    if let Some(reply) = ask(format!("$SYS.REQ.ACCOUNT.{account}.CLAIMS.LOOKUP")).await
        && let Ok(claims) =
            Claims::<Account>::decode(String::from_utf8_lossy(&reply.payload).trim())
    {
        return Some(claims);
    }
    let reply = ask(format!("$SYS.REQ.ACCOUNT.{account}.INFO")).await?;
    let info: serde_json::Value = serde_json::from_slice(&reply.payload).ok()?;
    Claims::<Account>::decode(info["data"]["jwt"].as_str()?).ok()
}

async fn push(
    server: &str,
    creds: &std::path::Path,
    resolver: ResolverArg,
    files: &[PathBuf],
) -> Result<String, String> {
    let creds_text =
        std::fs::read_to_string(creds).map_err(|e| format!("{}: {e}", creds.display()))?;
    let client = async_nats::ConnectOptions::with_credentials(&creds_text)
        .map_err(|e| e.to_string())?
        .connection_timeout(std::time::Duration::from_secs(5))
        .connect(server)
        .await
        .map_err(|e| format!("cannot connect to {server}: {e}"))?;
    let mut report = String::new();
    for file in files {
        let token =
            std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let token = token.trim().to_owned();
        let claims =
            Claims::<Account>::decode(&token).map_err(|e| format!("{}: {e}", file.display()))?;
        match current_jwt(&client, &claims.sub).await {
            Some(existing) if existing.iat > claims.iat => {
                return Err(format!(
                    "{}: the server holds a newer JWT for {} (iat {} > {}); refusing to replace it",
                    file.display(),
                    claims.name,
                    existing.iat,
                    claims.iat
                ));
            }
            Some(_) => {}
            None => report.push_str(&format!(
                "note: the server has not loaded {}; its preload could not be compared\n",
                claims.name
            )),
        }
        let subject = match resolver {
            ResolverArg::Memory => format!("$SYS.REQ.ACCOUNT.{}.CLAIMS.UPDATE", claims.sub),
            ResolverArg::Full => "$SYS.REQ.CLAIMS.UPDATE".to_owned(),
        };
        let reply = client
            .request(subject, token.clone().into())
            .await
            .map_err(|e| e.to_string())?;
        let answer = String::from_utf8_lossy(&reply.payload).into_owned();
        if !answer.contains("jwt updated") {
            return Err(format!(
                "{}: the server refused the update: {answer}",
                file.display()
            ));
        }
        report.push_str(&format!("pushed {} ({})\n", claims.name, claims.sub));
    }
    Ok(report)
}

fn describe(input: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(input).unwrap_or_else(|_| input.to_owned());
    let token = match Creds::parse(&text) {
        Ok(creds) => creds.jwt,
        Err(_) => text.trim().to_owned(),
    };
    let kind = jwt::peek_type(&token).map_err(|e| e.to_string())?;
    let (claims, exp) = match kind.as_str() {
        "operator" => Claims::<Operator>::decode(&token).map(|c| (serde_json::to_value(&c), c.exp)),
        "account" => Claims::<Account>::decode(&token).map(|c| (serde_json::to_value(&c), c.exp)),
        "user" => Claims::<User>::decode(&token).map(|c| (serde_json::to_value(&c), c.exp)),
        "activation" => {
            Claims::<Activation>::decode(&token).map(|c| (serde_json::to_value(&c), c.exp))
        }
        _ => Claims::<Generic>::decode(&token).map(|c| (serde_json::to_value(&c), c.exp)),
    }
    .map_err(|e| format!("{kind} JWT does not verify: {e}"))?;
    let claims = claims.map_err(|e| e.to_string())?;
    let expired = exp != 0 && jwt::now() > exp;
    let out = serde_json::json!({ "type": kind, "signature": "valid", "expired": expired, "claims": claims });
    let text = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?;
    if expired {
        return Err(format!("{kind} JWT expired at {exp}\n{text}"));
    }
    Ok(text)
}

fn run(cli: Cli) -> Result<String, String> {
    match cli.command {
        Command::Init {
            spec,
            out,
            seeds,
            resolver,
            print_seeds,
        } => {
            let spec = Spec::read(&spec).map_err(|e| e.to_string())?;
            let mut seed_source = match &seeds {
                Some(dir) => Seeds::in_dir(dir),
                None => Seeds::ephemeral(),
            };
            let site = Site::generate(&spec, &mut seed_source).map_err(|e| e.to_string())?;
            let resolver = match resolver {
                ResolverArg::Memory => ResolverKind::Memory,
                ResolverArg::Full => ResolverKind::Full,
            };
            site.write(&out, resolver).map_err(|e| e.to_string())?;
            let mut report = format!(
                "wrote {} accounts and {} users to {}\n",
                site.accounts.len(),
                site.users.len(),
                out.display()
            );
            if let Some(format) = print_seeds {
                for (label, seed) in seed_source.generated() {
                    let name = format!(
                        "NATS_SEED_{}",
                        label.replace(['/', '-'], "_").to_uppercase()
                    );
                    match format {
                        PrintSeeds::Env => {
                            report.push_str(&format!("export {name}={}\n", seed.as_str()))
                        }
                        PrintSeeds::Vault => report.push_str(&format!(
                            "vault kv put secret/nats/{label} seed={}\n",
                            seed.as_str()
                        )),
                    }
                }
            }
            Ok(report)
        }
        Command::Describe { input } => describe(&input),
        Command::Creds {
            seeds,
            account,
            name,
            publish,
            subscribe,
            allow_responses,
            expires,
            plane,
            persist_user_nkeys,
            out,
        } => {
            let request = myc_natsauth::spec::CredsRequest {
                account,
                name,
                publish,
                subscribe,
                allow_responses,
                expires,
                plane,
                persist_user_nkeys,
            };
            let text =
                myc_natsauth::spec::issue_creds(&seeds, &request).map_err(|e| e.to_string())?;
            myc_natsauth::write_private(&out, text.as_bytes(), true).map_err(|e| e.to_string())?;
            Ok(format!("wrote {}\n", out.display()))
        }
        Command::Revoke {
            seeds,
            out,
            account,
            user,
            at,
        } => {
            myc_natsauth::spec::revoke(&seeds, &out, &account, &user, at.unwrap_or_else(jwt::now))
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "revoked {user} in {account}; push accounts/{account}.jwt to running servers\n"
            ))
        }
        Command::Push {
            server,
            creds,
            resolver,
            files,
        } => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(push(&server, &creds, resolver, &files))
        }
        Command::Lint { spec } => {
            let spec = Spec::read(&spec).map_err(|e| e.to_string())?;
            let report = myc_natsauth::spec::lint(&spec);
            let lines: Vec<String> = report
                .findings
                .iter()
                .map(|f| format!("{:?} {}: {}", f.severity, f.code, f.message).to_lowercase_first())
                .collect();
            if report.is_ok() {
                Ok(if lines.is_empty() {
                    "no findings\n".to_owned()
                } else {
                    lines.join("\n")
                })
            } else {
                let errors = report
                    .findings
                    .iter()
                    .filter(|f| f.severity == myc_natsauth::validate::Severity::Error)
                    .count();
                Err(format!(
                    "{errors} error(s) in the spec\n{}",
                    lines.join("\n")
                ))
            }
        }
        Command::Diff { a, b } => {
            let drift = myc_natsauth::spec::diff_sites(&a, &b).map_err(|e| e.to_string())?;
            if drift.is_empty() {
                Ok("no drift\n".to_owned())
            } else {
                Err(format!(
                    "{} difference(s)\n{}",
                    drift.len(),
                    drift.join("\n")
                ))
            }
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(out) => {
            print!("{out}");
            if !out.ends_with('\n') {
                println!();
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            let mut lines = message.lines();
            eprintln!("myc-nats: {}", lines.next().unwrap_or_default());
            let rest: Vec<&str> = lines.collect();
            if !rest.is_empty() {
                println!("{}", rest.join("\n"));
            }
            ExitCode::from(1)
        }
    }
}
