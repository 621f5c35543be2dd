//! The subcommands and their arguments (DESIGN.md "Command line").

mod check;
mod invoke;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "connector-runtime",
    version,
    about = "Runs Integration.app-format connectors in QuickJS sandboxes"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service: webhook ingress, subscriptions, refreshes, events
    Serve(serve::ServeArgs),
    /// Run one method of a connector once and print its JSON result
    Invoke(invoke::InvokeArgs),
    /// Load every connector, compile every file, report each problem as path:line: message
    Check {
        /// A folder of connectors, or one connector's folder
        #[arg(default_value = "connectors")]
        dir: PathBuf,
    },
}

impl Cli {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            Command::Serve(args) => serve::run(args),
            Command::Invoke(args) => invoke::run(args),
            Command::Check { dir } => check::run(&dir),
        }
    }
}
