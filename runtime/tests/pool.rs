//! The worker pool beyond single invocations: a connector edited on disk replaces warm sandboxes,
//! a runaway invocation leaves the other workers serving, and many subscriptions stay isolated
//! under concurrency.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use runtime::{Invocation, Limits, Runtime, Target};
use serde_json::json;

fn write(root: &Path, file: &str, text: &str) {
    let path = root.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn load(root: &Path) -> Arc<runtime::Connector> {
    Arc::new(runtime::connector::load_connector(root).unwrap())
}

fn call(
    connector: &Arc<runtime::Connector>,
    method: &str,
    subscription: Option<&str>,
) -> Invocation {
    Invocation {
        connector: connector.clone(),
        target: Target::event("e", method),
        args: json!({}),
        subscription: subscription.map(str::to_string),
        timeout: None,
        webhook: None,
    }
}

#[tokio::test]
async fn edited_connector_replaces_its_warm_sandboxes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("demo");
    write(
        &root,
        "events/e/handle.js",
        "let n = 0\nexport default () => ({ v: 1, n: ++n })\n",
    );
    let runtime = Runtime::new(Limits {
        workers: 1,
        ..Limits::default()
    })
    .unwrap();
    let v1 = load(&root);
    for n in 1..=2 {
        let outcome = runtime.invoke(call(&v1, "handle", Some("s"))).await;
        assert_eq!(outcome.result.unwrap(), json!({ "v": 1, "n": n }));
    }
    write(
        &root,
        "events/e/handle.js",
        "let n = 0\nexport default () => ({ v: 2, n: ++n })\n",
    );
    let v2 = load(&root);
    assert_ne!(v1.fingerprint(), v2.fingerprint());
    let outcome = runtime.invoke(call(&v2, "handle", Some("s"))).await;
    assert!(
        !outcome.warm,
        "a sandbox built from the old files was reused"
    );
    assert_eq!(outcome.result.unwrap(), json!({ "v": 2, "n": 1 }));
}

#[tokio::test]
async fn runaway_invocation_leaves_other_workers_serving() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("demo");
    write(
        &root,
        "events/e/handle.js",
        "export default () => { for (;;) {} }\n",
    );
    write(&root, "events/e/refresh.js", "export default () => 'ok'\n");
    let connector = load(&root);
    let limits = Limits {
        workers: 2,
        ..Limits::default()
    }
    .with_timeout(Duration::from_secs(3));
    let runtime = Arc::new(Runtime::new(limits).unwrap());
    let spinning = tokio::spawn({
        let (runtime, connector) = (runtime.clone(), connector.clone());
        async move { runtime.invoke(call(&connector, "handle", None)).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let start = Instant::now();
    for _ in 0..20 {
        let outcome = runtime.invoke(call(&connector, "refresh", None)).await;
        assert_eq!(outcome.result.unwrap(), json!("ok"));
    }
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "quick calls waited behind the runaway one"
    );
    let spun = spinning.await.unwrap();
    assert_eq!(spun.result.unwrap_err().kind(), "timeout");
}

#[tokio::test]
async fn concurrent_subscriptions_keep_their_own_state() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("demo");
    write(
        &root,
        "events/e/handle.js",
        "let n = 0\nexport default async ({ data }) => { await null; n += 1; return { who: data.who, n } }\n",
    );
    let connector = load(&root);
    let runtime = Arc::new(
        Runtime::new(Limits {
            workers: 2,
            ..Limits::default()
        })
        .unwrap(),
    );
    let mut tasks = Vec::new();
    for who in 0..8 {
        let (runtime, connector) = (runtime.clone(), connector.clone());
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..25 {
                let mut invocation = call(&connector, "handle", Some(&format!("sub-{who}")));
                invocation.args = json!({ "data": { "who": who } });
                let result = runtime.invoke(invocation).await.result.unwrap();
                assert_eq!(result["who"], json!(who));
                seen.push(result["n"].as_u64().unwrap());
            }
            seen
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), (1..=25).collect::<Vec<u64>>());
    }
    assert!(runtime.sandboxes_alive() <= 8);
}

