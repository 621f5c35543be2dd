//! JSON across the boundary. Arguments go in as JS values built straight from `serde_json`; results
//! come back by walking the JS value with JSON.stringify's rules (`toJSON`, undefined properties
//! dropped, NaN as null) except that what JSON would silently lose fails instead: a function, a
//! symbol, a BigInt, a cycle or a pending promise is an error naming where it sits (`result.a[2]`).

use rquickjs::object::Property;
use rquickjs::{Array, Ctx, Function, Object, Type, Value};
use serde_json::{Map, Number, Value as Json};

/// Builds the JS value of `json`.
pub fn to_js<'js>(ctx: &Ctx<'js>, json: &Json) -> rquickjs::Result<Value<'js>> {
    Ok(match json {
        Json::Null => Value::new_null(ctx.clone()),
        Json::Bool(b) => Value::new_bool(ctx.clone(), *b),
        Json::Number(n) => number_to_js(ctx, n),
        Json::String(s) => host_api::encoding::interop::new_string(ctx, s)?.into_value(),
        Json::Array(items) => {
            let array = Array::new(ctx.clone())?;
            for (i, item) in items.iter().enumerate() {
                array.set(i, to_js(ctx, item)?)?;
            }
            array.into_value()
        }
        Json::Object(map) => object_to_js(ctx, map)?,
    })
}

/// The JS object of `map`.
fn object_to_js<'js>(ctx: &Ctx<'js>, map: &Map<String, Json>) -> rquickjs::Result<Value<'js>> {
    let object = Object::new(ctx.clone())?;
    for (key, item) in map {
        define(&object, key, to_js(ctx, item)?)?;
    }
    Ok(object.into_value())
}

/// Makes `key` an own, plain (writable, enumerable, configurable) property of `object`, as
/// `JSON.parse` does: unlike assigning, it never runs a setter, and `__proto__` is a key like
/// any other.
pub fn define<'js>(
    object: &Object<'js>,
    key: &str,
    value: impl rquickjs::IntoJs<'js>,
) -> rquickjs::Result<()> {
    let plain = Property::from(value).writable().enumerable().configurable();
    object.prop(key, plain)
}

fn number_to_js<'js>(ctx: &Ctx<'js>, n: &Number) -> Value<'js> {
    match n.as_i64().and_then(|i| i32::try_from(i).ok()) {
        Some(i) => Value::new_int(ctx.clone(), i),
        None => Value::new_float(ctx.clone(), n.as_f64().unwrap_or(f64::NAN)),
    }
}

/// Why a result is not JSON: the message names the path (`result.events[0].record.when`).
#[derive(Debug)]
pub enum FromJsError {
    NotJson(String),
    /// A getter or `toJSON` threw; the exception is pending on the context.
    Threw,
}

/// Converts a method's result to JSON; `undefined` becomes `null`.
pub fn from_js<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> Result<Json, FromJsError> {
    let _ = ctx;
    let mut walk = Walk {
        ancestors: Vec::new(),
        path: vec![Segment::Root],
    };
    Ok(walk.value(value, "")?.unwrap_or(Json::Null))
}

enum Segment {
    Root,
    Key(String),
    Index(usize),
}

struct Walk<'js> {
    ancestors: Vec<Object<'js>>,
    path: Vec<Segment>,
}

