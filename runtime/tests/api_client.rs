//! `apiClient` and `fetch` from connector code against a fake external app on 127.0.0.1: URLs,
//! query and header merging, bodies, results, the vendor SDK's error shape, concurrency, limits.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use runtime::{Connector, Invocation, Limits, Runtime, Target};
use serde_json::{Value, json};
use test_support::{FakeApp, Recorded, Reply};

const MAKE_API_CLIENT: &str = "export default ({ credentials, connectorParameters }) => ({
  baseUri: credentials.base + '/v1',
  headers: { Authorization: 'Bearer ' + credentials.token, 'X-Default': 'yes' },
  query: { api_version: '2024-01', region: connectorParameters?.region },
})
";

/// Runs `handle.js` with `body` as its code (an async function body receiving `args`).
async fn run(app: &FakeApp, body: &str) -> Result<Value, runtime::InvokeError> {
    run_with(app, body, Limits::default()).await
}

async fn run_with(
    app: &FakeApp,
    body: &str,
    limits: Limits,
) -> Result<Value, runtime::InvokeError> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("demo");
    write(&root, "auth/make-api-client.js", MAKE_API_CLIENT);
    let handle = format!(
        "import * as sdk from '@integration-app/sdk'\nexport default async function handle(args) {{\n  const {{ apiClient }} = args\n{body}\n}}\n"
    );
    write(&root, "events/e/handle.js", &handle);
    let connector: Arc<Connector> = Arc::new(runtime::connector::load_connector(&root).unwrap());
    let runtime = Runtime::new(Limits {
        workers: 1,
        ..limits
    })
    .unwrap();
    let args = json!({
        "credentials": { "base": app.url(), "token": "t0k3n" },
        "connectorParameters": { "region": "eu" },
    });
    let invocation = Invocation {
        connector,
        target: Target::event("e", "handle"),
        args,
        subscription: None,
        timeout: None,
        webhook: None,
    };
    let outcome = runtime.invoke(invocation).await;
    outcome.result
}

fn write(root: &Path, file: &str, text: &str) {
    let path = root.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn echo(request: &Recorded) -> Reply {
    let body = json!({ "method": request.method, "path": request.path, "query": request.query });
    Reply::json(200, &body.to_string())
}

#[tokio::test]
async fn get_joins_base_uri_and_merges_query_and_headers() {
    let app = FakeApp::start(echo);
    let result = run(&app, "return apiClient.get('/hooks', { page: 2, tags: ['a', 'b'] }, { query: { limit: 5 }, headers: { 'x-default': 'overridden', 'X-Extra': '1' } })").await;
    assert_eq!(result.unwrap()["path"], "/v1/hooks");
    let request = &app.requests()[0];
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.query,
        "api_version=2024-01&region=eu&limit=5&page=2&tags=a&tags=b"
    );
    assert_eq!(request.header("authorization"), Some("Bearer t0k3n"));
    assert_eq!(request.header("x-default"), Some("overridden"));
    assert_eq!(request.header("x-extra"), Some("1"));
    assert!(request.body.is_empty());
}

#[tokio::test]
async fn paths_with_and_without_slash_and_absolute_urls() {
    let app = FakeApp::start(echo);
    let body = "const a = await apiClient.get('hooks')
  const b = await apiClient.get(args.credentials.base + '/elsewhere?x=1')
  const c = await apiClient.get('/x', undefined, { baseUri: args.credentials.base + '/v2/' })
  return [a.path, b.path, b.query, c.path]";
    let result = run(&app, body).await.unwrap();
    assert_eq!(
        result,
        json!([
            "/v1/hooks",
            "/elsewhere",
            "x=1&api_version=2024-01&region=eu",
            "/v2/x"
        ])
    );
}

