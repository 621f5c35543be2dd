//! Static problems of a template, found without evaluating it: unknown formulas, formula keys that
//! are not first (so the object is data), malformed locators, unknown `$eval` and legacy filter
//! operators, formulas missing a required key, `$tpl` placeholders that are no regex, JSONata that
//! does not parse. Each comes with its path inside the template.

use serde_json::{Map, Value};

use super::catalog::{self, Formula, Shape};
use super::{MAX_TEMPLATE_DEPTH, MappingProblem, js, locator, operators, value};

/// Static problems in a template, without evaluating it. Each has the path (keys and indices)
/// inside the template, e.g. `["requestMapping", "query", "limit"]`, for the caller to map to a line.
pub fn validate(template: &Value) -> Vec<MappingProblem> {
    if value::deeper_than(template, MAX_TEMPLATE_DEPTH) {
        return vec![MappingProblem {
            path: value::too_deep(template, MAX_TEMPLATE_DEPTH).unwrap_or_default(),
            message: format!("the template nests deeper than {MAX_TEMPLATE_DEPTH} levels"),
        }];
    }
    let mut checker = Checker {
        path: Vec::new(),
        problems: Vec::new(),
    };
    checker.walk(template);
    checker.problems
}

struct Checker {
    path: Vec<String>,
    problems: Vec<MappingProblem>,
}

impl Checker {
    fn report(&mut self, message: impl Into<String>) {
        self.problems.push(MappingProblem {
            path: self.path.clone(),
            message: message.into(),
        });
    }

    /// Runs `f` with `segments` appended to the path.
    fn at(&mut self, segments: &[&str], f: impl FnOnce(&mut Self)) {
        let depth = self.path.len();
        self.path.extend(segments.iter().map(|s| (*s).to_owned()));
        f(self);
        self.path.truncate(depth);
    }

    fn walk_at(&mut self, segments: &[&str], v: Option<&Value>) {
        if let Some(v) = v {
            self.at(segments, |c| c.walk(v));
        }
    }

