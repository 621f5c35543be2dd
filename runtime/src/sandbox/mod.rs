//! One sandbox: a QuickJS runtime and context of its own (own heap limit, stack limit, interrupt
//! deadline, job queue), holding the modules of one connector. It is owned by one worker thread
//! and serves one invocation at a time. Loaded method functions live in a hidden registry object
//! inside the context, never as handles in Rust, so nothing can outlive the runtime; the only
//! handles Rust keeps are the two functions of `Shared`, a field the sandbox drops first.

mod api;
mod classify;
mod keys;
mod marshal;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rquickjs::context::intrinsic;
use rquickjs::object::Property;
use rquickjs::{
    AsyncContext, AsyncRuntime, CatchResultExt, Ctx, Function, Module, Object, Persistent, Value,
};

use crate::connector::Connector;
use crate::error::{InvokeError, JsException};
use crate::limits::Limits;
use crate::module::{CompileError, ConnectorLoader, ConnectorResolver};
use crate::webhook::{Data, Webhook};
use host_api::http::Http;
use host_api::{HostState, LogEntry};
use keys::{Key, Keys};

/// Every intrinsic except `Eval`: connector code cannot `eval` or `new Function`.
type Intrinsics = (
    intrinsic::Date,
    intrinsic::RegExpCompiler,
    intrinsic::RegExp,
    intrinsic::Json,
    intrinsic::Proxy,
    intrinsic::MapSet,
    intrinsic::TypedArrays,
    intrinsic::Promise,
    intrinsic::Performance,
    intrinsic::WeakRef,
    intrinsic::DOMException,
);

/// Name of the hidden global holding loaded method functions by file.
const REGISTRY: &str = "__connectorMethods";

pub(crate) struct Sandbox {
    // Declared first so that they drop before the context, and the context before the runtime.
    shared: Shared,
    context: AsyncContext,
    runtime: AsyncRuntime,
    deadline: Rc<Cell<Option<Instant>>>,
    host: HostState,
    compile_error: Rc<RefCell<Option<CompileError>>>,
    connector: Arc<Connector>,
    memory_limit: usize,
    alive: Arc<AtomicUsize>,
    /// An invocation reached its deadline (possibly in work left after its result): never reuse.
    overran: bool,
    pub uses: u32,
}

impl Sandbox {
    /// A fresh sandbox for `connector`, with the limits applied and the host API installed.
    pub async fn new(
        connector: Arc<Connector>,
        limits: &Limits,
        http: Option<Http>,
        alive: Arc<AtomicUsize>,
    ) -> Result<Self, InvokeError> {
        let engine = |e: rquickjs::Error| InvokeError::Engine(e.to_string());
        let runtime = AsyncRuntime::new().map_err(engine)?;
        runtime.set_memory_limit(limits.memory).await;
        runtime.set_max_stack_size(limits.js_stack()).await;
        if limits.isolation == crate::Isolation::Invocation {
            // A sandbox for one call: collecting garbage while it sets up and runs is wasted work
            // (its runtime is freed whole right after). Collect only past a quarter of the heap
            // limit (at most 8 MiB), which still leaves the limit to the live data.
            runtime
                .set_gc_threshold((limits.memory / 4).min(8 << 20))
                .await;
        }
        let deadline: Rc<Cell<Option<Instant>>> = Rc::default();
        let expired = deadline.clone();
        let interrupt = move || expired.get().is_some_and(|d| Instant::now() >= d);
        runtime
            .set_interrupt_handler(Some(Box::new(interrupt)))
            .await;
        let compile_error = Rc::default();
        let loader = ConnectorLoader {
            connector: connector.clone(),
            last_error: Rc::clone(&compile_error),
        };
        runtime
            .set_loader(ConnectorResolver(connector.clone()), loader)
            .await;
        let host = HostState {
            http,
            ..HostState::default()
        };
        let console = host.console.clone();
        let track: rquickjs::runtime::RejectionTracker =
            Box::new(move |ctx, promise, reason, handled| {
                console.track_rejection(&ctx, &promise, &reason, handled);
            });
        runtime
            .set_host_promise_rejection_tracker(Some(track))
            .await;
        let context = AsyncContext::custom::<Intrinsics>(&runtime)
            .await
            .map_err(engine)?;
        let shared = context
            .with(|ctx| {
                install(&ctx, &host)?;
                Shared::new(&ctx, &connector)
            })
            .await
            .map_err(engine)?;
        alive.fetch_add(1, Ordering::Relaxed);
        Ok(Sandbox {
            shared,
            context,
            runtime,
            deadline,
            host,
            compile_error,
            connector,
            memory_limit: limits.memory,
            alive,
            overran: false,
            uses: 0,
        })
    }

