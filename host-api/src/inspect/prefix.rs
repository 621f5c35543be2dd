//! How an object's heading is spelled: Node's `getPrefix` / `getCtxStyle` (`Foo [tag] `,
//! `[Object: null prototype] `), a stand-in for V8's internal class names, and the base text of
//! boxed primitives, RegExps and Dates, read through the realm's own prototype methods.

use rquickjs::{Object, Value};

use super::inspector::Inspector;
use super::property::Key;
use super::raw;

impl<'js> Inspector<'_, 'js> {
    /// Stand-in for V8's internal constructor name of an object.
    pub(super) fn internal_name(&self, obj: &Object<'js>) -> String {
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
    pub(super) fn ctx_style(&self, obj: &Object<'js>, ctor: Option<&str>, tag: &str) -> String {
        let mut fallback = String::new();
        if ctor.is_none() {
            fallback = self.internal_name(obj);
            if fallback == tag {
                fallback = "Object".into();
            }
        }
        get_prefix(ctor, tag, &fallback, "")
    }

    pub(super) fn boxed_kind(&self, value: &Value<'js>) -> Option<&'static str> {
        let id = raw::class_id(value);
        let ids = &self.sh.ids;
        let table = [
            (ids.number, "Number"),
            (ids.string, "String"),
            (ids.boolean, "Boolean"),
            (ids.big_int, "BigInt"),
            (ids.symbol, "Symbol"),
        ];
        table
            .iter()
            .find(|(i, _)| *i == id && id != 0)
            .map(|(_, name)| *name)
    }

    /// Node's `getBoxedBase`: `[Number: 3]`, `[String: 'abc']`...
    pub(super) fn boxed_base(
        &mut self,
        obj: &Object<'js>,
        kind: &str,
        ctor: Option<&str>,
        tag: &str,
        keys: &mut Vec<Key<'js>>,
    ) -> String {
        let primitive = self
            .sh
            .intrinsic(obj.as_value(), "valueOf")
            .unwrap_or_else(|| self.sh.undefined());
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

    /// `RegExp.prototype.toString`; for a null-prototype RegExp (which `toString` cannot read),
    /// source and flags come from the internal slots, like Node's `new RegExp(value)`.
    pub(super) fn regexp_text(&self, value: &Value<'js>, null_proto: bool) -> String {
        if !null_proto {
            return self.intrinsic_text(value, "toString");
        }
        let getter = |name| self.sh.intrinsic_getter(value, name);
        let source = getter("source").and_then(|s| self.sh.to_string(&s));
        let flags = [
            ("hasIndices", 'd'),
            ("global", 'g'),
            ("ignoreCase", 'i'),
            ("multiline", 'm'),
            ("dotAll", 's'),
            ("unicode", 'u'),
            ("unicodeSets", 'v'),
            ("sticky", 'y'),
        ];
        let flags = flags
            .iter()
            .filter(|(name, _)| getter(name).and_then(|v| v.as_bool()) == Some(true));
        let flags: String = flags.map(|(_, flag)| *flag).collect();
        format!("/{}/{flags}", source.unwrap_or_default())
    }

    pub(super) fn date_text(&self, value: &Value<'js>) -> String {
        let time = self
            .sh
            .intrinsic(value, "getTime")
            .and_then(|t| t.as_number());
        match time.is_some_and(|t| !t.is_nan()) {
            true => self.intrinsic_text(value, "toISOString"),
            false => self.intrinsic_text(value, "toString"),
        }
    }
}

/// Node's `getPrefix`.
pub(super) fn get_prefix(ctor: Option<&str>, tag: &str, fallback: &str, size: &str) -> String {
    match ctor {
        None if !tag.is_empty() && fallback != tag => {
            format!("[{fallback}{size}: null prototype] [{tag}] ")
        }
        None => format!("[{fallback}{size}: null prototype] "),
        Some(ctor) if !tag.is_empty() && ctor != tag => format!("{ctor}{size} [{tag}] "),
        Some(ctor) => format!("{ctor}{size} "),
    }
}

pub(super) fn typed_array_name(kind: i32) -> &'static str {
    const NAMES: [&str; 12] = [
        "Uint8ClampedArray",
        "Int8Array",
        "Uint8Array",
        "Int16Array",
        "Uint16Array",
        "Int32Array",
        "Uint32Array",
        "BigInt64Array",
        "BigUint64Array",
        "Float16Array",
        "Float32Array",
        "Float64Array",
    ];
    usize::try_from(kind)
        .ok()
        .and_then(|k| NAMES.get(k))
        .copied()
        .unwrap_or("TypedArray")
}
