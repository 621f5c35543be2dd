//! `connector-runtime`: the service and its command-line tool. `serve` runs the HTTP service
//! (webhook ingress, subscription lifecycle, refresh scheduler, storage); `invoke` and `check` are
//! the connector author's tools. `anyhow` errors with the context a user needs.

mod api;
mod app;
mod cli;
mod delivery;
mod global;
mod ingress;
mod lifecycle;
mod metrics;
mod retention;
mod scheduler;
mod server;
mod store;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc, also for QuickJS's and SQLite's C allocations (the `override` feature replaces
/// `malloc` and `free`): a webhook allocates and frees tens of blocks, some of them body-sized, and
/// glibc's allocator took ~12% of its CPU time (bench/webhooks.sh, 136 → 120 µs per webhook).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
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
