//! Everything connector code can touch besides the language itself. Each JS-visible API lives in its
//! own module with an `install` function that sets its globals and registers its natives on the
//! hidden `__host` object; [`install`] below calls them all, in one place. Classes easiest to write
//! in JS are glue modules in `js/` over those natives, loaded lazily (see [`glue`]). This crate
//! knows rquickjs, HTTP and crypto, and nothing of connectors, storage or serving.

pub mod api_client;
pub mod bytecode;
pub mod bytes;
pub mod console;
pub mod crypto;
pub mod encoding;
pub mod glue;
pub mod http;
pub mod inspect;
pub mod lazy_json;
pub mod modules;
pub mod throw;
pub mod timers;
pub mod url;

use rquickjs::Ctx;

pub use console::{ConsoleSink, Level, LogEntry};
pub use modules::{BUILTIN_MODULES, builtin_source};

/// What the host hands one sandbox. It lives as long as the sandbox and is shared by its invocations.
#[derive(Clone, Default)]
pub struct HostState {
    /// Where `console.*` calls land; the runtime drains it after each invocation.
    pub console: ConsoleSink,
    /// The network, for `apiClient` and `fetch`; `None` leaves the sandbox without one.
    pub http: Option<http::Http>,
}

/// Installs every host global into a fresh context.
pub fn install(ctx: &Ctx<'_>, host: &HostState) -> rquickjs::Result<()> {
    glue::natives(ctx)?;
    console::install(ctx, host.console.clone())?;
    crypto::install(ctx, host)?;
    encoding::install(ctx, host)?;
    url::install(ctx, host)?;
    timers::install(ctx, host)?;
    http::install(ctx, host.http.clone())?;
    lazy_json::install(ctx)?;
    glue::install(ctx)?;
    Ok(())
}
