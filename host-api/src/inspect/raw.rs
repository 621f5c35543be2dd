//! Thin wrappers over the QuickJS C API, and the only `unsafe` code of the formatter. Every
//! function here takes values that belong to `ctx`, takes ownership of what QuickJS returns exactly
//! once, and clears any exception it raises; none of them runs user JS (no proxy traps, getters).

use std::mem::MaybeUninit;
use std::ptr;

use rquickjs::{Ctx, Object, Value, qjs};

/// QuickJS marks integer atoms (array indices below 2^31) with this bit.
const ATOM_TAG_INT: u32 = 1 << 31;

fn cx(ctx: &Ctx<'_>) -> *mut qjs::JSContext {
    ctx.as_raw().as_ptr()
}

/// Takes ownership of a value QuickJS just returned; `None` (exception cleared) on failure.
fn owned<'js>(ctx: &Ctx<'js>, value: qjs::JSValue) -> Option<Value<'js>> {
    // SAFETY: only reads the tag of a value QuickJS returned.
    if unsafe { qjs::JS_IsException(value) } {
        let _ = ctx.catch();
        return None;
    }
    // SAFETY: QuickJS returned an owned reference created in `ctx`; it is wrapped exactly once.
    Some(unsafe { Value::from_raw(ctx.clone(), value) })
}

pub(super) fn class_id(value: &Value<'_>) -> u32 {
    // SAFETY: reads the tag / class id of a live value.
    unsafe { qjs::JS_GetClassID(value.as_raw()) }
}

macro_rules! predicates {
    ($($name:ident => $ffi:ident),* $(,)?) => {$(
        pub(super) fn $name(value: &Value<'_>) -> bool {
            // SAFETY: reads the tag / class id of a live value.
            unsafe { qjs::$ffi(value.as_raw()) }
        }
    )*};
}

predicates! {
    is_date => JS_IsDate,
    is_regexp => JS_IsRegExp,
    is_map => JS_IsMap,
    is_set => JS_IsSet,
    is_weak_map => JS_IsWeakMap,
    is_weak_set => JS_IsWeakSet,
    is_data_view => JS_IsDataView,
    is_array_buffer => JS_IsArrayBuffer,
    is_async_function => JS_IsAsyncFunction,
    is_error => JS_IsError,
}

pub(super) fn typed_array_kind(value: &Value<'_>) -> Option<i32> {
    // SAFETY: reads the class id of a live value.
    let kind = unsafe { qjs::JS_GetTypedArrayType(value.as_raw()) };
    (kind >= 0).then_some(kind)
}

/// The realm's prototype for built-in class `id` (e.g. the original `Map.prototype`).
pub(super) fn class_proto<'js>(ctx: &Ctx<'js>, id: u32) -> Option<Object<'js>> {
    if id == 0 {
        return None;
    }
    // SAFETY: `id` is the class id of an existing object, hence registered in this runtime.
    owned(ctx, unsafe { qjs::JS_GetClassProto(cx(ctx), id) })?.into_object()
}

pub(super) fn function_proto<'js>(ctx: &Ctx<'js>) -> Option<Object<'js>> {
    // SAFETY: returns a new reference to the realm's Function.prototype.
    owned(ctx, unsafe { qjs::JS_GetFunctionProto(cx(ctx)) })?.into_object()
}

pub(super) fn to_object<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> Option<Value<'js>> {
    // SAFETY: `value` belongs to `ctx`; the result is owned.
    owned(ctx, unsafe { qjs::JS_ToObject(cx(ctx), value.as_raw()) })
}

pub(super) fn new_error<'js>(ctx: &Ctx<'js>) -> Option<Value<'js>> {
    // SAFETY: creates a new owned Error object.
    owned(ctx, unsafe { qjs::JS_NewError(cx(ctx)) })
}

