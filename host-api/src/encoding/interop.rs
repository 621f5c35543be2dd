//! Bytes and strings across the JS boundary, for every binding that takes or returns them. Tricky:
//! a pointer into an ArrayBuffer is valid only until JS runs again (a getter can detach or
//! transfer the buffer), so bytes are lent to a closure after every getter has run; probing what
//! a value is must not leave an exception pending; a JS string with lone surrogates is not UTF-8,
//! so it is read as WTF-8; and new bytes are allocated on the JS heap, under the memory limit.

use std::ptr::NonNull;

use rquickjs::function::This;
use rquickjs::{ArrayBuffer, Ctx, Function, Object, Value, qjs};

use super::codec::Text;
use crate::glue;

/// The text of a JS string, lone surrogates kept.
pub fn text(string: &rquickjs::String<'_>) -> rquickjs::Result<Text> {
    if let Ok(text) = string.to_string() {
        return Ok(Text::Utf8(text));
    }
    let cstring = string.clone().to_cstring()?;
    // SAFETY: `as_ptr` points at `len` bytes owned by `cstring`, alive until after this copy. The
    // bytes are WTF-8, which is why `CString::as_str` (that assumes UTF-8) is not used.
    let bytes = unsafe { std::slice::from_raw_parts(cstring.as_ptr().cast::<u8>(), cstring.len()) };
    Ok(Text::Wtf8(bytes.to_vec()))
}

/// Whether `value` is an ArrayBuffer, detached or not.
pub fn is_array_buffer(value: &Value<'_>) -> bool {
    // SAFETY: `JS_IsArrayBuffer` only reads the value's tag and class; it cannot throw.
    unsafe { qjs::JS_IsArrayBuffer(value.as_raw()) }
}

/// Runs `f` over the bytes `value` holds or views: an ArrayBuffer, any TypedArray (a `Buffer` too)
/// or a DataView. `None` when `value` is none of those (or is detached). `f` must not run JS.
pub fn with_bytes<'js, R>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
    f: impl FnOnce(&[u8]) -> R,
) -> Option<R> {
    let found = value.as_object().and_then(|object| {
        if is_array_buffer(value) {
            ArrayBuffer::from_object(object.clone())?.as_raw()
        } else {
            typed_array(object).or_else(|| data_view(object))
        }
    });
    let Some(raw) = found else {
        clear_exception(ctx);
        return None;
    };
    // SAFETY: `raw` lies inside a live ArrayBuffer that `value` keeps alive, every getter has run,
    // and no JS runs until `f` returns.
    Some(f(unsafe { raw.as_ref() }))
}

/// Runs `f` over the bytes of two TypedArrays at once. Finding a TypedArray's bytes runs no JS
/// (unlike a DataView's getters), so neither can be detached while the other is found.
pub fn with_two_typed_arrays<'js, R>(
    ctx: &Ctx<'js>,
    a: &Value<'js>,
    b: &Value<'js>,
    f: impl FnOnce(&[u8], &[u8]) -> R,
) -> Option<R> {
    let raw = |value: &Value<'js>| value.as_object().and_then(typed_array);
    let (Some(a), Some(b)) = (raw(a), raw(b)) else {
        clear_exception(ctx);
        return None;
    };
    // SAFETY: both lie inside live ArrayBuffers kept alive by `a` and `b`, no JS ran since they
    // were found and none runs until `f` returns; both are only read, so overlapping is fine.
    Some(f(unsafe { a.as_ref() }, unsafe { b.as_ref() }))
}

/// A copy of the bytes `value` holds or views (see [`with_bytes`]).
pub fn bytes<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> Option<Vec<u8>> {
    with_bytes(ctx, value, <[u8]>::to_vec)
}

/// Runs `f` over the bytes of an integer TypedArray (what `getRandomValues` accepts), to write them.
pub fn with_integer_array_mut<'js, R>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
    f: impl FnOnce(&mut [u8]) -> R,
) -> Option<R> {
    let Some(mut raw) = value
        .as_object()
        .and_then(|object| integer_array(object, true))
    else {
        clear_exception(ctx);
        return None;
    };
    // SAFETY: as in `with_bytes`; nothing else refers to these bytes while `f` runs.
    Some(f(unsafe { raw.as_mut() }))
}

/// Probing a detached buffer throws inside QuickJS; the probe's answer is "no bytes", so the
/// exception must not linger for unrelated code to find.
fn clear_exception(ctx: &Ctx<'_>) {
    if ctx.has_exception() {
        drop(ctx.catch());
    }
}

macro_rules! raw_of_any {
    ($object:expr, $for_writing:expr; $($item:ty),+) => {
        $(if let Some(array) = $object.as_typed_array::<$item>() {
            if $for_writing && !array.arraybuffer().is_ok_and(|buffer| is_mutable(&buffer)) {
                return None;
            }
            return array.as_raw();
        })+
    };
}

/// The bytes of an integer TypedArray; `for_writing` refuses one over an immutable buffer.
fn integer_array(object: &Object<'_>, for_writing: bool) -> Option<NonNull<[u8]>> {
    use rquickjs::U8Clamped;
    raw_of_any!(object, for_writing; u8, i8, U8Clamped, u16, i16, u32, i32, u64, i64);
    None
}

