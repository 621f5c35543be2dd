//! End-to-end tests of `connector-runtime serve`: the real binary, a real database file, a real
//! socket, and a fake external app on 127.0.0.1. The connector is `tests/service/counter`.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use test_support::{FakeApp, Recorded, Reply, call_blocking};

mod common;
use common::{Service, client, data_dir, events, get, json_of, until};

/// The fake external app: hooks are created, renewed and deleted.
fn external_app() -> FakeApp {
    external_app_with(Arc::new(AtomicBool::new(false)))
}

/// The fake external app, whose renewals fail while `renew_fails` is set.
fn external_app_with(renew_fails: Arc<AtomicBool>) -> FakeApp {
    FakeApp::start(
        move |r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
            ("POST", "/hooks") => Reply::json(201, r#"{"id":"hook-1"}"#),
            ("POST", "/hooks/hook-1/renew") if renew_fails.load(Ordering::SeqCst) => {
                Reply::json(503, r#"{"error":"try later"}"#)
            }
            ("POST", "/hooks/hook-1/renew") => Reply::json(200, "{}"),
            ("DELETE", "/hooks/hook-1") => Reply::text(204, ""),
            _ => Reply::json(404, r#"{"error":"unknown"}"#),
        },
    )
}

/// What a test started with [`running`] must keep alive: the fake app and the data directory.
struct Keep {
    _app: FakeApp,
    _dir: tempfile::TempDir,
}

/// A service with one active `ticks` subscription against the fake app, a client, and its id.
async fn running() -> (Keep, reqwest::Client, Service, String) {
    let app = external_app();
    let (dir, data) = data_dir();
    let client = client();
    let service = Service::start(&data, &[]);
    let (status, created) = create(&client, &service, &app, json!({ "channel": "c" })).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    (
        Keep {
            _app: app,
            _dir: dir,
        },
        client,
        service,
        id,
    )
}

async fn create(
    client: &reqwest::Client,
    service: &Service,
    app: &FakeApp,
    parameters: Value,
) -> (u16, Value) {
    let body = json!({ "connector": "counter", "event": "ticks", "parameters": parameters,
        "credentials": { "apiBaseUri": app.url(), "token": "secret-token" } });
    let response = client
        .post(format!("{}/api/subscriptions", service.url))
        .json(&body)
        .send()
        .await;
    json_of(response.unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_lifecycle_and_a_restart() {
    let app = external_app();
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::start(&data, &[]);

    let (status, created) = create(&client, &service, &app, json!({ "channel": "c1" })).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "active");
    assert_eq!(created["state"], json!({ "hookId": "hook-1", "count": 0 }));
    assert!(
        created.get("credentials").is_none(),
        "credentials must never be returned"
    );
    let id = created["id"].as_str().unwrap().to_string();
    assert!(id.len() >= 32, "at least 128 random bits");
    assert_eq!(
        created["webhookUri"],
        format!("{}/webhooks/{id}", service.url)
    );
    let hook = &app.requests()[0];
    assert_eq!(hook.header("authorization"), Some("Bearer secret-token"));
    assert_eq!(
        serde_json::from_slice::<Value>(&hook.body).unwrap()["url"],
        created["webhookUri"]
    );

    let webhook = format!("{}/webhooks/{id}", service.url);
    let reply = client
        .post(&webhook)
        .json(&json!({ "id": 7 }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 202);
    assert_eq!(
        reply.json::<Value>().await.unwrap(),
        json!({ "accepted": 7 })
    );
    let challenge = client
        .get(format!("{webhook}?challenge=abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (challenge.status().as_u16(), challenge.text().await.unwrap()),
        (200, "abc".to_string())
    );

    let stored = events(&client, &service).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["type"], "created");
    assert_eq!(stored[0]["record"], json!({ "id": "7", "count": 1 }));
    assert_eq!(stored[0]["subscriptionId"], id.as_str());

    let (status, logs) = get(
        &client,
        format!("{}/api/subscriptions/{id}/logs", service.url),
    )
    .await;
    assert_eq!(status, 200);
    let methods: Vec<&str> = logs["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["handle", "handle", "subscribe"]);

    let port = service.url.rsplit(':').next().unwrap().parse().unwrap();
    service.stop();
    let service = Service::start_on(port, &data, &[]);
    let (_, again) = get(&client, format!("{}/api/subscriptions/{id}", service.url)).await;
    assert_eq!(
        again["state"],
        json!({ "hookId": "hook-1", "count": 1 }),
        "state survives a restart"
    );
    assert_eq!(
        events(&client, &service).await.len(),
        1,
        "events survive a restart"
    );

    let (status, refreshed) = json_of(
        client
            .post(format!("{}/api/subscriptions/{id}/refresh", service.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(
        refreshed["state"],
        json!({ "hookId": "hook-1", "count": 1 }),
        "a refresh returning only a time keeps the state"
    );

    let deleted = client
        .delete(format!("{}/api/subscriptions/{id}", service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let seen: Vec<(String, String)> = app
        .requests()
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert_eq!(
        seen.last().unwrap(),
        &("DELETE".to_string(), "/hooks/hook-1".to_string())
    );
    let after = client
        .post(&webhook)
        .json(&json!({ "id": 8 }))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 410);
    assert_eq!(
        events(&client, &service).await.len(),
        1,
        "a webhook to a deleted subscription stores nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_4xx_and_change_nothing() {
    let app = external_app();
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::start(&data, &["--body-limit-mb", "1"]);
    let (_, created) = create(&client, &service, &app, json!({ "channel": "c1" })).await;
    let webhook = format!(
        "{}/webhooks/{}",
        service.url,
        created["id"].as_str().unwrap()
    );

    let (status, body) = create(&client, &service, &app, json!({ "channel": "" })).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["violations"][0]
            .as_str()
            .unwrap()
            .contains("/channel"),
        "{body}"
    );
    let (status, body) = create(&client, &service, &app, json!({})).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("channel"),
        "{body}"
    );
    let unknown = client
        .post(format!("{}/api/subscriptions", service.url))
        .json(&json!({ "connector": "nope", "event": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let malformed = client
        .post(format!("{}/api/subscriptions", service.url))
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);

    let bad_json = client
        .post(&webhook)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
    let huge = client
        .post(&webhook)
        .header("content-type", "application/json")
        .body(vec![b' '; 2 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);
    let nobody = client
        .post(format!(
            "{}/webhooks/0123456789abcdef0123456789abcdef",
            service.url
        ))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(nobody.status(), 404);
    let failing = client
        .post(&webhook)
        .json(&json!({ "id": 1, "fail": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(failing.status(), 500);
    let body = failing.text().await.unwrap();
    assert!(
        !body.contains("asked to fail") && !body.contains("handle.js"),
        "no internals to the outside: {body}"
    );
    assert!(
        events(&client, &service).await.is_empty(),
        "nothing stored for bad deliveries"
    );
    let (_, logs) = get(
        &client,
        format!(
            "{}/api/subscriptions/{}/logs",
            service.url,
            created["id"].as_str().unwrap()
        ),
    )
    .await;
    assert!(
        logs["logs"][0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("asked to fail"),
        "{logs}"
    );
    let (_, same) = get(
        &client,
        format!(
            "{}/api/subscriptions/{}",
            service.url,
            created["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(
        same["state"], created["state"],
        "state unchanged by bad deliveries"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_token_guards_the_api_but_not_ingress() {
    let app = external_app();
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::start(&data, &["--api-token", "t0k"]);
    let (status, _) = create(&client, &service, &app, json!({ "channel": "c" })).await;
    assert_eq!(status, 401);
    let body = json!({ "connector": "counter", "event": "ticks", "parameters": { "channel": "c" },
        "credentials": { "apiBaseUri": app.url(), "token": "x" } });
    let created = client
        .post(format!("{}/api/subscriptions", service.url))
        .bearer_auth("t0k")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let delivered = client
        .post(format!("{}/webhooks/{id}", service.url))
        .json(&json!({ "id": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(delivered.status(), 202);
    let listed = client
        .get(format!("{}/api/events", service.url))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_webhooks_to_one_subscription_lose_no_state_update() {
    let (_keep, client, service, id) = running().await;
    let webhook = Arc::new(format!("{}/webhooks/{id}", service.url));
    let mut tasks = Vec::new();
    for n in 0..60 {
        let (client, webhook) = (client.clone(), webhook.clone());
        tasks.push(tokio::spawn(async move {
            client
                .post(webhook.as_str())
                .json(&json!({ "id": n }))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 202);
    }
    let (_, after) = get(&client, format!("{}/api/subscriptions/{id}", service.url)).await;
    assert_eq!(after["state"]["count"], 60);
    let mut counts: Vec<u64> = events(&client, &service)
        .await
        .iter()
        .map(|e| e["record"]["count"].as_u64().unwrap())
        .collect();
    counts.sort();
    assert_eq!(
        counts,
        (1..=60).collect::<Vec<u64>>(),
        "every update saw the one before it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_no_acknowledged_webhook() {
    let app = external_app();
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::start(&data, &[]);
    let (_, created) = create(&client, &service, &app, json!({ "channel": "c" })).await;
    let webhook = Arc::new(format!(
        "{}/webhooks/{}",
        service.url,
        created["id"].as_str().unwrap()
    ));
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut senders = Vec::new();
    for lane in 0..8 {
        let (client, webhook, acknowledged) =
            (client.clone(), webhook.clone(), acknowledged.clone());
        senders.push(tokio::spawn(async move {
            for n in 0..1000 {
                let id = lane * 1000 + n;
                match client
                    .post(webhook.as_str())
                    .json(&json!({ "id": id }))
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 202 => acknowledged.lock().unwrap().push(id.to_string()),
                    _ => return,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    service.kill();
    for sender in senders {
        let _ = sender.await;
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 50,
        "the load ran ({} acknowledged)",
        acknowledged.len()
    );
    let service = Service::start(&data, &[]);
    let stored: std::collections::HashSet<String> = all_events(&client, &service)
        .await
        .iter()
        .map(|e| e["record"]["id"].as_str().unwrap().to_string())
        .collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !stored.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged webhooks lost after kill -9, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );
}

async fn all_events(client: &reqwest::Client, service: &Service) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = "0".to_string();
    loop {
        let url = format!("{}/api/events?after={after}&limit=1000", service.url);
        let (_, page) = get(client, url).await;
        let events = page["events"].as_array().cloned().unwrap_or_default();
        if events.is_empty() {
            return all;
        }
        after = page["next"].as_str().unwrap().to_string();
        all.extend(events);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_that_fell_due_while_down_runs_after_restart() {
    let app = external_app();
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::start(&data, &[]);
    let (_, created) = create(
        &client,
        &service,
        &app,
        json!({ "channel": "c", "refreshInMs": 1500 }),
    )
    .await;
    assert!(
        created["nextRefreshTimestamp"].as_i64().is_some(),
        "{created}"
    );
    service.stop();
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let renewals = || {
        app.requests()
            .iter()
            .filter(|r| r.path == "/hooks/hook-1/renew")
            .count()
    };
    assert_eq!(renewals(), 0);
    let start = Instant::now();
    let _service = Service::start(&data, &[]);
    while renewals() == 0 && start.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        renewals() >= 1,
        "the overdue refresh did not run after the restart"
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "it ran only after {:?}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_subscribe_answers_502_and_leaves_the_subscription_failed() {
    let app = external_app();
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::start(&data, &[]);
    let (status, body) = create(&client, &service, &app, json!({ "channel": "refuse" })).await;
    assert_eq!(status, 502, "{body}");
    let error = &body["error"];
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("the app refused this channel"),
        "{body}"
    );
    assert_eq!(error["kind"], "exception");
    assert!(
        error["location"]
            .as_str()
            .unwrap()
            .starts_with("events/ticks/subscribe.js:"),
        "{body}"
    );
    assert!(
        error["stack"].as_str().unwrap().contains("subscribe.js"),
        "{body}"
    );
    assert_eq!(error["console"][0]["message"], "refusing channel refuse");
    let (_, list) = get(&client, format!("{}/api/subscriptions", service.url)).await;
    let subscription = &list["subscriptions"][0];
    assert_eq!(subscription["status"], "failed", "never half-active");
    let webhook = format!(
        "{}/webhooks/{}",
        service.url,
        subscription["id"].as_str().unwrap()
    );
    let reply = client
        .post(webhook)
        .json(&json!({ "id": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 410);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_refresh_is_retried_with_backoff_and_visible() {
    let renew_fails = Arc::new(AtomicBool::new(true));
    let app = external_app_with(renew_fails.clone());
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::start(&data, &[]);
    let (_, created) = create(
        &client,
        &service,
        &app,
        json!({ "channel": "c", "refreshInMs": 100 }),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_string();
    let url = format!("{}/api/subscriptions/{id}", service.url);
    let renewals = || {
        app.requests()
            .iter()
            .filter(|r| r.path == "/hooks/hook-1/renew")
            .count()
    };
    let start = Instant::now();
    while renewals() < 2 && start.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(renewals() >= 2, "the failed refresh was retried");
    let (_, failing) = get(&client, &url).await;
    assert!(
        failing["refreshFailures"].as_u64().unwrap() >= 1,
        "{failing}"
    );
    assert!(
        failing["lastError"].as_str().unwrap().contains("503"),
        "{failing}"
    );
    assert_eq!(failing["status"], "active");
    let metrics = client
        .get(format!("{}/metrics", service.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("connector_refreshes_total{outcome=\"error\"}"),
        "{metrics}"
    );
    renew_fails.store(false, Ordering::SeqCst);
    let start = Instant::now();
    loop {
        let (_, now) = get(&client, &url).await;
        if now["refreshFailures"] == 0 {
            assert!(now["lastError"].is_null(), "{now}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the refresh never recovered: {now}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_events_from_handle_store_nothing_and_answer_500() {
    let (_keep, client, service, id) = running().await;
    let reply = client
        .post(format!("{}/webhooks/{id}", service.url))
        .json(&json!({ "badEvents": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 500);
    assert!(events(&client, &service).await.is_empty());
    let (_, logs) = get(
        &client,
        format!("{}/api/subscriptions/{id}/logs", service.url),
    )
    .await;
    assert_eq!(logs["logs"][0]["outcome"], "bad_result");
    let bad_header = client
        .post(format!("{}/webhooks/{id}", service.url))
        .json(&json!({ "badHeader": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        bad_header.status(),
        500,
        "a response that cannot be sent fails before anything is stored"
    );
    assert!(events(&client, &service).await.is_empty());
    assert!(
        logs["logs"][0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("without a record with an id"),
        "{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_webhooks_in_flight_finish_and_store() {
    let app = external_app();
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::start(&data, &[]);
    let (_, created) = create(&client, &service, &app, json!({ "channel": "c" })).await;
    let webhook = format!(
        "{}/webhooks/{}",
        service.url,
        created["id"].as_str().unwrap()
    );
    let slow = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .post(webhook)
                .json(&json!({ "id": 99, "slowMs": 700 }))
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let port = service.url.rsplit(':').next().unwrap().parse().unwrap();
    service.stop();
    assert_eq!(
        slow.await.unwrap().unwrap(),
        202,
        "the webhook in flight was answered"
    );
    let service = Service::start_on(port, &data, &[]);
    let stored = events(&client, &service).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["record"]["id"], "99");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_delivery_posts_every_event_in_order_through_failures_and_restarts() {
    let failures_left = Arc::new(std::sync::atomic::AtomicUsize::new(2));
    let platform = FakeApp::start({
        let failures_left = failures_left.clone();
        move |_: &Recorded| {
            let fail = failures_left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if fail {
                Reply::json(503, "{}")
            } else {
                Reply::json(200, "{}")
            }
        }
    });
    let app = external_app();
    let (_dir, data) = data_dir();
    let client = client();
    let target = format!("{}/events", platform.url());
    let service = Service::start(&data, &["--deliver-to", &target]);
    let (_, created) = create(&client, &service, &app, json!({ "channel": "c" })).await;
    let webhook = format!(
        "{}/webhooks/{}",
        service.url,
        created["id"].as_str().unwrap()
    );
    for n in 0..20 {
        client
            .post(&webhook)
            .json(&json!({ "id": n }))
            .send()
            .await
            .unwrap();
    }
    let port: u16 = service.url.rsplit(':').next().unwrap().parse().unwrap();
    service.stop();
    let service = Service::start_on(port, &data, &["--deliver-to", &target]);
    for n in 20..30 {
        client
            .post(&webhook)
            .json(&json!({ "id": n }))
            .send()
            .await
            .unwrap();
    }
    let delivered = || -> Vec<String> {
        let mut ids = Vec::new();
        for request in platform.requests() {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            ids.extend(
                body["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["record"]["id"].as_str().unwrap().to_string()),
            );
        }
        ids
    };
    let start = Instant::now();
    let expected: Vec<String> = (0..30).map(|n| n.to_string()).collect();
    loop {
        // At least once: retried batches repeat ids; in order: first sightings follow the events.
        let mut first_seen: Vec<String> = Vec::new();
        for id in delivered() {
            if !first_seen.contains(&id) {
                first_seen.push(id);
            }
        }
        if first_seen.len() >= expected.len() {
            assert_eq!(first_seen, expected, "delivered out of order");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "not everything was delivered: {first_seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let metrics = client
        .get(format!("{}/metrics", service.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("connector_events_delivered_total"),
        "{metrics}"
    );
    assert!(
        metrics.contains("connector_webhooks_total{status=\"202\"} 10"),
        "{metrics}"
    );
}

/// The README's quickstart, with the shipped `generic` connector.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_quickstart_works() {
    let (_dir, data) = data_dir();
    let client = client();
    let connectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("connectors");
    let service = Service::start_with(&connectors, 0, &data, &[]);
    let body = json!({ "connector": "generic", "event": "json-webhook", "parameters": { "idField": "id" } });
    let (status, created) = json_of(
        client
            .post(format!("{}/api/subscriptions", service.url))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, created["status"].as_str()),
        (201, Some("active")),
        "{created}"
    );
    let webhook = created["webhookUri"].as_str().unwrap();
    let head = client.head(webhook).send().await.unwrap();
    assert_eq!(head.status(), 200, "a URL check is answered");
    let reply = client
        .post(webhook)
        .json(&json!({ "id": 42, "title": "hello" }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let stored = events(&client, &service).await;
    assert_eq!(stored.len(), 1, "the URL check stored nothing: {stored:?}");
    assert_eq!(stored[0]["record"], json!({ "id": "42", "title": "hello" }));
}

/// POSTs to `url` from a plain thread (the fake app's handler is synchronous) and returns the
/// status line and the headers of the answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handshake_during_subscribe_keeps_both_states() {
    let app = FakeApp::start(|r: &Recorded| {
        if r.path != "/hooks-with-handshake" {
            return Reply::json(404, "{}");
        }
        let url: Value = serde_json::from_slice(&r.body).unwrap();
        let url = url["url"].as_str().unwrap().to_string();
        let answer = call_blocking("POST", &url, &[("x-hook-secret", "sec-1")], b"");
        if answer.status == 200 && answer.header("x-hook-secret") == Some("sec-1") {
            Reply::json(201, r#"{"id":"hook-2"}"#)
        } else {
            Reply::json(
                400,
                &json!({ "error": "handshake failed", "answer": answer.text() }).to_string(),
            )
        }
    });
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::start(&data, &[]);
    let body = json!({ "connector": "counter", "event": "handshake", "credentials": { "apiBaseUri": app.url(), "token": "t" } });
    let (status, created) = json_of(
        client
            .post(format!("{}/api/subscriptions", service.url))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["state"],
        json!({ "secret": "sec-1", "hookId": "hook-2" }),
        "the handshake's state and subscribe's, merged"
    );
    let reply = client
        .post(created["webhookUri"].as_str().unwrap())
        .json(&json!({ "id": 5 }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(
        events(&client, &service).await[0]["record"],
        json!({ "id": "5", "signedWith": "sec-1" })
    );
}

/// The fake app of the relay connector: `/me` tells a token's team (`token-<team>`).
fn relay_app() -> FakeApp {
    FakeApp::start(|r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
        ("GET", "/me") => {
            let token = r.header("authorization").unwrap_or("");
            let team = token.strip_prefix("Bearer token-").unwrap_or("none");
            Reply::json(200, &json!({ "team": team }).to_string())
        }
        _ => Reply::json(404, "{}"),
    })
}

async fn subscribe_relay(
    client: &reqwest::Client,
    service: &Service,
    app: &FakeApp,
    event: &str,
    team: &str,
) -> (u16, Value) {
    let body = json!({ "connector": "relay", "event": event,
        "credentials": { "apiBaseUri": app.url(), "token": format!("token-{team}") } });
    common::subscribe(client, service, body).await
}

async fn metric(client: &reqwest::Client, service: &Service, line_start: &str) -> Option<f64> {
    let text = client
        .get(format!("{}/metrics", service.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(line_start)?.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_webhook_events_go_to_every_subscription_with_their_selector() {
    let app = relay_app();
    let (dir, data) = data_dir();
    let parameters = dir.path().join("connector-parameters.json");
    std::fs::write(&parameters, r#"{"relay": {"secret": "s3"}}"#).unwrap();
    let client = client();
    let service = Service::start(
        &data,
        &["--connector-parameters", parameters.to_str().unwrap()],
    );
    let hook_uri = format!("{}/global-webhooks/relay/events", service.url);

    let (_, listed) = get(
        &client,
        format!("{}/api/connectors/relay/global-webhooks", service.url),
    )
    .await;
    assert_eq!(
        listed,
        json!({ "globalWebhooks": [{ "key": "events", "name": "All events", "uri": hook_uri, "unmatchedDeliveries": 0, "lastError": null }] })
    );

    let mut ids = Vec::new();
    for team in ["T1", "T2", "T1"] {
        let (status, created) = subscribe_relay(&client, &service, &app, "messages", team).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["status"], "active");
        assert_eq!(
            created["webhookUri"], hook_uri,
            "the one URI of the global webhook"
        );
        ids.push(created["id"].as_str().unwrap().to_string());
    }
    let (a, b, c) = (&ids[0], &ids[1], &ids[2]);

    // The app's URL check (Slack's url_verification) is answered by handle alone.
    let reply = client
        .post(&hook_uri)
        .json(&json!({ "challenge": "ch-1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(
        reply.json::<Value>().await.unwrap(),
        json!({ "challenge": "ch-1" })
    );

    let deliver = |secret: &'static str, events: Value| {
        client
            .post(&hook_uri)
            .header("x-relay-secret", secret)
            .json(&json!({ "events": events }))
            .send()
    };
    let reply = deliver("wrong", json!([{ "team": "T1", "text": "forged" }]))
        .await
        .unwrap();
    assert_eq!(
        reply.status(),
        401,
        "the connector parameters reach the global handle"
    );
    assert!(events(&client, &service).await.is_empty());

    let reply = deliver(
        "s3",
        json!([{ "team": "T1", "text": "hi" }, { "team": "T2", "text": "yo" }]),
    )
    .await
    .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.text().await.unwrap(), "ok");
    let stored: Vec<(String, Value)> = events(&client, &service)
        .await
        .iter()
        .map(|e| {
            (
                e["subscriptionId"].as_str().unwrap().to_string(),
                e["payload"].clone(),
            )
        })
        .collect();
    let hi = json!({ "team": "T1", "text": "hi" });
    let yo = json!({ "team": "T2", "text": "yo" });
    let mut expected = vec![
        (a.clone(), hi.clone()),
        (c.clone(), hi.clone()),
        (b.clone(), yo.clone()),
    ];
    expected[..2].sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(
        stored, expected,
        "each event to every subscription of its team, and only those"
    );

    // An event nobody subscribed to is answered, counted and listed, not dropped silently.
    let reply = deliver("s3", json!([{ "team": "T9", "text": "nobody" }]))
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(events(&client, &service).await.len(), 3);
    let unmatched = "connector_global_webhook_deliveries_total{connector=\"relay\",webhook=\"events\",outcome=\"unmatched\"}";
    assert_eq!(metric(&client, &service, unmatched).await, Some(1.0));
    let (_, listed) = get(
        &client,
        format!("{}/api/connectors/relay/global-webhooks", service.url),
    )
    .await;
    assert_eq!(listed["globalWebhooks"][0]["unmatchedDeliveries"], 1);

    // A failing global handle: a short 500 to the app, the error for the operator in the listing.
    let reply = client
        .post(&hook_uri)
        .json(&json!({ "boom": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 500);
    let (_, listed) = get(
        &client,
        format!("{}/api/connectors/relay/global-webhooks", service.url),
    )
    .await;
    let error = listed["globalWebhooks"][0]["lastError"]["message"]
        .as_str()
        .unwrap();
    assert!(
        error.contains("asked to fail") && error.contains("global-webhooks/events/handle.js:"),
        "{error}"
    );

    // A deleted subscription gets no more; the route survives a restart.
    let deleted = client
        .delete(format!("{}/api/subscriptions/{c}", service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let port = service.url.rsplit(':').next().unwrap().parse().unwrap();
    service.stop();
    let service = Service::start_on(
        port,
        &data,
        &["--connector-parameters", parameters.to_str().unwrap()],
    );
    let reply = client
        .post(&hook_uri)
        .header("x-relay-secret", "s3")
        .json(&json!({ "events": [{ "team": "T1", "text": "again" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let last: Vec<Value> = events(&client, &service).await.split_off(3);
    assert_eq!(last.len(), 1, "{last:?}");
    assert_eq!(last[0]["subscriptionId"], json!(a));

    for unknown in ["global-webhooks/relay/nope", "global-webhooks/nope/events"] {
        let reply = client
            .post(format!("{}/{unknown}", service.url))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 404, "{unknown}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_event_selector_fails_the_subscription_naming_the_webhooks() {
    let app = relay_app();
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::start(&data, &[]);
    let (status, body) = subscribe_relay(&client, &service, &app, "wrong-key", "T1").await;
    assert_eq!(status, 502, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("globalWebhookKey 'no-such-webhook'")
            && message.contains("(it has: events)"),
        "{message}"
    );
    let (_, listed) = get(&client, format!("{}/api/subscriptions", service.url)).await;
    assert_eq!(listed["subscriptions"][0]["status"], "failed");
}

/// The fake app of `lost_subscriptions...`: hooks it knows, and whether it takes new ones.
fn forgetful_app(alive: Arc<Mutex<Vec<String>>>, refuse: Arc<AtomicBool>) -> FakeApp {
    let next = Arc::new(std::sync::atomic::AtomicU32::new(1));
    FakeApp::start(move |r: &Recorded| {
        let mut alive = alive.lock().unwrap();
        match (r.method.as_str(), r.path.as_str()) {
            ("POST", "/hooks") if refuse.load(Ordering::SeqCst) => Reply::json(503, "{}"),
            ("POST", "/hooks") => {
                let id = format!("hook-{}", next.fetch_add(1, Ordering::SeqCst));
                alive.push(id.clone());
                Reply::json(201, &json!({ "id": id }).to_string())
            }
            ("POST", path) => {
                let id = path
                    .trim_start_matches("/hooks/")
                    .trim_end_matches("/renew");
                match alive.iter().any(|a| a == id) {
                    true => Reply::json(200, "{}"),
                    false => Reply::json(404, r#"{"error":"no such hook"}"#),
                }
            }
            _ => Reply::json(404, "{}"),
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_the_app_lost_is_recreated_or_else_expires_visibly() {
    let alive = Arc::new(Mutex::new(Vec::new()));
    let refuse = Arc::new(AtomicBool::new(false));
    let app = forgetful_app(alive.clone(), refuse.clone());
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::start(&data, &[]);
    let (status, created) = create(&client, &service, &app, json!({ "channel": "c1" })).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let refresh = format!("{}/api/subscriptions/{id}/refresh", service.url);

    // The app forgot the hook: the refresh's 404 re-creates it, same URI, new id, state kept.
    alive.lock().unwrap().clear();
    let (status, refreshed) = json_of(client.post(&refresh).send().await.unwrap()).await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(refreshed["status"], "active");
    assert_eq!(
        refreshed["state"],
        json!({ "hookId": "hook-2", "count": 0 })
    );
    assert_eq!(refreshed["lastError"], Value::Null);
    let creates: Vec<Value> = app
        .requests()
        .iter()
        .filter(|r| r.path == "/hooks")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(creates.len(), 2);
    assert_eq!(creates[1]["url"], created["webhookUri"]);
    let recreated = "connector_refreshes_total{outcome=\"recreated\"}";
    assert_eq!(metric(&client, &service, recreated).await, Some(1.0));

    // Lost again while the app refuses new hooks: still active, retried with backoff, and said.
    alive.lock().unwrap().clear();
    refuse.store(true, Ordering::SeqCst);
    let before = common::unix_now() as i64 * 1000;
    let (status, failed) = json_of(client.post(&refresh).send().await.unwrap()).await;
    assert_eq!(
        status, 502,
        "the caller learns the re-creation failed: {failed}"
    );
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("subscribe failed"),
        "{failed}"
    );
    let (_, retried) = get(&client, format!("{}/api/subscriptions/{id}", service.url)).await;
    assert_eq!(retried["status"], "active");
    assert_eq!(retried["recreateFailures"], 1);
    let error = retried["lastError"].as_str().unwrap();
    assert!(
        error.contains("no longer knows") && error.contains("attempt 1 of 8, retried later"),
        "{error}"
    );
    let next = retried["nextRefreshTimestamp"].as_i64().unwrap();
    assert!(
        next >= before + 30_000,
        "retried after 30 s at the earliest, not at once"
    );

    // An event with no subscribe cannot be re-created: it expires, visibly, and webhooks get 410.
    let body = json!({ "connector": "counter", "event": "manual", "parameters": { "hookId": "by-hand" },
        "credentials": { "apiBaseUri": app.url(), "token": "t" } });
    let (status, manual) = common::subscribe(&client, &service, body).await;
    assert_eq!(status, 201, "{manual}");
    let manual_id = manual["id"].as_str().unwrap();
    let (status, expired) = json_of(
        client
            .post(format!(
                "{}/api/subscriptions/{manual_id}/refresh",
                service.url
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 502, "{expired}");
    let message = expired["error"]["message"].as_str().unwrap();
    assert!(message.contains("expired"), "{message}");
    let (_, expired) = get(
        &client,
        format!("{}/api/subscriptions/{manual_id}", service.url),
    )
    .await;
    assert_eq!(expired["status"], "expired");
    assert_eq!(expired["nextRefreshTimestamp"], Value::Null);
    let error = expired["lastError"].as_str().unwrap();
    assert!(
        error.starts_with("expired: the external app no longer knows")
            && error.contains("no subscribe"),
        "{error}"
    );
    let reply = client
        .post(manual["webhookUri"].as_str().unwrap())
        .json(&json!({ "id": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 410);
    assert_eq!(
        metric(
            &client,
            &service,
            "connector_subscriptions{status=\"expired\"}"
        )
        .await,
        Some(1.0)
    );
    assert_eq!(
        metric(
            &client,
            &service,
            "connector_refreshes_total{outcome=\"expired\"}"
        )
        .await,
        Some(1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsubscribing_a_hook_the_app_already_deleted_still_deletes() {
    let alive = Arc::new(Mutex::new(Vec::new()));
    let app = forgetful_app(alive, Arc::new(AtomicBool::new(false)));
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::start(&data, &[]);
    let (_, created) = create(&client, &service, &app, json!({ "channel": "c1" })).await;
    let id = created["id"].as_str().unwrap();
    // The fake answers DELETE /hooks/hook-1 with 404: already gone there.
    let deleted = client
        .delete(format!("{}/api/subscriptions/{id}", service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let (_, after) = get(&client, format!("{}/api/subscriptions/{id}", service.url)).await;
    assert_eq!(after["status"], "deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_runs_to_its_end_when_the_caller_hangs_up() {
    let app = FakeApp::start(|r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/hooks") => Reply::json(201, r#"{"id":"hook-1"}"#),
        ("POST", "/hooks/hook-1/renew") => Reply::json(200, "{}").after(Duration::from_millis(800)),
        _ => Reply::json(404, "{}"),
    });
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::start(&data, &[]);
    let parameters = json!({ "channel": "c1", "refreshInMs": 3_600_000 });
    let (_, created) = create(&client, &service, &app, parameters).await;
    let id = created["id"].as_str().unwrap();
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let hung_up = impatient
        .post(format!("{}/api/subscriptions/{id}/refresh", service.url))
        .send()
        .await;
    assert!(
        hung_up.is_err(),
        "the caller gave up before the app answered"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let logs = loop {
        let (_, logs) = get(
            &client,
            format!("{}/api/subscriptions/{id}/logs", service.url),
        )
        .await;
        let refreshed = logs["logs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["method"] == "refresh");
        if refreshed || Instant::now() > deadline {
            break logs;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let refresh = logs["logs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["method"] == "refresh")
        .unwrap_or_else(|| panic!("the refresh was dropped with the request: {logs}"));
    assert_eq!(refresh["outcome"], "ok");
    let (_, after) = get(&client, format!("{}/api/subscriptions/{id}", service.url)).await;
    let next = after["nextRefreshTimestamp"].as_i64().unwrap();
    assert!(
        next > created["nextRefreshTimestamp"].as_i64().unwrap(),
        "its result was stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_re_creation_at_a_time() {
    let creates = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counted = creates.clone();
    let app = FakeApp::start(
        move |r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
            ("POST", "/hooks") => {
                let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
                let reply = Reply::json(201, &json!({ "id": format!("hook-{n}") }).to_string());
                // The re-creation takes a while, as a create call waiting for a handshake does.
                if n > 1 {
                    reply.after(Duration::from_millis(800))
                } else {
                    reply
                }
            }
            _ => Reply::json(404, r#"{"error":"no such hook"}"#),
        },
    );
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::start(&data, &[]);
    let (_, created) = create(&client, &service, &app, json!({ "channel": "c1" })).await;
    let refresh = format!(
        "{}/api/subscriptions/{}/refresh",
        service.url,
        created["id"].as_str().unwrap()
    );
    let first = tokio::spawn(client.post(&refresh).send());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, second) = json_of(client.post(&refresh).send().await.unwrap()).await;
    assert_eq!(status, 409, "{second}");
    let (status, first) = json_of(first.await.unwrap().unwrap()).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["state"]["hookId"], "hook-2");
    assert_eq!(
        creates.load(Ordering::SeqCst),
        2,
        "created once, re-created once"
    );
}

/// The fake app for the interrupted-subscribe tests: creating a hook takes 1.5 s.
fn slow_app() -> FakeApp {
    FakeApp::start(|r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/hooks") => {
            Reply::json(201, r#"{"id":"hook-1"}"#).after(Duration::from_millis(1500))
        }
        _ => Reply::json(404, "{}"),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscribe_cut_short_by_a_crash_is_failed_after_restart_not_pending() {
    let app = slow_app();
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::start(&data, &[]);
    let creating = {
        let (client, url) = (client.clone(), service.url.clone());
        let body = json!({ "connector": "counter", "event": "ticks", "parameters": { "channel": "c1" },
            "credentials": { "apiBaseUri": app.url(), "token": "t" } });
        tokio::spawn(async move {
            client
                .post(format!("{url}/api/subscriptions"))
                .json(&body)
                .send()
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    service.kill();
    assert!(
        creating.await.unwrap().is_err(),
        "the create call died with the service"
    );
    let service = Service::start(&data, &[]);
    let (_, listed) = get(&client, format!("{}/api/subscriptions", service.url)).await;
    let subscription = &listed["subscriptions"][0];
    assert_eq!(subscription["status"], "failed", "{listed}");
    let error = subscription["lastError"].as_str().unwrap();
    assert!(
        error.contains("the service stopped while subscribe ran"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_subscribe_whose_caller_hung_up_finish() {
    let app = slow_app();
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::start(&data, &[]);
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let body = json!({ "connector": "counter", "event": "ticks", "parameters": { "channel": "c1" },
        "credentials": { "apiBaseUri": app.url(), "token": "t" } });
    let hung_up = impatient
        .post(format!("{}/api/subscriptions", service.url))
        .json(&body)
        .send()
        .await;
    assert!(hung_up.is_err());
    service.stop();
    let service = Service::start(&data, &[]);
    let (_, listed) = get(&client, format!("{}/api/subscriptions", service.url)).await;
    let subscription = &listed["subscriptions"][0];
    assert_eq!(subscription["status"], "active", "{listed}");
    assert_eq!(subscription["state"]["hookId"], "hook-1");
}

/// A webhook's connection is served on the JS worker that runs its handle; the management API
/// and `/metrics` are not, so a handle running for seconds holds neither up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_running_handle_holds_up_neither_the_api_nor_metrics() {
    let (_keep, client, service, id) = running().await;
    let webhook = format!("{}/webhooks/{id}", service.url);
    let spinning = tokio::spawn({
        let client = client.clone();
        async move {
            let response = client
                .post(webhook)
                .json(&json!({ "id": 1, "spinMs": 3000 }));
            response.send().await.unwrap().status()
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    for path in [format!("/api/subscriptions/{id}"), "/metrics".to_string()] {
        // A new connection each time, as a separate client would open.
        let fresh = common::client();
        let start = Instant::now();
        let response = fresh.get(format!("{}{path}", service.url)).send().await;
        assert_eq!(response.unwrap().status(), 200, "{path}");
        assert!(
            start.elapsed() < Duration::from_millis(1500),
            "{path} took {:?} while a handle ran",
            start.elapsed()
        );
    }
    assert!(!spinning.is_finished(), "the handle was still running");
    assert_eq!(spinning.await.unwrap(), 202);
}

/// The signing helpers the connector tests share (`tests/common`).
#[test]
fn the_signing_helpers_match_known_values() {
    // RFC 4231 test case 2, and base64 as `Buffer.from('hello').toString('base64')` gives.
    assert_eq!(
        common::hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    assert_eq!(common::base64(b"hello"), "aGVsbG8=");
    assert_eq!(common::base64(b"hi"), "aGk=");
    // HMAC-SHA1 as `node -e "crypto.createHmac('sha1', 'key').update(...).digest('hex')"` gives.
    assert_eq!(
        common::hex(&common::hmac_sha1(
            b"key",
            b"The quick brown fox jumps over the lazy dog"
        )),
        "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_entries_past_their_retention_are_deleted_and_events_stay() {
    let app = external_app();
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::start(&data, &["--log-retention", "2s"]);
    let (status, created) = create(&client, &service, &app, json!({ "channel": "c" })).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let webhook = |n: u32| {
        client
            .post(format!("{}/webhooks/{id}", service.url))
            .json(&json!({ "id": n }))
            .send()
    };
    let logs_url = format!("{}/api/subscriptions/{id}/logs", service.url);
    let methods = |logs: &Value| -> Vec<String> {
        let entries = logs["logs"].as_array().unwrap();
        entries
            .iter()
            .map(|l| l["method"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(webhook(1).await.unwrap().status(), 202);
    let (_, logs) = get(&client, &logs_url).await;
    assert_eq!(methods(&logs), ["handle", "subscribe"]);
    let start = Instant::now();
    let polled = async || get(&client, &logs_url).await.1;
    until("entries older than 2 s were kept", polled, |logs| {
        methods(logs).is_empty()
    })
    .await;
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "deleted too early"
    );
    assert_eq!(webhook(2).await.unwrap().status(), 202);
    let (_, logs) = get(&client, &logs_url).await;
    assert_eq!(methods(&logs), ["handle"], "a new entry is kept");
    assert_eq!(
        events(&client, &service).await.len(),
        2,
        "events are not pruned"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_past_their_retention_are_deleted_and_ids_go_on() {
    let app = external_app();
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::start(&data, &["--event-retention", "2s"]);
    let (_, created) = create(&client, &service, &app, json!({ "channel": "c" })).await;
    let webhook = format!(
        "{}/webhooks/{}",
        service.url,
        created["id"].as_str().unwrap()
    );
    let send = |n: u32| client.post(&webhook).json(&json!({ "id": n })).send();
    assert_eq!(send(1).await.unwrap().status(), 202);
    let first = events(&client, &service).await;
    assert_eq!(first.len(), 1);
    let id_of = |event: &Value| event["id"].as_str().unwrap().parse::<i64>().unwrap();
    let first_id = id_of(&first[0]);
    let start = Instant::now();
    let polled = async || events(&client, &service).await;
    until("events older than 2 s were kept", polled, Vec::is_empty).await;
    assert!(
        start.elapsed() >= Duration::from_millis(1500),
        "deleted too early"
    );
    let logs = format!(
        "{}/api/subscriptions/{}/logs",
        service.url,
        created["id"].as_str().unwrap()
    );
    let (_, logs) = get(&client, &logs).await;
    assert_eq!(
        logs["logs"].as_array().unwrap().len(),
        2,
        "logs keep their own retention"
    );

    assert_eq!(send(2).await.unwrap().status(), 202);
    let (_, after) = get(
        &client,
        format!("{}/api/events?after={first_id}", service.url),
    )
    .await;
    let after = after["events"].as_array().unwrap();
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0]["record"]["id"], "2");
    assert!(id_of(&after[0]) > first_id, "an id came back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_push_delivery_an_event_is_deleted_only_once_delivered() {
    let accepting = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let platform = FakeApp::start({
        let accepting = accepting.clone();
        move |_: &Recorded| {
            if accepting.load(Ordering::SeqCst) {
                Reply::json(200, "{}")
            } else {
                Reply::json(503, "{}")
            }
        }
    });
    let app = external_app();
    let (_dir, data) = data_dir();
    let client = client();
    let target = format!("{}/events", platform.url());
    let service = Service::start(&data, &["--event-retention", "1s", "--deliver-to", &target]);
    let (_, created) = create(&client, &service, &app, json!({ "channel": "c" })).await;
    let webhook = format!(
        "{}/webhooks/{}",
        service.url,
        created["id"].as_str().unwrap()
    );
    let sent = client.post(&webhook).json(&json!({ "id": 1 })).send();
    assert_eq!(sent.await.unwrap().status(), 202);
    // Well past its retention, and refused by the platform all along: kept.
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        assert_eq!(
            events(&client, &service).await.len(),
            1,
            "an undelivered event was deleted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        !platform.requests().is_empty(),
        "delivery was not even tried"
    );
    accepting.store(true, Ordering::SeqCst);
    let polled = async || events(&client, &service).await;
    until(
        "a delivered event past its retention was kept",
        polled,
        Vec::is_empty,
    )
    .await;
}