/// `Ok(None)` for a null prototype, `Err` if a proxy trap threw.
pub(super) fn proto<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> Result<Option<Object<'js>>, ()> {
    // SAFETY: `value` belongs to `ctx`; the result is owned.
    let proto = owned(ctx, unsafe {
        qjs::JS_GetPrototype(cx(ctx), value.as_raw())
    })
    .ok_or(())?;
    Ok(proto.into_object())
}

/// Target and handler; `None` when revoked.
pub(super) fn proxy_parts<'js>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
) -> Option<(Value<'js>, Value<'js>)> {
    // SAFETY: `value` belongs to `ctx`; both results are owned.
    let target = owned(ctx, unsafe {
        qjs::JS_GetProxyTarget(cx(ctx), value.as_raw())
    })?;
    // SAFETY: as above.
    let handler = owned(ctx, unsafe {
        qjs::JS_GetProxyHandler(cx(ctx), value.as_raw())
    })?;
    Some((target, handler))
}

/// Follows proxy targets to a non-proxy value; `None` if a revoked proxy is met.
pub(super) fn unwrap_proxy<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> Option<Value<'js>> {
    let mut cur = value.clone();
    for _ in 0..super::MAX_CHAIN {
        if !cur.is_proxy() {
            return Some(cur);
        }
        cur = proxy_parts(ctx, &cur)?.0;
    }
    None
}

pub(super) fn instance_of<'js>(ctx: &Ctx<'js>, value: &Value<'js>, ctor: &Value<'js>) -> bool {
    // SAFETY: both values belong to `ctx`.
    let result = unsafe { qjs::JS_IsInstanceOf(cx(ctx), value.as_raw(), ctor.as_raw()) };
    if result < 0 {
        let _ = ctx.catch();
    }
    result > 0
}

pub(super) fn has_property<'js>(ctx: &Ctx<'js>, obj: &Value<'js>, name: &str) -> bool {
    let Some(atom) = AtomGuard::new(ctx, KeyRef::Str(name)) else {
        return false;
    };
    // SAFETY: `obj` and the atom belong to `ctx`.
    let result = unsafe { qjs::JS_HasProperty(cx(ctx), obj.as_raw(), atom.atom) };
    if result < 0 {
        let _ = ctx.catch();
    }
    result > 0
}

pub(super) enum PromiseState<'js> {
    Pending,
    Fulfilled(Value<'js>),
    Rejected(Value<'js>),
}

pub(super) fn promise_state<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> PromiseState<'js> {
    // SAFETY: `value` is a promise of `ctx`.
    let state = unsafe { qjs::JS_PromiseState(cx(ctx), value.as_raw()) };
    // SAFETY: returns a new reference to the settled value (undefined while pending).
    let result = owned(ctx, unsafe {
        qjs::JS_PromiseResult(cx(ctx), value.as_raw())
    });
    let result = result.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
    match state {
        qjs::JSPromiseStateEnum_JS_PROMISE_FULFILLED => PromiseState::Fulfilled(result),
        qjs::JSPromiseStateEnum_JS_PROMISE_REJECTED => PromiseState::Rejected(result),
        _ => PromiseState::Pending,
    }
}

/// Element count of a typed array (0 if detached or out of bounds).
pub(super) fn typed_array_len<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> usize {
    let (mut offset, mut length, mut per_element): (qjs::size_t, qjs::size_t, qjs::size_t) =
        (0, 0, 0);
    // SAFETY: `value` belongs to `ctx`; the out-pointers are valid; the result is owned.
    let buffer = unsafe {
        qjs::JS_GetTypedArrayBuffer(
            cx(ctx),
            value.as_raw(),
            &mut offset,
            &mut length,
            &mut per_element,
        )
    };
    if owned(ctx, buffer).is_none() || per_element == 0 {
        return 0;
    }
    usize::try_from(length / per_element).unwrap_or(0)
}