fn typed_array(object: &Object<'_>) -> Option<NonNull<[u8]>> {
    if let Some(raw) = integer_array(object, false) {
        return Some(raw);
    }
    raw_of_any!(object, false; f32, f64);
    None
}

/// Whether JS may write into `buffer` (`transferToImmutable` makes buffers that it may not).
fn is_mutable(buffer: &ArrayBuffer<'_>) -> bool {
    // SAFETY: `JS_IsImmutableArrayBuffer` only reads the value's class and flags; it cannot throw.
    unsafe { qjs::JS_IsImmutableArrayBuffer(buffer.as_value().as_raw()) == 0 }
}

/// A DataView's window, read through its (overridable) getters and checked against its buffer.
fn data_view(object: &Object<'_>) -> Option<NonNull<[u8]>> {
    // SAFETY: `JS_IsDataView` only reads the value's tag and class; it cannot throw.
    if !unsafe { qjs::JS_IsDataView(object.as_raw()) } {
        return None;
    }
    let offset = index(object.get("byteOffset").ok()?)?;
    let length = index(object.get("byteLength").ok()?)?;
    let buffer: Value = object.get("buffer").ok()?;
    if !is_array_buffer(&buffer) {
        return None;
    }
    let whole = ArrayBuffer::from_value(buffer)?.as_raw()?;
    if offset.checked_add(length)? > whole.len() {
        return None;
    }
    // SAFETY: `offset + length` is within the buffer's allocation (checked just above).
    let start = unsafe { whole.cast::<u8>().add(offset) };
    Some(NonNull::slice_from_raw_parts(start, length))
}

fn index(number: f64) -> Option<usize> {
    (number.fract() == 0.0 && (0.0..=usize::MAX as f64).contains(&number))
        .then_some(number as usize)
}

/// A new ArrayBuffer holding a copy of `bytes`, allocated by QuickJS so the memory limit counts it.
pub fn array_buffer<'js>(ctx: &Ctx<'js>, bytes: &[u8]) -> rquickjs::Result<ArrayBuffer<'js>> {
    ArrayBuffer::new_copy(ctx.clone(), bytes)
}

/// A new `Buffer` holding a copy of `bytes`.
pub fn buffer<'js>(ctx: &Ctx<'js>, bytes: &[u8]) -> rquickjs::Result<Value<'js>> {
    buffer_static(ctx, "from", array_buffer(ctx, bytes)?.into_value())
}

/// `Buffer.alloc(len)`: zeroed, allocated by QuickJS (under the memory limit) before the host
/// fills it.
pub fn alloc_buffer<'js>(ctx: &Ctx<'js>, len: usize) -> rquickjs::Result<Value<'js>> {
    buffer_static(ctx, "alloc", Value::new_number(ctx.clone(), len as f64))
}

/// Calls `Buffer[method](argument)` on the global `Buffer`, loading its glue module if needed.
fn buffer_static<'js>(
    ctx: &Ctx<'js>,
    method: &str,
    argument: Value<'js>,
) -> rquickjs::Result<Value<'js>> {
    let class: Object = glue::global(ctx, "Buffer")?.get()?;
    let method: Function = class.get(method)?;
    method.call((This(class), argument))
}

/// A Buffer's bytes in `encoding` through its own `toString` (for encodings whose text may hold
/// lone surrogates, which a Rust string cannot).
pub fn buffer_to_string<'js>(
    ctx: &Ctx<'js>,
    bytes: &[u8],
    encoding: &str,
) -> rquickjs::Result<Value<'js>> {
    let buffer: Object = buffer(ctx, bytes)?.get()?;
    let to_string: Function = buffer.get("toString")?;
    to_string.call((This(buffer), encoding))
}

/// Text this long or longer is turned into a JS string by [`new_string`]'s own UTF-16 encoder.
const LONG_TEXT: usize = 512;

/// A JS string of `text`. QuickJS stores text with characters above U+00FF as UTF-16 and
/// decodes UTF-8 into it one byte at a time; for long text (a webhook's body) this encodes
/// runs of ASCII sixteen bytes at a time instead.
pub fn new_string<'js>(ctx: &Ctx<'js>, text: &str) -> rquickjs::Result<rquickjs::String<'js>> {
    // A lead byte from 0xC4 up starts a character above U+00FF.
    if text.len() < LONG_TEXT || !text.bytes().any(|b| b >= 0xC4) {
        return rquickjs::String::from_str(ctx.clone(), text);
    }
    let units = utf16(text);
    // SAFETY: `units` is alive for the call, which copies it; the returned value is owned and
    // wrapped exactly once (or is an exception, turned into the pending error).
    let value =
        unsafe { qjs::JS_NewStringUTF16(ctx.as_raw().as_ptr(), units.as_ptr(), units.len() as _) };
    if unsafe { qjs::JS_IsException(value) } {
        return Err(rquickjs::Error::Exception);
    }
    // SAFETY: as above.
    let value = unsafe { Value::from_raw(ctx.clone(), value) };
    value.into_string().ok_or(rquickjs::Error::Unknown)
}