    pub fn connector(&self) -> &Arc<Connector> {
        &self.connector
    }

    /// Runs the function exported by `file` with `args`, within `timeout` of CPU and wall time.
    pub async fn invoke(
        &mut self,
        callee: Callee<'_>,
        args: &serde_json::Value,
        webhook: Option<&Webhook>,
        timeout: Duration,
    ) -> Result<serde_json::Value, InvokeError> {
        self.uses += 1;
        let deadline = Instant::now() + timeout;
        self.deadline.set(Some(deadline));
        let host = &self.host;
        let call = self.context.async_with(async |ctx| {
            let shared = &self.shared;
            let result = call(&ctx, &self.connector, shared, callee, args, webhook).await;
            host.console.end_invocation(&ctx);
            // A warm sandbox must not keep the body (up to the body limit) until its next call.
            host_api::encoding::interop::forget_known_string(&ctx);
            result
        });
        let outcome = tokio::time::timeout_at(deadline.into(), call).await;
        self.deadline.set(None);
        // Work the call left behind may have run into the deadline after the result was in.
        self.overran |= Instant::now() >= deadline;
        let error = match outcome {
            Err(_elapsed) => return Err(InvokeError::Timeout(timeout)),
            Ok(Ok(json)) => return Ok(json),
            Ok(Err(error)) => error,
        };
        Err(self.refine(error, deadline, timeout))
    }

    /// Turns the raw failure into its final kind: past the deadline it is a timeout whatever JS
    /// made of the interrupt; a module that failed to compile reports the compiler's location.
    fn refine(&self, error: Failure, deadline: Instant, timeout: Duration) -> InvokeError {
        if Instant::now() >= deadline {
            return InvokeError::Timeout(timeout);
        }
        match error {
            Failure::Threw(exception) => classify::classify(*exception, self.memory_limit),
            Failure::Load(mut exception) => {
                if let Some(compile) = self.compile_error.borrow_mut().take() {
                    let prefix = format!("{}: ", compile.kind);
                    let message = compile
                        .message
                        .strip_prefix(&prefix)
                        .unwrap_or(&compile.message);
                    exception.message = format!("{message} (in {})", compile.name);
                    exception.name = compile.kind;
                    exception.location = compile.location;
                }
                match classify::classify(*exception, self.memory_limit) {
                    InvokeError::Exception(e) => InvokeError::Load(e),
                    limit => limit,
                }
            }
            Failure::Other(error) => error,
        }
    }

    /// The console output of the last invocation.
    pub fn take_console(&self) -> Vec<LogEntry> {
        self.host.console.take()
    }

    /// Whether the sandbox may serve another invocation: it never hit a deadline, and no work
    /// started by the last invocation is still queued (an un-awaited promise, a pending timer),
    /// which would otherwise run inside another invocation.
    pub async fn is_reusable(&self) -> bool {
        !self.overran && !self.runtime.is_job_pending().await
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.alive.fetch_sub(1, Ordering::Relaxed);
    }
}

fn install(ctx: &Ctx<'_>, host: &HostState) -> rquickjs::Result<()> {
    host_api::install(ctx, host)?;
    let registry = Object::new(ctx.clone())?;
    ctx.globals().prop(REGISTRY, Property::from(registry))?;
    Ok(())
}

/// How a call failed before classification.
pub(crate) enum Failure {
    Threw(Box<JsException>),
    Load(Box<JsException>),
    Other(InvokeError),
}

/// What a sandbox runs: a connector's method, or a declarative method's request through the
/// connector's apiClient (see `crate::declarative`).
#[derive(Clone, Copy, Debug)]
pub enum Callee<'a> {
    Method {
        file: &'a str,
        method: &'a str,
    },
    Request {
        method: &'a str,
        request: &'a serde_json::Value,
    },
}

