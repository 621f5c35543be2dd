//! Node.js console formatting (`util.format` / `util.inspect` of Node 20 with default options) over
//! rquickjs values, so `console.log` in a sandbox prints the text Node would print. This module owns
//! the whole algorithm: format specifiers, per-type rendering, circular references and Node's line
//! breaking (breakLength 80, compact 3, grouping of long arrays into columns).
//!
//! Tricky parts: (1) run no user code Node would not run: proxies are shown through their target
//! without triggering traps, accessors print as `[Getter]`, and property metadata comes from the
//! QuickJS C API rather than from patchable JS globals; (2) any JS call that Node does make (getters
//! for `name`/`message`/`stack`, `Symbol.toStringTag`, `String(x)` for `%s`...) may throw, and the
//! exception is cleared and replaced by sensible text, never propagated; (3) output is bounded
//! ([`MAX_OUTPUT`]) however large the value; (4) widths are measured in UTF-16 units as in JS, and
//! QuickJS strings may hold lone surrogates, so strings are read as WTF-8.
//!
//! Node behaviour deliberately or necessarily not replicated (and left out of the test table):
//! - `[util.inspect.custom]` methods are never called.
//! - Map/Set iterators cannot be previewed without consuming them, so they print as
//!   `Object [Map Iterator] {}` instead of `[Map Iterator] { 'a' }`; WeakMap/WeakSet are always
//!   `<items unknown>`, also under `%o`.
//! - Error stacks are QuickJS's (`at f (file.js:1:5)`, no `Name: message` header line); the header
//!   is synthesised from `Error.prototype.toString`, so a `name` changed after construction shows up
//!   in the header instead of as an extra `name` key as in V8.
//! - `%o` lists the same own properties as Node only where both engines have them: V8's sloppy
//!   functions own `arguments`/`caller` and errors own `stack`, QuickJS's do not.
//! - `%j` of a value `JSON.stringify` rejects (a BigInt): Node throws, we print `[TypeError: ...]`.
//! - `%s` of a Date, `String(date)`-style local-time text, differs between engines (V8 appends the
//!   zone name); not tested.
//! - Nested proxies are unwrapped all the way to the first non-proxy target (Node unwraps one level
//!   and may then run the inner proxy's traps). Null-prototype RegExps print via `RegExp.prototype`.
//! - Array grouping widths use Node's non-ICU width table for non-ASCII text (official Node builds
//!   ask ICU; they agree for CJK and most text, not for every emoji sequence).
//! - Node's recovery from stack overflows ("Inspection interrupted prematurely") is not needed:
//!   recursion is bounded by the depth. Node never truncates; we cap output at [`MAX_OUTPUT`] bytes
//!   and end it with [`TRUNCATED`]. `URL`, `Buffer`, module namespaces and `External` values do not
//!   exist in the sandbox and get no special casing.

use std::cell::Cell;
use std::sync::OnceLock;

use rquickjs::atom::PredefinedAtom;
use rquickjs::context::EvalOptions;
use rquickjs::function::This;
use rquickjs::{Array, Coerced, Ctx, Function, Object, Symbol, Value, qjs};

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

/// Names Node treats as built-in constructors (`builtInObjects`): it skips their prototype
/// properties under `%o` and trusts their `toString` for `%s`.
const BUILTINS: &[&str] = &[
    "Object", "Function", "Array", "Number", "Boolean", "String", "Symbol", "Date", "Promise",
    "RegExp", "Error", "AggregateError", "EvalError", "RangeError", "ReferenceError",
    "SyntaxError", "TypeError", "URIError", "JSON", "Math", "Intl", "ArrayBuffer", "Atomics",
    "Uint8Array", "Int8Array", "Uint16Array", "Int16Array", "Uint32Array", "Int32Array",
    "Float32Array", "Float64Array", "Uint8ClampedArray", "BigUint64Array", "BigInt64Array",
    "DataView", "Map", "BigInt", "Set", "WeakMap", "WeakSet", "Proxy", "Reflect",
    "FinalizationRegistry", "WeakRef", "SharedArrayBuffer", "WebAssembly", "Iterator",
];

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
    const DEFAULT: Self = Self { depth: 2, show_hidden: false, show_proxy: false };
    /// `%s` of an object with a built-in `toString`.
    const SHALLOW: Self = Self { depth: 0, show_hidden: false, show_proxy: false };
    /// `%o`.
    const HIDDEN: Self = Self { depth: 4, show_hidden: true, show_proxy: true };
}

// ---------------------------------------------------------------------------------------------
// Per-call state shared by every inspector: the context, realm intrinsics and the output budget.

struct Shared<'js> {
    ctx: Ctx<'js>,
    ids: ClassIds,
    object_proto: Option<Object<'js>>,
    function_proto: Option<Object<'js>>,
    error_proto: Option<Object<'js>>,
    used: Cell<usize>,
}

impl<'js> Shared<'js> {
    fn new(ctx: &Ctx<'js>) -> Self {
        let ids = ClassIds::get(ctx);
        Self {
            ctx: ctx.clone(),
            ids,
            object_proto: raw::class_proto(ctx, ids.object),
            function_proto: raw::function_proto(ctx),
            error_proto: raw::class_proto(ctx, ids.error),
            used: Cell::new(0),
        }
    }

    fn inspect(&self, value: &Value<'js>, opts: Options) -> String {
        Inspector::new(self, opts, 0).format_value(value, 0, false)
    }

    /// Counts text that will appear in the output against the budget and hands it back.
    fn charged(&self, text: String) -> String {
        self.used.set(self.used.get().saturating_add(text.len()));
        text
    }

    fn exhausted(&self) -> bool {
        self.used.get() > MAX_OUTPUT
    }

    fn finish(&self, mut text: String) -> String {
        if text.len() > MAX_OUTPUT {
            let mut cut = MAX_OUTPUT;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push_str(TRUNCATED);
        } else if self.exhausted() {
            text.push_str(TRUNCATED);
        }
        text
    }

