//! `apiClient` (and `externalApiClient`, the same object) on a method's argument object. The client
//! itself is the `host:api-client` glue module; here it is attached lazily, as accessors that build
//! it on first read, so that a `handle` which never calls the API loads nothing. The connector's
//! makeApiClient runs through `factory`, a host function the runtime provides, on the first request.

use rquickjs::function::This;
use rquickjs::object::{Accessor, Property};
use rquickjs::{Ctx, Function, Object, Value};

use crate::glue;

/// Hidden property of the argument object holding the makeApiClient factory.
const FACTORY: &str = "__makeApiClient";

/// Defines `apiClient` and `externalApiClient` on `args`; `factory(args)` returns (or resolves to)
/// the client options `{ baseUri, headers, query, auth }`.
pub fn attach<'js>(args: &Object<'js>, factory: Function<'js>) -> rquickjs::Result<()> {
    args.prop(FACTORY, Property::from(factory))?;
    for name in ["apiClient", "externalApiClient"] {
        let get = |ctx: Ctx<'js>, this: This<Object<'js>>| -> rquickjs::Result<Value<'js>> {
            let module = glue::GLUE.iter().find(|g| g.name == "host:api-client");
            let namespace = glue::load(&ctx, module.ok_or(rquickjs::Error::Unknown)?)?;
            let client_for: Function = namespace.get("clientFor")?;
            client_for.call((this.0,))
        };
        args.prop(name, Accessor::new_get(get).enumerable().configurable())?;
    }
    Ok(())
}
