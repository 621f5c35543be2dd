//! Node's `getConstructorName`: the name of the first constructor on an object's prototype chain
//! that the object is an instance of, or `Name <proto>` when there is none. Under `%o` the same
//! walk collects the non-method properties of user prototypes (`addPrototypeProperties`).

use rquickjs::Object;

use super::inspector::Inspector;
use super::property::Key;
use super::{MAX_CHAIN, Options, raw};

/// Names Node treats as built-in constructors (`builtInObjects`): it skips their prototype
/// properties under `%o` and trusts their `toString` for `%s`.
const BUILTINS: &[&str] = &[
    "Object",
    "Function",
    "Array",
    "Number",
    "Boolean",
    "String",
    "Symbol",
    "Date",
    "Promise",
    "RegExp",
    "Error",
    "AggregateError",
    "EvalError",
    "RangeError",
    "ReferenceError",
    "SyntaxError",
    "TypeError",
    "URIError",
    "JSON",
    "Math",
    "Intl",
    "ArrayBuffer",
    "Atomics",
    "Uint8Array",
    "Int8Array",
    "Uint16Array",
    "Int16Array",
    "Uint32Array",
    "Int32Array",
    "Float32Array",
    "Float64Array",
    "Uint8ClampedArray",
    "BigUint64Array",
    "BigInt64Array",
    "DataView",
    "Map",
    "BigInt",
    "Set",
    "WeakMap",
    "WeakSet",
    "Proxy",
    "Reflect",
    "FinalizationRegistry",
    "WeakRef",
    "SharedArrayBuffer",
    "WebAssembly",
    "Iterator",
];

/// Whether `name` is one of Node's built-in constructors ([`BUILTINS`]).
pub(super) fn is_builtin(name: &str) -> bool {
    BUILTINS.contains(&name)
}

impl<'js> Inspector<'_, 'js> {
    /// Node's `getConstructorName`; `None` stands for a null prototype.
    pub(super) fn constructor_name(
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
        let desc =
            raw::own_desc(self.ctx(), o.as_value(), raw::KeyRef::Str("constructor")).ok()??;
        let ctor = desc.value.filter(|v| v.is_function())?;
        let name = self.sh.get(ctor.as_object()?, "name");
        if name.is_string() && self.sh.text(&name).is_empty() {
            return None;
        }
        if !raw::instance_of(self.ctx(), tmp.as_value(), &ctor) {
            return None;
        }
        let name = self.sh.to_string(&name)?;
        let builtin = is_builtin(&name);
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
                let opts = Options {
                    depth: -1,
                    ..self.opts
                };
                let mut sub = Inspector::new(self.sh, opts, self.indent);
                Some(format!(
                    "{res} <{}>",
                    sub.format_value(first.as_value(), 0, false)
                ))
            }
        }
    }

    /// Node's `addPrototypeProperties` (`%o` only): non-method properties of user prototypes.
    fn add_proto_props(
        &mut self,
        main: &Object<'js>,
        start: &Object<'js>,
        recurse: i64,
        out: &mut Vec<String>,
    ) {
        let mut obj = start.clone();
        let mut key_set: Vec<Key<'js>> = Vec::new();
        let mut keys: Vec<Key<'js>> = Vec::new();
        for depth in 0..3 {
            if depth != 0 || obj == *main {
                let Ok(Some(proto)) = raw::proto(self.ctx(), obj.as_value()) else {
                    return;
                };
                obj = proto;
                let name = self.sh.constructor_fn_name(&obj);
                if name.is_some_and(|n| is_builtin(&n)) {
                    return;
                }
            }
            key_set.append(&mut keys);
            keys = self.own_keys(&obj, raw::KeyQuery::all(false));
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
        if key.is("constructor")
            || own_on_main
            || (depth != 0 && key_set.iter().any(|k| k.same(key)))
        {
            return None;
        }
        let desc =
            raw::own_desc(self.ctx(), obj.as_value(), raw::KeyRef::Val(&key.value)).ok()??;
        if desc.value.as_ref().is_some_and(|v| v.is_function()) {
            return None;
        }
        Some(self.format_property(obj, recurse, key, true, Some(desc.into())))
    }
}