#[tokio::test]
async fn data_can_come_parsed_from_the_raw_body() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("demo");
    write(
        &root,
        "events/e/handle.js",
        "export default ({ data, body }) => ({ id: data.issue.id, same: data === body })\n",
    );
    write(
        &root,
        "events/e/refresh.map.yml",
        "title: {$var: data.issue.title}\n",
    );
    let connector = load(&root);
    let runtime = Runtime::new(Limits {
        workers: 1,
        ..Limits::default()
    })
    .unwrap();
    let raw = r#"{"issue": {"id": 12345678901, "title": "café"}}"#;
    for (method, expected) in [
        ("handle", json!({ "id": 12345678901u64, "same": true })),
        ("refresh", json!({ "title": "café" })),
    ] {
        let mut invocation = call(&connector, method, Some("s"));
        invocation.webhook = Some(runtime::Webhook::json(raw));
        assert_eq!(
            runtime.invoke(invocation).await.result.unwrap(),
            expected,
            "{method}"
        );
    }
}

#[tokio::test]
async fn a_webhook_becomes_the_argument_of_handle() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("demo");
    write(
        &root,
        "events/e/handle.js",
        "export default (args) => {\n\
           const { parameters, headers, query, method, rawBody, data, body, webhookUri } = args;\n\
           const seen = {\n\
             keys: Object.keys(args),\n\
             parameterKeys: Object.keys(parameters),\n\
             polluted: parameters.polluted ?? null,\n\
             protoIsObject: Object.getPrototypeOf(parameters) === Object.prototype,\n\
             headerNames: Object.keys(headers),\n\
             headers, query, method, rawBody, data, webhookUri,\n\
             bodyIsData: data === body && typeof data === 'object',\n\
             leftover: [parameters.mark ?? null, data.mark ?? null],\n\
           };\n\
           const snapshot = JSON.parse(JSON.stringify(seen));\n\
           parameters.mark = 'set by the first call';\n\
           data.mark = 'set by the first call';\n\
           return snapshot;\n\
         }\n",
    );
    let connector = load(&root);
    let runtime = Runtime::new(Limits {
        workers: 1,
        ..Limits::default()
    })
    .unwrap();
    let webhook = runtime::Webhook {
        method: "PUT".into(),
        query: json!({ "a": ["1", "2"] }),
        headers: vec![
            ("x-b".into(), "2".into()),
            ("x-a".into(), "1, 3".into()),
            ("__proto__".into(), "h".into()),
        ],
        raw_body: Arc::from("a=é"),
        data: runtime::Data::Value(json!({ "a": "é" })),
        uri: "http://127.0.0.1:8080/webhooks/s".into(),
    };
    for _ in 0..2 {
        let mut invocation = call(&connector, "handle", Some("s"));
        invocation.args = json!({ "parameters": { "__proto__": { "polluted": true } } });
        invocation.webhook = Some(webhook.clone());
        let result = runtime.invoke(invocation).await.result.unwrap();
        assert_eq!(
            result,
            json!({
                // The order connector code has always seen.
                "keys": ["parameters", "query", "headers", "rawBody", "data", "method",
                    "webhookUri", "body", "apiClient", "externalApiClient"],
                "parameterKeys": ["__proto__"],
                "polluted": null,
                "protoIsObject": true,
                "headerNames": ["x-b", "x-a", "__proto__"],
                "headers": { "x-b": "2", "x-a": "1, 3", "__proto__": "h" },
                "query": { "a": ["1", "2"] },
                "method": "PUT",
                "rawBody": "a=é",
                // Each call gets objects of its own, also from a warm sandbox.
                "data": { "a": "é" },
                "webhookUri": "http://127.0.0.1:8080/webhooks/s",
                "bodyIsData": true,
                "leftover": [null, null],
            })
        );
    }
}

