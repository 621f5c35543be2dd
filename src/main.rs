//! `connector-runtime`: the command-line tool. A thin layer over the `runtime` crate: argument
//! parsing, reading input files, printing results; `anyhow` errors with the context a user needs.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let command = cli::Cli::parse();
    match command.run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
