//! Bodies of Map, Set, typed arrays, ArrayBuffers and promises. Map and Set entries are read
//! through the realm's original iterator methods (not the object's own, which user code may
//! patch); promise state and buffer bytes come from the QuickJS C API without running JS.

use rquickjs::function::This;
use rquickjs::{Function, Object, Value};

use super::array::remaining_text;
use super::inspector::Inspector;
use super::shared::truthy;
use super::text::plural;
use super::{MAX_ARRAY_LENGTH, raw};

impl<'js> Inspector<'_, 'js> {
    pub(super) fn collection_size(&self, obj: &Object<'js>) -> usize {
        let size = self.sh.intrinsic_getter(obj.as_value(), "size");
        let size = size.and_then(|s| s.as_number()).unwrap_or(0.0);
        if size.is_finite() && size > 0.0 {
            size as usize
        } else {
            0
        }
    }

    /// Up to `limit` values produced by the realm's `method` iterator (`Map.prototype.entries`...).
    fn collection_items(&self, obj: &Object<'js>, method: &str, limit: usize) -> Vec<Value<'js>> {
        let mut items = Vec::new();
        let iter = self
            .sh
            .intrinsic(obj.as_value(), method)
            .and_then(|i| i.into_object());
        let Some(iter) = iter else { return items };
        let Some(next) = self.sh.ok(iter.get::<_, Function>("next")) else {
            return items;
        };
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

    pub(super) fn format_set(&mut self, obj: &Object<'js>, recurse: i64) -> Vec<String> {
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

    pub(super) fn format_map(&mut self, obj: &Object<'js>, recurse: i64) -> Vec<String> {
        let size = self.collection_size(obj);
        let max = size.min(MAX_ARRAY_LENGTH);
        self.indent += 2;
        let mut output = Vec::new();
        for entry in self.collection_items(obj, "entries", max) {
            let Some(entry) = entry.as_object() else {
                continue;
            };
            let key = self
                .sh
                .ok(entry.get::<_, Value>(0))
                .unwrap_or_else(|| self.sh.undefined());
            let value = self
                .sh
                .ok(entry.get::<_, Value>(1))
                .unwrap_or_else(|| self.sh.undefined());
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

    pub(super) fn format_typed(
        &mut self,
        obj: &Object<'js>,
        len: usize,
        recurse: i64,
    ) -> Vec<String> {
        let max = len.min(MAX_ARRAY_LENGTH);
        let mut output = Vec::with_capacity(max + 1);
        for i in 0..max as u32 {
            let item = self
                .sh
                .ok(obj.get::<_, Value>(i))
                .unwrap_or_else(|| self.sh.undefined());
            output.push(self.sh.charged(self.format_primitive(&item)));
        }
        if len > max {
            output.push(self.sh.charged(remaining_text((len - max) as u64)));
        }
        if self.opts.show_hidden {
            self.push_typed_internals(obj, recurse, &mut output);
        }
        output
    }

    /// `[BYTES_PER_ELEMENT]: 1, [length]: ...` shown after a typed array's elements under `%o`.
    fn push_typed_internals(&mut self, obj: &Object<'js>, recurse: i64, output: &mut Vec<String>) {
        self.indent += 2;
        for key in [
            "BYTES_PER_ELEMENT",
            "length",
            "byteLength",
            "byteOffset",
            "buffer",
        ] {
            let value = self.sh.get(obj, key);
            let text = self.format_value(&value, recurse, true);
            output.push(format!("[{key}]: {text}"));
        }
        self.indent -= 2;
    }

    pub(super) fn buffer_contents(&self, obj: &Object<'js>) -> String {
        let Some((bytes, total)) =
            raw::array_buffer_bytes(self.ctx(), obj.as_value(), MAX_ARRAY_LENGTH)
        else {
            return "(detached)".into();
        };
        let mut hex = bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        if total > MAX_ARRAY_LENGTH {
            let more = total - MAX_ARRAY_LENGTH;
            hex.push_str(&format!(" ... {more} more byte{}", plural(more as u64)));
        }
        format!("[Uint8Contents]: <{hex}>")
    }

    pub(super) fn format_promise(&mut self, obj: &Object<'js>, recurse: i64) -> Vec<String> {
        let (rejected, result) = match raw::promise_state(self.ctx(), obj.as_value()) {
            raw::PromiseState::Pending => return vec![self.sh.charged("<pending>".into())],
            raw::PromiseState::Fulfilled(v) => (false, v),
            raw::PromiseState::Rejected(v) => (true, v),
        };
        self.indent += 2;
        let text = self.format_value(&result, recurse, false);
        self.indent -= 2;
        vec![if rejected {
            format!("<rejected> {text}")
        } else {
            text
        }]
    }
}
