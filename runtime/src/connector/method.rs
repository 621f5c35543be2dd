//! How one method is implemented: its implementation type and where its code or mapping lives.
//! The type comes from the spec when given, else from the file's suffix (the SDK's table, with
//! `.map.yml` tried before the plain `.yml`).

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImplementationType {
    Javascript,
    Mapping,
    RestApiMapping,
    GraphqlApiMapping,
    OperationMapping,
    NotSupported,
}

/// Suffixes in the order a method's file is probed.
const SUFFIXES: &[(&str, ImplementationType)] = &[
    (".map.yml", ImplementationType::Mapping),
    (".rest.yml", ImplementationType::RestApiMapping),
    (".api.yml", ImplementationType::RestApiMapping),
    (".graphql.yml", ImplementationType::GraphqlApiMapping),
    (".op.yml", ImplementationType::OperationMapping),
    (".js", ImplementationType::Javascript),
    (".mjs", ImplementationType::Javascript),
    (".cjs", ImplementationType::Javascript),
    (".ts", ImplementationType::Javascript),
    (".yml", ImplementationType::Mapping),
];

impl ImplementationType {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "javascript" => ImplementationType::Javascript,
            "mapping" => ImplementationType::Mapping,
            "rest-api-mapping" => ImplementationType::RestApiMapping,
            "graphql-api-mapping" => ImplementationType::GraphqlApiMapping,
            "operation-mapping" => ImplementationType::OperationMapping,
            "not-supported" => ImplementationType::NotSupported,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ImplementationType::Javascript => "javascript",
            ImplementationType::Mapping => "mapping",
            ImplementationType::RestApiMapping => "rest-api-mapping",
            ImplementationType::GraphqlApiMapping => "graphql-api-mapping",
            ImplementationType::OperationMapping => "operation-mapping",
            ImplementationType::NotSupported => "not-supported",
        }
    }

    /// Whether the method is a template the host evaluates (no JavaScript).
    pub fn is_declarative(self) -> bool {
        matches!(
            self,
            ImplementationType::Mapping
                | ImplementationType::RestApiMapping
                | ImplementationType::GraphqlApiMapping
                | ImplementationType::OperationMapping
        )
    }

    /// The implementation type a file name implies, by its suffix.
    pub fn from_file_name(name: &str) -> Option<Self> {
        SUFFIXES
            .iter()
            .find(|(suffix, _)| name.ends_with(suffix))
            .map(|&(_, kind)| kind)
    }

    /// File names to probe for method file `stem` (`subscribe`), optionally of one type only.
    pub fn candidates(stem: &str, only: Option<Self>) -> impl Iterator<Item = (String, Self)> {
        SUFFIXES
            .iter()
            .filter(move |(_, kind)| only.is_none_or(|o| o == *kind))
            .map(move |(suffix, kind)| (format!("{stem}{suffix}"), *kind))
    }
}

impl fmt::Display for ImplementationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a method's code or mapping is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MethodSource {
    /// A file, by path relative to the connector folder.
    File(String),
    /// Inline `code:` or `mapping:` in a spec, under a virtual file name (`events/a/spec.yml#handle.js`)
    /// that the connector's file map also holds.
    Inline(String),
    /// `not-supported`, or a type with nothing to load.
    None,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MethodDef {
    pub kind: ImplementationType,
    pub source: MethodSource,
}

impl MethodDef {
    /// The file (real or virtual) holding the method, relative to the connector folder.
    pub fn file(&self) -> Option<&str> {
        match &self.source {
            MethodSource::File(f) | MethodSource::Inline(f) => Some(f),
            MethodSource::None => None,
        }
    }
}

/// `getEventSelector` → `get-event-selector`.
pub fn kebab_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_case_of_method_keys() {
        assert_eq!(kebab_case("getEventSelector"), "get-event-selector");
        assert_eq!(kebab_case("handle"), "handle");
        assert_eq!(kebab_case("makeApiClient"), "make-api-client");
    }

    #[test]
    fn suffix_decides_type_map_before_plain_yml() {
        use ImplementationType::*;
        assert_eq!(
            ImplementationType::from_file_name("handle.map.yml"),
            Some(Mapping)
        );
        assert_eq!(
            ImplementationType::from_file_name("subscribe.rest.yml"),
            Some(RestApiMapping)
        );
        assert_eq!(
            ImplementationType::from_file_name("subscribe.api.yml"),
            Some(RestApiMapping)
        );
        assert_eq!(
            ImplementationType::from_file_name("x.graphql.yml"),
            Some(GraphqlApiMapping)
        );
        assert_eq!(
            ImplementationType::from_file_name("handle.js"),
            Some(Javascript)
        );
        assert_eq!(
            ImplementationType::from_file_name("handle.yml"),
            Some(Mapping)
        );
        assert_eq!(ImplementationType::from_file_name("README.md"), None);
    }
}
