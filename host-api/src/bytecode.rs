//! The bytecode cache. Every module (a connector's file, a host glue module) is compiled once per
//! content, keyed by a hash of its name and source, in a per-thread compiler context that has
//! `eval`; sandboxes, which do not, only ever load these bytes. Bytecode is never read from disk or
//! user input: it is bound to this exact QuickJS build, and malformed bytecode can crash the reader.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::module::WriteOptions;
use rquickjs::{CatchResultExt, CaughtError, Context, Ctx, Module, Runtime};
use sha2::{Digest, Sha256};

/// Cached bytecode above this many bytes empties the cache (old versions of edited files go too).
const CACHE_BYTES: usize = 64 << 20;
/// Modules a compiler context declares before it is replaced (declared modules are never freed).
const COMPILES_PER_CONTEXT: usize = 256;

/// Source that does not compile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    /// The error class, `SyntaxError` mostly.
    pub kind: String,
    /// The message without the class.
    pub message: String,
    /// Where, as a JS stack (`    at file.js:3:5`).
    pub stack: String,
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

/// The bytecode of ES module `name` with source `source`, compiled on first use.
pub fn compile(name: &str, source: &str) -> Result<Arc<[u8]>, CompileError> {
    let key = cache_key(name, source);
    if let Some(hit) = cache()
        .lock()
        .ok()
        .and_then(|c| c.entries.get(&key).cloned())
    {
        return Ok(hit);
    }
    let bytecode: Arc<[u8]> = COMPILER
        .with(|c| c.borrow_mut().compile(name, source))?
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

/// [`compile`] for source that lives as long as the process (glue and built-in modules), found
/// again by its address: a sandbox loading them does not hash them again.
pub fn compile_static(name: &'static str, source: &'static str) -> Result<Arc<[u8]>, CompileError> {
    let key = static_key(name, source);
    if let Some(hit) = BY_ADDRESS.with(|m| m.borrow().get(&key).cloned()) {
        return Ok(hit);
    }
    let bytecode = compile(name, source)?;
    BY_ADDRESS.with(|m| m.borrow_mut().insert(key, bytecode.clone()));
    Ok(bytecode)
}

/// Bytecode by the addresses and lengths of its module's name and source.
type ByAddress = HashMap<[usize; 4], Arc<[u8]>>;

thread_local! {
    static BY_ADDRESS: RefCell<ByAddress> = RefCell::default();
}

fn static_key(name: &'static str, source: &'static str) -> [usize; 4] {
    [
        name.as_ptr() as usize,
        name.len(),
        source.as_ptr() as usize,
        source.len(),
    ]
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
            kind: "InternalError".into(),
            message: format!("compiler engine error: {e}"),
            stack: String::new(),
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
                .map_err(compile_error)
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

fn compile_error(caught: CaughtError<'_>) -> CompileError {
    match caught {
        CaughtError::Exception(e) => CompileError {
            kind: e.get("name").unwrap_or_else(|_| "SyntaxError".into()),
            message: e.message().unwrap_or_default(),
            stack: e.stack().unwrap_or_default(),
        },
        other => CompileError {
            kind: "InternalError".into(),
            message: other.to_string(),
            stack: String::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_source_is_found_again_by_its_address_and_length() {
        // Statics, not consts: each use of a const may be a copy at another address.
        static NAME: &str = "s.js";
        static SOURCE: &str = "export default () => 1; export const two = 2;";
        let whole = compile_static(NAME, SOURCE).unwrap();
        // A marker in place of the cached bytecode: a lookup that finds it proves the table is read.
        let marker: Arc<[u8]> = Arc::from(&b"marker"[..]);
        let key = static_key(NAME, SOURCE);
        BY_ADDRESS.with(|m| m.borrow_mut().insert(key, marker.clone()));
        let again = compile_static(NAME, SOURCE).unwrap();
        assert!(Arc::ptr_eq(&again, &marker));
        // The same address with another length is another source.
        let prefix = compile_static(NAME, &SOURCE[..23]).unwrap();
        assert!(!Arc::ptr_eq(&prefix, &marker));
        assert_ne!(prefix, whole);
    }

    #[test]
    fn same_source_compiles_once() {
        let a = compile("a.js", "export default () => 1").unwrap();
        let b = compile("a.js", "export default () => 1").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let c = compile("b.js", "export default () => 1").unwrap();
        assert!(!Arc::ptr_eq(&a, &c), "the name is part of the key");
    }

    #[test]
    fn syntax_error_keeps_kind_message_and_stack() {
        let error = compile("x.js", "export default () => {\n  let x = ;\n}").unwrap_err();
        assert_eq!(error.kind, "SyntaxError");
        assert!(error.stack.contains("x.js:2"), "{error:?}");
    }
}
