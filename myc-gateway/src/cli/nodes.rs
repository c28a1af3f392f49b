//! `nodes`: the NATS credential issuer's nodes.

use clap::Subcommand;
use myc_gateway::admin;
use myc_gateway::store::Store;

use super::args::Lifetime;
use super::context::{Context, show};
use super::error::CliError;

#[derive(Subcommand, Debug)]
pub(crate) enum NodesCommand {
    /// Register a node; prints its token (shown once, only a hash is stored).
    Add {
        /// The node id it will present.
        #[arg(long)]
        id: String,
        /// Subjects its users may publish to (repeatable).
        #[arg(long = "pub-allow")]
        pub_allow: Vec<String>,
        /// Subjects its users may subscribe to (repeatable).
        #[arg(long = "sub-allow")]
        sub_allow: Vec<String>,
        /// Lifetime of the JWTs it receives: seconds, or with a unit (`15m`, `1h`).
        #[arg(long, default_value = "1h")]
        ttl: Lifetime,
        /// Its users may reply to the requests they receive (a service, e.g. a gateway
        /// replica answering mycelium.secrets.>).
        #[arg(long)]
        allow_responses: bool,
    },
    /// List nodes (never tokens).
    List,
    /// Revoke a node: it receives no further JWTs.
    Revoke {
        /// The node id.
        #[arg(long)]
        id: String,
    },
}

pub(crate) async fn run(command: NodesCommand, cx: &Context) -> Result<(), CliError> {
    let store = cx.store().await?;
    match command {
        NodesCommand::Add {
            id,
            pub_allow,
            sub_allow,
            ttl,
            allow_responses,
        } => {
            let (node, token) = admin::add_node(
                &store,
                &id,
                pub_allow,
                sub_allow,
                ttl.secs(),
                allow_responses,
            )
            .await?;
            eprintln!(
                "node {} added (JWTs for {} s); its token, shown once:",
                node.id, node.ttl_secs
            );
            println!("{}", token.as_str());
        }
        NodesCommand::List => {
            println!("id\tpub_allow\tsub_allow\tttl_secs\tcreated\trevoked");
            for n in store.nodes().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    n.id,
                    n.pub_allow.join(","),
                    n.sub_allow.join(","),
                    n.ttl_secs,
                    n.created_at,
                    show(n.revoked_at)
                );
            }
        }
        NodesCommand::Revoke { id } => {
            store.revoke_node(&id).await?;
            println!("revoked {id}");
        }
    }
    Ok(())
}
