//! The formulas that choose or repeat: `$case` (with filters that are formulas, and the legacy
//! `[{field, operator, value}]` lists that match when any value found along `field` passes),
//! `$eval` (its operator is the object's second key) and `$iterate`.

use serde_json::Value;

use super::build::{Builder, Result};
use super::formulas::arg;
use super::locator::{self, Step};
use super::operators;
use super::value::{Built, Node, Scope, Val, as_ref};
use super::{MappingError, js};

impl Builder {
    /// `$case`: the `value` of the first case whose filter matches, else `default` (`null` → nothing).
    pub(super) fn case<'v>(&mut self, args: &'v Value, scope: &Scope<'v, '_>) -> Result<Built<'v>> {
        let (cases, default) = match args {
            Value::Array(items) => (items, None),
            Value::Object(map) => match map.get("cases") {
                Some(Value::Array(items)) => (items, map.get("default")),
                _ => return Ok(None),
            },
            _ => return Ok(None),
        };
        for (i, case) in cases.iter().enumerate() {
            let segment = format!("cases/{i}");
            let item = match case {
                Value::Object(map) => map,
                // An array passes the SDK's `typeof item === 'object'`, has no filter, matches.
                Value::Array(_) => return Ok(None),
                _ => continue,
            };
            let matched = match item.get("filter") {
                Some(filter) if js::truthy(Some(filter)) => self
                    .filter_matches(filter, scope)
                    .map_err(|e| e.within(format!("{segment}/filter")))?,
                _ => true,
            };
            if matched {
                return self.build_at(item.get("value"), scope, &format!("{segment}/value"));
            }
        }
        let built = self.build_at(default, scope, "default")?;
        Ok(built.filter(|v| !v.is_null()))
    }

    /// `backwardCompatibleFilterMatch`: a legacy list, or a formula whose `null`/`undefined` result
    /// counts as a match.
    fn filter_matches<'v>(&mut self, filter: &'v Value, scope: &Scope<'v, '_>) -> Result<bool> {
        if let Value::Array(conditions) = filter {
            return legacy_filter_matches(conditions, scope);
        }
        let built = self.build(filter, scope)?;
        Ok(match as_ref(&built) {
            None | Some(Value::Null) => true,
            other => js::truthy(other),
        })
    }

    /// `$eval: value, <operator>: operand`: no operator, or an unknown one, yields `true`.
    pub(super) fn eval<'v>(
        &mut self,
        args: &'v Value,
        whole: &'v Value,
        scope: &Scope<'v, '_>,
    ) -> Result<Built<'v>> {
        let value = self.build(args, scope)?;
        let Value::Object(map) = whole else {
            return Ok(None);
        };
        let Some(&(name, operand)) = js::entries(map).get(1) else {
            return Ok(Some(Val::Own(Value::Bool(true))));
        };
        let Some(op) = operators::eval_op(name) else {
            if js::is_prototype_name(name) {
                let message = format!("`{name}` is not an operator: the vendor's engine throws");
                return Err(MappingError::formula("$eval", message).within(name));
            }
            return Ok(Some(Val::Own(Value::Bool(true))));
        };
        let operand = self.build(operand, scope).map_err(|e| e.within(name))?;
        let result = op.apply(as_ref(&value), as_ref(&operand));
        Ok(Some(Val::Own(Value::Bool(result))))
    }

    /// `$iterate: {source, item}`: `item` built over `{item, index, parent}` for each element of
    /// `source`; falsy results are dropped, and no result at all yields nothing.
    pub(super) fn iterate<'v>(
        &mut self,
        args: &'v Value,
        scope: &Scope<'v, '_>,
    ) -> Result<Built<'v>> {
        let item = arg(args, "item");
        let out = match self.build_at(arg(args, "source"), scope, "source")? {
            Some(Val::Ref(Value::Array(items))) => self.each_item(items, item, scope)?,
            Some(Val::Own(Value::Array(items))) => self.each_item(&items, item, scope)?,
            _ => return Ok(None),
        };
        Ok((!out.is_empty()).then_some(Val::Own(Value::Array(out))))
    }

    fn each_item<'x>(
        &mut self,
        items: &'x [Value],
        template: Option<&'x Value>,
        parent: &Scope<'x, '_>,
    ) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let scope = Scope::Item {
                item,
                index,
                parent,
            };
            let built = self.build_at(template, &scope, "item")?;
            if js::truthy(as_ref(&built)) {
                out.extend(built.map(Val::into_owned));
            }
        }
        Ok(out)
    }
}

