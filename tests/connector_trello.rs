//! The shipped `trello` connector (YAML only) against a fake Trello API on 127.0.0.1: webhooks
//! created with `POST /1/webhooks` (key and token in the query, a HEAD check of the callback URL
//! that must get a 200), deliveries signed with X-Trello-Webhook, daily re-activation with
//! `PUT /1/webhooks/{id}`, and `DELETE /1/webhooks/{id}`; a webhook Trello deleted answers 404,
//! which makes the service re-create it (refresh) or count it as removed (unsubscribe).

mod common;
use common::{Service, client, data_dir, events, get, json_of, subscribe};
use common::{base64, hmac_sha1, unix_now};
use test_support::{FakeApp, Recorded, Reply, call_blocking};

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

const KEY: &str = "0471642aefef5fa1fa76530ce1ba4c85";
const TOKEN: &str = "9eb76d9a9d02b8dd40c2f3e5df18556c831d4d1fadbe2c45f8310e6c93b5c548";
/// The Power-Up's OAuth secret, which Trello signs deliveries with.
const SECRET: &str = "b1d3a1f6c0e54a2c9f8e7d6c5b4a3f2e";
const BOARD: &str = "5abbe4b7ddc1b351ef961414";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

#[derive(Clone, Debug, PartialEq)]
struct Hook {
    id: String,
    callback_url: String,
    id_model: String,
    active: bool,
}

#[derive(Default)]
struct Trello {
    hooks: Vec<Hook>,
    created: u32,
    /// The callback URLs Trello checked with HEAD, and the status each answered.
    head_checks: Vec<(String, u16)>,
}

