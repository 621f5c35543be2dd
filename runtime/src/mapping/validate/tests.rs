//! `validate` on templates with one problem each, and on a clean one.

use serde_json::json;

use super::validate;

fn problems(template: serde_json::Value) -> Vec<(String, String)> {
    validate(&template)
        .into_iter()
        .map(|p| (p.path.join("/"), p.message))
        .collect()
}

#[test]
fn a_clean_template_has_no_problem() {
    let template = json!({
        "path": "/tasks",
        "requestMapping": {
            "query": {
                "limit": 100,
                "offset": {"$var": "$.cursor"},
                "name": {"$tpl": {"template": "{a}-{b}", "values": {"a": {"$var": "x"}, "b": 1}}},
                "kind": {"$case": {"cases": [{"filter": {"$eval": {"$var": "k"}, "is": 1}, "value": "one"}], "default": "many"}},
                "ids": {"$iterate": {"source": {"$var": "items"}, "item": {"$var": "item.id"}}},
                "all": {"$and": [true, {"$var": "b"}]},
                "sum": {"$jsonata": "$sum(items.price)"},
                "raw": {"$plain": {"$nonsense": 1}}
            }
        }
    });
    assert_eq!(problems(template), []);
}

#[test]
fn unknown_formulas_are_reported_where_they_are() {
    let found = problems(json!({"requestMapping": {"query": {"limit": {"$foo": 1}}}}));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "requestMapping/query/limit/$foo");
    assert!(found[0].1.contains("unknown formula `$foo`"), "{found:?}");
    let found = problems(json!({"a": {"$toString": 1}}));
    assert_eq!(found[0].0, "a");
}

#[test]
fn a_formula_key_that_is_not_first_is_reported() {
    let found = problems(json!({"x": {"a": 1, "$var": "b"}}));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "x/$var");
    assert!(found[0].1.contains("not the object's first key"));
}

#[test]
fn malformed_locators_are_reported() {
    for bad in [
        json!(""),
        json!("$abc"),
        json!("a[x]"),
        json!("a[0"),
        json!(5),
        json!([{"type": "nope"}]),
    ] {
        let found = problems(json!({"q": {"$var": bad}}));
        assert_eq!(found.len(), 1, "{bad}: {found:?}");
        assert_eq!(found[0].0, "q/$var");
        assert!(found[0].1.starts_with("malformed locator"), "{found:?}");
    }
}

#[test]
fn missing_required_keys_are_reported() {
    let cases = [
        (
            json!({"$tpl": {"values": {}}}),
            "$tpl",
            "missing `template`",
        ),
        (
            json!({"$iterate": {"item": 1}}),
            "$iterate",
            "missing `source`",
        ),
        (
            json!({"$iterate": {"source": []}}),
            "$iterate",
            "missing `item`",
        ),
        (json!({"$case": {"default": 1}}), "$case", "`cases`"),
        (json!({"$concat": "x"}), "$concat", "takes a list"),
        (json!({"$and": 1}), "$and", "takes a list"),
        (json!({"$map": {"value": 1}}), "$map", "missing `mapping`"),
    ];
    for (template, path, message) in cases {
        let found = problems(template.clone());
        assert_eq!(found.len(), 1, "{template}: {found:?}");
        assert_eq!(found[0].0, path, "{template}");
        assert!(found[0].1.contains(message), "{template}: {found:?}");
    }
}

#[test]
fn eval_operators_are_checked() {
    let found = problems(json!({"f": {"$eval": {"$var": "a"}, "equals": 1}}));
    assert_eq!(
        found,
        [(
            "f/equals".to_owned(),
            "unknown `$eval` operator `equals`".to_owned()
        )]
    );
    let found = problems(json!({"f": {"$eval": {"$var": "a"}}}));
    assert_eq!(found[0].0, "f/$eval");
    assert!(found[0].1.contains("no operator"));
    let found = problems(json!({"f": {"$eval": {"$var": "a"}, "is": {"$var": "[x"}}}));
    assert_eq!(found[0].0, "f/is/$var");
}

#[test]
fn nested_problems_carry_their_full_path() {
    let template = json!({"$case": {"cases": [
        {"filter": [{"field": "a", "operator": "equals", "value": 1}], "value": 1},
        {"filter": {"$eval": 1, "is": 1}, "value": {"$concat": [{"$var": "a..b[-1]"}]}}
    ]}});
    let found = problems(template);
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "$case/cases/0/filter/0/operator",
            "$case/cases/1/value/$concat/0/$var"
        ]
    );
}

#[test]
fn placeholders_and_jsonata_are_parsed() {
    let found = problems(json!({"$tpl": {"template": "{a(}", "values": {"a(": 1}}}));
    assert_eq!(found[0].0, "$tpl/values/a(");
    let found = problems(json!({"x": {"$jsonata": "items[price > "}}));
    assert_eq!(found[0].0, "x/$jsonata");
    assert!(found[0].1.contains("does not parse"));
}

#[test]
fn a_too_deep_template_is_one_problem() {
    let mut template = json!(1);
    for _ in 0..10_000 {
        template = serde_json::Value::Array(vec![template]);
    }
    let found = validate(&template);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("deeper than"));
    crate::mapping::value::dismantle(template);
}
