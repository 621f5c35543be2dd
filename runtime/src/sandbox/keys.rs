//! The property names every argument object has, made into atoms once per sandbox. Naming a
//! property by its text looks the text up in the runtime's atom table each time; with many
//! subscriptions, each with its own sandbox and table, cold in the CPU's caches when they take
//! turns, those look-ups were a tenth of a webhook's time on its worker. Header names too: an
//! app sends the same dozen with every webhook, and looking them up was 4 % of the worker's time
//! with 64 subscriptions.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{LazyLock, PoisonError, RwLock};

use rquickjs::{Ctx, Object, Value, qjs};

/// A name of [`NAMES`], by position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Key {
    State,
    Parameters,
    Credentials,
    ConnectorParameters,
    Query,
    Headers,
    RawBody,
    Data,
    Method,
    WebhookUri,
    Body,
}

const NAMES: [(&str, Key); 11] = [
    ("state", Key::State),
    ("parameters", Key::Parameters),
    ("credentials", Key::Credentials),
    ("connectorParameters", Key::ConnectorParameters),
    ("query", Key::Query),
    ("headers", Key::Headers),
    ("rawBody", Key::RawBody),
    ("data", Key::Data),
    ("method", Key::Method),
    ("webhookUri", Key::WebhookUri),
    ("body", Key::Body),
];

impl Key {
    /// The key named `name`, if it is one of these.
    pub(super) fn of(name: &str) -> Option<Key> {
        NAMES
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, key)| *key)
    }
}

/// Header names numbered, the same numbers in every sandbox (a sandbox keeps the atom of each
/// number it has met). The first [`HEADER_NAMES`] names seen get one; later ones are named by
/// their text, so that a stream of made-up names cannot grow this or a sandbox without bound.
static HEADER_NUMBERS: LazyLock<RwLock<HashMap<Box<str>, usize>>> = LazyLock::new(Default::default);
const HEADER_NAMES: usize = 256;

thread_local! {
    /// The numbers this thread has used: looked up without a lock.
    static KNOWN_HERE: RefCell<HashMap<Box<str>, usize>> = RefCell::default();
}

/// The number of header name `name`, if it has one or may get one.
fn header_number(name: &str) -> Option<usize> {
    let here = KNOWN_HERE.with_borrow(|known| known.get(name).copied());
    if here.is_some() {
        return here;
    }
    let number = number_everywhere(name)?;
    KNOWN_HERE.with_borrow_mut(|known| known.insert(name.into(), number));
    Some(number)
}

/// [`header_number`] from the numbers of every thread, giving `name` the next one if it has none.
fn number_everywhere(name: &str) -> Option<usize> {
    let known = HEADER_NUMBERS
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(name)
        .copied();
    if known.is_some() {
        return known;
    }
    let mut numbers = HEADER_NUMBERS
        .write()
        .unwrap_or_else(PoisonError::into_inner);
    let next = numbers.len();
    match numbers.get(name) {
        Some(&number) => Some(number),
        None if next < HEADER_NAMES => {
            numbers.insert(name.into(), next);
            Some(next)
        }
        None => None,
    }
}

/// The atoms of [`NAMES`] and of the header names met, in one runtime, which they hold a
/// reference in until dropped (before the runtime: the sandbox drops its `Shared` first).
pub(super) struct Keys {
    runtime: *mut qjs::JSRuntime,
    atoms: [qjs::JSAtom; NAMES.len()],
    /// By header number; `JS_ATOM_NULL` for numbers not met yet.
    headers: RefCell<Vec<qjs::JSAtom>>,
}

impl Keys {
    pub(super) fn new(ctx: &Ctx<'_>) -> rquickjs::Result<Keys> {
        let ctx = ctx.as_raw().as_ptr();
        // SAFETY: `ctx` is a live context; each atom made is owned by `keys` (freed by its drop,
        // also when a later one fails).
        let mut keys = Keys {
            runtime: unsafe { qjs::JS_GetRuntime(ctx) },
            atoms: [qjs::JS_ATOM_NULL; NAMES.len()],
            headers: RefCell::new(Vec::new()),
        };
        for (atom, (name, _)) in keys.atoms.iter_mut().zip(NAMES) {
            *atom = unsafe { qjs::JS_NewAtomLen(ctx, name.as_ptr().cast(), name.len() as _) };
            if *atom == qjs::JS_ATOM_NULL {
                return Err(rquickjs::Error::Exception);
            }
        }
        Ok(keys)
    }

    /// Makes `key` an own, plain (writable, enumerable, configurable) property of `object`, as
    /// [`super::marshal::define`] does with a name.
    pub(super) fn define<'js>(
        &self,
        object: &Object<'js>,
        key: Key,
        value: Value<'js>,
    ) -> rquickjs::Result<()> {
        define_atom(object, self.atoms[key as usize], value)
    }

    /// Makes header `name` a plain property of `object`, as [`Keys::define`] does.
    pub(super) fn define_header<'js>(
        &self,
        object: &Object<'js>,
        name: &str,
        value: Value<'js>,
    ) -> rquickjs::Result<()> {
        let Some(number) = header_number(name) else {
            return super::marshal::define(object, name, value);
        };
        let atom = {
            let mut atoms = self.headers.borrow_mut();
            if atoms.len() <= number {
                atoms.resize(number + 1, qjs::JS_ATOM_NULL);
            }
            if atoms[number] == qjs::JS_ATOM_NULL {
                let ctx = object.ctx().as_raw().as_ptr();
                // SAFETY: `ctx` is this sandbox's live context, in `self.runtime`; the atom made
                // is owned by `self` (freed by its drop).
                let atom =
                    unsafe { qjs::JS_NewAtomLen(ctx, name.as_ptr().cast(), name.len() as _) };
                if atom == qjs::JS_ATOM_NULL {
                    return Err(rquickjs::Error::Exception);
                }
                atoms[number] = atom;
            }
            atoms[number]
        };
        define_atom(object, atom, value)
    }
}

/// Makes `atom` an own, plain property of `object` with `value`.
fn define_atom<'js>(
    object: &Object<'js>,
    atom: qjs::JSAtom,
    value: Value<'js>,
) -> rquickjs::Result<()> {
    let ctx = object.ctx().as_raw().as_ptr();
    let flags = (qjs::JS_PROP_C_W_E | qjs::JS_PROP_THROW) as _;
    // SAFETY: `object` and `value` belong to this sandbox's live context, whose runtime made the
    // atom; the call consumes the reference duplicated for it, and `value` drops its own.
    let defined = unsafe {
        let owned = qjs::JS_DupValue(ctx, value.as_raw());
        qjs::JS_DefinePropertyValue(ctx, object.as_raw(), atom, owned, flags)
    };
    if defined < 0 {
        return Err(rquickjs::Error::Exception);
    }
    Ok(())
}

impl Drop for Keys {
    fn drop(&mut self) {
        for &atom in self.atoms.iter().chain(self.headers.get_mut().iter()) {
            if atom != qjs::JS_ATOM_NULL {
                // SAFETY: the atom was made in `runtime`, which is still alive (see the type).
                unsafe { qjs::JS_FreeAtomRT(self.runtime, atom) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_found_by_its_name_and_in_its_place() {
        for (position, (name, key)) in NAMES.iter().enumerate() {
            assert_eq!(Key::of(name), Some(*key));
            assert_eq!(*key as usize, position, "{name}");
        }
        assert_eq!(Key::of("bodyx"), None);
    }
}
