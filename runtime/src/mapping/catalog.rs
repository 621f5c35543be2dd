//! The formulas the SDK knows (`DataBuilderFormulaType`), and how an object is recognised as one:
//! its first key in `Object.keys` order is `$` plus a known name. `$toString` and the other names
//! `Object.prototype` carries pass the SDK's `in` test and then throw, so they fail here too.

use serde_json::{Map, Value};

use super::{MappingError, js};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Formula {
    Var,
    Copy,
    Tpl,
    Record,
    Lookup,
    Plain,
    Map,
    Concat,
    FirstName,
    LastName,
    Iterate,
    Case,
    ExtractDate,
    ExtractTime,
    FindExternalRecordId,
    FindAppRecordId,
    Eval,
    And,
    Or,
    MergeObjects,
    FirstNotEmpty,
    DomainFromEmail,
    /// `$formula`: partial evaluation (see `partial.rs`).
    Partial,
    Jsonata,
    DataSchemaRef,
}

const ALL: [(Formula, &str); 25] = [
    (Formula::Var, "var"),
    (Formula::Copy, "copy"),
    (Formula::Tpl, "tpl"),
    (Formula::Record, "record"),
    (Formula::Lookup, "lookup"),
    (Formula::Plain, "plain"),
    (Formula::Map, "map"),
    (Formula::Concat, "concat"),
    (Formula::FirstName, "firstName"),
    (Formula::LastName, "lastName"),
    (Formula::Iterate, "iterate"),
    (Formula::Case, "case"),
    (Formula::ExtractDate, "extractDate"),
    (Formula::ExtractTime, "extractTime"),
    (Formula::FindExternalRecordId, "findExternalRecordId"),
    (Formula::FindAppRecordId, "findAppRecordId"),
    (Formula::Eval, "eval"),
    (Formula::And, "and"),
    (Formula::Or, "or"),
    (Formula::MergeObjects, "mergeObjects"),
    (Formula::FirstNotEmpty, "firstNotEmpty"),
    (Formula::DomainFromEmail, "domainFromEmail"),
    (Formula::Partial, "formula"),
    (Formula::Jsonata, "jsonata"),
    (Formula::DataSchemaRef, "dataSchemaRef"),
];

impl Formula {
    pub(super) fn from_name(name: &str) -> Option<Self> {
        ALL.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    /// The formula's key, `$var`.
    pub(super) fn key(self) -> String {
        let name = ALL.iter().find(|(f, _)| *f == self).map_or("", |(_, n)| n);
        format!("${name}")
    }
}

/// What an object is to the engine.
pub(super) enum Shape<'t> {
    Data,
    Formula(Formula, &'t Value),
    /// `$toString` and friends: the SDK throws on them.
    Broken(&'t str),
}

pub(super) fn shape(map: &Map<String, Value>) -> Shape<'_> {
    let Some(key) = js::first_key(map) else {
        return Shape::Data;
    };
    let Some(name) = key.strip_prefix('$') else {
        return Shape::Data;
    };
    match (Formula::from_name(name), map.get(key)) {
        (Some(f), Some(args)) => Shape::Formula(f, args),
        _ if js::is_prototype_name(name) => Shape::Broken(key),
        _ => Shape::Data,
    }
}

pub(super) fn broken(key: &str) -> MappingError {
    MappingError::formula(
        key,
        "is not a formula: the vendor's engine throws on names of Object.prototype",
    )
}