fn hook_json(hook: &Hook) -> String {
    json!({ "id": hook.id, "description": "connector-runtime", "idModel": hook.id_model,
        "callbackURL": hook.callback_url, "active": hook.active, "consecutiveFailures": 0,
        "firstConsecutiveFailDate": null })
    .to_string()
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A fake api.trello.com that knows one board, `BOARD`.
fn fake_trello() -> (FakeApp, Arc<Mutex<Trello>>) {
    let trello = Arc::new(Mutex::new(Trello::default()));
    let shared = trello.clone();
    let app = FakeApp::start(move |r: &Recorded| {
        let query: Vec<(&str, &str)> = r
            .query
            .split('&')
            .filter_map(|p| p.split_once('='))
            .collect();
        if !query.contains(&("key", KEY)) {
            return Reply::text(401, "invalid key");
        }
        if !query.contains(&("token", TOKEN)) {
            return Reply::text(401, "invalid token");
        }
        let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        let path: Vec<&str> = r.path.trim_end_matches('/').split('/').collect();
        let not_found = Reply::text(404, "The requested resource was not found.");
        match (r.method.as_str(), path.as_slice()) {
            ("POST", ["", "1", "webhooks"]) => {
                let id_model = body["idModel"].as_str().unwrap_or("");
                if !is_hex(id_model, 24) || id_model != BOARD {
                    return Reply::text(400, "invalid value for idModel");
                }
                let Some(callback) = body["callbackURL"].as_str() else {
                    return Reply::text(400, "invalid value for callbackURL");
                };
                let duplicate = shared
                    .lock()
                    .unwrap()
                    .hooks
                    .iter()
                    .any(|h| h.callback_url == callback && h.id_model == id_model);
                if duplicate {
                    return Reply::text(
                        400,
                        "A webhook with that callback, model, and token already exists",
                    );
                }
                // Trello HEADs the callback URL before it creates anything.
                let answer = call_blocking("HEAD", callback, &[], b"");
                let mut trello = shared.lock().unwrap();
                trello
                    .head_checks
                    .push((callback.to_string(), answer.status));
                if answer.status != 200 {
                    let message = format!(
                        "URL ({callback}) did not return 200 status code, got {}",
                        answer.status
                    );
                    return Reply::text(400, &message);
                }
                trello.created += 1;
                let hook = Hook {
                    id: format!("65a1{:020x}", trello.created),
                    callback_url: callback.to_string(),
                    id_model: id_model.to_string(),
                    active: body["active"].as_bool().unwrap_or(true),
                };
                trello.hooks.push(hook.clone());
                Reply::json(200, &hook_json(&hook))
            }
            ("PUT", ["", "1", "webhooks", id]) => {
                let mut trello = shared.lock().unwrap();
                let Some(hook) = trello.hooks.iter_mut().find(|h| h.id == *id) else {
                    return not_found;
                };
                if let Some(active) = body["active"].as_bool() {
                    hook.active = active;
                }
                Reply::json(200, &hook_json(hook))
            }
            ("DELETE", ["", "1", "webhooks", id]) => {
                let mut trello = shared.lock().unwrap();
                let before = trello.hooks.len();
                trello.hooks.retain(|h| h.id != *id);
                if trello.hooks.len() == before {
                    return not_found;
                }
                Reply::json(200, r#"{"_value":null}"#)
            }
            _ => not_found,
        }
    });
    (app, trello)
}

/// X-Trello-Webhook: base64(HMAC-SHA1(app secret, body + callbackURL)).
fn trello_signature(secret: &str, body: &[u8], callback_url: &str) -> String {
    let mut content = body.to_vec();
    content.extend_from_slice(callback_url.as_bytes());
    base64(&hmac_sha1(secret.as_bytes(), &content))
}

/// Trello's POST of one action on `BOARD` to `callback_url`, signed; a 410 deletes the webhook,
/// as Trello does.
async fn deliver(
    client: &reqwest::Client,
    trello: &Mutex<Trello>,
    callback_url: &str,
    action: Value,
) -> (u16, Value) {
    let body = json!({ "action": action, "model": { "id": BOARD, "name": "Roadmap" } }).to_string();
    let signature = trello_signature(SECRET, body.as_bytes(), callback_url);
    let response = client
        .post(callback_url)
        .header("content-type", "application/json")
        .header("x-trello-webhook", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    let answer = json_of(response).await;
    if answer.0 == 410 {
        trello
            .lock()
            .unwrap()
            .hooks
            .retain(|h| h.callback_url != callback_url);
    }
    answer
}

fn action(id: &str, kind: &str, data: Value) -> Value {
    json!({ "id": id, "idMemberCreator": "4fc8d8a3e7f5a43d3a000001", "type": kind,
        "date": "2024-05-01T10:00:00.000Z", "data": data,
        "memberCreator": { "id": "4fc8d8a3e7f5a43d3a000001", "username": "bob", "fullName": "Bob" } })
}

/// The stored events without their ids and times.
async fn stored(client: &reqwest::Client, service: &Service) -> Vec<Value> {
    events(client, service)
        .await
        .iter()
        .map(|e| match e.get("record") {
            Some(record) => json!({ "type": e["type"], "record": record }),
            None => json!({ "type": e["type"], "payload": e["payload"] }),
        })
        .collect()
}

fn credentials(app: &FakeApp) -> Value {
    json!({ "key": KEY, "token": TOKEN, "apiBaseUri": app.url() })
}

fn now_ms() -> i64 {
    unix_now() as i64 * 1000
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_webhook_from_creation_to_deletion() {
    let (app, trello) = fake_trello();
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::shipped(&data, &[]);

    let before = now_ms();
    let (status, created) = subscribe(&client, &service, json!({ "connector": "trello",
        "event": "activity", "parameters": { "idModel": BOARD }, "credentials": credentials(&app) }))
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "active");
    let hook_id = "65a100000000000000000001";
    assert_eq!(
        created["state"],
        json!({ "webhookId": hook_id, "idModel": BOARD })
    );
    let next = created["nextRefreshTimestamp"].as_i64().unwrap();
    assert!(
        (before + DAY_MS - 5_000..=now_ms() + DAY_MS + 5_000).contains(&next),
        "re-activated daily: {next}"
    );
    let webhook_uri = created["webhookUri"].as_str().unwrap().to_string();
    let id = created["id"].as_str().unwrap().to_string();

    // The exact create call, and Trello's HEAD check, answered 200 with no event.
    let requests = app.requests();
    assert_eq!(requests.len(), 1);
    let create = &requests[0];
    assert_eq!(
        (create.method.as_str(), create.path.as_str()),
        ("POST", "/1/webhooks")
    );
    assert_eq!(create.query, format!("key={KEY}&token={TOKEN}"));
    assert_eq!(create.header("content-type"), Some("application/json"));
    assert_eq!(
        serde_json::from_slice::<Value>(&create.body).unwrap(),
        json!({ "callbackURL": webhook_uri, "idModel": BOARD, "description": "connector-runtime" })
    );
    assert_eq!(
        trello.lock().unwrap().head_checks,
        [(webhook_uri.clone(), 200)]
    );
    assert!(stored(&client, &service).await.is_empty());

    // Card actions become record events; any other action a payload event.
    let board = json!({ "id": BOARD, "name": "Roadmap", "shortLink": "xyz12345" });
    let todo = json!({ "id": "5c0000000000000000000001", "name": "To do" });
    let done = json!({ "id": "5c0000000000000000000002", "name": "Done" });
    let card = "5b0000000000000000000001";
    let deliveries = [
        action(
            "a1",
            "createCard",
            json!({ "card": { "id": card, "name": "Ship it",
            "idShort": 7, "shortLink": "abc123" }, "list": todo, "board": board }),
        ),
        action(
            "a2",
            "updateCard",
            json!({ "card": { "id": card, "name": "Ship it",
            "idShort": 7, "shortLink": "abc123", "idList": done["id"] },
            "old": { "idList": todo["id"] }, "listBefore": todo, "listAfter": done, "board": board }),
        ),
        action(
            "a3",
            "commentCard",
            json!({ "text": "done!", "card": { "id": card,
            "name": "Ship it" }, "list": done, "board": board }),
        ),
        action(
            "a4",
            "deleteCard",
            json!({ "card": { "id": card, "idShort": 7 },
            "list": done, "board": board }),
        ),
    ];
    for delivery in &deliveries {
        let (status, body) = deliver(&client, &trello, &webhook_uri, delivery.clone()).await;
        assert_eq!((status, body), (200, json!("")));
    }
    let meta = |id: &str, kind: &str| {
        json!({ "id": id, "type": kind, "date": "2024-05-01T10:00:00.000Z",
            "memberCreatorId": "4fc8d8a3e7f5a43d3a000001" })
    };
    let expected = vec![
        json!({ "type": "created", "record": { "id": card, "name": "Ship it", "idShort": 7,
            "shortLink": "abc123", "boardId": BOARD, "listId": todo["id"],
            "action": meta("a1", "createCard") } }),
        json!({ "type": "updated", "record": { "id": card, "name": "Ship it", "idShort": 7,
            "shortLink": "abc123", "idList": done["id"], "boardId": BOARD, "listId": done["id"],
            "old": { "idList": todo["id"] }, "action": meta("a2", "updateCard") } }),
        json!({ "type": "commentCard", "payload": { "action": deliveries[2],
            "model": { "id": BOARD, "name": "Roadmap" } } }),
        json!({ "type": "deleted", "record": { "id": card, "idShort": 7, "boardId": BOARD,
            "listId": done["id"], "action": meta("a4", "deleteCard") } }),
    ];
    assert_eq!(stored(&client, &service).await, expected);

    // Without X-Trello-Webhook it is not Trello: 401, nothing stored.
    let unsigned = client
        .post(&webhook_uri)
        .json(&json!({ "action": deliveries[0], "model": { "id": BOARD } }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(unsigned).await,
        (401, json!({ "error": "missing X-Trello-Webhook header" }))
    );
    // A later HEAD or an empty POST is no event either.
    let head = client.head(&webhook_uri).send().await.unwrap();
    assert_eq!(head.status(), 200);
    let empty = client.post(&webhook_uri).send().await.unwrap();
    assert_eq!(empty.status(), 200);
    assert_eq!(stored(&client, &service).await, expected);

    // Trello disabled the webhook after failed deliveries: the refresh sets it active again.
    trello.lock().unwrap().hooks[0].active = false;
    let (status, refreshed) = json_of(
        client
            .post(format!("{}/api/subscriptions/{id}/refresh", service.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(refreshed["state"], created["state"]);
    assert!(refreshed["nextRefreshTimestamp"].as_i64().unwrap() >= next);
    let put = app.requests().last().cloned().unwrap();
    assert_eq!(
        (put.method.as_str(), put.path.as_str()),
        ("PUT", format!("/1/webhooks/{hook_id}").as_str())
    );
    assert_eq!(put.query, format!("key={KEY}&token={TOKEN}"));
    assert_eq!(
        serde_json::from_slice::<Value>(&put.body).unwrap(),
        json!({ "active": true })
    );
    assert!(trello.lock().unwrap().hooks[0].active);

    // Deleting the subscription deletes the webhook; a late delivery gets 410 and stores nothing.
    let deleted = client
        .delete(format!("{}/api/subscriptions/{id}", service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let delete = app.requests().last().cloned().unwrap();
    assert_eq!(
        (delete.method.as_str(), delete.path.as_str()),
        ("DELETE", format!("/1/webhooks/{hook_id}").as_str())
    );
    assert_eq!(delete.query, format!("key={KEY}&token={TOKEN}"));
    assert!(delete.body.is_empty());
    assert!(trello.lock().unwrap().hooks.is_empty());
    let (status, _) = deliver(&client, &trello, &webhook_uri, deliveries[0].clone()).await;
    assert_eq!(status, 410);
    assert_eq!(stored(&client, &service).await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_trello_refuses_fails_the_subscription() {
    let (app, trello) = fake_trello();
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::shipped(&data, &[]);
    let create = |id_model: &str| {
        json!({ "connector": "trello", "event": "activity", "parameters": { "idModel": id_model },
            "credentials": credentials(&app) })
    };

    // Not a Trello id: refused by the event's parametersSchema before Trello is called.
    let (status, body) = subscribe(&client, &service, create("board-1")).await;
    assert_eq!(status, 400, "{body}");
    assert!(app.requests().is_empty());

    // A model Trello does not know: its 400 fails subscribe.
    let (status, body) = subscribe(&client, &service, create("5abbe4b7ddc1b351ef961415")).await;
    assert_eq!(status, 502, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.ends_with("/1/webhooks failed with status 400 (type connection)"),
        "{body}"
    );
    let (_, subscriptions) = get(&client, format!("{}/api/subscriptions", service.url)).await;
    assert_eq!(subscriptions["subscriptions"][0]["status"], "failed");

    // A callback URL that does not answer Trello's HEAD with 200 (here: the public URL leads to a
    // server that answers 404) is refused as Trello refuses it.
    let elsewhere = FakeApp::start(|_: &Recorded| Reply::text(404, "not here"));
    let (_dir2, data2) = data_dir();
    let proxied = Service::shipped(&data2, &["--public-url", &elsewhere.url()]);
    let (status, body) = subscribe(&client, &proxied, create(BOARD)).await;
    assert_eq!(status, 502, "{body}");
    let checks = trello.lock().unwrap().head_checks.clone();
    assert_eq!(checks.len(), 1);
    assert!(checks[0].0.starts_with(&elsewhere.url()));
    assert_eq!(checks[0].1, 404);
    assert!(trello.lock().unwrap().hooks.is_empty());
    assert!(events(&client, &proxied).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_trello_deleted_is_recreated_and_deleting_a_gone_one_succeeds() {
    let (app, trello) = fake_trello();
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::shipped(&data, &[]);
    let (status, created) = subscribe(&client, &service, json!({ "connector": "trello",
        "event": "activity", "parameters": { "idModel": BOARD }, "credentials": credentials(&app) }))
    .await;
    assert_eq!(status, 201, "{created}");
    let webhook_uri = created["webhookUri"].as_str().unwrap().to_string();
    let url = format!(
        "{}/api/subscriptions/{}",
        service.url,
        created["id"].as_str().unwrap()
    );
    let (first, second) = ("65a100000000000000000001", "65a100000000000000000002");

    // Trello deleted the webhook: the daily PUT gets 404, and the service runs subscribe again.
    trello.lock().unwrap().hooks.clear();
    let (status, recreated) =
        json_of(client.post(format!("{url}/refresh")).send().await.unwrap()).await;
    assert_eq!(status, 200, "{recreated}");
    let requests = app.requests();
    let calls: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    let put = format!("/1/webhooks/{first}");
    assert_eq!(
        calls,
        [
            ("POST", "/1/webhooks"),
            ("PUT", put.as_str()),
            ("POST", "/1/webhooks")
        ]
    );
    assert_eq!(requests[2].query, format!("key={KEY}&token={TOKEN}"));
    assert_eq!(requests[2].body, requests[0].body, "the same create call");
    assert_eq!(
        trello.lock().unwrap().head_checks,
        [(webhook_uri.clone(), 200), (webhook_uri.clone(), 200)]
    );
    assert_eq!(
        recreated["state"],
        json!({ "webhookId": second, "idModel": BOARD })
    );
    assert_eq!(
        (
            &recreated["status"],
            &recreated["lastError"],
            &recreated["refreshFailures"]
        ),
        (&json!("active"), &Value::Null, &json!(0))
    );
    let metrics = client.get(format!("{}/metrics", service.url)).send().await;
    let metrics = metrics.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("connector_refreshes_total{outcome=\"recreated\"} 1"),
        "{metrics}"
    );
    let card = action(
        "a1",
        "createCard",
        json!({ "card": { "id": "c1" }, "board": { "id": BOARD } }),
    );
    assert_eq!(deliver(&client, &trello, &webhook_uri, card).await.0, 200);
    assert_eq!(stored(&client, &service).await.len(), 1);

    // Trello deleted the new one too (with its token, say): deleting the subscription still
    // succeeds, since Trello's 404 means nothing is left to remove.
    trello.lock().unwrap().hooks.clear();
    let deleted = client.delete(&url).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    let delete = app.requests().last().cloned().unwrap();
    assert_eq!(
        (delete.method.as_str(), delete.path.as_str()),
        ("DELETE", format!("/1/webhooks/{second}").as_str())
    );
    let (_, subscription) = get(&client, &url).await;
    assert_eq!(subscription["status"], "deleted", "{subscription}");
    assert_eq!(app.requests().len(), 4, "nothing more asked of Trello");
}

/// `connector-runtime invoke ... handle` over `args`: its JSON result.
fn invoke_handle(args: &Value) -> Value {
    common::invoke("trello", "activity", "handle", args)
}

#[test]
fn the_signature_header_is_required_but_not_verified() {
    // The fake signs as Trello's docs do. No official vector exists; this one (providers.md §7)
    // is computed by the docs' Node sample: createHmac('sha1', secret).update(body + callbackURL).
    assert_eq!(
        trello_signature(
            "secret",
            br#"{"hello":"world"}"#,
            "https://example.com/webhooks"
        ),
        "FwPAcuGe9EP/+SbXFWjnEVTa0zw="
    );
    let callback = "https://hooks.example.com/webhooks/abc";
    let data = json!({ "action": action("a9", "createCard", json!({ "card": { "id": "c9" } })),
        "model": { "id": BOARD } });
    let raw = data.to_string();
    let signed = |signature: Option<&str>| {
        let headers = match signature {
            Some(s) => json!({ "content-type": "application/json", "x-trello-webhook": s }),
            None => json!({ "content-type": "application/json" }),
        };
        json!({ "method": "POST", "headers": headers, "data": data, "rawBody": raw,
            "query": {}, "state": {}, "parameters": { "idModel": BOARD }, "webhookUri": callback })
    };
    let good = trello_signature(SECRET, raw.as_bytes(), callback);
    let accepted = invoke_handle(&signed(Some(&good)));
    assert_eq!(accepted["events"][0]["type"], "created");
    assert_eq!(accepted["events"][0]["record"]["id"], "c9");
    assert_eq!(accepted["response"], json!({ "status": 200 }));
    // A mapping cannot compute HMAC-SHA1: a forged value passes too (see the connector's spec).
    let forged = invoke_handle(&signed(Some("AAAAAAAAAAAAAAAAAAAAAAAAAAA=")));
    assert_eq!(forged["events"], accepted["events"]);
    let missing = invoke_handle(&signed(None));
    assert_eq!(missing["events"], json!([]));
    assert_eq!(missing["response"]["status"], 401);
}
