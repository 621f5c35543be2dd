//! The shipped `github` connector end to end: the real service against a fake GitHub REST API that
//! creates, reads and deletes repository hooks as GitHub does (same paths, headers, ids, 201/204/404),
//! sends the `ping` as soon as a hook exists, and signs deliveries with `X-Hub-Signature-256`.

mod common;
use common::{
    Service, client, data_dir, events, get, hex, hmac_sha1, hmac_sha256_hex, json_of, subscribe,
};
use test_support::{FakeApp, Recorded, Reply, call_blocking};

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const TOKEN: &str = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
const HOOKS: &str = "/repos/octocat/Hello-World/hooks";
const FIRST_HOOK_ID: u64 = 12345678;

struct Hook {
    url: String,
    secret: String,
    events: Value,
}

#[derive(Default)]
struct GitHub {
    created: u64,
    hooks: BTreeMap<u64, Hook>,
    /// The service's answer to each ping, in order.
    pings: Vec<u16>,
    deliveries: u64,
}

/// A fake `api.github.com` for the repository octocat/Hello-World.
struct FakeGitHub {
    app: FakeApp,
    state: Arc<Mutex<GitHub>>,
}

fn fake_github() -> FakeGitHub {
    let state = Arc::new(Mutex::new(GitHub::default()));
    let shared = state.clone();
    let app = FakeApp::start(move |r: &Recorded| answer(&shared, r));
    FakeGitHub { app, state }
}

fn answer(state: &Arc<Mutex<GitHub>>, r: &Recorded) -> Reply {
    if r.header("authorization") != Some(format!("Bearer {TOKEN}").as_str()) {
        return Reply::json(
            401,
            r#"{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}"#,
        );
    }
    let not_found = Reply::json(
        404,
        r#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest/repos/webhooks","status":"404"}"#,
    );
    let Some(rest) = r.path.strip_prefix(HOOKS) else {
        return not_found;
    };
    let (id, pings) = match rest.trim_start_matches('/').split_once('/') {
        Some((id, "pings")) => (id.parse::<u64>().ok(), true),
        _ => (rest.trim_start_matches('/').parse().ok(), false),
    };
    match (r.method.as_str(), id, pings) {
        ("POST", None, false) if rest.is_empty() => {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            let config = &body["config"];
            let valid = body["name"] == "web"
                && config["url"].is_string()
                && config["content_type"] == "json"
                && config["secret"].as_str().is_some_and(|s| !s.is_empty());
            if !valid {
                return Reply::json(422, r#"{"message":"Validation Failed","status":"422"}"#);
            }
            let hook = Hook {
                url: config["url"].as_str().unwrap().into(),
                secret: config["secret"].as_str().unwrap().into(),
                events: body["events"].clone(),
            };
            let id = {
                let mut gh = state.lock().unwrap();
                let id = FIRST_HOOK_ID + gh.created;
                gh.created += 1;
                gh.hooks.insert(id, hook);
                id
            };
            let reply = hook_json(state, id);
            send_ping(state, id);
            Reply::json(201, &reply.to_string())
        }
        ("GET", Some(id), false) if state.lock().unwrap().hooks.contains_key(&id) => {
            Reply::json(200, &hook_json(state, id).to_string())
        }
        ("POST", Some(id), true) if state.lock().unwrap().hooks.contains_key(&id) => {
            send_ping(state, id);
            Reply::text(204, "")
        }
        ("DELETE", Some(id), false) if state.lock().unwrap().hooks.remove(&id).is_some() => {
            Reply::text(204, "")
        }
        _ => not_found,
    }
}

/// The hook object of GitHub's REST API (the secret is never shown).
fn hook_json(state: &Arc<Mutex<GitHub>>, id: u64) -> Value {
    let gh = state.lock().unwrap();
    let hook = &gh.hooks[&id];
    let url = format!("https://api.github.com{HOOKS}/{id}");
    json!({ "type": "Repository", "id": id, "name": "web", "active": true, "events": hook.events,
        "config": { "content_type": "json", "insecure_ssl": "0", "url": hook.url, "secret": "********" },
        "updated_at": "2019-06-03T00:57:16Z", "created_at": "2019-06-03T00:57:16Z",
        "url": url, "test_url": format!("{url}/test"), "ping_url": format!("{url}/pings"),
        "deliveries_url": format!("{url}/deliveries"),
        "last_response": { "code": null, "status": "unused", "message": null } })
}

/// The headers GitHub sends with a delivery of `event`, signed with `secret`.
fn delivery_headers(
    state: &Arc<Mutex<GitHub>>,
    id: u64,
    event: &str,
    secret: &str,
    body: &[u8],
) -> Vec<(String, String)> {
    let delivery = {
        let mut gh = state.lock().unwrap();
        gh.deliveries += 1;
        format!("72d3162e-cc78-11e3-81ab-{:012x}", gh.deliveries)
    };
    [
        ("content-type", "application/json".to_string()),
        ("user-agent", "GitHub-Hookshot/044aadd".into()),
        ("x-github-event", event.into()),
        ("x-github-delivery", delivery),
        ("x-github-hook-id", id.to_string()),
        (
            "x-github-hook-installation-target-type",
            "repository".into(),
        ),
        ("x-github-hook-installation-target-id", "1296269".into()),
        (
            "x-hub-signature",
            format!("sha1={}", hex(&hmac_sha1(secret.as_bytes(), body))),
        ),
        (
            "x-hub-signature-256",
            format!("sha256={}", hmac_sha256_hex(secret.as_bytes(), body)),
        ),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v))
    .collect()
}

