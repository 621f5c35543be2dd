//! The value formulas: `$var`, `$record`, the pass-through wrappers (`$copy`, `$lookup`...),
//! `$concat`, `$firstNotEmpty`, `$and`, `$or`, `$mergeObjects`, `$map`, `$domainFromEmail`,
//! `$firstName`, `$lastName`, `$extractDate`, `$extractTime`. Each follows its SDK class's `getValue`,
//! including what it does with arguments of the wrong shape.

use serde_json::{Map, Value};

use super::build::{Builder, Result};
use super::catalog::Formula;
use super::value::{Built, Scope, Val, as_ref};
use super::{MappingError, js, locator};

/// `$var`: a malformed locator yields `null`; a list locator with a bad step throws once reached.
pub(super) fn var<'v>(args: &'v Value, scope: &Scope<'v, '_>) -> Result<Built<'v>> {
    let steps = match locator::parse(args) {
        Ok(steps) => steps,
        Err(_) => return Ok(Some(Val::Own(Value::Null))),
    };
    locator::resolve(scope, &steps).map_err(|message| MappingError::formula("$var", message))
}

/// `$record`: the `id` of its (unbuilt) argument.
pub(super) fn record(args: &Value) -> Built<'_> {
    match args {
        Value::Object(map) => map.get("id").map(Val::Ref),
        _ => None,
    }
}

/// `args.key` as JS reads it off any value: only objects have keys here.
pub(super) fn arg<'t>(args: &'t Value, key: &str) -> Option<&'t Value> {
    match args {
        Value::Object(map) => map.get(key),
        _ => None,
    }
}

