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
    if problems.is_empty() {
        eprintln!("ok: {connectors} connector(s), no problems");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{} problem(s) in {}", problems.len(), dir.display());
        Ok(ExitCode::FAILURE)
    }
}
