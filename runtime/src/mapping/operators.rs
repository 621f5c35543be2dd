//! Comparison operators: the `$eval` table (`OPERATOR_SPECS`: `is`, `oneOf`, `contains`, `lt`...)
//! and the legacy filter table (`OPERATORS`: `is_one_of`, `array_includes`...) that `$case` uses
//! for filters written as `[{field, operator, value}]`, with the JS coercions of each.

use serde_json::Value;

use super::js;

/// An operator of either table, by what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Is,
    IsNot,
    OneOf,
    NoneOf,
    IsTrue,
    IsFalse,
    /// `contains` of `$eval`: arrays by `includes`, else case-insensitive substring.
    Contains,
    DoesNotContain,
    /// `contains` of the legacy table: case-sensitive substring, `false` for a falsy value.
    ContainsText,
    DoesNotContainText,
    ArrayIncludes,
    ArrayDoesNotInclude,
    Lt,
    Lte,
    Gt,
    Gte,
    IsEmpty,
    IsNotEmpty,
}

const EVAL: [(&str, Op); 12] = [
    ("is", Op::Is),
    ("isNot", Op::IsNot),
    ("oneOf", Op::OneOf),
    ("noneOf", Op::NoneOf),
    ("contains", Op::Contains),
    ("doesNotContain", Op::DoesNotContain),
    ("lt", Op::Lt),
    ("lte", Op::Lte),
    ("gt", Op::Gt),
    ("gte", Op::Gte),
    ("isNotEmpty", Op::IsNotEmpty),
    ("isEmpty", Op::IsEmpty),
];

const LEGACY: [(&str, Op); 16] = [
    ("is", Op::Is),
    ("is_not", Op::IsNot),
    ("is_one_of", Op::OneOf),
    ("is_not_one_of", Op::NoneOf),
    ("is_true", Op::IsTrue),
    ("is_false", Op::IsFalse),
    ("contains", Op::ContainsText),
    ("does_not_contain", Op::DoesNotContainText),
    ("array_includes", Op::ArrayIncludes),
    ("array_does_not_include", Op::ArrayDoesNotInclude),
    ("less_than", Op::Lt),
    ("less_than_or_equal", Op::Lte),
    ("more_than", Op::Gt),
    ("more_than_or_equal", Op::Gte),
    ("is_not_empty", Op::IsNotEmpty),
    ("is_empty", Op::IsEmpty),
];

/// The names `$eval` accepts as its operator key.
pub(super) fn eval_names() -> impl Iterator<Item = &'static str> {
    EVAL.iter().map(|(n, _)| *n)
}

pub(super) fn eval_op(name: &str) -> Option<Op> {
    EVAL.iter().find(|(n, _)| *n == name).map(|(_, op)| *op)
}

pub(super) fn legacy_op(name: &str) -> Option<Op> {
    LEGACY.iter().find(|(n, _)| *n == name).map(|(_, op)| *op)
}

impl Op {
    /// Whether the operator takes no operand.
    pub(super) fn is_unary(self) -> bool {
        matches!(
            self,
            Op::IsEmpty | Op::IsNotEmpty | Op::IsTrue | Op::IsFalse
        )
    }

    pub(super) fn apply(self, value: Option<&Value>, operand: Option<&Value>) -> bool {
        match self {
            Op::Is => js::loose_eq(value, operand),
            Op::IsNot => !js::loose_eq(value, operand),
            Op::OneOf => includes(operand, value),
            Op::NoneOf => !includes(operand, value),
            Op::IsTrue => js::truthy(value),
            Op::IsFalse => value == Some(&Value::Bool(false)),
            Op::Contains => js::truthy(value) && contains_any_case(value, operand),
            Op::DoesNotContain => !js::truthy(value) || !contains_any_case(value, operand),
            Op::ContainsText => js::truthy(value) && contains_text(value, operand),
            Op::DoesNotContainText => js::truthy(value) && !contains_text(value, operand),
            Op::ArrayIncludes => includes(value, operand),
            Op::ArrayDoesNotInclude => !includes(value, operand),
            Op::Lt => compare(value, operand, |a, b| a < b),
            Op::Lte => compare(value, operand, |a, b| a <= b),
            Op::Gt => compare(value, operand, |a, b| a > b),
            Op::Gte => compare(value, operand, |a, b| a >= b),
            Op::IsEmpty => is_empty(value),
            Op::IsNotEmpty => !is_empty(value),
        }
    }
}

/// `Array.isArray(list) && list.includes(item)`.
fn includes(list: Option<&Value>, item: Option<&Value>) -> bool {
    match list {
        Some(Value::Array(items)) => items.iter().any(|i| js::strict_eq(Some(i), item)),
        _ => false,
    }
}

/// `value.toString().toLowerCase().includes(operand?.toString()?.toLowerCase())`, or
/// `value.includes(operand)` for an array.
fn contains_any_case(value: Option<&Value>, operand: Option<&Value>) -> bool {
    if let Some(Value::Array(_)) = value {
        return includes(value, operand);
    }
    let haystack = js::to_string(value).to_lowercase();
    let needle = match operand {
        None | Some(Value::Null) => "undefined".to_owned(),
        Some(v) => js::value_to_string(v).to_lowercase(),
    };
    haystack.contains(&needle)
}

/// `value.toString().includes(operand)`.
fn contains_text(value: Option<&Value>, operand: Option<&Value>) -> bool {
    js::to_string(value).contains(&js::to_string(operand))
}

/// `parseFloat` both sides; `false` when either is NaN.
fn compare(value: Option<&Value>, operand: Option<&Value>, cmp: fn(f64, f64) -> bool) -> bool {
    let (a, b) = (js::parse_float(value), js::parse_float(operand));
    !a.is_nan() && !b.is_nan() && cmp(a, b)
}

/// `undefined`, `null`, `''`, `[]` and `{}` are empty; `0` and `false` are not.
fn is_empty(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(items)) => items.is_empty(),
        Some(Value::Object(map)) => map.is_empty(),
        Some(Value::Bool(_) | Value::Number(_)) => false,
    }
}
