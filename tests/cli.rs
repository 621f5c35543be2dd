//! End-to-end tests of the `connector-runtime` binary: `invoke` (the author's inner loop) and
//! `check`, run as a user runs them, on connector folders written to a temp dir.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

struct Folder(tempfile::TempDir);

impl Folder {
    fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for (file, text) in files {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Folder(dir)
    }

    fn path(&self) -> PathBuf {
        self.0.path().to_path_buf()
    }
}

fn run(args: &[&str], cwd: &Path, stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_connector-runtime"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const HANDLE: &str = "export default async function handle({ data, headers }) {
  console.log('delivery', headers['x-id'])
  return { events: [{ type: 'created', record: { id: String(data.id) } }] }
}
";

#[test]
fn invoke_prints_the_result_on_stdout_and_console_on_stderr() {
    let folder = Folder::new(&[("connectors/demo/events/issues/handle.js", HANDLE)]);
    let input = r#"{"data": {"id": 12}, "headers": {"x-id": "d-1"}}"#;
    std::fs::write(folder.path().join("in.json"), input).unwrap();
    let out = run(
        &["invoke", "demo", "issues", "handle", "--input", "in.json"],
        &folder.path(),
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        result,
        serde_json::json!({"events": [{"type": "created", "record": {"id": "12"}}]})
    );
    assert_eq!(text(&out.stderr).trim(), "[log] delivery d-1");
}

#[test]
fn invoke_reads_input_from_stdin_and_takes_a_connectors_folder() {
    let folder = Folder::new(&[("elsewhere/demo/events/issues/handle.js", HANDLE)]);
    let input = r#"{"data": {"id": 3}, "headers": {}}"#;
    let args = [
        "invoke",
        "--connectors",
        "elsewhere",
        "demo",
        "issues",
        "handle",
        "--input",
        "-",
    ];
    let out = run(&args, &folder.path(), Some(input));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("\"id\": \"3\""));
}

#[test]
fn invoke_failure_exits_non_zero_with_file_and_line() {
    let handle =
        "export default async function handle({ data }) {\n  return data.missing.field\n}\n";
    let folder = Folder::new(&[("connectors/demo/events/issues/handle.js", handle)]);
    let out = run(
        &["invoke", "demo", "issues", "handle"],
        &folder.path(),
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error: demo issues handle: threw TypeError"),
        "{stderr}"
    );
    assert!(stderr.contains("at events/issues/handle.js:2"), "{stderr}");
}

#[test]
fn invoke_timeout_ms_ends_an_endless_loop() {
    let folder = Folder::new(&[(
        "connectors/demo/events/issues/handle.js",
        "export default () => { for (;;) {} }\n",
    )]);
    let out = run(
        &["invoke", "demo", "issues", "handle", "--timeout-ms", "200"],
        &folder.path(),
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("timed out after 200 ms"),
        "{}",
        text(&out.stderr)
    );
}

