//! Fetch a tenant secret from the hub gateway over NATS, as an org-account service does:
//!
//! ```sh
//! cargo run -p nats-secret-client -- --server nats://127.0.0.1:4333 \
//!     --creds examples/hub-org/site/creds/ORG/forest.creds --tenant "$T" --name db-password
//! ```
//!
//! Prints the value; exit 1 with one line when the gateway refuses (403 / 404) or nobody
//! answers.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use myc_natsauth::secrets::{Kind, fetch};
use uuid::Uuid;

#[derive(Parser)]
#[command(about = "Fetch a tenant secret over NATS")]
struct Args {
    /// NATS server URL.
    #[arg(long)]
    server: String,
    /// The org service's creds file.
    #[arg(long)]
    creds: PathBuf,
    /// The tenant.
    #[arg(long)]
    tenant: Uuid,
    /// The secret's name.
    #[arg(long)]
    name: String,
    /// An integration credential rather than a secret.
    #[arg(long)]
    integration: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let result = async {
        let client = async_nats::ConnectOptions::with_credentials_file(&args.creds)
            .await
            .map_err(|e| format!("{}: {e}", args.creds.display()))?
            .connect(&args.server)
            .await
            .map_err(|e| e.to_string())?;
        let kind = if args.integration {
            Kind::Integration
        } else {
            Kind::Secret
        };
        let value = fetch(&client, kind, args.tenant, &args.name)
            .await
            .map_err(|e| e.to_string())?;
        std::io::stdout()
            .write_all(&value)
            .map_err(|e| e.to_string())
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nats-secret-client: {e}");
            ExitCode::from(1)
        }
    }
}
