//! The shipped `slack` connector end to end: the Events API as one global Request URL for every
//! workspace. A fake Slack Web API on 127.0.0.1 answers `auth.test` per bot token (HTTP 200 with
//! `ok: false` on errors, as Slack does); deliveries are signed as Slack signs them
//! (`X-Slack-Signature: v0=hex(HMAC-SHA256(secret, "v0:<ts>:<body>"))`), and Slack's official
//! signature vector runs through `connector-runtime invoke`.

mod common;
use common::{Service, client, data_dir, events, get, hmac_sha256_hex, subscribe, unix_now};
use test_support::{FakeApp, Recorded, Reply};

use serde_json::{Value, json};

const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

/// A fake of Slack's Web API: `POST /api/auth.test` answers for the bot token it is given.
fn fake_slack() -> FakeApp {
    FakeApp::start(|r: &Recorded| {
        if (r.method.as_str(), r.path.as_str()) != ("POST", "/api/auth.test") {
            return Reply::json(404, r#"{"ok":false,"error":"unknown_method"}"#);
        }
        let team = |team_id: &str, user: &str| {
            json!({ "ok": true, "url": format!("https://{}.slack.com/", team_id.to_lowercase()),
                "team": format!("Team {team_id}"), "user": user, "team_id": team_id,
                "user_id": format!("U{user}"), "bot_id": format!("B{user}"), "is_enterprise_install": false })
        };
        let answer = match r.header("authorization") {
            Some("Bearer xoxb-t1-alpha") => team("T1", "ALPHA"),
            Some("Bearer xoxb-t1-beta") => team("T1", "BETA"),
            Some("Bearer xoxb-t2") => team("T2", "GAMMA"),
            // An org-wide (Enterprise Grid) installation.
            Some("Bearer xoxb-grid") => {
                json!({ "ok": true, "url": "https://acme.enterprise.slack.com/",
                "team": "Acme", "user": "grid", "team_id": "E1", "user_id": "UGRID", "bot_id": "BGRID",
                "enterprise_id": "E1", "is_enterprise_install": true })
            }
            None => json!({ "ok": false, "error": "not_authed" }),
            Some(_) => json!({ "ok": false, "error": "invalid_auth" }),
        };
        Reply::json(200, &answer.to_string()).with_header("x-slack-req-id", "fake-req")
    })
}

/// The `X-Slack-*` headers of `body` sent at `timestamp`, signed with `secret`.
fn signed(secret: &str, timestamp: u64, body: &str) -> [(&'static str, String); 2] {
    let signature = hmac_sha256_hex(
        secret.as_bytes(),
        format!("v0:{timestamp}:{body}").as_bytes(),
    );
    [
        ("x-slack-request-timestamp", timestamp.to_string()),
        ("x-slack-signature", format!("v0={signature}")),
    ]
}

/// An `event_callback` envelope as Slack sends it, for one installation of workspace `team`.
fn envelope(team: &str, event_id: &str, event: Value) -> Value {
    json!({ "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "team_id": team, "api_app_id": "A0APP",
        "event": event, "type": "event_callback", "event_id": event_id, "event_time": 1515449522,
        "authorizations": [{ "enterprise_id": null, "team_id": team, "user_id": "UBOT",
            "is_bot": true, "is_enterprise_install": false }],
        "is_ext_shared_channel": false, "event_context": format!("4-{event_id}") })
}

/// What a stored payload event holds: the envelope without the verification token.
fn without_token(mut envelope: Value) -> Value {
    envelope.as_object_mut().unwrap().remove("token");
    envelope
}

/// The events stored since the first `seen`, as sorted `(subscription, type, record | payload)`.
async fn stored_since(
    client: &reqwest::Client,
    service: &Service,
    seen: &mut usize,
) -> Vec<(String, String, Value)> {
    let all = events(client, service).await;
    let mut new: Vec<_> = all[*seen..]
        .iter()
        .map(|e| {
            let body = if e["type"] == "payload" {
                &e["payload"]
            } else {
                &e["record"]
            };
            (
                e["subscriptionId"].as_str().unwrap().to_string(),
                e["type"].as_str().unwrap().to_string(),
                body.clone(),
            )
        })
        .collect();
    *seen = all.len();
    new.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    new
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_api_deliveries_are_verified_and_routed_to_their_installations() {
    let slack = fake_slack();
    let (dir, data) = data_dir();
    let parameters = dir.path().join("connector-parameters.json");
    std::fs::write(
        &parameters,
        json!({ "slack": { "signingSecret": SIGNING_SECRET } }).to_string(),
    )
    .unwrap();
    let client = client();
    let service = Service::shipped(
        &data,
        &["--connector-parameters", parameters.to_str().unwrap()],
    );
    let hook = format!("{}/global-webhooks/slack/events", service.url);

    // The Request URL to paste into the Slack app's Event Subscriptions.
    let listed_uri = format!("{}/api/connectors/slack/global-webhooks", service.url);
    let (status, listed) = get(&client, &listed_uri).await;
    assert_eq!(status, 200);
    let listing = |unmatched: u64| json!({ "globalWebhooks": [{ "key": "events", "name": "Events API Request URL", "uri": hook, "unmatchedDeliveries": unmatched, "lastError": null }] });
    assert_eq!(listed, listing(0));

    // Two installations' subscriptions on T1 (all events; messages of channel C1), one on T2, one
    // on the Grid org E1; each learns its installation from auth.test with its own token.
    let subscriptions = [
        ("events", "xoxb-t1-alpha", json!({})),
        ("messages", "xoxb-t1-beta", json!({ "channel": "C1" })),
        ("events", "xoxb-t2", json!({})),
        ("events", "xoxb-grid", json!({})),
    ];
    let mut ids = Vec::new();
    for (event, token, params) in &subscriptions {
        let body = json!({ "connector": "slack", "event": event, "parameters": params,
            "credentials": { "access_token": token, "apiBaseUri": format!("{}/api", slack.url()) } });
        let (status, created) = subscribe(&client, &service, body).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(
            (&created["status"], &created["webhookUri"]),
            (&json!("active"), &json!(hook))
        );
        ids.push(created["id"].as_str().unwrap().to_string());
    }
    let (t1_all, t1_c1, t2_all, grid_all) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    let calls: Vec<_> = slack
        .requests()
        .iter()
        .map(|r| {
            (
                r.method.clone(),
                r.path.clone(),
                r.header("authorization").unwrap_or("").to_string(),
                r.header("content-type").map(str::to_string),
                r.text(),
            )
        })
        .collect();
    let expected: Vec<_> = ["xoxb-t1-alpha", "xoxb-t1-beta", "xoxb-t2", "xoxb-grid"]
        .iter()
        .map(|t| {
            (
                "POST".to_string(),
                "/api/auth.test".to_string(),
                format!("Bearer {t}"),
                None,
                String::new(),
            )
        })
        .collect();
    assert_eq!(
        calls, expected,
        "one auth.test per subscription: its bot token, no arguments"
    );

    // A revoked token: Slack answers 200 {ok: false}; the subscription fails, naming the error.
    let body = json!({ "connector": "slack", "event": "events",
        "credentials": { "access_token": "xoxb-revoked", "apiBaseUri": format!("{}/api", slack.url()) } });
    let (status, failed) = subscribe(&client, &service, body).await;
    assert_eq!(status, 502, "{failed}");
    assert!(
        failed
            .to_string()
            .contains("auth.test failed: invalid_auth"),
        "{failed}"
    );

    let post = |body: String, headers: Vec<(&'static str, String)>| {
        let mut request = client
            .post(&hook)
            .header("content-type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };
    let deliver = |body: &Value| {
        let text = body.to_string();
        post(
            text.clone(),
            signed(SIGNING_SECRET, unix_now(), &text).to_vec(),
        )
    };
    let mut seen = 0;

    // Saving the Request URL: a signed url_verification, answered with the challenge.
    let challenge = json!({ "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification" });
    let reply = deliver(&challenge).await.unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(
        reply.json::<Value>().await.unwrap(),
        json!({ "challenge": challenge["challenge"] })
    );

    // Forged, stale or unsigned requests: 401, nothing stored.
    let mention = envelope(
        "T1",
        "Ev01",
        json!({ "type": "app_mention", "user": "U9", "text": "<@UBOT> hi",
        "ts": "1515449522.000016", "channel": "C1", "event_ts": "1515449522.000016" }),
    );
    let text = mention.to_string();
    let now = unix_now();
    let mut tampered = signed(SIGNING_SECRET, now, &text);
    tampered[1].1.replace_range(
        3..4,
        if tampered[1].1[3..4] == *"0" {
            "1"
        } else {
            "0"
        },
    );
    let attempts = [
        (
            "wrong secret",
            signed("not-the-secret", now, &text).to_vec(),
        ),
        ("one hex digit changed", tampered.to_vec()),
        (
            "stale (301 s old)",
            signed(SIGNING_SECRET, now - 301, &text).to_vec(),
        ),
        // Well past the window: the service reads its clock a moment after `now`, so 301 s ahead
        // can be 300 s ahead by then, which the window still takes.
        (
            "from the future (330 s ahead)",
            signed(SIGNING_SECRET, now + 330, &text).to_vec(),
        ),
        ("unsigned", Vec::new()),
    ];
    for (what, headers) in attempts {
        let reply = post(text.clone(), headers).await.unwrap();
        assert_eq!(reply.status(), 401, "{what}");
        assert!(reply.text().await.unwrap().contains("error"), "{what}");
    }
    let reply = post(challenge.to_string(), Vec::new()).await.unwrap();
    assert_eq!(reply.status(), 401, "url_verification must be signed too");
    assert!(stored_since(&client, &service, &mut seen).await.is_empty());

    // An app_mention in T1: the envelope (without its token) to T1's all-events subscription only.
    let reply = deliver(&mention).await.unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.text().await.unwrap(), "");
    let mention_payload = without_token(mention.clone());
    assert_eq!(
        stored_since(&client, &service, &mut seen).await,
        vec![(t1_all.clone(), "payload".into(), mention_payload.clone())]
    );

    // Messages in T1: every one to T1's all-events subscription; C1's as records to the C1 one.
    let message = json!({ "type": "message", "channel": "C1", "user": "U9", "text": "hello",
        "ts": "1700000000.000100", "event_ts": "1700000000.000100", "channel_type": "channel" });
    let edit = json!({ "type": "message", "subtype": "message_changed", "channel": "C1", "hidden": true,
        "ts": "1700000050.000200", "event_ts": "1700000050.000200", "channel_type": "channel",
        "message": { "type": "message", "user": "U9", "text": "hello, edited", "ts": "1700000000.000100",
            "edited": { "user": "U9", "ts": "1700000050.000000" } },
        "previous_message": { "type": "message", "user": "U9", "text": "hello", "ts": "1700000000.000100" } });
    let deletion = json!({ "type": "message", "subtype": "message_deleted", "channel": "C1", "hidden": true,
        "ts": "1700000060.000300", "deleted_ts": "1700000000.000100", "event_ts": "1700000060.000300",
        "channel_type": "channel" });
    let elsewhere = json!({ "type": "message", "channel": "C2", "user": "U9", "text": "other channel",
        "ts": "1700000070.000400", "event_ts": "1700000070.000400", "channel_type": "channel" });
    let mut record = message.clone();
    record["id"] = json!("C1:1700000000.000100");
    let updated = json!({ "type": "message", "user": "U9", "text": "hello, edited", "ts": "1700000000.000100",
        "edited": { "user": "U9", "ts": "1700000050.000000" }, "id": "C1:1700000000.000100", "channel": "C1" });
    let deleted =
        json!({ "id": "C1:1700000000.000100", "channel": "C1", "ts": "1700000000.000100" });
    for (n, (event, expected_record)) in [
        (message, Some(("created", record))),
        (edit, Some(("updated", updated))),
        (deletion, Some(("deleted", deleted))),
        (elsewhere, None),
    ]
    .into_iter()
    .enumerate()
    {
        let delivery = envelope("T1", &format!("Ev1{n}"), event);
        assert_eq!(deliver(&delivery).await.unwrap().status(), 200);
        let mut expected = vec![(
            t1_all.clone(),
            "payload".to_string(),
            without_token(delivery),
        )];
        if let Some((kind, record)) = expected_record {
            expected.push((t1_c1.clone(), kind.to_string(), record));
        }
        expected.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        assert_eq!(
            stored_since(&client, &service, &mut seen).await,
            expected,
            "delivery {n}"
        );
    }

    // T2's event reaches T2 only.
    let t2 = envelope(
        "T2",
        "Ev20",
        json!({ "type": "reaction_added", "user": "U2", "reaction": "thumbsup",
        "item": { "type": "message", "channel": "C9", "ts": "1.0" }, "event_ts": "2.0" }),
    );
    assert_eq!(deliver(&t2).await.unwrap().status(), 200);
    assert_eq!(
        stored_since(&client, &service, &mut seen).await,
        vec![(t2_all.clone(), "payload".into(), without_token(t2))]
    );

    // Enterprise Grid: an event of workspace T3 for the org-wide installation of E1.
    let mut grid = envelope(
        "T3",
        "Ev30",
        json!({ "type": "channel_created", "channel": { "id": "C30", "name": "new" } }),
    );
    grid["enterprise_id"] = json!("E1");
    grid["authorizations"] = json!([{ "enterprise_id": "E1", "team_id": null, "user_id": "UGRID",
        "is_bot": true, "is_enterprise_install": true }]);
    assert_eq!(deliver(&grid).await.unwrap().status(), 200);
    assert_eq!(
        stored_since(&client, &service, &mut seen).await,
        vec![(grid_all.clone(), "payload".into(), without_token(grid))]
    );

    // A team nobody subscribed: 200 (else Slack retries and may disable the URL), stored nowhere.
    let unknown = envelope(
        "T9",
        "Ev90",
        json!({ "type": "app_mention", "text": "nobody", "ts": "3.0", "channel": "C1" }),
    );
    let unmatched = |listed: Value| {
        listed["globalWebhooks"][0]["unmatchedDeliveries"]
            .as_u64()
            .unwrap()
    };
    let before = unmatched(get(&client, &listed_uri).await.1);
    let reply = deliver(&unknown).await.unwrap();
    assert_eq!(reply.status(), 200);
    assert!(stored_since(&client, &service, &mut seen).await.is_empty());
    // Counted among the unmatched deliveries.
    let after = unmatched(get(&client, &listed_uri).await.1);
    assert_eq!(after, before + 1);

    // Slack's retry of a delivery whose answer it missed is stored again, with the same event_id.
    let text = mention.to_string();
    let mut headers = signed(SIGNING_SECRET, unix_now(), &text).to_vec();
    headers.extend([
        ("x-slack-retry-num", "1".to_string()),
        ("x-slack-retry-reason", "http_timeout".to_string()),
    ]);
    assert_eq!(post(text, headers).await.unwrap().status(), 200);
    assert_eq!(
        stored_since(&client, &service, &mut seen).await,
        vec![(t1_all.clone(), "payload".into(), mention_payload)]
    );

    // Deleting a subscription calls nothing at Slack (the URL lives in the app config) and stops its routing.
    let requests_before = slack.requests().len();
    let deleted = client
        .delete(format!("{}/api/subscriptions/{t1_all}", service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(slack.requests().len(), requests_before);
    let again = envelope(
        "T1",
        "Ev40",
        json!({ "type": "app_mention", "text": "again", "ts": "4.0", "channel": "C2" }),
    );
    assert_eq!(deliver(&again).await.unwrap().status(), 200);
    assert!(stored_since(&client, &service, &mut seen).await.is_empty());
}

/// Runs the global webhook's handle once through `connector-runtime invoke`.
fn invoke_handle(input: &Value) -> Value {
    common::invoke("slack", "global-webhooks/events", "handle", input)
}

#[test]
fn slacks_official_signature_vector_is_accepted_and_a_one_byte_change_is_not() {
    // docs.slack.dev "Verifying requests from Slack", as in python-slack-sdk's and bolt-js's tests.
    let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    let expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    assert_eq!(
        format!(
            "v0={}",
            hmac_sha256_hex(
                SIGNING_SECRET.as_bytes(),
                format!("v0:1531420618:{body}").as_bytes()
            )
        ),
        expected
    );

    let input = |body: &str, tolerance: u64| {
        let data: serde_json::Map<String, Value> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .map(|(k, v)| (k, json!(v)))
            .collect();
        // The vector is from 2018: tolerance 0 turns the replay check off, as in Stripe's SDKs.
        json!({ "parameters": { "signingSecret": SIGNING_SECRET, "timestampToleranceSeconds": tolerance },
            "headers": { "content-type": "application/x-www-form-urlencoded",
                "x-slack-request-timestamp": "1531420618", "x-slack-signature": expected },
            "rawBody": body, "data": data, "method": "POST", "query": {} })
    };
    // Accepted: a slash command is no Events API envelope, so it is acknowledged with no events.
    assert_eq!(
        invoke_handle(&input(body, 0)),
        json!({ "events": [], "response": { "status": 200 } })
    );

    // One byte of the body changed (the team id's last letter): the same signature no longer fits.
    let changed = body.replacen("T1DC2JH3J", "T1DC2JH3K", 1);
    assert_eq!(changed.len(), body.len());
    let rejected = invoke_handle(&input(&changed, 0));
    assert_eq!(
        rejected,
        json!({ "events": [], "response": { "status": 401, "data": { "error": "invalid X-Slack-Signature" } } })
    );

    // With the default 5-minute tolerance the genuine but old request is a replay.
    let stale = invoke_handle(&input(body, 300));
    assert_eq!(
        stale,
        json!({ "events": [], "response": { "status": 401, "data": { "error": "stale X-Slack-Request-Timestamp" } } })
    );
}
