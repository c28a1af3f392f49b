//! `directory`: bulk identities.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use myc_gateway::store::{DirectoryFile, MAX_DIRECTORY_BYTES};

use super::context::Context;
use super::error::CliError;

#[derive(Subcommand, Debug)]
pub(crate) enum DirectoryCommand {
    /// Import tenants, guest roles, accounts and licences from a TOML or JSON file
    /// (idempotent).
    Import {
        /// The file.
        file: PathBuf,
    },
    /// Import the TOTP enrolments of an upstream Mycelium database (its `user.mfa`), so
    /// authenticator apps set up there keep working; upstream's `tokenSecret` is read from
    /// stdin. Idempotent: addresses with an enrolment here keep it.
    ImportTotp {
        /// Upstream's database (`postgres://…` or `sqlite://…`), read only.
        #[arg(long = "from", value_name = "URL")]
        from: String,
        /// Open every secret and report what would happen; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

fn read_bounded(path: &Path) -> Result<String, CliError> {
    let fail = |e: std::io::Error| CliError::File {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let mut text = String::new();
    std::fs::File::open(path)
        .map_err(fail)?
        .take(MAX_DIRECTORY_BYTES as u64 + 1)
        .read_to_string(&mut text)
        .map_err(fail)?;
    Ok(text)
}

pub(crate) async fn run(command: DirectoryCommand, cx: &Context) -> Result<(), CliError> {
    match command {
        DirectoryCommand::Import { file } => import(file, cx).await,
        DirectoryCommand::ImportTotp { from, dry_run } => import_totp(&from, dry_run, cx).await,
    }
}

async fn import(file: PathBuf, cx: &Context) -> Result<(), CliError> {
    let in_file = |e: myc_gateway::store::Error| CliError::File {
        path: file.clone(),
        message: e.to_string(),
    };
    let parsed = DirectoryFile::parse(&read_bounded(&file)?).map_err(in_file)?;
    let store = cx.store().await?;
    let report = parsed.import(&store).await.map_err(in_file)?;
    println!("{report}");
    Ok(())
}

async fn import_totp(from: &str, dry_run: bool, cx: &Context) -> Result<(), CliError> {
    use myc_directory::login::totp::Totp;
    use myc_directory::login::upstream::{Imported, UpstreamKeys, read_database};
    let config = cx.config()?;
    let secrets = config.secrets.as_ref().ok_or_else(|| {
        CliError::Refused(
            "imported TOTP secrets are sealed under [gateway.secrets] master_key: set it".into(),
        )
    })?;
    let mut token_secret = zeroize::Zeroizing::new(String::new());
    std::io::stdin()
        .take(256)
        .read_to_string(&mut token_secret)
        .map_err(|source| CliError::Stdio {
            stream: "stdin",
            source,
        })?;
    let refused = |e: myc_directory::login::upstream::ImportError| CliError::Refused(e.to_string());
    let export = read_database(from).await.map_err(refused)?;
    let keys = UpstreamKeys::new(&token_secret, export.system_dek.clone())
        .map_err(|_| CliError::Input("upstream's tokenSecret (a UUID)"))?;
    let store = myc_gateway::admin::open_store(&config).await?;
    let totp = Totp::new(store, secrets.master.clone(), String::new());
    let (mut active, mut pending, mut kept, mut none, mut failed) = (0, 0, 0, 0, 0);
    for (email, mfa) in &export.users {
        match totp.import_upstream(email, mfa, &keys, dry_run).await {
            Ok(Imported::Added { active: true }) => active += 1,
            Ok(Imported::Added { active: false }) => pending += 1,
            Ok(Imported::Kept) => kept += 1,
            Ok(_) => none += 1,
            Err(e) => {
                failed += 1;
                eprintln!("{email}: {e}");
            }
        }
    }
    let mode = if dry_run {
        " (dry run: nothing written)"
    } else {
        ""
    };
    println!(
        "TOTP from upstream{mode}: {active} active, {pending} pending, {kept} kept, {none} without a factor, {failed} failed"
    );
    if failed > 0 {
        return Err(CliError::Refused(format!(
            "{failed} enrolments were not imported (above)"
        )));
    }
    Ok(())
}