/// GitHub queues a `ping` as soon as a hook exists: sent from its own thread, it may reach the
/// service before or after the API call that created the hook returns (here: before, unless the
/// service takes over a second to answer it).
fn send_ping(state: &Arc<Mutex<GitHub>>, id: u64) {
    let (url, secret, events) = {
        let gh = state.lock().unwrap();
        let hook = &gh.hooks[&id];
        (hook.url.clone(), hook.secret.clone(), hook.events.clone())
    };
    let body = json!({ "zen": "Design for failure.", "hook_id": id,
        "hook": { "type": "Repository", "id": id, "name": "web", "active": true, "events": events,
            "config": { "content_type": "json", "insecure_ssl": "0", "url": url } },
        "repository": { "id": 1296269, "full_name": "octocat/Hello-World" },
        "sender": { "login": "octocat", "id": 1 } })
    .to_string();
    let headers = delivery_headers(state, id, "ping", &secret, body.as_bytes());
    let (done, wait) = std::sync::mpsc::channel();
    let state = state.clone();
    std::thread::spawn(move || {
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let answer = call_blocking("POST", &url, &headers, body.as_bytes());
        state.lock().unwrap().pings.push(answer.status);
        let _ = done.send(());
    });
    let _ = wait.recv_timeout(Duration::from_secs(1));
}

impl FakeGitHub {
    /// Waits for `n` pings to have been answered, and returns the answers.
    async fn pings(&self, n: usize) -> Vec<u16> {
        let start = Instant::now();
        while self.state.lock().unwrap().pings.len() < n
            && start.elapsed() < Duration::from_secs(10)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.state.lock().unwrap().pings.clone()
    }

    /// A delivery of `event` to hook `id`, signed as GitHub signs it: the status and JSON answer.
    async fn deliver(
        &self,
        client: &reqwest::Client,
        id: u64,
        event: &str,
        payload: &Value,
    ) -> (u16, Value) {
        let body = payload.to_string().into_bytes();
        let (url, secret) = {
            let gh = self.state.lock().unwrap();
            (gh.hooks[&id].url.clone(), gh.hooks[&id].secret.clone())
        };
        let headers = delivery_headers(&self.state, id, event, &secret, &body);
        post(client, &url, &headers, body).await
    }
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> (u16, Value) {
    let mut request = client.post(url).body(body);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    json_of(request.send().await.unwrap()).await
}

fn subscription(github: &FakeGitHub, event: &str, token: &str) -> Value {
    json!({ "connector": "github", "event": event, "parameters": { "owner": "octocat", "repo": "Hello-World" },
        "credentials": { "accessToken": token, "apiBaseUri": github.app.url() } })
}

fn issue(action: &str, title: &str, state: &str) -> Value {
    json!({ "action": action,
        "issue": { "id": 1, "node_id": "MDU6SXNzdWUx", "number": 1347, "title": title, "state": state,
            "user": { "login": "octocat", "id": 1 }, "labels": [],
            "html_url": "https://github.com/octocat/Hello-World/issues/1347" },
        "repository": { "id": 1296269, "full_name": "octocat/Hello-World" },
        "sender": { "login": "octocat", "id": 1 } })
}

/// The stored events as (type, record).
async fn stored(client: &reqwest::Client, service: &Service) -> Vec<(String, Value)> {
    events(client, service)
        .await
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap_or("").to_string(),
                e["record"].clone(),
            )
        })
        .collect()
}