impl<'js> Walk<'js> {
    /// The JSON of `value` (stored under `key`), or `None` where JSON.stringify would drop it.
    fn value(&mut self, value: Value<'js>, key: &str) -> Result<Option<Json>, FromJsError> {
        let value = self.apply_to_json(value, key)?;
        Ok(Some(match value.type_of() {
            Type::Undefined | Type::Uninitialized => return Ok(None),
            Type::Null => Json::Null,
            Type::Bool => Json::Bool(value.as_bool().unwrap_or_default()),
            Type::Int => Json::from(value.as_int().unwrap_or_default()),
            Type::Float => float_json(value.as_float().unwrap_or(f64::NAN)),
            Type::String => Json::String(value.get::<String>().map_err(|_| FromJsError::Threw)?),
            Type::Array => self.array(value)?,
            Type::Object | Type::Exception | Type::Proxy => self.object(value)?,
            Type::Function | Type::Constructor => return Err(self.not_json("a function")),
            Type::Symbol => return Err(self.not_json("a symbol")),
            Type::BigInt => return Err(self.not_json("a BigInt")),
            Type::Promise => return Err(self.not_json("a promise (missing await?)")),
            Type::Module | Type::Unknown => return Err(self.not_json("an engine-internal value")),
        }))
    }

    /// Applies `toJSON` (as Date has) the way JSON.stringify does.
    fn apply_to_json(&self, value: Value<'js>, key: &str) -> Result<Value<'js>, FromJsError> {
        let Some(object) = value.as_object().filter(|_| !value.is_function()) else {
            return Ok(value);
        };
        let hook: Value = object.get("toJSON").map_err(|_| FromJsError::Threw)?;
        let Some(hook) = hook.as_function() else {
            return Ok(value);
        };
        let hook: Function = hook.clone();
        hook.call((rquickjs::function::This(value.clone()), key))
            .map_err(|_| FromJsError::Threw)
    }

    fn array(&mut self, value: Value<'js>) -> Result<Json, FromJsError> {
        let Some(array) = value.as_array().cloned() else {
            return Ok(Json::Null);
        };
        self.enter(array.as_object().clone())?;
        let mut items = Vec::with_capacity(array.len());
        for i in 0..array.len() {
            let item: Value = array.get(i).map_err(|_| FromJsError::Threw)?;
            self.path.push(Segment::Index(i));
            items.push(self.value(item, &i.to_string())?.unwrap_or(Json::Null));
            self.path.pop();
        }
        self.ancestors.pop();
        Ok(Json::Array(items))
    }

    fn object(&mut self, value: Value<'js>) -> Result<Json, FromJsError> {
        let Some(object) = value.as_object().cloned() else {
            return Ok(Json::Null);
        };
        self.enter(object.clone())?;
        let mut map = Map::new();
        for key in object.keys::<String>() {
            let key = key.map_err(|_| FromJsError::Threw)?;
            let item: Value = object.get(key.as_str()).map_err(|_| FromJsError::Threw)?;
            self.path.push(Segment::Key(key.clone()));
            let json = self.value(item, &key)?;
            self.path.pop();
            if let Some(json) = json {
                map.insert(key, json);
            }
        }
        self.ancestors.pop();
        Ok(Json::Object(map))
    }

    fn enter(&mut self, object: Object<'js>) -> Result<(), FromJsError> {
        if self
            .ancestors
            .iter()
            .any(|a| a.as_value() == object.as_value())
        {
            return Err(self.not_json("a cycle (an object that contains itself)"));
        }
        if self.ancestors.len() >= 1000 {
            return Err(self.not_json("nesting deeper than 1000 levels"));
        }
        self.ancestors.push(object);
        Ok(())
    }

    fn not_json(&self, what: &str) -> FromJsError {
        FromJsError::NotJson(format!("{what} at {}", self.render_path()))
    }

    fn render_path(&self) -> String {
        let mut out = String::new();
        for segment in &self.path {
            match segment {
                Segment::Root => out.push_str("result"),
                Segment::Index(i) => out.push_str(&format!("[{i}]")),
                Segment::Key(k) if is_identifier(k) => out.push_str(&format!(".{k}")),
                Segment::Key(k) => out.push_str(&format!("[{}]", Json::String(k.clone()))),
            }
        }
        out
    }
}

fn float_json(f: f64) -> Json {
    if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        return Json::from(f as i64);
    }
    Number::from_f64(f).map_or(Json::Null, Json::Number)
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}
