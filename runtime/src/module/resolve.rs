//! Import resolution confined to one connector's folder. A relative specifier resolves against the
//! importing file and must stay inside the folder; a bare name must be one of the host's built-in
//! modules. Absolute paths, `file:` and other URLs are refused, each error naming the importer.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::{Ctx, Error, Module};

use super::bytecode::{CompileError, compile_file};
use crate::connector::Connector;

/// Extensions tried, in order, for a relative specifier without one.
const IMPLICIT_EXTENSIONS: &[&str] = &[".js", ".mjs", ".cjs", ".json", "/index.js"];

/// Resolves `specifier` imported by module `base` (a path relative to the connector folder).
pub fn resolve(files: &Connector, base: &str, specifier: &str) -> Result<String, String> {
    if base.is_empty() && files.file(specifier).is_some() {
        // The host importing a method's own file (no JS on the stack, so no base).
        return Ok(specifier.to_string());
    }
    if specifier.starts_with("./") || specifier.starts_with("../") {
        return resolve_relative(files, base, specifier);
    }
    if let Some(name) = host_api::modules::builtin_name(specifier) {
        return Ok(name.to_string());
    }
    let path_like =
        specifier.starts_with('/') || specifier.contains(':') || specifier.starts_with('.');
    if path_like && !specifier.starts_with("node:") {
        return Err(
            "absolute paths and URLs cannot be imported; import connector files with a \
                    relative path ('./helper.js')"
                .to_string(),
        );
    }
    let builtins = host_api::BUILTIN_MODULES.join(", ");
    Err(format!(
        "unknown module: only files of the connector ('./x.js') and the built-in modules ({builtins}) \
         can be imported"
    ))
}

fn resolve_relative(files: &Connector, base: &str, specifier: &str) -> Result<String, String> {
    let mut parts: Vec<&str> = base.split('/').collect();
    parts.pop();
    for segment in specifier.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("resolves outside the connector folder".to_string());
                }
            }
            name => parts.push(name),
        }
    }
    let path = parts.join("/");
    if files.file(&path).is_some() && !path.contains('#') {
        return Ok(path);
    }
    IMPLICIT_EXTENSIONS
        .iter()
        .map(|ext| format!("{path}{ext}"))
        .find(|candidate| files.file(candidate).is_some())
        .ok_or_else(|| format!("no such file '{path}' in the connector folder"))
}

/// The resolver a sandbox's runtime uses: every import goes through [`resolve`].
pub struct ConnectorResolver(pub Arc<Connector>);

impl Resolver for ConnectorResolver {
    fn resolve<'js>(
        &mut self,
        _ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        resolve(&self.0, base, name).map_err(|msg| Error::new_resolving_message(base, name, msg))
    }
}

/// The loader a sandbox's runtime uses: connector files from the bytecode cache, built-in modules
/// from the host. The last compile error is kept for the sandbox to report with its location.
pub struct ConnectorLoader {
    pub connector: Arc<Connector>,
    pub last_error: Rc<RefCell<Option<CompileError>>>,
}

impl Loader for ConnectorLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js>> {
        if host_api::modules::builtin_name(name).is_some() {
            return host_api::modules::load_builtin(ctx, name);
        }
        let text = self
            .connector
            .file(name)
            .ok_or_else(|| Error::new_loading(name))?;
        match compile_file(name, text) {
            // SAFETY: the bytes come from `compile`, which wrote them with this very build of
            // QuickJS in this process; bytecode never comes from user input.
            Ok(bytecode) => unsafe { Module::load(ctx.clone(), &bytecode) },
            Err(error) => {
                let message = error.to_string();
                *self.last_error.borrow_mut() = Some(error);
                Err(Error::new_loading_message(name, message))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn connector(files: &[&str]) -> Connector {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("demo");
        for file in files {
            let path = root.join(file);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, "export default 1").unwrap();
        }
        crate::connector::load_connector(&root).unwrap()
    }

    #[test]
    fn relative_imports_resolve_inside_the_folder() {
        let c = connector(&[
            "events/a/handle.js",
            "events/a/util.js",
            "lib/shared.js",
            "lib/x/index.js",
        ]);
        let base = "events/a/handle.js";
        assert_eq!(resolve(&c, base, "./util.js").unwrap(), "events/a/util.js");
        assert_eq!(resolve(&c, base, "./util").unwrap(), "events/a/util.js");
        assert_eq!(
            resolve(&c, base, "../../lib/shared.js").unwrap(),
            "lib/shared.js"
        );
        assert_eq!(resolve(&c, base, "../../lib/x").unwrap(), "lib/x/index.js");
    }

    #[test]
    fn escapes_and_unknown_names_are_refused() {
        let c = connector(&["events/a/handle.js"]);
        let base = "events/a/handle.js";
        for (specifier, expected) in [
            ("../../../etc/passwd", "outside the connector folder"),
            ("/etc/passwd", "absolute paths and URLs"),
            ("file:///etc/passwd", "absolute paths and URLs"),
            ("https://example.com/x.js", "absolute paths and URLs"),
            ("fs", "unknown module"),
            ("crypt", "unknown module"),
            ("node:child_process", "unknown module"),
            ("./missing.js", "no such file"),
        ] {
            let error = resolve(&c, base, specifier).unwrap_err();
            assert!(error.contains(expected), "{specifier}: {error}");
        }
    }
}
