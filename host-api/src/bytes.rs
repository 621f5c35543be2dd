//! Reading bytes out of JS values: `ArrayBuffer`, any typed array (`Uint8Array`, `Buffer`, ...) or
//! `DataView`. The bytes are copied at once: a view into engine memory must not outlive the next
//! run of JS, which could detach or resize the buffer.

use rquickjs::{ArrayBuffer, Value};

/// The bytes `value` holds, or `None` when it is not binary data.
pub fn copy_bytes(value: &Value<'_>) -> Option<Vec<u8>> {
    if let Some(buffer) = ArrayBuffer::from_value(value.clone()) {
        return Some(copy_range(&buffer, 0, buffer.len()));
    }
    let view = value.as_object()?;
    let buffer = ArrayBuffer::from_value(view.get("buffer").ok()?)?;
    let offset: usize = view.get::<_, f64>("byteOffset").ok().and_then(to_index)?;
    let length: usize = view.get::<_, f64>("byteLength").ok().and_then(to_index)?;
    Some(copy_range(&buffer, offset, length))
}

fn to_index(n: f64) -> Option<usize> {
    (n >= 0.0 && n.fract() == 0.0 && n <= usize::MAX as f64).then_some(n as usize)
}

fn copy_range(buffer: &ArrayBuffer<'_>, offset: usize, length: usize) -> Vec<u8> {
    // SAFETY: the slice is copied before any JS runs again.
    let all = unsafe { buffer.as_bytes() }.unwrap_or_default();
    let end = offset.saturating_add(length).min(all.len());
    all.get(offset.min(end)..end)
        .map(<[u8]>::to_vec)
        .unwrap_or_default()
}
