//! `data` of a large JSON webhook, built lazily. A `handle` usually reads a few fields of a payload
//! of many kilobytes (GitHub's `issues` delivery: 9 KB, hundreds of properties; the handle reads
//! three), and QuickJS's `JSON.parse` of the whole body cost more than everything else the handle
//! did. So an object in the body becomes a Proxy (`js/lazy-json.js`) over an empty object, and each
//! property is built on its first read from the body's text: an object as another such Proxy, a
//! string or number directly, an array by `JSON.parse` of its text.
//!
//! `in` is answered from the body too. Anything that looks at the object as a whole (`Object.keys`,
//! `JSON.stringify`, spreading, writing, freezing, `console.log`) first *settles* it: the object gets every property
//! in the body's order, values already read kept (so `data.issue === data.issue` holds throughout),
//! and the Proxy forwards everything from then on. A handle cannot tell the difference from
//! `JSON.parse` except by timing. Tricky: the body was checked to be JSON before it got here (the
//! scanner below trusts that), duplicate keys resolve to the last one as in `JSON.parse`, and a key
//! written with escapes is compared decoded.

use std::cell::OnceCell;
use std::ops::Range;
use std::sync::Arc;

use rquickjs::class::Trace;
use rquickjs::function::This;
use rquickjs::object::Property;
use rquickjs::{Atom, Class, Ctx, Function, JsLifetime, Object, Value};

use crate::glue;

mod scan;

/// Bodies shorter than this are parsed at once: for them `JSON.parse` is cheaper than the Proxies.
pub const LAZY_FROM: usize = 2048;

/// Registers `__host.jsonMember`, `jsonGet`, `jsonHas` and `jsonSettle` (see `js/lazy-json.js`).
pub fn install(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    let host = glue::natives(ctx)?;
    host.set("jsonMember", Function::new(ctx.clone(), member)?)?;
    host.set("jsonGet", Function::new(ctx.clone(), get_trap)?)?;
    host.set("jsonHas", Function::new(ctx.clone(), has)?)?;
    host.set("jsonSettle", Function::new(ctx.clone(), settle_target)?)?;
    Ok(())
}

/// `JSON.parse(text)`, lazily when `text` is a large object. `text` must be valid JSON.
pub fn parse<'js>(ctx: &Ctx<'js>, text: Arc<str>) -> rquickjs::Result<Value<'js>> {
    let start = skip_ws(text.as_bytes(), 0);
    if text.len() < LAZY_FROM || text.as_bytes().get(start) != Some(&b'{') {
        return ctx.json_parse(text.as_bytes());
    }
    let node = Class::instance(ctx.clone(), JsonNode::new(text, start))?;
    lazy_function(ctx, "lazy")?.call((node,))
}

/// Settles `value` if it is a lazy object not settled yet (`console.log` shows the Proxy's target,
/// which must hold everything by then). `handler` and `target` are the Proxy's.
pub fn settle<'js>(
    ctx: &Ctx<'js>,
    handler: &Value<'js>,
    target: &Value<'js>,
) -> rquickjs::Result<()> {
    // A handler that is itself a Proxy is not ours (and asking its prototype would run its traps).
    let loaded = glue::natives(ctx)?.contains_key(glue::loaded_key("host:lazy-json"))?;
    if !loaded || handler.is_proxy() {
        return Ok(());
    }
    lazy_function(ctx, "settle")?.call((handler.clone(), target.clone()))
}

fn lazy_function<'js>(ctx: &Ctx<'js>, name: &str) -> rquickjs::Result<Function<'js>> {
    let glue = glue::by_name("host:lazy-json").ok_or(rquickjs::Error::Unknown)?;
    glue::load(ctx, glue)?.get(name)
}

/// One object of the body, not settled yet.
#[derive(Trace, JsLifetime)]
#[rquickjs::class]
pub struct JsonNode {
    #[qjs(skip_trace)]
    body: Arc<str>,
    /// Where its `{` is.
    #[qjs(skip_trace)]
    start: usize,
    /// Its members, found on first use.
    #[qjs(skip_trace)]
    members: OnceCell<Members>,
}

impl JsonNode {
    fn new(body: Arc<str>, start: usize) -> Self {
        JsonNode {
            body,
            start,
            members: OnceCell::new(),
        }
    }

    fn members(&self) -> &Members {
        self.members
            .get_or_init(|| members(self.body.as_bytes(), self.start))
    }

    /// The text of member `key`'s value, the last one if the key repeats; `Err` when a key of
    /// this object cannot be compared as Rust text (a lone surrogate), so the caller settles.
    fn find(&self, key: &str) -> Result<Option<Range<usize>>, Unreadable> {
        let found = self.position(key)?;
        Ok(found.map(|i| self.members().list[i].value.clone()))
    }

