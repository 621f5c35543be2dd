//! Reading connector folders from disk. Every `spec.yml` is optional: a folder holding only
//! `events/<key>/handle.js` (or just `handle.js` at its top, the flat layout) is a connector. All
//! problems are collected, each as `path:line: message`, so `check` can report them in one go.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{
    Connector, ConnectorKey, ConnectorSet, EventDef, EventKind, Files, GlobalWebhookDef,
    ImplementationType, MethodDef, MethodSource, is_connector_dir, kebab_case,
};
use crate::error::Problem;

/// File endings kept in memory as connector sources.
const SOURCE_EXTENSIONS: &[&str] = &["js", "mjs", "cjs", "ts", "json", "yml", "yaml"];
/// Largest source file accepted.
const MAX_FILE_BYTES: u64 = 4 << 20;
/// Largest connector accepted, all files together.
const MAX_CONNECTOR_BYTES: u64 = 32 << 20;
/// Methods probed in every event folder when its spec does not list them.
const EVENT_METHODS: &[&str] = &[
    "subscribe",
    "handle",
    "unsubscribe",
    "refresh",
    "getEventSelector",
    // One getmembrane page spells it so; the SDK's spelling above is the one to use.
    "getEventsSelector",
];
/// Event key of the flat layout, where the method files sit at the connector's top level.
pub const FLAT_EVENT_KEY: &str = "default";

/// Loads every connector under `dir` (or `dir` itself when it is one connector).
pub fn load_dir(dir: &Path) -> (ConnectorSet, Vec<Problem>) {
    let mut set = ConnectorSet::default();
    let mut problems = Vec::new();
    let roots = match connector_roots(dir) {
        Ok(roots) => roots,
        Err(problem) => return (set, vec![problem]),
    };
    for root in roots {
        match load_connector(&root) {
            Ok(connector) if set.get(connector.key.as_str()).is_some() => {
                problems.push(Problem::new(
                    &root,
                    None,
                    format!("duplicate connector key '{}'", connector.key),
                ))
            }
            Ok(connector) => set.insert(connector),
            Err(mut found) => problems.append(&mut found),
        }
    }
    (set, problems)
}

fn connector_roots(dir: &Path) -> Result<Vec<PathBuf>, Problem> {
    if is_connector_dir(dir) {
        return Ok(vec![dir.to_path_buf()]);
    }
    let entries = fs::read_dir(dir)
        .map_err(|e| Problem::new(dir, None, format!("cannot read connectors folder: {e}")))?;
    let mut roots: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir() && !is_ignored(path))
        .collect();
    roots.sort();
    Ok(roots)
}

fn is_ignored(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.starts_with('.') || name == "node_modules"
}

