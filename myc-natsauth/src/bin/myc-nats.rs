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