    /// Catches the pending exception of a failed call so it cannot leak into the script.
    fn ok<T>(&self, result: rquickjs::Result<T>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(_) => {
                let _ = self.ctx.catch();
                None
            }
        }
    }

    fn get(&self, obj: &Object<'js>, key: &str) -> Value<'js> {
        self.ok(obj.get::<_, Value>(key)).unwrap_or_else(|| self.undefined())
    }

    fn undefined(&self) -> Value<'js> {
        Value::new_undefined(self.ctx.clone())
    }

    fn js_str(&self, text: &str) -> Option<Value<'js>> {
        self.ok(rquickjs::String::from_str(self.ctx.clone(), text)).map(|s| s.into_value())
    }

    /// The text of a JS string value (lone surrogates become U+FFFD).
    fn text(&self, value: &Value<'js>) -> String {
        let bytes = raw::string_bytes(&self.ctx, value).unwrap_or_default();
        lossy(&decode_wtf8(&bytes, usize::MAX).0)
    }

    /// JS `String(value)`; `None` if it throws (symbols included, as `ToString` rejects them).
    fn to_string(&self, value: &Value<'js>) -> Option<String> {
        if value.is_string() {
            return Some(self.text(value));
        }
        let s = self.ok(value.get::<Coerced<rquickjs::String>>())?;
        Some(self.text(&s.0.into_value()))
    }

    fn number_text(&self, n: f64) -> String {
        if n == 0.0 && n.is_sign_negative() {
            return "-0".into();
        }
        let value = Value::new_float(self.ctx.clone(), n);
        self.to_string(&value).unwrap_or_else(|| "NaN".into())
    }

    fn call_method(&self, proto: &Object<'js>, name: &str, this: &Value<'js>) -> Option<Value<'js>> {
        let f: Function = self.ok(proto.get(name))?;
        self.ok(f.call((This(this.clone()),)))
    }

    /// Calls `name` from the realm's own prototype for `value`'s class (e.g. `Map.prototype`).
    fn intrinsic(&self, value: &Value<'js>, name: &str) -> Option<Value<'js>> {
        let proto = raw::class_proto(&self.ctx, raw::class_id(value))?;
        self.call_method(&proto, name, value)
    }

    /// Runs the getter `name` of the realm's prototype for `value`'s class.
    fn intrinsic_getter(&self, value: &Value<'js>, name: &str) -> Option<Value<'js>> {
        let proto = raw::class_proto(&self.ctx, raw::class_id(value))?;
        let desc = raw::own_desc(&self.ctx, proto.as_value(), raw::KeyRef::Str(name)).ok()??;
        let getter: Function = desc.getter?.into_function()?;
        self.ok(getter.call((This(value.clone()),)))
    }

    fn error_to_string(&self, err: &Value<'js>) -> String {
        let text = self.error_proto.as_ref().and_then(|p| self.call_method(p, "toString", err));
        text.and_then(|t| self.to_string(&t)).unwrap_or_else(|| "Error".into())
    }

    fn is_error(&self, value: &Value<'js>) -> bool {
        raw::is_error(value) || self.error_proto.as_ref().is_some_and(|p| self.inherits(value, p))
    }

    /// Whether `proto` is on `value`'s prototype chain (what `instanceof` checks).
    fn inherits(&self, value: &Value<'js>, proto: &Object<'js>) -> bool {
        let mut cur = value.clone();
        for _ in 0..MAX_CHAIN {
            match raw::proto(&self.ctx, &cur) {
                Ok(Some(p)) if p == *proto => return true,
                Ok(Some(p)) => cur = p.into_value(),
                _ => return false,
            }
        }
        false
    }
}

// ---------------------------------------------------------------------------------------------
// util.format

impl<'js> Shared<'js> {
    fn format(&self, args: &[Value<'js>]) -> String {
        let mut out = String::new();
        let mut next = 0;
        let mut join = "";
        if let Some(first) = args.first().filter(|v| v.is_string()) {
            let text = self.raw_text(first);
            if args.len() == 1 {
                return self.charged(text);
            }
            let (formatted, last, used) = self.apply_specifiers(&text, args);
            if last != 0 {
                out = formatted;
                next = used + 1;
                join = " ";
            }
        }
        for arg in args.iter().skip(next) {
            if self.exhausted() {
                break;
            }
            out.push_str(join);
            let piece = match arg.is_string() {
                true => self.charged(self.raw_text(arg)),
                false => self.inspect(arg, Options::DEFAULT),
            };
            out.push_str(&piece);
            join = " ";
        }
        out
    }

    /// A string printed as-is; only a prefix that can fit in the output is decoded.
    fn raw_text(&self, value: &Value<'js>) -> String {
        let bytes = raw::string_bytes(&self.ctx, value).unwrap_or_default();
        lossy(&decode_wtf8(&bytes, MAX_OUTPUT + 1).0)
    }

    /// The specifier loop of Node's `formatWithOptionsInternal`. Returns the text, the position
    /// after the last consumed specifier (0 if none) and the index of the last consumed argument.
    fn apply_specifiers(&self, first: &str, args: &[Value<'js>]) -> (String, usize, usize) {
        let bytes = first.as_bytes();
        let (mut out, mut a, mut last, mut i) = (String::new(), 0, 0, 0);
        while i + 1 < bytes.len() {
            if bytes[i] == b'%' {
                i += 1;
                let spec = bytes[i];
                if a + 1 != args.len() {
                    let piece = match spec {
                        b'%' => {
                            out.push_str(first.get(last..i).unwrap_or_default());
                            last = i + 1;
                            None
                        }
                        b's' | b'j' | b'd' | b'O' | b'o' | b'i' | b'f' | b'c' => {
                            a += 1;
                            args.get(a).map(|arg| self.specifier(spec, arg))
                        }
                        _ => None,
                    };
                    if let Some(piece) = piece {
                        out.push_str(first.get(last..i - 1).unwrap_or_default());
                        out.push_str(&piece);
                        last = i + 1;
                    }
                } else if spec == b'%' {
                    out.push_str(first.get(last..i).unwrap_or_default());
                    last = i + 1;
                }
            }
            i += 1;
        }
        if last != 0 {
            out.push_str(first.get(last..).unwrap_or_default());
        }
        (self.charged(out), last, a)
    }

    fn specifier(&self, spec: u8, arg: &Value<'js>) -> String {
        match spec {
            b's' => self.spec_string(arg),
            b'j' => self.spec_json(arg),
            b'd' => self.spec_number(arg, |s, v| s.ok(v.get::<Coerced<f64>>()).map(|n| n.0)),
            b'i' => self.spec_number(arg, |s, v| s.to_string(v).map(|t| parse_int(&t))),
            b'f' if arg.is_symbol() => "NaN".into(),
            b'f' => self.number_text(self.to_string(arg).map_or(f64::NAN, |t| parse_float(&t))),
            b'O' => self.inspect(arg, Options::DEFAULT),
            b'o' => self.inspect(arg, Options::HIDDEN),
            _ => String::new(),
        }
    }

    fn spec_string(&self, arg: &Value<'js>) -> String {
        if arg.is_number() || arg.is_big_int() {
            return self.inspect(arg, Options::DEFAULT);
        }
        if arg.is_symbol() {
            return self.symbol_text(arg);
        }
        let Some(obj) = arg.as_object().filter(|_| !arg.is_function()) else {
            return self.to_string(arg).unwrap_or_else(|| self.inspect(arg, Options::DEFAULT));
        };
        if self.has_builtin_to_string(obj) {
            return self.inspect(arg, Options::SHALLOW);
        }
        self.to_string(arg).unwrap_or_else(|| self.inspect(arg, Options::SHALLOW))
    }

    /// `%d` / `%i` / `%f`: BigInts print as such, symbols as NaN, anything else via `convert`.
    fn spec_number(&self, arg: &Value<'js>, convert: fn(&Self, &Value<'js>) -> Option<f64>) -> String {
        if arg.is_big_int() {
            return self.inspect(arg, Options::DEFAULT);
        }
        if arg.is_symbol() {
            return "NaN".into();
        }
        self.number_text(convert(self, arg).unwrap_or(f64::NAN))
    }

    fn spec_json(&self, arg: &Value<'js>) -> String {
        match self.ctx.json_stringify(arg.clone()) {
            Ok(Some(s)) => self.text(&s.into_value()),
            Ok(None) => "undefined".into(),
            Err(_) => {
                let err = self.ctx.catch();
                let message = self.text(&self.message_of(&err));
                if message.contains("circular") {
                    return "[Circular]".into();
                }
                format!("[{}]", self.error_to_string(&err))
            }
        }
    }

    fn message_of(&self, err: &Value<'js>) -> Value<'js> {
        err.as_object().map_or_else(|| self.undefined(), |o| self.get(o, "message"))
    }

    /// Node's `hasBuiltInToString`: whether `%s` may inspect `obj` rather than call its own
    /// `toString` / `Symbol.toPrimitive`.
    fn has_builtin_to_string(&self, obj: &Object<'js>) -> bool {
        let value = match raw::unwrap_proxy(&self.ctx, obj.as_value()) {
            Some(target) => target,
            None => return true,
        };
        let Some(obj) = value.as_object() else { return true };
        let to_string = self.get(obj, "toString").is_function();
        let to_prim = self.ok(obj.get::<_, Value>(PredefinedAtom::SymbolToPrimitive));
        let to_prim = to_prim.is_some_and(|v| v.is_function());
        let (mut check_str, mut check_prim) = (true, true);
        if !to_string {
            if !to_prim {
                return true;
            }
            if self.has_own(obj, raw::KeyRef::Atom(qjs::JS_ATOM_Symbol_toPrimitive as _)) {
                return false;
            }
            check_str = false;
        } else if self.has_own(obj, raw::KeyRef::Str("toString")) {
            return false;
        } else if !to_prim {
            check_prim = false;
        } else if self.has_own(obj, raw::KeyRef::Atom(qjs::JS_ATOM_Symbol_toPrimitive as _)) {
            return false;
        }
        self.builtin_owner(obj, check_str, check_prim)
    }

    /// Finds the prototype that owns `toString` / `Symbol.toPrimitive` and checks its constructor.
    fn builtin_owner(&self, obj: &Object<'js>, check_str: bool, check_prim: bool) -> bool {
        let mut cur = obj.clone();
        for _ in 0..MAX_CHAIN {
            let Ok(Some(proto)) = raw::proto(&self.ctx, cur.as_value()) else { return true };
            let owns_str = check_str && self.has_own(&proto, raw::KeyRef::Str("toString"));
            let prim = raw::KeyRef::Atom(qjs::JS_ATOM_Symbol_toPrimitive as _);
            if owns_str || (check_prim && self.has_own(&proto, prim)) {
                let name = self.constructor_fn_name(&proto);
                return name.is_some_and(|n| BUILTINS.contains(&n.as_str()));
            }
            cur = proto;
        }
        true
    }

    fn has_own(&self, obj: &Object<'js>, key: raw::KeyRef<'_, 'js>) -> bool {
        matches!(raw::own_desc(&self.ctx, obj.as_value(), key), Ok(Some(_)))
    }

    /// The `name` of `obj`'s own `constructor` data property, if that is a function.
    fn constructor_fn_name(&self, obj: &Object<'js>) -> Option<String> {
        let desc = raw::own_desc(&self.ctx, obj.as_value(), raw::KeyRef::Str("constructor")).ok()??;
        let ctor = desc.value?.into_function()?;
        let name = self.get(ctor.as_object(), "name");
        name.is_string().then(|| self.text(&name))
    }

    fn symbol_text(&self, value: &Value<'js>) -> String {
        let desc = value.as_symbol().and_then(|s| self.ok(s.description()));
        let desc = desc.filter(|d| d.is_string()).map(|d| self.text(&d)).unwrap_or_default();
        format!("Symbol({desc})")
    }
}

// ---------------------------------------------------------------------------------------------
// util.inspect: one inspector per top-level value (Node's `ctx`).

struct Inspector<'s, 'js> {
    sh: &'s Shared<'js>,
    opts: Options,
    indent: usize,
    current_depth: i64,
    seen: Vec<Value<'js>>,
    circular: Vec<Value<'js>>,
}

/// An own property key: a string (with its text) or a symbol.
#[derive(Clone)]
struct Key<'js> {
    value: Value<'js>,
    name: Option<String>,
}

impl Key<'_> {
    fn is(&self, name: &str) -> bool {
        self.name.as_deref() == Some(name)
    }

    fn same(&self, other: &Self) -> bool {
        match (&self.name, &other.name) {
            (Some(a), Some(b)) => a == b,
            (None, None) => self.value == other.value,
            _ => false,
        }
    }
}

/// What `formatRaw` decided about an object before formatting its entries.
struct Shape<'js> {
    keys: Vec<Key<'js>>,
    braces: [String; 2],
    base: String,
    body: Body,
    /// Node's `kArrayExtrasType`: entries may be grouped into columns.
    extras: bool,
}

enum Body {
    Empty,
    Array,
    Set,
    Map,
    Typed(usize),
    Buffer,
    Promise,
    Weak,
}

enum Shaped<'js> {
    Done(String),
    Open(Shape<'js>),
}

impl<'js> Shape<'js> {
    fn new(keys: Vec<Key<'js>>) -> Self {
        let braces = ["{".to_string(), "}".to_string()];
        Self { keys, braces, base: String::new(), body: Body::Empty, extras: false }
    }

    /// `Done(text)` when there is nothing else to show (no keys, no prototype properties).
    fn done_if_empty(self, proto_props: bool, text: impl FnOnce(&Self) -> String) -> Shaped<'js> {
        if self.keys.is_empty() && !proto_props {
            Shaped::Done(text(&self))
        } else {
            Shaped::Open(self)
        }
    }
}

/// A property descriptor, or the value read with `[[Get]]` when the key is not own.
struct Desc<'js> {
    value: Option<Value<'js>>,
    get: bool,
    set: bool,
    enumerable: bool,
    failed: bool,
}

impl<'js> From<raw::Desc<'js>> for Desc<'js> {
    fn from(d: raw::Desc<'js>) -> Self {
        let get = d.getter.is_some();
        Self { value: d.value, get, set: d.setter, enumerable: d.enumerable, failed: false }
    }
}

impl<'s, 'js> Inspector<'s, 'js> {
    fn new(sh: &'s Shared<'js>, opts: Options, indent: usize) -> Self {
        Self { sh, opts, indent, current_depth: 0, seen: Vec::new(), circular: Vec::new() }
    }

    fn ctx(&self) -> &Ctx<'js> {
        &self.sh.ctx
    }

    fn format_value(&mut self, value: &Value<'js>, recurse: i64, typed_array: bool) -> String {
        if self.sh.exhausted() {
            return String::new();
        }
        let Some(obj) = value.as_object() else {
            return self.sh.charged(self.format_primitive(value));
        };
        let mut obj = obj.clone();
        if value.is_proxy() {
            let Some((target, handler)) = raw::proxy_parts(self.ctx(), value) else {
                return self.sh.charged("<Revoked Proxy>".into());
            };
            if self.opts.show_proxy {
                return self.format_proxy(&target, &handler, recurse);
            }
            let unwrapped = raw::unwrap_proxy(self.ctx(), &target);
            match unwrapped.and_then(|t| t.into_object()) {
                Some(target) => obj = target,
                None => return self.sh.charged("<Revoked Proxy>".into()),
            }
        }
        if let Some(index) = self.circular_index(obj.as_value()) {
            return self.sh.charged(format!("[Circular *{index}]"));
        }
        self.format_raw(&obj, recurse, typed_array)
    }

    fn circular_index(&mut self, value: &Value<'js>) -> Option<usize> {
        if !self.seen.iter().any(|s| s == value) {
            return None;
        }
        if let Some(i) = self.circular.iter().position(|c| c == value) {
            return Some(i + 1);
        }
        self.circular.push(value.clone());
        Some(self.circular.len())
    }

    fn format_proxy(&mut self, target: &Value<'js>, handler: &Value<'js>, recurse: i64) -> String {
        if recurse > self.opts.depth {
            return self.sh.charged("Proxy [Array]".into());
        }
        self.indent += 2;
        let output = vec![
            self.format_value(target, recurse + 1, false),
            self.format_value(handler, recurse + 1, false),
        ];
        self.indent -= 2;
        let braces = ["Proxy [".to_string(), "]".to_string()];
        self.reduce_to_single_string(output, "", &braces, true, recurse + 1, None)
    }

    fn format_raw(&mut self, obj: &Object<'js>, recurse: i64, typed_array: bool) -> String {
        let mut proto_props = (self.opts.show_hidden && recurse <= self.opts.depth).then(Vec::new);
        let ctor = self.constructor_name(obj, recurse, proto_props.as_mut());
        let proto_props = proto_props.filter(|p| !p.is_empty());
        let tag = self.string_tag(obj);
        let pp = proto_props.is_some();
        let shape = match self.shape(obj, ctor.as_deref(), &tag, recurse, typed_array, pp) {
            Shaped::Done(text) => return self.sh.charged(text),
            Shaped::Open(shape) => shape,
        };
        if recurse > self.opts.depth {
            let mut name = self.ctx_style(obj, ctor.as_deref(), &tag);
            name.pop();
            let name = if ctor.is_some() { format!("[{name}]") } else { name };
            return self.sh.charged(name);
        }
        self.format_entries(obj, shape, proto_props, recurse + 1)
    }

    fn format_entries(
        &mut self,
        obj: &Object<'js>,
        mut shape: Shape<'js>,
        proto_props: Option<Vec<String>>,
        recurse: i64,
    ) -> String {
        self.seen.push(obj.as_value().clone());
        self.current_depth = recurse;
        let mut output = self.format_body(obj, &shape.body, recurse);
        for key in &shape.keys {
            if self.sh.exhausted() {
                break;
            }
            output.push(self.format_property(obj, recurse, key, true, None));
        }
        output.extend(proto_props.into_iter().flatten());
        if let Some(i) = self.circular.iter().position(|c| c == obj.as_value()) {
            let reference = format!("<ref *{}>", i + 1);
            shape.base = match shape.base.is_empty() {
                true => reference,
                false => format!("{reference} {}", shape.base),
            };
        }
        self.seen.pop();
        let (base, braces) = (&shape.base, &shape.braces);
        self.reduce_to_single_string(output, base, braces, shape.extras, recurse, Some(obj))
    }

    fn format_body(&mut self, obj: &Object<'js>, body: &Body, recurse: i64) -> Vec<String> {
        match body {
            Body::Empty => Vec::new(),
            Body::Array => self.format_array(obj, recurse),
            Body::Set => self.format_set(obj, recurse),
            Body::Map => self.format_map(obj, recurse),
            Body::Typed(len) => self.format_typed(obj, *len, recurse),
            Body::Buffer => vec![self.sh.charged(self.buffer_contents(obj))],
            Body::Promise => self.format_promise(obj, recurse),
            Body::Weak => vec![self.sh.charged("<items unknown>".into())],
        }
    }
}