/// The binary allocates through mimalloc (QuickJS's `malloc` too): the heap limit still holds.
#[test]
fn invoke_memory_mb_ends_a_memory_bomb() {
    let folder = Folder::new(&[(
        "connectors/demo/events/issues/handle.js",
        "export default () => { const a = []; for (;;) a.push(new Array(100000).fill(1.5)) }\n",
    )]);
    let out = run(
        &["invoke", "demo", "issues", "handle", "--memory-mb", "16"],
        &folder.path(),
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("ran out of memory (limit 16 MiB)"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn invoke_bad_usage_explains_itself() {
    let folder = Folder::new(&[("connectors/demo/events/issues/handle.js", HANDLE)]);
    let cases: &[(&[&str], Option<&str>, &str)] = &[
        (
            &["invoke", "nope", "issues", "handle"],
            None,
            "no connector 'nope'",
        ),
        (
            &["invoke", "demo", "issues", "handle", "--input", "-"],
            Some("{not json"),
            "the input is not valid JSON",
        ),
        (
            &["invoke", "demo", "issues", "handle", "--input", "-"],
            Some("[1]"),
            "must be a JSON object",
        ),
        (
            &[
                "invoke",
                "demo",
                "issues",
                "handle",
                "--input",
                "missing.json",
            ],
            None,
            "cannot read input file missing.json",
        ),
    ];
    for (args, stdin, expected) in cases {
        let out = run(args, &folder.path(), *stdin);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(expected),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let out = run(&["invoke", "demo", "pulls", "handle"], &folder.path(), None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("has no event 'pulls' (it has: issues)"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn serve_refuses_a_retention_it_cannot_read() {
    let folder = Folder::new(&[("connectors/demo/events/issues/handle.js", HANDLE)]);
    for (option, retention, expected) in [
        (
            "--log-retention",
            "5w",
            "'5w' is not a retention: expected 7d, 12h, 30m, 45s or forever",
        ),
        ("--log-retention", "0s", "use forever to keep them all"),
        (
            "--event-retention",
            "30 days",
            "'30 days' is not a retention: expected 7d, 12h, 30m, 45s or forever",
        ),
    ] {
        let out = run(&["serve", option, retention], &folder.path(), None);
        assert_eq!(out.status.code(), Some(2), "{option} {retention}");
        assert!(
            text(&out.stderr).contains(expected),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn check_reports_each_problem_as_path_line_message() {
    let folder = Folder::new(&[
        ("connectors/good/events/issues/handle.js", HANDLE),
        (
            "connectors/bad/events/issues/handle.js",
            "export default async function handle() {\n  return {\n    events: [,\n  }\n}\n",
        ),
        (
            "connectors/bad/events/issues/spec.yml",
            "name: Issues\nmethods:\n  subscribe: {implementationType: javascript\n",
        ),
        (
            "connectors/bad/lib/util.js",
            "export const x = 1\nexport const y = ;\n",
        ),
    ]);
    let out = run(&["check"], &folder.path(), None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("connectors/bad/events/issues/spec.yml:4: invalid YAML"),
        "{stderr}"
    );
    let out = run(&["check", "connectors/bad/lib"], &folder.path(), None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("connectors/bad/lib: no connector found"),
        "{}",
        text(&out.stderr)
    );

    std::fs::remove_file(folder.path().join("connectors/bad/events/issues/spec.yml")).unwrap();
    let out = run(&["check", "connectors"], &folder.path(), None);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("connectors/bad/events/issues/handle.js:4: SyntaxError"),
        "{stderr}"
    );
    assert!(
        stderr.contains("connectors/bad/lib/util.js:2: SyntaxError"),
        "{stderr}"
    );
    assert!(!stderr.contains("connectors/good"), "{stderr}");
}

#[test]
fn check_passes_a_clean_folder() {
    let folder = Folder::new(&[("connectors/good/events/issues/handle.js", HANDLE)]);
    let out = run(&["check", "connectors/good"], &folder.path(), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("ok: 1 connector(s), no problems"));
}

#[test]
fn shipped_connectors_check_clean_and_the_readme_example_runs() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = run(&["check"], repo, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let args = [
        "invoke",
        "seed-example",
        "record-created",
        "handle",
        "--input",
        "connectors/seed-example/fixtures/handle.json",
    ];
    let out = run(&args, repo, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["events"][0]["record"]["id"], "rec-1");
    assert_eq!(result["response"]["data"], "ok");
}

#[test]
fn seed_subscribe_refresh_unsubscribe_run_verbatim_against_a_fake_app() {
    use test_support::{FakeApp, Recorded, Reply};
    let app = FakeApp::start(|r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/webhooks") => Reply::json(201, r#"{"id":"wh-1","active":true}"#),
        ("POST", "/webhooks/wh-1/refresh") => Reply::json(200, "{}"),
        ("DELETE", "/webhooks/wh-1") => Reply::text(204, ""),
        _ => Reply::json(404, r#"{"error":"no route"}"#),
    });
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let input = serde_json::json!({
        "webhookUri": "https://hooks.example.test/webhooks/sub-1",
        "parameters": { "path": "/webhooks" },
        "credentials": { "apiBaseUri": app.url(), "accessToken": "tok-123" },
        "state": { "webhookId": "wh-1" },
    })
    .to_string();
    let invoke = |method: &str| {
        run(
            &[
                "invoke",
                "seed-example",
                "record-created",
                method,
                "--input",
                "-",
            ],
            repo,
            Some(&input),
        )
    };

    let out = invoke("subscribe");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        result,
        serde_json::json!({ "state": { "webhookId": "wh-1" } })
    );

    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let out = invoke("refresh");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let next = result["nextRefreshTimestamp"].as_u64().unwrap();
    assert!(
        next >= before + 86_400_000 && next < before + 86_400_000 + 60_000,
        "{result}"
    );

    let out = invoke("unsubscribe");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "null");

    let requests = app.requests();
    let seen: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("POST", "/webhooks"),
            ("POST", "/webhooks/wh-1/refresh"),
            ("DELETE", "/webhooks/wh-1")
        ]
    );
    for request in &requests {
        assert_eq!(request.header("authorization"), Some("Bearer tok-123"));
    }
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({ "webhookUri": "https://hooks.example.test/webhooks/sub-1", "<some_key>": "<some_value>" })
    );
    assert_eq!(requests[0].header("content-type"), Some("application/json"));
}

#[test]
fn invoke_runs_every_declarative_type() {
    use test_support::{FakeApp, Recorded, Reply};
    let app = FakeApp::start(|r: &Recorded| match r.path.as_str() {
        "/projects/p1/webhooks" => Reply::json(201, r#"{"id":"wh_1","secret":"s","expiresAt":5}"#),
        "/graphql" => Reply::json(200, r#"{"data":{"renewWebhook":{"expiresAt":9}}}"#),
        _ => Reply::text(204, ""),
    });
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let input = serde_json::json!({
        "parameters": { "projectId": "p1", "teamId": "T1" },
        "credentials": { "baseUri": app.url(), "token": "tk" },
        "webhookUri": "https://rt/w/1",
        "state": { "webhookId": "wh_1" },
        "data": { "batchId": "b", "changes": [{ "action": "create", "task": { "id": "t1", "title": "x" } }] },
    })
    .to_string();
    let cases = [
        (
            "task-changed",
            "subscribe",
            serde_json::json!({ "state": { "webhookId": "wh_1", "secret": "s" }, "nextRefreshTimestamp": 5 }),
        ),
        (
            "task-changed",
            "refresh",
            serde_json::json!({ "nextRefreshTimestamp": 9 }),
        ),
        ("task-changed", "unsubscribe", serde_json::json!("")),
        (
            "by-team",
            "getEventSelector",
            serde_json::json!({ "globalWebhookKey": "events", "globalWebhookEventSelector": "team:T1" }),
        ),
    ];
    for (event, method, expected) in cases {
        let args = [
            "invoke",
            "--connectors",
            "runtime/tests/declarative",
            "tasks",
            event,
            method,
            "--input",
            "-",
        ];
        let out = run(&args, repo, Some(&input));
        assert!(out.status.success(), "{method}: {}", text(&out.stderr));
        let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(result, expected, "{method}");
    }
    let args = [
        "invoke",
        "--connectors",
        "runtime/tests/declarative",
        "tasks",
        "task-changed",
        "handle",
        "--input",
        "-",
    ];
    let out = run(&args, repo, Some(&input));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["events"][0]["record"]["id"], "t1");
}

#[test]
fn check_reports_template_problems_at_their_lines() {
    let handle = "events:\n  - type: created\n    record:\n      id: {$varr: data.id}\n      name:\n        $eval: {$var: data.name}\n        isAlmost: x\n";
    let subscribe = "method: post\nrequestMapping:\n  data:\n    url: {$var: webhookUri}\n";
    let folder = Folder::new(&[
        ("connectors/yaml/events/e/handle.map.yml", handle),
        ("connectors/yaml/events/e/subscribe.rest.yml", subscribe),
    ]);
    let out = run(&["check"], &folder.path(), None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("connectors/yaml/events/e/handle.map.yml:4: "),
        "{stderr}"
    );
    assert!(stderr.contains("$varr"), "{stderr}");
    assert!(
        stderr.contains("connectors/yaml/events/e/handle.map.yml:6: ")
            || stderr.contains("connectors/yaml/events/e/handle.map.yml:7: "),
        "{stderr}"
    );
    assert!(stderr.contains("isAlmost"), "{stderr}");
    assert!(
        stderr.contains("connectors/yaml/events/e/subscribe.rest.yml:1: `path` is required"),
        "{stderr}"
    );
}

#[test]
fn check_reports_a_global_webhook_event_that_cannot_be_routed() {
    let folder = Folder::new(&[(
        "connectors/half/events/messages/spec.yml",
        "name: Messages\nimplementationType: global-webhook\n",
    )]);
    let out = run(&["check", "connectors"], &folder.path(), None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("connectors/half/events/messages/spec.yml: event 'messages' is a global-webhook event but has no getEventSelector: add events/messages/get-event-selector.js"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the connector has no global-webhooks/<key>/handle.js"),
        "{stderr}"
    );
}
