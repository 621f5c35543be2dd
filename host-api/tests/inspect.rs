//! `host_api::inspect` against real Node.js: `inspect/expected.json` holds, for every console
//! argument list in `inspect/cases.js`, what Node 20's `util.format` printed (regenerate with
//! `node host-api/tests/inspect/generate.mjs`). Plus QuickJS-only checks Node cannot produce.

use host_api::inspect::{MAX_OUTPUT, TRUNCATED, format_args, inspect};
use rquickjs::context::EvalOptions;
use rquickjs::{Array, CatchResultExt, Context, Ctx, Runtime, Value};

/// Evaluates `[<source>]` as sloppy global code, like `generate.mjs` does under Node.
fn eval_args<'js>(ctx: &Ctx<'js>, source: &str) -> Result<Vec<Value<'js>>, String> {
    let mut options = EvalOptions::default();
    options.strict = false;
    let array: Array = ctx
        .eval_with_options(format!("[{source}\n]"), options)
        .catch(ctx)
        .map_err(|e| format!("evaluation failed: {e}"))?;
    array
        .iter()
        .collect::<rquickjs::Result<_>>()
        .map_err(|e| e.to_string())
}

/// Formats one case in a fresh runtime, as the console would.
fn format_case(source: &str) -> String {
    let runtime = Runtime::new().expect("runtime");
    let context = Context::full(&runtime).expect("context");
    context.with(|ctx| {
        let args = match eval_args(&ctx, source) {
            Ok(args) => args,
            Err(e) => return format!("<{e}>"),
        };
        let text = format_args(&ctx, &args);
        assert!(!ctx.has_exception(), "exception left pending by {source}");
        text
    })
}

#[test]
fn matches_node_util_format() {
    let table: serde_json::Value =
        serde_json::from_str(include_str!("inspect/expected.json")).expect("expected.json");
    let cases = table.as_array().expect("an array of cases");
    assert!(cases.len() >= 80, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for entry in cases {
        let source = entry["case"].as_str().expect("case");
        let expected = entry["expected"].as_str().expect("expected");
        let actual = format_case(source);
        if actual != expected {
            failures.push(format!(
                "case:     {source}\nexpected: {expected:?}\nactual:   {actual:?}\n{expected}\n---\n{actual}\n"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Node:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn quickjs_errors_get_a_node_style_header() {
    let text = format_case("new TypeError('boom')");
    assert!(text.starts_with("TypeError: boom\n    at "), "{text}");
    assert!(!text.ends_with('\n'), "{text:?}");
    let text = format_case("{ e: (function thrower() { return new Error('deep'); })() }");
    assert!(
        text.starts_with("{\n  e: Error: deep\n      at thrower"),
        "{text}"
    );
}

#[test]
fn output_is_capped() {
    let big =
        "Object.fromEntries(Array.from({ length: 100000 }, (_, i) => ['key' + i, 'v'.repeat(30)]))";
    for source in [
        big,
        "'x'.repeat(1000000)",
        "Array.from({ length: 100 }, () => 'z'.repeat(20000))",
        "'%s', 'w'.repeat(1e6)",
    ] {
        let text = format_case(source);
        assert!(
            text.len() <= MAX_OUTPUT + TRUNCATED.len(),
            "{} bytes for {source}",
            text.len()
        );
        assert!(text.ends_with(TRUNCATED), "{source}");
    }
}

#[test]
fn throwing_user_code_is_contained() {
    let cases = [
        // String(x) throws for %s: falls back to inspecting.
        (
            "'%s', { toString() { throw new Error('x'); } }",
            "{ toString: [Function: toString] }",
        ),
        // A throwing Symbol.toStringTag getter is ignored.
        (
            "new (class T { get [Symbol.toStringTag]() { throw new Error('t'); } })()",
            "T {}",
        ),
        // A prototype chain through a proxy whose trap throws.
        (
            "Object.create(Object.create(new Proxy({}, { getPrototypeOf() { throw 1; } })))",
            "Object <Object <{}>> {}",
        ),
        // Error getters that throw.
        (
            "Object.defineProperties(new Error('m'), { stack: { get() { throw 1; } }, name: { get() { throw 2; } } })",
            "[Error: m]",
        ),
        // %j of a BigInt: Node throws; we print the error.
        (
            "'%j', 1n",
            "[TypeError: BigInt are forbidden in JSON.stringify]",
        ),
        // Nested proxies are unwrapped without running traps.
        (
            "new Proxy(new Proxy({ a: 1 }, { ownKeys() { throw 1; } }), {})",
            "{ a: 1 }",
        ),
    ];
    let mut failures = Vec::new();
    for (source, expected) in cases {
        let actual = format_case(source);
        if actual != expected {
            failures.push(format!(
                "{source}\n  expected {expected:?}\n  actual   {actual:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn inspect_quotes_strings_and_script_continues() {
    let runtime = Runtime::new().expect("runtime");
    let context = Context::full(&runtime).expect("context");
    context.with(|ctx| {
        let value: Value = ctx.eval("'it\\'s'").expect("eval");
        assert_eq!(inspect(&ctx, &value), "\"it's\"");
        let value: Value = ctx
            .eval("({ get a() { throw new Error('getter'); }, b: [1, 2] })")
            .expect("eval");
        assert_eq!(inspect(&ctx, &value), "{ a: [Getter], b: [ 1, 2 ] }");
        let after: i32 = ctx.eval("1 + 1").expect("script still runs");
        assert_eq!(after, 2);
    });
}

#[test]
fn huge_values_stay_fast() {
    let started = std::time::Instant::now();
    for (source, tail) in [
        ("new Uint8Array(1e7)", "  ... 9999900 more items\n]"),
        ("new Array(1e6).fill(0)", "  ... 999900 more items\n]"),
        (
            "Object.assign(new Array(1e6).fill(1), { extra: true })",
            "1, ... 999900 more items,\n  extra: true\n]",
        ),
        (
            "(() => { const a = []; a[1e9] = 1; return a; })()",
            "[ <1000000000 empty items>, 1 ]",
        ),
        (
            "new Map(Array.from({ length: 1e5 }, (_, i) => [i, i]))",
            "  ... 99900 more items\n}",
        ),
        ("'x'.repeat(1e7)", TRUNCATED),
    ] {
        let text = format_case(source);
        assert!(text.len() <= MAX_OUTPUT + TRUNCATED.len(), "{source}");
        assert!(text.ends_with(tail), "{source}: {text}");
    }
    assert!(
        started.elapsed().as_secs() < 20,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn works_without_eval_or_intrinsics() {
    let runtime = Runtime::new().expect("runtime");
    let context = Context::base(&runtime).expect("context");
    context.with(|ctx| {
        let obj = rquickjs::Object::new(ctx.clone()).expect("object");
        obj.set("a", 1).expect("set");
        obj.set("list", vec![1, 2, 3]).expect("set");
        let format = rquickjs::String::from_str(ctx.clone(), "%s:").expect("string");
        let args = [format.into_value(), obj.into_value()];
        assert_eq!(format_args(&ctx, &args), "{ a: 1, list: [Array] }:");
        assert!(!ctx.has_exception());
    });
}