#[tokio::test]
async fn bodies_are_encoded_by_type() {
    let app = FakeApp::start(echo);
    let body = "await apiClient.post('/json', { url: 'https://h/w', events: ['push'] })
  await apiClient.put('/form', 'a=1&b=2')
  await apiClient.patch('/params', new URLSearchParams({ 'enabled_events[]': '*', url: 'https://h/w?a b' }))
  await apiClient.post('/bytes', Buffer.from([0, 255, 1]), { headers: { 'Content-Type': 'application/octet-stream' } })
  await apiClient.delete('/hooks/7')
  return null";
    run(&app, body).await.unwrap();
    let requests = app.requests();
    let summary: Vec<(String, String, Option<String>, Vec<u8>)> = requests
        .iter()
        .map(|r| {
            (
                r.method.clone(),
                r.path.clone(),
                r.header("content-type").map(str::to_string),
                r.body.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary[0],
        (
            "POST".into(),
            "/v1/json".into(),
            Some("application/json".into()),
            br#"{"url":"https://h/w","events":["push"]}"#.to_vec()
        )
    );
    assert_eq!(
        summary[1],
        (
            "PUT".into(),
            "/v1/form".into(),
            Some("application/x-www-form-urlencoded".into()),
            b"a=1&b=2".to_vec()
        )
    );
    assert_eq!(
        summary[2].2.as_deref(),
        Some("application/x-www-form-urlencoded;charset=utf-8")
    );
    assert_eq!(
        String::from_utf8_lossy(&summary[2].3),
        "enabled_events%5B%5D=*&url=https%3A%2F%2Fh%2Fw%3Fa+b"
    );
    assert_eq!(summary[3].3, vec![0, 255, 1]);
    assert_eq!(
        (
            summary[4].0.as_str(),
            summary[4].1.as_str(),
            summary[4].3.len()
        ),
        ("DELETE", "/v1/hooks/7", 0)
    );
}

#[tokio::test]
async fn results_parse_json_else_text_and_full_response_on_request() {
    let app = FakeApp::start(|r: &Recorded| match r.path.as_str() {
        "/v1/text" => Reply::text(200, "plain words"),
        "/v1/empty" => Reply::text(204, ""),
        "/v1/binary" => Reply::text(200, "\u{1}\u{2}"),
        _ => Reply::json(201, r#"{"id":"wh_1"}"#).with_header("x-request-id", "r-9"),
    });
    let body = "const json = await apiClient.get('/json')
  const text = await apiClient.get('/text')
  const empty = await apiClient.delete('/empty')
  const full = await apiClient.post('/json', {}, { returnFullResponse: true })
  const bin = await apiClient.get('/binary', {}, { responseType: 'arraybuffer' })
  return { json, text, empty, full: { status: full.status, id: full.data.id, rid: full.headers['x-request-id'] }, bin: [Buffer.isBuffer(bin), bin.length] }";
    let result = run(&app, body).await.unwrap();
    assert_eq!(
        result,
        json!({ "json": {"id": "wh_1"}, "text": "plain words", "empty": "", "full": {"status": 201, "id": "wh_1", "rid": "r-9"}, "bin": [true, 2] })
    );
}

#[tokio::test]
async fn a_4xx_answer_throws_the_sdk_connection_error() {
    let app = FakeApp::start(|r: &Recorded| match r.path.as_str() {
        "/v1/expired" => Reply::json(401, r#"{"error":"token expired"}"#),
        "/v1/busy" => Reply::json(429, r#"{"error":"slow down"}"#),
        _ => Reply::json(404, r#"{"message":"Not Found"}"#),
    });
    let body = "const out = {}
  for (const path of ['/missing?secret=1', '/expired', '/busy']) {
    try { await apiClient.get(path) } catch (e) {
      out[path] = { message: e.message, data: e.data, sdk: e instanceof sdk.ConnectionError, member: sdk.isMembraneError(e), status: e.response?.status }
    }
  }
  return out";
    let result = run(&app, body).await.unwrap();
    let url = format!("{}/v1", app.url());
    assert_eq!(
        result["/missing?secret=1"],
        json!({ "message": format!("GET {url}/missing failed with status 404"), "data": { "message": format!("GET {url}/missing failed with status 404"), "type": "connection", "data": {"message": "Not Found"} }, "sdk": true, "member": true, "status": 404 })
    );
    assert_eq!(result["/expired"]["data"]["key"], "access_token_expired");
    assert_eq!(result["/busy"]["data"]["key"], "rate_limit_exceeded");
    assert_eq!(
        result["/busy"]["data"]["data"],
        json!({"error": "slow down"})
    );
}

#[tokio::test]
async fn an_uncaught_api_error_surfaces_with_its_type_and_key() {
    let app = FakeApp::start(|_: &Recorded| Reply::json(401, "{}"));
    let error = run(&app, "await apiClient.get('/me')").await.unwrap_err();
    let text = error.to_string();
    assert!(text.contains("ConnectionError: GET"), "{text}");
    assert!(
        text.contains("(type connection, key access_token_expired)"),
        "{text}"
    );
    let thrown = run(
        &app,
        "throw new sdk.NotFoundError({ message: 'no such hook' })",
    )
    .await
    .unwrap_err();
    assert!(
        thrown
            .to_string()
            .contains("NotFoundError: no such hook (type bad_request, key not_found)"),
        "{thrown}"
    );
    assert!(
        thrown.is_not_found(),
        "the SDK's NotFoundError says not found"
    );
    assert!(!error.is_not_found(), "a 401 is not 'not found'");
}

#[tokio::test]
async fn errors_carry_the_http_status_that_says_the_app_lost_the_thing() {
    let app = FakeApp::start(|r: &Recorded| match r.path.as_str() {
        "/v1/gone" => Reply::json(410, "{}"),
        "/v1/missing" => Reply::json(404, "{}"),
        _ => Reply::json(503, "{}"),
    });
    for (path, status, not_found) in [
        ("/gone", 410, true),
        ("/missing", 404, true),
        ("/down", 503, false),
    ] {
        let error = run(&app, &format!("await apiClient.post('{path}')"))
            .await
            .unwrap_err();
        let runtime::InvokeError::Exception(exception) = &error else {
            panic!("{error}");
        };
        assert_eq!(exception.status, Some(status), "{path}");
        assert_eq!(error.is_not_found(), not_found, "{path}");
    }
    // A hand-made error with a `response` (axios-style) counts too; a plain one has no status.
    let axios = run(
        &app,
        "const e = new Error('gone'); e.response = { status: 404 }; throw e",
    )
    .await
    .unwrap_err();
    assert!(axios.is_not_found());
    let plain = run(&app, "throw new Error('x')").await.unwrap_err();
    assert!(!plain.is_not_found());
}

#[tokio::test]
async fn two_slow_calls_of_one_invocation_run_concurrently() {
    let app =
        FakeApp::start(|_: &Recorded| Reply::json(200, "1").after(Duration::from_millis(300)));
    let start = Instant::now();
    let result = run(
        &app,
        "return Promise.all([apiClient.get('/a'), apiClient.get('/b')])",
    )
    .await;
    assert_eq!(result.unwrap(), json!([1, 1]));
    assert!(
        start.elapsed() < Duration::from_millis(550),
        "took {:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn oversized_responses_slow_answers_and_dead_hosts_fail_clearly() {
    let app = FakeApp::start(|r: &Recorded| match r.path.as_str() {
        "/v1/big" => Reply::text(200, &"x".repeat(3 << 20)),
        _ => Reply::json(200, "1").after(Duration::from_secs(2)),
    });
    let mut limits = Limits::default();
    limits.http.max_response_bytes = 1 << 20;
    limits.http.timeout = Duration::from_millis(300);
    let body = "const out = []
  for (const p of ['/big', '/slow']) { try { await apiClient.get(p) } catch (e) { out.push(e.message) } }
  try { await apiClient.get('http://127.0.0.1:9/closed') } catch (e) { out.push(e.constructor.name) }
  return out";
    let result = run_with(&app, body, limits).await.unwrap();
    let url = format!("{}/v1", app.url());
    assert_eq!(
        result[0],
        format!("GET {url}/big: the response is larger than 1 MiB")
    );
    assert!(
        result[1]
            .as_str()
            .unwrap()
            .starts_with(&format!("GET {url}/slow failed: timed out")),
        "{}",
        result[1]
    );
    assert_eq!(result[2], "ConnectionError");
}

#[tokio::test]
async fn fetch_speaks_the_whatwg_subset() {
    let app = FakeApp::start(|r: &Recorded| {
        let seen = json!({ "method": r.method, "type": r.header("content-type"), "auth": r.header("authorization"), "body": r.text() });
        Reply::json(
            if r.path == "/missing" { 404 } else { 200 },
            &seen.to_string(),
        )
        .with_header("x-trace", "abc")
    });
    let body = "const base = args.credentials.base
  const res = await fetch(base + '/hooks', { method: 'post', headers: { Authorization: 'Bearer x' }, body: JSON.stringify({ a: 1 }) })
  const missing = await fetch(new URL('/missing', base))
  let failed
  try { await fetch('http://127.0.0.1:9/') } catch (e) { failed = [e.name, e.message] }
  let relative
  try { await fetch('/relative') } catch (e) { relative = e.name }
  return { ok: res.ok, status: res.status, trace: res.headers.get('X-Trace'), seen: await res.json(),
    missing: [missing.ok, missing.status, (await missing.text()).length > 0], failed, relative, used: res.bodyUsed }";
    let result = run(&app, body).await.unwrap();
    assert_eq!(
        result,
        json!({ "ok": true, "status": 200, "trace": "abc",
            "seen": { "method": "POST", "type": "text/plain;charset=UTF-8", "auth": "Bearer x", "body": "{\"a\":1}" },
            "missing": [false, 404, true], "failed": ["TypeError", "fetch failed"], "relative": "TypeError", "used": true })
    );
}

#[tokio::test]
async fn redirects_are_followed_up_to_the_limit() {
    let app = FakeApp::start(|r: &Recorded| match r.path.as_str() {
        "/v1/moved" => Reply::text(302, "").with_header("location", "/v1/here"),
        "/v1/here" => Reply::json(200, r#"{"arrived":true}"#),
        _ => Reply::text(302, "").with_header("location", "/v1/loop"),
    });
    let body = "const moved = await apiClient.get('/moved')
  let looped
  try { await apiClient.get('/loop') } catch (e) { looped = e.message }
  const bytes = await (await fetch(args.credentials.base + '/v1/moved')).arrayBuffer()
  return { moved, looped, bytes: new TextDecoder().decode(bytes) }";
    let result = run(&app, body).await.unwrap();
    assert_eq!(result["moved"], json!({ "arrived": true }));
    let looped = result["looped"].as_str().unwrap();
    assert!(
        looped.contains("/v1/loop failed") && looped.contains("redirect"),
        "{looped}"
    );
    assert_eq!(result["bytes"], "{\"arrived\":true}");
    let loops = app
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/loop")
        .count();
    assert_eq!(loops, 6, "the first request and 5 redirects");
}

#[tokio::test]
async fn errors_never_show_query_strings_or_credentials_of_urls() {
    let app = FakeApp::start(|_: &Recorded| Reply::json(404, "{}"));
    let body = "const messages = []
  for (const url of ['http://ann:pw@127.0.0.1:9/x?api_key=SECRET1', args.credentials.base.replace('http://', 'http://ann:pw@') + '/x?api_key=SECRET2']) {
    try { await apiClient.get(url) } catch (e) { messages.push(e.message) }
    try { await fetch(url) } catch (e) { messages.push(e.message + ' ' + e.cause?.message) }
  }
  return messages";
    let result = run(&app, body).await.unwrap();
    let text = result.to_string();
    assert_eq!(result.as_array().unwrap().len(), 3, "{text}");
    for secret in ["SECRET1", "SECRET2", "ann", "pw@"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[tokio::test]
async fn one_sandbox_has_at_most_16_requests_in_flight() {
    let arrivals = Arc::new(std::sync::Mutex::new(Vec::new()));
    let app = FakeApp::start({
        let arrivals = arrivals.clone();
        move |_: &Recorded| {
            arrivals.lock().unwrap().push(Instant::now());
            Reply::json(200, "1").after(Duration::from_millis(300))
        }
    });
    let start = Instant::now();
    let result = run(
        &app,
        "return (await Promise.all(Array.from({ length: 40 }, () => apiClient.get('/x')))).length",
    )
    .await;
    assert_eq!(result.unwrap(), json!(40));
    let first_wave = arrivals
        .lock()
        .unwrap()
        .iter()
        .filter(|t| t.duration_since(start) < Duration::from_millis(250))
        .count();
    assert_eq!(first_wave, 16, "requests beyond 16 waited for a slot");
}