// ---- deciding the shape of an object (the type dispatch of Node's formatRaw) ----

impl<'js> Inspector<'_, 'js> {
    fn shape(
        &mut self,
        obj: &Object<'js>,
        ctor: Option<&str>,
        tag: &str,
        recurse: i64,
        typed_array: bool,
        pp: bool,
    ) -> Shaped<'js> {
        if ctor.is_none() || self.has_iterator(obj) {
            if let Some(shaped) = self.iterable_shape(obj, ctor, tag, pp) {
                return shaped;
            }
        }
        let shape = Shape::new(self.keys(obj));
        let value = obj.as_value();
        if value.is_function() {
            let base = self.function_base(obj, ctor, tag);
            return Shape { base, ..shape }.done_if_empty(pp, |s| s.base.clone());
        }
        if ctor == Some("Object") {
            return self.object_shape(obj, shape, tag, pp);
        }
        if raw::is_regexp(value) || raw::is_date(value) {
            return self.regexp_date_shape(obj, shape, ctor, tag, recurse, pp);
        }
        if self.sh.is_error(value) {
            let mut shape = shape;
            shape.base = self.format_error(obj, ctor, tag, &mut shape.keys);
            return shape.done_if_empty(pp, |s| s.base.clone());
        }
        self.special_shape(obj, shape, ctor, tag, typed_array, pp)
    }

    fn iterable_shape(
        &mut self,
        obj: &Object<'js>,
        ctor: Option<&str>,
        tag: &str,
        pp: bool,
    ) -> Option<Shaped<'js>> {
        let value = obj.as_value();
        if value.is_array() {
            return Some(self.array_shape(obj, ctor, tag, pp));
        }
        if raw::is_set(value) || raw::is_map(value) {
            return Some(self.collection_shape(obj, ctor, tag, pp));
        }
        let kind = raw::typed_array_kind(value)?;
        let keys = self.non_index_keys(obj);
        let fallback = if ctor.is_none() { typed_array_name(kind) } else { "" };
        let size = raw::typed_array_len(self.ctx(), value);
        let prefix = get_prefix(ctor, tag, fallback, &format!("({size})"));
        if size == 0 && keys.is_empty() && !self.opts.show_hidden {
            return Some(Shaped::Done(format!("{prefix}[]")));
        }
        let braces = [format!("{prefix}["), "]".to_string()];
        let body = Body::Typed(size);
        Some(Shaped::Open(Shape { keys, braces, base: String::new(), body, extras: true }))
    }

    fn array_shape(&mut self, obj: &Object<'js>, ctor: Option<&str>, tag: &str, pp: bool) -> Shaped<'js> {
        let len = self.array_len(obj);
        let prefix = match ctor != Some("Array") || !tag.is_empty() {
            true => get_prefix(ctor, tag, "Array", &format!("({len})")),
            false => String::new(),
        };
        let keys = self.non_index_keys(obj);
        if len == 0 && keys.is_empty() && !pp {
            return Shaped::Done(format!("{prefix}[]"));
        }
        let braces = [format!("{prefix}["), "]".to_string()];
        Shaped::Open(Shape { keys, braces, base: String::new(), body: Body::Array, extras: true })
    }

    fn collection_shape(&mut self, obj: &Object<'js>, ctor: Option<&str>, tag: &str, pp: bool) -> Shaped<'js> {
        let (name, body) = match raw::is_set(obj.as_value()) {
            true => ("Set", Body::Set),
            false => ("Map", Body::Map),
        };
        let size = self.collection_size(obj);
        let prefix = get_prefix(ctor, tag, name, &format!("({size})"));
        let keys = self.keys(obj);
        if size == 0 && keys.is_empty() && !pp {
            return Shaped::Done(format!("{prefix}{{}}"));
        }
        let braces = [format!("{prefix}{{"), "}".to_string()];
        Shaped::Open(Shape { keys, braces, base: String::new(), body, extras: false })
    }

    fn object_shape(&mut self, obj: &Object<'js>, mut shape: Shape<'js>, tag: &str, pp: bool) -> Shaped<'js> {
        let id = raw::class_id(obj.as_value());
        if id == self.sh.ids.arguments || id == self.sh.ids.mapped_arguments {
            shape.braces[0] = "[Arguments] {".into();
        } else if !tag.is_empty() {
            shape.braces[0] = format!("{}{{", get_prefix(Some("Object"), tag, "Object", ""));
        }
        shape.done_if_empty(pp, |s| format!("{}}}", s.braces[0]))
    }

    fn regexp_date_shape(
        &mut self,
        obj: &Object<'js>,
        mut shape: Shape<'js>,
        ctor: Option<&str>,
        tag: &str,
        recurse: i64,
        pp: bool,
    ) -> Shaped<'js> {
        let value = obj.as_value();
        let (fallback, base) = match raw::is_regexp(value) {
            true => ("RegExp", self.intrinsic_text(value, "toString")),
            false => ("Date", self.date_text(value)),
        };
        let prefix = get_prefix(ctor, tag, fallback, "");
        shape.base = match prefix == format!("{fallback} ") {
            true => base,
            false => format!("{prefix}{base}"),
        };
        if fallback == "RegExp" && recurse > self.opts.depth {
            return Shaped::Done(shape.base);
        }
        shape.done_if_empty(pp, |s| s.base.clone())
    }

    fn special_shape(
        &mut self,
        obj: &Object<'js>,
        mut shape: Shape<'js>,
        ctor: Option<&str>,
        tag: &str,
        typed_array: bool,
        pp: bool,
    ) -> Shaped<'js> {
        let value = obj.as_value();
        if raw::is_array_buffer(value) {
            return self.buffer_shape(obj, shape, ctor, tag, typed_array, pp);
        }
        let (fallback, body) = if raw::is_data_view(value) {
            let names = ["byteLength", "byteOffset", "buffer"];
            let extra: Vec<_> = names.iter().filter_map(|n| self.str_key(n)).collect();
            shape.keys.splice(0..0, extra);
            ("DataView", Body::Empty)
        } else if value.is_promise() {
            ("Promise", Body::Promise)
        } else if raw::is_weak_set(value) {
            ("WeakSet", Body::Weak)
        } else if raw::is_weak_map(value) {
            ("WeakMap", Body::Weak)
        } else if let Some(kind) = self.boxed_kind(value) {
            shape.base = self.boxed_base(obj, kind, ctor, tag, &mut shape.keys);
            return shape.done_if_empty(pp, |s| s.base.clone());
        } else {
            let style = self.ctx_style(obj, ctor, tag);
            shape.braces[0] = format!("{style}{{");
            return shape.done_if_empty(pp, |_| format!("{style}{{}}"));
        };
        shape.braces[0] = format!("{}{{", get_prefix(ctor, tag, fallback, ""));
        shape.body = body;
        Shaped::Open(shape)
    }

    fn buffer_shape(
        &mut self,
        obj: &Object<'js>,
        mut shape: Shape<'js>,
        ctor: Option<&str>,
        tag: &str,
        typed_array: bool,
        pp: bool,
    ) -> Shaped<'js> {
        let prefix = get_prefix(ctor, tag, "ArrayBuffer", "");
        if !typed_array {
            shape.body = Body::Buffer;
        } else if shape.keys.is_empty() && !pp {
            let len = self.sh.get(obj, "byteLength");
            return Shaped::Done(format!("{prefix}{{ byteLength: {} }}", self.format_primitive(&len)));
        }
        shape.braces[0] = format!("{prefix}{{");
        if let Some(key) = self.str_key("byteLength") {
            shape.keys.insert(0, key);
        }
        Shaped::Open(shape)
    }

    fn has_iterator(&self, obj: &Object<'js>) -> bool {
        let symbol = Symbol::iterator(self.ctx().clone());
        self.sh.ok(obj.contains_key(symbol)).unwrap_or(false)
    }
}

// ---- keys and properties ----

