//! `data` of a large JSON body is built as the handle reads it (host-api/src/lazy_json.rs). Each
//! scenario below does something to the lazy `data` and the same to `JSON.parse(rawBody)`, and the
//! two must agree: a handle must not be able to tell them apart. Also: the body's string and its
//! hash, which the host takes from its own UTF-8 copy.

use std::path::Path;
use std::sync::Arc;

use runtime::{Invocation, Limits, Runtime, Target};
use serde_json::{Value, json};

const HANDLE: &str = r#"
export default function handle({ data, rawBody, query }) {
  const plain = JSON.parse(rawBody)
  const lazy = data
  const run = SCENARIOS[query.scenario]
  const a = run(lazy), b = run(plain)
  return { lazy: a, plain: b, lazyText: JSON.stringify(a), plainText: JSON.stringify(b) }
}

const SCENARIOS = {
  reads: (d) => [
    d.title, d.nested.deep.x, d.list, d['10'], d['2'], d.dup, d.ab, d.__proto__, d.num,
    Object.is(d.negzero, -0), d.big, d.esc, d.emoji, d.missing === undefined, typeof d.toString,
    d.hasOwnProperty('title'), d.nested === d.nested, d.nested.deep === d.nested.deep, d.t, d.f, d.n,
    Object.getPrototypeOf(d) === Object.prototype, d instanceof Object,
    Object.prototype.toString.call(d), Array.isArray(d.list), d.list instanceof Array, typeof d,
    d.nested.empty, d.exp,
  ],
  keys: (d) => { d.z; d.nested; d['2']; return [Object.keys(d), Object.keys(d.nested), Reflect.ownKeys(d)] },
  stringify: (d) => { d.nested.deep.x; return JSON.stringify(d) },
  identity: (d) => {
    const n = d.nested, deep = n.deep
    Object.keys(d)
    return [d.nested === n, d.nested.deep === deep, Object.keys(n), deep.x]
  },
  writes: (d) => {
    d.added = 1
    delete d.title
    d.nested.deep.x = 5
    d.list.push(9)
    Object.defineProperty(d, 'defined', { value: 2, enumerable: true })
    return [JSON.stringify(d), Object.keys(d), d.defined]
  },
  has: (d) => ['title' in d, 'missing' in d, 'toString' in d, '10' in d, 'x' in d.nested.deep,
    '__proto__' in d, Symbol.iterator in d],
  copies: (d) => [JSON.stringify({ ...d }), Object.entries(d.nested), Object.assign({}, d.nested.deep),
    JSON.stringify(structuredClone(d)), Object.values(d).length],
  iterate: (d) => { const seen = []; for (const k in d) seen.push(k); return seen },
  freeze: (d) => {
    d.title
    Object.freeze(d)
    let threw = false
    try { d.title = 'changed' } catch (e) { threw = e instanceof TypeError }
    return [Object.isFrozen(d), d.title, threw, Object.isExtensible(d)]
  },
  descriptor: (d) => [Object.getOwnPropertyDescriptor(d, 'title'),
    Object.getOwnPropertyDescriptor(d.nested, 'deep').enumerable, d.propertyIsEnumerable('num')],
  surrogate: (d) => [d.sur.x, Object.keys(d.sur).length, JSON.stringify(d.sur), 'x' in d.sur],
  prototype: (d) => { const child = Object.create(d); return [child.title, child.nested === d.nested] },
}
"#;

/// A body over the lazy threshold with the cases `JSON.parse` is particular about: integer-like
/// keys (listed first), a repeated key (the last wins), a key written with escapes, `__proto__` as
/// a key, -0, numbers past i32 and with exponents, escapes, characters outside the BMP, a key
/// with a lone surrogate.
fn body() -> String {
    let padding = "x".repeat(3000);
    format!(
        r#"{{"title":"café — naïve","z":0,"nested":{{"deep":{{"x":1,"y":[1,{{"q":"}}"}}]}},"empty":{{}}}},"list":[1,{{"y":2}},"three"],"10":"ten","2":"two","dup":1,"dup":{{"second":true}},"\u0061b":"escaped key","__proto__":{{"own":true}},"num":123456789012,"negzero":-0,"big":1.7976931348623157e308,"exp":-1.5E-7,"esc":"line\nquote\"slash\\tab\t\u00e9","emoji":"😀 \ud83d\ude00","t":true,"f":false,"n":null,"sur":{{"\ud800":1,"x":2}},"padding":"{padding}"}}"#
    )
}

