//! Primitives as Node prints them inside a value: numbers (`-0`), BigInts (`1n`), symbols and
//! quoted strings. Long strings are cut at 10 000 UTF-16 units and split after newlines into
//! `'...' +` lines when they do not fit the line.

use rquickjs::Value;

use super::inspector::Inspector;
use super::text::{decode_wtf8, plural, quote};
use super::{BREAK_LENGTH, MAX_STRING_LENGTH, MIN_LINE_WIDTH, raw};

impl<'js> Inspector<'_, 'js> {
    pub(super) fn format_primitive(&self, value: &Value<'js>) -> String {
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
        let lines: Vec<String> = cps
            .split_inclusive(|c| *c == u32::from('\n'))
            .map(quote)
            .collect();
        lines.join(&format!(" +\n{}", " ".repeat(self.indent + 2))) + &trailer
    }
}
