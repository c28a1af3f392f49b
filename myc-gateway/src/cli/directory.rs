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
    let DirectoryCommand::Import { file } = command;
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
