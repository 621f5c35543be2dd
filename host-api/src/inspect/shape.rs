//! The type dispatch of Node's `formatRaw`: what an object is (array, Map, typed array, function,
//! error, boxed primitive...) decides its braces, its base text, the keys it lists and the body
//! rendered before them. Objects with nothing to list are finished here (`Shaped::Done`).

use rquickjs::{Object, Symbol};

use super::inspector::Inspector;
use super::prefix::{get_prefix, typed_array_name};
use super::property::Key;
use super::raw;

/// What `formatRaw` decided about an object before formatting its entries.
pub(super) struct Shape<'js> {
    pub(super) keys: Vec<Key<'js>>,
    pub(super) braces: [String; 2],
    pub(super) base: String,
    pub(super) body: Body,
    /// Node's `kArrayExtrasType`: entries may be grouped into columns.
    pub(super) extras: bool,
}

/// What is listed before an object's keys (array elements, Map entries, `<pending>`...).
pub(super) enum Body {
    Empty,
    Array,
    Set,
    Map,
    Typed(usize),
    Buffer,
    Promise,
    Weak,
}

/// An object already finished by the dispatch, or the shape its entries are formatted in.
pub(super) enum Shaped<'js> {
    Done(String),
    Open(Shape<'js>),
}

impl<'js> Shape<'js> {
    fn new(keys: Vec<Key<'js>>) -> Self {
        let braces = ["{".to_string(), "}".to_string()];
        Self {
            keys,
            braces,
            base: String::new(),
            body: Body::Empty,
            extras: false,
        }
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

impl<'js> Inspector<'_, 'js> {
    pub(super) fn shape(
        &mut self,
        obj: &Object<'js>,
        ctor: Option<&str>,
        tag: &str,
        recurse: i64,
        typed_array: bool,
        pp: bool,
    ) -> Shaped<'js> {
        if (ctor.is_none() || self.has_iterator(obj))
            && let Some(shaped) = self.iterable_shape(obj, ctor, tag, pp)
        {
            return shaped;
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
        Some(self.typed_array_shape(obj, kind, ctor, tag))
    }

    fn typed_array_shape(
        &mut self,
        obj: &Object<'js>,
        kind: i32,
        ctor: Option<&str>,
        tag: &str,
    ) -> Shaped<'js> {
        let value = obj.as_value();
        let keys = self.non_index_keys(obj);
        let fallback = if ctor.is_none() {
            typed_array_name(kind)
        } else {
            ""
        };
        let size = raw::typed_array_len(self.ctx(), value);
        let prefix = get_prefix(ctor, tag, fallback, &format!("({size})"));
        if size == 0 && keys.is_empty() && !self.opts.show_hidden {
            return Shaped::Done(format!("{prefix}[]"));
        }
        let braces = [format!("{prefix}["), "]".to_string()];
        let body = Body::Typed(size);
        Shaped::Open(Shape {
            keys,
            braces,
            base: String::new(),
            body,
            extras: true,
        })
    }

    fn array_shape(
        &mut self,
        obj: &Object<'js>,
        ctor: Option<&str>,
        tag: &str,
        pp: bool,
    ) -> Shaped<'js> {
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
        Shaped::Open(Shape {
            keys,
            braces,
            base: String::new(),
            body: Body::Array,
            extras: true,
        })
    }

    fn collection_shape(
        &mut self,
        obj: &Object<'js>,
        ctor: Option<&str>,
        tag: &str,
        pp: bool,
    ) -> Shaped<'js> {
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
        Shaped::Open(Shape {
            keys,
            braces,
            base: String::new(),
            body,
            extras: false,
        })
    }

    fn object_shape(
        &mut self,
        obj: &Object<'js>,
        mut shape: Shape<'js>,
        tag: &str,
        pp: bool,
    ) -> Shaped<'js> {
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
            true => ("RegExp", self.regexp_text(value, ctor.is_none())),
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
            return Shaped::Done(format!(
                "{prefix}{{ byteLength: {} }}",
                self.format_primitive(&len)
            ));
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
