//! Connector files as bytecode: the file's text becomes module source (CommonJS and JSON wrapped),
//! which the host's bytecode cache compiles once per content. A compile error keeps its location.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Weak};

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

/// Files loaded on this thread before, by the address of their text: loading a file into
/// another sandbox neither rewrites nor hashes its text again. An entry's `Weak` keeps the text's
/// allocation, so no other text can have that address while the entry lives.
struct Loaded {
    text: Weak<str>,
    name: String,
    bytecode: Arc<[u8]>,
}

/// Entries kept per thread; past this, the texts no connector holds any more go (old versions of
/// edited files), and if that is not enough the table starts over.
const LOADED_MAX: usize = 4096;

thread_local! {
    static LOADED: RefCell<HashMap<usize, Loaded>> = RefCell::default();
}

/// [`compile`] for a connector's file, remembered by the file's text (an `Arc` the connector
/// holds for as long as it is loaded).
pub fn compile_file(name: &str, text: &Arc<str>) -> Result<Arc<[u8]>, CompileError> {
    let address = Arc::as_ptr(text).cast::<u8>() as usize;
    let hit = LOADED.with(|loaded| {
        let loaded = loaded.borrow();
        let entry = loaded.get(&address)?;
        (entry.name == name && entry.text.strong_count() > 0).then(|| entry.bytecode.clone())
    });
    if let Some(bytecode) = hit {
        return Ok(bytecode);
    }
    let bytecode = compile(name, text)?;
    LOADED.with(|loaded| {
        let mut loaded = loaded.borrow_mut();
        if loaded.len() >= LOADED_MAX {
            loaded.retain(|_, entry| entry.text.strong_count() > 0);
        }
        if loaded.len() >= LOADED_MAX {
            loaded.clear();
        }
        let entry = Loaded {
            text: Arc::downgrade(text),
            name: name.to_string(),
            bytecode: bytecode.clone(),
        };
        loaded.insert(address, entry);
    });
    Ok(bytecode)
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

    #[test]
    fn a_file_is_found_again_by_its_text_and_name() {
        let text: Arc<str> = Arc::from("export default () => 1;\n");
        let first = compile_file("events/a/handle.js", &text).unwrap();
        // A marker in place of the remembered bytecode: a load that returns it read the table.
        let marker: Arc<[u8]> = Arc::from(&b"marker"[..]);
        let address = Arc::as_ptr(&text).cast::<u8>() as usize;
        LOADED.with(|loaded| {
            loaded.borrow_mut().get_mut(&address).unwrap().bytecode = marker.clone()
        });
        let again = compile_file("events/a/handle.js", &text).unwrap();
        assert!(
            Arc::ptr_eq(&again, &marker),
            "the second load reuses what the first made"
        );
        let renamed = compile_file("events/b/handle.js", &text).unwrap();
        assert!(
            !Arc::ptr_eq(&renamed, &marker),
            "the module's name is part of the key"
        );
        assert_ne!(renamed, first, "the module's name is part of its bytecode");
        let same_text_elsewhere: Arc<str> = Arc::from(&*text);
        let copy = compile_file("events/a/handle.js", &same_text_elsewhere).unwrap();
        assert_eq!(
            copy, first,
            "another allocation of the same text compiles alike"
        );
        let broken: Arc<str> = Arc::from("export default () => {\n");
        assert!(compile_file("events/a/handle.js", &broken).is_err());
    }
}