fn utf16(text: &str) -> Vec<u16> {
    let bytes = text.as_bytes();
    // UTF-16 never has more units than UTF-8 has bytes.
    let mut units = vec![0u16; bytes.len()];
    let (mut from, mut to) = (0, 0);
    while from < bytes.len() {
        if let (Some(chunk), Some(out)) = (bytes.get(from..from + 16), units.get_mut(to..to + 16))
            && widen_ascii(chunk, out)
        {
            from += 16;
            to += 16;
            continue;
        }
        // `from` is always on a character boundary: only whole characters are consumed.
        let Some(c) = text.get(from..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        let encoded = c.encode_utf16(&mut [0; 2]).len();
        c.encode_utf16(&mut units[to..to + encoded]);
        from += c.len_utf8();
        to += encoded;
    }
    units.truncate(to);
    units
}

/// Widens 16 bytes into 16 UTF-16 units if they are all ASCII.
#[cfg(target_arch = "x86_64")]
fn widen_ascii(chunk: &[u8], out: &mut [u16]) -> bool {
    use std::arch::x86_64::{
        __m128i, _mm_loadu_si128, _mm_movemask_epi8, _mm_setzero_si128, _mm_storeu_si128,
        _mm_unpackhi_epi8, _mm_unpacklo_epi8,
    };
    assert!(chunk.len() >= 16 && out.len() >= 16);
    // SAFETY: SSE2 is part of x86_64; the loads and stores are unaligned ones within the 16
    // bytes and 16 units checked above.
    unsafe {
        let bytes = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
        if _mm_movemask_epi8(bytes) != 0 {
            return false;
        }
        let zero = _mm_setzero_si128();
        let out = out.as_mut_ptr().cast::<__m128i>();
        _mm_storeu_si128(out, _mm_unpacklo_epi8(bytes, zero));
        _mm_storeu_si128(out.add(1), _mm_unpackhi_epi8(bytes, zero));
    }
    true
}

#[cfg(not(target_arch = "x86_64"))]
fn widen_ascii(chunk: &[u8], out: &mut [u16]) -> bool {
    if !chunk[..16].is_ascii() {
        return false;
    }
    for (unit, &byte) in out[..16].iter_mut().zip(chunk) {
        *unit = u16::from(byte);
    }
    true
}

/// The UTF-8 text of the one JS string made by [`known_string`] last in this runtime. Holding the
/// string keeps its address from being reused by another string while it is known. (rquickjs drops
/// userdata before it frees the runtime.)
#[derive(rquickjs::JsLifetime)]
struct KnownText<'js> {
    string: rquickjs::String<'js>,
    text: std::sync::Arc<str>,
}

/// A JS string of `text` (a webhook's `rawBody`) whose UTF-8 the host keeps, so that hashing it
/// reads `text` instead of converting the string back ([`known_text`]). Replaces the last one.
pub fn known_string<'js>(
    ctx: &Ctx<'js>,
    text: std::sync::Arc<str>,
) -> rquickjs::Result<rquickjs::String<'js>> {
    let string = new_string(ctx, &text)?;
    let known = KnownText {
        string: string.clone(),
        text,
    };
    // Fails only while `known_text` holds it, which never spans JS.
    let _ = ctx.store_userdata(known);
    Ok(string)
}

/// Forgets the string [`known_string`] made last (and lets it go).
pub fn forget_known_string(ctx: &Ctx<'_>) {
    let _ = ctx.remove_userdata::<KnownText<'_>>();
}

/// The UTF-8 text of `value` if it is the string [`known_string`] made last.
pub fn known_text<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> Option<std::sync::Arc<str>> {
    if !value.is_string() {
        return None;
    }
    let known = ctx.userdata::<KnownText<'js>>()?;
    (string_address(known.string.as_value()) == string_address(value)).then(|| known.text.clone())
}

fn string_address(value: &Value<'_>) -> usize {
    // SAFETY: reads the pointer of a string value (a heap-allocated JSString), never dereferenced.
    unsafe { value.as_raw().u.ptr as usize }
}

#[cfg(test)]
mod tests {
    use super::utf16;

    #[test]
    fn utf16_matches_the_standard_encoder_across_chunk_edges() {
        let pieces = [
            "a",
            "é",
            "—",
            "😀",
            "0123456789abcdef",
            "\u{7f}",
            "\u{80}",
            "ÿ",
            "\u{10ffff}",
        ];
        // Every mix of offsets and pieces within a few chunks.
        for start in 0..20 {
            for piece in pieces {
                for other in pieces {
                    let text = format!(
                        "{}{piece}{}{other}{}",
                        "x".repeat(start),
                        "y".repeat(15),
                        "z".repeat(17)
                    );
                    let expected: Vec<u16> = text.encode_utf16().collect();
                    assert_eq!(utf16(&text), expected, "{text:?}");
                }
            }
        }
        assert!(utf16("").is_empty());
    }
}