async fn call<'js>(
    ctx: &Ctx<'js>,
    connector: &Arc<Connector>,
    shared: &Shared,
    callee: Callee<'_>,
    args: &serde_json::Value,
    webhook: Option<&Webhook>,
) -> Result<serde_json::Value, Failure> {
    let engine = |e: rquickjs::Error| Failure::Other(InvokeError::Engine(e.to_string()));
    let (function, method) = match callee {
        Callee::Method { file, method } => {
            (method_function(ctx, connector, file, method).await?, method)
        }
        Callee::Request { method, .. } => (api::request_function(ctx).map_err(engine)?, method),
    };
    let arg = argument(ctx, shared, args, webhook)?;
    let threw = |e| Failure::Threw(Box::new(classify::exception(ctx, e)));
    let called = match callee {
        Callee::Method { .. } => function.call((arg,)),
        Callee::Request { request, .. } => {
            marshal::to_js(ctx, request).and_then(|r| function.call((arg, r)))
        }
    };
    let mut result: Value = called.catch(ctx).map_err(threw)?;
    if let Some(promise) = result.as_promise().cloned() {
        result = promise
            .into_future::<Value>()
            .await
            .catch(ctx)
            .map_err(threw)?;
    }
    host_api::timers::settle().await;
    result_json(ctx, method, result)
}

/// The method's argument object: the invocation's JSON, the webhook's members, `body` beside
/// `data`, and `apiClient`.
fn argument<'js>(
    ctx: &Ctx<'js>,
    shared: &Shared,
    args: &serde_json::Value,
    webhook: Option<&Webhook>,
) -> Result<Value<'js>, Failure> {
    let threw = |e| Failure::Threw(Box::new(classify::exception(ctx, e)));
    let arg = match args {
        serde_json::Value::Object(map) => args_object(ctx, &shared.keys, map),
        other => marshal::to_js(ctx, other),
    };
    let arg = arg.catch(ctx).map_err(threw)?;
    let Some(object) = arg.as_object() else {
        return Ok(arg);
    };
    // `body` beside `data`, unless the JSON has a `body` of its own: connector code written
    // against the docs' examples reads `body`; the SDK passes `data`.
    let has = |name: &str| args.get(name).is_some();
    match webhook {
        Some(webhook) if !has("body") => {
            let data = add_webhook(ctx, &shared.keys, object, webhook);
            data.and_then(|data| shared.keys.define(object, Key::Body, data))
                .catch(ctx)
                .map_err(threw)?;
        }
        Some(webhook) => {
            add_webhook(ctx, &shared.keys, object, webhook)
                .catch(ctx)
                .map_err(threw)?;
        }
        None if has("data") && !has("body") => {
            if let Ok(data) = object.get::<_, Value>("data") {
                let _ = shared.keys.define(object, Key::Body, data);
            }
        }
        None => {}
    }
    let engine = |e: rquickjs::Error| Failure::Other(InvokeError::Engine(e.to_string()));
    let (factory, getter) = shared.restore(ctx).map_err(engine)?;
    host_api::api_client::attach(object, &factory, &getter).map_err(engine)?;
    Ok(arg)
}

/// The argument object of the invocation's JSON members, the usual names defined by atom.
fn args_object<'js>(
    ctx: &Ctx<'js>,
    keys: &Keys,
    map: &serde_json::Map<String, serde_json::Value>,
) -> rquickjs::Result<Value<'js>> {
    let object = Object::new(ctx.clone())?;
    for (name, json) in map {
        let value = marshal::to_js(ctx, json)?;
        match Key::of(name) {
            Some(key) => keys.define(&object, key, value)?,
            None => marshal::define(&object, name, value)?,
        }
    }
    Ok(object.into_value())
}

/// Defines `query`, `headers`, `rawBody`, `data`, `method` and `webhookUri` on the argument
/// object, in that order (the order connector code has always seen them in); returns `data`.
fn add_webhook<'js>(
    ctx: &Ctx<'js>,
    keys: &Keys,
    object: &Object<'js>,
    webhook: &Webhook,
) -> rquickjs::Result<Value<'js>> {
    use host_api::encoding::interop::{known_string, new_string};
    keys.define(object, Key::Query, marshal::to_js(ctx, &webhook.query)?)?;
    let headers = Object::new(ctx.clone())?;
    for (name, value) in &webhook.headers {
        keys.define_header(&headers, name, new_string(ctx, value)?.into_value())?;
    }
    keys.define(object, Key::Headers, headers.into_value())?;
    // The host keeps its UTF-8, so hashing the body does not convert it back.
    let raw_body = known_string(ctx, webhook.raw_body.clone())?;
    keys.define(object, Key::RawBody, raw_body.into_value())?;
    let data = match &webhook.data {
        Data::FromRawBody => host_api::lazy_json::parse(ctx, webhook.raw_body.clone())?,
        Data::Value(value) => marshal::to_js(ctx, value)?,
    };
    keys.define(object, Key::Data, data.clone())?;
    let method = new_string(ctx, &webhook.method)?.into_value();
    keys.define(object, Key::Method, method)?;
    keys.define(
        object,
        Key::WebhookUri,
        new_string(ctx, &webhook.uri)?.into_value(),
    )?;
    Ok(data)
}