impl<'js> Inspector<'_, 'js> {
    fn own_keys(&self, obj: &Object<'js>, query: raw::KeyQuery) -> Vec<Key<'js>> {
        let keys = raw::own_keys(self.ctx(), obj.as_value(), query).unwrap_or_default();
        keys.into_iter().map(|(value, _)| self.key(value)).collect()
    }

    fn key(&self, value: Value<'js>) -> Key<'js> {
        let name = value.is_string().then(|| self.sh.text(&value));
        Key { value, name }
    }

    fn str_key(&self, name: &str) -> Option<Key<'js>> {
        let value = self.sh.js_str(name)?;
        Some(Key { value, name: Some(name.to_string()) })
    }

    /// Node's `getKeys`: enumerable own string keys then enumerable symbols (all with showHidden).
    fn keys(&self, obj: &Object<'js>) -> Vec<Key<'js>> {
        let query = raw::KeyQuery {
            enumerable_only: !self.opts.show_hidden,
            symbols: true,
            skip_small_indices: false,
            limit: MAX_KEYS,
        };
        self.own_keys(obj, query)
    }

    /// Node's `getOwnNonIndexProperties` for arrays and typed arrays.
    fn non_index_keys(&self, obj: &Object<'js>) -> Vec<Key<'js>> {
        let query = raw::KeyQuery {
            enumerable_only: !self.opts.show_hidden,
            symbols: true,
            skip_small_indices: true,
            limit: MAX_KEYS,
        };
        let keys = self.own_keys(obj, query);
        let is_index = |k: &Key| k.name.as_deref().and_then(parse_array_index).is_some();
        keys.into_iter().filter(|k| !is_index(k)).collect()
    }

    fn descriptor(&self, obj: &Object<'js>, key: &Key<'js>) -> Desc<'js> {
        let own = raw::own_desc(self.ctx(), obj.as_value(), raw::KeyRef::Val(&key.value));
        if let Ok(Some(desc)) = own {
            return desc.into();
        }
        let value = self.sh.ok(obj.get::<_, Value>(key.value.clone()));
        let failed = value.is_none();
        Desc { value, get: false, set: false, enumerable: true, failed }
    }

    /// Node's `formatProperty`; `named` is false for array elements (`kArrayType`).
    fn format_property(
        &mut self,
        obj: &Object<'js>,
        recurse: i64,
        key: &Key<'js>,
        named: bool,
        desc: Option<Desc<'js>>,
    ) -> String {
        let desc = desc.unwrap_or_else(|| self.descriptor(obj, key));
        let text = match &desc.value {
            Some(value) => {
                self.indent += 2;
                let text = self.format_value(value, recurse, false);
                self.indent -= 2;
                text
            }
            None => self.sh.charged(accessor_label(&desc).to_string()),
        };
        if !named {
            return text;
        }
        let name = self.sh.charged(self.key_name(key, desc.enumerable));
        format!("{name}: {text}")
    }

    fn key_name(&self, key: &Key<'js>, enumerable: bool) -> String {
        match key.name.as_deref() {
            None => format!("[{}]", escape_raw(&self.sh.symbol_text(&key.value))),
            Some("__proto__") => "['__proto__']".into(),
            Some(name) if !enumerable => format!("[{}]", escape_raw(name)),
            Some(name) if is_identifier(name) => name.to_string(),
            Some(name) => quote(&name.chars().map(u32::from).collect::<Vec<_>>()),
        }
    }

    fn string_tag(&self, obj: &Object<'js>) -> String {
        let tag = self.sh.ok(obj.get::<_, Value>(PredefinedAtom::SymbolToStringTag));
        let Some(tag) = tag.filter(|t| t.is_string()) else { return String::new() };
        let tag = self.sh.text(&tag);
        if tag.is_empty() {
            return tag;
        }
        let key = raw::KeyRef::Atom(qjs::JS_ATOM_Symbol_toStringTag as _);
        let own = raw::own_desc(self.ctx(), obj.as_value(), key).ok().flatten();
        let hide = match self.opts.show_hidden {
            true => own.is_some(),
            false => own.is_some_and(|d| d.enumerable),
        };
        if hide { String::new() } else { tag }
    }
}

fn accessor_label(desc: &Desc<'_>) -> &'static str {
    match (desc.failed, desc.get, desc.set) {
        (true, ..) => "<Inspection threw>",
        (_, true, true) => "[Getter/Setter]",
        (_, true, false) => "[Getter]",
        (_, false, true) => "[Setter]",
        _ => "undefined",
    }
}

// ---- bodies: arrays, collections, typed arrays, buffers, promises ----

impl<'js> Inspector<'_, 'js> {
    fn array_len(&self, obj: &Object<'js>) -> u64 {
        let len = self.sh.get(obj, "length").as_number().unwrap_or(0.0);
        if len.is_finite() && len > 0.0 { len as u64 } else { 0 }
    }

    fn index_key(&self, i: usize) -> Key<'js> {
        let value = Value::new_int(self.ctx().clone(), i32::try_from(i).unwrap_or(i32::MAX));
        Key { value, name: Some(i.to_string()) }
    }

    fn format_array(&mut self, obj: &Object<'js>, recurse: i64) -> Vec<String> {
        let len = self.array_len(obj);
        let max = len.min(MAX_ARRAY_LENGTH as u64) as usize;
        let mut output = Vec::new();
        for i in 0..max {
            if self.sh.exhausted() {
                return output;
            }
            let key = self.index_key(i);
            let own = raw::own_desc(self.ctx(), obj.as_value(), raw::KeyRef::Val(&key.value));
            let Ok(Some(desc)) = own else {
                return self.format_special_array(obj, recurse, max, output, i);
            };
            output.push(self.format_property(obj, recurse, &key, false, Some(desc.into())));
        }
        if len > max as u64 {
            output.push(self.sh.charged(remaining_text(len - max as u64)));
        }
        output
    }

    /// Sparse arrays: runs of holes become `<N empty items>`.
    fn format_special_array(
        &mut self,
        obj: &Object<'js>,
        recurse: i64,
        max_len: usize,
        mut output: Vec<String>,
        start: usize,
    ) -> Vec<String> {
        let query = raw::KeyQuery {
            enumerable_only: true,
            symbols: false,
            skip_small_indices: false,
            limit: start + 2 * max_len + 2,
        };
        let keys = self.own_keys(obj, query);
        let mut index = start as u64;
        for key in keys.iter().skip(start) {
            if output.len() >= max_len || self.sh.exhausted() {
                break;
            }
            let Some(at) = key.name.as_deref().and_then(parse_array_index) else { break };
            if at != index {
                output.push(self.sh.charged(empty_items(at - index)));
                index = at;
                if output.len() == max_len {
                    break;
                }
            }
            output.push(self.format_property(obj, recurse, key, false, None));
            index += 1;
        }
        let remaining = self.array_len(obj).saturating_sub(index);
        if output.len() != max_len {
            if remaining > 0 {
                output.push(self.sh.charged(empty_items(remaining)));
            }
        } else if remaining > 0 {
            output.push(self.sh.charged(remaining_text(remaining)));
        }
        output
    }

    fn collection_size(&self, obj: &Object<'js>) -> usize {
        let size = self.sh.intrinsic_getter(obj.as_value(), "size");
        let size = size.and_then(|s| s.as_number()).unwrap_or(0.0);
        if size.is_finite() && size > 0.0 { size as usize } else { 0 }
    }

    /// Up to `limit` values produced by the realm's `method` iterator (`Map.prototype.entries`...).
    fn collection_items(&self, obj: &Object<'js>, method: &str, limit: usize) -> Vec<Value<'js>> {
        let mut items = Vec::new();
        let iter = self.sh.intrinsic(obj.as_value(), method).and_then(|i| i.into_object());
        let Some(iter) = iter else { return items };
        let Some(next) = self.sh.ok(iter.get::<_, Function>("next")) else { return items };
        while items.len() < limit && !self.sh.exhausted() {
            let step = self.sh.ok(next.call::<_, Object>((This(iter.clone()),)));
            let Some(step) = step else { break };
            if truthy(self.sh, &self.sh.get(&step, "done")) {
                break;
            }
            items.push(self.sh.get(&step, "value"));
        }
        items
    }

    fn format_set(&mut self, obj: &Object<'js>, recurse: i64) -> Vec<String> {
        let size = self.collection_size(obj);
        let max = size.min(MAX_ARRAY_LENGTH);
        self.indent += 2;
        let mut output = Vec::new();
        for value in self.collection_items(obj, "values", max) {
            output.push(self.format_value(&value, recurse, false));
        }
        if size > max {
            output.push(self.sh.charged(remaining_text((size - max) as u64)));
        }
        self.indent -= 2;
        output
    }

    fn format_map(&mut self, obj: &Object<'js>, recurse: i64) -> Vec<String> {
        let size = self.collection_size(obj);
        let max = size.min(MAX_ARRAY_LENGTH);
        self.indent += 2;
        let mut output = Vec::new();
        for entry in self.collection_items(obj, "entries", max) {
            let Some(entry) = entry.as_object() else { continue };
            let key = self.sh.ok(entry.get::<_, Value>(0)).unwrap_or_else(|| self.sh.undefined());
            let value = self.sh.ok(entry.get::<_, Value>(1)).unwrap_or_else(|| self.sh.undefined());
            let key = self.format_value(&key, recurse, false);
            let value = self.format_value(&value, recurse, false);
            output.push(format!("{key} => {value}"));
        }
        if size > max {
            output.push(self.sh.charged(remaining_text((size - max) as u64)));
        }
        self.indent -= 2;
        output
    }

    fn format_typed(&mut self, obj: &Object<'js>, len: usize, recurse: i64) -> Vec<String> {
        let max = len.min(MAX_ARRAY_LENGTH);
        let mut output = Vec::with_capacity(max + 1);
        for i in 0..max as u32 {
            let item = self.sh.ok(obj.get::<_, Value>(i)).unwrap_or_else(|| self.sh.undefined());
            output.push(self.sh.charged(self.format_primitive(&item)));
        }
        if len > max {
            output.push(self.sh.charged(remaining_text((len - max) as u64)));
        }
        if self.opts.show_hidden {
            self.indent += 2;
            for key in ["BYTES_PER_ELEMENT", "length", "byteLength", "byteOffset", "buffer"] {
                let value = self.sh.get(obj, key);
                let text = self.format_value(&value, recurse, true);
                output.push(format!("[{key}]: {text}"));
            }
            self.indent -= 2;
        }
        output
    }

    fn buffer_contents(&self, obj: &Object<'js>) -> String {
        let Some((bytes, total)) = raw::array_buffer_bytes(self.ctx(), obj.as_value(), MAX_ARRAY_LENGTH) else {
            return "(detached)".into();
        };
        let mut hex = bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
        if total > MAX_ARRAY_LENGTH {
            let more = total - MAX_ARRAY_LENGTH;
            hex.push_str(&format!(" ... {more} more byte{}", plural(more as u64)));
        }
        format!("[Uint8Contents]: <{hex}>")
    }

    fn format_promise(&mut self, obj: &Object<'js>, recurse: i64) -> Vec<String> {
        let (rejected, result) = match raw::promise_state(self.ctx(), obj.as_value()) {
            raw::PromiseState::Pending => return vec![self.sh.charged("<pending>".into())],
            raw::PromiseState::Fulfilled(v) => (false, v),
            raw::PromiseState::Rejected(v) => (true, v),
        };
        self.indent += 2;
        let text = self.format_value(&result, recurse, false);
        self.indent -= 2;
        vec![if rejected { format!("<rejected> {text}") } else { text }]
    }
}

// ---- names: constructors, tags, prefixes, functions, boxed primitives, dates ----

impl<'js> Inspector<'_, 'js> {
    /// Node's `getConstructorName`; `None` stands for a null prototype.
    fn constructor_name(
        &mut self,
        obj: &Object<'js>,
        recurse: i64,
        mut proto_props: Option<&mut Vec<String>>,
    ) -> Option<String> {
        let mut cur = Some(obj.clone());
        let mut first_proto: Option<Option<Object<'js>>> = None;
        for _ in 0..MAX_CHAIN {
            let Some(o) = cur else { break };
            if let Some((name, builtin)) = self.constructor_at(&o, obj) {
                let first = first_proto.clone().flatten();
                let differs = first.as_ref() != Some(&o);
                if let Some(out) = proto_props.as_deref_mut().filter(|_| differs || !builtin) {
                    self.add_proto_props(obj, first.as_ref().unwrap_or(obj), recurse, out);
                }
                return Some(name);
            }
            let next = raw::proto(self.ctx(), o.as_value()).ok().flatten();
            first_proto.get_or_insert_with(|| next.clone());
            cur = next;
        }
        let first = first_proto.flatten()?;
        self.prototype_description(obj, &first, recurse, proto_props)
    }

    /// The constructor name found at `o` on `tmp`'s chain, and whether it counts as built-in for
    /// `%o`'s prototype properties (well-known prototypes always do).
    fn constructor_at(&self, o: &Object<'js>, tmp: &Object<'js>) -> Option<(String, bool)> {
        if self.sh.object_proto.as_ref() == Some(o) {
            return Some(("Object".into(), true));
        }
        if self.sh.function_proto.as_ref() == Some(o) {
            return Some(("Function".into(), true));
        }
        let desc = raw::own_desc(self.ctx(), o.as_value(), raw::KeyRef::Str("constructor")).ok()??;
        let ctor = desc.value.filter(|v| v.is_function())?;
        let name = self.sh.get(ctor.as_object()?, "name");
        if name.is_string() && self.sh.text(&name).is_empty() {
            return None;
        }
        if !raw::instance_of(self.ctx(), tmp.as_value(), &ctor) {
            return None;
        }
        let name = self.sh.to_string(&name)?;
        let builtin = BUILTINS.contains(&name.as_str());
        Some((name, builtin))
    }

    /// `Name <proto>` for objects whose chain has no usable constructor.
    fn prototype_description(
        &mut self,
        obj: &Object<'js>,
        first: &Object<'js>,
        recurse: i64,
        proto_props: Option<&mut Vec<String>>,
    ) -> Option<String> {
        let res = self.internal_name(obj);
        if recurse > self.opts.depth {
            return Some(format!("{res} <Complex prototype>"));
        }
        match self.constructor_name(first, recurse + 1, proto_props) {
            Some(proto) => Some(format!("{res} <{proto}>")),
            None => {
                let opts = Options { depth: -1, ..self.opts };
                let mut sub = Inspector::new(self.sh, opts, self.indent);
                Some(format!("{res} <{}>", sub.format_value(first.as_value(), 0, false)))
            }
        }
    }

    /// Node's `addPrototypeProperties` (`%o` only): non-method properties of user prototypes.
    fn add_proto_props(&mut self, main: &Object<'js>, start: &Object<'js>, recurse: i64, out: &mut Vec<String>) {
        let mut obj = start.clone();
        let mut key_set: Vec<Key<'js>> = Vec::new();
        let mut keys: Vec<Key<'js>> = Vec::new();
        for depth in 0..3 {
            if depth != 0 || obj == *main {
                let Ok(Some(proto)) = raw::proto(self.ctx(), obj.as_value()) else { return };
                obj = proto;
                let name = self.sh.constructor_fn_name(&obj);
                if name.is_some_and(|n| BUILTINS.contains(&n.as_str())) {
                    return;
                }
            }
            key_set.append(&mut keys);
            let query = raw::KeyQuery { enumerable_only: false, symbols: true, skip_small_indices: false, limit: MAX_KEYS };
            keys = self.own_keys(&obj, query);
            self.seen.push(main.as_value().clone());
            for key in &keys {
                if let Some(text) = self.proto_prop(main, &obj, key, depth, &key_set, recurse) {
                    out.push(text);
                }
            }
            self.seen.pop();
        }
    }

    fn proto_prop(
        &mut self,
        main: &Object<'js>,
        obj: &Object<'js>,
        key: &Key<'js>,
        depth: usize,
        key_set: &[Key<'js>],
        recurse: i64,
    ) -> Option<String> {
        let own_on_main = self.sh.has_own(main, raw::KeyRef::Val(&key.value));
        if key.is("constructor") || own_on_main || (depth != 0 && key_set.iter().any(|k| k.same(key))) {
            return None;
        }
        let desc = raw::own_desc(self.ctx(), obj.as_value(), raw::KeyRef::Val(&key.value)).ok()??;
        if desc.value.as_ref().is_some_and(|v| v.is_function()) {
            return None;
        }
        Some(self.format_property(obj, recurse, key, true, Some(desc.into())))
    }

    /// Stand-in for V8's internal constructor name of an object.
    fn internal_name(&self, obj: &Object<'js>) -> String {
        let value = obj.as_value();
        let name = if value.is_array() {
            "Array"
        } else if value.is_function() {
            "Function"
        } else if raw::is_map(value) {
            "Map"
        } else if raw::is_set(value) {
            "Set"
        } else if raw::is_date(value) {
            "Date"
        } else if raw::is_regexp(value) {
            "RegExp"
        } else if raw::is_error(value) {
            "Error"
        } else if value.is_promise() {
            "Promise"
        } else {
            raw::typed_array_kind(value).map_or("Object", typed_array_name)
        };
        name.to_string()
    }

    /// Node's `getCtxStyle`.
    fn ctx_style(&self, obj: &Object<'js>, ctor: Option<&str>, tag: &str) -> String {
        let mut fallback = String::new();
        if ctor.is_none() {
            fallback = self.internal_name(obj);
            if fallback == tag {
                fallback = "Object".into();
            }
        }
        get_prefix(ctor, tag, &fallback, "")
    }

    fn function_base(&self, f: &Object<'js>, ctor: Option<&str>, tag: &str) -> String {
        let source = self.sh.function_proto.as_ref().and_then(|p| self.sh.call_method(p, "toString", f.as_value()));
        let source = source.filter(|s| s.is_string()).map(|s| self.sh.text(&s));
        if source.as_deref().is_some_and(looks_like_class) {
            return self.class_base(f, ctor, tag);
        }
        let id = raw::class_id(f.as_value());
        let ids = &self.sh.ids;
        let generator = id == ids.generator_function || id == ids.async_generator_function;
        let is_async = raw::is_async_function(f.as_value()) || id == ids.async_generator_function;
        let kind = format!("{}{}Function", if is_async { "Async" } else { "" }, if generator { "Generator" } else { "" });
        let mut base = format!("[{kind}");
        if ctor.is_none() {
            base.push_str(" (null prototype)");
        }
        let name = self.sh.get(f, "name");
        if name.is_string() && self.sh.text(&name).is_empty() {
            base.push_str(" (anonymous)");
        } else {
            base.push_str(&format!(": {}", self.sh.to_string(&name).unwrap_or_default()));
        }
        base.push(']');
        if let Some(ctor) = ctor.filter(|c| *c != kind) {
            base.push_str(&format!(" {ctor}"));
        }
        if !tag.is_empty() && ctor != Some(tag) {
            base.push_str(&format!(" [{tag}]"));
        }
        base
    }

    fn class_base(&self, f: &Object<'js>, ctor: Option<&str>, tag: &str) -> String {
        let name = match self.sh.has_own(f, raw::KeyRef::Str("name")) {
            true => Some(self.sh.get(f, "name")).filter(|n| truthy(self.sh, n)),
            false => None,
        };
        let name = name.and_then(|n| self.sh.to_string(&n)).unwrap_or_else(|| "(anonymous)".into());
        let mut base = format!("class {name}");
        if let Some(ctor) = ctor.filter(|c| *c != "Function") {
            base.push_str(&format!(" [{ctor}]"));
        }
        if !tag.is_empty() && ctor != Some(tag) {
            base.push_str(&format!(" [{tag}]"));
        }
        if ctor.is_none() {
            base.push_str(" extends [null prototype]");
        } else if let Ok(Some(parent)) = raw::proto(self.ctx(), f.as_value()) {
            let parent = self.sh.get(&parent, "name");
            if truthy(self.sh, &parent) {
                base.push_str(&format!(" extends {}", self.sh.to_string(&parent).unwrap_or_default()));
            }
        }
        format!("[{base}]")
    }

    fn boxed_kind(&self, value: &Value<'js>) -> Option<&'static str> {
        let id = raw::class_id(value);
        let ids = &self.sh.ids;
        let table = [
            (ids.number, "Number"),
            (ids.string, "String"),
            (ids.boolean, "Boolean"),
            (ids.big_int, "BigInt"),
            (ids.symbol, "Symbol"),
        ];
        table.iter().find(|(i, _)| *i == id && id != 0).map(|(_, name)| *name)
    }

    /// Node's `getBoxedBase`: `[Number: 3]`, `[String: 'abc']`...
    fn boxed_base(
        &mut self,
        obj: &Object<'js>,
        kind: &str,
        ctor: Option<&str>,
        tag: &str,
        keys: &mut Vec<Key<'js>>,
    ) -> String {
        let primitive = self.sh.intrinsic(obj.as_value(), "valueOf").unwrap_or_else(|| self.sh.undefined());
        if kind == "String" {
            let len = self.array_len(obj) as usize;
            keys.drain(..len.min(keys.len()));
        }
        let mut base = format!("[{kind}");
        if ctor != Some(kind) {
            match ctor {
                None => base.push_str(" (null prototype)"),
                Some(ctor) => base.push_str(&format!(" ({ctor})")),
            }
        }
        base.push_str(&format!(": {}]", self.format_primitive(&primitive)));
        if !tag.is_empty() && ctor != Some(tag) {
            base.push_str(&format!(" [{tag}]"));
        }
        base
    }

    fn intrinsic_text(&self, value: &Value<'js>, method: &str) -> String {
        let text = self.sh.intrinsic(value, method);
        text.and_then(|t| self.sh.to_string(&t)).unwrap_or_default()
    }

    fn date_text(&self, value: &Value<'js>) -> String {
        let time = self.sh.intrinsic(value, "getTime").and_then(|t| t.as_number());
        match time.is_some_and(|t| !t.is_nan()) {
            true => self.intrinsic_text(value, "toISOString"),
            false => self.intrinsic_text(value, "toString"),
        }
    }
}

/// Node's `getPrefix`.
fn get_prefix(ctor: Option<&str>, tag: &str, fallback: &str, size: &str) -> String {
    match ctor {
        None if !tag.is_empty() && fallback != tag => format!("[{fallback}{size}: null prototype] [{tag}] "),
        None => format!("[{fallback}{size}: null prototype] "),
        Some(ctor) if !tag.is_empty() && ctor != tag => format!("{ctor}{size} [{tag}] "),
        Some(ctor) => format!("{ctor}{size} "),
    }
}

fn typed_array_name(kind: i32) -> &'static str {
    const NAMES: [&str; 12] = [
        "Uint8ClampedArray", "Int8Array", "Uint8Array", "Int16Array", "Uint16Array", "Int32Array",
        "Uint32Array", "BigInt64Array", "BigUint64Array", "Float16Array", "Float32Array",
        "Float64Array",
    ];
    usize::try_from(kind).ok().and_then(|k| NAMES.get(k)).copied().unwrap_or("TypedArray")
}

/// Whether `Function.prototype.toString` text is a class (Node's `getFunctionBase` check).
fn looks_like_class(source: &str) -> bool {
    let Some(body) = source.strip_prefix("class").and_then(|s| s.strip_suffix('}')) else {
        return false;
    };
    let Some(brace) = body.find('{') else { return false };
    if !body[..brace].contains('(') {
        return true;
    }
    let stripped = strip_comments(body);
    let starts_blank = stripped.chars().next().is_some_and(char::is_whitespace);
    match (stripped.find('{'), stripped.find('(')) {
        (Some(b), Some(p)) => starts_blank && b < p,
        (Some(_), None) => starts_blank,
        _ => false,
    }
}

/// Removes `// ...\n` and `/* ... */` comments (Node's `stripCommentsRegExp`).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('/') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let end = if tail.starts_with("//") {
            tail.find('\n').map(|e| e + 1)
        } else if tail.starts_with("/*") {
            tail[2..].find("*/").map(|e| e + 4)
        } else {
            None
        };
        match end {
            Some(end) => rest = &tail[end..],
            None => {
                out.push('/');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

// ---- errors ----

impl<'js> Inspector<'_, 'js> {
    /// Node's `formatError`: the stack (or `[Name: message]`), with duplicate keys dropped and
    /// `cause` / `errors` added to the keys.
    fn format_error(&mut self, err: &Object<'js>, ctor: Option<&str>, tag: &str, keys: &mut Vec<Key<'js>>) -> String {
        let name = self.sh.get(err, "name");
        let name = match name.is_null() || name.is_undefined() {
            true => "Error".to_string(),
            false => self.sh.to_string(&name).unwrap_or_else(|| "Error".into()),
        };
        let stack = self.stack_string(err);
        self.remove_duplicate_error_keys(keys, err, &stack);
        for extra in ["cause", "errors"] {
            let present = match extra {
                "cause" => raw::has_property(self.ctx(), err.as_value(), extra),
                _ => self.sh.get(err, extra).is_array(),
            };
            if present && !keys.iter().any(|k| k.is(extra)) {
                keys.extend(self.str_key(extra));
            }
        }
        let stack = improve_stack(stack, ctor, &name, tag);
        let stack = self.wrap_stack(err, stack);
        match self.indent {
            0 => stack,
            n => stack.replace('\n', &format!("\n{}", " ".repeat(n))),
        }
    }

    /// `err.stack` if truthy, else `Error.prototype.toString`. QuickJS stacks lack the
    /// `Name: message` first line V8 has, so it is added.
    fn stack_string(&self, err: &Object<'js>) -> String {
        let stack = self.sh.get(err, "stack");
        if !truthy(self.sh, &stack) {
            return self.sh.error_to_string(err.as_value());
        }
        let stack = self.sh.to_string(&stack).unwrap_or_default();
        match stack.starts_with("    at ") {
            true => format!("{}\n{}", self.sh.error_to_string(err.as_value()), stack.trim_end_matches('\n')),
            false => stack,
        }
    }

    fn remove_duplicate_error_keys(&self, keys: &mut Vec<Key<'js>>, err: &Object<'js>, stack: &str) {
        if self.opts.show_hidden {
            return;
        }
        for name in ["name", "message", "stack"] {
            let Some(index) = keys.iter().position(|k| k.is(name)) else { continue };
            let value = self.sh.get(err, name);
            let text = self.sh.to_string(&value).unwrap_or_default();
            if stack.contains(&text) {
                keys.remove(index);
            }
        }
    }

    /// Brackets a stack without frames; otherwise dedupes frames shared with `cause`.
    fn wrap_stack(&self, err: &Object<'js>, stack: String) -> String {
        let message = self.sh.get(err, "message");
        let mut pos = None;
        if truthy(self.sh, &message) {
            let text = self.sh.to_string(&message).unwrap_or_default();
            pos = stack.find(&text).filter(|p| *p != 0);
            if !message.is_string() {
                pos = pos.map(|_| 0);
            } else {
                pos = pos.map(|p| p + text.len());
            }
        }
        let from = pos.unwrap_or(0).min(stack.len());
        let Some(start) = stack.get(from..).and_then(|s| s.find("\n    at")).map(|p| p + from) else {
            return format!("[{stack}]");
        };
        let frames = self.stack_frames(err, &stack[start + 1..]);
        format!("{}\n{}", &stack[..start], frames.join("\n"))
    }

    fn stack_frames(&self, err: &Object<'js>, frames: &str) -> Vec<String> {
        let mut lines: Vec<String> = frames.split('\n').map(str::to_string).collect();
        let cause = self.sh.get(err, "cause");
        let Some(cause) = cause.as_object().filter(|c| self.sh.is_error(c.as_value())) else {
            return lines;
        };
        let cause_stack = self.stack_string(cause);
        let Some(at) = cause_stack.find("\n    at") else { return lines };
        let cause_lines: Vec<&str> = cause_stack[at + 1..].split('\n').collect();
        let (len, offset) = identical_sequence_range(&lines, &cause_lines);
        if len > 0 {
            let skipped = len - 2;
            let msg = format!("    ... {skipped} lines matching cause stack trace ...");
            lines.splice(offset + 1..offset + 1 + skipped, [msg]);
        }
        lines
    }
}

/// Node's `identicalSequenceRange`.
fn identical_sequence_range(a: &[String], b: &[&str]) -> (usize, usize) {
    for i in 0..a.len().saturating_sub(3) {
        let Some(pos) = b.iter().position(|line| *line == a[i]) else { continue };
        let rest = b.len() - pos;
        if rest > 3 {
            let max = (a.len() - i).min(rest);
            let mut len = 1;
            while max > len && a[i + len] == b[pos + len] {
                len += 1;
            }
            if len > 3 {
                return (len, i);
            }
        }
    }
    (0, 0)
}

/// Node's `improveStack`: puts the constructor name into the first line of "regular" errors.
fn improve_stack(stack: String, ctor: Option<&str>, name: &str, tag: &str) -> String {
    let mut len = name.len();
    let regular = name.ends_with("Error")
        && stack.starts_with(name)
        && matches!(stack.as_bytes().get(len), None | Some(b':') | Some(b'\n'));
    if ctor.is_some() && !regular {
        return stack;
    }
    let mut fallback = "Error".to_string();
    if ctor.is_none() {
        let found = null_proto_error_name(&stack).unwrap_or_default();
        len = found.len();
        fallback = if found.is_empty() { "Error".into() } else { found };
    }
    let mut prefix = get_prefix(ctor, tag, &fallback, "");
    prefix.pop();
    if name == prefix {
        return stack;
    }
    let rest = stack.get(len..).unwrap_or_default();
    match prefix.contains(name) {
        true if len == 0 => format!("{prefix}: {stack}"),
        true => format!("{prefix}{rest}"),
        false => format!("{prefix} [{name}]{rest}"),
    }
}

/// `/^([A-Z][a-z_ A-Z0-9[\]()-]+)(?::|\n {4}at)/` or `/^([a-z_A-Z0-9-]*Error)$/` on a stack.
fn null_proto_error_name(stack: &str) -> Option<String> {
    let class = |c: char| c.is_ascii_alphanumeric() || " _[]()-".contains(c);
    if stack.starts_with(|c: char| c.is_ascii_uppercase()) {
        let end = stack.find(|c: char| !class(c)).unwrap_or(stack.len());
        let rest = &stack[end..];
        if end > 1 && (rest.starts_with(':') || rest.starts_with("\n    at")) {
            return Some(stack[..end].to_string());
        }
    }
    let whole = stack.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    (whole && stack.ends_with("Error")).then(|| stack.to_string())
}

// ---- primitives and strings ----

impl<'js> Inspector<'_, 'js> {
    fn format_primitive(&self, value: &Value<'js>) -> String {
        if value.is_string() {
            return self.format_string(value);
        }
        if let Some(n) = value.as_int() {
            return n.to_string();
        }
        if let Some(n) = value.as_number() {
            return self.sh.number_text(n);
        }
        if value.is_big_int() {
            return format!("{}n", self.sh.to_string(value).unwrap_or_default());
        }
        if let Some(b) = value.as_bool() {
            return b.to_string();
        }
        if value.is_null() {
            return "null".into();
        }
        if value.is_symbol() {
            return self.sh.symbol_text(value);
        }
        "undefined".into()
    }

    /// A quoted, escaped string; long ones are cut at 10 000 units and split after newlines.
    fn format_string(&self, value: &Value<'js>) -> String {
        let bytes = raw::string_bytes(self.ctx(), value).unwrap_or_default();
        let (cps, total) = decode_wtf8(&bytes, MAX_STRING_LENGTH);
        let mut trailer = String::new();
        if total > MAX_STRING_LENGTH {
            let more = total - MAX_STRING_LENGTH;
            trailer = format!("... {more} more character{}", plural(more as u64));
        }
        let len = total.min(MAX_STRING_LENGTH) as i64;
        let limit = BREAK_LENGTH as i64 - self.indent as i64 - 4;
        if len <= MIN_LINE_WIDTH as i64 || len <= limit {
            return quote(&cps) + &trailer;
        }
        let lines: Vec<String> = cps.split_inclusive(|c| *c == u32::from('\n')).map(quote).collect();
        lines.join(&format!(" +\n{}", " ".repeat(self.indent + 2))) + &trailer
    }
}

