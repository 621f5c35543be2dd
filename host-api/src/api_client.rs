//! `apiClient` (and `externalApiClient`, the same object) on a method's argument object. The client
//! itself is the `host:api-client` glue module; here it is attached lazily, as accessors that build
//! it on first read, so that a `handle` which never calls the API loads nothing. The connector's
//! makeApiClient runs through `factory`, a host function the runtime provides, on the first request.

use rquickjs::function::This;
use rquickjs::object::Property;
use rquickjs::{Ctx, Function, Object, Value, qjs};

use crate::glue;

/// Hidden property of the argument object holding the makeApiClient factory.
const FACTORY: &str = "__makeApiClient";

/// The getter of `apiClient` and `externalApiClient`: the client of its `this`, built on first
/// read. Made once per context, and given to every [`attach`].
pub fn getter<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Function<'js>> {
    let get = |ctx: Ctx<'js>, this: This<Object<'js>>| -> rquickjs::Result<Value<'js>> {
        let module = glue::GLUE.iter().find(|g| g.name == "host:api-client");
        let namespace = glue::load(&ctx, module.ok_or(rquickjs::Error::Unknown)?)?;
        let client_for: Function = namespace.get("clientFor")?;
        client_for.call((this.0,))
    };
    Function::new(ctx.clone(), get)
}

/// Defines `apiClient` and `externalApiClient` on `args` (enumerable accessors, with `getter`);
/// `factory(args)` returns (or resolves to) the client options `{ baseUri, headers, query, auth }`.
pub fn attach<'js>(
    args: &Object<'js>,
    factory: &Function<'js>,
    getter: &Function<'js>,
) -> rquickjs::Result<()> {
    args.prop(FACTORY, Property::from(factory.clone()))?;
    for name in ["apiClient", "externalApiClient"] {
        define_getter(args, name, getter)?;
    }
    Ok(())
}

/// `Object.defineProperty(object, name, { get: getter, enumerable: true, configurable: true })`,
/// with a function made before (rquickjs's `Accessor` makes a new one each time).
fn define_getter<'js>(
    object: &Object<'js>,
    name: &str,
    getter: &Function<'js>,
) -> rquickjs::Result<()> {
    let ctx = object.ctx();
    let flags = qjs::JS_PROP_HAS_GET
        | qjs::JS_PROP_ENUMERABLE
        | qjs::JS_PROP_HAS_ENUMERABLE
        | qjs::JS_PROP_CONFIGURABLE
        | qjs::JS_PROP_HAS_CONFIGURABLE
        | qjs::JS_PROP_THROW;
    // SAFETY: the context, object and getter are alive for the call, which takes its own
    // references to what it keeps; the atom is made and freed here.
    let defined = unsafe {
        let ctx_ptr = ctx.as_raw().as_ptr();
        let atom = qjs::JS_NewAtomLen(ctx_ptr, name.as_ptr().cast(), name.len() as _);
        if atom == qjs::JS_ATOM_NULL {
            return Err(rquickjs::Error::Exception);
        }
        let defined = qjs::JS_DefineProperty(
            ctx_ptr,
            object.as_raw(),
            atom,
            qjs::JS_UNDEFINED,
            getter.as_raw(),
            qjs::JS_UNDEFINED,
            flags as _,
        );
        qjs::JS_FreeAtom(ctx_ptr, atom);
        defined
    };
    if defined < 0 {
        return Err(rquickjs::Error::Exception);
    }
    Ok(())
}
