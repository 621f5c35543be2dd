//! The formula engine against the vendor's: every case of `tests/mapping/expected.json` (written by
//! `tests/mapping/generate.mjs` from the SDK's `buildValue` under Node) evaluated by
//! `runtime::mapping::evaluate`, every mismatch reported at once. Plus the limits that keep a
//! hostile template from taking the process down.

use runtime::mapping::{MAX_TEMPLATE_DEPTH, MappingError, evaluate};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Case {
    name: String,
    template: Value,
    variables: Value,
    expected: Expected,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Expected {
    Value(Value),
    Undefined(serde::de::IgnoredAny),
    Throws(String),
}

fn cases() -> Vec<Case> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mapping/expected.json");
    let text = std::fs::read_to_string(path).expect("read expected.json");
    serde_json::from_str(&text).expect("parse expected.json")
}

/// JSON equality with numbers compared as JS numbers and objects in any key order.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn verdict(case: &Case) -> Option<String> {
    let got = evaluate(&case.template, &case.variables);
    let agrees = match (&case.expected, &got) {
        (Expected::Value(want), Ok(Some(v))) => same(want, v),
        (Expected::Undefined(_), Ok(None)) => true,
        (Expected::Throws(_), Err(_)) => true,
        _ => false,
    };
    let want = match &case.expected {
        Expected::Value(v) => v.to_string(),
        Expected::Undefined(_) => "nothing".to_owned(),
        Expected::Throws(m) => format!("an error ({m})"),
    };
    let got = match got {
        Ok(Some(v)) => v.to_string(),
        Ok(None) => "nothing".to_owned(),
        Err(e) => format!("an error ({e})"),
    };
    (!agrees).then(|| {
        format!(
            "{}\n  template: {}\n  expected: {want}\n  got:      {got}",
            case.name, case.template
        )
    })
}

#[test]
fn every_case_agrees_with_the_vendor_engine() {
    let cases = cases();
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    let mismatches: Vec<String> = cases.iter().filter_map(verdict).collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} cases disagree with the vendor's engine:\n\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n\n")
    );
}

/// Builds `{"$concat": [ ... [leaf] ... ]}`-style nesting without recursion.
fn nest(depth: usize, leaf: Value, wrap: fn(Value) -> Value) -> Value {
    (0..depth).fold(leaf, |inner, _| wrap(inner))
}

/// Drops a deep value without recursion.
fn dismantle(value: Value) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

#[test]
fn a_template_nested_ten_thousand_deep_fails_cleanly() {
    let wraps: [fn(Value) -> Value; 3] = [
        |v| Value::Array(vec![v]),
        |v| {
            let mut map = serde_json::Map::new();
            map.insert("a".into(), v);
            Value::Object(map)
        },
        |v| {
            let mut map = serde_json::Map::new();
            map.insert("$concat".into(), Value::Array(vec![v]));
            Value::Object(map)
        },
    ];
    for wrap in wraps {
        let template = nest(10_000, json!({"$var": "a"}), wrap);
        let result = evaluate(&template, &json!({"a": 1}));
        assert!(
            matches!(result, Err(MappingError::TemplateTooDeep { .. })),
            "{result:?}"
        );
        assert!(!runtime::mapping::validate(&template).is_empty());
        dismantle(template);
    }
}

#[test]
fn variables_nested_ten_thousand_deep_fail_cleanly() {
    let variables = nest(10_000, json!(1), |v| Value::Array(vec![v]));
    let result = evaluate(&json!({"$var": "$"}), &variables);
    assert!(
        matches!(result, Err(MappingError::VariablesTooDeep { .. })),
        "{result:?}"
    );
    dismantle(variables);
}

#[test]
fn a_template_at_the_depth_limit_evaluates_on_a_small_stack() {
    // Formulas nested as deep as allowed, on a thread with a 1 MiB stack (tokio's workers get 2).
    let levels = MAX_TEMPLATE_DEPTH / 2 - 1;
    let template = nest(levels, json!({"$var": "a"}), |v| json!({"$concat": [v]}));
    let outcome = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || evaluate(&template, &json!({"a": "x"})))
        .expect("spawn")
        .join()
        .expect("no overflow");
    assert_eq!(outcome, Ok(Some(json!("x"))));
}

#[test]
fn errors_name_the_formula_and_its_path() {
    let template =
        json!({"requestMapping": {"query": {"limit": {"$map": {"value": 1, "mapping": [null]}}}}});
    let err = evaluate(&template, &json!({})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`$map` at /requestMapping/query/limit/$map: mapping entry 0 is null"
    );
    let err = evaluate(&json!([{"x": {"$toString": 1}}]), &json!({})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`$toString` at /0/x: is not a formula: the vendor's engine throws on names of Object.prototype"
    );
}