fn write(root: &Path, file: &str, text: &str) {
    let path = root.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn setup(handle: &str) -> (tempfile::TempDir, Arc<runtime::Connector>, Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("demo");
    write(&root, "events/e/handle.js", handle);
    let connector = Arc::new(runtime::connector::load_connector(&root).unwrap());
    let runtime = Runtime::new(Limits {
        workers: 1,
        ..Limits::default()
    })
    .unwrap();
    (dir, connector, runtime)
}

/// `handle` with `args.rawBody` as a JSON webhook's body, and `args.query` its query.
fn handle(connector: &Arc<runtime::Connector>, args: Value) -> Invocation {
    let mut webhook = runtime::Webhook::json(args["rawBody"].as_str().unwrap());
    if let Some(query) = args.get("query") {
        webhook.query = query.clone();
    }
    Invocation {
        connector: connector.clone(),
        target: Target::event("e", "handle"),
        args: json!({}),
        subscription: Some("s".into()),
        timeout: None,
        webhook: Some(webhook),
    }
}

#[tokio::test]
async fn lazy_data_behaves_as_json_parse_does() {
    let (_dir, connector, runtime) = setup(HANDLE);
    let body = body();
    assert!(body.len() >= host_api::lazy_json::LAZY_FROM);
    for scenario in [
        "reads",
        "keys",
        "stringify",
        "identity",
        "writes",
        "has",
        "copies",
        "iterate",
        "freeze",
        "descriptor",
        "surrogate",
        "prototype",
    ] {
        let args = json!({ "rawBody": body, "query": { "scenario": scenario } });
        let outcome = runtime.invoke(handle(&connector, args)).await;
        let result = outcome.result.unwrap_or_else(|e| panic!("{scenario}: {e}"));
        assert_eq!(result["lazyText"], result["plainText"], "{scenario}");
        assert_eq!(result["lazy"], result["plain"], "{scenario}");
    }
}

#[tokio::test]
async fn lazy_data_reads_what_the_body_says() {
    let (_dir, connector, runtime) = setup(HANDLE);
    let args = json!({ "rawBody": body(), "query": { "scenario": "reads" } });
    let result = runtime
        .invoke(handle(&connector, args))
        .await
        .result
        .unwrap();
    let reads = &result["lazy"];
    assert_eq!(reads[0], "café — naïve");
    assert_eq!(reads[1], 1);
    assert_eq!(reads[3], "ten");
    assert_eq!(reads[5], json!({ "second": true }));
    assert_eq!(reads[6], "escaped key");
    assert_eq!(reads[7], json!({ "own": true }));
    assert_eq!(reads[8], 123456789012u64);
    assert_eq!(reads[9], true, "-0 stays -0");
    assert_eq!(reads[11], "line\nquote\"slash\\tab\té");
    assert_eq!(reads[12], "😀 😀");
}

#[tokio::test]
async fn console_log_of_lazy_data_shows_all_of_it() {
    let (_dir, connector, runtime) = setup(
        "export default ({ data, rawBody }) => {\n\
         data.nested;\n\
         console.log(data);\n\
         console.log(JSON.parse(rawBody));\n\
         console.log(data.nested.deep);\n\
         console.log(JSON.parse(rawBody).nested.deep);\n\
         }\n",
    );
    let outcome = runtime
        .invoke(handle(&connector, json!({ "rawBody": body() })))
        .await;
    outcome.result.unwrap();
    let lines: Vec<&str> = outcome.console.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(lines[0], lines[1]);
    assert_eq!(lines[2], lines[3]);
    assert!(lines[0].contains("title: 'café — naïve'"), "{}", lines[0]);
}

/// The expected values come from Node 20:
/// `createHmac('sha256', 'k').update(body).digest('hex')` with `body` as below.
#[tokio::test]
async fn the_raw_body_and_its_hash_are_exact() {
    let (_dir, connector, runtime) = setup(
        "import { createHmac, createHash } from 'node:crypto'\n\
         export default ({ rawBody }) => ({\n\
           body: rawBody,\n\
           length: rawBody.length,\n\
           known: createHmac('sha256', 'k').update(rawBody).digest('hex'),\n\
           copied: createHmac('sha256', 'k').update(rawBody + '').digest('hex'),\n\
           bytes: createHmac('sha256', 'k').update(Buffer.from(rawBody)).digest('hex'),\n\
           latin1: createHash('sha256').update(rawBody, 'latin1').digest('hex'),\n\
           latin1Bytes: createHash('sha256').update(Buffer.from(rawBody, 'latin1')).digest('hex'),\n\
         })\n",
    );
    let body = format!("{{\"text\":\"{}\"}}", "naïve — 😀 ".repeat(100));
    let outcome = runtime
        .invoke(handle(&connector, json!({ "rawBody": body })))
        .await;
    let result = outcome.result.unwrap();
    assert_eq!(result["body"], body.as_str());
    assert_eq!(result["length"], body.encode_utf16().count());
    assert_eq!(result["known"], EXPECTED_HMAC);
    assert_eq!(result["copied"], EXPECTED_HMAC);
    assert_eq!(result["bytes"], EXPECTED_HMAC);
    assert_eq!(result["latin1"], result["latin1Bytes"]);
}

const EXPECTED_HMAC: &str = "892047fd6f1950e5f23f0d7f5269c10ec2b218bde445e8186b5a4ce7ca76da8c";
