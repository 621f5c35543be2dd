//! `connector-runtime check [DIR]`.

use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    if !dir.is_dir() {
        anyhow::bail!("{} is not a folder", dir.display());
    }
    let (connectors, problems) = runtime::check::check(dir);
    for problem in &problems {
        eprintln!("{problem}");
    }
    if connectors == 0 && problems.is_empty() {
        eprintln!(
            "{}: no connector found (expected folders with events/ or spec.yml)",
            dir.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    if problems.is_empty() {
        eprintln!("ok: {connectors} connector(s), no problems");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{} problem(s) in {}", problems.len(), dir.display());
        Ok(ExitCode::FAILURE)
    }
}
