//! The typed errors of the runtime. An invocation fails as a timeout, out of memory, a stack
//! overflow, a JS exception (name, message, stack, file:line), a module that would not load, or a
//! result that is not JSON; never as a bare string. Messages are lowercase with no final period.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// A place in a connector's files, `events/issues/handle.js:12`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file, relative to the connector's folder.
    pub file: String,
    pub line: u32,
    pub column: Option<u32>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

impl Location {
    /// The first frame of a QuickJS stack (`at fn (file:line:col)` or `at file:line:col`) that
    /// points into a connector file.
    pub fn from_stack(stack: &str) -> Option<Location> {
        stack.lines().find_map(Location::from_frame)
    }

    fn from_frame(frame: &str) -> Option<Location> {
        let frame = frame.trim().strip_prefix("at ")?;
        let place = match (frame.rfind('('), frame.ends_with(')')) {
            (Some(open), true) => &frame[open + 1..frame.len() - 1],
            _ => frame,
        };
        let (rest, last) = place.rsplit_once(':')?;
        let last: u32 = last.parse().ok()?;
        let (file, line, column) = match rest.rsplit_once(':') {
            Some((file, line)) if line.parse::<u32>().is_ok() => {
                (file, line.parse().ok()?, Some(last))
            }
            _ => (rest, last, None),
        };
        if !is_connector_file(file) {
            return None;
        }
        Some(Location {
            file: file.to_string(),
            line,
            column,
        })
    }
}

/// Whether a stack frame's file is a connector's file, not host glue (`host:fetch`), a built-in
/// module (`crypto`) or a native frame (`<native>`): connector files always have an extension.
fn is_connector_file(file: &str) -> bool {
    let last = file.rsplit('/').next().unwrap_or(file);
    let special = file.starts_with('<') || file.starts_with("host:") || file.contains(' ');
    !file.is_empty() && !special && last.contains('.')
}

/// An exception thrown by connector code, as the author needs it to act.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsException {
    /// `TypeError`, `Error`, a custom class name, or `(thrown value)` for a non-Error throw.
    pub name: String,
    pub message: String,
    /// The JS stack, one frame a line, as QuickJS prints it.
    pub stack: String,
    /// The innermost frame in a connector file.
    pub location: Option<Location>,
    /// The error's `data` property when it has one: the SDK's errors carry `{type, key, message,
    /// data}` there.
    pub data: Option<serde_json::Value>,
    /// The HTTP status of the failed response behind the error, when it carries one as
    /// `error.response.status` (the apiClient's and axios's errors do): how the host tells "the
    /// external app no longer knows this subscription" (404, 410) from other failures.
    pub status: Option<u16>,
}

impl fmt::Display for JsException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.message)?;
        let field = |key: &str| {
            self.data
                .as_ref()
                .and_then(|d| d.get(key))
                .and_then(|v| v.as_str())
        };
        match (field("type"), field("key")) {
            (Some(kind), Some(key)) => write!(f, " (type {kind}, key {key})")?,
            (Some(kind), None) => write!(f, " (type {kind})")?,
            _ => {}
        }
        if let Some(location) = &self.location {
            write!(f, " at {location}")?;
        }
        Ok(())
    }
}

/// Why one invocation failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum InvokeError {
    /// The deadline passed: CPU-bound code was interrupted, or a promise did not settle in time.
    #[error("timed out after {} ms", .0.as_millis())]
    Timeout(Duration),
    #[error("ran out of memory (limit {} MiB){}", .limit >> 20, at(.location))]
    OutOfMemory {
        limit: usize,
        location: Option<Location>,
    },
    #[error("overflowed the stack (maximum call stack size exceeded){}", at(.location))]
    StackOverflow { location: Option<Location> },
    /// The method threw, or its promise rejected.
    #[error("threw {0}")]
    Exception(Box<JsException>),
    /// A module of the method failed to compile, link or evaluate (syntax error, bad import,
    /// top-level throw).
    #[error("could not load: {0}")]
    Load(Box<JsException>),
    /// A declarative method's template failed to evaluate, or is malformed.
    #[error("mapping failed: {0}")]
    Mapping(String),
    /// The method returned something the host cannot use: not JSON (a cycle, a BigInt, a
    /// function, ...), or not the shape its method must return. The message says which.
    #[error("{0}")]
    BadResult(String),
    /// The connector has no such event or method.
    #[error("{0}")]
    NotFound(String),
    /// The method's implementation type is not one this runtime can run (yet).
    #[error("{0}")]
    Unsupported(String),
    /// The engine itself failed (could not create a sandbox); not the connector's fault.
    #[error("sandbox engine error: {0}")]
    Engine(String),
}

