//! `myc-profile`: decode, encode and check `x-mycelium-profile` header values.
//!
//! Exit codes: 0 success; 1 invalid input (one line on stderr); 2 usage error; 3 access denied.

use std::io::Read;
use std::process::ExitCode;

use clap::{ArgGroup, Parser, Subcommand};
use myc_profile::codec::{
    self, DecodeLimits, DecodeOptions, EncodeOptions, ProfileDecoder, ProfileEncoder,
};
use myc_profile::{Permission, Profile};
use uuid::Uuid;

/// Decode, encode and check Mycelium `x-mycelium-profile` header values.
#[derive(Parser, Debug)]
#[command(name = "myc-profile", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Debug)]
struct Limits {
    /// Longest header value accepted, in bytes.
    #[arg(long, default_value_t = codec::DEFAULT_MAX_HEADER_LEN)]
    max_header_len: usize,
    /// Largest decompressed profile accepted, in bytes.
    #[arg(long, default_value_t = codec::DEFAULT_MAX_DECODED_LEN)]
    max_decoded_len: usize,
    /// Also accept base64 of uncompressed JSON (the SDKs' lenient mode).
    #[arg(long)]
    lenient: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Decode a header value (argument, or stdin) and print the profile as pretty JSON.
    ///
    /// Accepts zstd frames with or without content size and legacy raw-JSON headers.
    Decode {
        /// The header value; read from stdin when absent.
        value: Option<String>,
        #[command(flatten)]
        limits: Limits,
    },
    /// Encode a JSON profile (file, or stdin) into a header value.
    Encode {
        /// A file holding the profile JSON; stdin when absent.
        file: Option<std::path::PathBuf>,
        /// zstd level (1-22).
        #[arg(long, default_value_t = codec::DEFAULT_LEVEL, value_parser = clap::value_parser!(i32).range(1..=22))]
        level: i32,
        /// Add a zstd content checksum.
        #[arg(long)]
        checksum: bool,
    },
    /// Run an access-check chain on a header value and print what it grants.
    ///
    /// Filters apply in this order: --tenant, --account, --read/--write, --role, --system-accounts.
    /// Prints the JSON of get_related_account_or_error() (e.g. {"allowedAccounts":[...]}), or exits 3
    /// with the denial (code MYC00019 and the filtering state).
    #[command(group(ArgGroup::new("perm").args(["read", "write"])))]
    Check {
        /// The header value; read from stdin when absent.
        value: Option<String>,
        /// Keep licences of this tenant.
        #[arg(long)]
        tenant: Option<Uuid>,
        /// Keep licences on this account.
        #[arg(long)]
        account: Option<Uuid>,
        /// Keep licences granting read or write.
        #[arg(long)]
        read: bool,
        /// Keep licences granting write.
        #[arg(long)]
        write: bool,
        /// Keep licences with this role slug (repeatable; any of them matches).
        #[arg(long = "role", value_name = "SLUG")]
        roles: Vec<String>,
        /// Keep licences on system accounts.
        #[arg(long)]
        system_accounts: bool,
        #[command(flatten)]
        limits: Limits,
    },
}

/// A one-line failure with its exit code.
struct Failure(u8, String);

fn fail(e: impl std::fmt::Display) -> Failure {
    Failure(1, e.to_string())
}

fn read_input(value: Option<String>, limit: usize) -> Result<String, Failure> {
    if let Some(v) = value {
        return Ok(v);
    }
    let mut buf = String::new();
    let limit = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    std::io::stdin()
        .take(limit)
        .read_to_string(&mut buf)
        .map_err(|e| fail(format!("cannot read stdin: {e}")))?;
    Ok(buf)
}

fn decoder(limits: &Limits) -> Result<ProfileDecoder, Failure> {
    ProfileDecoder::with_options(DecodeOptions {
        limits: DecodeLimits {
            max_header_len: limits.max_header_len,
            max_decoded_len: limits.max_decoded_len,
        },
        accept_uncompressed_base64: limits.lenient,
        ..DecodeOptions::default()
    })
    .map_err(fail)
}

fn run(cli: Cli) -> Result<String, Failure> {
    match cli.command {
        Command::Decode { value, limits } => {
            let value = read_input(value, limits.max_header_len)?;
            let profile = decoder(&limits)?.decode(&value).map_err(fail)?;
            serde_json::to_string_pretty(&profile).map_err(fail)
        }
        Command::Encode {
            file,
            level,
            checksum,
        } => {
            let json = match file {
                Some(path) => std::fs::read(&path)
                    .map_err(|e| fail(format!("cannot read {}: {e}", path.display())))?,
                None => read_input(None, 16 << 20)?.into_bytes(),
            };
            let profile = codec::parse_profile(&json).map_err(fail)?;
            let mut encoder = ProfileEncoder::with_options(EncodeOptions {
                level,
                checksum,
                ..Default::default()
            })
            .map_err(fail)?;
            encoder.encode(&profile).map_err(fail)
        }
        Command::Check {
            value,
            tenant,
            account,
            read,
            write,
            roles,
            system_accounts,
            limits,
        } => {
            let value = read_input(value, limits.max_header_len)?;
            let profile: Profile = decoder(&limits)?.decode(&value).map_err(fail)?;
            let mut chain = profile.access();
            if let Some(t) = tenant {
                chain = chain.on_tenant(t);
            }
            if let Some(a) = account {
                chain = chain.on_account(a);
            }
            if read {
                chain = chain.with_permission(Permission::Read);
            }
            if write {
                chain = chain.with_permission(Permission::Write);
            }
            if !roles.is_empty() {
                chain = chain.with_roles(roles);
            }
            if system_accounts {
                chain = chain.with_system_accounts_access();
            }
            let granted = chain
                .get_related_account_or_error()
                .map_err(|e| Failure(3, e.to_string()))?;
            serde_json::to_string(&granted).map_err(fail)
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(Failure(code, message)) => {
            eprintln!("myc-profile: {}", message.replace('\n', " "));
            ExitCode::from(code)
        }
    }
}
