//! Data-driven tests of the runtime: each folder under `tests/cases/` holds a connector
//! (`connector/`) and `case.json`, a list of invocations with what each must produce. One harness
//! runs them all against the real worker pool and reports every failing case, not just the first.
//!
//! `case.json`: `{"limits": {"timeout_ms", "isolation", "max_uses", "memory_mb"}, "steps": [{"event",
//! "method", "args", "subscription", "expect": {"result"} | {"error": {"kind", "contains",
//! "location"}}, "console": [[level, text]], "console_count": n, "console_last": text, "warm": bool,
//! "within_ms": n, "repeat": n}]}`

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use runtime::{Connector, Invocation, Isolation, Limits, Outcome, Runtime, Target};
use serde_json::{Value, json};

#[test]
fn cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let filter = std::env::var("CASE").ok();
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    let events = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut failures = Vec::new();
    let mut ran = 0;
    for dir in dirs
        .iter()
        .filter(|d| filter.as_ref().is_none_or(|f| d.ends_with(f)))
    {
        ran += 1;
        if let Err(failure) = events.block_on(run_case(dir)) {
            failures.push(format!(
                "{}: {failure}",
                dir.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(ran > 0, "no case ran");
    assert!(
        failures.is_empty(),
        "{} of {ran} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

async fn run_case(dir: &Path) -> Result<(), String> {
    let case: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("case.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("case.json: {e}"))?;
    let connector = Arc::new(
        runtime::connector::load_connector(&dir.join("connector")).map_err(|p| format!("{p:?}"))?,
    );
    let runtime = Runtime::new(limits(&case["limits"])).map_err(|e| e.to_string())?;
    for (index, step) in case["steps"]
        .as_array()
        .ok_or("no steps")?
        .iter()
        .enumerate()
    {
        let repeat = step["repeat"].as_u64().unwrap_or(1);
        for round in 0..repeat {
            let outcome = runtime.invoke(invocation(&connector, step)).await;
            check_step(step, &outcome).map_err(|e| format!("step {index} (round {round}): {e}"))?;
        }
    }
    Ok(())
}

fn limits(spec: &Value) -> Limits {
    let mut limits = Limits {
        workers: 1,
        ..Limits::default()
    };
    if let Some(ms) = spec["timeout_ms"].as_u64() {
        limits = limits.with_timeout(Duration::from_millis(ms));
    }
    if spec["isolation"] == "invocation" {
        limits.isolation = Isolation::Invocation;
    }
    if let Some(uses) = spec["max_uses"].as_u64() {
        limits.max_uses = uses as u32;
    }
    if let Some(mb) = spec["memory_mb"].as_u64() {
        limits.memory = (mb as usize) << 20;
    }
    limits
}

fn invocation(connector: &Arc<Connector>, step: &Value) -> Invocation {
    Invocation {
        connector: connector.clone(),
        target: Target::event(
            step["event"].as_str().unwrap_or("default"),
            step["method"].as_str().unwrap_or("handle"),
        ),
        args: if step["args"].is_null() {
            json!({})
        } else {
            step["args"].clone()
        },
        subscription: step["subscription"].as_str().map(str::to_string),
        timeout: None,
        webhook: None,
    }
}

fn check_step(step: &Value, outcome: &Outcome) -> Result<(), String> {
    let expect = &step["expect"];
    match (&outcome.result, expect.get("result"), expect.get("error")) {
        (Ok(got), Some(want), _) if got == want => {}
        (Ok(got), Some(want), _) => return Err(format!("result {got} != expected {want}")),
        (Err(error), _, Some(want)) => check_error(error, want)?,
        (Ok(got), None, Some(want)) => {
            return Err(format!("expected error {want}, got result {got}"));
        }
        (Err(error), _, None) => {
            return Err(format!("unexpected error [{}] {error}", error.kind()));
        }
        (Ok(_), None, None) => {}
    }
    if let Some(console) = step.get("console") {
        let got: Vec<Value> = outcome
            .console
            .iter()
            .map(|l| json!([l.level.to_string(), l.message]))
            .collect();
        if console.as_array() != Some(&got) {
            return Err(format!(
                "console {} != expected {console}",
                Value::Array(got)
            ));
        }
    }
    if let Some(count) = step["console_count"]
        .as_u64()
        .filter(|c| *c as usize != outcome.console.len())
    {
        return Err(format!(
            "expected {count} console lines, got {}",
            outcome.console.len()
        ));
    }
    let last = outcome.console.last().map(|l| l.message.as_str());
    if let Some(want) = step["console_last"].as_str().filter(|w| last != Some(*w)) {
        return Err(format!(
            "expected the last console line {want:?}, got {last:?}"
        ));
    }
    if let Some(warm) = step["warm"].as_bool().filter(|w| *w != outcome.warm) {
        return Err(format!("expected warm={warm}, got warm={}", outcome.warm));
    }
    if let Some(ms) = step["within_ms"]
        .as_u64()
        .filter(|ms| outcome.duration > Duration::from_millis(*ms))
    {
        return Err(format!("took {:?}, more than {ms} ms", outcome.duration));
    }
    Ok(())
}

fn check_error(error: &runtime::InvokeError, want: &Value) -> Result<(), String> {
    let text = format!("{error}");
    if want["kind"].as_str().is_some_and(|k| k != error.kind()) {
        return Err(format!(
            "expected error kind {}, got [{}] {text}",
            want["kind"],
            error.kind()
        ));
    }
    for needle in want["contains"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !text.contains(needle) {
            return Err(format!("error {text:?} lacks {needle:?}"));
        }
    }
    let location = error.location().map(ToString::to_string);
    if let Some(want) = want["location"]
        .as_str()
        .filter(|w| location.as_deref() != Some(*w))
    {
        return Err(format!(
            "expected location {want}, got {location:?} in {text:?}"
        ));
    }
    Ok(())
}
