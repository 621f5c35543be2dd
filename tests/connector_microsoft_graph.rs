//! The shipped `microsoft-graph` connector end to end, against a fake Microsoft Graph that behaves
//! as the real one does (providers.md §4): `POST /v1.0/subscriptions` blocks until both URLs echo
//! a `validationToken`, the requested expiry is clamped to a maximum lifetime (configurable, so a
//! test can compress time), `PATCH` renews,
//! an expired or unknown subscription answers 404 (and the service then creates it again, validated
//! anew), `DELETE` answers 204. Graph signs nothing: the tests deliver notifications carrying the
//! clientState the connector chose.

mod common;
use common::{Service, client, data_dir, events, get, json_of, subscribe};
use test_support::{FakeApp, Recorded, Reply, call_blocking};

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const TOKEN: &str = "graph-access-token";
const OUTLOOK_MAX_MINUTES: i64 = 4230;

/// What the fake Graph holds.
#[derive(Default)]
struct Graph {
    /// The longest lifetime granted, whatever was asked for.
    max_lifetime_ms: i64,
    subscriptions: BTreeMap<String, (Value, i64)>,
    created: u32,
    /// Each validation request sent: (URL, answer status, Content-Type, body, expected token).
    validations: Vec<(String, u16, String, String, String)>,
    /// Renewals or deletions that came after the subscription had expired.
    late: Vec<String>,
    renewed: u32,
}

type Shared = Arc<Mutex<Graph>>;

fn fake_graph(max_lifetime_ms: i64) -> (FakeApp, Shared) {
    let graph: Shared = Arc::new(Mutex::new(Graph {
        max_lifetime_ms,
        ..Graph::default()
    }));
    let shared = graph.clone();
    (FakeApp::start(move |r| answer(&shared, r)), graph)
}

fn graph_error(status: u16, code: &str, message: &str) -> Reply {
    let body = json!({ "error": { "code": code, "message": message,
        "innerError": { "date": iso(now_ms()), "request-id": "2f6b5d1c-0e2a-4c57-9d1b-3a4f5e6d7c8b" } } });
    Reply::json(status, &body.to_string())
}

fn answer(graph: &Shared, r: &Recorded) -> Reply {
    if r.header("authorization") != Some(format!("Bearer {TOKEN}").as_str()) {
        return graph_error(401, "InvalidAuthenticationToken", "Access token is empty.");
    }
    let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
    let id = r
        .path
        .strip_prefix("/v1.0/subscriptions/")
        .map(str::to_string);
    let now = now_ms();
    match (r.method.as_str(), r.path.as_str(), id) {
        ("POST", "/v1.0/subscriptions", _) => create(graph, body, now),
        ("PATCH", _, Some(id)) => {
            let mut g = graph.lock().unwrap();
            let g = &mut *g;
            let Some((sub, expires)) = g.subscriptions.get_mut(&id) else {
                return graph_error(404, "ResourceNotFound", "The object was not found.");
            };
            if *expires <= now {
                // Graph deletes a subscription at its expiry: a late renewal finds nothing.
                g.late
                    .push(format!("PATCH {id} {} ms after expiry", now - *expires));
                g.subscriptions.remove(&id);
                return graph_error(404, "ResourceNotFound", "The object was not found.");
            }
            let Some(requested) = body["expirationDateTime"].as_str().and_then(parse_iso) else {
                return graph_error(400, "InvalidRequest", "expirationDateTime is required");
            };
            *expires = requested.min(now + g.max_lifetime_ms);
            sub["expirationDateTime"] = json!(iso(*expires));
            let sub = sub.to_string();
            g.renewed += 1;
            Reply::json(200, &sub)
        }
        ("DELETE", _, Some(id)) => {
            let mut g = graph.lock().unwrap();
            match g.subscriptions.remove(&id) {
                Some((_, expires)) if expires > now => Reply::text(204, ""),
                Some(_) => {
                    g.late.push(format!("DELETE {id} after expiry"));
                    graph_error(404, "ResourceNotFound", "The object was not found.")
                }
                None => graph_error(404, "ResourceNotFound", "The object was not found."),
            }
        }
        _ => graph_error(400, "BadRequest", "Unsupported request"),
    }
}

