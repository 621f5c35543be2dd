//! Array bodies: up to 100 elements, then `... N more items`. Tricky: sparse arrays, where runs
//! of holes become `<N empty items>` and only as many keys are read as can be shown, however
//! large the array's length.

use rquickjs::{Object, Value};

use super::inspector::Inspector;
use super::property::Key;
use super::text::plural;
use super::{MAX_ARRAY_LENGTH, raw};

impl<'js> Inspector<'_, 'js> {
    pub(super) fn array_len(&self, obj: &Object<'js>) -> u64 {
        let len = self.sh.get(obj, "length").as_number().unwrap_or(0.0);
        if len.is_finite() && len > 0.0 {
            len as u64
        } else {
            0
        }
    }

    fn index_key(&self, i: usize) -> Key<'js> {
        let value = Value::new_int(self.ctx().clone(), i32::try_from(i).unwrap_or(i32::MAX));
        Key {
            value,
            name: Some(i.to_string()),
        }
    }

    pub(super) fn format_array(&mut self, obj: &Object<'js>, recurse: i64) -> Vec<String> {
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
        // Object.keys: each key yields at least one entry, so few are needed.
        let query = raw::KeyQuery {
            symbols: false,
            limit: start + 2 * max_len + 2,
            ..raw::KeyQuery::all(true)
        };
        let keys = self.own_keys(obj, query);
        let mut index = start as u64;
        for key in keys.iter().skip(start) {
            if output.len() >= max_len || self.sh.exhausted() {
                break;
            }
            let Some(at) = key.name.as_deref().and_then(parse_array_index) else {
                break;
            };
            if at > index {
                output.push(self.sh.charged(empty_items(at - index)));
                index = at;
                if output.len() == max_len {
                    break;
                }
            }
            output.push(self.format_property(obj, recurse, key, false, None));
            index += 1;
        }
        self.push_tail(obj, index, max_len, &mut output);
        output
    }

    /// What follows the last element shown (at `index`): `... N more items` when the output is
    /// full, else the holes up to the array's length.
    fn push_tail(&self, obj: &Object<'js>, index: u64, max_len: usize, output: &mut Vec<String>) {
        let remaining = self.array_len(obj).saturating_sub(index);
        if remaining > 0 {
            let text = match output.len() == max_len {
                true => remaining_text(remaining),
                false => empty_items(remaining),
            };
            output.push(self.sh.charged(text));
        }
    }
}

pub(super) fn remaining_text(remaining: u64) -> String {
    format!("... {remaining} more item{}", plural(remaining))
}

fn empty_items(count: u64) -> String {
    format!("<{count} empty item{}>", plural(count))
}

/// A canonical array index (`/^(0|[1-9][0-9]*)$/`, at most 2^32 - 2).
pub(super) fn parse_array_index(name: &str) -> Option<u64> {
    let digits = !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit());
    if !digits || (name.len() > 1 && name.starts_with('0')) || name.len() > 10 {
        return None;
    }
    name.parse::<u64>().ok().filter(|n| *n <= 4_294_967_294)
}
