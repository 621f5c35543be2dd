//! `connector-runtime check`: loads every connector of a folder and compiles every JavaScript file,
//! collecting each problem as `path:line: message`.

use std::path::Path;

use crate::connector::{Connector, load_dir};
use crate::error::Problem;
use crate::module::compile;

/// Every problem in the connectors under `dir` (or in `dir` itself when it is one connector).
pub fn check(dir: &Path) -> (usize, Vec<Problem>) {
    let (set, mut problems) = load_dir(dir);
    for connector in set.iter() {
        problems.extend(compile_all(connector));
    }
    problems.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    (set.len(), problems)
}

fn compile_all(connector: &Connector) -> Vec<Problem> {
    let scripts = connector.files().iter().filter(|(name, _)| is_script(name));
    scripts
        .filter_map(|(name, text)| compile(name, text).err())
        .map(|error| {
            let line = error.location.as_ref().map(|l| l.line);
            Problem::new(
                connector.path_of(real_file(&error.name)),
                line,
                error.message,
            )
        })
        .collect()
}

fn is_script(name: &str) -> bool {
    [".js", ".mjs", ".cjs", ".ts"]
        .iter()
        .any(|ext| name.ends_with(ext))
        && !name.ends_with(".d.ts")
}

/// Inline code is named `events/a/spec.yml#handle.js`; its problems belong to the spec file.
fn real_file(name: &str) -> &str {
    name.split('#').next().unwrap_or(name)
}
