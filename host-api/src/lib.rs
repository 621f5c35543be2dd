//! Everything connector code can touch besides the language itself. Each JS-visible API lives in its
//! own module with an `install` function; `install` below registers them all in one place. This crate
//! knows rquickjs and nothing of connectors, storage or HTTP serving.

pub mod console;
pub mod inspect;

use rquickjs::{Ctx, Module};

pub use console::{ConsoleSink, Level, LogEntry};

/// What the host hands one sandbox. It lives as long as the sandbox and is shared by its invocations.
#[derive(Clone, Default)]
pub struct HostState {
    /// Where `console.*` calls land; the runtime drains it after each invocation.
    pub console: ConsoleSink,
}

/// Installs every host global into a fresh context.
pub fn install(ctx: &Ctx<'_>, host: &HostState) -> rquickjs::Result<()> {
    console::install(ctx, host.console.clone())?;
    Ok(())
}

/// Bare module specifiers the host provides (`import x from 'name'`); every other bare name is refused.
pub const BUILTIN_MODULES: &[&str] = &[];

/// Declares the built-in module `name`, one of [`BUILTIN_MODULES`].
pub fn declare_builtin<'js>(ctx: &Ctx<'js>, name: &str) -> rquickjs::Result<Module<'js>> {
    let _ = ctx;
    Err(rquickjs::Error::new_loading(name))
}
