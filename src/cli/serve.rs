//! `connector-runtime serve`: loads the connectors, opens the database, starts the JS workers, the
//! refresh scheduler and the HTTP server, and runs until SIGTERM or Ctrl-C, then drains.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use runtime::{Isolation, Limits, Runtime};

use crate::app::{App, Config};
use crate::store::{SqliteStore, Store};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The folder holding the connectors
    #[arg(long, default_value = "connectors")]
    connectors: PathBuf,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Base URL external apps reach this service at (default: http://<listen>)
    #[arg(long)]
    public_url: Option<String>,
    /// Folder of the embedded database
    #[arg(long, default_value = "data", conflicts_with = "database")]
    data: PathBuf,
    /// Database URL: sqlite:PATH (the only kind so far)
    #[arg(long)]
    database: Option<String>,
    /// Bearer token required on /api/* (also from CONNECTOR_RUNTIME_API_TOKEN)
    #[arg(long, env = "CONNECTOR_RUNTIME_API_TOKEN", hide_env_values = true)]
    api_token: Option<String>,
    /// subscription (warm sandbox per subscription) or invocation (fresh sandbox every call)
    #[arg(long, default_value = "subscription")]
    isolation: Isolation,
    /// Deadline of every invocation (default: 10000 for handle, 30000 for the others)
    #[arg(long)]
    timeout_ms: Option<u64>,
    /// Heap limit of each sandbox in MiB (default: 64)
    #[arg(long)]
    memory_mb: Option<usize>,
    /// Post every event, in order and at least once, to this URL (`{events: [...]}` batches)
    #[arg(long)]
    deliver_to: Option<String>,
    /// CPU a JS worker serving connections may spend polling for work, with nothing to run, before
    /// its thread sleeps, in microseconds: a sleeping core is slow to wake on a VM (0: sleep at once)
    #[arg(long, default_value_t = 200)]
    idle_poll_us: u64,
    /// Largest request body accepted, in MiB
    #[arg(long, default_value_t = 10)]
    body_limit_mb: usize,
    /// A JSON file `{"<connector>": {...}}` of connector parameters: what global webhooks'
    /// handle gets (signing secrets), and the default of subscriptions created without their own
    #[arg(long, env = "CONNECTOR_RUNTIME_CONNECTOR_PARAMETERS")]
    connector_parameters: Option<PathBuf>,
    /// How long invocation log entries are kept: 7d, 12h, 30m, 45s, or forever
    #[arg(long, default_value = "7d", value_parser = crate::retention::parse)]
    log_retention: crate::retention::Retention,
    /// How long events are kept: forever, or 30d, 12h, ...; with --deliver-to, an event is
    /// deleted only once delivered
    #[arg(long, default_value = "forever", value_parser = crate::retention::parse)]
    event_retention: crate::retention::Retention,
}

pub fn run(args: ServeArgs) -> anyhow::Result<std::process::ExitCode> {
    let events = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    events.block_on(serve(args))?;
    Ok(std::process::ExitCode::SUCCESS)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let (connectors, problems) = runtime::connector::load_dir(&args.connectors);
    for problem in &problems {
        tracing::warn!(%problem, "connector problem; that connector is not loaded");
    }
    tracing::info!(connectors = connectors.len(), dir = %args.connectors.display(), "connectors loaded");
    let connector_parameters = connector_parameters(&args)?;
    for key in connector_parameters.keys() {
        if connectors.get(key).is_none() {
            tracing::warn!(connector = %key, "--connector-parameters names a connector that is not loaded; its parameters are unused");
        }
    }
    let store = open_store(&args)?;
    let runtime = Runtime::new(limits(&args)).context("cannot start the JS workers")?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    let config = Config {
        public_url: args
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{address}")),
        api_token: args.api_token.clone().filter(|t| !t.is_empty()),
        body_limit: args.body_limit_mb << 20,
        refresh_concurrency: 8,
        connector_parameters,
    };
    let app = App::new(config, runtime, connectors, store);
    let idle = std::sync::Arc::downgrade(&app);
    // A worker with nothing left to run has queued the commit of every webhook it was handling.
    app.runtime.on_idle(move || {
        if let Some(app) = idle.upgrade() {
            app.store.workers_idle();
        }
    });
    crate::lifecycle::fail_interrupted(&app)
        .await
        .context("cannot mark subscriptions interrupted by the last stop")?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let scheduler = tokio::spawn(crate::scheduler::run(app.clone(), stopped.clone()));
    let policy = crate::retention::Policy {
        logs: args.log_retention.0,
        events: args.event_retention.0,
        delivering: args.deliver_to.is_some(),
    };
    let retention = policy
        .prunes()
        .then(|| tokio::spawn(crate::retention::run(app.clone(), policy, stopped.clone())));
    let delivery = args
        .deliver_to
        .clone()
        .map(|target| tokio::spawn(crate::delivery::run(app.clone(), target, stopped)));
    tracing::info!(%address, public_url = %app.config.public_url, "serving");
    announce(address);
    crate::server::run(listener, app.clone(), shutdown_signal()).await;
    // Subscribes and refreshes whose callers hung up run on: let them finish and store.
    app.operations_finished(Duration::from_secs(35)).await;
    let _ = stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(30), scheduler).await;
    if let Some(delivery) = delivery {
        let _ = tokio::time::timeout(Duration::from_secs(30), delivery).await;
    }
    if let Some(retention) = retention {
        let _ = tokio::time::timeout(Duration::from_secs(30), retention).await;
    }
    app.store.close().await;
    tracing::info!("stopped");
    Ok(())
}

fn connector_parameters(
    args: &ServeArgs,
) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    let Some(path) = &args.connector_parameters else {
        return Ok(serde_json::Map::new());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --connector-parameters {}", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("--connector-parameters {} is not JSON", path.display()))?;
    let serde_json::Value::Object(map) = value else {
        bail!(
            "--connector-parameters {}: expected an object of connector keys, like {{\"slack\": {{\"signingSecret\": \"...\"}}}}",
            path.display()
        );
    };
    if let Some((key, _)) = map.iter().find(|(_, v)| !v.is_object()) {
        bail!(
            "--connector-parameters {}: the parameters of '{key}' must be an object",
            path.display()
        );
    }
    Ok(map)
}

fn open_store(args: &ServeArgs) -> anyhow::Result<SqliteStore> {
    let path = match &args.database {
        Some(url) => match url.strip_prefix("sqlite:") {
            Some(path) => PathBuf::from(path.trim_start_matches("//")),
            None => bail!("unsupported --database '{url}': only sqlite:PATH is supported"),
        },
        None => args.data.join("connector-runtime.sqlite"),
    };
    SqliteStore::open(&path).with_context(|| format!("cannot open the database {}", path.display()))
}

fn limits(args: &ServeArgs) -> Limits {
    let mut limits = Limits {
        isolation: args.isolation,
        idle_poll: Duration::from_micros(args.idle_poll_us),
        ..Limits::default()
    };
    if let Some(ms) = args.timeout_ms {
        limits = limits.with_timeout(Duration::from_millis(ms));
    }
    if let Some(mb) = args.memory_mb {
        limits.memory = mb << 20;
    }
    limits
}

/// One line on stdout once the socket is bound, for whoever started the service (with
/// `--listen 127.0.0.1:0` it is the only way to learn the port).
#[allow(clippy::print_stdout)]
fn announce(address: SocketAddr) {
    use std::io::Write;
    println!("listening on http://{address}");
    let _ = std::io::stdout().flush();
}

/// SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown signal received");
}
