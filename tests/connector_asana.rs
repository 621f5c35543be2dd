//! The shipped `asana` connector end to end: the real service against a fake Asana that answers
//! `POST /api/1.0/webhooks` only after the X-Hook-Secret handshake with the target succeeded, signs
//! deliveries with X-Hook-Signature (hex HMAC-SHA256 of the raw body under that secret), and deletes
//! webhooks with `DELETE /api/1.0/webhooks/{gid}`. A webhook Asana deleted is re-created by the
//! service; its handshake is echoed only once Asana says the old webhook is gone, and the new key
//! comes from the create call's answer. Asana publishes no signature test vector, so the expected
//! signatures are computed here.

mod common;
use common::{Service, client, data_dir, events, get, hmac_sha256_hex, json_of, subscribe};
use test_support::{FakeApp, Recorded, Reply, call_blocking};

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

const TOKEN: &str = "2/1200/1201:test-pat";

/// What the fake Asana keeps: its webhooks (gid → target) and how each handshake was answered.
#[derive(Default)]
struct Asana {
    webhooks: BTreeMap<String, String>,
    handshakes: Vec<(u16, Option<String>)>,
    created: u64,
}

/// The secret Asana hands out for webhook `gid` (64 hex digits, as Asana's are).
fn secret_of(gid: &str) -> String {
    hmac_sha256_hex(b"fake-asana", gid.as_bytes())
}

fn errors(status: u16, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({ "errors": [{ "message": message }] }).to_string(),
    )
}

fn webhook_json(gid: &str, target: &str) -> Value {
    json!({ "gid": gid, "resource_type": "webhook", "resource": { "gid": "8675309", "name": "Bugs" },
        "target": target, "active": true, "last_success_at": null, "last_failure_at": null,
        "last_failure_content": "" })
}

fn fake_asana(asana: Arc<Mutex<Asana>>) -> FakeApp {
    FakeApp::start(move |r: &Recorded| {
        if r.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return errors(401, "Not Authorized");
        }
        let gid = r
            .path
            .strip_prefix("/api/1.0/webhooks/")
            .map(str::to_string);
        match (r.method.as_str(), r.path.as_str(), gid) {
            ("POST", "/api/1.0/webhooks", _) => {
                let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
                let (resource, target) = (&body["data"]["resource"], &body["data"]["target"]);
                if resource != "8675309" {
                    return errors(404, "resource: Unknown object: 0");
                }
                let target = target.as_str().unwrap_or_default().to_string();
                let gid = {
                    let mut asana = asana.lock().unwrap();
                    asana.created += 1;
                    format!("120000000000{}", asana.created)
                };
                // The create call blocks until the target has echoed the secret.
                let secret = secret_of(&gid);
                let answer = call_blocking("POST", &target, &[("x-hook-secret", &secret)], b"");
                let echoed = answer.header("x-hook-secret").map(str::to_string);
                let mut asana = asana.lock().unwrap();
                asana.handshakes.push((answer.status, echoed.clone()));
                if !matches!(answer.status, 200 | 204) || echoed.as_deref() != Some(&secret) {
                    return errors(
                        400,
                        "Could not complete activation handshake with target URL.",
                    );
                }
                asana.webhooks.insert(gid.clone(), target.clone());
                let body = json!({ "data": webhook_json(&gid, &target), "X-Hook-Secret": secret });
                Reply::json(201, &body.to_string())
            }
            ("GET", _, Some(gid)) => match asana.lock().unwrap().webhooks.get(&gid) {
                Some(target) => Reply::json(
                    200,
                    &json!({ "data": webhook_json(&gid, target) }).to_string(),
                ),
                None => errors(404, "Not Found"),
            },
            ("DELETE", _, Some(gid)) => match asana.lock().unwrap().webhooks.remove(&gid) {
                Some(_) => Reply::json(200, r#"{"data":{}}"#),
                None => errors(404, "Not Found"),
            },
            _ => errors(404, "Not Found"),
        }
    })
}

