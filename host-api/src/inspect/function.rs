//! Functions and classes: `[Function: f]`, `[AsyncGeneratorFunction (anonymous)]`,
//! `[class A extends B]`. Tricky: telling a class from a function needs its source text, which is
//! read with the realm's `Function.prototype.toString` and scanned as Node does (comments removed).

use rquickjs::Object;

use super::inspector::Inspector;
use super::raw;
use super::shared::truthy;

impl<'js> Inspector<'_, 'js> {
    pub(super) fn function_base(&self, f: &Object<'js>, ctor: Option<&str>, tag: &str) -> String {
        let source = self
            .sh
            .function_proto
            .as_ref()
            .and_then(|p| self.sh.call_method(p, "toString", f.as_value()));
        let source = source.filter(|s| s.is_string()).map(|s| self.sh.text(&s));
        if source.as_deref().is_some_and(looks_like_class) {
            return self.class_base(f, ctor, tag);
        }
        let kind = self.function_kind(f);
        let mut base = format!("[{kind}");
        if ctor.is_none() {
            base.push_str(" (null prototype)");
        }
        let name = self.sh.get(f, "name");
        if name.is_string() && self.sh.text(&name).is_empty() {
            base.push_str(" (anonymous)");
        } else {
            base.push_str(&format!(
                ": {}",
                self.sh.to_string(&name).unwrap_or_default()
            ));
        }
        base.push(']');
        if let Some(ctor) = ctor.filter(|c| *c != kind) {
            base.push_str(&format!(" {ctor}"));
        }
        if !tag.is_empty() && ctor != Some(tag) {
            base.push_str(&format!(" [{tag}]"));
        }
        base
    }

    /// `Function`, `AsyncFunction`, `GeneratorFunction` or `AsyncGeneratorFunction`.
    fn function_kind(&self, f: &Object<'js>) -> String {
        let id = raw::class_id(f.as_value());
        let ids = &self.sh.ids;
        let generator = id == ids.generator_function || id == ids.async_generator_function;
        let is_async = raw::is_async_function(f.as_value()) || id == ids.async_generator_function;
        let prefix = if is_async { "Async" } else { "" };
        let middle = if generator { "Generator" } else { "" };
        format!("{prefix}{middle}Function")
    }

    fn class_base(&self, f: &Object<'js>, ctor: Option<&str>, tag: &str) -> String {
        let name = match self.sh.has_own(f, raw::KeyRef::Str("name")) {
            true => Some(self.sh.get(f, "name")).filter(|n| truthy(self.sh, n)),
            false => None,
        };
        let name = name
            .and_then(|n| self.sh.to_string(&n))
            .unwrap_or_else(|| "(anonymous)".into());
        let mut base = format!("class {name}");
        if let Some(ctor) = ctor.filter(|c| *c != "Function") {
            base.push_str(&format!(" [{ctor}]"));
        }
        if !tag.is_empty() && ctor != Some(tag) {
            base.push_str(&format!(" [{tag}]"));
        }
        if ctor.is_none() {
            base.push_str(" extends [null prototype]");
        } else if let Ok(Some(parent)) = raw::proto(self.ctx(), f.as_value()) {
            let parent = self.sh.get(&parent, "name");
            if truthy(self.sh, &parent) {
                base.push_str(&format!(
                    " extends {}",
                    self.sh.to_string(&parent).unwrap_or_default()
                ));
            }
        }
        format!("[{base}]")
    }
}

/// Whether `Function.prototype.toString` text is a class (Node's `getFunctionBase` check).
fn looks_like_class(source: &str) -> bool {
    let Some(body) = source
        .strip_prefix("class")
        .and_then(|s| s.strip_suffix('}'))
    else {
        return false;
    };
    let Some(brace) = body.find('{') else {
        return false;
    };
    if !body[..brace].contains('(') {
        return true;
    }
    let stripped = strip_comments(body);
    let starts_blank = stripped.chars().next().is_some_and(char::is_whitespace);
    match (stripped.find('{'), stripped.find('(')) {
        (Some(b), Some(p)) => starts_blank && b < p,
        (Some(_), None) => starts_blank,
        _ => false,
    }
}

/// Removes `// ...\n` and `/* ... */` comments (Node's `stripCommentsRegExp`).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('/') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let end = if tail.starts_with("//") {
            tail.find('\n').map(|e| e + 1)
        } else if let Some(comment) = tail.strip_prefix("/*") {
            comment.find("*/").map(|e| e + 4)
        } else {
            None
        };
        match end {
            Some(end) => rest = &tail[end..],
            None => {
                out.push('/');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
