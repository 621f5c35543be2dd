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
        (ImplementationType::Mapping, Some(file)) => {
            return mapped_options(ctx, connector, file, args);
        }
        (kind, _) => {
            let message = format!("makeApiClient implemented as {kind} is not supported");
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

/// `restRequest(args, {method, path, query, data, headers})` of the apiClient glue: the request of
/// a declarative method, made by the invocation's apiClient, resolving to `{status, headers, data}`.
pub fn request_function<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Function<'js>> {
    let glue = host_api::glue::by_name("host:api-client").ok_or(rquickjs::Error::Unknown)?;
    host_api::glue::load(ctx, glue)?.get("restRequest")
}

/// makeApiClient as a mapping (`auth/make-api-client.yml`), evaluated over the same inputs.
fn mapped_options<'js>(
    ctx: &Ctx<'js>,
    connector: &Connector,
    file: &str,
    args: &Object<'js>,
) -> rquickjs::Result<Value<'js>> {
    let inputs = Object::new(ctx.clone())?;
    for key in ["credentials", "connectorParameters", "parameters"] {
        inputs.set(key, args.get::<_, Value>(key)?)?;
    }
    let inputs = ctx
        .json_stringify(inputs)?
        .map(|s| s.to_string())
        .transpose()?;
    let inputs: serde_json::Value = inputs
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let options =
        crate::declarative::mapping(connector, file, &inputs, std::time::Duration::from_secs(5))
            .map_err(|e| Exception::throw_message(ctx, &format!("makeApiClient failed: {e}")))?;
    super::marshal::to_js(ctx, &options)
}

/// A makeApiClient that failed to load becomes an exception in the calling method.
fn rethrow(ctx: &Ctx<'_>, failure: Failure) -> rquickjs::Error {
    let message = match failure {
        Failure::Threw(e) | Failure::Load(e) => format!("makeApiClient failed: {e}"),
        Failure::Other(e) => format!("makeApiClient failed: {e}"),
    };
    Exception::throw_message(ctx, &message)
}
