//! Node.js console formatting (`util.format` / `util.inspect` of Node 20 with default options) over
//! rquickjs values, so `console.log` in a sandbox prints the text Node would print. This module
//! owns the whole algorithm: format specifiers, per-type rendering, circular references and Node's
//! line breaking (breakLength 80, compact 3, grouping of long arrays into columns).
//!
//! Tricky parts: (1) run no user code Node would not run: proxies are shown through their target
//! without triggering traps, accessors print as `[Getter]`, and property metadata comes from the
//! QuickJS C API rather than from patchable JS globals; (2) any JS call that Node does make
//! (getters for `name`/`message`/`stack`, `Symbol.toStringTag`, `String(x)` for `%s`...) may throw,
//! and the exception is cleared and replaced by sensible text, never propagated; (3) output is
//! bounded ([`MAX_OUTPUT`]) however large the value; (4) widths are measured in UTF-16 units as in
//! JS, and QuickJS strings may hold lone surrogates, so strings are read as WTF-8.
//!
//! Choices: promises show their state and value (`Promise { <pending> }`, `Promise { 1 }`,
//! `Promise { <rejected> e }`) read through the QuickJS API, without running JS. Accessors are
//! never invoked (`getters: false`). Top-level strings are printed raw, so a lone surrogate in one
//! becomes U+FFFD (console lines are UTF-8); inside objects it is escaped (`'\ud800'`) as Node
//! does.
//!
//! Node behaviour deliberately or necessarily not replicated (and left out of the test table):
//! - `[util.inspect.custom]` methods are never called.
//! - Map/Set iterators cannot be previewed without consuming them, so they print as
//!   `Object [Map Iterator] {}` instead of `[Map Iterator] { 'a' }`; WeakMap/WeakSet are always
//!   `<items unknown>`, also under `%o`.
//! - Error stacks are QuickJS's (`at f (file.js:1:5)`, and no `Name: message` first line); that
//!   line is synthesised from `Error.prototype.toString` when the stack is printed, so a `name` set
//!   after construction appears in it (V8 froze the first line at construction and lists `name` as
//!   an extra key). The test table therefore only uses errors with a fixed `stack`.
//! - V8 remembers the constructor of an object whose prototype was later set to `null`
//!   (`[A: null prototype] {}`); QuickJS keeps no such record: `[Object: null prototype] {}`.
//! - `%o` lists the same own properties as Node only where both engines have them: V8's sloppy
//!   functions own `arguments`/`caller` and V8 errors own `stack`; QuickJS's do not.
//! - `%j` of a value `JSON.stringify` rejects (a BigInt): Node throws, we print `[TypeError: ...]`;
//!   likewise `%s` of an object whose own `toString` throws falls back to inspecting it.
//! - Nested proxies are unwrapped all the way to the first non-proxy target (Node unwraps one level
//!   and may then run the inner proxy's traps).
//! - Array grouping widths use Node's non-ICU width table for non-ASCII text (official Node builds
//!   ask ICU; they agree for CJK and most text, not for every emoji sequence).
//! - Node's recovery from stack overflows ("Inspection interrupted prematurely") is not needed:
//!   recursion is bounded by the depth. Node never truncates; we cap output at [`MAX_OUTPUT`] bytes
//!   and end it with [`TRUNCATED`]. `URL`, `Buffer`, module namespaces and `External` values do not
//!   exist in the sandbox and get no special casing.
//!
//! Code map: `format` is `util.format` (specifiers); `inspector` is the recursion of
//! `util.inspect` (cycles, proxies, depth), `shape` its type dispatch, and `array`, `collection`,
//! `error`, `function`, `primitive` and `property` render each kind of value; `constructor` and
//! `prefix` spell the heading (`Foo [bar] {`); `layout` breaks lines; `shared` holds the per-call
//! state and output budget; `text` and `number` are pure string and number helpers; `raw` and
//! `class_ids` are the only code touching the QuickJS C API.

mod array;
mod class_ids;
mod collection;
mod constructor;
mod error;
mod format;
mod function;
mod inspector;
mod layout;
mod number;
mod prefix;
mod primitive;
mod property;
mod raw;
mod shape;
mod shared;
mod text;

use rquickjs::{Ctx, Value};

use shared::Shared;

/// Hard cap, in bytes, on the text a single [`format_args`] or [`inspect`] call returns.
pub const MAX_OUTPUT: usize = 64 * 1024;
/// Appended to output cut at [`MAX_OUTPUT`].
pub const TRUNCATED: &str = "... [output truncated]";

const BREAK_LENGTH: usize = 80;
const COMPACT: i64 = 3;
const MAX_ARRAY_LENGTH: usize = 100;
const MAX_STRING_LENGTH: usize = 10_000;
const MIN_LINE_WIDTH: usize = 16;
const MAX_KEYS: usize = MAX_OUTPUT;
const MAX_CHAIN: usize = 10_000;

/// Formats console arguments as Node's `util.format` does: a first string argument may carry
/// `%s %d %i %f %j %o %O %c %%` specifiers; remaining args are appended separated by spaces,
/// strings raw, everything else through [`inspect`].
pub fn format_args<'js>(ctx: &Ctx<'js>, args: &[Value<'js>]) -> String {
    let shared = Shared::new(ctx);
    let text = shared.format(args);
    shared.finish(text)
}

/// Formats one value as Node's `util.inspect(value)` with default options (depth 2, colors off,
/// breakLength 80 / compact 3 line breaking).
pub fn inspect<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> String {
    let shared = Shared::new(ctx);
    let text = shared.inspect(value, Options::DEFAULT);
    shared.finish(text)
}

/// The subset of `util.inspect` options the console uses.
#[derive(Clone, Copy)]
struct Options {
    depth: i64,
    show_hidden: bool,
    show_proxy: bool,
}

impl Options {
    const DEFAULT: Self = Self {
        depth: 2,
        show_hidden: false,
        show_proxy: false,
    };
    /// `%s` of an object with a built-in `toString`.
    const SHALLOW: Self = Self {
        depth: 0,
        show_hidden: false,
        show_proxy: false,
    };
    /// `%o`.
    const HIDDEN: Self = Self {
        depth: 4,
        show_hidden: true,
        show_proxy: true,
    };
}