    /// Where member `key` is in [`Members::list`], the last one if the key repeats (see
    /// [`JsonNode::find`]).
    fn position(&self, key: &str) -> Result<Option<usize>, Unreadable> {
        let members = self.members();
        if members.unreadable {
            return Err(Unreadable);
        }
        let bytes = self.body.as_bytes();
        Ok(members.list.iter().rposition(|m| {
            let raw = &bytes[m.key.clone()];
            match m.escaped {
                false => raw == key.as_bytes(),
                true => decode_key(bytes, &m.key).is_some_and(|k| k == key),
            }
        }))
    }
}

struct Unreadable;

/// The members of the object at `start`, in order.
struct Members {
    list: Vec<Member>,
    /// Just past the closing `}`.
    end: usize,
    /// A key does not decode to Rust text.
    unreadable: bool,
}

struct Member {
    /// The key's text between its quotes.
    key: Range<usize>,
    /// Whether the key has escapes.
    escaped: bool,
    value: Range<usize>,
    /// Whether its value is on the target already.
    built: std::cell::Cell<bool>,
}

/// `__host.jsonMember(node, key, lazy)`: member `key` of `node` as a JS value (an object through
/// `lazy(childNode)`), `undefined` when there is none, or `lazy` itself when the caller must
/// settle the object to answer.
fn member<'js>(
    ctx: Ctx<'js>,
    node: Class<'js, JsonNode>,
    key: rquickjs::String<'js>,
    lazy: Function<'js>,
) -> rquickjs::Result<Value<'js>> {
    let Ok(key) = key.to_string() else {
        return Ok(lazy.into_value());
    };
    let (found, body) = {
        let node = node.borrow();
        let found = match node.find(&key) {
            Ok(found) => found,
            Err(Unreadable) => return Ok(lazy.into_value()),
        };
        (found, node.body.clone())
    };
    match found {
        Some(range) => value_of(&ctx, &body, range, &lazy),
        None => Ok(Value::new_undefined(ctx)),
    }
}

/// The JS value of the body's text at `range`: an object through `lazy(childNode)`.
fn value_of<'js>(
    ctx: &Ctx<'js>,
    body: &Arc<str>,
    range: Range<usize>,
    lazy: &Function<'js>,
) -> rquickjs::Result<Value<'js>> {
    let text = &body[range.clone()];
    match text.as_bytes().first().copied().unwrap_or_default() {
        b'{' => {
            let child = Class::instance(ctx.clone(), JsonNode::new(body.clone(), range.start))?;
            lazy.call((child,))
        }
        b'"' if !text.contains('\\') => {
            let inner = text
                .get(1..text.len().saturating_sub(1))
                .unwrap_or_default();
            Ok(rquickjs::String::from_str(ctx.clone(), inner)?.into_value())
        }
        b't' => Ok(Value::new_bool(ctx.clone(), true)),
        b'f' => Ok(Value::new_bool(ctx.clone(), false)),
        b'n' => Ok(Value::new_null(ctx.clone())),
        _ => ctx.json_parse(text),
    }
}

/// `__host.jsonGet`, the `get` trap itself (its handler is `this`), so that reading a member
/// costs one native call: a member built before is the target's own property; a member of the
/// body not built yet is built, kept on the target and returned. Everything else (a symbol, a
/// key the body lacks, which may be on the prototype, a handler settled meanwhile, an object
/// to settle first) goes to the handler's `slowGet`, the trap written in JS.
fn get_trap<'js>(
    ctx: Ctx<'js>,
    handler: This<Object<'js>>,
    target: Object<'js>,
    key: Value<'js>,
    receiver: Value<'js>,
) -> rquickjs::Result<Value<'js>> {
    if let Some(name) = key.as_string().and_then(|k| k.to_string().ok())
        && let Some(node) = handler.0.get::<_, Option<Class<JsonNode>>>("node")?
        && let Ok(Some(index)) = node.borrow().position(&name)
    {
        let (range, built) = {
            let node = node.borrow();
            let member = &node.members().list[index];
            (member.value.clone(), member.built.get())
        };
        if built {
            return target.get(name.as_str());
        }
        let lazy: Function = handler.0.get("lazy")?;
        let body = node.borrow().body.clone();
        let value = value_of(&ctx, &body, range, &lazy)?;
        let property = Property::from(value.clone())
            .writable()
            .enumerable()
            .configurable();
        target.prop(name.as_str(), property)?;
        node.borrow().members().list[index].built.set(true);
        return Ok(value);
    }
    let slow: Function = handler.0.get("slowGet")?;
    slow.call((This(handler.0.clone()), target, key, receiver))
}

/// `__host.jsonHas(node, key)`: whether `node` has member `key`; `undefined` when the caller must
/// settle the object to answer.
fn has<'js>(
    ctx: Ctx<'js>,
    node: Class<'js, JsonNode>,
    key: rquickjs::String<'js>,
) -> rquickjs::Result<Value<'js>> {
    let Ok(key) = key.to_string() else {
        return Ok(Value::new_undefined(ctx));
    };
    Ok(match node.borrow().find(&key) {
        Ok(found) => Value::new_bool(ctx, found.is_some()),
        Err(Unreadable) => Value::new_undefined(ctx),
    })
}