fn remaining_text(remaining: u64) -> String {
    format!("... {remaining} more item{}", plural(remaining))
}

fn empty_items(count: u64) -> String {
    format!("<{count} empty item{}>", plural(count))
}

fn plural(n: u64) -> &'static str {
    if n > 1 { "s" } else { "" }
}

/// `/^[a-zA-Z_][a-zA-Z_0-9]*$/`
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let first = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A canonical array index (`/^(0|[1-9][0-9]*)$/`, at most 2^32 - 2).
fn parse_array_index(name: &str) -> Option<u64> {
    let digits = !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit());
    if !digits || (name.len() > 1 && name.starts_with('0')) || name.len() > 10 {
        return None;
    }
    name.parse::<u64>().ok().filter(|n| *n <= 4_294_967_294)
}

fn truthy<'js>(sh: &Shared<'js>, value: &Value<'js>) -> bool {
    if let Some(b) = value.as_bool() {
        return b;
    }
    if value.is_undefined() || value.is_null() {
        return false;
    }
    if let Some(n) = value.as_number() {
        return n != 0.0 && !n.is_nan();
    }
    if value.is_string() {
        return raw::string_bytes(&sh.ctx, value).is_some_and(|b| !b.is_empty());
    }
    if value.is_big_int() {
        return sh.to_string(value).is_some_and(|t| t != "0");
    }
    true
}

