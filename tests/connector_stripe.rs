//! The shipped `stripe` connector end to end: the real service against a fake Stripe API on
//! 127.0.0.1 (form-encoded `/v1/webhook_endpoints`, `whsec_` secrets returned only at creation,
//! Stripe's error bodies), deliveries signed as Stripe signs them (`Stripe-Signature: t=..,v1=..`),
//! and stripe-dotnet's official signature vector run through `connector-runtime invoke`.

mod common;
use common::{
    Service, client, data_dir, events, get, hmac_sha256_hex, json_of, subscribe, unix_now,
};
#[allow(unused_imports)] // Stripe has no handshake, so nothing calls the service from the fake
use test_support::{FakeApp, Recorded, Reply, call_blocking};

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

const SECRET_KEY: &str = "sk_test_4eC39HqLyjWDarjtT1zdp7dc";

struct Endpoint {
    url: String,
    events: Vec<String>,
    disabled: bool,
    secret: String,
}

/// What the fake Stripe account holds: its webhook endpoints by id.
#[derive(Default)]
struct Account {
    created: u32,
    endpoints: BTreeMap<String, Endpoint>,
}

fn endpoint_json(id: &str, e: &Endpoint, with_secret: bool) -> Value {
    let mut body = json!({ "id": id, "object": "webhook_endpoint", "api_version": null,
        "application": null, "created": 1719000000, "description": null, "enabled_events": e.events,
        "livemode": false, "metadata": {}, "status": if e.disabled { "disabled" } else { "enabled" },
        "url": e.url });
    if with_secret {
        body["secret"] = json!(e.secret);
    }
    body
}

fn stripe_error(status: u16, kind: &str, code: &str, message: &str) -> Reply {
    let error = json!({ "error": { "code": code, "message": message, "type": kind } });
    Reply::json(status, &error.to_string())
}

/// A fake of Stripe's webhook endpoint API over `account`.
fn fake_stripe(account: Arc<Mutex<Account>>) -> FakeApp {
    FakeApp::start(move |r: &Recorded| {
        if r.header("authorization") != Some(&format!("Bearer {SECRET_KEY}")) {
            let message = "Invalid API Key provided: sk_test_****";
            return stripe_error(401, "invalid_request_error", "api_key_invalid", message);
        }
        let form: Vec<(String, String)> =
            url::form_urlencoded::parse(&r.body).into_owned().collect();
        let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let mut account = account.lock().unwrap();
        let id = r
            .path
            .strip_prefix("/v1/webhook_endpoints/")
            .unwrap_or("")
            .to_string();
        match (r.method.as_str(), r.path.as_str()) {
            ("POST", "/v1/webhook_endpoints") => {
                let events: Vec<String> = form
                    .iter()
                    .filter(|(k, _)| k == "enabled_events[]")
                    .map(|(_, v)| v.clone())
                    .collect();
                let Some(url) = field("url").filter(|_| !events.is_empty()) else {
                    let message = "Missing required param: url or enabled_events.";
                    return stripe_error(
                        400,
                        "invalid_request_error",
                        "parameter_missing",
                        message,
                    );
                };
                account.created += 1;
                let n = account.created;
                let (id, secret) = (format!("we_1Fake{n}"), format!("whsec_fake_secret_{n}"));
                let endpoint = Endpoint {
                    url,
                    events,
                    disabled: false,
                    secret,
                };
                let body = endpoint_json(&id, &endpoint, true);
                account.endpoints.insert(id, endpoint);
                Reply::json(200, &body.to_string())
            }
            (method, _) if !account.endpoints.contains_key(&id) => {
                let message = format!("No such webhook endpoint: '{id}' ({method})");
                stripe_error(404, "invalid_request_error", "resource_missing", &message)
            }
            ("GET", _) => Reply::json(
                200,
                &endpoint_json(&id, &account.endpoints[&id], false).to_string(),
            ),
            ("POST", _) => {
                let endpoint = account.endpoints.get_mut(&id).unwrap();
                if let Some(disabled) = field("disabled") {
                    endpoint.disabled = disabled == "true";
                }
                if let Some(url) = field("url") {
                    endpoint.url = url;
                }
                Reply::json(200, &endpoint_json(&id, endpoint, false).to_string())
            }
            ("DELETE", _) => {
                account.endpoints.remove(&id);
                let body = json!({ "id": id, "object": "webhook_endpoint", "deleted": true });
                Reply::json(200, &body.to_string())
            }
            _ => stripe_error(404, "invalid_request_error", "", "Unrecognized request URL"),
        }
    })
}

