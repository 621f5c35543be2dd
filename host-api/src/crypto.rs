//! Node's `crypto` for connector code: the globals `createHmac`, `createHash` and `crypto` (Web
//! Crypto's `randomUUID` and `getRandomValues`, no `subtle`), and `__host.nodeCrypto`, which the
//! built-in module `crypto` re-exports. Hashing is in [`hash`]. Tricky: random bytes asked for by
//! JS are allocated by QuickJS before they are filled, so a huge `randomBytes(n)` meets the
//! sandbox's memory limit instead of the host's allocator.

mod hash;

use rquickjs::function::{IntoJsFunc, Opt};
use rquickjs::{Ctx, Function, Object, Value};
use subtle::ConstantTimeEq;

use crate::encoding::interop;
use crate::throw::dom_exception;
use crate::throw::{self, bad_argument, out_of_range, type_name};
use crate::{HostState, glue};

/// Most bytes `getRandomValues` fills at once (Web Crypto's quota).
const MAX_RANDOM_VALUES: usize = 65536;
/// Most bytes `randomBytes` returns (Node's limit).
const MAX_RANDOM_BYTES: f64 = 2_147_483_647.0;

/// Sets `createHmac`, `createHash` and `crypto`, and `__host.nodeCrypto` for the `crypto` module.
pub fn install<'js>(ctx: &Ctx<'js>, _host: &HostState) -> rquickjs::Result<()> {
    let create_hmac = named(ctx, "createHmac", hash::create_hmac)?;
    let create_hash = named(ctx, "createHash", hash::create_hash)?;
    let random_uuid = named(ctx, "randomUUID", random_uuid)?;
    let get_random_values = named(ctx, "getRandomValues", get_random_values)?;

    let node = Object::new(ctx.clone())?;
    node.set("createHmac", create_hmac.clone())?;
    node.set("createHash", create_hash.clone())?;
    node.set(
        "timingSafeEqual",
        named(ctx, "timingSafeEqual", timing_safe_equal)?,
    )?;
    node.set("randomUUID", random_uuid.clone())?;
    node.set("randomBytes", named(ctx, "randomBytes", random_bytes)?)?;
    node.set("getRandomValues", get_random_values.clone())?;
    glue::natives(ctx)?.set("nodeCrypto", node)?;

    let web = Object::new(ctx.clone())?;
    web.set("randomUUID", random_uuid)?;
    web.set("getRandomValues", get_random_values)?;
    let globals = ctx.globals();
    globals.set("crypto", web)?;
    globals.set("createHmac", create_hmac)?;
    globals.set("createHash", create_hash)?;
    Ok(())
}

fn named<'js, P, F: IntoJsFunc<'js, P> + 'js>(
    ctx: &Ctx<'js>,
    name: &str,
    f: F,
) -> rquickjs::Result<Function<'js>> {
    Function::new(ctx.clone(), f)?.with_name(name)
}

/// `timingSafeEqual(a, b)`: compares two byte sources in time that depends only on their length.
fn timing_safe_equal<'js>(
    ctx: Ctx<'js>,
    a: Opt<Value<'js>>,
    b: Opt<Value<'js>>,
) -> rquickjs::Result<bool> {
    let expected = "an ArrayBuffer, Buffer, TypedArray or DataView";
    let (a, b) = (or_undefined(&ctx, a), or_undefined(&ctx, b));
    // `a` is copied: reading `b` may run a getter that detaches `a`'s buffer.
    let a_bytes = interop::bytes(&ctx, &a)
        .ok_or_else(|| bad_argument(&ctx, "timingSafeEqual", "a", expected, type_name(&a)))?;
    let equal = interop::with_bytes(&ctx, &b, |b_bytes| {
        (a_bytes.len() == b_bytes.len()).then(|| bool::from(a_bytes.as_slice().ct_eq(b_bytes)))
    });
    match equal {
        None => Err(bad_argument(
            &ctx,
            "timingSafeEqual",
            "b",
            expected,
            type_name(&b),
        )),
        Some(None) => Err(out_of_range(
            &ctx,
            "timingSafeEqual",
            "input buffers must have the same byte length",
        )),
        Some(Some(equal)) => Ok(equal),
    }
}

