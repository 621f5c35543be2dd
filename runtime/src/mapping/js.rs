//! JavaScript's coercions as the vendor's engine (Node) applies them to JSON values: truthiness,
//! `String(v)`, `==`, `===`, `parseFloat`, `+string`, and the order in which `Object.keys` lists
//! keys (array-index keys first, ascending). `None` stands for `undefined` throughout.

use serde_json::{Map, Value};

/// JS `WhiteSpace` and `LineTerminator` (what `trim()`, `\s` and `+string` skip).
pub(super) fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

pub(super) fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// `String.prototype.trim`.
pub(super) fn trim(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// JS truthiness.
pub(super) fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(_) | Value::Object(_)) => true,
    }
}

/// A JSON number as JS sees it.
pub(super) fn num(n: &serde_json::Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

/// A JS number as JSON: integers without a fraction, `-0` as `0`, NaN and ±Infinity as `null`
/// (what `JSON.stringify` writes).
pub(super) fn number_value(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

/// `String(v)`: what `join`, `replace`, template strings and `toString()` produce.
pub(super) fn to_string(v: Option<&Value>) -> String {
    match v {
        None => "undefined".to_owned(),
        Some(v) => value_to_string(v),
    }
}

pub(super) fn value_to_string(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => super::number::to_string(num(n)),
        Value::String(s) => s.clone(),
        Value::Array(items) => join(items, ","),
        Value::Object(_) => "[object Object]".to_owned(),
    }
}

/// `Array.prototype.join`: `null` and `undefined` items become empty strings.
pub(super) fn join<'a>(items: impl IntoIterator<Item = &'a Value>, delimiter: &str) -> String {
    let mut out = String::new();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(delimiter);
        }
        if !item.is_null() {
            out.push_str(&value_to_string(item));
        }
    }
    out
}

/// `ToNumber` of a primitive (objects go through `ToPrimitive` first, see [`loose_eq`]).
fn primitive_to_number(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => num(n),
        Value::String(s) => super::number::string_to_number(s),
        Value::Array(_) | Value::Object(_) => super::number::string_to_number(&value_to_string(v)),
    }
}

/// `parseFloat(v)`.
pub(super) fn parse_float(v: Option<&Value>) -> f64 {
    match v {
        Some(Value::Number(n)) => num(n),
        Some(Value::String(s)) => super::number::parse_float(s),
        other => super::number::parse_float(&to_string(other)),
    }
}

/// `a === b` (and `SameValueZero`, the same for JSON values): objects by identity.
pub(super) fn strict_eq(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => match (a, b) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Number(x), Value::Number(y)) => num(x) == num(y),
            (Value::String(x), Value::String(y)) => x == y,
            (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => {
                std::ptr::eq(a, b)
            }
            _ => false,
        },
        _ => false,
    }
}

/// `a == b`.
pub(super) fn loose_eq(a: Option<&Value>, b: Option<&Value>) -> bool {
    let (Some(x), Some(y)) = (a, b) else {
        return a.is_none_or(Value::is_null) && b.is_none_or(Value::is_null);
    };
    match (x, y) {
        (Value::Null, _) | (_, Value::Null) => x.is_null() && y.is_null(),
        (Value::Array(_) | Value::Object(_), Value::Array(_) | Value::Object(_)) => {
            std::ptr::eq(x, y)
        }
        (Value::String(s), Value::String(t)) => s == t,
        (Value::Array(_) | Value::Object(_), Value::String(s))
        | (Value::String(s), Value::Array(_) | Value::Object(_)) => {
            let object = if x.is_string() { y } else { x };
            value_to_string(object) == *s
        }
        _ => primitive_to_number(x) == primitive_to_number(y),
    }
}

/// The index an array-index key names (`"0"`, `"17"`; not `"01"` nor `"-1"`).
pub(super) fn array_index(key: &str) -> Option<usize> {
    let bytes = key.as_bytes();
    let canonical = !bytes.is_empty()
        && bytes.len() <= 10
        && bytes.iter().all(u8::is_ascii_digit)
        && (bytes[0] != b'0' || bytes.len() == 1);
    let index: u64 = if canonical {
        key.parse().ok()?
    } else {
        return None;
    };
    (index < u64::from(u32::MAX)).then_some(index as usize)
}

/// The entries of `map` in the order `Object.keys` gives them.
pub(super) fn entries(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut all: Vec<(&String, &Value)> = map.iter().collect();
    if all.iter().any(|(k, _)| array_index(k).is_some()) {
        // Stable: string keys keep their insertion order behind the index keys.
        all.sort_by_key(|(k, _)| array_index(k).map_or((1, 0), |i| (0, i)));
    }
    all
}

/// The first key of `map` in `Object.keys` order.
pub(super) fn first_key(map: &Map<String, Value>) -> Option<&String> {
    let min_index = map
        .keys()
        .filter_map(|k| array_index(k).map(|i| (i, k)))
        .min_by_key(|(i, _)| *i);
    match min_index {
        Some((_, k)) => Some(k),
        None => map.keys().next(),
    }
}

/// `map` reordered as JS would list it.
pub(super) fn reorder(map: Map<String, Value>) -> Map<String, Value> {
    if !map.keys().any(|k| array_index(k).is_some()) {
        return map;
    }
    let mut all: Vec<(String, Value)> = map.into_iter().collect();
    all.sort_by_key(|(k, _)| array_index(k).map_or((1, 0), |i| (0, i)));
    all.into_iter().collect()
}

/// Names `Object.prototype` carries: `x in {}` is true for them, and reading them off a plain
/// object yields a function rather than `undefined`.
pub(super) const OBJECT_PROTOTYPE: [&str; 12] = [
    "constructor",
    "__defineGetter__",
    "__defineSetter__",
    "hasOwnProperty",
    "__lookupGetter__",
    "__lookupSetter__",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toString",
    "valueOf",
    "__proto__",
    "toLocaleString",
];

pub(super) fn is_prototype_name(name: &str) -> bool {
    OBJECT_PROTOTYPE.contains(&name)
}

/// The length of `s` in UTF-16 code units (`s.length`).
pub(super) fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}
