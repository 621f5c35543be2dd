//! The declarative formula engine: JSON/YAML templates (`{$var: $.cursor}`, `{$concat: [...]}`,
//! `{$case: ...}`) evaluated over a method's inputs, agreeing case by case with the vendor's own
//! engine, `buildValue` of the MIT-licensed `@membranehq/sdk`.
//!
//! # Evaluation
//!
//! An object whose first key (in JS `Object.keys` order: array-index keys such as `"0"` first)
//! names a formula is evaluated as that formula; every other object and array is walked, and an
//! entry that yields nothing (`undefined` in JS, `None` here) is dropped. An array or object whose
//! entries all drop yields nothing itself; an empty literal `[]` or `{}` stays. Scalars are literals.
//!
//! Formulas: `$var` (a locator: `a.b[0]`, `$.a.b`, `$`, `a\.b`, or a list of step objects; a
//! falsy array item reads as missing, as in the SDK; a malformed locator yields `null`), `$concat`,
//! `$tpl`, `$case` (filters that are formulas, or the legacy `[{field, operator, value}]` lists),
//! `$eval` (`is`, `isNot`, `oneOf`, `noneOf`, `contains`, `doesNotContain`, `lt`, `lte`, `gt`,
//! `gte`, `isEmpty`, `isNotEmpty`; a missing or unknown operator yields `true`, as in the SDK),
//! `$iterate` (`item`, `index`, `parent` in scope; falsy results dropped), `$firstNotEmpty`,
//! `$and`, `$or`, `$mergeObjects`, `$map`, `$plain`, `$record`, `$firstName`, `$lastName` (the
//! `humanparser` rules), `$extractDate`, `$extractTime` (V8's `Date.parse`, in UTC),
//! `$domainFromEmail`, `$formula`, `$jsonata`, and the formulas the SDK leaves for a later stage:
//! `$copy`, `$lookup`, `$findAppRecordId`, `$findExternalRecordId` (they yield
//! `{"$copy": <built argument>}`...) and `$dataSchemaRef` (nothing).
//!
//! Coercions are JavaScript's: `is` is `==` (`1` is `"1"`, `null` is a missing value), `oneOf`
//! is `includes` (`===`), `lt`... go through `parseFloat`, `contains` lowercases `String(value)`.
//! Objects compare by identity: two reads of the same variable are equal, two equal literals are not.
//!
//! `$tpl` placeholders are JS regular expressions, as in the SDK (`{a.b}` also matches `{aXb}`,
//! `{$x}` matches nothing, `a(` throws), run by `regress`, an ECMAScript regex engine.
//!
//! `$jsonata` runs on `jsonata-core` (MIT, released monthly, passes the 1 686 tests of the JSONata
//! 2.x suite; `jsonata-rs`, the other crate, is alpha, unreleased since early 2025 and gets
//! `$substring` and `$match` wrong). As in the SDK, which swallows whatever jsonata-js throws, an
//! expression that fails to parse or evaluate yields nothing; here so does one that runs past
//! [`JSONATA_TIMEOUT_MS`] (jsonata-js has no time limit) or panics the engine.
//!
//! # Not replicated
//!
//! Each of these is left out of the case table (`runtime/tests/mapping/cases.mjs`):
//! - Names `Object.prototype` carries read as missing (`{$var: a.constructor}` is a function in JS),
//!   and `toString`/`valueOf` keys in data do not make `String(obj)` throw. (`{$toString: ...}` and
//!   an `$eval` operator named `toString` do fail, as in the SDK.)
//! - Identity is kept only for values read straight from the variables or the template: an object
//!   that went through a built array (`[{$var: a}]`) or `$iterate`'s source compares as a copy.
//! - `$copy`, `$lookup`, `$findAppRecordId`, `$findExternalRecordId` over an argument that yields
//!   nothing give `{}`; the SDK's `{$copy: undefined}` prints the same but counts as non-empty.
//! - `$case` filters go through `buildData` in the SDK, whose `$copy` post-processing (which can only
//!   throw, never change a filter's truth) is not run.
//! - `$formula` mutates its template in the SDK, so a later evaluation of the same template sees the
//!   values the earlier one filled in; here that memory lasts one [`evaluate`] call.
//! - JSONata: jsonata-core follows jsonata-js 2.x where it differs from the vendor's 1.8
//!   (`$number("0x10")` is 16, not an error); a function result is nothing here, jsonata-js 1.8
//!   yields its internal lambda object.
//! - `$tpl`: an empty regex match advances one character (JS: one UTF-16 unit), and `regress`
//!   matches code points where JS without the `u` flag matches UTF-16 units (only a placeholder
//!   pattern with astral characters can tell).
//! - Strings are Unicode scalar values: a lone UTF-16 surrogate (from `"😀"[0]`) cannot appear.
//! - Integers beyond 2^53 pass through exactly; JS rounds them (they print the same in `$concat`).
//!
//! # Limits
//!
//! A template nested deeper than [`MAX_TEMPLATE_DEPTH`] or variables deeper than
//! [`MAX_VARIABLES_DEPTH`] fail with [`MappingError`] rather than risk the stack.

