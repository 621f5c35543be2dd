//! Module source for a connector file. ES modules pass unchanged. CommonJS (`module.exports =`,
//! `exports.x =`, `require('./x')`) gets a one-line prefix that defines `module`, `exports` and a
//! `require` backed by static imports of every string-literal `require` call, and a suffix that
//! exports `module.exports` as the default. JSON files become `export default <json>`.

/// How a file's text was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    EsModule,
    CommonJs,
    Json,
}

/// The module source to compile for file `name` with text `text`.
pub fn module_source(name: &str, text: &str) -> (SourceKind, String) {
    if name.ends_with(".json") {
        return (SourceKind::Json, format!("export default {text}\n;"));
    }
    if is_es_module(text) || !looks_common_js(text) {
        return (SourceKind::EsModule, text.to_string());
    }
    (SourceKind::CommonJs, wrap_common_js(text))
}

/// Whether some line starts with an `import` or `export` declaration.
fn is_es_module(text: &str) -> bool {
    text.lines().map(str::trim_start).any(|line| {
        let keyword = |kw: &str| {
            line.strip_prefix(kw).is_some_and(|rest| {
                rest.starts_with([' ', '{', '*', '"', '\'', '\t']) || rest.is_empty()
            })
        };
        keyword("export") || keyword("import")
    })
}

fn looks_common_js(text: &str) -> bool {
    text.contains("module.exports") || text.contains("exports.") || text.contains("require(")
}

fn wrap_common_js(text: &str) -> String {
    let specifiers = required_specifiers(text);
    let mut prefix = String::new();
    let mut table = String::new();
    for (i, specifier) in specifiers.iter().enumerate() {
        let quoted = js_string(specifier);
        prefix.push_str(&format!("import * as __cjs_req{i} from {quoted};"));
        table.push_str(&format!("{quoted}:__cjs_req{i},"));
    }
    prefix.push_str("const module={exports:{}};let exports=module.exports;");
    prefix.push_str(&format!(
        "const require=(s)=>{{const m=({{{table}}})[s];if(!m)throw new Error(\"require('\"+s+\"'): \
         only string-literal requires of connector files and built-in modules are supported\");\
         return m.__cjsModule?m.__cjsModule.exports:m;}};"
    ));
    format!("{prefix}{text}\n;export {{module as __cjsModule}};export default module.exports;\n")
}

/// The string literals passed to `require(...)`, in order of first appearance.
fn required_specifiers(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("require(") {
        rest = &rest[at + "require(".len()..];
        let trimmed = rest.trim_start();
        let Some(quote) = trimmed
            .chars()
            .next()
            .filter(|c| matches!(c, '\'' | '"' | '`'))
        else {
            continue;
        };
        let body = &trimmed[1..];
        if let Some(end) = body.find(quote) {
            let specifier = &body[..end];
            if !specifier.contains("${") && !found.iter().any(|s| s == specifier) {
                found.push(specifier.to_string());
            }
        }
    }
    found
}

fn js_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn es_module_passes_unchanged() {
        let text = "import x from './x.js'\nexport default async function () {}";
        assert_eq!(
            module_source("a.js", text),
            (SourceKind::EsModule, text.to_string())
        );
    }

    #[test]
    fn common_js_keeps_line_numbers() {
        let text = "const u = require('./u.js')\nmodule.exports = () => u\n";
        let (kind, source) = module_source("a.js", text);
        assert_eq!(kind, SourceKind::CommonJs);
        assert!(source.starts_with("import * as __cjs_req0 from \"./u.js\";"));
        let first_line = source.lines().next().unwrap();
        assert!(first_line.ends_with("const u = require('./u.js')"));
        assert_eq!(source.lines().nth(1), Some("module.exports = () => u"));
    }

    #[test]
    fn export_word_inside_identifier_is_not_es_module() {
        assert!(!is_es_module("exports.handle = function () {}"));
        assert!(!is_es_module("const exported = 1; importer()"));
        assert!(is_es_module("export{a}"));
        assert!(!is_es_module("import('./x.js')"));
    }

    #[test]
    fn json_becomes_default_export() {
        let (kind, source) = module_source("data/x.json", "{\"a\": 1}");
        assert_eq!(kind, SourceKind::Json);
        assert!(source.starts_with("export default {\"a\": 1}"));
    }

    #[test]
    fn required_specifiers_skip_dynamic_ones() {
        let text = "require('a'); require(\"./b\"); require(x); require(`c${d}`); require('a')";
        assert_eq!(required_specifiers(text), vec!["a", "./b"]);
    }
}