async fn create(client: &reqwest::Client, service: &Service, app: &FakeApp) -> (u16, Value) {
    subscribe(
        client,
        service,
        json!({ "connector": "asana", "event": "task-events",
            "parameters": { "resource": "8675309", "fields": ["due_on", "assignee"] },
            "credentials": { "accessToken": TOKEN, "apiBaseUri": format!("{}/api/1.0", app.url()) } }),
    )
    .await
}

/// POSTs `body` to the webhook URI as Asana does, with `signature` as X-Hook-Signature.
async fn deliver(
    client: &reqwest::Client,
    uri: &str,
    body: &str,
    signature: Option<&str>,
) -> (u16, Value) {
    let mut request = client
        .post(uri)
        .header("content-type", "application/json; charset=UTF-8")
        .body(body.to_string());
    if let Some(signature) = signature {
        request = request.header("x-hook-signature", signature);
    }
    json_of(request.send().await.unwrap()).await
}

/// The stored events without their ids and times.
async fn stored(client: &reqwest::Client, service: &Service) -> Vec<Value> {
    let all = events(client, service).await;
    all.iter()
        .map(|e| {
            assert_eq!(
                (&e["connector"], &e["event"]),
                (&json!("asana"), &json!("task-events"))
            );
            json!({ "type": e["type"], "record": e["record"] })
        })
        .collect()
}