fn at(location: &Option<Location>) -> String {
    location
        .as_ref()
        .map(|l| format!(" at {l}"))
        .unwrap_or_default()
}

impl InvokeError {
    /// A stable short name of the variant, for logs, metrics and tests.
    pub fn kind(&self) -> &'static str {
        match self {
            InvokeError::Timeout(_) => "timeout",
            InvokeError::OutOfMemory { .. } => "out_of_memory",
            InvokeError::StackOverflow { .. } => "stack_overflow",
            InvokeError::Exception(_) => "exception",
            InvokeError::Load(_) => "load",
            InvokeError::BadResult(_) => "bad_result",
            InvokeError::Mapping(_) => "mapping",
            InvokeError::NotFound(_) => "not_found",
            InvokeError::Unsupported(_) => "unsupported",
            InvokeError::Engine(_) => "engine",
        }
    }

    /// Where in the connector's files the error happened, when known.
    pub fn location(&self) -> Option<&Location> {
        match self {
            InvokeError::Exception(e) | InvokeError::Load(e) => e.location.as_ref(),
            InvokeError::OutOfMemory { location, .. } | InvokeError::StackOverflow { location } => {
                location.as_ref()
            }
            _ => None,
        }
    }

    /// The JS stack behind the error, when there is one.
    pub fn stack(&self) -> Option<&str> {
        match self {
            InvokeError::Exception(e) | InvokeError::Load(e) => Some(&e.stack),
            _ => None,
        }
    }

    /// Whether the error says the external app does not know the thing asked about: an HTTP 404
    /// or 410 behind it, or the SDK's `NotFoundError` (`data.key` `not_found`).
    pub fn is_not_found(&self) -> bool {
        let InvokeError::Exception(e) = self else {
            return false;
        };
        let key = e
            .data
            .as_ref()
            .and_then(|d| d.get("key"))
            .and_then(serde_json::Value::as_str);
        matches!(e.status, Some(404 | 410)) || key == Some("not_found")
    }

    /// Whether the sandbox that produced this error hit one of its limits.
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            InvokeError::Timeout(_)
                | InvokeError::OutOfMemory { .. }
                | InvokeError::StackOverflow { .. }
        )
    }
}

/// A problem found in a connector folder: `path:line: message`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct Problem {
    pub path: PathBuf,
    pub line: Option<u32>,
    pub message: String,
}

impl Problem {
    pub fn new(path: impl Into<PathBuf>, line: Option<u32>, message: impl Into<String>) -> Self {
        Problem {
            path: path.into(),
            line,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_from_function_frame() {
        let stack = "    at inner (events/issues/handle.js:12:5)\n    at default (x.js:1:1)\n";
        let location = Location::from_stack(stack).unwrap();
        assert_eq!(location.to_string(), "events/issues/handle.js:12");
        assert_eq!(location.column, Some(5));
    }

    #[test]
    fn location_from_bare_frame_skips_native() {
        let stack = "    at <native>\n    at lib/util.js:3:10\n";
        assert_eq!(
            Location::from_stack(stack).unwrap().to_string(),
            "lib/util.js:3"
        );
    }

    #[test]
    fn location_skips_host_and_builtin_frames() {
        let stack = "    at decode (host:api-client:139:20)\n    at x (@integration-app/sdk:3:1)\n    at handle (events/a/handle.js:7:3)\n";
        assert_eq!(
            Location::from_stack(stack).unwrap().to_string(),
            "events/a/handle.js:7"
        );
    }

    #[test]
    fn problem_display_is_path_line_message() {
        let p = Problem::new(
            "c/events/a/handle.js",
            Some(3),
            "SyntaxError: unexpected token",
        );
        assert_eq!(
            p.to_string(),
            "c/events/a/handle.js:3: SyntaxError: unexpected token"
        );
        let p = Problem::new("c/spec.yml", None, "not a mapping");
        assert_eq!(p.to_string(), "c/spec.yml: not a mapping");
    }
}
