//! `atob` and `btoa`, and the natives that `Buffer`, `TextEncoder` and `TextDecoder` are built on
//! (`__host.encode`, `decode`, `isUtf8`, `utf8Tail`, `compare`, `indexOf`; see `js/buffer.js` and
//! `js/encoding.js`). The byte/text rules are in [`codec`], the crossing of bytes and strings into
//! and out of JS in [`interop`]. Tricky: text with lone surrogates cannot be a Rust string, so the
//! glue decodes UTF-16 itself and `decode` only ever returns well-formed text.

pub mod codec;
pub mod interop;

use rquickjs::function::Opt;

use rquickjs::{ArrayBuffer, Coerced, Ctx, Function, Value};

use crate::throw::dom_exception;
use crate::throw::{bad_argument, type_name};
use crate::{HostState, glue};
use codec::{Encoding, Text};

/// Sets `atob` and `btoa`, and registers the encoding natives on `__host`.
pub fn install(ctx: &Ctx<'_>, _host: &HostState) -> rquickjs::Result<()> {
    let globals = ctx.globals();
    globals.set("atob", Function::new(ctx.clone(), atob)?.with_name("atob")?)?;
    globals.set("btoa", Function::new(ctx.clone(), btoa)?.with_name("btoa")?)?;
    let host = glue::natives(ctx)?;
    host.set("encode", Function::new(ctx.clone(), encode)?)?;
    host.set("decode", Function::new(ctx.clone(), decode)?)?;
    host.set("isUtf8", Function::new(ctx.clone(), is_utf8)?)?;
    host.set("utf8Tail", Function::new(ctx.clone(), utf8_tail)?)?;
    host.set("compare", Function::new(ctx.clone(), compare)?)?;
    host.set("indexOf", Function::new(ctx.clone(), index_of)?)?;
    Ok(())
}

/// The text of `value`, which must be a string.
pub fn string_arg(
    ctx: &Ctx<'_>,
    function: &str,
    argument: &str,
    value: &Value<'_>,
) -> rquickjs::Result<Text> {
    match value.as_string() {
        Some(string) => interop::text(string),
        None => Err(bad_argument(
            ctx,
            function,
            argument,
            "a string",
            type_name(value),
        )),
    }
}

/// The encoding `value` names, which must be one Node knows.
pub fn encoding_arg(
    ctx: &Ctx<'_>,
    function: &str,
    value: &Value<'_>,
) -> rquickjs::Result<Encoding> {
    let name = value.as_string().and_then(|s| s.to_string().ok());
    name.as_deref()
        .and_then(Encoding::from_name)
        .ok_or_else(|| {
            bad_argument(
                ctx,
                function,
                "encoding",
                "a known encoding",
                type_name(value),
            )
        })
}

/// `String(value)` as text, for the WHATWG functions that take any value but not none.
fn coerced_text<'js>(
    ctx: &Ctx<'js>,
    function: &str,
    value: Opt<Value<'js>>,
) -> rquickjs::Result<Text> {
    let Some(value) = value.0 else {
        return Err(bad_argument(ctx, function, "data", "given", "nothing"));
    };
    let string: Coerced<rquickjs::String> = value.get()?;
    interop::text(&string.0)
}

/// `atob(data)`: forgiving-base64 to a string of bytes; `InvalidCharacterError` if malformed.
fn atob<'js>(ctx: Ctx<'js>, data: Opt<Value<'js>>) -> rquickjs::Result<String> {
    let text = coerced_text(&ctx, "atob", data)?;
    match codec::forgiving_base64_decode(&text) {
        Ok(bytes) => Ok(bytes.into_iter().map(char::from).collect()),
        Err(message) => Err(dom_exception(&ctx, "InvalidCharacterError", message)),
    }
}

/// `btoa(data)`: base64 of a string of bytes; `InvalidCharacterError` for a character above U+00FF.
fn btoa<'js>(ctx: Ctx<'js>, data: Opt<Value<'js>>) -> rquickjs::Result<String> {
    let text = coerced_text(&ctx, "btoa", data)?;
    codec::btoa(&text)
        .ok_or_else(|| dom_exception(&ctx, "InvalidCharacterError", codec::INVALID_CHARACTER))
}

