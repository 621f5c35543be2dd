//! The property names every argument object has, made into atoms once per sandbox. Naming a
//! property by its text looks the text up in the runtime's atom table each time; with many
//! subscriptions, each with its own sandbox and table, cold in the CPU's caches when they take
//! turns, those look-ups were a tenth of a webhook's time on its worker.

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

/// The atoms of [`NAMES`] in one runtime, which they hold a reference in until dropped (before
/// the runtime: the sandbox drops its `Shared` first).
pub(super) struct Keys {
    runtime: *mut qjs::JSRuntime,
    atoms: [qjs::JSAtom; NAMES.len()],
}

impl Keys {
    pub(super) fn new(ctx: &Ctx<'_>) -> rquickjs::Result<Keys> {
        let ctx = ctx.as_raw().as_ptr();
        // SAFETY: `ctx` is a live context; each atom made is owned by `keys` (freed by its drop,
        // also when a later one fails).
        let mut keys = Keys {
            runtime: unsafe { qjs::JS_GetRuntime(ctx) },
            atoms: [qjs::JS_ATOM_NULL; NAMES.len()],
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
        let ctx = object.ctx().as_raw().as_ptr();
        let flags = (qjs::JS_PROP_C_W_E | qjs::JS_PROP_THROW) as _;
        // SAFETY: `object` and `value` belong to this sandbox's live context, whose runtime made
        // the atom; the call consumes the reference duplicated for it, and `value` drops its own.
        let defined = unsafe {
            let owned = qjs::JS_DupValue(ctx, value.as_raw());
            qjs::JS_DefinePropertyValue(
                ctx,
                object.as_raw(),
                self.atoms[key as usize],
                owned,
                flags,
            )
        };
        if defined < 0 {
            return Err(rquickjs::Error::Exception);
        }
        Ok(())
    }
}

impl Drop for Keys {
    fn drop(&mut self) {
        for &atom in &self.atoms {
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
