//! The built-in modules connector code may import by bare name (`import { createHmac } from
//! 'crypto'`, `'node:crypto'`, `'@integration-app/sdk'`). Each is module source compiled through
//! the bytecode cache like a connector file; most re-export host globals or natives.

use std::borrow::Cow;

use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::{Ctx, Error, Module};

/// Bare specifiers the host provides; `node:` in front of any of them is accepted too.
pub const BUILTIN_MODULES: &[&str] = &[
    "crypto",
    "buffer",
    "url",
    "@integration-app/sdk",
    "@membranehq/sdk",
];

const CRYPTO: &str = "const c = globalThis.__host.nodeCrypto;
export default c;
export const { createHmac, createHash, timingSafeEqual, randomUUID, randomBytes, getRandomValues } = c;
";
const BUFFER: &str = "export const Buffer = globalThis.Buffer;
export default { Buffer };
";
const URL: &str = "export const URL = globalThis.URL, URLSearchParams = globalThis.URLSearchParams;
export default { URL, URLSearchParams };
";
/// The SDK's classes come from the `host:sdk` glue module, so that `instanceof` holds between an
/// error `apiClient` throws and the class a connector imports.
const SDK: &str = "const m = globalThis.__host.glue('host:sdk');
export default m;
export const {
  ErrorType, BadRequestErrorKey, ConnectionErrorKey, ConcurrencyErrorKey,
  MembraneError, IntegrationAppError, InternalError, BadRequestError, ConcurrencyError, ConfigurationError,
  FlowInstanceSetupError, FlowRunError, ActionRunError, ActionInstanceSetupError, UnitRunError,
  ConnectionError, CustomCodeError, DependencyError, InsufficientCreditsError,
  NotFoundError, RateLimitExceededError, NotAuthenticatedError, AccessDeniedError,
  isMembraneError, isIntegrationAppError,
} = m;
";

/// The source of built-in module `name` (without `node:`).
pub fn builtin_source(name: &str) -> Option<Cow<'static, str>> {
    let source = match name {
        "crypto" => CRYPTO,
        "buffer" => BUFFER,
        "url" => URL,
        "@integration-app/sdk" | "@membranehq/sdk" => SDK,
        _ => return None,
    };
    Some(Cow::Borrowed(source))
}

/// The built-in name `specifier` stands for, if any (`node:crypto` → `crypto`).
pub fn builtin_name(specifier: &str) -> Option<&'static str> {
    let bare = specifier.strip_prefix("node:").unwrap_or(specifier);
    BUILTIN_MODULES.iter().copied().find(|name| *name == bare)
}

/// Loads built-in module `name` into `ctx`.
pub fn load_builtin<'js>(ctx: &Ctx<'js>, name: &str) -> rquickjs::Result<Module<'js>> {
    let name = builtin_name(name).ok_or_else(|| Error::new_loading(name))?;
    let compiled = match builtin_source(name).ok_or_else(|| Error::new_loading(name))? {
        Cow::Borrowed(source) => crate::bytecode::compile_static(name, source),
        Cow::Owned(source) => crate::bytecode::compile(name, &source),
    };
    let bytecode = compiled
        .map_err(|e| Error::new_loading_message(name, format!("{}: {}", e.kind, e.message)))?;
    // SAFETY: `bytecode::compile` produced these bytes with this build of QuickJS, in this process.
    unsafe { Module::load(ctx.clone(), &bytecode) }
}

/// Resolver and loader serving only the built-in modules (for contexts without connector files).
#[derive(Debug, Default)]
pub struct Builtins;

impl Resolver for Builtins {
    fn resolve<'js>(
        &mut self,
        _: &Ctx<'js>,
        base: &str,
        name: &str,
        _: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        builtin_name(name)
            .map(str::to_string)
            .ok_or_else(|| Error::new_resolving_message(base, name, "not a built-in module"))
    }
}

impl Loader for Builtins {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js>> {
        load_builtin(ctx, name)
    }
}