/// `__host.encode(string, encoding)`: the string's bytes in `encoding`, as a new ArrayBuffer.
fn encode<'js>(
    ctx: Ctx<'js>,
    string: Value<'js>,
    encoding: Value<'js>,
) -> rquickjs::Result<ArrayBuffer<'js>> {
    let text = string_arg(&ctx, "encode", "string", &string)?;
    let encoding = encoding_arg(&ctx, "encode", &encoding)?;
    interop::array_buffer(&ctx, &codec::encode(&text, encoding))
}

/// `__host.decode(bytes, encoding, start?, end?)`: bytes `start..end` (clamped) as text.
fn decode<'js>(
    ctx: Ctx<'js>,
    bytes: Value<'js>,
    encoding: Value<'js>,
    start: Opt<f64>,
    end: Opt<f64>,
) -> rquickjs::Result<String> {
    let encoding = encoding_arg(&ctx, "decode", &encoding)?;
    let text = interop::with_bytes(&ctx, &bytes, |bytes| {
        let end = clamp(end.0, bytes.len(), bytes.len());
        let start = clamp(start.0, 0, bytes.len()).min(end);
        codec::decode(bytes.get(start..end).unwrap_or_default(), encoding)
    });
    text.ok_or_else(|| bad_argument(&ctx, "decode", "bytes", "a Uint8Array", type_name(&bytes)))
}

/// `index` as a position in `0..=len`, `default` when absent or NaN.
fn clamp(index: Option<f64>, default: usize, len: usize) -> usize {
    match index {
        Some(index) if !index.is_nan() => index.clamp(0.0, len as f64) as usize,
        _ => default,
    }
}

/// `__host.isUtf8(bytes)`: whether the bytes are well-formed UTF-8.
fn is_utf8<'js>(ctx: Ctx<'js>, bytes: Value<'js>) -> rquickjs::Result<bool> {
    interop::with_bytes(&ctx, &bytes, |bytes| std::str::from_utf8(bytes).is_ok()).ok_or_else(|| {
        bad_argument(
            &ctx,
            "isUtf8",
            "bytes",
            "a TypedArray or ArrayBuffer",
            type_name(&bytes),
        )
    })
}

/// `__host.utf8Tail(bytes)`: how many final bytes start a sequence that more bytes could complete.
fn utf8_tail<'js>(ctx: Ctx<'js>, bytes: Value<'js>) -> rquickjs::Result<f64> {
    interop::with_bytes(&ctx, &bytes, |bytes| {
        codec::incomplete_utf8_tail(bytes) as f64
    })
    .ok_or_else(|| bad_argument(&ctx, "utf8Tail", "bytes", "a Uint8Array", type_name(&bytes)))
}

/// `__host.compare(a, b)`: -1, 0 or 1 as the bytes of `a` sort before, with or after `b`'s.
fn compare<'js>(ctx: Ctx<'js>, a: Value<'js>, b: Value<'js>) -> rquickjs::Result<i32> {
    let order = interop::with_two_typed_arrays(&ctx, &a, &b, |a, b| a.cmp(b) as i32);
    order.ok_or_else(|| bad_argument(&ctx, "compare", "a, b", "Uint8Arrays", type_name(&a)))
}

/// `__host.indexOf(haystack, needle, offset, forward)`: see [`codec::index_of`].
fn index_of<'js>(
    ctx: Ctx<'js>,
    haystack: Value<'js>,
    needle: Value<'js>,
    offset: f64,
    forward: bool,
) -> rquickjs::Result<f64> {
    let offset = if offset.is_nan() { 0 } else { offset as i64 };
    let found = interop::with_two_typed_arrays(&ctx, &haystack, &needle, |haystack, needle| {
        codec::index_of(haystack, needle, offset, forward) as f64
    });
    found.ok_or_else(|| {
        bad_argument(
            &ctx,
            "indexOf",
            "haystack, needle",
            "Uint8Arrays",
            type_name(&haystack),
        )
    })
}
