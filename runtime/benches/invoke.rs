//! Invocation benchmark: p50/p99 of a cold invocation (new sandbox, cached bytecode) and of a warm
//! one for a small `handle`, and the memory one warm sandbox costs. Run with
//! `cargo bench -p runtime --bench invoke`. Latencies are end to end through `Runtime::invoke`
//! (channel hop to the worker thread and back included); "on worker" is the part spent on the
//! JS thread. The baseline in the same run is a no-op round trip through the same worker channel,
//! so the JS cost can be read as a difference on a noisy machine.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use runtime::{Connector, Invocation, Limits, Runtime, Target, Webhook};
use serde_json::json;

/// The allocator the service's binary runs with (src/main.rs), so the memory figure is the service's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The same handle as a declarative mapping: it runs in Rust, with no sandbox.
const HANDLE_MAPPING: &str = "events:
  $case:
    cases:
      - filter: {$eval: {$var: headers.x-event}, is: issues}
        value:
          - type:
              $case:
                cases:
                  - filter: {$eval: {$var: data.action}, is: opened}
                    value: created
                default: updated
            record:
              id: {$concat: [{$var: data.issue.id}]}
              title: {$var: data.issue.title}
    default: []
";

const HANDLE: &str = "export default async function handle({ data, headers }) {
  if (headers['x-event'] !== 'issues') return { events: [] }
  return { events: [{ type: data.action === 'opened' ? 'created' : 'updated', record: { id: String(data.issue.id), title: data.issue.title } }] }
}
";

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("bench");
    write(&root, "events/issues/handle.js", HANDLE);
    write(&root, "events/issues-map/handle.map.yml", HANDLE_MAPPING);
    write(
        &root,
        "events/issues/refresh.js",
        "export default () => null\n",
    );
    let connector = Arc::new(runtime::connector::load_connector(&root).unwrap());
    let events = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let limits = Limits {
        workers: 1,
        pool_capacity: 4096,
        ..Limits::default()
    };
    let runtime = Runtime::new(limits).unwrap();
    events.block_on(async {
        let js = runtime.invoke(invocation(&connector, "handle", None)).await.result.unwrap();
        let mapped = runtime.invoke(invocation(&connector, "issues-map/handle", None)).await;
        assert_eq!(js, mapped.result.unwrap(), "the mapping must give what the JS handle gives");
        let _ = measure(&runtime, &connector, "refresh", Some("base"), 5_000).await;
        let warm = measure(&runtime, &connector, "handle", Some("warm"), 20_000).await;
        let baseline = measure(&runtime, &connector, "refresh", Some("base"), 20_000).await;
        let cold = measure(&runtime, &connector, "handle", None, 2_000).await;
        report("baseline: warm no-op refresh", &baseline);
        report("warm handle", &warm);
        report("cold handle (new sandbox)", &cold);
        let mapped = measure(&runtime, &connector, "issues-map/handle", Some("map"), 20_000).await;
        report("declarative handle (mapping)", &mapped);
        let delivery = github_delivery();
        let github = measure_with(&runtime, || delivery.clone(), Some("github"), 20_000).await;
        report("warm GitHub delivery (9.4 KB)", &github);
        let per_sandbox = warm_sandbox_bytes(&runtime, &connector, 2_000).await;
        println!(
            "memory per warm sandbox: {} KiB (RSS growth over 2000 warm sandboxes)",
            per_sandbox / 1024
        );
        println!(
            "ratios: warm/baseline p50 {:.2}, cold/warm p50 {:.1}, mapping/warm JS p50 {:.2} (on worker {:.2})",
            warm.total_p50 / baseline.total_p50,
            cold.total_p50 / warm.total_p50,
            mapped.total_p50 / warm.total_p50,
            mapped.worker_p50 / warm.worker_p50
        );
    });
}

