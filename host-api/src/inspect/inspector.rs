//! The recursion of Node's `util.inspect` (`formatValue` / `formatRaw`): one [`Inspector`] per
//! top-level value tracks indentation, depth and the objects being formatted. Tricky: proxies
//! are shown through their target without running traps, and a cycle is only known once it is
//! closed, so the `<ref *N>` marker is added to an object after its entries are formatted.

use rquickjs::{Ctx, Object, Value};

use super::shape::{Body, Shape, Shaped};
use super::shared::Shared;
use super::{Options, raw};

/// The state of one top-level `util.inspect` (Node's `ctx`); nested values recurse through it.
pub(super) struct Inspector<'s, 'js> {
    pub(super) sh: &'s Shared<'js>,
    pub(super) opts: Options,
    pub(super) indent: usize,
    pub(super) current_depth: i64,
    pub(super) seen: Vec<Value<'js>>,
    circular: Vec<Value<'js>>,
}

impl<'s, 'js> Inspector<'s, 'js> {
    pub(super) fn new(sh: &'s Shared<'js>, opts: Options, indent: usize) -> Self {
        Self {
            sh,
            opts,
            indent,
            current_depth: 0,
            seen: Vec::new(),
            circular: Vec::new(),
        }
    }

    pub(super) fn ctx(&self) -> &Ctx<'js> {
        &self.sh.ctx
    }

    pub(super) fn format_value(
        &mut self,
        value: &Value<'js>,
        recurse: i64,
        typed_array: bool,
    ) -> String {
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
            // A lazily built `data` shows what it holds, as the object `JSON.parse` makes would.
            let _ = crate::lazy_json::settle(self.ctx(), &handler, &target);
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
            let name = if ctor.is_some() {
                format!("[{name}]")
            } else {
                name
            };
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