/// Up to `limit` leading bytes and the total length; `None` if detached.
pub(super) fn array_buffer_bytes<'js>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
    limit: usize,
) -> Option<(Vec<u8>, usize)> {
    let mut size: qjs::size_t = 0;
    // SAFETY: `value` belongs to `ctx`; `size` is a valid out-pointer.
    let data = unsafe { qjs::JS_GetArrayBuffer(cx(ctx), &mut size, value.as_raw()) };
    let size = usize::try_from(size).unwrap_or(0);
    if data.is_null() {
        if ctx.has_exception() {
            let _ = ctx.catch();
            return None;
        }
        return Some((Vec::new(), 0));
    }
    // SAFETY: QuickJS guarantees `size` readable bytes at `data`; no JS runs before the copy.
    let bytes = unsafe { std::slice::from_raw_parts(data, size.min(limit)) }.to_vec();
    Some((bytes, size))
}

/// The WTF-8 bytes of a string value (lone surrogates encoded as 3-byte sequences).
pub(super) fn string_bytes<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> Option<Vec<u8>> {
    if !value.is_string() {
        return None;
    }
    let mut len: qjs::size_t = 0;
    // SAFETY: `value` is a string of `ctx`; `len` is a valid out-pointer.
    let data = unsafe { qjs::JS_ToCStringLen2(cx(ctx), &mut len, value.as_raw(), false) };
    if data.is_null() {
        let _ = ctx.catch();
        return None;
    }
    let len = usize::try_from(len).unwrap_or(0);
    // SAFETY: QuickJS returned `len` readable bytes; they are copied before being freed.
    let bytes = unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) }.to_vec();
    // SAFETY: `data` came from JS_ToCStringLen2 on this context and is freed once.
    unsafe { qjs::JS_FreeCString(cx(ctx), data) };
    Some(bytes)
}

/// A property key: Rust text, a JS string/symbol value or a predefined atom.
pub(super) enum KeyRef<'a, 'js> {
    Str(&'a str),
    Val(&'a Value<'js>),
    Atom(qjs::JSAtom),
}

struct AtomGuard<'a, 'js> {
    ctx: &'a Ctx<'js>,
    atom: qjs::JSAtom,
    owned: bool,
}

impl<'a, 'js> AtomGuard<'a, 'js> {
    fn new(ctx: &'a Ctx<'js>, key: KeyRef<'_, 'js>) -> Option<Self> {
        let atom = match key {
            // SAFETY: `name` is valid for `len` bytes.
            KeyRef::Str(name) => unsafe {
                qjs::JS_NewAtomLen(cx(ctx), name.as_ptr().cast(), name.len() as qjs::size_t)
            },
            // SAFETY: `value` belongs to `ctx`.
            KeyRef::Val(value) => unsafe { qjs::JS_ValueToAtom(cx(ctx), value.as_raw()) },
            KeyRef::Atom(atom) => {
                return Some(Self {
                    ctx,
                    atom,
                    owned: false,
                });
            }
        };
        if atom == qjs::JS_ATOM_NULL {
            let _ = ctx.catch();
            return None;
        }
        Some(Self {
            ctx,
            atom,
            owned: true,
        })
    }
}

impl Drop for AtomGuard<'_, '_> {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: the atom was created by this guard and is released once.
            unsafe { qjs::JS_FreeAtom(cx(self.ctx), self.atom) };
        }
    }
}

pub(super) struct Desc<'js> {
    /// The value of a data property; `None` for accessors.
    pub(super) value: Option<Value<'js>>,
    pub(super) getter: Option<Value<'js>>,
    pub(super) setter: bool,
    pub(super) enumerable: bool,
}