/// `POST /v1.0/subscriptions`: validates both URLs first (within 10 s, 200, text/plain, the
/// decoded token), as Graph does, and only then creates the subscription.
fn create(graph: &Shared, body: Value, now: i64) -> Reply {
    let field = |name: &str| body[name].as_str().unwrap_or("").to_string();
    let (url, lifecycle, client_state) = (
        field("notificationUrl"),
        field("lifecycleNotificationUrl"),
        field("clientState"),
    );
    let requested = parse_iso(&field("expirationDateTime"));
    let Some(requested) = requested.filter(|t| *t > now) else {
        return graph_error(
            400,
            "ExtensionError",
            "expirationDateTime must be in the future",
        );
    };
    if url.is_empty() || field("resource").is_empty() || client_state.len() > 128 {
        return graph_error(400, "InvalidRequest", "Invalid subscription");
    }
    let number = {
        let mut g = graph.lock().unwrap();
        g.created += 1;
        g.created
    };
    for target in [&url, &lifecycle].into_iter().filter(|u| !u.is_empty()) {
        let token = format!(
            "Validation: Testing client application reachability for subscription Request-Id: 9b0c{number:04}-1c2d-4e5f-8a9b-0c1d2e3f4a5b{}",
            if target == &url { "" } else { " (lifecycle)" }
        );
        let sep = if target.contains('?') { '&' } else { '?' };
        let started = Instant::now();
        let answer = call_blocking(
            "POST",
            &format!("{target}{sep}validationToken={}", form_encode(&token)),
            &[("content-type", "text/plain; charset=utf-8")],
            b"",
        );
        let content_type = answer.header("content-type").unwrap_or("").to_string();
        let ok = answer.status == 200
            && content_type.starts_with("text/plain")
            && answer.text() == token
            && started.elapsed() < Duration::from_secs(10);
        let record = (
            target.clone(),
            answer.status,
            content_type,
            answer.text(),
            token,
        );
        graph.lock().unwrap().validations.push(record);
        if !ok {
            return graph_error(
                400,
                "InvalidRequest",
                "Subscription validation request failed. Response must exactly match validationToken query parameter.",
            );
        }
    }
    let mut g = graph.lock().unwrap();
    let id = format!("7f105c7d-2dc5-4530-97cd-4e7ae6534c{number:02}");
    let expires = requested.min(now + g.max_lifetime_ms);
    let sub = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity",
        "id": id, "resource": body["resource"], "applicationId": "24d3b144-21ae-4080-943f-7067b395b913",
        "changeType": body["changeType"], "clientState": client_state, "notificationUrl": url,
        "notificationQueryOptions": null, "lifecycleNotificationUrl": body["lifecycleNotificationUrl"],
        "expirationDateTime": iso(expires), "creatorId": "8ee44408-0679-472c-bc2a-692812af3437",
        "includeResourceData": false, "latestSupportedTlsVersion": "v1_2",
        "encryptionCertificate": null, "encryptionCertificateId": null, "notificationUrlAppId": null,
    });
    g.subscriptions.insert(id, (sub.clone(), expires));
    Reply::json(201, &sub.to_string())
}

/// As .NET's UrlEncode, which Graph uses: spaces as `+`, others as lowercase `%xx`.
fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b' ' => "+".to_string(),
            b if b.is_ascii_alphanumeric() || b"-_.!*()".contains(&b) => (b as char).to_string(),
            b => format!("%{b:02x}"),
        })
        .collect()
}

fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.unwrap().as_millis() as i64
}

/// Graph's timestamps: seven fractional digits, UTC.
fn iso(ms: i64) -> String {
    let (days, rest) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let z = days + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let (d, m) = (
        doy - (153 * mp + 2) / 5 + 1,
        if mp < 10 { mp + 3 } else { mp - 9 },
    );
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (h, mi, s, f) = (
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000,
    );
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{f:03}0000Z")
}