/// Loads the connector in folder `root`.
pub fn load_connector(root: &Path) -> Result<Connector, Vec<Problem>> {
    let mut files = read_sources(root).map_err(|p| vec![p])?;
    let mut problems = Vec::new();
    let spec = read_spec(root, &files, "spec.yml").unwrap_or_else(|p| {
        problems.push(p);
        Value::Null
    });
    let spec = if spec.is_null() {
        Value::Object(Default::default())
    } else {
        spec
    };
    let folder_name = root
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("connector");
    let key_text = spec
        .get("key")
        .and_then(Value::as_str)
        .unwrap_or(folder_name);
    let key = ConnectorKey::new(key_text)
        .map_err(|message| vec![Problem::new(root.join("spec.yml"), None, message)])?;
    let mut loader = Loader {
        root,
        files: &mut files,
        problems: &mut problems,
    };
    let events = loader.events();
    let global_webhooks = loader.global_webhooks();
    let make_api_client = loader.make_api_client(&spec);
    let declared = events
        .values()
        .flat_map(|e| e.methods.values())
        .chain(global_webhooks.values().flat_map(|g| g.methods.values()))
        .chain(make_api_client.as_ref());
    let templates = read_templates(root, &files, declared, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let name = spec
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(key.as_str())
        .to_string();
    let fingerprint = fingerprint(&files);
    Ok(Connector {
        key,
        name,
        root: root.to_path_buf(),
        spec,
        events,
        global_webhooks,
        make_api_client,
        files,
        templates,
        fingerprint,
    })
}

/// Parses the file of every declarative method once, at load: YAML files (inline mappings are
/// stored as JSON, which YAML reads too).
fn read_templates<'a>(
    root: &Path,
    files: &Files,
    methods: impl Iterator<Item = &'a MethodDef>,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, Arc<Value>> {
    let mut templates = BTreeMap::new();
    for method in methods.filter(|m| m.kind.is_declarative()) {
        let Some(file) = method.file() else { continue };
        if templates.contains_key(file) {
            continue;
        }
        let Some(text) = files.get(file) else {
            continue;
        };
        match serde_yaml_ng::from_str::<Value>(text) {
            Ok(value) => {
                templates.insert(file.to_string(), Arc::new(value));
            }
            Err(e) => {
                let line = e.location().map(|l| l.line() as u32);
                let path = root.join(file.split('#').next().unwrap_or(file));
                problems.push(Problem::new(path, line, format!("invalid YAML: {e}")));
            }
        }
    }
    templates
}

/// Reads every source file under `root`, by path relative to it with `/` separators.
fn read_sources(root: &Path) -> Result<Files, Problem> {
    let mut files = Files::new();
    let mut total = 0u64;
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = fs::read_dir(&dir)
            .map_err(|e| Problem::new(&dir, None, format!("cannot read folder: {e}")))?;
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if is_ignored(&path) || kind.is_symlink() {
                continue;
            }
            if kind.is_dir() {
                pending.push(path);
            } else if is_source(&path) {
                total += read_source(root, &path, &mut files)?;
                if total > MAX_CONNECTOR_BYTES {
                    let message =
                        format!("connector is larger than {} MiB", MAX_CONNECTOR_BYTES >> 20);
                    return Err(Problem::new(root, None, message));
                }
            }
        }
    }
    Ok(files)
}

fn is_source(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| SOURCE_EXTENSIONS.contains(&e))
}

fn read_source(root: &Path, path: &Path, files: &mut Files) -> Result<u64, Problem> {
    let size = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size > MAX_FILE_BYTES {
        let message = format!("file is larger than {} MiB", MAX_FILE_BYTES >> 20);
        return Err(Problem::new(path, None, message));
    }
    let text = fs::read_to_string(path)
        .map_err(|e| Problem::new(path, None, format!("cannot read file: {e}")))?;
    let relative = path.strip_prefix(root).unwrap_or(path);
    let relative: Vec<_> = relative.iter().filter_map(|c| c.to_str()).collect();
    files.insert(relative.join("/"), Arc::from(text));
    Ok(size)
}

/// Parses the YAML file `name` (relative to the root) when present; `Null` when absent.
fn read_spec(root: &Path, files: &Files, name: &str) -> Result<Value, Problem> {
    let alt = name.replace(".yml", ".yaml");
    let Some((path, text)) = files
        .get_key_value(name)
        .or_else(|| files.get_key_value(&alt))
    else {
        return Ok(Value::Null);
    };
    let value: Value = serde_yaml_ng::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line() as u32);
        Problem::new(root.join(path), line, format!("invalid YAML: {e}"))
    })?;
    match value {
        Value::Object(_) | Value::Null => Ok(value),
        _ => Err(Problem::new(
            root.join(path),
            Some(1),
            "expected a mapping of keys to values",
        )),
    }
}

fn fingerprint(files: &Files) -> [u8; 32] {
    let mut hash = Sha256::new();
    for (path, text) in files {
        hash.update((path.len() as u64).to_le_bytes());
        hash.update(path.as_bytes());
        hash.update((text.len() as u64).to_le_bytes());
        hash.update(text.as_bytes());
    }
    hash.finalize().into()
}

