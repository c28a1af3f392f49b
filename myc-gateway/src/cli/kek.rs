//! `kek`: key-encryption keys of sealed secrets.

use clap::Subcommand;

use super::context::Context;
use super::error::CliError;

#[derive(Subcommand, Debug)]
pub(crate) enum KekCommand {
    /// Rewrap every DEK under `[gateway.secrets] kek_version` (older versions must still be
    /// derivable: they are 1..kek_version of the same master key).
    Rotate {
        /// Check and report without writing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub(crate) async fn run(command: KekCommand, cx: &Context) -> Result<(), CliError> {
    let KekCommand::Rotate { dry_run } = command;
    let (_, vault) = cx.vault().await?;
    let report = vault.rotate_kek(dry_run).await?;
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
        return Err(CliError::RotationConflicts(report.conflicts));
    }
    Ok(())
}