    fn walk(&mut self, v: &Value) {
        match v {
            Value::Object(map) => match catalog::shape(map) {
                Shape::Formula(f, args) => {
                    let key = f.key();
                    self.at(&[&key], |c| c.formula(f, args, map));
                }
                Shape::Broken(key) => self.report(format!("unknown formula `{key}`")),
                Shape::Data => self.data(map),
            },
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.at(&[&i.to_string()], |c| c.walk(item));
                }
            }
            _ => {}
        }
    }

    fn data(&mut self, map: &Map<String, Value>) {
        let first = js::first_key(map);
        for (key, value) in js::entries(map) {
            let formula = key.strip_prefix('$').and_then(Formula::from_name);
            if Some(key) == first && key.starts_with('$') && formula.is_none() {
                self.at(&[key], |c| c.report(format!("unknown formula `{key}`")));
            } else if formula.is_some() {
                self.at(&[key], |c| {
                    c.report(format!(
                        "`{key}` is not the object's first key, so the object is data, not a formula"
                    ));
                });
            }
            self.at(&[key], |c| c.walk(value));
        }
    }

    fn formula(&mut self, f: Formula, args: &Value, whole: &Map<String, Value>) {
        match f {
            Formula::Var => self.locator(args),
            Formula::Plain | Formula::Record | Formula::DataSchemaRef => {}
            Formula::Tpl => self.tpl(args),
            Formula::Iterate => self.required(args, &["source", "item"], "$iterate"),
            Formula::Concat => self.concat(args),
            Formula::Case => self.case(args),
            Formula::Eval => self.eval(args, whole),
            Formula::Map => self.map(args),
            Formula::And | Formula::Or | Formula::FirstNotEmpty | Formula::MergeObjects => {
                self.list(args, &f.key());
            }
            Formula::Jsonata => self.jsonata(args),
            _ => self.walk(args),
        }
    }

    fn locator(&mut self, args: &Value) {
        let problem = match locator::parse(args) {
            Err(message) => Some(message),
            Ok(steps) => steps.into_iter().find_map(|s| match s {
                locator::Step::Bad(message) => Some(message),
                _ => None,
            }),
        };
        if let Some(message) = problem {
            self.report(format!("malformed locator: {message}"));
        }
    }

    /// Reports each of `keys` missing from an object `args`, then walks what is there.
    fn required(&mut self, args: &Value, keys: &[&str], formula: &str) {
        let Value::Object(map) = args else {
            let wanted = keys.join("`, `");
            return self.report(format!("`{formula}` takes an object with `{wanted}`"));
        };
        for key in keys {
            if !map.contains_key(*key) {
                self.report(format!("`{formula}` is missing `{key}`"));
            }
        }
        for (key, value) in js::entries(map) {
            self.walk_at(&[key], Some(value));
        }
    }

    fn tpl(&mut self, args: &Value) {
        let Value::Object(map) = args else {
            return self.report("`$tpl` takes an object with `template` and `values`");
        };
        match map.get("template") {
            None => self.report("`$tpl` is missing `template`"),
            Some(Value::String(_)) => {}
            Some(_) => self.at(&["template"], |c| c.report("`template` is not a string")),
        }
        if let Some(Value::Object(values)) = map.get("values") {
            for (key, value) in js::entries(values) {
                self.at(&["values", key], |c| {
                    if let Err(message) = super::tpl::placeholder(key) {
                        c.report(message);
                    }
                    c.walk(value);
                });
            }
        }
    }

    fn concat(&mut self, args: &Value) {
        match args {
            Value::Array(_) => self.walk(args),
            Value::Object(map) if map.contains_key("values") => {
                self.walk_at(&["values"], map.get("values"));
                self.walk_at(&["delimiter"], map.get("delimiter"));
            }
            _ => self.report("`$concat` takes a list or an object with `values`"),
        }
    }

    fn list(&mut self, args: &Value, formula: &str) {
        let is_formula =
            matches!(args, Value::Object(m) if matches!(catalog::shape(m), Shape::Formula(..)));
        if !args.is_array() && !is_formula {
            self.report(format!("`{formula}` takes a list"));
        }
        self.walk(args);
    }

    fn case(&mut self, args: &Value) {
        let cases = match args {
            Value::Array(items) => items,
            Value::Object(map) => match map.get("cases") {
                Some(Value::Array(items)) => {
                    self.walk_at(&["default"], map.get("default"));
                    items
                }
                _ => return self.report("`$case` is missing its list of `cases`"),
            },
            _ => return self.report("`$case` takes an object with `cases` and `default`"),
        };
        for (i, case) in cases.iter().enumerate() {
            self.at(&["cases", &i.to_string()], |c| c.one_case(case));
        }
    }

    fn one_case(&mut self, case: &Value) {
        let Value::Object(map) = case else {
            return self.report("a case is an object with `filter` and `value`");
        };
        match map.get("filter") {
            Some(Value::Array(conditions)) => self.at(&["filter"], |c| c.conditions(conditions)),
            filter => self.walk_at(&["filter"], filter),
        }
        self.walk_at(&["value"], map.get("value"));
    }

    /// A legacy filter: `[{field, operator, value}]`.
    fn conditions(&mut self, conditions: &[Value]) {
        for (i, condition) in conditions.iter().enumerate() {
            self.at(&[&i.to_string()], |c| {
                let Value::Object(map) = condition else {
                    return c.report(
                        "a filter condition is an object with `field`, `operator`, `value`",
                    );
                };
                let operator = js::to_string(map.get("operator"));
                if operators::legacy_op(&operator).is_none() {
                    c.at(&["operator"], |c| {
                        c.report(format!("unknown filter operator `{operator}`"))
                    });
                }
                match map.get("field") {
                    Some(field) => c.at(&["field"], |c| c.locator(field)),
                    None => c.report("a filter condition is missing `field`"),
                }
            });
        }
    }

    fn eval(&mut self, args: &Value, whole: &Map<String, Value>) {
        self.walk(args);
        let entries = js::entries(whole);
        let Some(&(name, operand)) = entries.get(1) else {
            let known: Vec<&str> = operators::eval_names().collect();
            return self.report(format!(
                "`$eval` has no operator (one of {})",
                known.join(", ")
            ));
        };
        self.path.pop();
        match operators::eval_op(name) {
            None => self.at(&[name], |c| {
                c.report(format!("unknown `$eval` operator `{name}`"))
            }),
            Some(op) if !op.is_unary() => self.walk_at(&[name], Some(operand)),
            Some(_) => {}
        }
        self.path.push("$eval".to_owned());
    }

    fn map(&mut self, args: &Value) {
        self.required(args, &["value", "mapping"], "$map");
        if let Value::Object(map) = args
            && let Some(mapping) = map.get("mapping")
            && !mapping.is_array()
        {
            self.at(&["mapping"], |c| {
                c.report("`mapping` is a list of `{from, to}`")
            });
        }
    }

    fn jsonata(&mut self, args: &Value) {
        match args {
            Value::String(source) => {
                if let Err(e) = jsonata_core::parser::parse(source) {
                    self.report(format!("the JSONata expression does not parse: {e}"));
                }
            }
            Value::Object(_) => self.walk(args),
            _ => self.report("`$jsonata` takes an expression string"),
        }
    }
}

#[cfg(test)]
mod tests;
