//! Locators (`a.b[0]`, `$.a.b`, `$`, or a list of step objects) and the vendor's three ways of
//! following one: `getValueByLocator` (`$var`: a falsy array item reads as missing),
//! `getValueAtLocator` and `setValueAtLocator` (`$formula`: writing `undefined` deletes the key or
//! splices the item out).

use serde_json::Value;

use super::js;
use super::value::{Built, Node, Scope};

/// One step of a locator. An array item is kept as the property key JS would read (`"1"`, `"1.5"`).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Step {
    Property(String),
    Item(String),
    /// A step object of a list locator that is neither kind: an error once a walk reaches it.
    Bad(String),
}

/// Parses a locator as `locatorToSteps` does; `Err` names why a string locator is malformed.
pub(super) fn parse(locator: &Value) -> Result<Vec<Step>, String> {
    match locator {
        Value::String(s) if s.is_empty() => Err("the locator is empty".into()),
        Value::String(s) => parse_str(s),
        Value::Array(steps) => Ok(steps.iter().map(list_step).collect()),
        other => Err(format!(
            "a locator is a string or a list of steps, not {}",
            kind(other)
        )),
    }
}

pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn parse_str(source: &str) -> Result<Vec<Step>, String> {
    if source == "$" {
        return Ok(Vec::new());
    }
    let full: Vec<char> = if source.starts_with('$') {
        source.chars().collect()
    } else {
        "$.".chars().chain(source.chars()).collect()
    };
    let mut steps = Vec::new();
    let mut pos = 1;
    while pos < full.len() {
        if full[pos] == '.' {
            let end = next_separator(&full, pos + 1).unwrap_or(full.len());
            steps.push(Step::Property(unescape(&full[pos + 1..end])));
            pos = end;
        } else if full[pos] == '[' {
            let (step, end) = bracket(&full, pos)?;
            steps.push(step);
            pos = end;
        } else {
            return Err(format!("unexpected `{}` at position {pos}", full[pos]));
        }
    }
    Ok(steps)
}

/// `[n]` at `pos`: the step and the position after `]`.
fn bracket(full: &[char], pos: usize) -> Result<(Step, usize), String> {
    let close = full[pos..]
        .iter()
        .position(|c| *c == ']')
        .map(|i| pos + i)
        .ok_or_else(|| format!("no closing bracket for the bracket at position {pos}"))?;
    let inner: String = full[pos + 1..close].iter().collect();
    let index = super::number::string_to_number(&inner);
    if index.is_nan() || index < 0.0 {
        return Err(format!(
            "invalid index [{inner}]: an index is a positive number"
        ));
    }
    Ok((Step::Item(super::number::to_string(index)), close + 1))
}

/// `findNextPosition(s, from, '[.')`: the next unescaped `[` or `.`.
fn next_separator(chars: &[char], from: usize) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in chars.iter().enumerate().skip(from) {
        if *c == '\\' {
            escaped = !escaped;
        } else if escaped {
            escaped = false;
        } else if *c == '[' || *c == '.' {
            return Some(i);
        }
    }
    None
}

/// `s.replace(/\\(.)/g, '$1')` (`.` matches no line terminator).
fn unescape(chars: &[char]) -> String {
    let mut out = String::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        match chars.get(i + 1) {
            Some(next) if chars[i] == '\\' && !js::is_line_terminator(*next) => {
                out.push(*next);
                i += 2;
            }
            _ => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out
}

/// A step object of a list locator: `{type: 'object_property', propertyName}` or
/// `{type: 'array_item', index}` (compared with `==`, read with `String(...)`, as JS does).
fn list_step(step: &Value) -> Step {
    let Value::Object(map) = step else {
        return Step::Bad(format!("unexpected locator step {}", kind(step)));
    };
    let kind_is = |name: &str| js::loose_eq(map.get("type"), Some(&Value::from(name)));
    if kind_is("object_property") {
        Step::Property(js::to_string(map.get("propertyName")))
    } else if kind_is("array_item") {
        Step::Item(js::to_string(map.get("index")))
    } else {
        Step::Bad(format!(
            "unexpected locator step type: {}",
            js::to_string(map.get("type"))
        ))
    }
}

/// `getValueByLocator(scope, steps)`.
pub(super) fn resolve<'v>(scope: &Scope<'v, '_>, steps: &[Step]) -> Result<Built<'v>, String> {
    let mut current = Node::of_scope(scope);
    for step in steps {
        let next = match step {
            Step::Property(key) if current.is_object() => current.property(key),
            Step::Item(key) if current.is_array() => current.property(key).filter(|n| n.truthy()),
            Step::Property(_) | Step::Item(_) => None,
            Step::Bad(message) => return Err(message.clone()),
        };
        match next {
            Some(node) => current = node,
            None => return Ok(None),
        }
    }
    Ok(Some(current.into_val()))
}

/// `getValueAtLocator(data, steps)`: a missing key or item is `undefined`, a falsy one is not.
pub(super) fn get_at<'a>(data: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    let mut current = data;
    for step in steps {
        current = match (step, current) {
            (Step::Property(key), Value::Object(map)) => map.get(key)?,
            (Step::Property(key) | Step::Item(key), Value::Array(items)) => {
                items.get(js::array_index(key)?)?
            }
            _ => return None,
        };
    }
    Some(current)
}

