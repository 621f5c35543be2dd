//! A connector as loaded from its folder: events, global webhooks, auth methods, and the text of
//! every source file held in memory. A `Connector` is immutable; a change on disk is a new
//! `Connector` with a new fingerprint, which is how warm sandboxes learn they are stale.

mod load;
mod method;
mod yaml_lines;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use load::{load_connector, load_dir};
pub use method::{ImplementationType, MethodDef, MethodSource, kebab_case};
pub use yaml_lines::line_of;

/// A connector's key (`github`): its `spec.yml` `key`, else its folder name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectorKey(String);

impl ConnectorKey {
    /// Accepts letters, digits, `-`, `_` and `.`, 1 to 100 characters, not starting with `.`.
    pub fn new(key: &str) -> Result<Self, String> {
        let valid = !key.is_empty()
            && key.len() <= 100
            && !key.starts_with('.')
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if valid {
            Ok(ConnectorKey(key.to_string()))
        } else {
            Err(format!(
                "invalid connector key '{key}': expected 1-100 letters, digits, '-', '_' or '.'"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConnectorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether an event subscribes its own webhook or listens on a connector-wide one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Webhook,
    GlobalWebhook,
}

/// One `events/<key>/` folder.
#[derive(Clone, Debug)]
pub struct EventDef {
    pub key: String,
    pub name: String,
    pub kind: EventKind,
    pub parameters_schema: Option<serde_json::Value>,
    /// By method key: `subscribe`, `handle`, `unsubscribe`, `refresh`, `getEventSelector`.
    pub methods: BTreeMap<String, MethodDef>,
}

/// One `global-webhooks/<key>/` folder.
#[derive(Clone, Debug)]
pub struct GlobalWebhookDef {
    pub key: String,
    pub name: String,
    pub methods: BTreeMap<String, MethodDef>,
}

/// The text of a connector's source files, by path relative to its folder (`events/a/handle.js`).
pub type Files = BTreeMap<String, Arc<str>>;

/// A loaded connector folder.
#[derive(Debug)]
pub struct Connector {
    pub key: ConnectorKey,
    pub name: String,
    pub root: PathBuf,
    /// The root `spec.yml` as JSON (`{}` when there is none).
    pub spec: serde_json::Value,
    pub events: BTreeMap<String, EventDef>,
    pub global_webhooks: BTreeMap<String, GlobalWebhookDef>,
    /// `auth.makeApiClient`, from the spec or `auth/make-api-client.*`.
    pub make_api_client: Option<MethodDef>,
    files: Files,
    /// The parsed template of every declarative method, by file.
    templates: BTreeMap<String, Arc<serde_json::Value>>,
    fingerprint: [u8; 32],
}

impl Connector {
    /// Looks up the method `method` of event `event`.
    pub fn event_method(&self, event: &str, method: &str) -> Result<&MethodDef, String> {
        let def = self.events.get(event).ok_or_else(|| {
            let known: Vec<_> = self.events.keys().map(String::as_str).collect();
            format!(
                "connector '{}' has no event '{event}' (it has: {})",
                self.key,
                known.join(", ")
            )
        })?;
        def.methods.get(method).ok_or_else(|| {
            let known: Vec<_> = def.methods.keys().map(String::as_str).collect();
            format!(
                "event '{event}' of connector '{}' has no method '{method}' (it has: {})",
                self.key,
                known.join(", ")
            )
        })
    }

    /// The text of a file of this connector, by its path relative to the folder.
    pub fn file(&self, path: &str) -> Option<&Arc<str>> {
        self.files.get(path)
    }

    pub fn files(&self) -> &Files {
        &self.files
    }

    /// The parsed template (mapping, rest-api-mapping, graphql-api-mapping) held by `file`.
    pub fn template(&self, file: &str) -> Option<&Arc<serde_json::Value>> {
        self.templates.get(file)
    }

    /// A hash of every file's path and content: equal fingerprints mean identical code.
    pub fn fingerprint(&self) -> &[u8; 32] {
        &self.fingerprint
    }

    /// Where a file of this connector is on disk.
    pub fn path_of(&self, file: &str) -> PathBuf {
        self.root.join(file)
    }
}

/// Every connector of a connectors folder, by key.
#[derive(Debug, Default)]
pub struct ConnectorSet {
    connectors: BTreeMap<ConnectorKey, Arc<Connector>>,
}

impl ConnectorSet {
    pub fn get(&self, key: &str) -> Option<&Arc<Connector>> {
        self.connectors.get(&ConnectorKey::new(key).ok()?)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Connector>> {
        self.connectors.values()
    }

    pub fn len(&self) -> usize {
        self.connectors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.connectors.is_empty()
    }

    fn insert(&mut self, connector: Connector) {
        self.connectors
            .insert(connector.key.clone(), Arc::new(connector));
    }
}

/// Whether `dir` is itself one connector rather than a folder of connectors.
pub fn is_connector_dir(dir: &Path) -> bool {
    let marker = ["spec.yml", "spec.yaml", "events", "global-webhooks"]
        .iter()
        .any(|name| dir.join(name).exists());
    let flat = ["subscribe", "handle", "unsubscribe", "refresh"]
        .iter()
        .any(|method| {
            ImplementationType::candidates(method, None).any(|(file, _)| dir.join(file).is_file())
        });
    marker || flat
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connector_key_rejects_paths_and_empty() {
        assert!(ConnectorKey::new("github").is_ok());
        assert!(ConnectorKey::new("microsoft-graph_2.x").is_ok());
        for bad in ["", "../x", "a/b", ".hidden", "a b"] {
            assert!(ConnectorKey::new(bad).is_err(), "{bad}");
        }
    }
}