fn parse_iso(text: &str) -> Option<i64> {
    let num = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let fraction = text[19..].strip_suffix('Z')?.trim_start_matches('.');
    let millis = format!("{fraction:0<3}")[..3].parse::<i64>().ok()?;
    let y = if m <= 2 { y - 1 } else { y };
    let (era, yoe) = (y.div_euclid(400), y.rem_euclid(400));
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some(((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + millis)
}

async fn create_subscription(client: &reqwest::Client, service: &Service, app: &FakeApp) -> Value {
    let body = json!({ "connector": "microsoft-graph", "event": "change-notifications",
        "parameters": { "resource": "/me/mailFolders('Inbox')/messages" },
        "credentials": { "access_token": TOKEN, "apiBaseUri": format!("{}/v1.0", app.url()) } });
    let (status, created) = subscribe(client, service, body).await;
    assert_eq!(status, 201, "{created}");
    created
}

/// A notification collection as Graph posts it; `clientState` is set on every item.
fn collection(client_state: &str, items: Vec<Value>) -> Value {
    let value: Vec<Value> = items
        .into_iter()
        .map(|mut item| {
            item["clientState"] = json!(client_state);
            item
        })
        .collect();
    json!({ "value": value })
}

/// A change notification for an Outlook message, as in Graph's docs.
fn message_change(subscription: &str, change: &str, id: &str) -> Value {
    json!({ "subscriptionId": subscription, "subscriptionExpirationDateTime": "2026-03-19T22:11:09.952Z",
        "changeType": change, "resource": format!("Users/1b2c/Messages/{id}"),
        "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95",
        "resourceData": { "@odata.type": "#Microsoft.Graph.Message", "@odata.id": format!("Users/1b2c/Messages/{id}"),
            "@odata.etag": "W/\"CQAAABYAAADkrWGo7bouTKlsgTZMr9KwAAAUWRHf\"", "id": id } })
}

fn message_record(id: &str) -> Value {
    json!({ "@odata.type": "#Microsoft.Graph.Message", "@odata.id": format!("Users/1b2c/Messages/{id}"),
        "@odata.etag": "W/\"CQAAABYAAADkrWGo7bouTKlsgTZMr9KwAAAUWRHf\"", "id": id,
        "resource": format!("Users/1b2c/Messages/{id}") })
}

async fn post_json(client: &reqwest::Client, url: &str, body: &Value) -> (u16, Value) {
    let response = client.post(url).json(body).send().await.unwrap();
    json_of(response).await
}

/// The stored events as (type, record or payload).
async fn stored(client: &reqwest::Client, service: &Service) -> Vec<(String, Value)> {
    let all = events(client, service).await;
    let content = |e: &Value| e.get("record").or(e.get("payload")).unwrap().clone();
    all.iter()
        .map(|e| (e["type"].as_str().unwrap().to_string(), content(e)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_validates_both_urls_then_notifications_become_events_and_delete_removes_it() {
    let (app, graph) = fake_graph(OUTLOOK_MAX_MINUTES * 60_000);
    let (_dir, data) = data_dir();
    let (client, service) = (client(), Service::shipped(&data, &[]));

    let body = json!({ "connector": "microsoft-graph", "event": "change-notifications", "parameters": {} });
    let (status, refused) = subscribe(&client, &service, body).await;
    assert_eq!(status, 400, "resource is required: {refused}");

    let before = now_ms();
    let created = create_subscription(&client, &service, &app).await;
    let after = now_ms();
    let (id, hook) = (
        created["id"].as_str().unwrap(),
        created["webhookUri"].as_str().unwrap(),
    );
    assert_eq!(created["status"], "active");

    // The create call: exactly what Graph's docs show, with our URLs and a random clientState.
    let requests = app.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str()),
        ("POST", "/v1.0/subscriptions")
    );
    assert_eq!(
        sent.header("authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert_eq!(sent.header("content-type"), Some("application/json"));
    let sent: Value = serde_json::from_slice(&sent.body).unwrap();
    let client_state = sent["clientState"].as_str().unwrap().to_string();
    assert!(client_state.len() == 64 && client_state.bytes().all(|b| b.is_ascii_hexdigit()));
    let requested = parse_iso(sent["expirationDateTime"].as_str().unwrap()).unwrap();
    let lifetime = (OUTLOOK_MAX_MINUTES - 1) * 60_000;
    assert!(
        (before + lifetime..=after + lifetime).contains(&requested),
        "{sent}"
    );
    let lifecycle_url = format!("{hook}?lifecycle=true");
    assert_eq!(
        sent,
        json!({ "changeType": "created,updated,deleted", "notificationUrl": hook,
            "lifecycleNotificationUrl": lifecycle_url, "resource": "/me/mailFolders('Inbox')/messages",
            "expirationDateTime": sent["expirationDateTime"], "clientState": client_state })
    );

    // Both URLs answered the handshake while the create call waited: 200, text/plain, decoded token.
    let validations = graph.lock().unwrap().validations.clone();
    let urls: Vec<&str> = validations.iter().map(|v| v.0.as_str()).collect();
    assert_eq!(urls, [hook, lifecycle_url.as_str()]);
    for (_, status, content_type, body, token) in &validations {
        assert_eq!(
            (*status, content_type.as_str(), body),
            (200, "text/plain", token)
        );
    }

    // Graph's id, clientState and granted expiry are kept; renewal is due at half the lifetime.
    let sub_id = "7f105c7d-2dc5-4530-97cd-4e7ae6534c01";
    let granted = graph.lock().unwrap().subscriptions[sub_id].1;
    assert_eq!(
        created["state"],
        json!({ "subscriptionId": sub_id, "clientState": client_state, "expirationDateTime": iso(granted) })
    );
    let next = created["nextRefreshTimestamp"].as_i64().unwrap();
    assert!(
        (before + lifetime / 2 - 1..=after + lifetime / 2 + 1).contains(&next),
        "{next}"
    );

    // A change notification collection: one record event each, acknowledged with 202.
    let batch = collection(
        &client_state,
        vec![
            message_change(sub_id, "created", "AAMk-1"),
            message_change(sub_id, "updated", "AAMk-2"),
            message_change(sub_id, "deleted", "AAMk-3"),
        ],
    );
    let reply = client.post(hook).json(&batch).send().await.unwrap();
    assert_eq!(reply.status(), 202);
    assert_eq!(reply.text().await.unwrap(), "");
    let expected = vec![
        ("created".to_string(), message_record("AAMk-1")),
        ("updated".to_string(), message_record("AAMk-2")),
        ("deleted".to_string(), message_record("AAMk-3")),
    ];
    assert_eq!(stored(&client, &service).await, expected);

    // A wrong clientState (one byte changed), or one item without it, refuses the whole batch.
    let mut forged = client_state.clone().into_bytes();
    forged[10] = if forged[10] == b'a' { b'b' } else { b'a' };
    let forged = String::from_utf8(forged).unwrap();
    let bad = collection(&forged, vec![message_change(sub_id, "created", "AAMk-9")]);
    let (status, body) = post_json(&client, hook, &bad).await;
    assert_eq!(
        (status, body),
        (401, json!({ "error": "clientState does not match" }))
    );
    let mut mixed = collection(
        &client_state,
        vec![message_change(sub_id, "created", "AAMk-8")],
    );
    mixed["value"]
        .as_array_mut()
        .unwrap()
        .push(message_change(sub_id, "created", "AAMk-7"));
    assert_eq!(post_json(&client, hook, &mixed).await.0, 401);
    assert_eq!(stored(&client, &service).await, expected, "nothing stored");

    // A validation request sent by hand: the token comes back URL-decoded, as text.
    let url = format!("{hook}?validationToken=a%2Bb+c%3a%2F%20d");
    let reply = client
        .post(url)
        .header("content-type", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert!(
        reply.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(reply.text().await.unwrap(), "a+b c:/ d");

    // subscriptionRemoved and missed (on the lifecycle URL) become payload events.
    let lifecycle = |event: &str| {
        json!({ "lifecycleEvent": event, "subscriptionId": sub_id,
            "subscriptionExpirationDateTime": "2026-09-18T00:52:45.9696658+00:00",
            "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95" })
    };
    let notices = collection(
        &client_state,
        vec![lifecycle("subscriptionRemoved"), lifecycle("missed")],
    );
    assert_eq!(post_json(&client, &lifecycle_url, &notices).await.0, 202);
    let all = stored(&client, &service).await;
    assert_eq!(
        all[3..],
        [
            (
                "subscriptionRemoved".to_string(),
                lifecycle("subscriptionRemoved")
            ),
            ("missed".to_string(), lifecycle("missed")),
        ]
    );
    assert_eq!(app.requests().len(), 1, "neither asked anything of Graph");

    // Delete: DELETE /v1.0/subscriptions/{id} → 204, and Graph no longer has it.
    let reply = client
        .delete(format!("{}/api/subscriptions/{id}", service.url))
        .send()
        .await;
    assert_eq!(reply.unwrap().status(), 204);
    let requests = app.requests();
    let last = requests.last().unwrap();
    assert_eq!(requests.len(), 2);
    let seen = (
        last.method.as_str(),
        last.path.as_str(),
        last.body.is_empty(),
    );
    assert_eq!(
        seen,
        ("DELETE", &*format!("/v1.0/subscriptions/{sub_id}"), true)
    );
    assert_eq!(
        last.header("authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert!(graph.lock().unwrap().subscriptions.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reauthorization_and_refresh_renew_by_patch_and_a_vanished_subscription_is_recreated() {
    let (app, graph) = fake_graph(OUTLOOK_MAX_MINUTES * 60_000);
    let (_dir, data) = data_dir();
    let (client, service) = (client(), Service::shipped(&data, &[]));
    let created = create_subscription(&client, &service, &app).await;
    let (id, hook) = (
        created["id"].as_str().unwrap(),
        created["webhookUri"].as_str().unwrap(),
    );
    let state = &created["state"];
    let (sub_id, client_state) = (
        state["subscriptionId"].as_str().unwrap(),
        state["clientState"].as_str().unwrap(),
    );
    let patch_path = format!("/v1.0/subscriptions/{sub_id}");
    let check_patch = |r: &Recorded| {
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("PATCH", patch_path.as_str())
        );
        assert_eq!(r.header("authorization"), Some(&*format!("Bearer {TOKEN}")));
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        let asked = parse_iso(body["expirationDateTime"].as_str().unwrap()).unwrap();
        assert_eq!(
            body.as_object().unwrap().len(),
            1,
            "only the new expiry: {body}"
        );
        assert!((asked - now_ms() - (OUTLOOK_MAX_MINUTES - 1) * 60_000).abs() < 60_000);
    };

    // reauthorizationRequired: renewed at once, 202, no event.
    let notice = json!({ "lifecycleEvent": "reauthorizationRequired", "subscriptionId": sub_id,
        "subscriptionExpirationDateTime": state["expirationDateTime"], "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95" });
    let lifecycle_url = format!("{hook}?lifecycle=true");
    let (status, _) = post_json(
        &client,
        &lifecycle_url,
        &collection(client_state, vec![notice]),
    )
    .await;
    assert_eq!(status, 202);
    let requests = app.requests();
    assert_eq!(requests.len(), 2);
    check_patch(&requests[1]);
    let granted = graph.lock().unwrap().subscriptions[sub_id].1;
    let (_, now) = get(&client, format!("{}/api/subscriptions/{id}", service.url)).await;
    assert_eq!(now["state"]["expirationDateTime"], iso(granted));
    assert!(stored(&client, &service).await.is_empty());

    // A refresh (here on demand) renews the same way and schedules the next at half-life.
    let refresh_url = format!("{}/api/subscriptions/{id}/refresh", service.url);
    let (status, refreshed) = json_of(client.post(&refresh_url).send().await.unwrap()).await;
    assert_eq!(status, 200, "{refreshed}");
    check_patch(&app.requests()[2]);
    let granted = graph.lock().unwrap().subscriptions[sub_id].1;
    assert_eq!(refreshed["state"]["expirationDateTime"], iso(granted));
    let next = refreshed["nextRefreshTimestamp"].as_i64().unwrap();
    assert!(
        (next - (now_ms() + (granted - now_ms()) / 2)).abs() < 5_000,
        "{next}"
    );
    assert_eq!(graph.lock().unwrap().renewed, 2);

    // Graph dropped it: the renewal's 404 makes the service create it again, validated anew.
    graph.lock().unwrap().subscriptions.clear();
    let before = now_ms();
    let (status, recreated) = json_of(client.post(&refresh_url).send().await.unwrap()).await;
    assert_eq!(status, 200, "{recreated}");
    let requests = app.requests();
    assert_eq!(requests.len(), 5, "the refused PATCH, then the create");
    assert_eq!(
        (requests[3].method.as_str(), requests[3].path.as_str()),
        ("PATCH", patch_path.as_str())
    );
    let create = &requests[4];
    assert_eq!(
        (create.method.as_str(), create.path.as_str()),
        ("POST", "/v1.0/subscriptions")
    );
    assert_eq!(
        create.header("authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
    let sent: Value = serde_json::from_slice(&create.body).unwrap();
    let new_state = sent["clientState"].as_str().unwrap().to_string();
    assert_ne!(new_state, client_state, "a new clientState");
    assert_eq!(
        sent,
        json!({ "changeType": "created,updated,deleted", "notificationUrl": hook,
            "lifecycleNotificationUrl": lifecycle_url, "resource": "/me/mailFolders('Inbox')/messages",
            "expirationDateTime": sent["expirationDateTime"], "clientState": new_state })
    );
    // Both URLs were validated again while the create call waited (the fake blocks on it).
    let validations = graph.lock().unwrap().validations.clone();
    let urls: Vec<&str> = validations.iter().map(|v| v.0.as_str()).collect();
    assert_eq!(
        urls,
        [hook, lifecycle_url.as_str(), hook, lifecycle_url.as_str()]
    );
    for (_, status, content_type, body, token) in &validations[2..] {
        assert_eq!(
            (*status, content_type.as_str(), body),
            (200, "text/plain", token)
        );
    }
    let new_id = "7f105c7d-2dc5-4530-97cd-4e7ae6534c02";
    let granted = graph.lock().unwrap().subscriptions[new_id].1;
    assert_eq!(
        recreated["state"],
        json!({ "subscriptionId": new_id, "clientState": new_state, "expirationDateTime": iso(granted) })
    );
    let next = recreated["nextRefreshTimestamp"].as_i64().unwrap();
    assert!(
        (next - (before + (granted - before) / 2)).abs() < 5_000,
        "{next}"
    );
    assert_eq!(
        (
            &recreated["status"],
            &recreated["lastError"],
            &recreated["refreshFailures"]
        ),
        (&json!("active"), &Value::Null, &json!(0)),
        "{recreated}"
    );
    let metrics = client
        .get(format!("{}/metrics", service.url))
        .send()
        .await
        .unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics.contains("connector_refreshes_total{outcome=\"recreated\"} 1"),
        "{metrics}"
    );

    // The lost subscription's clientState is refused; the new one's notifications are stored.
    let stale = collection(
        client_state,
        vec![message_change(sub_id, "created", "AAMk-5")],
    );
    assert_eq!(post_json(&client, hook, &stale).await.0, 401);
    let fresh = collection(
        &new_state,
        vec![message_change(new_id, "created", "AAMk-6")],
    );
    assert_eq!(post_json(&client, hook, &fresh).await.0, 202);
    assert_eq!(
        stored(&client, &service).await,
        [("created".to_string(), message_record("AAMk-6"))]
    );

    // Deleting removes the new one.
    let reply = client
        .delete(format!("{}/api/subscriptions/{id}", service.url))
        .send()
        .await;
    assert_eq!(reply.unwrap().status(), 204);
    let last = app.requests().last().cloned().unwrap();
    assert_eq!(
        (last.method.as_str(), last.path.as_str()),
        ("DELETE", &*format!("/v1.0/subscriptions/{new_id}"))
    );
    assert!(graph.lock().unwrap().subscriptions.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_compressed_renewals_keep_it_alive_through_a_restart() {
    // Graph grants 4 s at most: renewals fall due every ~2 s.
    let (app, graph) = fake_graph(4_000);
    let (_dir, data) = data_dir();
    let client = client();
    let connectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("connectors");
    let service = Service::start_with(&connectors, 0, &data, &[]);
    let created = create_subscription(&client, &service, &app).await;
    let (id, hook) = (
        created["id"].as_str().unwrap().to_string(),
        created["webhookUri"].as_str().unwrap().to_string(),
    );
    let state = &created["state"];
    let (sub_id, client_state) = (
        state["subscriptionId"].as_str().unwrap(),
        state["clientState"].as_str().unwrap(),
    );
    let granted = parse_iso(state["expirationDateTime"].as_str().unwrap()).unwrap();
    assert!(granted <= now_ms() + 4_000, "clamped to 4 s");

    let renewed = || graph.lock().unwrap().renewed;
    let wait_for = |count: u32| async move {
        let start = Instant::now();
        while renewed() < count && start.elapsed() < Duration::from_secs(12) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(renewed() >= count, "only {} renewals", renewed());
    };
    wait_for(2).await;
    let batch = collection(
        client_state,
        vec![message_change(sub_id, "created", "AAMk-1")],
    );
    assert_eq!(post_json(&client, &hook, &batch).await.0, 202);

    let port: u16 = service.url.rsplit(':').next().unwrap().parse().unwrap();
    service.stop();
    let service = Service::start_with(&connectors, port, &data, &[]);
    let after_restart = renewed();
    wait_for(after_restart + 3).await;
    let batch = collection(
        client_state,
        vec![message_change(sub_id, "updated", "AAMk-1")],
    );
    assert_eq!(post_json(&client, &hook, &batch).await.0, 202);

    let (_, now) = get(&client, format!("{}/api/subscriptions/{id}", service.url)).await;
    assert_eq!(
        (now["status"].clone(), now["refreshFailures"].clone()),
        (json!("active"), json!(0)),
        "{now}"
    );
    assert_eq!(
        stored(&client, &service).await,
        [
            ("created".to_string(), message_record("AAMk-1")),
            ("updated".to_string(), message_record("AAMk-1"))
        ]
    );
    service.stop();

    // Graph's side: every renewal came in time, to the same subscription, which is still alive.
    let g = graph.lock().unwrap();
    assert!(g.late.is_empty(), "renewed after expiry: {:?}", g.late);
    assert!(
        g.subscriptions[sub_id].1 > now_ms(),
        "the subscription is alive"
    );
    let patches: Vec<String> = app
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.path.clone())
        .collect();
    assert!(
        patches
            .iter()
            .all(|p| *p == format!("/v1.0/subscriptions/{sub_id}")),
        "{patches:?}"
    );
    assert_eq!(patches.len() as u32, g.renewed, "every renewal was granted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_recreates_a_subscription_graph_dropped_between_renewals() {
    // 4 s lifetimes: automatic renewals every ~2 s, no refresh asked for by the test.
    let (app, graph) = fake_graph(4_000);
    let (_dir, data) = data_dir();
    let (client, service) = (client(), Service::shipped(&data, &[]));
    let created = create_subscription(&client, &service, &app).await;
    let (id, hook) = (
        created["id"].as_str().unwrap(),
        created["webhookUri"].as_str().unwrap(),
    );
    let old_state = created["state"]["clientState"].as_str().unwrap();
    let wait_until = |what: &'static str, done: &dyn Fn(&Graph) -> bool| {
        let start = Instant::now();
        while !done(&graph.lock().unwrap()) {
            assert!(start.elapsed() < Duration::from_secs(12), "{what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait_until("a first renewal", &|g| g.renewed >= 1);
    graph.lock().unwrap().subscriptions.clear();
    wait_until("a re-creation", &|g| g.created == 2);
    let new_id = "7f105c7d-2dc5-4530-97cd-4e7ae6534c02";
    let renewed = graph.lock().unwrap().renewed;
    wait_until("a renewal of the new one", &|g| g.renewed > renewed);

    let url = format!("{}/api/subscriptions/{id}", service.url);
    let (_, now) = get(&client, &url).await;
    assert_eq!(now["status"], "active", "{now}");
    assert_eq!(now["state"]["subscriptionId"], new_id, "{now}");
    let new_state = now["state"]["clientState"].as_str().unwrap();
    assert_ne!(new_state, old_state);
    let validated: Vec<u16> = graph
        .lock()
        .unwrap()
        .validations
        .iter()
        .map(|v| v.1)
        .collect();
    assert_eq!(validated, [200; 4], "both URLs validated twice");
    let patches: Vec<String> = app
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        patches.last().unwrap(),
        &format!("/v1.0/subscriptions/{new_id}")
    );
    let batch = collection(new_state, vec![message_change(new_id, "created", "AAMk-1")]);
    assert_eq!(post_json(&client, hook, &batch).await.0, 202);
    let stale = collection(old_state, vec![message_change(new_id, "created", "AAMk-2")]);
    assert_eq!(post_json(&client, hook, &stale).await.0, 401);
    assert_eq!(
        stored(&client, &service).await,
        [("created".to_string(), message_record("AAMk-1"))]
    );
    let metrics = client.get(format!("{}/metrics", service.url)).send().await;
    let metrics = metrics.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("connector_refreshes_total{outcome=\"recreated\"} 1"),
        "{metrics}"
    );
}

/// `connector-runtime invoke ... handle` with `input`: the JSON result.
fn invoke_handle(input: &Value) -> Value {
    common::invoke("microsoft-graph", "change-notifications", "handle", input)
}

/// Graph publishes no signature vector (it signs nothing); its docs' own samples are reproduced
/// instead: the validation request and the sample message notification (providers.md §4 (d), (g)).
#[test]
fn the_docs_samples_through_invoke() {
    let token = "Validation: Testing client application reachability for subscription Request-Id: 1f7a0c3e-8d1b-4c3e-9a5d-2b7e6f8a9c0d";
    let validation = json!({ "query": { "validationToken": token }, "data": null, "rawBody": "",
        "headers": { "content-type": "text/plain; charset=utf-8" }, "state": {}, "parameters": { "resource": "/me/messages" } });
    assert_eq!(
        invoke_handle(&validation),
        json!({ "response": { "status": 200, "headers": { "Content-Type": "text/plain" }, "data": token } })
    );

    let sample = r##"{"value":[{"id":"lsgTZMr9KwAAA","subscriptionId":"{subscription_guid}","subscriptionExpirationDateTime":"2016-03-19T22:11:09.952Z","clientState":"secretClientValue","changeType":"created","resource":"users/{user_guid}@{tenant_guid}/messages/{long_id_string}","tenantId":"84bd8158-6d4d-4958-8b9f-9d6445542f95","resourceData":{"@odata.type":"#Microsoft.Graph.Message","@odata.id":"Users/{user_guid}@{tenant_guid}/Messages/{long_id_string}","@odata.etag":"W/\"CQAAABYAAADkrWGo7bouTKlsgTZMr9KwAAAUWRHf\"","id":"{long_id_string}"}}]}"##;
    let delivery = |client_state: &str| {
        json!({ "query": {}, "data": serde_json::from_str::<Value>(sample).unwrap(), "rawBody": sample,
            "headers": { "content-type": "application/json" }, "state": { "clientState": client_state },
            "parameters": { "resource": "/me/messages" } })
    };
    assert_eq!(
        invoke_handle(&delivery("secretClientValue")),
        json!({ "events": [{ "type": "created", "record": {
            "@odata.type": "#Microsoft.Graph.Message", "@odata.id": "Users/{user_guid}@{tenant_guid}/Messages/{long_id_string}",
            "@odata.etag": "W/\"CQAAABYAAADkrWGo7bouTKlsgTZMr9KwAAAUWRHf\"", "id": "{long_id_string}",
            "resource": "users/{user_guid}@{tenant_guid}/messages/{long_id_string}" } }],
            "response": { "status": 202 } })
    );
    // One byte off in the clientState we expect: refused, no event.
    assert_eq!(
        invoke_handle(&delivery("secretClientValuf")),
        json!({ "events": [], "response": { "status": 401, "data": { "error": "clientState does not match" } } })
    );
}

#[test]
fn graph_timestamps_round_trip() {
    assert_eq!(
        parse_iso("2016-03-20T11:00:00.0000000Z"),
        Some(1_458_471_600_000)
    );
    assert_eq!(iso(1_764_327_604_123), "2025-11-28T11:00:04.1230000Z");
    assert_eq!(
        parse_iso("2025-11-28T11:00:04.123Z"),
        Some(1_764_327_604_123)
    );
    assert_eq!(form_encode("Validation: a b"), "Validation%3a+a+b");
}
