//! `demo`: the zero set-up demo.

use std::net::SocketAddr;

use clap::Args;

use super::error::CliError;

#[derive(Args, Debug)]
pub(crate) struct DemoArgs {
    /// Where the gateway listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
}

pub(crate) async fn run(args: DemoArgs) -> Result<(), CliError> {
    let demo = myc_gateway::demo::start(args.listen).await?;
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
    tokio::signal::ctrl_c().await.map_err(CliError::Signal)
}