/// `doesMatchFilter`: every condition must hold for some value found along its `field`.
fn legacy_filter_matches(conditions: &[Value], scope: &Scope<'_, '_>) -> Result<bool> {
    for (i, condition) in conditions.iter().enumerate() {
        let fail = |message: String| MappingError::formula("$case", message).within(i);
        let map = match condition {
            Value::Null => return Err(fail("a filter condition is null".into())),
            Value::Object(map) => map,
            _ => continue,
        };
        let name = js::to_string(map.get("operator"));
        let op = operators::legacy_op(&name);
        if op.is_none() && !js::is_prototype_name(&name) {
            continue;
        }
        let field = map.get("field").unwrap_or(&Value::Null);
        let steps = match field {
            Value::String(s) if s.is_empty() => vec![Step::Property(String::new())],
            _ => locator::parse(field).map_err(|m| fail(format!("bad field: {m}")))?,
        };
        let Some(op) = op else {
            return Err(fail(format!("`{name}` is not an operator")));
        };
        let mut found = Vec::new();
        field_values(Cur::Node(Node::of_scope(scope)), &steps, &mut found);
        let operand = map.get("value");
        let holds = if found.is_empty() {
            op.apply(None, operand)
        } else {
            found.iter().any(|v| op.apply(Some(v), operand))
        };
        if !holds {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Where a legacy field walk stands: a place in the variables, or a value made on the way
/// (`"abc".length`, `"abc"[0]`).
enum Cur<'v, 's> {
    Node(Node<'v, 's>),
    Made(Value),
}

/// `getFilterFieldValuesByLocator`: a property step over an array fans out over its items.
fn field_values<'v, 's>(start: Cur<'v, 's>, steps: &[Step], out: &mut Vec<Val<'v>>) {
    let mut current = start;
    for (i, step) in steps.iter().enumerate() {
        if let Cur::Node(Node::Value(Value::Null)) | Cur::Made(Value::Null) = current {
            return;
        }
        let next = match (step, &current) {
            (Step::Item(key), Cur::Node(node)) if node.is_array() => {
                node.property(key).map(Cur::Node)
            }
            (Step::Item(_), _) => return,
            (Step::Property(_), Cur::Node(Node::Value(Value::Array(items)))) => {
                for item in items {
                    field_values(Cur::Node(Node::Value(item)), &steps[i..], out);
                }
                return;
            }
            (Step::Property(key), Cur::Node(Node::Value(Value::String(s))))
            | (Step::Property(key), Cur::Made(Value::String(s))) => {
                string_property(s, key).map(Cur::Made)
            }
            (Step::Property(key), Cur::Node(node)) => node.property(key).map(Cur::Node),
            (Step::Property(_), Cur::Made(_)) => None,
            (Step::Bad(_), _) => continue,
        };
        match next {
            Some(next) => current = next,
            None => return,
        }
    }
    match current {
        Cur::Node(Node::Value(Value::Null)) | Cur::Made(Value::Null) => {}
        Cur::Node(node) => out.push(node.into_val()),
        Cur::Made(v) => out.push(Val::Own(v)),
    }
}

/// `s[key]` for a string: its UTF-16 `length`, or the character at an index.
fn string_property(s: &str, key: &str) -> Option<Value> {
    if key == "length" {
        return Some(Value::from(js::utf16_len(s)));
    }
    let index = js::array_index(key)?;
    let unit = *s.encode_utf16().collect::<Vec<u16>>().get(index)?;
    Some(Value::String(
        char::decode_utf16([unit])
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    ))
}
