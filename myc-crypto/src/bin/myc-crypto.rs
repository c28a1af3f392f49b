//! `myc-crypto`: generate master keys, seal and open values, rewrap DEKs, read upstream values.
//!
//! Exit codes: 0 success; 1 failure (one line on stderr, nothing on stdout); 2 usage error.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use myc_crypto::upstream::UpstreamKek;
use myc_crypto::{DekStore, Envelope, JsonFileDekStore, KekRing, MasterKey, format};
use uuid::Uuid;
use zeroize::Zeroizing;

/// Envelope encryption of tenant secrets (XAES-256-GCM, versioned KEKs, key commitment).
#[derive(Parser, Debug)]
#[command(name = "myc-crypto", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
struct Keys {
    /// Environment variable holding the master key (base64 or hex).
    #[arg(
        long,
        default_value = "MYC_MASTER_KEY",
        conflicts_with = "master_key_file"
    )]
    master_key_env: String,
    /// File holding the master key (must be mode 0600).
    #[arg(long)]
    master_key_file: Option<PathBuf>,
    /// JSON keyring file holding the wrapped DEKs (created on first seal, mode 0600).
    #[arg(long, default_value = "keyring.json")]
    keyring: PathBuf,
}

#[derive(Args, Debug)]
struct Binding {
    /// Scope: the tenant UUID (nil UUID for system secrets).
    #[arg(long)]
    scope: Uuid,
    /// Field name bound into the ciphertext (e.g. telegram_bot_token).
    #[arg(long)]
    field: String,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print a new random 32-byte master key (base64), or write it to a new 0600 file.
    Keygen {
        /// Write to this new file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Seal stdin for a scope and field; print the ciphertext (myc1:... text form).
    Seal {
        #[command(flatten)]
        binding: Binding,
        #[command(flatten)]
        keys: Keys,
        /// Write the binary form instead of text.
        #[arg(long)]
        binary: bool,
    },
    /// Open a ciphertext from stdin (text or binary form) for a scope and field; print the plaintext.
    Open {
        #[command(flatten)]
        binding: Binding,
        #[command(flatten)]
        keys: Keys,
    },
    /// Rewrap every DEK in the keyring under KEK version N (data is not touched).
    Rewrap {
        /// The KEK version to wrap under.
        #[arg(long)]
        to_version: u32,
        /// Only report what would change.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        keys: Keys,
    },
    /// Open an upstream Mycelium ciphertext (v2:..., or legacy v1) read from stdin.
    UpstreamOpen {
        /// Upstream tokenSecret (a UUID). Prefer --token-secret-env to keep it out of `ps`.
        #[arg(long, required_unless_present = "token_secret_env")]
        token_secret: Option<String>,
        /// Environment variable holding the tokenSecret.
        #[arg(long)]
        token_secret_env: Option<String>,
        /// The tenant's wrapped DEK (v2:...); not needed for legacy v1 values.
        #[arg(long)]
        wrapped_dek: Option<String>,
        /// Tenant UUID.
        #[arg(long)]
        tenant: Uuid,
        /// Upstream field tag (totp_secret, telegram_bot_token, ...).
        #[arg(long)]
        field: String,
        /// Re-seal into this crate's format (needs the master key and keyring) instead of
        /// printing the plaintext.
        #[arg(long)]
        reseal: bool,
        #[command(flatten)]
        keys: Keys,
    },
}

fn read_stdin() -> Result<Zeroizing<Vec<u8>>, String> {
    let mut buf = Zeroizing::new(Vec::new());
    std::io::stdin()
        .take(64 << 20)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    Ok(buf)
}

fn master(keys: &Keys) -> Result<MasterKey, String> {
    match &keys.master_key_file {
        Some(path) => MasterKey::from_file(path),
        None => MasterKey::from_env(&keys.master_key_env),
    }
    .map_err(|e| e.to_string())
}

/// The highest KEK version any DEK in the keyring is wrapped under.
fn stored_max_version(store: &JsonFileDekStore) -> Result<Option<u32>, String> {
    Ok(store
        .list()
        .map_err(|e| e.to_string())?
        .iter()
        .map(|d| d.wrapped.kek_version())
        .max())
}

/// The envelope over the keyring; `min_version` raises the current KEK version.
fn envelope(keys: &Keys, min_version: u32) -> Result<Envelope<JsonFileDekStore>, String> {
    let master = master(keys)?;
    let store = JsonFileDekStore::new(&keys.keyring);
    let stored_max = stored_max_version(&store)?;
    let current = stored_max.unwrap_or(1).max(min_version);
    Ok(Envelope::new(KekRing::derived(&master, current), store))
}

fn run(cli: Cli) -> Result<Vec<u8>, String> {
    match cli.command {
        Command::Keygen { out } => {
            let key = MasterKey::generate().map_err(|e| e.to_string())?;
            match out {
                Some(path) => {
                    key.write_new_file(&path).map_err(|e| e.to_string())?;
                    Ok(Vec::new())
                }
                None => Ok(format!("{}\n", key.to_text().as_str()).into_bytes()),
            }
        }
        Command::Seal {
            binding,
            keys,
            binary,
        } => {
            let plaintext = read_stdin()?;
            let env = envelope(&keys, 1)?;
            let sealed = env
                .seal(binding.scope, &binding.field, &plaintext)
                .map_err(|e| e.to_string())?;
            Ok(if binary {
                sealed
            } else {
                format!("{}\n", format::to_text(&sealed)).into_bytes()
            })
        }
        Command::Open { binding, keys } => {
            let input = read_stdin()?;
            let ciphertext = match std::str::from_utf8(&input) {
                Ok(text) if text.trim_start().starts_with(format::TEXT_PREFIX) => {
                    format::from_text(text).map_err(|e| e.to_string())?
                }
                _ => input.to_vec(),
            };
            let env = envelope(&keys, 1)?;
            let plaintext = env
                .open(binding.scope, &binding.field, &ciphertext)
                .map_err(|e| e.to_string())?;
            Ok(plaintext.to_vec())
        }
        Command::Rewrap {
            to_version,
            dry_run,
            keys,
        } => {
            if to_version == 0 {
                return Err("--to-version must be at least 1".into());
            }
            let master = master(&keys)?;
            let store = JsonFileDekStore::new(&keys.keyring);
            let stored_max = stored_max_version(&store)?;
            let mut ring = KekRing::derived(&master, to_version);
            for v in to_version + 1..=stored_max.unwrap_or(0) {
                ring = ring.with(myc_crypto::Kek::derive(&master, v));
            }
            let report = Envelope::new(ring, store)
                .rewrap_all(dry_run)
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "{{\"toVersion\":{},\"dryRun\":{},\"total\":{},\"alreadyCurrent\":{},\"rewrapped\":{},\"conflicts\":{},\"byVersion\":{}}}\n",
                report.to_version,
                report.dry_run,
                report.total,
                report.already_current,
                report.rewrapped,
                report.conflicts,
                serde_json::to_string(&report.by_version).map_err(|e| e.to_string())?
            )
            .into_bytes())
        }
        Command::UpstreamOpen {
            token_secret,
            token_secret_env,
            wrapped_dek,
            tenant,
            field,
            reseal,
            keys,
        } => {
            let secret = match (token_secret, token_secret_env) {
                (Some(s), _) => Zeroizing::new(s),
                (None, Some(var)) => Zeroizing::new(
                    std::env::var(&var)
                        .map_err(|_| format!("environment variable {var} is not set"))?,
                ),
                (None, None) => {
                    return Err("--token-secret or --token-secret-env is required".into());
                }
            };
            let kek = UpstreamKek::from_token_secret(&secret).map_err(|e| e.to_string())?;
            let input = read_stdin()?;
            let text =
                std::str::from_utf8(&input).map_err(|_| "ciphertext is not text".to_owned())?;
            if reseal {
                let env = envelope(&keys, 1)?;
                let ours = env
                    .migrate_upstream(&kek, wrapped_dek.as_deref(), tenant, &field, text)
                    .map_err(|e| e.to_string())?;
                return Ok(format!("{ours}\n").into_bytes());
            }
            let plaintext = kek
                .open_any(wrapped_dek.as_deref(), tenant, &field, text)
                .map_err(|e| e.to_string())?;
            Ok(plaintext.to_vec())
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(out) => {
            let out = Zeroizing::new(out);
            if std::io::stdout()
                .write_all(&out)
                .and_then(|()| std::io::stdout().flush())
                .is_err()
            {
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("myc-crypto: {}", message.replace('\n', " "));
            ExitCode::from(1)
        }
    }
}