/// Decodes QuickJS's WTF-8 into code points (lone surrogates kept as 0xD800..=0xDFFF), keeping at
/// most `max_units` UTF-16 units (a pair cut in half leaves its high surrogate, like
/// `String.prototype.slice`). Also returns the total length in UTF-16 units.
fn decode_wtf8(bytes: &[u8], max_units: usize) -> (Vec<u32>, usize) {
    let mut cps = Vec::new();
    let (mut units, mut i) = (0usize, 0usize);
    while let Some(rest) = bytes.get(i..).filter(|r| !r.is_empty()) {
        let (cp, n) = next_code_point(rest);
        i += n;
        let width = if cp >= 0x10000 { 2 } else { 1 };
        if units + width <= max_units {
            cps.push(cp);
        } else if units < max_units {
            cps.push(0xD800 + ((cp - 0x10000) >> 10));
        }
        units += width;
    }
    (cps, units)
}

fn next_code_point(bytes: &[u8]) -> (u32, usize) {
    let lead = u32::from(bytes[0]);
    let (len, init) = match lead {
        0x00..=0x7f => return (lead, 1),
        0xc0..=0xdf => (2, lead & 0x1f),
        0xe0..=0xef => (3, lead & 0x0f),
        0xf0..=0xf7 => (4, lead & 0x07),
        _ => return (0xFFFD, 1),
    };
    let Some(tail) = bytes.get(1..len) else { return (0xFFFD, 1) };
    let mut cp = init;
    for &b in tail {
        if b & 0xc0 != 0x80 {
            return (0xFFFD, 1);
        }
        cp = (cp << 6) | u32::from(b & 0x3f);
    }
    (cp, len)
}

fn lossy(cps: &[u32]) -> String {
    cps.iter().map(|&c| char::from_u32(c).unwrap_or('\u{FFFD}')).collect()
}

/// Node's `strEscape`: single quotes unless the text has some, then double quotes, then backticks.
fn quote(cps: &[u32]) -> String {
    let has = |c: char| cps.contains(&u32::from(c));
    let dollar_brace = cps.windows(2).any(|w| w == [u32::from('$'), u32::from('{')]);
    let mut quote = '\'';
    if has('\'') {
        if !has('"') {
            quote = '"';
        } else if !has('`') && !dollar_brace {
            quote = '`';
        }
    }
    let mut out = String::with_capacity(cps.len() + 2);
    out.push(quote);
    for &cp in cps {
        push_escaped(&mut out, cp, quote == '\'');
    }
    out.push(quote);
    out
}

/// Escapes like Node's `strEscapeSequencesReplacer` (control chars, `'`, `\`, lone surrogates).
fn escape_raw(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_escaped(&mut out, u32::from(c), true);
    }
    out
}

fn push_escaped(out: &mut String, cp: u32, escape_single: bool) {
    match cp {
        0x27 if escape_single => out.push_str("\\'"),
        0x5c => out.push_str("\\\\"),
        0x08 => out.push_str("\\b"),
        0x09 => out.push_str("\\t"),
        0x0a => out.push_str("\\n"),
        0x0c => out.push_str("\\f"),
        0x0d => out.push_str("\\r"),
        0x00..=0x1f | 0x7f..=0x9f => out.push_str(&format!("\\x{cp:02X}")),
        0xD800..=0xDFFF => out.push_str(&format!("\\u{cp:x}")),
        _ => out.push(char::from_u32(cp).unwrap_or('\u{FFFD}')),
    }
}

/// JS `.length` of a Rust string.
fn js_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Display width as Node's `getStringWidth(str, false)` (non-ICU tables for non-ASCII).
fn string_width(text: &str) -> usize {
    text.chars()
        .map(|c| {
            let code = u32::from(c);
            match code {
                0..=0x1f => 0,
                0x20..=0x7e => 1,
                _ if is_zero_width(code) => 0,
                _ if is_full_width(code) => 2,
                _ => 1,
            }
        })
        .sum()
}

fn is_zero_width(code: u32) -> bool {
    matches!(code, 0x7f..=0x9f | 0x300..=0x36f | 0x200b..=0x200f | 0x20d0..=0x20ff)
        || matches!(code, 0xfe00..=0xfe0f | 0xfe20..=0xfe2f | 0xe0100..=0xe01ef)
}

fn is_full_width(code: u32) -> bool {
    code >= 0x1100
        && (code <= 0x115f
            || code == 0x2329
            || code == 0x232a
            || (0x2e80..=0x3247).contains(&code) && code != 0x303f
            || matches!(code, 0x3250..=0x4dbf | 0x4e00..=0xa4c6 | 0xa960..=0xa97c | 0xac00..=0xd7a3)
            || matches!(code, 0xf900..=0xfaff | 0xfe10..=0xfe19 | 0xfe30..=0xfe6b | 0xff01..=0xff60)
            || matches!(code, 0xffe0..=0xffe6 | 0x1b000..=0x1b001 | 0x1f200..=0x1f251)
            || matches!(code, 0x1f300..=0x1f64f | 0x20000..=0x3fffd))
}

