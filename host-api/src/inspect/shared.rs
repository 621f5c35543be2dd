//! Per-call state shared by every inspector of one `format_args` / `inspect` call: the context,
//! the realm's intrinsic prototypes and the output budget. Its helpers are the only way the
//! formatter runs JS, and each one clears the exception a call may raise instead of propagating it.

use std::cell::Cell;

use rquickjs::function::This;
use rquickjs::{Coerced, Ctx, Function, Object, Value};

use super::class_ids::ClassIds;
use super::inspector::Inspector;
use super::text::{decode_wtf8, lossy};
use super::{MAX_CHAIN, MAX_OUTPUT, Options, TRUNCATED, raw};

pub(super) struct Shared<'js> {
    pub(super) ctx: Ctx<'js>,
    pub(super) ids: ClassIds,
    pub(super) object_proto: Option<Object<'js>>,
    pub(super) function_proto: Option<Object<'js>>,
    error_proto: Option<Object<'js>>,
    used: Cell<usize>,
}

impl<'js> Shared<'js> {
    pub(super) fn new(ctx: &Ctx<'js>) -> Self {
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

    pub(super) fn inspect(&self, value: &Value<'js>, opts: Options) -> String {
        Inspector::new(self, opts, 0).format_value(value, 0, false)
    }

    /// Counts text that will appear in the output against the budget and hands it back.
    pub(super) fn charged(&self, text: String) -> String {
        self.used.set(self.used.get().saturating_add(text.len()));
        text
    }

    pub(super) fn exhausted(&self) -> bool {
        self.used.get() > MAX_OUTPUT
    }

    pub(super) fn finish(&self, mut text: String) -> String {
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
    pub(super) fn ok<T>(&self, result: rquickjs::Result<T>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(_) => {
                let _ = self.ctx.catch();
                None
            }
        }
    }

    pub(super) fn get(&self, obj: &Object<'js>, key: &str) -> Value<'js> {
        self.ok(obj.get::<_, Value>(key))
            .unwrap_or_else(|| self.undefined())
    }

    pub(super) fn undefined(&self) -> Value<'js> {
        Value::new_undefined(self.ctx.clone())
    }

    pub(super) fn js_str(&self, text: &str) -> Option<Value<'js>> {
        self.ok(rquickjs::String::from_str(self.ctx.clone(), text))
            .map(|s| s.into_value())
    }

    /// The text of a JS string value (lone surrogates become U+FFFD).
    pub(super) fn text(&self, value: &Value<'js>) -> String {
        let bytes = raw::string_bytes(&self.ctx, value).unwrap_or_default();
        lossy(&decode_wtf8(&bytes, usize::MAX).0)
    }

    /// JS `String(value)`; `None` if it throws (symbols included, as `ToString` rejects them).
    pub(super) fn to_string(&self, value: &Value<'js>) -> Option<String> {
        if value.is_string() {
            return Some(self.text(value));
        }
        let s = self.ok(value.get::<Coerced<rquickjs::String>>())?;
        Some(self.text(&s.0.into_value()))
    }

    pub(super) fn number_text(&self, n: f64) -> String {
        if n == 0.0 && n.is_sign_negative() {
            return "-0".into();
        }
        let value = Value::new_float(self.ctx.clone(), n);
        self.to_string(&value).unwrap_or_else(|| "NaN".into())
    }

    pub(super) fn call_method(
        &self,
        proto: &Object<'js>,
        name: &str,
        this: &Value<'js>,
    ) -> Option<Value<'js>> {
        let f: Function = self.ok(proto.get(name))?;
        self.ok(f.call((This(this.clone()),)))
    }

    /// Calls `name` from the realm's own prototype for `value`'s class (e.g. `Map.prototype`).
    pub(super) fn intrinsic(&self, value: &Value<'js>, name: &str) -> Option<Value<'js>> {
        let proto = raw::class_proto(&self.ctx, raw::class_id(value))?;
        self.call_method(&proto, name, value)
    }

    /// Runs the getter `name` of the realm's prototype for `value`'s class.
    pub(super) fn intrinsic_getter(&self, value: &Value<'js>, name: &str) -> Option<Value<'js>> {
        let proto = raw::class_proto(&self.ctx, raw::class_id(value))?;
        let desc = raw::own_desc(&self.ctx, proto.as_value(), raw::KeyRef::Str(name)).ok()??;
        let getter: Function = desc.getter?.into_function()?;
        self.ok(getter.call((This(value.clone()),)))
    }

    /// `Error.prototype.toString`; if a getter throws, `Error: <message>` where possible.
    pub(super) fn error_to_string(&self, err: &Value<'js>) -> String {
        let text = self
            .error_proto
            .as_ref()
            .and_then(|p| self.call_method(p, "toString", err));
        if let Some(text) = text.and_then(|t| self.to_string(&t)) {
            return text;
        }
        let message = err.as_object().map(|o| self.get(o, "message"));
        match message.filter(|m| m.is_string()).map(|m| self.text(&m)) {
            Some(message) if !message.is_empty() => format!("Error: {message}"),
            _ => "Error".into(),
        }
    }

    pub(super) fn is_error(&self, value: &Value<'js>) -> bool {
        raw::is_error(value)
            || self
                .error_proto
                .as_ref()
                .is_some_and(|p| self.inherits(value, p))
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

pub(super) fn truthy<'js>(sh: &Shared<'js>, value: &Value<'js>) -> bool {
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