/// Header names are made into atoms once per sandbox and numbered across sandboxes (the first
/// 256 names; later ones by their text): whatever names a webhook brings, in whatever order, new
/// or met before, past that bound or not, `headers` has exactly them.
#[tokio::test]
async fn headers_are_exactly_the_webhook_s_in_any_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("demo");
    write(
        &root,
        "events/e/handle.js",
        "export default ({ headers }) => Object.entries(headers)\n",
    );
    let connector = load(&root);
    let runtime = Runtime::new(Limits {
        workers: 2,
        ..Limits::default()
    })
    .unwrap();
    let header = |name: &str, value: &str| (name.to_string(), value.to_string());
    let many: Vec<(String, String)> = (0..300)
        .map(|i| header(&format!("x-made-up-{i}"), &i.to_string()))
        .collect();
    let deliveries = [
        vec![
            header("content-type", "application/json"),
            header("x-a", "1"),
        ],
        vec![
            header("x-a", "2"),
            header("content-type", "text/plain"),
            header("x-b", "3"),
        ],
        many.clone(),
        vec![
            header("x-b", "4"),
            header("0", "numeric"),
            header("__proto__", "p"),
        ],
        vec![
            header("x-made-up-299", "last"),
            header("x-a", "5"),
            header("x-made-up-0", "first"),
        ],
        Vec::new(),
        many,
    ];
    // Two subscriptions, each with a warm sandbox of its own, take turns.
    for round in 0..2 {
        for headers in &deliveries {
            for subscription in ["s1", "s2"] {
                let mut invocation = call(&connector, "handle", Some(subscription));
                let mut webhook = runtime::Webhook::json("{}");
                webhook.headers = headers.clone();
                invocation.webhook = Some(webhook);
                let result = runtime.invoke(invocation).await.result.unwrap();
                // A name that is an array index comes first in JS's own order of keys.
                let mut expected: Vec<_> = headers.iter().filter(|(n, _)| n == "0").collect();
                expected.extend(headers.iter().filter(|(n, _)| n != "0"));
                assert_eq!(
                    result,
                    json!(
                        expected
                            .iter()
                            .map(|(n, v)| json!([n, v]))
                            .collect::<Vec<_>>()
                    ),
                    "round {round}, {subscription}, {} headers",
                    headers.len()
                );
            }
        }
    }
}

/// Waits until `count` passes `above`, at most 5 s; returns its value.
async fn count_above(count: &std::sync::atomic::AtomicUsize, above: usize, what: &str) -> usize {
    use std::sync::atomic::Ordering;
    let start = Instant::now();
    loop {
        let now = count.load(Ordering::SeqCst);
        if now > above {
            return now;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "{what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_worker_polling_for_work_reports_each_idle_moment_and_then_sleeps() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("demo");
    write(&root, "events/e/handle.js", "export default () => 'ok'\n");
    let connector = load(&root);
    for (span, polls_all_along) in [
        (Duration::from_secs(30), true),
        (Duration::from_millis(2), false),
    ] {
        let runtime = Runtime::new(Limits {
            workers: 1,
            idle_poll: span,
            ..Limits::default()
        })
        .unwrap();
        let idle_moments = Arc::new(AtomicUsize::new(0));
        runtime.on_idle({
            let idle_moments = idle_moments.clone();
            move || {
                idle_moments.fetch_add(1, Ordering::SeqCst);
            }
        });
        // A connection being served: the worker polls instead of sleeping at once.
        let (_end, ended) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn_on(0, async move {
            let _ = ended.await;
        });
        let mut seen = count_above(&idle_moments, 0, "the worker never went idle").await;
        // While it polls, the loop never sleeps: each idle moment after an invocation is reported
        // by the poll (the store's group commit waits for it).
        for _ in 0..3 {
            let outcome = runtime.invoke(call(&connector, "handle", Some("s"))).await;
            assert_eq!(outcome.result.unwrap(), json!("ok"));
            seen = count_above(&idle_moments, seen, "an idle moment went unreported").await;
        }
        if polls_all_along {
            continue;
        }
        // A poll that found nothing ends, and the thread then sleeps: no idle moment more.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let settled = idle_moments.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            idle_moments.load(Ordering::SeqCst),
            settled,
            "the worker kept polling with nothing to do"
        );
        let outcome = runtime.invoke(call(&connector, "handle", Some("s"))).await;
        assert_eq!(
            outcome.result.unwrap(),
            json!("ok"),
            "a sleeping worker woke"
        );
    }
}
