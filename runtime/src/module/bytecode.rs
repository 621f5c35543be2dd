//! The bytecode cache. Each connector file is compiled once per content (keyed by a hash of its
//! module name and source) in a per-thread compiler context that has `eval`; sandboxes, which do
//! not, only ever load these bytes. Bytecode is never read from disk or user input: it is bound to
//! this exact QuickJS build, and malformed bytecode can crash the reader.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::module::WriteOptions;
use rquickjs::{CatchResultExt, CaughtError, Context, Ctx, Module, Runtime};
use sha2::{Digest, Sha256};

use super::source::module_source;
use crate::error::Location;

/// Cached bytecode above this many bytes empties the cache (old versions of edited files go too).
const CACHE_BYTES: usize = 64 << 20;
/// Modules a compiler context declares before it is replaced (declared modules are never freed).
const COMPILES_PER_CONTEXT: usize = 256;

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

#[derive(Default)]
struct Cache {
    entries: HashMap<[u8; 32], Arc<[u8]>>,
    bytes: usize,
}

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The bytecode of file `name` (its path in the connector) with text `text`, compiled on first use.
pub fn compile(name: &str, text: &str) -> Result<Arc<[u8]>, CompileError> {
    let (_, source) = module_source(name, text);
    let key = cache_key(name, &source);
    if let Some(hit) = cache()
        .lock()
        .ok()
        .and_then(|c| c.entries.get(&key).cloned())
    {
        return Ok(hit);
    }
    let bytecode: Arc<[u8]> = COMPILER
        .with(|c| c.borrow_mut().compile(name, &source))?
        .into();
    if let Ok(mut cache) = cache().lock() {
        if cache.bytes + bytecode.len() > CACHE_BYTES {
            *cache = Cache::default();
        }
        cache.bytes += bytecode.len();
        cache.entries.insert(key, bytecode.clone());
    }
    Ok(bytecode)
}

fn cache_key(name: &str, source: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(name.as_bytes());
    hash.update([0]);
    hash.update(source.as_bytes());
    hash.finalize().into()
}

thread_local! {
    static COMPILER: RefCell<Compiler> = RefCell::new(Compiler::default());
}

/// A plain QuickJS context with `eval`, used only to turn source into bytecode.
#[derive(Default)]
struct Compiler {
    engine: Option<(Context, Runtime)>,
    compiled: usize,
}

impl Compiler {
    fn compile(&mut self, name: &str, source: &str) -> Result<Vec<u8>, CompileError> {
        if self.compiled >= COMPILES_PER_CONTEXT {
            self.engine = None;
            self.compiled = 0;
        }
        let engine_error = |e: rquickjs::Error| CompileError {
            name: name.to_string(),
            kind: "InternalError".into(),
            message: format!("compiler engine error: {e}"),
            location: None,
        };
        if self.engine.is_none() {
            let runtime = Runtime::new().map_err(engine_error)?;
            runtime.set_loader(AnyName, EmptyModule);
            let context = Context::full(&runtime).map_err(engine_error)?;
            self.engine = Some((context, runtime));
        }
        self.compiled += 1;
        let Some((context, _)) = &self.engine else {
            unreachable!("engine set above")
        };
        context.with(|ctx| {
            let options = WriteOptions {
                strip_source: true,
                ..Default::default()
            };
            Module::declare(ctx.clone(), name, source)
                .and_then(|module| module.write(options))
                .catch(&ctx)
                .map_err(|caught| compile_error(name, caught))
        })
    }
}

/// Compiling a module resolves its imports; the compiler only needs them to exist, so every
/// specifier resolves to itself and loads as an empty module. Sandboxes resolve for real.
struct AnyName;

impl Resolver for AnyName {
    fn resolve<'js>(
        &mut self,
        _: &Ctx<'js>,
        _: &str,
        name: &str,
        _: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        Ok(name.to_string())
    }
}

struct EmptyModule;

impl Loader for EmptyModule {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js>> {
        Module::declare(ctx.clone(), name, "")
    }
}

fn compile_error(name: &str, caught: CaughtError<'_>) -> CompileError {
    let (kind, message, stack) = match caught {
        CaughtError::Exception(e) => {
            let kind: String = e.get("name").unwrap_or_else(|_| "SyntaxError".into());
            let message = format!("{kind}: {}", e.message().unwrap_or_default());
            (kind, message, e.stack().unwrap_or_default())
        }
        other => (
            "InternalError".to_string(),
            other.to_string(),
            String::new(),
        ),
    };
    let location = Location::from_stack(&stack);
    CompileError {
        name: name.to_string(),
        kind,
        message,
        location,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_source_compiles_once() {
        let a = compile("events/a/handle.js", "export default () => 1").unwrap();
        let b = compile("events/a/handle.js", "export default () => 1").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
    }

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