const TASK_EVENTS: &str = r#"{"events":[{"user":{"gid":"1111","resource_type":"user"},"created_at":"2024-01-01T00:00:00.000Z","action":"added","resource":{"gid":"2222","resource_type":"task","resource_subtype":"default_task"},"parent":{"gid":"8675309","resource_type":"project"}},{"user":{"gid":"1111","resource_type":"user"},"created_at":"2024-01-01T00:00:01.000Z","action":"changed","resource":{"gid":"2222","resource_type":"task","resource_subtype":"default_task"},"parent":null,"change":{"field":"assignee","action":"changed"}},{"user":{"gid":"1111","resource_type":"user"},"created_at":"2024-01-01T00:00:02.000Z","action":"added","resource":{"gid":"3333","resource_type":"story","resource_subtype":"comment_added"},"parent":{"gid":"2222","resource_type":"task"}},{"user":{"gid":"1111","resource_type":"user"},"created_at":"2024-01-01T00:00:03.000Z","action":"removed","resource":{"gid":"2222","resource_type":"task","resource_subtype":"default_task"},"parent":{"gid":"8675309","resource_type":"project"}},{"user":null,"created_at":"2024-01-01T00:00:04.000Z","action":"deleted","resource":{"gid":"4444","resource_type":"task","resource_subtype":"milestone"},"parent":null}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_with_handshake_deliver_check_and_unsubscribe() {
    let asana = Arc::new(Mutex::new(Asana::default()));
    let app = fake_asana(asana.clone());
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::shipped(&data, &[]);

    let before = common::unix_now() * 1000;
    let (status, created) = create(&client, &service, &app).await;
    assert_eq!(status, 201, "{created}");
    let gid = "1200000000001";
    let secret = secret_of(gid);
    assert_eq!(created["status"], "active");
    assert_eq!(
        created["state"],
        json!({ "secret": secret, "webhookGid": gid }),
        "the handshake's secret and the create call's gid, merged"
    );
    let day = 24 * 60 * 60 * 1000;
    let next = created["nextRefreshTimestamp"].as_u64().unwrap();
    assert!(
        next >= before + day && next <= before + day + 60_000,
        "{next}"
    );
    let uri = created["webhookUri"].as_str().unwrap().to_string();

    // The exact create call, and the handshake answered 200 with the secret echoed.
    let requests = app.requests();
    assert_eq!(requests.len(), 1);
    let create_call = &requests[0];
    assert_eq!(
        (create_call.method.as_str(), create_call.path.as_str()),
        ("POST", "/api/1.0/webhooks")
    );
    assert_eq!(create_call.header("content-type"), Some("application/json"));
    assert_eq!(create_call.header("accept"), Some("application/json"));
    let filter = |action: &str| json!({ "resource_type": "task", "action": action });
    assert_eq!(
        serde_json::from_slice::<Value>(&create_call.body).unwrap(),
        json!({ "data": { "resource": "8675309", "target": uri, "filters": [
            filter("added"),
            { "resource_type": "task", "action": "changed", "fields": ["due_on", "assignee"] },
            filter("removed"), filter("deleted"), filter("undeleted") ] } })
    );
    assert_eq!(
        asana.lock().unwrap().handshakes,
        vec![(200, Some(secret.clone()))]
    );

    // A heartbeat: answered 200, no event.
    let heartbeat = r#"{"events":[]}"#;
    let signature = hmac_sha256_hex(secret.as_bytes(), heartbeat.as_bytes());
    let (status, _) = deliver(&client, &uri, heartbeat, Some(&signature)).await;
    assert_eq!(status, 200);
    assert_eq!(stored(&client, &service).await, Vec::<Value>::new());

    // Task events become record events, in order; the story event is not a task's.
    let signature = hmac_sha256_hex(secret.as_bytes(), TASK_EVENTS.as_bytes());
    let (status, _) = deliver(&client, &uri, TASK_EVENTS, Some(&signature)).await;
    assert_eq!(status, 200);
    let user = json!({ "gid": "1111", "resource_type": "user" });
    let project = json!({ "gid": "8675309", "resource_type": "project" });
    let task = |action: &str, parent: &Value, at: &str| {
        json!({ "id": "2222", "gid": "2222", "resource_type": "task", "resource_subtype": "default_task",
            "action": action, "parent": parent, "user": user, "created_at": at })
    };
    let mut changed = task("changed", &Value::Null, "2024-01-01T00:00:01.000Z");
    changed["change"] = json!({ "field": "assignee", "action": "changed" });
    let expected = vec![
        json!({ "type": "created", "record": task("added", &project, "2024-01-01T00:00:00.000Z") }),
        json!({ "type": "updated", "record": changed }),
        json!({ "type": "deleted", "record": task("removed", &project, "2024-01-01T00:00:03.000Z") }),
        json!({ "type": "deleted", "record": { "id": "4444", "gid": "4444", "resource_type": "task",
            "resource_subtype": "milestone", "action": "deleted", "parent": null, "user": null,
            "created_at": "2024-01-01T00:00:04.000Z" } }),
    ];
    assert_eq!(stored(&client, &service).await, expected);

    // A signature over another body, a one-byte change, a missing one: 401, nothing stored.
    let tampered = TASK_EVENTS.replace("\"4444\"", "\"4445\"");
    for bad in [Some(signature.as_str()), Some(&signature[..63]), None] {
        let (status, body) = deliver(&client, &uri, &tampered, bad).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"], "invalid or missing X-Hook-Signature");
    }
    let mut flipped = signature.clone().into_bytes();
    flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
    let flipped = String::from_utf8(flipped).unwrap();
    let (status, _) = deliver(&client, &uri, TASK_EVENTS, Some(&flipped)).await;
    assert_eq!(status, 401);
    assert_eq!(stored(&client, &service).await, expected);

    // The daily check finds the webhook still there.
    let response = client
        .post(format!(
            "{}/api/subscriptions/{}/refresh",
            service.url,
            created["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    let (status, refreshed) = json_of(response).await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(refreshed["state"], created["state"]);
    assert!(refreshed["nextRefreshTimestamp"].as_u64().unwrap() >= next);
    let check = app.requests().pop().unwrap();
    assert_eq!(
        (check.method.as_str(), check.path.as_str()),
        ("GET", format!("/api/1.0/webhooks/{gid}").as_str())
    );

    // Unsubscribe: the exact DELETE; later deliveries are refused.
    let url = format!(
        "{}/api/subscriptions/{}",
        service.url,
        created["id"].as_str().unwrap()
    );
    let status = client.delete(&url).send().await.unwrap().status().as_u16();
    assert!((200..300).contains(&status), "{status}");
    let delete = app.requests().pop().unwrap();
    assert_eq!(
        (
            delete.method.as_str(),
            delete.path.as_str(),
            delete.body.len()
        ),
        ("DELETE", format!("/api/1.0/webhooks/{gid}").as_str(), 0)
    );
    assert_eq!(
        delete.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(asana.lock().unwrap().webhooks.is_empty());
    assert_eq!(get(&client, &url).await.1["status"], "deleted");
    let signature = hmac_sha256_hex(secret.as_bytes(), heartbeat.as_bytes());
    assert_eq!(
        deliver(&client, &uri, heartbeat, Some(&signature)).await.0,
        410
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_handshake_cannot_replace_the_secret() {
    let asana = Arc::new(Mutex::new(Asana::default()));
    let app = fake_asana(asana.clone());
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::shipped(&data, &[]);
    let (status, created) = create(&client, &service, &app).await;
    assert_eq!(status, 201, "{created}");
    let uri = created["webhookUri"].as_str().unwrap();
    let secret = secret_of("1200000000001");

    // Someone else's handshake is refused and echoes nothing.
    let other = client
        .post(uri)
        .header("x-hook-secret", "attacker")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 409);
    assert_eq!(other.headers().get("x-hook-secret"), None);
    // Asana repeating its own handshake is answered as the first one was.
    let again = client
        .post(uri)
        .header("x-hook-secret", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["x-hook-secret"], secret.as_str());

    let url = format!(
        "{}/api/subscriptions/{}",
        service.url,
        created["id"].as_str().unwrap()
    );
    assert_eq!(
        get(&client, &url).await.1["state"]["secret"],
        secret.as_str()
    );
    let body = r#"{"events":[{"action":"added","resource":{"gid":"9","resource_type":"task"}}]}"#;
    let forged = hmac_sha256_hex(b"attacker", body.as_bytes());
    assert_eq!(deliver(&client, uri, body, Some(&forged)).await.0, 401);
    assert!(events(&client, &service).await.is_empty());
    // handle asked Asana whether our webhook still exists before refusing.
    let check = app.requests().pop().unwrap();
    assert_eq!(
        (check.method.as_str(), check.path.as_str()),
        ("GET", "/api/1.0/webhooks/1200000000001")
    );

    // Once Asana has deleted our webhook, another handshake is echoed (a re-created webhook's must
    // get through) but its secret is not kept: forged deliveries are still refused.
    asana.lock().unwrap().webhooks.clear();
    let echoed = client
        .post(uri)
        .header("x-hook-secret", "attacker")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.status(), 200);
    assert_eq!(echoed.headers()["x-hook-secret"], "attacker");
    assert_eq!(
        get(&client, &url).await.1["state"],
        json!({ "secret": secret, "webhookGid": "1200000000001" })
    );
    assert_eq!(deliver(&client, uri, body, Some(&forged)).await.0, 401);
    assert!(events(&client, &service).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_webhook_fails_and_one_asana_deleted_is_recreated() {
    let asana = Arc::new(Mutex::new(Asana::default()));
    let app = fake_asana(asana.clone());
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::shipped(&data, &[]);

    // An unknown project: Asana answers 404, the subscription fails with its answer.
    let (status, failed) = subscribe(
        &client,
        &service,
        json!({ "connector": "asana", "event": "task-events", "parameters": { "resource": "0" },
            "credentials": { "accessToken": TOKEN, "apiBaseUri": format!("{}/api/1.0", app.url()) } }),
    )
    .await;
    assert_eq!(status, 502, "{failed}");
    assert!(failed.to_string().contains("404"), "{failed}");

    // Asana deleted a webhook whose deliveries kept failing: the daily check finds it gone, and
    // the service creates it again, with a new handshake that handle echoes.
    let (status, created) = create(&client, &service, &app).await;
    assert_eq!(status, 201, "{created}");
    let (old_gid, new_gid) = ("1200000000001", "1200000000002");
    let (old_secret, new_secret) = (secret_of(old_gid), secret_of(new_gid));
    let uri = created["webhookUri"].as_str().unwrap();
    asana.lock().unwrap().webhooks.clear();
    let seen = app.requests().len();
    let url = format!(
        "{}/api/subscriptions/{}",
        service.url,
        created["id"].as_str().unwrap()
    );
    let before = common::unix_now() * 1000;
    let response = client.post(format!("{url}/refresh")).send().await.unwrap();
    let (status, recreated) = json_of(response).await;
    assert_eq!(status, 200, "{recreated}");
    let requests = app.requests();
    let calls: Vec<(&str, &str)> = requests[seen..]
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    let old_path = format!("/api/1.0/webhooks/{old_gid}");
    assert_eq!(
        calls,
        [
            ("GET", old_path.as_str()),    // refresh: 404
            ("POST", "/api/1.0/webhooks"), // subscribe again
            ("GET", old_path.as_str()),    // handle, at the handshake: still gone
        ]
    );
    assert_eq!(
        requests[seen + 1].body,
        requests[seen - 1].body,
        "the same create call"
    );
    assert_eq!(
        asana.lock().unwrap().handshakes,
        [
            (200, Some(old_secret.clone())),
            (200, Some(new_secret.clone()))
        ]
    );
    assert_eq!(
        recreated["state"],
        json!({ "secret": new_secret, "webhookGid": new_gid }),
        "the key from Asana's answer to the create call"
    );
    assert_eq!(
        (
            &recreated["status"],
            &recreated["lastError"],
            &recreated["refreshFailures"]
        ),
        (&json!("active"), &Value::Null, &json!(0)),
    );
    let next = recreated["nextRefreshTimestamp"].as_u64().unwrap();
    assert!(next >= before + 24 * 60 * 60 * 1000, "{next}");
    let metrics = client.get(format!("{}/metrics", service.url)).send().await;
    let metrics = metrics.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("connector_refreshes_total{outcome=\"recreated\"} 1"),
        "{metrics}"
    );

    // Deliveries of the new webhook verify; the old key no longer does.
    let body = r#"{"events":[{"user":null,"created_at":"2024-01-02T00:00:00.000Z","action":"added","resource":{"gid":"5555","resource_type":"task"},"parent":null}]}"#;
    let old = hmac_sha256_hex(old_secret.as_bytes(), body.as_bytes());
    assert_eq!(deliver(&client, uri, body, Some(&old)).await.0, 401);
    let new = hmac_sha256_hex(new_secret.as_bytes(), body.as_bytes());
    assert_eq!(deliver(&client, uri, body, Some(&new)).await.0, 200);
    assert_eq!(
        stored(&client, &service).await,
        [
            json!({ "type": "created", "record": { "id": "5555", "gid": "5555", "resource_type": "task",
            "action": "added", "parent": null, "user": null, "created_at": "2024-01-02T00:00:00.000Z" } })
        ]
    );
    // And the re-created webhook's secret is as safe as the first: a stranger's handshake is refused.
    let other = client.post(uri).header("x-hook-secret", "attacker").send();
    assert_eq!(other.await.unwrap().status(), 409);

    // Deleting it after Asana deleted it too: Asana's 404 on the DELETE means it is gone already.
    asana.lock().unwrap().webhooks.clear();
    let status = client.delete(&url).send().await.unwrap().status().as_u16();
    assert!((200..300).contains(&status), "{status}");
    let delete = app.requests().pop().unwrap();
    assert_eq!(
        (delete.method.as_str(), delete.path.clone()),
        ("DELETE", format!("/api/1.0/webhooks/{new_gid}"))
    );
    assert_eq!(get(&client, &url).await.1["status"], "deleted");
}
