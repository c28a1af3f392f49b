//! `serve`: the gateway a configuration describes.

use std::net::SocketAddr;
use std::num::NonZeroUsize;

use clap::Args;
use myc_gateway::logging::LoggingSettings;

use super::context::Context;
use super::error::CliError;

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Overrides `[api] serviceIp`/`servicePort`.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Worker threads (default: `[api] serviceWorkers`, else one per CPU). `--workers 1`
    /// serves on a single-threaded runtime: one core and no work-stealing scheduler, like
    /// nginx's `worker_processes 1` (a one-CPU container, or one process per core).
    #[arg(long)]
    workers: Option<NonZeroUsize>,
}

/// The logging and worker count to start the runtime with.
pub(crate) fn runtime_settings(
    args: &ServeArgs,
    cx: &Context,
) -> Result<(LoggingSettings, Option<usize>), CliError> {
    let loaded = cx.config()?;
    let workers = args
        .workers
        .map(NonZeroUsize::get)
        .or(loaded.service_workers);
    Ok((loaded.logging, workers))
}

pub(crate) async fn run(args: ServeArgs, cx: &Context) -> Result<(), CliError> {
    myc_gateway::serve::serve(cx.config_path()?, args.listen, |url| {
        println!("listening on {url}");
    })
    .await?;
    Ok(())
}
