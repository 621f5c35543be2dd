//! `$jsonata`: the expression (itself built first, so it may be a formula) evaluated by jsonata-core
//! over the variables, as the SDK evaluates it with jsonata-js over the same object. As there, an
//! expression that fails to parse or evaluate yields nothing; here also one that runs past
//! [`JSONATA_TIMEOUT_MS`](super::JSONATA_TIMEOUT_MS). Results cross back as `JSON.stringify`
//! would write them: functions vanish, `-0` is `0`.

use std::panic::AssertUnwindSafe;

use jsonata_core::Expression;
use jsonata_core::evaluator::EvaluatorOptions;
use jsonata_core::value::JValue;
use serde_json::{Map, Value};

use super::build::{Builder, Result};
use super::value::{Built, Scope, Val, as_ref};
use super::{JSONATA_TIMEOUT_MS, MAX_VARIABLES_DEPTH, js};

impl Builder {
    pub(super) fn jsonata<'v>(
        &mut self,
        args: &'v Value,
        scope: &Scope<'v, '_>,
    ) -> Result<Built<'v>> {
        if !js::truthy(Some(args)) {
            return Ok(None);
        }
        let built = self.build(args, scope)?;
        let Some(Value::String(source)) = as_ref(&built) else {
            return Ok(None);
        };
        let options = EvaluatorOptions {
            timeout_ms: Some(JSONATA_TIMEOUT_MS),
            ..EvaluatorOptions::default()
        };
        let input = self.jsonata_input(scope);
        // The SDK swallows whatever jsonata-js throws; a panic of the third-party engine on some
        // input is swallowed the same way rather than taking the caller down.
        let run = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let expression = Expression::compile_with_options(source, options).ok()?;
            let result = expression.evaluate(&input).ok()?;
            from_jsonata(&result, 0)
        }));
        Ok(run.ok().flatten().map(Val::Own))
    }

    /// The scope as a JSONata value; the root is converted once per evaluation.
    fn jsonata_input(&mut self, scope: &Scope<'_, '_>) -> JValue {
        match scope {
            Scope::Root(v) => self
                .jsonata_root
                .get_or_insert_with(|| JValue::from((*v).clone()))
                .clone(),
            Scope::Item {
                item,
                index,
                parent,
            } => {
                let fields = [
                    ("item".to_owned(), JValue::from((*item).clone())),
                    ("parent".to_owned(), self.jsonata_input(parent)),
                    ("index".to_owned(), JValue::from(*index as f64)),
                ];
                JValue::object(fields.into_iter().collect())
            }
        }
    }
}

/// A JSONata result as JSON; `None` for `undefined` and functions. Nesting past the variables'
/// limit (a runaway recursive expression) counts as no result.
fn from_jsonata(v: &JValue, depth: usize) -> Option<Value> {
    if depth > MAX_VARIABLES_DEPTH {
        return None;
    }
    Some(match v {
        JValue::Null => Value::Null,
        JValue::Bool(b) => Value::Bool(*b),
        JValue::Number(n) => js::number_value(*n),
        JValue::String(s) => Value::String(s.to_string()),
        JValue::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| from_jsonata(i, depth + 1).unwrap_or(Value::Null))
                .collect(),
        ),
        JValue::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map.iter() {
                if let Some(v) = from_jsonata(v, depth + 1) {
                    out.insert(k.clone(), v);
                }
            }
            Value::Object(out)
        }
        _ => return None,
    })
}