/// `setValueAtLocator(data, steps, value)` for a non-empty `steps`: makes the containers a step
/// needs (replacing whatever was there), then sets, deletes or splices out the last one.
pub(super) fn set_at(target: &mut Value, steps: &[Step], value: Option<Value>) {
    let Some((step, rest)) = steps.split_first() else {
        return;
    };
    match step {
        Step::Item(key) => {
            if !target.is_array() {
                *target = Value::Array(Vec::new());
            }
            let Value::Array(items) = target else { return };
            set_item(items, js::array_index(key), rest, value, true);
        }
        Step::Property(key) => {
            if !matches!(target, Value::Object(_) | Value::Array(_)) {
                *target = Value::Object(serde_json::Map::new());
            }
            match target {
                Value::Object(map) => set_property(map, key, rest, value),
                // `delete array[i]` leaves a hole, which JSON writes as null.
                Value::Array(items) => set_item(items, js::array_index(key), rest, value, false),
                _ => {}
            }
        }
        Step::Bad(_) => {}
    }
}

fn set_item(
    items: &mut Vec<Value>,
    index: Option<usize>,
    rest: &[Step],
    value: Option<Value>,
    splice: bool,
) {
    // A key that is no array index would be an invisible property of the array in JS.
    let Some(index) = index else { return };
    if rest.is_empty() && value.is_none() {
        if index < items.len() {
            if splice {
                items.remove(index);
            } else {
                items[index] = Value::Null;
            }
        }
        return;
    }
    if index >= items.len() {
        items.resize(index + 1, Value::Null);
    }
    match value {
        Some(v) if rest.is_empty() => items[index] = v,
        value => set_at(&mut items[index], rest, value),
    }
}

fn set_property(
    map: &mut serde_json::Map<String, Value>,
    key: &str,
    rest: &[Step],
    value: Option<Value>,
) {
    if rest.is_empty() {
        match value {
            Some(v) => {
                map.insert(key.to_owned(), v);
            }
            None => {
                map.shift_remove(key);
            }
        }
        return;
    }
    let slot = map.entry(key.to_owned()).or_insert(Value::Null);
    set_at(slot, rest, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<Step> {
        parse(&Value::from(s)).unwrap()
    }

    #[test]
    fn parses_the_vendor_forms() {
        let prop = |s: &str| Step::Property(s.into());
        let item = |s: &str| Step::Item(s.into());
        assert_eq!(p("a.b[0]"), [prop("a"), prop("b"), item("0")]);
        assert_eq!(p("$.a-b.c d"), [prop("a-b"), prop("c d")]);
        assert_eq!(p("$"), []);
        assert_eq!(p("a\\.b"), [prop("a.b")]);
        assert_eq!(p("[ 1 ]"), [prop(""), item("1")]);
        assert_eq!(p("a[1.5]"), [prop("a"), item("1.5")]);
        assert!(parse(&Value::from("$a")).is_err());
        assert!(parse(&Value::from("a[-1]")).is_err());
        assert!(parse(&Value::from("a[x]")).is_err());
        assert!(parse(&Value::from("a[0")).is_err());
        assert!(parse(&Value::from("a[0]b")).is_err());
        assert!(parse(&Value::from("")).is_err());
    }
}
