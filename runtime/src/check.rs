//! `connector-runtime check`: loads every connector of a folder, compiles every JavaScript file
//! and validates every declarative template, collecting each problem as `path:line: message`.

use std::path::Path;

use serde_json::Value;

use crate::connector::{Connector, ImplementationType, MethodDef, line_of, load_dir};
use crate::error::Problem;
use crate::mapping;
use crate::module::compile;

/// Every problem in the connectors under `dir` (or in `dir` itself when it is one connector).
pub fn check(dir: &Path) -> (usize, Vec<Problem>) {
    let (set, mut problems) = load_dir(dir);
    for connector in set.iter() {
        problems.extend(compile_all(connector));
        problems.extend(validate_templates(connector));
        problems.extend(global_webhook_wiring(connector));
    }
    problems.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    problems.dedup();
    (set.len(), problems)
}

fn compile_all(connector: &Connector) -> Vec<Problem> {
    let scripts = connector.files().iter().filter(|(name, _)| is_script(name));
    scripts
        .filter_map(|(name, text)| compile(name, text).err())
        .map(|error| {
            let line = error.location.as_ref().map(|l| l.line);
            Problem::new(
                connector.path_of(real_file(&error.name)),
                line,
                error.message,
            )
        })
        .collect()
}

/// A `global-webhook` event needs `getEventSelector` (subscriptions learn their route from it)
/// and a connector with such events needs a `global-webhooks/<key>/handle` to route from.
fn global_webhook_wiring(connector: &Connector) -> Vec<Problem> {
    let mut problems = Vec::new();
    for event in connector.events.values() {
        if event.kind != crate::connector::EventKind::GlobalWebhook {
            continue;
        }
        let spec = connector.path_of(&format!("events/{}/spec.yml", event.key));
        let has_selector = ["getEventSelector", "getEventsSelector"]
            .iter()
            .any(|m| event.methods.contains_key(*m));
        if !has_selector {
            problems.push(Problem::new(
                spec.clone(),
                None,
                format!(
                    "event '{}' is a global-webhook event but has no getEventSelector: add events/{}/get-event-selector.js",
                    event.key, event.key
                ),
            ));
        }
        let handled = connector
            .global_webhooks
            .values()
            .any(|g| g.methods.contains_key("handle"));
        if !handled {
            problems.push(Problem::new(
                spec,
                None,
                format!(
                    "event '{}' is a global-webhook event but the connector has no global-webhooks/<key>/handle.js to route its events",
                    event.key
                ),
            ));
        }
    }
    problems
}

fn is_script(name: &str) -> bool {
    [".js", ".mjs", ".cjs", ".ts"]
        .iter()
        .any(|ext| name.ends_with(ext))
        && !name.ends_with(".d.ts")
}

/// Inline code is named `events/a/spec.yml#handle.js`; its problems belong to the spec file.
fn real_file(name: &str) -> &str {
    name.split('#').next().unwrap_or(name)
}

fn validate_templates(connector: &Connector) -> Vec<Problem> {
    let methods = connector
        .events
        .values()
        .flat_map(|e| e.methods.values())
        .chain(
            connector
                .global_webhooks
                .values()
                .flat_map(|g| g.methods.values()),
        )
        .chain(connector.make_api_client.as_ref());
    let mut problems = Vec::new();
    for method in methods.filter(|m| m.kind.is_declarative()) {
        let Some(file) = method.file() else { continue };
        let Some(template) = connector.template(file) else {
            continue;
        };
        for (path, message) in template_problems(method, template) {
            let text = connector.file(file).filter(|_| !file.contains('#'));
            let line = text.and_then(|t| line_of(t, &path));
            problems.push(Problem::new(
                connector.path_of(real_file(file)),
                line,
                message,
            ));
        }
    }
    problems
}

/// Problems of one template, each with the path of the node at fault.
fn template_problems(method: &MethodDef, template: &Value) -> Vec<(Vec<String>, String)> {
    let mut found = Vec::new();
    let mut formulas = |part: &[&str], node: Option<&Value>| {
        let Some(node) = node else { return };
        for problem in mapping::validate(node) {
            let path: Vec<String> = part
                .iter()
                .map(|p| p.to_string())
                .chain(problem.path)
                .collect();
            found.push((path, problem.message));
        }
    };
    match method.kind {
        ImplementationType::RestApiMapping => {
            for key in ["pathParameters", "query", "data", "headers"] {
                formulas(
                    &["requestMapping", key],
                    template.pointer(&format!("/requestMapping/{key}")),
                );
            }
            formulas(&["responseMapping"], template.get("responseMapping"));
            found.extend(required_string(template, "path"));
        }
        ImplementationType::GraphqlApiMapping => {
            formulas(&["variables"], template.get("variables"));
            formulas(&["responseMapping"], template.get("responseMapping"));
            found.extend(required_string(template, "query"));
        }
        _ => formulas(&[], Some(template)),
    }
    found
}

fn required_string(template: &Value, key: &str) -> Option<(Vec<String>, String)> {
    match template.get(key) {
        Some(Value::String(_)) => None,
        Some(_) => Some((vec![key.to_string()], format!("`{key}` must be a string"))),
        None => Some((Vec::new(), format!("`{key}` is required"))),
    }
}