fn write(root: &Path, file: &str, text: &str) {
    let path = root.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn invocation(connector: &Arc<Connector>, method: &str, subscription: Option<&str>) -> Invocation {
    Invocation {
        connector: connector.clone(),
        target: match method.split_once('/') {
            Some((event, method)) => Target::event(event, method),
            None => Target::event("issues", method),
        },
        args: json!({
            "data": {"action": "opened", "issue": {"id": 1347, "title": "Found a bug", "body": "It breaks"}},
            "headers": {"x-event": "issues", "content-type": "application/json"},
            "query": {},
        }),
        subscription: subscription.map(str::to_string),
        timeout: None,
        webhook: None,
    }
}

/// What the service hands `handle` for bench/webhooks.sh's delivery: the 9.4 KB GitHub `issues`
/// body as `rawBody`, `data` built from it in the sandbox, a correct `X-Hub-Signature-256`; the
/// handle checks the HMAC and returns one record event.
fn github_delivery() -> Invocation {
    let bench = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench");
    let connector =
        runtime::connector::load_connector(&bench.join("connectors/github-bench")).unwrap();
    let body = std::fs::read_to_string(bench.join("fixtures/issues-opened.json")).unwrap();
    let secret = "bench-webhook-secret";
    let signature = {
        use hmac::{KeyInit, Mac};
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body.as_bytes());
        let digest = mac.finalize().into_bytes();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256={hex}")
    };
    let headers = [
        ("host", "127.0.0.1:8080"),
        ("content-type", "application/json"),
        ("user-agent", "GitHub-Hookshot/5a2a3d1"),
        ("accept", "*/*"),
        ("x-github-event", "issues"),
        ("x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
        ("x-hub-signature-256", signature.as_str()),
        ("content-length", &body.len().to_string()),
    ];
    let mut webhook = Webhook::json(&body);
    webhook.uri = "http://127.0.0.1:8080/webhooks/github".into();
    webhook.headers = headers
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    Invocation {
        connector: Arc::new(connector),
        target: Target::event("issues", "handle"),
        args: json!({
            "state": {},
            "parameters": {"secret": secret},
            "credentials": {},
            "connectorParameters": {},
        }),
        subscription: None,
        timeout: None,
        webhook: Some(webhook),
    }
}

struct Figures {
    total_p50: f64,
    total_p99: f64,
    worker_p50: f64,
    worker_p99: f64,
    queued_p50: f64,
}

async fn measure(
    runtime: &Runtime,
    connector: &Arc<Connector>,
    method: &str,
    sub: Option<&str>,
    n: usize,
) -> Figures {
    measure_with(runtime, || invocation(connector, method, sub), sub, n).await
}

async fn measure_with(
    runtime: &Runtime,
    make: impl Fn() -> Invocation,
    sub: Option<&str>,
    n: usize,
) -> Figures {
    for _ in 0..n / 10 {
        let mut request = make();
        request.subscription = sub.map(str::to_string);
        runtime.invoke(request).await.result.unwrap();
    }
    let mut total = Vec::with_capacity(n);
    let mut worker = Vec::with_capacity(n);
    let mut queued = Vec::with_capacity(n);
    for _ in 0..n {
        let mut request = make();
        request.subscription = sub.map(str::to_string);
        let start = Instant::now();
        let outcome = runtime.invoke(request).await;
        total.push(start.elapsed());
        worker.push(outcome.duration);
        queued.push(outcome.queued);
        assert!(
            sub.is_some() || !outcome.warm,
            "a fresh invocation got a warm sandbox"
        );
        outcome.result.unwrap();
    }
    Figures {
        total_p50: percentile(&mut total, 0.50),
        total_p99: percentile(&mut total, 0.99),
        worker_p50: percentile(&mut worker, 0.50),
        worker_p99: percentile(&mut worker, 0.99),
        queued_p50: percentile(&mut queued, 0.50),
    }
}

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index].as_secs_f64() * 1e6
}

fn report(name: &str, f: &Figures) {
    println!(
        "{name:<32} p50 {:>7.1} µs  p99 {:>7.1} µs   (on worker: p50 {:>7.1} µs  p99 {:>7.1} µs; queued p50 {:>5.1} µs)",
        f.total_p50, f.total_p99, f.worker_p50, f.worker_p99, f.queued_p50
    );
}

async fn warm_sandbox_bytes(runtime: &Runtime, connector: &Arc<Connector>, count: usize) -> usize {
    let before = rss_bytes();
    for i in 0..count {
        let id = format!("mem-{i}");
        runtime
            .invoke(invocation(connector, "handle", Some(&id)))
            .await
            .result
            .unwrap();
    }
    assert!(
        runtime.sandboxes_alive() >= count,
        "sandboxes were evicted during the measurement"
    );
    rss_bytes().saturating_sub(before) / count
}

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}
