//! Loads connector folders and invokes their methods in QuickJS sandboxes.
//!
//! - [`connector`]: a connector folder read into memory (events, methods, files, fingerprint).
//! - [`module`]: connector files as ES modules: CommonJS wrapping, import resolution, bytecode cache.
//! - `sandbox`: one QuickJS runtime+context with its limits, and the JSON crossing.
//! - [`Runtime`]: the JS worker threads and their pools of warm sandboxes.
//! - [`Webhook`]: the request `handle` receives, made into its argument inside the sandbox.
//! - [`check`]: every problem of a connectors folder as `path:line: message`.
//!
//! This crate knows QuickJS and nothing of HTTP serving or storage.

pub mod check;
pub mod connector;
mod declarative;
pub mod error;
mod idle_poll;
pub mod limits;
pub mod mapping;
pub mod module;
mod pool;
mod sandbox;
mod webhook;

pub use connector::{Connector, ConnectorKey, ConnectorSet, EventKind};
pub use error::{InvokeError, JsException, Location, Problem};
pub use host_api::{Level, LogEntry};
pub use limits::{Isolation, Limits};
pub use pool::{Invocation, Outcome, Runtime, Target};
pub use webhook::{Data, Webhook};
