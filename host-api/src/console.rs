//! `console.log/info/warn/error/debug`, captured per invocation instead of printed. The sink is
//! bounded (lines and bytes) so a logging loop costs the sandbox's time, never the host's memory.

use std::cell::RefCell;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::rc::Rc;

use rquickjs::function::{Func, Rest};
use rquickjs::object::Property;
use rquickjs::{Array, Ctx, Object, Value};

use crate::inspect;

/// Most lines kept per invocation; later lines are counted, not stored.
pub const MAX_LINES: usize = 1000;
/// Most bytes of text kept per invocation.
pub const MAX_BYTES: usize = 256 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Log,
    Info,
    Warn,
    Error,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Level::Debug => "debug",
            Level::Log => "log",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        };
        f.write_str(name)
    }
}

/// One line of console output.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LogEntry {
    pub level: Level,
    pub message: String,
}

#[derive(Default)]
struct Captured {
    entries: Vec<LogEntry>,
    bytes: usize,
    dropped: usize,
    /// Promises rejected with no handler yet, by identity; reported when the invocation ends.
    unhandled: Vec<(u64, String)>,
}

/// The console output of one sandbox, drained after every invocation.
#[derive(Clone, Default)]
pub struct ConsoleSink(Rc<RefCell<Captured>>);

impl ConsoleSink {
    fn push(&self, level: Level, message: String) {
        let mut captured = self.0.borrow_mut();
        if captured.entries.len() >= MAX_LINES || captured.bytes + message.len() > MAX_BYTES {
            captured.dropped += 1;
            return;
        }
        captured.bytes += message.len();
        captured.entries.push(LogEntry { level, message });
    }

    /// Tracks promise rejections (the engine's rejection tracker): a promise rejected with no
    /// handler that still has none when the invocation ends is reported as an error line, so
    /// connector code that forgot an `await` learns of it.
    pub fn track_rejection<'js>(
        &self,
        ctx: &Ctx<'js>,
        promise: &Value<'js>,
        reason: &Value<'js>,
        handled: bool,
    ) {
        let mut hasher = DefaultHasher::new();
        promise.hash(&mut hasher);
        let id = hasher.finish();
        let mut captured = self.0.borrow_mut();
        if handled {
            captured.unhandled.retain(|(pending, _)| *pending != id);
            return;
        }
        let text = match reason.as_exception() {
            Some(error) => {
                let name: String = error.get("name").unwrap_or_else(|_| "Error".into());
                format!("{name}: {}", error.message().unwrap_or_default())
            }
            None => inspect::inspect(ctx, reason),
        };
        if captured.unhandled.len() < MAX_LINES {
            captured
                .unhandled
                .push((id, format!("Unhandled promise rejection: {text}")));
            // Keep the promise alive until the invocation ends, so that its identity is not
            // reused by another promise before a late handler is attached.
            let _ = kept_rejections(ctx).and_then(|kept| kept.set(kept.len(), promise.clone()));
        }
    }

    /// Lets go of the promises kept by [`ConsoleSink::track_rejection`]; called as an
    /// invocation ends, inside the context.
    pub fn end_invocation(&self, ctx: &Ctx<'_>) {
        if let Ok(kept) = kept_rejections(ctx) {
            let _ = kept.as_object().set("length", 0);
        }
    }

    /// Takes what was logged since the last call; a final warning counts the lines over the cap.
    pub fn take(&self) -> Vec<LogEntry> {
        let unhandled = std::mem::take(&mut self.0.borrow_mut().unhandled);
        for (_, message) in unhandled {
            self.push(Level::Error, message);
        }
        let Captured {
            mut entries,
            dropped,
            ..
        } = std::mem::take(&mut *self.0.borrow_mut());
        if dropped > 0 {
            entries.push(LogEntry {
                level: Level::Warn,
                message: format!("console output truncated: {dropped} more lines dropped"),
            });
        }
        entries
    }
}

/// Hidden global holding rejected promises until the invocation ends.
const KEPT_REJECTIONS: &str = "__unhandledRejections";

fn kept_rejections<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Array<'js>> {
    ctx.globals().get(KEPT_REJECTIONS)
}

/// Installs the `console` global writing into `sink`.
pub fn install<'js>(ctx: &Ctx<'js>, sink: ConsoleSink) -> rquickjs::Result<()> {
    let console = Object::new(ctx.clone())?;
    let methods = [
        ("log", Level::Log),
        ("info", Level::Info),
        ("warn", Level::Warn),
        ("error", Level::Error),
        ("debug", Level::Debug),
        ("trace", Level::Debug),
    ];
    for (name, level) in methods {
        let sink = sink.clone();
        let log = move |ctx: Ctx<'js>, args: Rest<Value<'js>>| {
            sink.push(level, inspect::format_args(&ctx, &args.0));
        };
        console.set(name, Func::from(log))?;
    }
    ctx.globals().set("console", console)?;
    ctx.globals()
        .prop(KEPT_REJECTIONS, Property::from(Array::new(ctx.clone())?))?;
    Ok(())
}