/// A Stripe event delivery body, as Stripe sends it.
fn stripe_event(id: &str, kind: &str, object: Value) -> String {
    json!({ "id": id, "object": "event", "api_version": "2024-06-20", "created": unix_now(),
        "data": { "object": object }, "livemode": false, "pending_webhooks": 1,
        "request": { "id": "req_1", "idempotency_key": null }, "type": kind })
    .to_string()
}

/// Stripe's v1 signature: hex(HMAC-SHA256(secret, "t.body")), the key being the whole `whsec_` string.
fn v1(secret: &str, t: u64, body: &str) -> String {
    hmac_sha256_hex(secret.as_bytes(), format!("{t}.{body}").as_bytes())
}

/// `Stripe-Signature` for `body` signed at `t`.
fn signature(secret: &str, t: u64, body: &str) -> String {
    format!("t={t},v1={}", v1(secret, t, body))
}

async fn deliver(
    client: &reqwest::Client,
    uri: &str,
    signature: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let mut request = client
        .post(uri)
        .header("content-type", "application/json; charset=utf-8")
        .header(
            "user-agent",
            "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        )
        .body(body.to_string());
    if let Some(signature) = signature {
        request = request.header("stripe-signature", signature);
    }
    json_of(request.send().await.unwrap()).await
}

/// `body` signed with `secret` now, as Stripe delivers it.
async fn deliver_now(
    client: &reqwest::Client,
    uri: &str,
    secret: &str,
    body: &str,
) -> (u16, Value) {
    let signature = signature(secret, unix_now(), body);
    deliver(client, uri, Some(&signature), body).await
}

/// The stored events as `{type, record | payload}`. The service lists a payload event that handle
/// returned as `{type: 'invoice.paid', payload}` as `{type: 'payload', payload: {type, payload}}`;
/// both read here as the first.
async fn stored(client: &reqwest::Client, service: &Service) -> Vec<Value> {
    let strip = |e: &Value| {
        let mut e = e.as_object().unwrap().clone();
        e.retain(|k, _| ["type", "record", "payload"].contains(&k.as_str()));
        match (e["type"].as_str(), e.get("payload")) {
            (Some("payload"), Some(inner)) if inner.get("payload").is_some() => inner.clone(),
            _ => Value::Object(e),
        }
    };
    events(client, service).await.iter().map(strip).collect()
}

fn form_of(r: &Recorded) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&r.body).into_owned().collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_subscribe_deliver_reject_and_unsubscribe() {
    let account = Arc::new(Mutex::new(Account::default()));
    let stripe = fake_stripe(account.clone());
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::shipped(&data, &[]);
    let request = |key: &str| {
        json!({ "connector": "stripe", "event": "customers", "parameters": {},
            "credentials": { "secretKey": key, "apiBaseUri": stripe.url() } })
    };

    let (status, failed) = subscribe(&client, &service, request("sk_test_wrong")).await;
    assert_eq!(
        status, 502,
        "a rejected key fails the subscription: {failed}"
    );
    assert!(account.lock().unwrap().endpoints.is_empty());

    let before = unix_now() * 1000;
    let (status, created) = subscribe(&client, &service, request(SECRET_KEY)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "active");
    assert_eq!(
        created["state"],
        json!({ "webhookEndpointId": "we_1Fake1", "secret": "whsec_fake_secret_1" })
    );
    let next = created["nextRefreshTimestamp"].as_u64().unwrap();
    assert!(
        (before + 86_400_000..=(unix_now() + 1) * 1000 + 86_400_000).contains(&next),
        "a daily check: {next}"
    );
    let uri = created["webhookUri"].as_str().unwrap().to_string();
    let create = &stripe.requests()[1];
    assert_eq!(
        (create.method.as_str(), create.path.as_str()),
        ("POST", "/v1/webhook_endpoints")
    );
    assert_eq!(
        create.header("authorization"),
        Some(&*format!("Bearer {SECRET_KEY}"))
    );
    assert!(
        create
            .header("content-type")
            .unwrap()
            .starts_with("application/x-www-form-urlencoded")
    );
    let expected = pairs(&[
        ("url", &uri),
        ("enabled_events[]", "customer.created"),
        ("enabled_events[]", "customer.updated"),
        ("enabled_events[]", "customer.deleted"),
        ("description", "connector-runtime: customers"),
    ]);
    assert_eq!(form_of(create), expected);

    let secret = "whsec_fake_secret_1";
    let customer = json!({ "id": "cus_NffrFeUfNV2Hib", "object": "customer", "email": "jenny.rosen@example.com", "name": "Jenny Rosen" });
    let body = stripe_event("evt_1", "customer.created", customer.clone());
    let reply = deliver_now(&client, &uri, secret, &body).await;
    assert_eq!(reply, (200, json!({ "received": true })));
    // While a secret is rolled Stripe sends one v1 per secret: any one matching is enough.
    let mut updated = customer.clone();
    updated["name"] = json!("Jenny R.");
    let body = stripe_event("evt_2", "customer.updated", updated.clone());
    let t = unix_now();
    let two = format!("t={t},v1={},v1={}", "0".repeat(64), v1(secret, t, &body));
    assert_eq!(deliver(&client, &uri, Some(&two), &body).await.0, 200);
    let body = stripe_event("evt_3", "customer.deleted", updated.clone());
    assert_eq!(deliver_now(&client, &uri, secret, &body).await.0, 200);
    let expected = vec![
        json!({ "type": "created", "record": customer }),
        json!({ "type": "updated", "record": updated }),
        json!({ "type": "deleted", "record": updated }),
    ];
    assert_eq!(stored(&client, &service).await, expected);

    // Forged, replayed or unsigned deliveries: 400, nothing stored.
    let body = stripe_event(
        "evt_4",
        "customer.created",
        json!({ "id": "cus_evil", "object": "customer" }),
    );
    let now = unix_now();
    let v0_only = signature(secret, now, &body).replace("v1=", "v0=");
    let bad = [
        Some(signature("whsec_other", now, &body)),
        Some(signature(secret, now - 400, &body)),
        Some(signature(secret, now + 400, &body)),
        Some(v0_only),
        Some(format!("v1={}", v1(secret, now, &body))),
        None,
    ];
    for header in bad {
        let (status, answer) = deliver(&client, &uri, header.as_deref(), &body).await;
        assert_eq!(status, 400, "{header:?}: {answer}");
        assert!(
            answer["error"]
                .as_str()
                .unwrap()
                .starts_with("Webhook Error: "),
            "{answer}"
        );
    }
    let tampered = body.replace("cus_evil", "cus_evim");
    let (status, _) = deliver(
        &client,
        &uri,
        Some(&signature(secret, now, &body)),
        &tampered,
    )
    .await;
    assert_eq!(status, 400, "a one-byte change of the body");
    assert_eq!(
        stored(&client, &service).await.len(),
        3,
        "no rejected delivery is stored"
    );

    let id = created["id"].as_str().unwrap();
    let deleted = client
        .delete(format!("{}/api/subscriptions/{id}", service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let delete = stripe.requests().last().unwrap().clone();
    assert_eq!(
        (delete.method.as_str(), delete.path.as_str()),
        ("DELETE", "/v1/webhook_endpoints/we_1Fake1")
    );
    assert_eq!(
        delete.header("authorization"),
        Some(&*format!("Bearer {SECRET_KEY}"))
    );
    assert!(delete.body.is_empty());
    assert!(account.lock().unwrap().endpoints.is_empty());
    let body = stripe_event("evt_5", "customer.created", customer);
    assert_eq!(deliver_now(&client, &uri, secret, &body).await.0, 410);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_map_records_and_payloads_and_refresh_repairs_the_endpoint() {
    let account = Arc::new(Mutex::new(Account::default()));
    let stripe = fake_stripe(account.clone());
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::shipped(&data, &[]);
    let parameters = json!({ "enabledEvents": ["invoice.paid", "customer.subscription.updated"], "apiVersion": "2024-06-20" });
    let (status, created) = subscribe(&client, &service, json!({ "connector": "stripe", "event": "events",
        "parameters": parameters, "credentials": { "secretKey": SECRET_KEY, "apiBaseUri": stripe.url() } })).await;
    assert_eq!(status, 201, "{created}");
    let (id, uri) = (
        created["id"].as_str().unwrap(),
        created["webhookUri"].as_str().unwrap(),
    );
    let expected = pairs(&[
        ("url", uri),
        ("enabled_events[]", "invoice.paid"),
        ("enabled_events[]", "customer.subscription.updated"),
        ("description", "connector-runtime: events"),
        ("api_version", "2024-06-20"),
    ]);
    assert_eq!(form_of(&stripe.requests()[0]), expected);

    let invoice = stripe_event(
        "evt_10",
        "invoice.paid",
        json!({ "id": "in_1", "object": "invoice", "amount_paid": 2000 }),
    );
    let sub = json!({ "id": "sub_1", "object": "subscription", "status": "active" });
    let updated = stripe_event("evt_11", "customer.subscription.updated", sub.clone());
    for body in [&invoice, &updated] {
        let reply = deliver_now(&client, uri, "whsec_fake_secret_1", body).await;
        assert_eq!(reply, (200, json!({ "received": true })));
    }
    let invoice: Value = serde_json::from_str(&invoice).unwrap();
    let expected = vec![
        json!({ "type": "invoice.paid", "payload": invoice }),
        json!({ "type": "updated", "record": sub }),
    ];
    assert_eq!(stored(&client, &service).await, expected);

    let refresh = || async {
        let url = format!("{}/api/subscriptions/{id}/refresh", service.url);
        json_of(client.post(url).send().await.unwrap()).await
    };
    // Stripe disabled the endpoint after failed deliveries: the daily refresh re-enables it.
    account
        .lock()
        .unwrap()
        .endpoints
        .get_mut("we_1Fake1")
        .unwrap()
        .disabled = true;
    let seen = stripe.requests().len();
    let (status, refreshed) = refresh().await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(refreshed["state"], created["state"]);
    assert!(refreshed["nextRefreshTimestamp"].as_u64().unwrap() > unix_now() * 1000 + 86_000_000);
    let calls = &stripe.requests()[seen..];
    let calls: Vec<_> = calls
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), form_of(r)))
        .collect();
    assert_eq!(
        calls,
        [
            ("GET", "/v1/webhook_endpoints/we_1Fake1", vec![]),
            (
                "POST",
                "/v1/webhook_endpoints/we_1Fake1",
                pairs(&[("disabled", "false")])
            )
        ]
    );
    assert!(!account.lock().unwrap().endpoints["we_1Fake1"].disabled);

    // Someone deleted it in the Dashboard: the refresh creates a new one, with a new secret.
    account.lock().unwrap().endpoints.clear();
    let (status, refreshed) = refresh().await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(
        refreshed["state"],
        json!({ "webhookEndpointId": "we_1Fake2", "secret": "whsec_fake_secret_2" })
    );
    assert_eq!(account.lock().unwrap().endpoints["we_1Fake2"].url, uri);
    let body = stripe_event(
        "evt_12",
        "invoice.paid",
        json!({ "id": "in_2", "object": "invoice" }),
    );
    let old = deliver_now(&client, uri, "whsec_fake_secret_1", &body).await;
    assert_eq!(old.0, 400, "the deleted endpoint's secret no longer signs");
    let new = deliver_now(&client, uri, "whsec_fake_secret_2", &body).await;
    assert_eq!(new.0, 200);
    assert_eq!(stored(&client, &service).await.len(), 3);

    // An endpoint already gone from Stripe still unsubscribes cleanly.
    account.lock().unwrap().endpoints.clear();
    let deleted = client
        .delete(format!("{}/api/subscriptions/{id}", service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let last = stripe.requests().last().unwrap().clone();
    assert_eq!(
        (last.method.as_str(), last.path.as_str()),
        ("DELETE", "/v1/webhook_endpoints/we_1Fake2")
    );
    let (_, after) = get(&client, format!("{}/api/subscriptions/{id}", service.url)).await;
    assert_eq!(after["status"], "deleted");
}

/// Runs the `customers` handle once through `connector-runtime invoke`.
fn invoke_handle(header: &str, raw_body: &str, secret: &str, parameters: Value) -> Value {
    let input = json!({ "headers": { "stripe-signature": header, "content-type": "application/json" },
        "rawBody": raw_body, "data": serde_json::from_str::<Value>(raw_body).unwrap(),
        "state": { "secret": secret }, "parameters": parameters });
    common::invoke("stripe", "customers", "handle", &input)
}

#[test]
fn the_official_stripe_dotnet_vector() {
    // stripe-dotnet src/StripeTests/Services/Events/EventUtilityTest.cs with its fixture
    // Resources/event_test_signature.json (byte for byte, final newline included).
    let body = include_str!("connector_stripe/event_test_signature.json");
    let header = "t=1533204620,v1=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7,\
                  v0=63f3a72374a733066c4be69ed7f8e5ac85c22c9f0a6a612ab9a025a9e4ee7eef";
    // The vector is from 2018: check the signature alone (tolerance 0 turns the clock check off,
    // as in Stripe's SDKs), then see the default 300 s tolerance reject it as a replay.
    let accepted = invoke_handle(
        header,
        body,
        "webhook_secret",
        json!({ "toleranceSeconds": 0 }),
    );
    let customer = json!({ "id": "cus_123", "object": "customer", "created": 123456789,
        "email": "test@stripe.com", "livemode": false, "metadata": {} });
    assert_eq!(
        accepted["events"],
        json!([{ "type": "created", "record": customer }])
    );
    assert_eq!(accepted["response"]["status"], 200);

    let rejected = |result: Value, why: &str| {
        assert_eq!(result["events"], json!([]), "{why}");
        assert_eq!(result["response"]["status"], 400, "{why}");
    };
    let no_clock = json!({ "toleranceSeconds": 0 });
    rejected(
        invoke_handle(
            header,
            &body.replace("cus_123", "cus_124"),
            "webhook_secret",
            no_clock.clone(),
        ),
        "body changed",
    );
    rejected(
        invoke_handle(
            &header.replace("v1=2220", "v1=3220"),
            body,
            "webhook_secret",
            no_clock.clone(),
        ),
        "signature changed",
    );
    rejected(
        invoke_handle(header, body, "webhook_secreT", no_clock),
        "secret changed",
    );
    let stale = invoke_handle(header, body, "webhook_secret", json!({}));
    rejected(
        stale.clone(),
        "a correct signature from 2018 is outside the 300 s tolerance",
    );
    assert_eq!(
        stale["response"]["data"]["error"],
        "Webhook Error: timestamp outside the tolerance zone"
    );
}