/// `Object.getOwnPropertyDescriptor` without going through JS; `Err` if a proxy trap threw.
pub(super) fn own_desc<'js>(
    ctx: &Ctx<'js>,
    obj: &Value<'js>,
    key: KeyRef<'_, 'js>,
) -> Result<Option<Desc<'js>>, ()> {
    if !obj.is_object() {
        return Ok(None);
    }
    let atom = AtomGuard::new(ctx, key).ok_or(())?;
    let mut desc = MaybeUninit::<qjs::JSPropertyDescriptor>::uninit();
    // SAFETY: `obj` is an object of `ctx`, the atom is live, `desc` is writable.
    let found =
        unsafe { qjs::JS_GetOwnProperty(cx(ctx), desc.as_mut_ptr(), obj.as_raw(), atom.atom) };
    if found < 0 {
        let _ = ctx.catch();
        return Err(());
    }
    if found == 0 {
        return Ok(None);
    }
    // SAFETY: on success QuickJS filled every field with owned references.
    let desc = unsafe { desc.assume_init() };
    // SAFETY: each owned reference is wrapped exactly once.
    let (value, getter, setter) = unsafe {
        let wrap = |v| Value::from_raw(ctx.clone(), v);
        (wrap(desc.value), wrap(desc.getter), wrap(desc.setter))
    };
    let flags = desc.flags as u32;
    let accessor = flags & qjs::JS_PROP_GETSET != 0;
    Ok(Some(Desc {
        value: (!accessor).then_some(value),
        getter: (accessor && !getter.is_undefined()).then_some(getter),
        setter: accessor && !setter.is_undefined(),
        enumerable: flags & qjs::JS_PROP_ENUMERABLE != 0,
    }))
}

#[derive(Clone, Copy)]
pub(super) struct KeyQuery {
    pub(super) enumerable_only: bool,
    pub(super) symbols: bool,
    /// Skip integer keys below 2^31 without materialising them (huge arrays).
    pub(super) skip_small_indices: bool,
    pub(super) limit: usize,
}

impl KeyQuery {
    /// String and symbol keys, all or only enumerable ones, up to the key cap.
    pub(super) fn all(enumerable_only: bool) -> Self {
        let limit = super::MAX_KEYS;
        Self {
            enumerable_only,
            symbols: true,
            skip_small_indices: false,
            limit,
        }
    }

    fn flags(&self) -> std::ffi::c_int {
        let mut flags = qjs::JS_GPN_STRING_MASK | qjs::JS_GPN_SET_ENUM;
        if self.symbols {
            flags |= qjs::JS_GPN_SYMBOL_MASK;
        }
        if self.enumerable_only {
            flags |= qjs::JS_GPN_ENUM_ONLY;
        }
        flags as std::ffi::c_int
    }
}

/// Own keys in `Reflect.ownKeys` order (indices, strings, symbols), with enumerability.
pub(super) fn own_keys<'js>(
    ctx: &Ctx<'js>,
    obj: &Value<'js>,
    query: KeyQuery,
) -> Option<Vec<(Value<'js>, bool)>> {
    let mut tab: *mut qjs::JSPropertyEnum = ptr::null_mut();
    let mut len: u32 = 0;
    // SAFETY: `obj` belongs to `ctx`; `tab` and `len` are valid out-pointers.
    let status = unsafe {
        qjs::JS_GetOwnPropertyNames(cx(ctx), &mut tab, &mut len, obj.as_raw(), query.flags())
    };
    if status < 0 {
        let _ = ctx.catch();
        return None;
    }
    let mut keys = Vec::new();
    for i in 0..len as usize {
        if keys.len() >= query.limit {
            break;
        }
        // SAFETY: `tab` holds `len` initialised entries until it is freed below.
        let entry = unsafe { &*tab.add(i) };
        if query.skip_small_indices && entry.atom & ATOM_TAG_INT != 0 {
            continue;
        }
        // SAFETY: the atom is live; the returned value is owned.
        if let Some(key) = owned(ctx, unsafe { qjs::JS_AtomToValue(cx(ctx), entry.atom) }) {
            keys.push((key, entry.is_enumerable));
        }
    }
    // SAFETY: frees the table and its atoms exactly once.
    unsafe { qjs::JS_FreePropertyEnum(cx(ctx), tab, len) };
    Some(keys)
}