/// `randomUUID()`: a version 4 UUID in lowercase hex.
fn random_uuid(ctx: Ctx<'_>) -> rquickjs::Result<String> {
    let mut bytes = [0u8; 16];
    fill_random(&ctx, &mut bytes)?;
    bytes[6] = (bytes[6] & 0x0F) | 0x40;
    bytes[8] = (bytes[8] & 0x3F) | 0x80;
    let hex = crate::encoding::codec::hex_encode(&bytes);
    let groups =
        [0..8, 8..12, 12..16, 16..20, 20..32].map(|range| hex.get(range).unwrap_or_default());
    Ok(groups.join("-"))
}

/// `randomBytes(size[, callback])`: a `Buffer` of `size` random bytes; with a callback, it gets
/// `(null, buffer)` from a job, as Node calls it asynchronously.
fn random_bytes<'js>(
    ctx: Ctx<'js>,
    size: Opt<Value<'js>>,
    callback: Opt<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let (size, callback) = (or_undefined(&ctx, size), or_undefined(&ctx, callback));
    let callback = match callback.as_function() {
        Some(callback) => Some(callback.clone()),
        None if callback.is_undefined() => None,
        None => {
            let got = type_name(&callback);
            return Err(bad_argument(
                &ctx,
                "randomBytes",
                "callback",
                "a function",
                got,
            ));
        }
    };
    let Some(len) = size.as_number() else {
        return Err(bad_argument(
            &ctx,
            "randomBytes",
            "size",
            "a number",
            type_name(&size),
        ));
    };
    if !(0.0..=MAX_RANDOM_BYTES).contains(&len) {
        return Err(out_of_range(
            &ctx,
            "randomBytes",
            &format!("size must be >= 0 and <= {MAX_RANDOM_BYTES} (got {len})"),
        ));
    }
    let buffer = interop::alloc_buffer(&ctx, len as usize)?;
    interop::with_integer_array_mut(&ctx, &buffer, |bytes| fill_random(&ctx, bytes))
        .unwrap_or_else(|| {
            Err(throw::error(
                &ctx,
                "randomBytes",
                "Buffer.alloc did not return bytes",
            ))
        })?;
    match callback {
        Some(callback) => callback
            .defer((Value::new_null(ctx.clone()), buffer))
            .map(|()| Value::new_undefined(ctx)),
        None => Ok(buffer),
    }
}

/// `getRandomValues(typedArray)`: fills an integer TypedArray of at most 65536 bytes, returns it.
fn get_random_values<'js>(ctx: Ctx<'js>, array: Opt<Value<'js>>) -> rquickjs::Result<Value<'js>> {
    let array = or_undefined(&ctx, array);
    let filled = interop::with_integer_array_mut(&ctx, &array, |bytes| {
        if bytes.len() > MAX_RANDOM_VALUES {
            let message = format!("the requested length exceeds {MAX_RANDOM_VALUES} bytes");
            return Err(dom_exception(&ctx, "QuotaExceededError", &message));
        }
        fill_random(&ctx, bytes)
    });
    match filled {
        Some(result) => result.map(|()| array),
        None => Err(dom_exception(
            &ctx,
            "TypeMismatchError",
            "getRandomValues: argument 'typedArray' must be an integer-type TypedArray",
        )),
    }
}

fn fill_random(ctx: &Ctx<'_>, bytes: &mut [u8]) -> rquickjs::Result<()> {
    getrandom::fill(bytes)
        .map_err(|e| throw::error(ctx, "crypto", &format!("no randomness available: {e}")))
}

/// An optional argument, `undefined` when not given.
fn or_undefined<'js>(ctx: &Ctx<'js>, value: Opt<Value<'js>>) -> Value<'js> {
    value.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()))
}