/// Resolves events, global webhooks and auth methods against the files read.
struct Loader<'a> {
    root: &'a Path,
    files: &'a mut Files,
    problems: &'a mut Vec<Problem>,
}

impl Loader<'_> {
    fn events(&mut self) -> BTreeMap<String, EventDef> {
        let mut events = BTreeMap::new();
        for dir in self.subfolders("events") {
            let key = dir.rsplit('/').next().unwrap_or(&dir).to_string();
            if let Some(event) = self.event(&dir, key.clone()) {
                events.insert(key, event);
            }
        }
        if events.is_empty() {
            let flat = self.event("", FLAT_EVENT_KEY.to_string());
            if let Some(event) = flat.filter(|e| !e.methods.is_empty()) {
                events.insert(FLAT_EVENT_KEY.to_string(), event);
            }
        }
        events
    }

    fn event(&mut self, dir: &str, key: String) -> Option<EventDef> {
        let spec = self.spec(&join(dir, "spec.yml"))?;
        let kind_name = type_of(&spec).unwrap_or("webhook");
        let kind = match kind_name {
            "webhook" => EventKind::Webhook,
            "global-webhook" => EventKind::GlobalWebhook,
            other => {
                let message = format!(
                    "unknown event implementationType '{other}': expected webhook or global-webhook"
                );
                self.problem(&join(dir, "spec.yml"), message);
                return None;
            }
        };
        let methods = self.methods(dir, &spec, EVENT_METHODS);
        let name = spec
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(&key)
            .to_string();
        let parameters_schema = spec.get("parametersSchema").cloned();
        Some(EventDef {
            key,
            name,
            kind,
            parameters_schema,
            methods,
        })
    }

    fn global_webhooks(&mut self) -> BTreeMap<String, GlobalWebhookDef> {
        let mut hooks = BTreeMap::new();
        for dir in self.subfolders("global-webhooks") {
            let key = dir.rsplit('/').next().unwrap_or(&dir).to_string();
            let Some(spec) = self.spec(&join(&dir, "spec.yml")) else {
                continue;
            };
            let methods = self.methods(&dir, &spec, &["handle"]);
            let name = spec
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(&key)
                .to_string();
            hooks.insert(key.clone(), GlobalWebhookDef { key, name, methods });
        }
        hooks
    }

    fn make_api_client(&mut self, spec: &Value) -> Option<MethodDef> {
        let entry = spec.pointer("/auth/makeApiClient");
        self.method("auth", "makeApiClient", entry, "spec.yml")
    }

    /// Every method of a folder: those its spec lists, then the known ones found by file name.
    fn methods(&mut self, dir: &str, spec: &Value, known: &[&str]) -> BTreeMap<String, MethodDef> {
        let spec_path = join(dir, "spec.yml");
        let listed = spec
            .get("methods")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut methods = BTreeMap::new();
        for (key, entry) in &listed {
            if let Some(def) = self.method(dir, key, Some(entry), &spec_path) {
                methods.insert(key.clone(), def);
            }
        }
        for key in known.iter().filter(|k| !listed.contains_key(**k)) {
            if let Some(def) = self.method(dir, key, None, &spec_path) {
                methods.insert(key.to_string(), def);
            }
        }
        methods
    }

    fn method(
        &mut self,
        dir: &str,
        key: &str,
        entry: Option<&Value>,
        spec_path: &str,
    ) -> Option<MethodDef> {
        let entry = entry.filter(|e| !e.is_null());
        let declared = match entry.and_then(type_of) {
            Some(name) => match ImplementationType::parse(name) {
                Some(kind) => Some(kind),
                None => {
                    self.problem(
                        spec_path,
                        format!("method '{key}': unknown implementationType '{name}'"),
                    );
                    return None;
                }
            },
            None => None,
        };
        if let Some(def) =
            entry.and_then(|e| self.explicit_source(dir, key, e, declared, spec_path))
        {
            return def;
        }
        let stem = join(dir, &kebab_case(key));
        let found = ImplementationType::candidates(&stem, declared)
            .find(|(f, _)| self.files.contains_key(f));
        match (found, declared) {
            (Some((file, kind)), _) => Some(MethodDef {
                kind,
                source: MethodSource::File(file),
            }),
            (None, Some(ImplementationType::NotSupported)) => Some(MethodDef {
                kind: ImplementationType::NotSupported,
                source: MethodSource::None,
            }),
            (None, Some(kind)) => {
                self.problem(
                    spec_path,
                    format!("method '{key}' is {kind} but no file {stem}.* of that type exists"),
                );
                None
            }
            (None, None) if entry.is_some() => {
                self.problem(
                    spec_path,
                    format!("method '{key}' is listed but no file {stem}.* exists"),
                );
                None
            }
            (None, None) => None,
        }
    }

    /// A method given by `filePath`, inline `code` or inline `mapping`; `Some(None)` when it is
    /// given but broken (the problem is recorded).
    fn explicit_source(
        &mut self,
        dir: &str,
        key: &str,
        entry: &Value,
        declared: Option<ImplementationType>,
        spec_path: &str,
    ) -> Option<Option<MethodDef>> {
        if let Some(path) = entry.get("filePath").and_then(Value::as_str) {
            let path = path.trim_start_matches("./");
            let file = [path.to_string(), join(dir, path)]
                .into_iter()
                .find(|f| self.files.contains_key(f));
            let Some(file) = file else {
                self.problem(
                    spec_path,
                    format!("method '{key}': filePath '{path}' does not exist"),
                );
                return Some(None);
            };
            let kind = declared.or_else(|| ImplementationType::from_file_name(&file));
            let kind = kind.unwrap_or(ImplementationType::Javascript);
            return Some(Some(MethodDef {
                kind,
                source: MethodSource::File(file),
            }));
        }
        if let Some(code) = entry.get("code").and_then(Value::as_str) {
            let name = format!("{spec_path}#{}.js", kebab_case(key));
            self.files.insert(name.clone(), Arc::from(code));
            return Some(Some(MethodDef {
                kind: ImplementationType::Javascript,
                source: MethodSource::Inline(name),
            }));
        }
        let mapping = entry.get("mapping")?;
        let name = format!("{spec_path}#{}.map.json", kebab_case(key));
        self.files
            .insert(name.clone(), Arc::from(mapping.to_string()));
        let kind = declared.unwrap_or(ImplementationType::Mapping);
        Some(Some(MethodDef {
            kind,
            source: MethodSource::Inline(name),
        }))
    }

    /// The spec at `path`, `{}` when absent, `None` (problem recorded) when malformed.
    fn spec(&mut self, path: &str) -> Option<Value> {
        match read_spec(self.root, self.files, path) {
            Ok(Value::Null) => Some(Value::Object(Default::default())),
            Ok(value) => Some(value),
            Err(problem) => {
                self.problems.push(problem);
                None
            }
        }
    }

    /// Immediate subfolders of `parent` that hold at least one source file.
    fn subfolders(&self, parent: &str) -> Vec<String> {
        let prefix = format!("{parent}/");
        let mut dirs: Vec<String> = self
            .files
            .keys()
            .filter_map(|f| f.strip_prefix(&prefix))
            .filter_map(|rest| {
                rest.split_once('/')
                    .map(|(dir, _)| format!("{prefix}{dir}"))
            })
            .collect();
        dirs.dedup();
        dirs
    }

    fn problem(&mut self, path: &str, message: String) {
        self.problems
            .push(Problem::new(self.root.join(path), None, message));
    }
}

fn type_of(spec: &Value) -> Option<&str> {
    spec.get("implementationType")
        .or_else(|| spec.get("type"))
        .and_then(Value::as_str)
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}