/// `parseInt(text)` (radix 10 unless a `0x` prefix).
fn parse_int(text: &str) -> f64 {
    let text = trim_js_start(text);
    let (negative, text) = split_sign(text);
    let (radix, text) = match text.get(..2) {
        Some("0x" | "0X") => (16, &text[2..]),
        _ => (10, text),
    };
    let end = text.find(|c: char| !c.is_digit(radix)).unwrap_or(text.len());
    let digits = &text[..end];
    if digits.is_empty() {
        return f64::NAN;
    }
    let value = match radix {
        10 => digits.parse::<f64>().unwrap_or(f64::NAN),
        _ => digits.chars().filter_map(|c| c.to_digit(16)).fold(0.0, |acc, d| acc * 16.0 + f64::from(d)),
    };
    if negative { -value } else { value }
}

/// `parseFloat(text)`: the longest prefix that is a decimal literal or `Infinity`.
fn parse_float(text: &str) -> f64 {
    let text = trim_js_start(text);
    let (negative, rest) = split_sign(text);
    let sign = if negative { -1.0 } else { 1.0 };
    if rest.starts_with("Infinity") {
        return sign * f64::INFINITY;
    }
    let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let int_len = digits(rest);
    let mut end = int_len;
    let mut frac_len = 0;
    if rest[end..].starts_with('.') {
        frac_len = digits(&rest[end + 1..]);
        end += 1 + frac_len;
    }
    if int_len + frac_len == 0 {
        return f64::NAN;
    }
    let int_part = if int_len == 0 { "0" } else { &rest[..int_len] };
    let frac_part = if frac_len == 0 { "0" } else { &rest[int_len + 1..end] };
    let mut literal = format!("{int_part}.{frac_part}");
    if let Some(e) = rest[end..].strip_prefix(['e', 'E']) {
        let (exp_negative, e) = split_sign(e);
        let exp_len = digits(e);
        if exp_len > 0 {
            literal = format!("{literal}e{}{}", if exp_negative { "-" } else { "" }, &e[..exp_len]);
        }
    }
    sign * literal.parse::<f64>().unwrap_or(f64::NAN)
}

fn split_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

/// Trims JS `WhiteSpace` and `LineTerminator` characters from the start.
fn trim_js_start(text: &str) -> &str {
    text.trim_start_matches(|c: char| {
        matches!(c, '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}')
            || matches!(c, '\u{2000}'..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}')
            || matches!(c, '\u{205f}' | '\u{3000}' | '\u{feff}')
    })
}

// ---- line breaking ----

impl<'js> Inspector<'_, 'js> {
    /// Node's `reduceToSingleString` for `compact: 3`.
    fn reduce_to_single_string(
        &self,
        mut output: Vec<String>,
        base: &str,
        braces: &[String; 2],
        extras: bool,
        recurse: i64,
        value: Option<&Object<'js>>,
    ) -> String {
        let entries = output.len();
        if extras && entries > 6 {
            output = self.group_array_elements(output, value);
        }
        let base_prefix = if base.is_empty() { String::new() } else { format!("{base} ") };
        if self.current_depth - recurse < COMPACT && entries == output.len() {
            let start = output.len() + self.indent + js_len(&braces[0]) + js_len(base) + 10;
            if is_below_break_length(&output, start, base) {
                let joined = output.join(", ");
                if !joined.contains('\n') {
                    return format!("{base_prefix}{} {joined} {}", braces[0], braces[1]);
                }
            }
        }
        let indentation = format!("\n{}", " ".repeat(self.indent));
        let joined = output.join(&format!(",{indentation}  "));
        format!("{base_prefix}{}{indentation}  {joined}{indentation}{}", braces[0], braces[1])
    }

    /// Node's `groupArrayElements`: lays out many short entries in aligned columns.
    fn group_array_elements(&self, output: Vec<String>, value: Option<&Object<'js>>) -> Vec<String> {
        let mut output_len = output.len();
        if MAX_ARRAY_LENGTH < output.len() {
            output_len -= 1;
        }
        let data_len: Vec<usize> = output[..output_len].iter().map(|o| string_width(o)).collect();
        let total: usize = data_len.iter().map(|l| l + 2).sum();
        let max_len = data_len.iter().copied().max().unwrap_or(0);
        let actual_max = max_len + 2;
        let fits = actual_max * 3 + self.indent < BREAK_LENGTH;
        if !(fits && (total as f64 / actual_max as f64 > 5.0 || max_len <= 6)) {
            return output;
        }
        let columns = self.column_count(&data_len, output.len(), actual_max);
        if columns <= 1 {
            return output;
        }
        let max_line: Vec<usize> = (0..columns)
            .map(|i| data_len.iter().skip(i).step_by(columns).copied().max().unwrap_or(0) + 2)
            .collect();
        let pad_start = value.is_none_or(|v| self.all_numeric(v, output.len()));
        let mut grouped = Vec::new();
        for row in (0..output_len).step_by(columns) {
            let end = (row + columns).min(output_len);
            grouped.push(layout_row(&output, &data_len, &max_line, row, end, pad_start));
        }
        if MAX_ARRAY_LENGTH < output.len() {
            grouped.extend(output.last().cloned());
        }
        grouped
    }

    fn column_count(&self, data_len: &[usize], entries: usize, actual_max: usize) -> usize {
        let total: usize = data_len.iter().map(|l| l + 2).sum();
        let actual = actual_max as f64;
        let average_bias = (actual - total as f64 / entries as f64).sqrt();
        let biased_max = (actual - 3.0 - average_bias).max(1.0);
        let square = ((2.5 * biased_max * data_len.len() as f64).sqrt() / biased_max).round();
        let by_width = (BREAK_LENGTH.saturating_sub(self.indent) as f64 / actual).floor();
        square.min(by_width).min(COMPACT as f64 * 4.0).min(15.0).max(0.0) as usize
    }

    /// Whether the first `count` elements are all numbers or BigInts (then columns align right).
    fn all_numeric(&self, value: &Object<'js>, count: usize) -> bool {
        (0..count).all(|i| {
            let item = u32::try_from(i).ok().and_then(|i| self.sh.ok(value.get::<_, Value>(i)));
            item.is_some_and(|v| v.is_number() || v.is_big_int())
        })
    }
}

/// One row of grouped entries, padded to the column widths (`padStart` for numbers).
fn layout_row(
    output: &[String],
    data_len: &[usize],
    max_line: &[usize],
    row: usize,
    end: usize,
    pad_start: bool,
) -> String {
    let mut line = String::new();
    for j in row..end {
        let last = j + 1 == end;
        let cell = if last { output[j].clone() } else { format!("{}, ", output[j]) };
        if last && !pad_start {
            line.push_str(&cell);
            continue;
        }
        let extra = js_len(&output[j]) as i64 - data_len[j] as i64;
        let width = max_line[j - row] as i64 + extra - if last { 2 } else { 0 };
        let pad = " ".repeat(usize::try_from(width - js_len(&cell) as i64).unwrap_or(0));
        match pad_start {
            true => line.push_str(&(pad + &cell)),
            false => line.push_str(&(cell + &pad)),
        }
    }
    line
}

/// Node's `isBelowBreakLength`.
fn is_below_break_length(output: &[String], start: usize, base: &str) -> bool {
    let mut total = output.len() + start;
    if total + output.len() > BREAK_LENGTH {
        return false;
    }
    for entry in output {
        total += js_len(entry);
        if total > BREAK_LENGTH {
            return false;
        }
    }
    base.is_empty() || !base.contains('\n')
}

// ---------------------------------------------------------------------------------------------
// Class ids of built-ins QuickJS has no public predicate for, learnt once from sample objects
// (they are compile-time constants of the QuickJS build, identical in every runtime).

#[derive(Clone, Copy, Default)]
struct ClassIds {
    object: u32,
    error: u32,
    number: u32,
    string: u32,
    boolean: u32,
    symbol: u32,
    big_int: u32,
    arguments: u32,
    mapped_arguments: u32,
    generator_function: u32,
    async_generator_function: u32,
}

static CLASS_IDS: OnceLock<ClassIds> = OnceLock::new();

const SAMPLES: &str = "(function (a) { return [arguments, (function () { 'use strict'; \
                       return arguments; })(), function* () {}, async function* () {}]; })(0)";

impl ClassIds {
    fn get(ctx: &Ctx<'_>) -> Self {
        if let Some(ids) = CLASS_IDS.get() {
            return *ids;
        }
        match Self::probe(ctx) {
            Some(ids) => *CLASS_IDS.get_or_init(|| ids),
            None => {
                let _ = ctx.catch();
                Self::default()
            }
        }
    }

    fn probe(ctx: &Ctx<'_>) -> Option<Self> {
        let boxed = |v: Value<'_>| raw::to_object(ctx, &v).map(|o| raw::class_id(&o));
        let string = rquickjs::String::from_str(ctx.clone(), "").ok()?.into_value();
        let big_int = rquickjs::BigInt::from_i64(ctx.clone(), 0).ok()?.into_value();
        let mut options = EvalOptions::default();
        options.strict = false;
        let samples: Array = ctx.eval_with_options(SAMPLES, options).ok()?;
        let sample = |i: usize| samples.get::<Value>(i).ok().map(|v| raw::class_id(&v));
        Some(Self {
            object: raw::class_id(Object::new(ctx.clone()).ok()?.as_value()),
            error: raw::class_id(&raw::new_error(ctx)?),
            number: boxed(Value::new_int(ctx.clone(), 0))?,
            string: boxed(string)?,
            boolean: boxed(Value::new_bool(ctx.clone(), false))?,
            symbol: boxed(Symbol::iterator(ctx.clone()).into_value())?,
            big_int: boxed(big_int)?,
            mapped_arguments: sample(0)?,
            arguments: sample(1)?,
            generator_function: sample(2)?,
            async_generator_function: sample(3)?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Thin wrappers over the QuickJS C API. Every function here takes values that belong to `ctx`,
// takes ownership of what QuickJS returns exactly once, and clears any exception it raises.

mod raw {
    use std::mem::MaybeUninit;
    use std::ptr;

    use rquickjs::{Ctx, Object, Value, qjs};

    /// QuickJS marks integer atoms (array indices below 2^31) with this bit.
    const ATOM_TAG_INT: u32 = 1 << 31;

    fn cx(ctx: &Ctx<'_>) -> *mut qjs::JSContext {
        ctx.as_raw().as_ptr()
    }

    /// Takes ownership of a value QuickJS just returned; `None` (exception cleared) on failure.
    fn owned<'js>(ctx: &Ctx<'js>, value: qjs::JSValue) -> Option<Value<'js>> {
        // SAFETY: only reads the tag of a value QuickJS returned.
        if unsafe { qjs::JS_IsException(value) } {
            let _ = ctx.catch();
            return None;
        }
        // SAFETY: QuickJS returned an owned reference created in `ctx`; it is wrapped exactly once.
        Some(unsafe { Value::from_raw(ctx.clone(), value) })
    }

    pub fn class_id(value: &Value<'_>) -> u32 {
        // SAFETY: reads the tag / class id of a live value.
        unsafe { qjs::JS_GetClassID(value.as_raw()) }
    }

    macro_rules! predicates {
        ($($name:ident => $ffi:ident),* $(,)?) => {$(
            pub fn $name(value: &Value<'_>) -> bool {
                // SAFETY: reads the tag / class id of a live value.
                unsafe { qjs::$ffi(value.as_raw()) }
            }
        )*};
    }

    predicates! {
        is_date => JS_IsDate,
        is_regexp => JS_IsRegExp,
        is_map => JS_IsMap,
        is_set => JS_IsSet,
        is_weak_map => JS_IsWeakMap,
        is_weak_set => JS_IsWeakSet,
        is_data_view => JS_IsDataView,
        is_array_buffer => JS_IsArrayBuffer,
        is_async_function => JS_IsAsyncFunction,
        is_error => JS_IsError,
    }

    pub fn typed_array_kind(value: &Value<'_>) -> Option<i32> {
        // SAFETY: reads the class id of a live value.
        let kind = unsafe { qjs::JS_GetTypedArrayType(value.as_raw()) };
        (kind >= 0).then_some(kind)
    }

    /// The realm's prototype for built-in class `id` (e.g. the original `Map.prototype`).
    pub fn class_proto<'js>(ctx: &Ctx<'js>, id: u32) -> Option<Object<'js>> {
        if id == 0 {
            return None;
        }
        // SAFETY: `id` is the class id of an existing object, hence registered in this runtime.
        owned(ctx, unsafe { qjs::JS_GetClassProto(cx(ctx), id) })?.into_object()
    }

