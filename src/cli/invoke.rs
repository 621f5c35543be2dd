//! `connector-runtime invoke`: the connector author's inner loop. The result goes to stdout as
//! JSON; console output and errors go to stderr; a failed invocation exits with 1.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use runtime::{Connector, Invocation, Limits, Outcome, Runtime, Target};

#[derive(clap::Args)]
pub struct InvokeArgs {
    /// The folder holding the connectors
    #[arg(long, default_value = "connectors")]
    connectors: PathBuf,
    /// The connector's key
    connector: String,
    /// The event key; `global-webhooks/<key>` for a global webhook, `auth` for makeApiClient
    event: String,
    /// The method: subscribe, handle, unsubscribe, refresh, getEventSelector, ...
    method: String,
    /// The method's argument object as JSON: a file, or - for stdin (default: {})
    #[arg(long)]
    input: Option<PathBuf>,
    /// The deadline of the invocation (default: 10000 for handle, 30000 for the others)
    #[arg(long)]
    timeout_ms: Option<u64>,
    /// The sandbox's heap limit in MiB (default: 64)
    #[arg(long)]
    memory_mb: Option<usize>,
}

pub fn run(args: InvokeArgs) -> anyhow::Result<ExitCode> {
    let connector = find_connector(&args.connectors, &args.connector)?;
    let input = read_input(args.input.as_deref())?;
    let mut limits = Limits {
        workers: 1,
        ..Limits::default()
    };
    if let Some(ms) = args.timeout_ms {
        limits = limits.with_timeout(Duration::from_millis(ms));
    }
    if let Some(mb) = args.memory_mb {
        limits.memory = mb << 20;
    }
    let target = target(&args.event, &args.method);
    let invocation = Invocation {
        connector,
        target,
        args: input,
        subscription: None,
        timeout: None,
        webhook: None,
    };
    let runtime = Runtime::new(limits).context("cannot start the JS worker")?;
    let events = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let outcome = events.block_on(runtime.invoke(invocation));
    Ok(report(&args, outcome))
}

fn target(event: &str, method: &str) -> Target {
    match event.strip_prefix("global-webhooks/") {
        Some(webhook) => Target::GlobalWebhook {
            webhook: webhook.to_string(),
            method: method.to_string(),
        },
        None if event == "auth" && method == "makeApiClient" => Target::MakeApiClient,
        None => Target::event(event, method),
    }
}

/// The connector `key`: the folder of that name, else the one whose spec declares that key.
fn find_connector(dir: &Path, key: &str) -> anyhow::Result<Arc<Connector>> {
    let folder = dir.join(key);
    if folder.is_dir() {
        return runtime::connector::load_connector(&folder)
            .map(Arc::new)
            .map_err(|problems| {
                let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
                anyhow::anyhow!("connector '{key}' does not load:\n{}", list.join("\n"))
            });
    }
    let (set, _) = runtime::connector::load_dir(dir);
    match set.get(key) {
        Some(connector) => Ok(connector.clone()),
        None => bail!("no connector '{key}' in {}", dir.display()),
    }
}

fn read_input(path: Option<&Path>) -> anyhow::Result<serde_json::Value> {
    let text = match path {
        None => return Ok(serde_json::json!({})),
        Some(p) if p == Path::new("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read the input from stdin")?;
            text
        }
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("cannot read input file {}", p.display()))?,
    };
    let value: serde_json::Value =
        serde_json::from_str(&text).context("the input is not valid JSON")?;
    if !value.is_object() {
        bail!(
            "the input must be a JSON object (the method's argument), got {}",
            kind_of(&value)
        );
    }
    Ok(value)
}

fn kind_of(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::Bool(_) => "a boolean",
        _ => "null",
    }
}

fn report(args: &InvokeArgs, outcome: Outcome) -> ExitCode {
    for line in &outcome.console {
        eprintln!("[{}] {}", line.level, line.message);
    }
    match outcome.result {
        Ok(result) => {
            let text = serde_json::to_string_pretty(&result).unwrap_or_else(|_| "null".into());
            #[allow(clippy::print_stdout)]
            {
                println!("{text}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!(
                "error: {} {} {}: {error}",
                args.connector, args.event, args.method
            );
            if let Some(stack) = error.stack().filter(|s| !s.trim().is_empty()) {
                eprintln!("{}", stack.trim_end());
            }
            ExitCode::FAILURE
        }
    }
}