fn record(payload: &Value, key: &str) -> Value {
    let mut record = payload[key].clone();
    record["id"] = json!(record["id"].to_string());
    record
}

fn assert_api_headers(r: &Recorded) {
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(r.header("accept"), Some("application/vnd.github+json"));
    assert_eq!(r.header("x-github-api-version"), Some("2022-11-28"));
    assert_eq!(r.header("user-agent"), Some("connector-runtime-github"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issues_hook_is_created_pinged_delivers_signed_events_and_is_deleted() {
    let github = fake_github();
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::shipped(&data, &[]);

    let (status, created) =
        subscribe(&client, &service, subscription(&github, "issues", TOKEN)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "active");
    let secret = created["state"]["secret"].as_str().unwrap().to_string();
    assert!(
        secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit()),
        "{secret}"
    );
    assert_eq!(
        created["state"],
        json!({ "hookId": FIRST_HOOK_ID, "secret": secret })
    );
    let day = 24 * 3600 * 1000;
    let now = common::unix_now() as i64 * 1000;
    let next = created["nextRefreshTimestamp"].as_i64().unwrap();
    assert!(
        (now + day - 60_000..now + day + 60_000).contains(&next),
        "{next}"
    );

    let requests = github.app.requests();
    let create = &requests[0];
    assert_eq!(
        (create.method.as_str(), create.path.as_str()),
        ("POST", HOOKS)
    );
    assert_api_headers(create);
    assert_eq!(create.header("content-type"), Some("application/json"));
    assert_eq!(
        serde_json::from_slice::<Value>(&create.body).unwrap(),
        json!({ "name": "web", "active": true, "events": ["issues"],
            "config": { "url": created["webhookUri"], "content_type": "json", "secret": secret, "insecure_ssl": "0" } })
    );
    assert_eq!(github.pings(1).await, [200], "the ping is acknowledged");
    assert_eq!(stored(&client, &service).await, [], "a ping is no event");

    // A ping re-sent once the secret is stored is checked like any delivery.
    let pinged = client.post(format!("{}{HOOKS}/{FIRST_HOOK_ID}/pings", github.app.url()));
    assert_eq!(
        pinged.bearer_auth(TOKEN).send().await.unwrap().status(),
        204
    );
    assert_eq!(github.pings(2).await, [200, 200]);

    let deliveries = [
        issue("opened", "Found a bug", "open"),
        issue("edited", "Found a bug in “ünïcode” ✓", "open"),
        issue("closed", "Found a bug in “ünïcode” ✓", "closed"),
        issue("deleted", "Found a bug in “ünïcode” ✓", "closed"),
    ];
    for payload in &deliveries {
        assert_eq!(
            github
                .deliver(&client, FIRST_HOOK_ID, "issues", payload)
                .await
                .0,
            200
        );
    }
    let expected: Vec<(String, Value)> = ["created", "updated", "updated", "deleted"]
        .iter()
        .zip(&deliveries)
        .map(|(kind, payload)| (kind.to_string(), record(payload, "issue")))
        .collect();
    assert_eq!(stored(&client, &service).await, expected);
    assert_eq!(
        expected[0].1["id"], "1",
        "the record id is the issue's id, not its number"
    );
    let first = &events(&client, &service).await[0];
    assert_eq!(
        (first["connector"].as_str(), first["event"].as_str()),
        (Some("github"), Some("issues"))
    );

    // Forged, tampered, unsigned or legacy-SHA-1-only deliveries: 401 and nothing stored.
    let body = issue("reopened", "Found a bug", "open")
        .to_string()
        .into_bytes();
    let webhook = created["webhookUri"].as_str().unwrap();
    let signed = delivery_headers(&github.state, FIRST_HOOK_ID, "issues", &secret, &body);
    let mut tampered = body.clone();
    let at = tampered.windows(5).position(|w| w == b"Found").unwrap(); // Found -> Gound
    tampered[at] ^= 1;
    let forged = delivery_headers(
        &github.state,
        FIRST_HOOK_ID,
        "issues",
        "not-the-secret",
        &body,
    );
    let unsigned: Vec<_> = signed
        .iter()
        .filter(|(n, _)| !n.starts_with("x-hub-signature"))
        .cloned()
        .collect();
    let sha1_only: Vec<_> = signed
        .iter()
        .filter(|(n, _)| n != "x-hub-signature-256")
        .cloned()
        .collect();
    let ping_forged = delivery_headers(
        &github.state,
        FIRST_HOOK_ID,
        "ping",
        "not-the-secret",
        b"{}",
    );
    for (headers, body) in [
        (&signed, tampered),
        (&forged, body.clone()),
        (&unsigned, body.clone()),
        (&sha1_only, body.clone()),
        (&ping_forged, b"{}".to_vec()),
    ] {
        let (status, answer) = post(&client, webhook, headers, body).await;
        assert_eq!(
            (status, answer),
            (
                401,
                json!({ "error": "invalid or missing X-Hub-Signature-256" })
            )
        );
    }
    assert_eq!(
        stored(&client, &service).await.len(),
        4,
        "rejected deliveries store nothing"
    );

    let deleted = client.delete(format!(
        "{}/api/subscriptions/{}",
        service.url,
        created["id"].as_str().unwrap()
    ));
    assert_eq!(deleted.send().await.unwrap().status(), 204);
    let requests = github.app.requests();
    let delete = requests.last().unwrap();
    assert_eq!(
        (delete.method.as_str(), delete.path.as_str()),
        ("DELETE", format!("{HOOKS}/{FIRST_HOOK_ID}").as_str())
    );
    assert_api_headers(delete);
    assert!(delete.body.is_empty());
    assert!(
        github.state.lock().unwrap().hooks.is_empty(),
        "the hook is gone from GitHub"
    );
    let (status, _) = post(&client, webhook, &signed, body).await;
    assert_eq!(status, 410, "a delivery after unsubscribe");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_requests_map_actions_and_ignore_other_events_and_bad_tokens_fail_subscribe() {
    let github = fake_github();
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::shipped(&data, &[]);

    let (status, failed) = subscribe(
        &client,
        &service,
        subscription(&github, "pull-requests", "ghp_wrong"),
    )
    .await;
    assert_eq!(status, 502, "{failed}");
    assert!(failed.to_string().contains("401"), "{failed}");
    assert!(github.state.lock().unwrap().hooks.is_empty());

    let (status, created) = subscribe(
        &client,
        &service,
        subscription(&github, "pull-requests", TOKEN),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let create = github.app.requests().last().unwrap().clone();
    assert_eq!(
        serde_json::from_slice::<Value>(&create.body).unwrap()["events"],
        json!(["pull_request"])
    );
    assert_eq!(github.pings(1).await, [200]);

    let pull = |action: &str, state: &str, merged: bool| {
        json!({ "action": action, "number": 2,
            "pull_request": { "id": 279147437, "number": 2, "state": state, "title": "Update the README",
                "merged": merged, "head": { "ref": "changes", "sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821" } },
            "repository": { "id": 1296269, "full_name": "octocat/Hello-World" }, "sender": { "login": "octocat", "id": 1 } })
    };
    let deliveries = [
        pull("opened", "open", false),
        pull("synchronize", "open", false),
        pull("closed", "closed", true),
    ];
    for payload in &deliveries {
        assert_eq!(
            github
                .deliver(&client, FIRST_HOOK_ID, "pull_request", payload)
                .await
                .0,
            200
        );
    }
    // A signed delivery of an event this subscription did not ask for is acknowledged, not recorded.
    let other = github
        .deliver(
            &client,
            FIRST_HOOK_ID,
            "issues",
            &issue("opened", "x", "open"),
        )
        .await;
    assert_eq!(other.0, 200);
    let expected: Vec<(String, Value)> = ["created", "updated", "updated"]
        .iter()
        .zip(&deliveries)
        .map(|(kind, payload)| (kind.to_string(), record(payload, "pull_request")))
        .collect();
    assert_eq!(stored(&client, &service).await, expected);
    assert_eq!(expected[0].1["id"], "279147437");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_recreates_a_hook_deleted_on_github_and_unsubscribe_tolerates_a_missing_hook() {
    let github = fake_github();
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::shipped(&data, &[]);
    let (status, created) =
        subscribe(&client, &service, subscription(&github, "issues", TOKEN)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let secret = created["state"]["secret"].clone();
    let refresh = || {
        client
            .post(format!("{}/api/subscriptions/{id}/refresh", service.url))
            .send()
    };

    let (status, refreshed) = json_of(refresh().await.unwrap()).await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(
        refreshed["state"], created["state"],
        "a hook still there changes nothing"
    );
    let check = github.app.requests().last().unwrap().clone();
    assert_eq!(
        (check.method.as_str(), check.path.as_str()),
        ("GET", format!("{HOOKS}/{FIRST_HOOK_ID}").as_str())
    );
    assert_api_headers(&check);

    github.state.lock().unwrap().hooks.clear(); // deleted in the repository's settings
    let (status, refreshed) = json_of(refresh().await.unwrap()).await;
    assert_eq!(status, 200, "{refreshed}");
    let second = FIRST_HOOK_ID + 1;
    assert_eq!(
        refreshed["state"],
        json!({ "hookId": second, "secret": secret })
    );
    let requests = github.app.requests();
    let seen: Vec<(&str, &str)> = requests[requests.len() - 2..]
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("GET", format!("{HOOKS}/{FIRST_HOOK_ID}").as_str()),
            ("POST", HOOKS)
        ]
    );
    let body: Value = serde_json::from_slice(&requests.last().unwrap().body).unwrap();
    assert_eq!(body["config"]["secret"], secret, "the same secret");
    assert_eq!(body["config"]["url"], created["webhookUri"]);
    assert_eq!(
        github.pings(2).await,
        [200, 200],
        "the new hook's ping is acknowledged"
    );
    let (_, now) = get(&client, format!("{}/api/subscriptions/{id}", service.url)).await;
    assert_eq!(now["state"], refreshed["state"]);

    let payload = issue("opened", "After the hook came back", "open");
    assert_eq!(
        github.deliver(&client, second, "issues", &payload).await.0,
        200
    );
    assert_eq!(
        stored(&client, &service).await,
        [("created".to_string(), record(&payload, "issue"))]
    );

    github.state.lock().unwrap().hooks.clear();
    let deleted = client
        .delete(format!("{}/api/subscriptions/{id}", service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204, "a hook already gone is unsubscribed");
    let last = github.app.requests().last().unwrap().clone();
    assert_eq!(
        (last.method.as_str(), last.path.as_str()),
        ("DELETE", format!("{HOOKS}/{second}").as_str())
    );
}

/// Runs the connector's `issues` handle once through `connector-runtime invoke`.
fn invoke_handle(secret: &str, body: &str, signature: &str) -> Value {
    let input = json!({ "headers": { "content-type": "application/json", "x-github-event": "ping",
            "x-hub-signature-256": signature },
        "rawBody": body, "data": body, "query": {},
        "state": { "hookId": 1, "secret": secret }, "parameters": { "owner": "octocat", "repo": "Hello-World" } });
    common::invoke("github", "issues", "handle", &input)
}

#[test]
fn official_signature_vectors_are_accepted_and_a_one_byte_change_is_rejected() {
    let vectors = [
        // docs.github.com, "Validating webhook deliveries".
        (
            "It's a Secret to Everybody",
            "Hello, World!",
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        ),
        // octokit/webhooks-methods.js test/sign.test.ts and test/deno/web_test.ts.
        (
            "mysecret",
            r#"{"foo":"bar"}"#,
            "4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3",
        ),
        (
            "secret",
            "data",
            "1b2c16b75bd2a870c114153ccda5bcfca63314bc722fa160d690de133ccbb9db",
        ),
    ];
    let rejected = json!({ "events": [], "response": { "status": 401, "data": { "error": "invalid or missing X-Hub-Signature-256" } } });
    for (secret, body, signature) in vectors {
        let hmac = hmac_sha256_hex(secret.as_bytes(), body.as_bytes());
        assert_eq!(hmac, signature, "the fake signs as GitHub does");
        let header = format!("sha256={signature}");
        assert_eq!(
            invoke_handle(secret, body, &header),
            json!({ "events": [] }),
            "{secret}"
        );
        let mut changed = body.as_bytes().to_vec();
        changed[0] ^= 1;
        assert_eq!(
            invoke_handle(secret, std::str::from_utf8(&changed).unwrap(), &header),
            rejected
        );
        let mut wrong = header.clone().into_bytes();
        *wrong.last_mut().unwrap() ^= 1;
        assert_eq!(
            invoke_handle(secret, body, std::str::from_utf8(&wrong).unwrap()),
            rejected
        );
    }
}
