//! `$formula`: evaluates only the `$var`s inside its argument (as `getVariableLocators` finds them:
//! inside other formulas too, but only the `source` of an `$iterate`) and returns the argument with
//! them replaced, other formulas left as written. Like the SDK, which rewrites the template object
//! in place, a second evaluation of the same `$formula` within one call starts from the rewritten
//! argument; a `$var` that yields nothing is deleted, or spliced out of its array, shifting the
//! places of the `$var`s after it.

use serde_json::Value;

use super::build::{Builder, Result};
use super::catalog::{self, Formula, Shape};
use super::js;
use super::locator::{self, Step};
use super::value::{Built, Scope, Val};

impl Builder {
    pub(super) fn partial<'v>(
        &mut self,
        args: &'v Value,
        whole: &'v Value,
        scope: &Scope<'v, '_>,
    ) -> Result<Built<'v>> {
        // Only a `$formula` of the template itself remembers; one met inside a value being
        // rewritten is gone once replaced, as its JS counterpart is.
        let key = (self.temporaries == 0).then_some(whole as *const Value);
        let mut result = key
            .and_then(|k| self.rewritten.get(&k).cloned())
            .unwrap_or_else(|| args.clone());
        let mut places = Vec::new();
        variable_places(&result, &mut Vec::new(), &mut places)?;
        for steps in places {
            let current = locator::get_at(&result, &steps).cloned();
            self.temporaries += 1;
            let built = self.build_opt(current.as_ref(), scope);
            self.temporaries -= 1;
            let built = built?.map(Val::into_owned);
            locator::set_at(&mut result, &steps, built);
        }
        if let Some(k) = key {
            self.rewritten.insert(k, result.clone());
        }
        Ok(Some(Val::Own(result)))
    }
}

/// `getVariableLocators`: the places of the `$var` formulas inside `data`.
fn variable_places(data: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) -> Result<()> {
    match data {
        Value::Object(map) => match catalog::shape(map) {
            Shape::Formula(f, args) => formula_places(f, args, at, out)?,
            Shape::Broken(key) => return Err(catalog::broken(key)),
            Shape::Data => {
                for (key, value) in js::entries(map) {
                    at.push(Step::Property(key.clone()));
                    variable_places(value, at, out)?;
                    at.pop();
                }
            }
        },
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                at.push(Step::Item(i.to_string()));
                variable_places(item, at, out)?;
                at.pop();
            }
        }
        _ => {}
    }
    Ok(())
}

/// A formula's own `getVariableLocators`: itself for `$var`, its `source` for `$iterate`, its
/// argument for every other formula.
fn formula_places(
    f: Formula,
    args: &Value,
    at: &mut Vec<Step>,
    out: &mut Vec<Vec<Step>>,
) -> Result<()> {
    match f {
        Formula::Var => out.push(at.clone()),
        Formula::Iterate => {
            at.push(Step::Property(f.key()));
            at.push(Step::Property("source".into()));
            if let Some(source) = super::formulas::arg(args, "source") {
                variable_places(source, at, out)?;
            }
            at.truncate(at.len() - 2);
        }
        _ => {
            at.push(Step::Property(f.key()));
            variable_places(args, at, out)?;
            at.pop();
        }
    }
    Ok(())
}
