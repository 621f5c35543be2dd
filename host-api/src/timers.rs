//! `setTimeout`, `setInterval`, `setImmediate` and their `clear*`, on one driver future per
//! context (spawned with `Ctx::spawn` while any timer is pending, gone when none is), so a sandbox
//! with no live timer has no pending work. The schedule lives in Rust and holds no JS value; each
//! timer's callback lives in its `Timeout` object, kept in a hidden JS table, so the garbage
//! collector sees every reference and nothing can outlive the runtime. Timers due together run in
//! creation order, with the microtask queue drained after each callback, as in Node.

mod schedule;

use std::time::Duration;

use rquickjs::atom::PredefinedAtom;
use rquickjs::class::{Trace, Tracer};
use rquickjs::function::{Func, Opt, Rest, This};
use rquickjs::prelude::Coerced;
use rquickjs::{
    CatchResultExt, CaughtError, Class, Ctx, FromJs, Function, JsLifetime, Object, Value,
};
use tokio::time::Instant;

use crate::{HostState, throw};
use schedule::Timers;

/// Largest delay Node accepts (2^31 - 1 ms); a larger one becomes 1 ms, with a warning.
const TIMEOUT_MAX: f64 = 2_147_483_647.0;
/// Property of `__host` holding the table of live timers (`id → Timeout`) and the console
/// functions timers report through.
const STATE: &str = "timers";

/// Which global started a timer.
#[derive(Clone, Copy)]
struct Kind {
    function: &'static str,
    repeat: bool,
}

const TIMEOUT: Kind = Kind {
    function: "setTimeout",
    repeat: false,
};
const INTERVAL: Kind = Kind {
    function: "setInterval",
    repeat: true,
};
const IMMEDIATE: Kind = Kind {
    function: "setImmediate",
    repeat: false,
};

/// What `setTimeout` and friends return: Node's `Timeout`, minus the event loop. `ref`/`unref`
/// only flip `hasRef()` (an invocation ends its timers either way); `+timeout` is the id that
/// `clearTimeout` also accepts.
#[derive(JsLifetime)]
#[rquickjs::class(rename = "Timeout")]
pub struct Timeout<'js> {
    callback: Function<'js>,
    args: Vec<Value<'js>>,
    id: u32,
    delay: Duration,
    repeat: bool,
    referenced: bool,
    cleared: bool,
    timers: Timers,
}

impl<'js> Trace<'js> for Timeout<'js> {
    fn trace<'a>(&self, tracer: Tracer<'a, 'js>) {
        self.callback.trace(tracer);
        self.args.trace(tracer);
    }
}

#[rquickjs::methods]
impl<'js> Timeout<'js> {
    #[qjs(rename = "ref")]
    pub fn reference(this: This<Class<'js, Self>>) -> Class<'js, Self> {
        this.0.borrow_mut().referenced = true;
        this.0
    }

    pub fn unref(this: This<Class<'js, Self>>) -> Class<'js, Self> {
        this.0.borrow_mut().referenced = false;
        this.0
    }

    #[qjs(rename = "hasRef")]
    pub fn has_ref(&self) -> bool {
        self.referenced
    }

    /// Restarts the timer with its delay from now; like Node, this brings back a timer that has
    /// fired, but not one that was cleared.
    pub fn refresh(
        this: This<Class<'js, Self>>,
        ctx: Ctx<'js>,
    ) -> rquickjs::Result<Class<'js, Self>> {
        if !this.0.borrow().cleared {
            schedule(&ctx, &this.0)?;
        }
        Ok(this.0)
    }

    /// `timeout.close()` is `clearTimeout(timeout)`.
    pub fn close(
        this: This<Class<'js, Self>>,
        ctx: Ctx<'js>,
    ) -> rquickjs::Result<Class<'js, Self>> {
        let id = this.0.borrow().id;
        clear(&ctx, id)?;
        Ok(this.0)
    }

    #[qjs(rename = PredefinedAtom::SymbolToPrimitive)]
    pub fn to_primitive(&self) -> u32 {
        self.id
    }

    #[qjs(prop, rename = PredefinedAtom::SymbolToStringTag, configurable)]
    pub fn to_string_tag() -> &'static str {
        "Timeout"
    }
}

