//! Connector files as bytecode: the file's text becomes module source (CommonJS and JSON wrapped),
//! which the host's bytecode cache compiles once per content. A compile error keeps its location.

use std::fmt;
use std::sync::Arc;

use super::source::module_source;
use crate::error::Location;

/// A file that does not compile: the syntax error and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    /// The file's module name.
    pub name: String,
    /// The error class, `SyntaxError` mostly.
    pub kind: String,
    /// `kind: message`, as JS prints it.
    pub message: String,
    pub location: Option<Location>,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(location) = &self.location {
            write!(f, " at {location}")?;
        }
        Ok(())
    }
}

/// The bytecode of file `name` (its path in the connector) with text `text`, compiled on first use.
pub fn compile(name: &str, text: &str) -> Result<Arc<[u8]>, CompileError> {
    let (_, source) = module_source(name, text);
    host_api::bytecode::compile(name, &source).map_err(|e| CompileError {
        name: name.to_string(),
        message: format!("{}: {}", e.kind, e.message),
        kind: e.kind,
        location: Location::from_stack(&e.stack),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_error_has_file_and_line() {
        let error = compile(
            "events/a/handle.js",
            "export default () => {\n  let x = ;\n}",
        )
        .unwrap_err();
        assert!(error.message.starts_with("SyntaxError"), "{error}");
        let location = error.location.unwrap();
        assert_eq!(
            (location.file.as_str(), location.line),
            ("events/a/handle.js", 2)
        );
    }
}
