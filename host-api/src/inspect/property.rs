//! Own keys and properties as Node lists them: which keys an object shows, how a key is spelled
//! (`a`, `'a-b'`, `[Symbol(s)]`, `[hidden]`) and how one `key: value` entry is formatted.
//! Descriptors come from the QuickJS C API, so accessors print as `[Getter]` and never run.

use rquickjs::atom::PredefinedAtom;
use rquickjs::{Object, Value, qjs};

use super::array::parse_array_index;
use super::inspector::Inspector;
use super::raw;
use super::text::{escape_raw, quote};

/// An own property key: a string (with its text) or a symbol.
#[derive(Clone)]
pub(super) struct Key<'js> {
    pub(super) value: Value<'js>,
    pub(super) name: Option<String>,
}

impl Key<'_> {
    pub(super) fn is(&self, name: &str) -> bool {
        self.name.as_deref() == Some(name)
    }

    pub(super) fn same(&self, other: &Self) -> bool {
        match (&self.name, &other.name) {
            (Some(a), Some(b)) => a == b,
            (None, None) => self.value == other.value,
            _ => false,
        }
    }
}

/// A property descriptor, or the value read with `[[Get]]` when the key is not own.
pub(super) struct Desc<'js> {
    value: Option<Value<'js>>,
    get: bool,
    set: bool,
    enumerable: bool,
    failed: bool,
}

impl<'js> From<raw::Desc<'js>> for Desc<'js> {
    fn from(d: raw::Desc<'js>) -> Self {
        let get = d.getter.is_some();
        Self {
            value: d.value,
            get,
            set: d.setter,
            enumerable: d.enumerable,
            failed: false,
        }
    }
}

impl<'js> Inspector<'_, 'js> {
    pub(super) fn own_keys(&self, obj: &Object<'js>, query: raw::KeyQuery) -> Vec<Key<'js>> {
        let keys = raw::own_keys(self.ctx(), obj.as_value(), query).unwrap_or_default();
        keys.into_iter().map(|(value, _)| self.key(value)).collect()
    }

    fn key(&self, value: Value<'js>) -> Key<'js> {
        let name = value.is_string().then(|| self.sh.text(&value));
        Key { value, name }
    }

    pub(super) fn str_key(&self, name: &str) -> Option<Key<'js>> {
        let value = self.sh.js_str(name)?;
        Some(Key {
            value,
            name: Some(name.to_string()),
        })
    }

    /// Node's `getKeys`: enumerable own string keys then enumerable symbols (all with showHidden).
    pub(super) fn keys(&self, obj: &Object<'js>) -> Vec<Key<'js>> {
        self.own_keys(obj, raw::KeyQuery::all(!self.opts.show_hidden))
    }

    /// Node's `getOwnNonIndexProperties` for arrays and typed arrays.
    pub(super) fn non_index_keys(&self, obj: &Object<'js>) -> Vec<Key<'js>> {
        let query = raw::KeyQuery {
            skip_small_indices: true,
            ..raw::KeyQuery::all(!self.opts.show_hidden)
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
        Desc {
            value,
            get: false,
            set: false,
            enumerable: true,
            failed,
        }
    }

    /// Node's `formatProperty`; `named` is false for array elements (`kArrayType`).
    pub(super) fn format_property(
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

    pub(super) fn string_tag(&self, obj: &Object<'js>) -> String {
        let tag = self
            .sh
            .ok(obj.get::<_, Value>(PredefinedAtom::SymbolToStringTag));
        let Some(tag) = tag.filter(|t| t.is_string()) else {
            return String::new();
        };
        let tag = self.sh.text(&tag);
        if tag.is_empty() {
            return tag;
        }
        let key = raw::KeyRef::Atom(qjs::JS_ATOM_Symbol_toStringTag as _);
        let own = raw::own_desc(self.ctx(), obj.as_value(), key)
            .ok()
            .flatten();
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

/// `/^[a-zA-Z_][a-zA-Z_0-9]*$/`
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let first = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