impl Builder {
    /// `$copy`, `$lookup`, `$findAppRecordId`, `$findExternalRecordId`: `{$name: buildValue(args)}`.
    pub(super) fn wrapper<'v>(
        &mut self,
        f: Formula,
        args: &'v Value,
        scope: &Scope<'v, '_>,
    ) -> Result<Built<'v>> {
        let mut out = Map::new();
        if let Some(v) = self.build(args, scope)? {
            out.insert(f.key(), v.into_owned());
        }
        Ok(Some(Val::Own(Value::Object(out))))
    }

    /// `$concat`: the list without `null`, `undefined` and values that print as `''`, joined.
    pub(super) fn concat<'v>(
        &mut self,
        args: &'v Value,
        scope: &Scope<'v, '_>,
    ) -> Result<Built<'v>> {
        let (values, delimiter) = match args {
            Value::Array(_) => (Some(args), None),
            Value::Object(map) => (map.get("values"), map.get("delimiter")),
            _ => (None, None),
        };
        let empty = Value::Array(Vec::new());
        let values = values.unwrap_or(&empty);
        let Some(items) = self.build_list(Some(values), scope, "values")? else {
            return Ok(None);
        };
        if items.is_empty() {
            return Ok(None);
        }
        let delimiter = match delimiter.filter(|d| !d.is_null()) {
            Some(d) => js::to_string(as_ref(&self.build_at(Some(d), scope, "delimiter")?)),
            None => String::new(),
        };
        let kept = items
            .iter()
            .filter(|v| !v.is_null() && !js::value_to_string(v).is_empty());
        Ok(Some(Val::Own(Value::String(js::join(
            kept.map(|v| &**v),
            &delimiter,
        )))))
    }

    /// `$firstNotEmpty`: the first item that is neither `null` nor `undefined`.
    pub(super) fn first_not_empty<'v>(
        &mut self,
        args: &'v Value,
        scope: &Scope<'v, '_>,
    ) -> Result<Built<'v>> {
        let items = self.build_list(Some(args), scope, "")?;
        Ok(items.and_then(|items| items.into_iter().find(|v| !v.is_null())))
    }

    /// `$and` / `$or` over the items that are not `null`; nothing when there are none.
    pub(super) fn and_or<'v>(
        &mut self,
        f: Formula,
        args: &'v Value,
        scope: &Scope<'v, '_>,
    ) -> Result<Built<'v>> {
        let Some(items) = self.build_list(Some(args), scope, "")? else {
            return Ok(None);
        };
        let mut present = items.iter().filter(|v| !v.is_null()).peekable();
        if present.peek().is_none() {
            return Ok(None);
        }
        let result = if f == Formula::And {
            present.all(|v| js::truthy(Some(v)))
        } else {
            present.any(|v| js::truthy(Some(v)))
        };
        Ok(Some(Val::Own(Value::Bool(result))))
    }

    /// `$mergeObjects`: `Object.assign` of the objects (and arrays) in the list.
    pub(super) fn merge_objects<'v>(
        &mut self,
        args: &'v Value,
        scope: &Scope<'v, '_>,
    ) -> Result<Built<'v>> {
        let Some(items) = self.build_list(Some(args), scope, "")? else {
            return Ok(None);
        };
        let mut out = Map::new();
        for item in items {
            match item.into_owned() {
                Value::Object(map) => {
                    for (k, v) in js::entries(&map) {
                        out.insert(k.clone(), v.clone());
                    }
                }
                Value::Array(list) => {
                    for (i, v) in list.into_iter().enumerate() {
                        out.insert(i.to_string(), v);
                    }
                }
                _ => {}
            }
        }
        Ok((!out.is_empty()).then(|| Val::Own(Value::Object(js::reorder(out)))))
    }

    /// `$map`: `to` of the first `mapping` entry whose `from` deep-equals or `==` the value, else
    /// `default`.
    pub(super) fn map<'v>(&mut self, args: &'v Value, scope: &Scope<'v, '_>) -> Result<Built<'v>> {
        let Value::Object(map) = args else {
            return Ok(None);
        };
        let value = self.build_at(map.get("value"), scope, "value")?;
        if let Some(Value::Array(entries)) = map.get("mapping") {
            for (i, entry) in entries.iter().enumerate() {
                if entry.is_null() {
                    let message = format!("mapping entry {i} is null");
                    return Err(MappingError::formula("$map", message));
                }
                let segment = format!("mapping/{i}");
                let from = self.build_at(arg(entry, "from"), scope, &segment)?;
                if deep_equal(as_ref(&value), as_ref(&from))
                    || js::loose_eq(as_ref(&value), as_ref(&from))
                {
                    return self.build_at(arg(entry, "to"), scope, &segment);
                }
            }
        }
        self.build_at(map.get("default"), scope, "default")
    }

    /// `$domainFromEmail`: what follows the only `@` of a string.
    pub(super) fn domain_from_email<'v>(
        &mut self,
        args: &'v Value,
        scope: &Scope<'v, '_>,
    ) -> Result<Built<'v>> {
        let value = self.build(args, scope)?;
        let Some(Value::String(s)) = as_ref(&value) else {
            return Ok(None);
        };
        let parts: Vec<&str> = s.split('@').collect();
        Ok((parts.len() == 2).then(|| Val::Own(Value::String(parts[1].to_owned()))))
    }

    /// `$firstName` (only when a last name was found too) and `$lastName` (else the first name).
    pub(super) fn name_part<'v>(
        &mut self,
        f: Formula,
        args: &'v Value,
        scope: &Scope<'v, '_>,
    ) -> Result<Built<'v>> {
        let value = self.build(args, scope)?;
        let text = match as_ref(&value) {
            None | Some(Value::Null) => String::new(),
            Some(v) => js::value_to_string(v),
        };
        let name = super::names::parse(&text);
        let non_empty = |s: &Option<String>| s.as_ref().is_some_and(|s| !s.is_empty());
        let part = match f {
            // `if (lastName) return firstName`: possibly `''` or `undefined`.
            Formula::FirstName if non_empty(&name.last) => name.first,
            Formula::FirstName => None,
            _ if non_empty(&name.last) => name.last,
            _ => name.first.filter(|s| !s.is_empty()),
        };
        Ok(part.map(|p| Val::Own(Value::String(p))))
    }

    /// `$extractDate` / `$extractTime`: `Date.parse` in UTC, then the ISO string's date or time.
    pub(super) fn extract_date_time<'v>(
        &mut self,
        f: Formula,
        args: &'v Value,
        scope: &Scope<'v, '_>,
    ) -> Result<Built<'v>> {
        let value = self.build(args, scope)?;
        let Some(ms) = super::dates::parse(&js::to_string(as_ref(&value))) else {
            return Ok(None);
        };
        let iso = super::dates::to_iso_string(ms);
        let (from, to) = if f == Formula::ExtractDate {
            (0, 10)
        } else {
            (11, 19)
        };
        Ok(iso
            .get(from..to)
            .map(|s| Val::Own(Value::String(s.to_owned()))))
    }
}

/// `fast-deep-equal`: structure and `===` on scalars; `undefined` equals only itself.
pub(super) fn deep_equal(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| deep_equal(Some(p), Some(q)))
        }
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_equal(Some(v), Some(w))))
        }
        (Some(_), Some(_)) => js::strict_eq(a, b),
        _ => false,
    }
}
