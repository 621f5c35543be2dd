//! Connector files as modules: turning a file into module source (ES modules as they are, CommonJS
//! and JSON wrapped on their first line so line numbers stay true), resolving import specifiers
//! inside the connector's folder, and the bytecode cache that every sandbox loads from.

mod bytecode;
mod resolve;
mod source;

pub use bytecode::{CompileError, compile};
pub use resolve::{ConnectorLoader, ConnectorResolver, resolve};
pub use source::{SourceKind, module_source};