mod build;
mod catalog;
mod control;
mod dates;
mod formulas;
mod js;
mod jsonata;
mod locator;
mod names;
mod number;
mod operators;
mod partial;
mod tpl;
mod validate;
mod value;

use std::fmt;

use serde_json::Value;

pub use validate::validate;

/// How deep a template may nest (objects and arrays, formulas included).
pub const MAX_TEMPLATE_DEPTH: usize = 128;
/// How deep the variables may nest.
pub const MAX_VARIABLES_DEPTH: usize = 512;
/// The wall-clock budget of one `$jsonata` expression.
pub const JSONATA_TIMEOUT_MS: u64 = 1_000;

/// A static problem of a template, found by [`validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingProblem {
    /// Keys and array indices from the template's root to the offending value.
    pub path: Vec<String>,
    pub message: String,
}

impl fmt::Display for MappingProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", pointer(&self.path), self.message)
    }
}

/// Why a template could not be evaluated: where the vendor's engine throws, or past a limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("template nested deeper than {limit} levels at {}", pointer(path))]
    TemplateTooDeep { path: Vec<String>, limit: usize },
    #[error("variables nested deeper than {limit} levels")]
    VariablesTooDeep { limit: usize },
    /// The evaluation ran past the invocation's deadline.
    #[error("the mapping ran past its deadline")]
    Deadline,
    #[error("`{formula}` at {}: {message}", pointer(path))]
    Formula {
        formula: String,
        path: Vec<String>,
        message: String,
    },
}

impl MappingError {
    pub(super) fn formula(formula: &str, message: impl Into<String>) -> Self {
        MappingError::Formula {
            formula: formula.to_owned(),
            path: Vec::new(),
            message: message.into(),
        }
    }

    /// The error seen from one level up: `segment` is the key or index it happened under.
    /// Segments collect innermost first; [`evaluate`] turns the path around once.
    pub(super) fn within(mut self, segment: impl ToString) -> Self {
        if let MappingError::Formula { path, .. } | MappingError::TemplateTooDeep { path, .. } =
            &mut self
        {
            path.push(segment.to_string());
        }
        self
    }

    fn finish(mut self) -> Self {
        if let MappingError::Formula { path, .. } | MappingError::TemplateTooDeep { path, .. } =
            &mut self
        {
            path.reverse();
        }
        self
    }
}

/// `/a/b/0` (a JSON pointer, unescaped), `/` for the root.
fn pointer(path: &[String]) -> String {
    if path.is_empty() {
        "/".to_owned()
    } else {
        path.iter().map(|s| format!("/{s}")).collect()
    }
}

/// Evaluates `template` over `variables` (an object: for handle `{query, data, headers, rawBody,
/// state, parameters, credentials, ...}`).
///
/// `Ok(None)` = the template yields nothing (undefined): callers drop the key / array entry.
pub fn evaluate(template: &Value, variables: &Value) -> Result<Option<Value>, MappingError> {
    evaluate_until(template, variables, None)
}

/// [`evaluate`] that fails with [`MappingError::Deadline`] once `deadline` has passed (checked at
/// every node and in `$tpl`'s loop), so hostile data cannot hold the worker.
pub fn evaluate_until(
    template: &Value,
    variables: &Value,
    deadline: Option<std::time::Instant>,
) -> Result<Option<Value>, MappingError> {
    let _armed = build::Deadline::arm(deadline);
    if value::deeper_than(template, MAX_TEMPLATE_DEPTH) {
        return Err(MappingError::TemplateTooDeep {
            path: value::too_deep(template, MAX_TEMPLATE_DEPTH).unwrap_or_default(),
            limit: MAX_TEMPLATE_DEPTH,
        });
    }
    if value::deeper_than(variables, MAX_VARIABLES_DEPTH) {
        return Err(MappingError::VariablesTooDeep {
            limit: MAX_VARIABLES_DEPTH,
        });
    }
    let scope = value::Scope::Root(variables);
    let built = build::Builder::new()
        .build(template, &scope)
        .map_err(MappingError::finish)?;
    Ok(built.map(value::Val::into_owned))
}
