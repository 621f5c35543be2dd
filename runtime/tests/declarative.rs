//! A connector written only in YAML (`tests/declarative/tasks`: makeApiClient and handle as
//! mappings, subscribe and unsubscribe as rest-api-mapping, refresh as graphql-api-mapping) through
//! its whole life against a fake app, with the exact requests checked.

use std::path::Path;
use std::sync::Arc;

use runtime::{Connector, Invocation, Limits, Runtime, Target};
use serde_json::{Value, json};
use test_support::{FakeApp, Recorded, Reply};

fn tasks() -> Arc<Connector> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/declarative/tasks");
    Arc::new(runtime::connector::load_connector(&root).unwrap())
}

fn app() -> FakeApp {
    FakeApp::start(|r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/api/projects/p%201/webhooks") => Reply::json(
            201,
            r#"{"id":"wh_42","secret":"s3cr3t","expiresAt":1900000000000}"#,
        ),
        ("POST", "/api/graphql") => Reply::json(
            200,
            r#"{"data":{"renewWebhook":{"expiresAt":1900000999000}}}"#,
        ),
        ("DELETE", "/api/webhooks/wh_42") => Reply::text(204, ""),
        ("DELETE", _) => Reply::json(404, r#"{"error":"no such webhook"}"#),
        _ => Reply::json(500, r#"{"error":"unexpected"}"#),
    })
}

async fn invoke(
    runtime: &Runtime,
    event: &str,
    method: &str,
    args: Value,
) -> Result<Value, runtime::InvokeError> {
    let invocation = Invocation {
        connector: tasks(),
        target: Target::event(event, method),
        args,
        subscription: Some("sub-1".into()),
        timeout: None,
        webhook: None,
    };
    runtime.invoke(invocation).await.result
}

fn credentials(app: &FakeApp) -> Value {
    json!({ "baseUri": format!("{}/api", app.url()), "token": "tk" })
}

#[tokio::test]
async fn a_yaml_only_connector_lives_its_whole_life() {
    let app = app();
    let runtime = Runtime::new(Limits {
        workers: 1,
        ..Limits::default()
    })
    .unwrap();
    let parameters = json!({ "projectId": "p 1", "notify": true });
    let base = json!({ "parameters": parameters, "credentials": credentials(&app), "webhookUri": "https://rt/webhooks/sub-1" });

    let subscribed = invoke(&runtime, "task-changed", "subscribe", base.clone())
        .await
        .unwrap();
    assert_eq!(
        subscribed,
        json!({ "state": { "webhookId": "wh_42", "secret": "s3cr3t" }, "nextRefreshTimestamp": 1900000000000u64 })
    );
    let state = subscribed["state"].clone();

    let mut args = base.clone();
    args["state"] = state.clone();
    let refreshed = invoke(&runtime, "task-changed", "refresh", args.clone())
        .await
        .unwrap();
    assert_eq!(
        refreshed,
        json!({ "nextRefreshTimestamp": 1900000999000u64 })
    );

    args["data"] = json!({ "batchId": "b-7", "changes": [
        { "action": "create", "task": { "id": "t1", "title": "Write" } },
        { "action": "edit", "task": { "id": "t2", "title": "Read" } },
        { "action": "archive", "task": { "id": "t3" } },
    ] });
    let handled = invoke(&runtime, "task-changed", "handle", args.clone())
        .await
        .unwrap();
    assert_eq!(
        handled,
        json!({
            "events": [
                { "type": "created", "record": { "id": "t1", "name": "Write", "projectId": "p 1" } },
                { "type": "updated", "record": { "id": "t2", "name": "Read", "projectId": "p 1" } },
                { "type": "deleted", "record": { "id": "t3", "projectId": "p 1" } },
            ],
            "response": { "status": 200, "data": { "batch": "b-7" } },
        })
    );

    let unsubscribed = invoke(&runtime, "task-changed", "unsubscribe", args.clone())
        .await
        .unwrap();
    assert_eq!(unsubscribed, json!(""));

    let requests = app.requests();
    let seen: Vec<(&str, &str, &str)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), r.query.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "POST",
                "/api/projects/p%201/webhooks",
                "api_version=2&notify=true"
            ),
            ("POST", "/api/graphql", "api_version=2"),
            ("DELETE", "/api/webhooks/wh_42", "api_version=2"),
        ]
    );
    for request in &requests {
        assert_eq!(request.header("authorization"), Some("Bearer tk"));
    }
    let create: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(
        create,
        json!({ "url": "https://rt/webhooks/sub-1", "events": ["task.created", "task.updated", "task.deleted"] })
    );
    assert_eq!(
        requests[0].header("x-idempotency-key"),
        Some("https://rt/webhooks/sub-1")
    );
    let renew: Value = serde_json::from_slice(&requests[1].body).unwrap();
    assert_eq!(renew["variables"], json!({ "id": "wh_42" }));
    assert!(
        renew["query"]
            .as_str()
            .unwrap()
            .starts_with("mutation Renew($id: ID!)")
    );
    assert!(requests[2].body.is_empty());
}

#[tokio::test]
async fn declarative_failures_are_typed_and_clear() {
    let app = app();
    let runtime = Runtime::new(Limits {
        workers: 1,
        ..Limits::default()
    })
    .unwrap();
    let args = json!({ "credentials": credentials(&app), "state": { "webhookId": "gone" } });
    let error = invoke(&runtime, "task-changed", "unsubscribe", args)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "exception");
    assert!(
        error.to_string().contains("ConnectionError: DELETE"),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("failed with status 404 (type connection)"),
        "{error}"
    );

    let args = json!({ "credentials": credentials(&app), "state": {} });
    let error = invoke(&runtime, "task-changed", "unsubscribe", args)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "mapping");
    assert!(
        error
            .to_string()
            .contains("unsubscribe.rest.yml: path parameter 'id' has no value"),
        "{error}"
    );
}

#[tokio::test]
async fn get_event_selector_mapping_runs_without_a_sandbox() {
    let runtime = Runtime::new(Limits {
        workers: 1,
        ..Limits::default()
    })
    .unwrap();
    let selector = invoke(
        &runtime,
        "by-team",
        "getEventSelector",
        json!({ "parameters": { "teamId": "T9" } }),
    )
    .await;
    assert_eq!(
        selector.unwrap(),
        json!({ "globalWebhookKey": "events", "globalWebhookEventSelector": "team:T9" })
    );
    assert_eq!(runtime.sandboxes_alive(), 0);
}