/// What every argument object of a sandbox shares, made once: the makeApiClient factory, the
/// `apiClient` getter, the atoms of its usual property names.
struct Shared {
    factory: Persistent<Function<'static>>,
    getter: Persistent<Function<'static>>,
    keys: Keys,
}

impl Shared {
    fn new(ctx: &Ctx<'_>, connector: &Arc<Connector>) -> rquickjs::Result<Self> {
        Ok(Shared {
            factory: Persistent::save(ctx, api::factory(ctx, connector)?),
            getter: Persistent::save(ctx, host_api::api_client::getter(ctx)?),
            keys: Keys::new(ctx)?,
        })
    }

    fn restore<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<(Function<'js>, Function<'js>)> {
        Ok((
            self.factory.clone().restore(ctx)?,
            self.getter.clone().restore(ctx)?,
        ))
    }
}

/// The method's result as JSON, or why it is not JSON.
fn result_json<'js>(
    ctx: &Ctx<'js>,
    method: &str,
    result: Value<'js>,
) -> Result<serde_json::Value, Failure> {
    match marshal::from_js(ctx, result) {
        Ok(json) => Ok(json),
        Err(marshal::FromJsError::NotJson(what)) => Err(Failure::Other(InvokeError::BadResult(
            format!("{method} returned a value that is not JSON: {what}"),
        ))),
        Err(marshal::FromJsError::Threw) => {
            let caught = rquickjs::CaughtError::from_error(ctx, rquickjs::Error::Exception);
            Err(Failure::Threw(Box::new(classify::exception(ctx, caught))))
        }
    }
}

/// The function `file` exports for `method`, loading and evaluating the module on first use.
pub(crate) async fn method_function<'js>(
    ctx: &Ctx<'js>,
    connector: &Connector,
    file: &str,
    method: &str,
) -> Result<Function<'js>, Failure> {
    let registry: Object = ctx
        .globals()
        .get(REGISTRY)
        .map_err(|e| Failure::Other(InvokeError::Engine(e.to_string())))?;
    let key = format!("{file}#{method}");
    if let Ok(Some(function)) = registry.get::<_, Option<Function>>(key.as_str()) {
        return Ok(function);
    }
    let load = |e| Failure::Load(Box::new(classify::exception(ctx, e)));
    if connector.file(file).is_none() {
        let message = format!("no file '{file}' in connector '{}'", connector.key);
        return Err(Failure::Other(InvokeError::NotFound(message)));
    }
    let imported = Module::import(ctx, file).catch(ctx).map_err(load)?;
    let namespace: Object = imported.into_future().await.catch(ctx).map_err(load)?;
    let function = pick_export(&namespace, method).ok_or_else(|| {
        let message = format!(
            "{file} exports no function for '{method}': expected `export default async function {method}(...)`, \
             `module.exports = ...` or a named export `{method}`"
        );
        Failure::Other(InvokeError::BadResult(message))
    })?;
    let _ = registry.set(key, function.clone());
    Ok(function)
}

/// The default export when it is a function; else the export named after the method (also inside
/// a CommonJS `module.exports` object); else the only exported function.
fn pick_export<'js>(namespace: &Object<'js>, method: &str) -> Option<Function<'js>> {
    let default: Option<Value> = namespace.get("default").ok();
    if let Some(function) = default.as_ref().and_then(|v| v.as_function()) {
        return Some(function.clone());
    }
    let holders = [
        Some(namespace.clone()),
        default.and_then(|v| v.into_object()),
    ];
    for holder in holders.iter().flatten() {
        if let Ok(Some(function)) = holder.get::<_, Option<Function>>(method) {
            return Some(function);
        }
        let functions: Vec<Function> = holder
            .props::<String, Value>()
            .filter_map(Result::ok)
            .filter(|(key, _)| key != "__cjsModule")
            .filter_map(|(_, v)| v.into_function())
            .collect();
        if let [only] = functions.as_slice() {
            return Some(only.clone());
        }
    }
    None
}
