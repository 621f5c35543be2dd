//! The host side of `apiClient`: the factory that runs the connector's makeApiClient over the
//! invocation's `credentials`, `connectorParameters` and `parameters`, on the client's first request.

use std::sync::Arc;

use rquickjs::function::Async;
use rquickjs::{Ctx, Exception, Function, Object, Value};

use super::{Failure, method_function};
use crate::connector::{Connector, ImplementationType};

/// `factory(args)` → the client options (a promise); `{}` when the connector has no makeApiClient.
pub fn factory<'js>(ctx: &Ctx<'js>, connector: &Arc<Connector>) -> rquickjs::Result<Function<'js>> {
    let connector = connector.clone();
    let make = move |ctx: Ctx<'js>, args: Object<'js>| {
        let connector = connector.clone();
        async move { options(&ctx, &connector, &args).await }
    };
    Function::new(ctx.clone(), Async(make))
}

async fn options<'js>(
    ctx: &Ctx<'js>,
    connector: &Connector,
    args: &Object<'js>,
) -> rquickjs::Result<Value<'js>> {
    let Some(method) = &connector.make_api_client else {
        return Ok(Object::new(ctx.clone())?.into_value());
    };
    let file = match (method.kind, method.file()) {
        (ImplementationType::Javascript, Some(file)) => file,
        (kind, _) => {
            let message = format!("makeApiClient implemented as {kind} is not supported yet");
            return Err(Exception::throw_message(ctx, &message));
        }
    };
    let function = method_function(ctx, connector, file, "makeApiClient")
        .await
        .map_err(|f| rethrow(ctx, f))?;
    let input = Object::new(ctx.clone())?;
    for key in ["credentials", "connectorParameters", "parameters"] {
        input.set(key, args.get::<_, Value>(key)?)?;
    }
    let mut result: Value = function.call((input,))?;
    if let Some(promise) = result.as_promise().cloned() {
        result = promise.into_future::<Value>().await?;
    }
    Ok(result)
}

/// A makeApiClient that failed to load becomes an exception in the calling method.
fn rethrow(ctx: &Ctx<'_>, failure: Failure) -> rquickjs::Error {
    let message = match failure {
        Failure::Threw(e) | Failure::Load(e) => format!("makeApiClient failed: {e}"),
        Failure::Other(e) => format!("makeApiClient failed: {e}"),
    };
    Exception::throw_message(ctx, &message)
}
