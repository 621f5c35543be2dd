//! Node's `util.format`: the `%s %d %i %f %j %o %O %c %%` specifier loop and the joining of the
//! remaining arguments. Tricky: `%s` must decide, as Node's `hasBuiltInToString` does, whether an
//! object's own `toString` may run or the object is inspected instead, without running proxy traps.

use rquickjs::atom::PredefinedAtom;
use rquickjs::{Coerced, Object, Value, qjs};

use super::constructor::is_builtin;
use super::number::{parse_float, parse_int};
use super::shared::Shared;
use super::text::{decode_wtf8, lossy};
use super::{MAX_CHAIN, MAX_OUTPUT, Options, raw};

impl<'js> Shared<'js> {
    pub(super) fn format(&self, args: &[Value<'js>]) -> String {
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
            return self
                .to_string(arg)
                .unwrap_or_else(|| self.inspect(arg, Options::DEFAULT));
        };
        if self.has_builtin_to_string(obj) {
            return self.inspect(arg, Options::SHALLOW);
        }
        self.to_string(arg)
            .unwrap_or_else(|| self.inspect(arg, Options::SHALLOW))
    }

    /// `%d` / `%i` / `%f`: BigInts print as such, symbols as NaN, anything else via `convert`.
    fn spec_number(
        &self,
        arg: &Value<'js>,
        convert: fn(&Self, &Value<'js>) -> Option<f64>,
    ) -> String {
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
        err.as_object()
            .map_or_else(|| self.undefined(), |o| self.get(o, "message"))
    }

    /// Node's `hasBuiltInToString`: whether `%s` may inspect `obj` rather than call its own
    /// `toString` / `Symbol.toPrimitive`.
    fn has_builtin_to_string(&self, obj: &Object<'js>) -> bool {
        let value = match raw::unwrap_proxy(&self.ctx, obj.as_value()) {
            Some(target) => target,
            None => return true,
        };
        let Some(obj) = value.as_object() else {
            return true;
        };
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
            let Ok(Some(proto)) = raw::proto(&self.ctx, cur.as_value()) else {
                return true;
            };
            let owns_str = check_str && self.has_own(&proto, raw::KeyRef::Str("toString"));
            let prim = raw::KeyRef::Atom(qjs::JS_ATOM_Symbol_toPrimitive as _);
            if owns_str || (check_prim && self.has_own(&proto, prim)) {
                let name = self.constructor_fn_name(&proto);
                return name.is_some_and(|n| is_builtin(&n));
            }
            cur = proto;
        }
        true
    }

    pub(super) fn has_own(&self, obj: &Object<'js>, key: raw::KeyRef<'_, 'js>) -> bool {
        matches!(raw::own_desc(&self.ctx, obj.as_value(), key), Ok(Some(_)))
    }

    /// The `name` of `obj`'s own `constructor` data property, if that is a function.
    pub(super) fn constructor_fn_name(&self, obj: &Object<'js>) -> Option<String> {
        let desc =
            raw::own_desc(&self.ctx, obj.as_value(), raw::KeyRef::Str("constructor")).ok()??;
        let ctor = desc.value?.into_function()?;
        let name = self.get(ctor.as_object()?, "name");
        name.is_string().then(|| self.text(&name))
    }

    pub(super) fn symbol_text(&self, value: &Value<'js>) -> String {
        let desc = value.as_symbol().and_then(|s| self.ok(s.description()));
        let desc = desc
            .filter(|d| d.is_string())
            .map(|d| self.text(&d))
            .unwrap_or_default();
        format!("Symbol({desc})")
    }
}
