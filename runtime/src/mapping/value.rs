//! What a template evaluates to ([`Val`]: borrowed from the variables or template, or built) and what
//! it is evaluated over ([`Scope`]: the variables, or the `{item, parent, index}` object `$iterate`
//! makes for each item, kept as a chain rather than copied). Borrowing keeps JS object identity, so
//! `==` between two reads of the same variable holds as it does in JS.

use std::ops::Deref;

use serde_json::{Map, Value};

/// A value: borrowed where JS would hold a reference to an existing object, owned where it builds one.
#[derive(Debug)]
pub(super) enum Val<'v> {
    Ref(&'v Value),
    Own(Value),
}

impl Deref for Val<'_> {
    type Target = Value;

    fn deref(&self) -> &Value {
        match self {
            Val::Ref(v) => v,
            Val::Own(v) => v,
        }
    }
}

impl Val<'_> {
    pub(super) fn into_owned(self) -> Value {
        match self {
            Val::Ref(v) => v.clone(),
            Val::Own(v) => v,
        }
    }
}

/// `undefined` or a value.
pub(super) type Built<'v> = Option<Val<'v>>;

/// `Option<Val>` as `Option<&Value>`, the shape the coercions in `js` take.
pub(super) fn as_ref<'a>(v: &'a Built<'_>) -> Option<&'a Value> {
    v.as_ref().map(|v| &**v)
}

/// The variables a template sees.
#[derive(Clone, Copy, Debug)]
pub(super) enum Scope<'v, 's> {
    Root(&'v Value),
    Item {
        item: &'v Value,
        index: usize,
        parent: &'s Scope<'v, 's>,
    },
}

impl Scope<'_, '_> {
    /// The scope as the JS object the vendor's engine would hand on.
    pub(super) fn materialize(&self) -> Value {
        match self {
            Scope::Root(v) => (*v).clone(),
            Scope::Item {
                item,
                index,
                parent,
            } => {
                let mut map = Map::new();
                map.insert("item".into(), (*item).clone());
                map.insert("parent".into(), parent.materialize());
                map.insert("index".into(), Value::from(*index));
                Value::Object(map)
            }
        }
    }
}

/// A place reached while walking a locator: a value, a scope object, or a number made on the spot
/// (`index`, an array's `length`).
#[derive(Clone, Copy, Debug)]
pub(super) enum Node<'v, 's> {
    Value(&'v Value),
    Scope(&'s Scope<'v, 's>),
    Number(usize),
}

impl<'v, 's> Node<'v, 's> {
    pub(super) fn of_scope(scope: &'s Scope<'v, 's>) -> Self {
        match scope {
            Scope::Root(v) => Node::Value(v),
            Scope::Item { .. } => Node::Scope(scope),
        }
    }

    /// `node[key]` for an object (or array, or the scope object); `None` for anything else.
    pub(super) fn property(self, key: &str) -> Option<Node<'v, 's>> {
        match self {
            Node::Value(Value::Object(map)) => map.get(key).map(Node::Value),
            Node::Value(Value::Array(items)) => array_property(items, key),
            Node::Scope(Scope::Item {
                item,
                index,
                parent,
            }) => match key {
                "item" => Some(Node::Value(item)),
                "index" => Some(Node::Number(*index)),
                "parent" => Some(Node::of_scope(parent)),
                _ => None,
            },
            _ => None,
        }
    }

    pub(super) fn is_array(self) -> bool {
        matches!(self, Node::Value(Value::Array(_)))
    }

    pub(super) fn is_object(self) -> bool {
        matches!(
            self,
            Node::Value(Value::Object(_) | Value::Array(_)) | Node::Scope(_)
        )
    }

    /// JS truthiness of the node.
    pub(super) fn truthy(self) -> bool {
        match self {
            Node::Value(v) => super::js::truthy(Some(v)),
            Node::Scope(_) => true,
            Node::Number(i) => i != 0,
        }
    }

    pub(super) fn into_val(self) -> Val<'v> {
        match self {
            Node::Value(v) => Val::Ref(v),
            Node::Scope(s) => Val::Own(s.materialize()),
            Node::Number(i) => Val::Own(Value::from(i)),
        }
    }
}

fn array_property<'v, 's>(items: &'v [Value], key: &str) -> Option<Node<'v, 's>> {
    if key == "length" {
        return Some(Node::Number(items.len()));
    }
    let index = super::js::array_index(key)?;
    items.get(index).map(Node::Value)
}

/// Whether `value` nests deeper than `limit` levels (checked without recursion).
pub(super) fn deeper_than(value: &Value, limit: usize) -> bool {
    let mut stack = vec![(value, 0_usize)];
    while let Some((v, depth)) = stack.pop() {
        if depth > limit {
            return true;
        }
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, depth + 1))),
            Value::Object(map) => stack.extend(map.values().map(|i| (i, depth + 1))),
            _ => {}
        }
    }
    false
}

/// The path to a place where `value` nests deeper than `limit` levels (slower than
/// [`deeper_than`]: for the error message).
pub(super) fn too_deep(value: &Value, limit: usize) -> Option<Vec<String>> {
    // Each entry: the value, its depth, and its (segment, parent entry) for the path back.
    let mut seen: Vec<(String, usize)> = Vec::new();
    let mut stack: Vec<(&Value, usize, Option<usize>)> = vec![(value, 0, None)];
    while let Some((v, depth, at)) = stack.pop() {
        if depth > limit {
            return Some(path_back(&seen, at));
        }
        let children: Box<dyn Iterator<Item = (String, &Value)>> = match v {
            Value::Array(items) => {
                Box::new(items.iter().enumerate().map(|(i, v)| (i.to_string(), v)))
            }
            Value::Object(map) => Box::new(map.iter().map(|(k, v)| (k.clone(), v))),
            _ => continue,
        };
        for (segment, child) in children {
            seen.push((segment, at.map_or(usize::MAX, |a| a)));
            stack.push((child, depth + 1, Some(seen.len() - 1)));
        }
    }
    None
}

fn path_back(seen: &[(String, usize)], mut at: Option<usize>) -> Vec<String> {
    let mut path = Vec::new();
    while let Some(i) = at {
        let Some((segment, parent)) = seen.get(i) else {
            break;
        };
        path.push(segment.clone());
        at = (*parent != usize::MAX).then_some(*parent);
    }
    path.reverse();
    path
}

/// Drops `value` without recursion (a test's 10 000-deep template would overflow the stack).
#[cfg(test)]
pub(super) fn dismantle(value: Value) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}
