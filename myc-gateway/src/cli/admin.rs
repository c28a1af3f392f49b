//! `admin`: any method of the admin API, run by the local operator through the same use
//! cases as `POST /_adm/rpc` (authorization, validation, audit trail), without a server.

use clap::Subcommand;
use myc_directory::rpc::methods;

use super::context::Context;
use super::error::CliError;

#[derive(Subcommand, Debug)]
pub(crate) enum AdminCommand {
    /// Run one method (e.g. `managers.tenants.list`); prints its JSON result.
    Call {
        /// The method's name, as `rpc.discover` lists it.
        method: String,
        /// Its named params, a JSON object.
        #[arg(long, default_value = "{}", value_parser = json_object)]
        params: serde_json::Value,
    },
    /// List the methods with their REST endpoints.
    Methods,
}

fn json_object(text: &str) -> Result<serde_json::Value, String> {
    match serde_json::from_str(text) {
        Ok(value @ serde_json::Value::Object(_)) => Ok(value),
        Ok(_) => Err("params must be a JSON object".into()),
        Err(e) => Err(format!("params are not JSON: {e}")),
    }
}

pub(crate) async fn run(command: AdminCommand, cx: &Context) -> Result<(), CliError> {
    match command {
        AdminCommand::Methods => {
            for m in methods::all() {
                println!(
                    "{}\t{} {}\t{}",
                    m.name, m.rest.method, m.rest.path, m.summary
                );
            }
            for m in myc_directory::login::rpc::SPECS {
                println!(
                    "{}\t{} {}\t{} (no credential; served with [smtp])",
                    m.name, m.rest.method, m.rest.path, m.summary
                );
            }
            Ok(())
        }
        AdminCommand::Call { method, params } => {
            let result = cx.run_method(&method, params).await?;
            let text = serde_json::to_string_pretty(&result).unwrap_or_default();
            println!("{text}");
            Ok(())
        }
    }
}
