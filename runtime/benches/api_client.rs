//! apiClient overhead: a warm invocation whose method makes one `apiClient.get` to a fake app on
//! loopback, against the same GET made by a plain reqwest client, in one run. The difference is
//! what the sandbox crossing, makeApiClient, URL building and JSON parsing cost per call.
//! Run with `cargo bench -p runtime --bench api_client`.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::sync::Arc;
use std::time::{Duration, Instant};

use runtime::{Invocation, Limits, Runtime, Target};
use serde_json::json;
use test_support::{FakeApp, Recorded, Reply};

const N: usize = 3000;

fn main() {
    let app = FakeApp::start(|_: &Recorded| {
        Reply::json(200, r#"{"id":"wh_1","active":true,"events":["push"]}"#)
    });
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("bench");
    write(
        &root,
        "auth/make-api-client.js",
        "export default ({ credentials }) => ({ baseUri: credentials.base, headers: { Authorization: 'Bearer ' + credentials.token } })\n",
    );
    write(
        &root,
        "events/e/handle.js",
        "export default async ({ apiClient }) => { const hook = await apiClient.get('/hooks/1'); return hook.id }\n",
    );
    write(
        &root,
        "events/e/refresh.js",
        "export default async () => 'wh_1'\n",
    );
    let connector = Arc::new(runtime::connector::load_connector(&root).unwrap());
    let events = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let runtime = Runtime::new(Limits {
        workers: 1,
        ..Limits::default()
    })
    .unwrap();
    events.block_on(async {
        let client = reqwest::Client::new();
        let url = format!("{}/hooks/1", app.url());
        let plain = measure(|| {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let body = client.get(url).header("authorization", "Bearer t").send().await.unwrap().bytes().await.unwrap();
                let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(body["id"], "wh_1");
            }
        })
        .await;
        let invoke = |method: &'static str| {
            let (runtime, connector, base) = (&runtime, connector.clone(), app.url());
            move || {
                let invocation = Invocation {
                    connector: connector.clone(),
                    target: Target::event("e", method),
                    args: json!({ "credentials": { "base": base, "token": "t" } }),
                    subscription: Some("bench".into()),
                    timeout: None,
                    webhook: None,
                };
                async move { assert_eq!(runtime.invoke(invocation).await.result.unwrap(), json!("wh_1")) }
            }
        };
        let without = measure(invoke("refresh")).await;
        let with = measure(invoke("handle")).await;
        report("plain reqwest GET", &plain);
        report("warm invocation, no call", &without);
        report("warm invocation + apiClient.get", &with);
        let overhead = with[0] - without[0] - plain[0];
        println!("apiClient overhead over plain reqwest (p50): {overhead:.1} µs; call inside invocation / plain: {:.2}x", (with[0] - without[0]) / plain[0]);
    });
}

fn write(root: &std::path::Path, file: &str, text: &str) {
    let path = root.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

async fn measure<F, Fut>(call: F) -> [f64; 2]
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..N / 10 {
        call().await;
    }
    let mut samples: Vec<Duration> = Vec::with_capacity(N);
    for _ in 0..N {
        let start = Instant::now();
        call().await;
        samples.push(start.elapsed());
    }
    samples.sort();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e6;
    [at(0.5), at(0.99)]
}

fn report(name: &str, figures: &[f64; 2]) {
    println!(
        "{name:<34} p50 {:>8.1} µs  p99 {:>8.1} µs",
        figures[0], figures[1]
    );
}