/// `__host.jsonSettle(node, target)`: gives `target` every member of `node` in the body's order,
/// keeping the values `target` already has (those handed out already).
fn settle_target<'js>(
    ctx: Ctx<'js>,
    node: Class<'js, JsonNode>,
    target: Object<'js>,
) -> rquickjs::Result<()> {
    let whole = {
        let node = node.borrow();
        let end = node.members().end;
        ctx.json_parse(&node.body[node.start..end])?
    };
    let whole = whole.into_object().ok_or(rquickjs::Error::Unknown)?;
    let handed: Vec<(Atom<'js>, Value<'js>)> = target
        .props::<Atom, Value>()
        .collect::<rquickjs::Result<_>>()?;
    for (key, _) in &handed {
        target.remove(key.clone())?;
    }
    for entry in whole.props::<Atom, Value>() {
        let (key, value) = entry?;
        let value = handed
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(value, |(_, v)| v.clone());
        target.prop(
            key,
            Property::from(value).writable().enumerable().configurable(),
        )?;
    }
    Ok(())
}

/// The members of the object whose `{` is at `start`. The text is valid JSON; on anything else the
/// scan stops where it is, without panicking.
fn members(bytes: &[u8], start: usize) -> Members {
    let mut found = Members {
        list: Vec::new(),
        end: bytes.len(),
        unreadable: false,
    };
    let mut at = skip_ws(bytes, start + 1);
    if bytes.get(at) == Some(&b'}') {
        found.end = at + 1;
        return found;
    }
    while bytes.get(at) == Some(&b'"') {
        let key_end = scan::string_end(bytes, at);
        let key = at + 1..key_end.saturating_sub(1).max(at + 1);
        let escaped = bytes[key.clone()].contains(&b'\\');
        if escaped && decode_key(bytes, &key).is_none() {
            found.unreadable = true;
        }
        at = skip_ws(bytes, key_end);
        if bytes.get(at) != Some(&b':') {
            break;
        }
        let value_start = skip_ws(bytes, at + 1);
        let value_end = value_end(bytes, value_start);
        found.list.push(Member {
            key,
            escaped,
            value: value_start..value_end,
            built: std::cell::Cell::new(false),
        });
        at = skip_ws(bytes, value_end);
        match bytes.get(at) {
            Some(b',') => at = skip_ws(bytes, at + 1),
            Some(b'}') => {
                found.end = at + 1;
                break;
            }
            _ => break,
        }
    }
    found
}

/// A key with escapes, decoded; `None` if it is not Rust text (a lone surrogate).
fn decode_key(bytes: &[u8], key: &Range<usize>) -> Option<String> {
    serde_json::from_slice(&bytes[key.start - 1..key.end + 1]).ok()
}

fn skip_ws(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// Just past the value starting at `at`.
fn value_end(bytes: &[u8], at: usize) -> usize {
    match bytes.get(at) {
        Some(b'"') => return scan::string_end(bytes, at),
        Some(b'{' | b'[') => {}
        _ => {
            let rest = bytes.get(at..).unwrap_or_default();
            let end = rest
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'));
            return at + end.unwrap_or(rest.len());
        }
    }
    scan::container_end(bytes, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<(String, String)> {
        let found = members(text.as_bytes(), skip_ws(text.as_bytes(), 0));
        found
            .list
            .iter()
            .map(|m| {
                (
                    text[m.key.clone()].to_string(),
                    text[m.value.clone()].to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn members_are_found_past_nested_values_and_tricky_strings() {
        let text = r#" { "a" : 1 , "b":{"x":[1,{"y":"}"}]}, "c\"d":"q\\\"}", "e":[ ] ,"f":-1.5e3,"g":null}"#;
        assert_eq!(
            keys(text),
            [
                ("a", "1"),
                ("b", r#"{"x":[1,{"y":"}"}]}"#),
                (r#"c\"d"#, r#""q\\\"}""#),
                ("e", "[ ]"),
                ("f", "-1.5e3"),
                ("g", "null"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        let found = members(text.as_bytes(), 1);
        assert_eq!(found.end, text.len());
        assert!(!found.unreadable);
    }

    #[test]
    fn the_last_of_repeated_keys_wins_and_escaped_keys_compare_decoded() {
        let node = JsonNode::new(Arc::from(r#"{"a":1,"\u0062":2,"a":3}"#), 0);
        let value = |key| node.find(key).ok().flatten().map(|r| &node.body[r]);
        assert_eq!(value("a"), Some("3"));
        assert_eq!(value("b"), Some("2"));
        assert_eq!(value("c"), None);
    }

    #[test]
    fn a_key_with_a_lone_surrogate_makes_the_object_settle() {
        let node = JsonNode::new(Arc::from(r#"{"\ud800":1}"#), 0);
        assert!(node.find("a").is_err());
    }

    #[test]
    fn truncated_text_stops_the_scan_without_panicking() {
        for text in [
            r#"{"a":"#,
            r#"{"a":{"b":"#,
            r#"{"a"#,
            "{",
            r#"{"a":1,"#,
            r#"{"a":"\"#,
        ] {
            let _ = members(text.as_bytes(), 0);
        }
    }
}