/// Installs the timer globals and the hidden timer table.
pub fn install<'js>(ctx: &Ctx<'js>, host: &HostState) -> rquickjs::Result<()> {
    let _ = host;
    let state = Object::new(ctx.clone())?;
    state.set("table", Object::new(ctx.clone())?)?;
    // The console as installed, so a connector replacing `console` cannot hide timer errors.
    if let Ok(console) = ctx.globals().get::<_, Object>("console") {
        state.set("error", console.get::<_, Value>("error")?)?;
        state.set("warn", console.get::<_, Value>("warn")?)?;
    }
    crate::glue::natives(ctx)?.set(STATE, state)?;
    let timers = Timers::default();
    let globals = ctx.globals();
    for kind in [TIMEOUT, INTERVAL] {
        let timers = timers.clone();
        let set = move |ctx: Ctx<'js>,
                        callback: Opt<Value<'js>>,
                        delay: Opt<Value<'js>>,
                        args: Rest<Value<'js>>| {
            let delay = delay_of(&ctx, delay.0)?;
            start(&ctx, &timers, kind, callback.0, delay, args.0)
        };
        globals.set(kind.function, Func::from(set))?;
    }
    let immediate = move |ctx: Ctx<'js>, callback: Opt<Value<'js>>, args: Rest<Value<'js>>| {
        start(&ctx, &timers, IMMEDIATE, callback.0, Duration::ZERO, args.0)
    };
    globals.set(IMMEDIATE.function, Func::from(immediate))?;
    for name in ["clearTimeout", "clearInterval", "clearImmediate"] {
        globals.set(name, Func::from(clear_any))?;
    }
    Ok(())
}

/// Node's delay rule: a number in 1..=2^31-1 ms, anything else (NaN, negative, not a number) 1 ms.
fn delay_of<'js>(ctx: &Ctx<'js>, delay: Option<Value<'js>>) -> rquickjs::Result<Duration> {
    let ms = match delay {
        Some(value) => Coerced::<f64>::from_js(ctx, value)?.0,
        None => f64::NAN,
    };
    if ms > TIMEOUT_MAX {
        let message = format!(
            "TimeoutOverflowWarning: {ms} does not fit into a 32-bit signed integer.\n\
             Timeout duration was set to 1."
        );
        report(ctx, "warn", &message, None);
    }
    let ms = if (1.0..=TIMEOUT_MAX).contains(&ms) {
        ms
    } else {
        1.0
    };
    Ok(Duration::from_secs_f64(ms / 1000.0))
}

fn start<'js>(
    ctx: &Ctx<'js>,
    timers: &Timers,
    kind: Kind,
    callback: Option<Value<'js>>,
    delay: Duration,
    args: Vec<Value<'js>>,
) -> rquickjs::Result<Class<'js, Timeout<'js>>> {
    let Some(callback) = callback.as_ref().and_then(|c| c.as_function()).cloned() else {
        let got = callback.as_ref().map_or("undefined", throw::type_name);
        return Err(throw::bad_argument(
            ctx,
            kind.function,
            "callback",
            "a function",
            got,
        ));
    };
    if tokio::runtime::Handle::try_current().is_err() {
        let message = "timers need the host's async runtime";
        return Err(throw::error(ctx, kind.function, message));
    }
    let timeout = Timeout {
        callback,
        args,
        id: timers.next_id(),
        delay,
        repeat: kind.repeat,
        referenced: true,
        cleared: false,
        timers: timers.clone(),
    };
    let timeout = Class::instance(ctx.clone(), timeout)?;
    schedule(ctx, &timeout)?;
    Ok(timeout)
}

/// `clearTimeout(timeout)`: takes a `Timeout` or its id (number or numeric string); ignores
/// anything else, as Node does.
fn clear_any<'js>(ctx: Ctx<'js>, timer: Opt<Value<'js>>) -> rquickjs::Result<()> {
    let Some(timer) = timer.0 else {
        return Ok(());
    };
    let id = if let Ok(timeout) = Class::<Timeout>::from_value(&timer) {
        Some(timeout.borrow().id)
    } else if let Some(n) = timer.as_number() {
        (n.fract() == 0.0 && n >= 1.0 && n <= f64::from(u32::MAX)).then_some(n as u32)
    } else if let Some(text) = timer.as_string() {
        text.to_string().ok().and_then(|t| t.parse::<u32>().ok())
    } else {
        None
    };
    match id {
        Some(id) => clear(&ctx, id),
        None => Ok(()),
    }
}