    pub fn function_proto<'js>(ctx: &Ctx<'js>) -> Option<Object<'js>> {
        // SAFETY: returns a new reference to the realm's Function.prototype.
        owned(ctx, unsafe { qjs::JS_GetFunctionProto(cx(ctx)) })?.into_object()
    }

    pub fn to_object<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> Option<Value<'js>> {
        // SAFETY: `value` belongs to `ctx`; the result is owned.
        owned(ctx, unsafe { qjs::JS_ToObject(cx(ctx), value.as_raw()) })
    }

    pub fn new_error<'js>(ctx: &Ctx<'js>) -> Option<Value<'js>> {
        // SAFETY: creates a new owned Error object.
        owned(ctx, unsafe { qjs::JS_NewError(cx(ctx)) })
    }

    /// `Ok(None)` for a null prototype, `Err` if a proxy trap threw.
    pub fn proto<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> Result<Option<Object<'js>>, ()> {
        // SAFETY: `value` belongs to `ctx`; the result is owned.
        let proto = owned(ctx, unsafe { qjs::JS_GetPrototype(cx(ctx), value.as_raw()) }).ok_or(())?;
        Ok(proto.into_object())
    }

    /// Target and handler; `None` when revoked.
    pub fn proxy_parts<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> Option<(Value<'js>, Value<'js>)> {
        // SAFETY: `value` belongs to `ctx`; both results are owned.
        let target = owned(ctx, unsafe { qjs::JS_GetProxyTarget(cx(ctx), value.as_raw()) })?;
        // SAFETY: as above.
        let handler = owned(ctx, unsafe { qjs::JS_GetProxyHandler(cx(ctx), value.as_raw()) })?;
        Some((target, handler))
    }

    /// Follows proxy targets to a non-proxy value; `None` if a revoked proxy is met.
    pub fn unwrap_proxy<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> Option<Value<'js>> {
        let mut cur = value.clone();
        for _ in 0..super::MAX_CHAIN {
            if !cur.is_proxy() {
                return Some(cur);
            }
            cur = proxy_parts(ctx, &cur)?.0;
        }
        None
    }

    pub fn instance_of<'js>(ctx: &Ctx<'js>, value: &Value<'js>, ctor: &Value<'js>) -> bool {
        // SAFETY: both values belong to `ctx`.
        let result = unsafe { qjs::JS_IsInstanceOf(cx(ctx), value.as_raw(), ctor.as_raw()) };
        if result < 0 {
            let _ = ctx.catch();
        }
        result > 0
    }

    pub fn has_property<'js>(ctx: &Ctx<'js>, obj: &Value<'js>, name: &str) -> bool {
        let Some(atom) = AtomGuard::new(ctx, KeyRef::Str(name)) else { return false };
        // SAFETY: `obj` and the atom belong to `ctx`.
        let result = unsafe { qjs::JS_HasProperty(cx(ctx), obj.as_raw(), atom.atom) };
        if result < 0 {
            let _ = ctx.catch();
        }
        result > 0
    }

    pub enum PromiseState<'js> {
        Pending,
        Fulfilled(Value<'js>),
        Rejected(Value<'js>),
    }

    pub fn promise_state<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> PromiseState<'js> {
        // SAFETY: `value` is a promise of `ctx`.
        let state = unsafe { qjs::JS_PromiseState(cx(ctx), value.as_raw()) };
        // SAFETY: returns a new reference to the settled value (undefined while pending).
        let result = owned(ctx, unsafe { qjs::JS_PromiseResult(cx(ctx), value.as_raw()) });
        let result = result.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
        match state {
            qjs::JSPromiseStateEnum_JS_PROMISE_FULFILLED => PromiseState::Fulfilled(result),
            qjs::JSPromiseStateEnum_JS_PROMISE_REJECTED => PromiseState::Rejected(result),
            _ => PromiseState::Pending,
        }
    }

    /// Element count of a typed array (0 if detached or out of bounds).
    pub fn typed_array_len<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> usize {
        let (mut offset, mut length, mut per_element): (qjs::size_t, qjs::size_t, qjs::size_t) = (0, 0, 0);
        // SAFETY: `value` belongs to `ctx`; the out-pointers are valid; the result is owned.
        let buffer = unsafe {
            qjs::JS_GetTypedArrayBuffer(cx(ctx), value.as_raw(), &mut offset, &mut length, &mut per_element)
        };
        if owned(ctx, buffer).is_none() || per_element == 0 {
            return 0;
        }
        usize::try_from(length / per_element).unwrap_or(0)
    }

    /// Up to `limit` leading bytes and the total length; `None` if detached.
    pub fn array_buffer_bytes<'js>(ctx: &Ctx<'js>, value: &Value<'js>, limit: usize) -> Option<(Vec<u8>, usize)> {
        let mut size: qjs::size_t = 0;
        // SAFETY: `value` belongs to `ctx`; `size` is a valid out-pointer.
        let data = unsafe { qjs::JS_GetArrayBuffer(cx(ctx), &mut size, value.as_raw()) };
        let size = usize::try_from(size).unwrap_or(0);
        if data.is_null() {
            if ctx.has_exception() {
                let _ = ctx.catch();
                return None;
            }
            return Some((Vec::new(), 0));
        }
        // SAFETY: QuickJS guarantees `size` readable bytes at `data`; no JS runs before the copy.
        let bytes = unsafe { std::slice::from_raw_parts(data, size.min(limit)) }.to_vec();
        Some((bytes, size))
    }

    /// The WTF-8 bytes of a string value (lone surrogates encoded as 3-byte sequences).
    pub fn string_bytes<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> Option<Vec<u8>> {
        if !value.is_string() {
            return None;
        }
        let mut len: qjs::size_t = 0;
        // SAFETY: `value` is a string of `ctx`; `len` is a valid out-pointer.
        let data = unsafe { qjs::JS_ToCStringLen2(cx(ctx), &mut len, value.as_raw(), false) };
        if data.is_null() {
            let _ = ctx.catch();
            return None;
        }
        let len = usize::try_from(len).unwrap_or(0);
        // SAFETY: QuickJS returned `len` readable bytes; they are copied before being freed.
        let bytes = unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) }.to_vec();
        // SAFETY: `data` came from JS_ToCStringLen2 on this context and is freed once.
        unsafe { qjs::JS_FreeCString(cx(ctx), data) };
        Some(bytes)
    }

    /// A property key: Rust text, a JS string/symbol value or a predefined atom.
    pub enum KeyRef<'a, 'js> {
        Str(&'a str),
        Val(&'a Value<'js>),
        Atom(qjs::JSAtom),
    }

    struct AtomGuard<'a, 'js> {
        ctx: &'a Ctx<'js>,
        atom: qjs::JSAtom,
        owned: bool,
    }

    impl<'a, 'js> AtomGuard<'a, 'js> {
        fn new(ctx: &'a Ctx<'js>, key: KeyRef<'_, 'js>) -> Option<Self> {
            let atom = match key {
                // SAFETY: `name` is valid for `len` bytes.
                KeyRef::Str(name) => unsafe {
                    qjs::JS_NewAtomLen(cx(ctx), name.as_ptr().cast(), name.len() as qjs::size_t)
                },
                // SAFETY: `value` belongs to `ctx`.
                KeyRef::Val(value) => unsafe { qjs::JS_ValueToAtom(cx(ctx), value.as_raw()) },
                KeyRef::Atom(atom) => return Some(Self { ctx, atom, owned: false }),
            };
            if atom == qjs::JS_ATOM_NULL {
                let _ = ctx.catch();
                return None;
            }
            Some(Self { ctx, atom, owned: true })
        }
    }

    impl Drop for AtomGuard<'_, '_> {
        fn drop(&mut self) {
            if self.owned {
                // SAFETY: the atom was created by this guard and is released once.
                unsafe { qjs::JS_FreeAtom(cx(self.ctx), self.atom) };
            }
        }
    }

    pub struct Desc<'js> {
        /// The value of a data property; `None` for accessors.
        pub value: Option<Value<'js>>,
        pub getter: Option<Value<'js>>,
        pub setter: bool,
        pub enumerable: bool,
    }

    /// `Object.getOwnPropertyDescriptor` without going through JS; `Err` if a proxy trap threw.
    pub fn own_desc<'js>(ctx: &Ctx<'js>, obj: &Value<'js>, key: KeyRef<'_, 'js>) -> Result<Option<Desc<'js>>, ()> {
        if !obj.is_object() {
            return Ok(None);
        }
        let atom = AtomGuard::new(ctx, key).ok_or(())?;
        let mut desc = MaybeUninit::<qjs::JSPropertyDescriptor>::uninit();
        // SAFETY: `obj` is an object of `ctx`, the atom is live, `desc` is writable.
        let found = unsafe { qjs::JS_GetOwnProperty(cx(ctx), desc.as_mut_ptr(), obj.as_raw(), atom.atom) };
        if found < 0 {
            let _ = ctx.catch();
            return Err(());
        }
        if found == 0 {
            return Ok(None);
        }
        // SAFETY: on success QuickJS filled every field with owned references.
        let desc = unsafe { desc.assume_init() };
        // SAFETY: each owned reference is wrapped exactly once.
        let (value, getter, setter) = unsafe {
            let wrap = |v| Value::from_raw(ctx.clone(), v);
            (wrap(desc.value), wrap(desc.getter), wrap(desc.setter))
        };
        let flags = desc.flags as u32;
        let accessor = flags & qjs::JS_PROP_GETSET != 0;
        Ok(Some(Desc {
            value: (!accessor).then_some(value),
            getter: (accessor && !getter.is_undefined()).then_some(getter),
            setter: accessor && !setter.is_undefined(),
            enumerable: flags & qjs::JS_PROP_ENUMERABLE != 0,
        }))
    }

    #[derive(Clone, Copy)]
    pub struct KeyQuery {
        pub enumerable_only: bool,
        pub symbols: bool,
        /// Skip integer keys below 2^31 without materialising them (huge arrays).
        pub skip_small_indices: bool,
        pub limit: usize,
    }

    /// Own keys in `Reflect.ownKeys` order (indices, strings, symbols), with enumerability.
    pub fn own_keys<'js>(ctx: &Ctx<'js>, obj: &Value<'js>, query: KeyQuery) -> Option<Vec<(Value<'js>, bool)>> {
        let mut flags = qjs::JS_GPN_STRING_MASK | qjs::JS_GPN_SET_ENUM;
        if query.symbols {
            flags |= qjs::JS_GPN_SYMBOL_MASK;
        }
        if query.enumerable_only {
            flags |= qjs::JS_GPN_ENUM_ONLY;
        }
        let mut tab: *mut qjs::JSPropertyEnum = ptr::null_mut();
        let mut len: u32 = 0;
        // SAFETY: `obj` belongs to `ctx`; `tab` and `len` are valid out-pointers.
        let status = unsafe { qjs::JS_GetOwnPropertyNames(cx(ctx), &mut tab, &mut len, obj.as_raw(), flags as _) };
        if status < 0 {
            let _ = ctx.catch();
            return None;
        }
        let mut keys = Vec::new();
        for i in 0..len as usize {
            if keys.len() >= query.limit {
                break;
            }
            // SAFETY: `tab` holds `len` initialised entries until it is freed below.
            let entry = unsafe { &*tab.add(i) };
            if query.skip_small_indices && entry.atom & ATOM_TAG_INT != 0 {
                continue;
            }
            // SAFETY: the atom is live; the returned value is owned.
            if let Some(key) = owned(ctx, unsafe { qjs::JS_AtomToValue(cx(ctx), entry.atom) }) {
                keys.push((key, entry.is_enumerable));
            }
        }
        // SAFETY: frees the table and its atoms exactly once.
        unsafe { qjs::JS_FreePropertyEnum(cx(ctx), tab, len) };
        Some(keys)
    }
}
