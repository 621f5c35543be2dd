//! Host APIs written partly in JavaScript. Classes whose shape is easiest to get right in JS
//! (`Buffer`, `URL`, `TextEncoder`, `Response`, ...) are ES modules in `host-api/js/`, built over
//! native functions that each Rust module registers on the hidden `__host` object. Glue modules
//! never import: they reach natives through `__host` and other APIs through globals.
//!
//! They load lazily, so a sandbox that never touches `Buffer` never pays for it: each global starts
//! as an accessor whose first read compiles (once per process, through the bytecode cache), loads and
//! evaluates its module synchronously, then replaces every global of that module with a plain data
//! property. Writing the global first (a polyfill) simply replaces it.

use rquickjs::object::{Accessor, Property};
use rquickjs::{Ctx, Exception, Module, Object, Value};

use crate::bytecode;

/// One glue module and the globals it defines.
#[derive(Debug)]
pub struct Glue {
    /// Module name, as stack traces show it (`host:buffer`).
    pub name: &'static str,
    pub source: &'static str,
    /// Globals taken from the module's exports of the same names.
    pub globals: &'static [&'static str],
}

/// Every glue module.
pub const GLUE: &[Glue] = &[
    Glue {
        name: "host:buffer",
        source: include_str!("../js/buffer.js"),
        globals: &["Buffer"],
    },
    Glue {
        name: "host:encoding",
        source: include_str!("../js/encoding.js"),
        globals: &["TextEncoder", "TextDecoder"],
    },
    Glue {
        name: "host:url",
        source: include_str!("../js/url.js"),
        globals: &["URL", "URLSearchParams"],
    },
    Glue {
        name: "host:clone",
        source: include_str!("../js/clone.js"),
        globals: &["structuredClone"],
    },
    Glue {
        name: "host:fetch",
        source: include_str!("../js/fetch.js"),
        globals: &["fetch", "Headers", "Response"],
    },
    Glue {
        name: "host:sdk",
        source: include_str!("../js/sdk.js"),
        globals: &[],
    },
    Glue {
        name: "host:lazy-json",
        source: include_str!("../js/lazy-json.js"),
        globals: &[],
    },
    Glue {
        name: "host:api-client",
        source: include_str!("../js/api-client.js"),
        globals: &[],
    },
];

/// The glue module named `name` (`host:fetch`).
pub fn by_name(name: &str) -> Option<&'static Glue> {
    GLUE.iter().find(|g| g.name == name)
}

/// Name of the hidden global holding the natives that glue modules are built on.
pub const HOST: &str = "__host";

/// The hidden `__host` object, created on first use.
pub fn natives<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    if let Ok(Some(host)) = ctx.globals().get::<_, Option<Object>>(HOST) {
        return Ok(host);
    }
    let host = Object::new(ctx.clone())?;
    ctx.globals().prop(HOST, Property::from(host.clone()))?;
    Ok(host)
}

/// Defines every glue global as a lazy accessor on `globalThis`, and `__host.glue(name)`, which
/// returns the namespace of glue module `name` (loading it once per context).
pub fn install<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<()> {
    let by_name = |ctx: Ctx<'js>, name: String| -> rquickjs::Result<Object<'js>> {
        let glue = GLUE.iter().find(|g| g.name == name).ok_or_else(|| {
            Exception::throw_reference(&ctx, &format!("no host module named {name:?}"))
        })?;
        load(&ctx, glue)
    };
    natives(ctx)?.set("glue", rquickjs::function::Func::from(by_name))?;
    for glue in GLUE {
        for &name in glue.globals {
            let get = move |ctx: Ctx<'js>| -> rquickjs::Result<Value<'js>> {
                load(&ctx, glue)?.get(name)
            };
            let set = move |ctx: Ctx<'js>, value: Value<'js>| define(&ctx, name, value);
            ctx.globals()
                .prop(name, Accessor::new(get, set).configurable())?;
        }
    }
    Ok(())
}

/// The namespace of `glue`, loaded on first use in this context: its lazy globals become data
/// properties and the namespace is kept on `__host` for the next caller.
pub fn load<'js>(ctx: &Ctx<'js>, glue: &Glue) -> rquickjs::Result<Object<'js>> {
    let host = natives(ctx)?;
    let key = loaded_key(glue.name);
    if let Ok(Some(namespace)) = host.get::<_, Option<Object>>(key.as_str()) {
        return Ok(namespace);
    }
    let namespace = evaluate(ctx, glue)?;
    host.prop(key, Property::from(namespace.clone()))?;
    Ok(namespace)
}

/// The property of `__host` that holds glue module `name`'s namespace once it is loaded.
pub fn loaded_key(name: &str) -> String {
    format!("module:{name}")
}

fn evaluate<'js>(ctx: &Ctx<'js>, glue: &Glue) -> rquickjs::Result<Object<'js>> {
    let bytecode = bytecode::compile_static(glue.name, glue.source).map_err(|e| {
        let message = format!(
            "host module {} does not compile: {}: {}",
            glue.name, e.kind, e.message
        );
        Exception::throw_internal(ctx, &message)
    })?;
    // SAFETY: `bytecode::compile` produced these bytes with this build of QuickJS, in this process.
    let module = unsafe { Module::load(ctx.clone(), &bytecode) }?;
    let (module, _done) = module.eval()?;
    let namespace = module.namespace()?;
    for &name in glue.globals {
        define(ctx, name, namespace.get(name)?)?;
    }
    Ok(namespace)
}

fn define<'js>(ctx: &Ctx<'js>, name: &str, value: Value<'js>) -> rquickjs::Result<()> {
    ctx.globals()
        .prop(name, Property::from(value).writable().configurable())
}

/// A global defined by glue, loading its module if needed (for natives that return a `Buffer`).
pub fn global<'js>(ctx: &Ctx<'js>, name: &str) -> rquickjs::Result<Value<'js>> {
    ctx.globals().get(name)
}