/// Puts `timeout` in the table and the schedule, and makes sure the driver runs.
fn schedule<'js>(ctx: &Ctx<'js>, timeout: &Class<'js, Timeout<'js>>) -> rquickjs::Result<()> {
    let (timers, id, delay, repeat) = {
        let me = timeout.borrow();
        (me.timers.clone(), me.id, me.delay, me.repeat)
    };
    table(ctx)?.set(id, timeout.clone())?;
    timers.insert(id, delay, repeat);
    if timers.start_driving() {
        ctx.spawn(drive(ctx.clone(), timers));
    }
    Ok(())
}

fn clear(ctx: &Ctx<'_>, id: u32) -> rquickjs::Result<()> {
    let table = table(ctx)?;
    let Some(timeout) = table.get::<_, Option<Class<Timeout>>>(id)? else {
        return Ok(());
    };
    let timers = {
        let mut me = timeout.borrow_mut();
        me.cleared = true;
        me.timers.clone()
    };
    timers.cancel(id);
    table.remove(id)
}

fn table<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    crate::glue::natives(ctx)?
        .get::<_, Object>(STATE)?
        .get("table")
}

/// The driver: sleeps until the next deadline (or a change of schedule), runs what is due, and
/// ends as soon as it finds no timer left, so a context without timers has no pending work.
async fn drive<'js>(ctx: Ctx<'js>, timers: Timers) {
    while let Some(deadline) = timers.next_deadline_or_stop() {
        if deadline > Instant::now() {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => {}
                () = timers.changed() => continue,
            }
        }
        run_due(&ctx, &timers);
        if !timers.is_idle() {
            // Let the rest of the runtime (the invocation, its deadline) run between batches.
            tokio::task::yield_now().await;
        }
    }
}

/// Gives spawned futures and jobs one more turn; awaited inside `async_with` after an
/// invocation's result is in (still under its deadline), it lets the driver of timers cleared at
/// the end of the call see that none is left and finish, so the sandbox counts as idle.
/// Without it, a timer set and cleared in the last synchronous stretch of a call leaves the
/// driver queued until the runtime is next polled.
pub async fn settle() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if std::mem::replace(&mut yielded, true) {
            return std::task::Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    })
    .await;
}

/// Runs every timer due now, in order, draining microtasks after each one.
fn run_due(ctx: &Ctx<'_>, timers: &Timers) {
    let now = Instant::now();
    loop {
        let due = timers.pop_due(now);
        let Some((id, repeat)) = due else {
            return;
        };
        if let Err(error) = fire(ctx, id, repeat).catch(ctx) {
            let thrown = match error {
                CaughtError::Exception(exception) => exception.into_value(),
                CaughtError::Value(value) => value,
                CaughtError::Error(error) => {
                    rquickjs::String::from_str(ctx.clone(), &error.to_string())
                        .map_or_else(|_| Value::new_undefined(ctx.clone()), Value::from_string)
                }
            };
            report(ctx, "error", "Uncaught exception in timer:", Some(thrown));
        }
        while ctx.execute_pending_job() {}
        if repeat {
            timers.rearm(id);
        }
    }
}

fn fire(ctx: &Ctx<'_>, id: u32, repeat: bool) -> rquickjs::Result<()> {
    let table = table(ctx)?;
    let Some(timeout) = table.get::<_, Option<Class<Timeout>>>(id)? else {
        return Ok(());
    };
    if !repeat {
        table.remove(id)?;
    }
    let (callback, args) = {
        let me = timeout.borrow();
        (me.callback.clone(), me.args.clone())
    };
    callback.call::<_, ()>((This(timeout), Rest(args)))
}

/// Writes one line through the console function `level` saved at install: `text`, then `value`
/// formatted as `console.error` formats it (an error with its stack).
fn report<'js>(ctx: &Ctx<'js>, level: &str, text: &str, value: Option<Value<'js>>) {
    let function = crate::glue::natives(ctx)
        .and_then(|natives| natives.get::<_, Object>(STATE))
        .and_then(|state| state.get::<_, Function>(level));
    if let Ok(function) = function {
        let args: Vec<Value<'js>> = value.into_iter().collect();
        let _ = function.call::<_, ()>((text, Rest(args)));
    }
}
