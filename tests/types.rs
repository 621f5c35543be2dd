//! The TypeScript declarations authors get (`connectors/connector-runtime.d.ts`, `globals.d.ts`)
//! type-check sample connector code with the real TypeScript compiler, and flag its mistakes (each
//! `@ts-expect-error` in tests/types/sample.ts must be an error). Installs the pinned compiler from
//! the npm registry on first run (`npm ci` in tests/types).

use std::path::Path;
use std::process::Command;

fn run(command: &mut Command) -> (bool, String) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e} (Node.js and npm are needed)"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn declarations_type_check_sample_connector_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/types");
    let tsc = dir.join("node_modules/typescript/bin/tsc");
    if !tsc.exists() {
        let (ok, text) = run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir));
        assert!(ok, "npm ci failed:\n{text}");
    }
    let (ok, text) = run(Command::new("node")
        .arg(&tsc)
        .args(["-p", "tsconfig.json"])
        .current_dir(&dir));
    assert!(ok, "tsc found errors:\n{text}");
    let (ok, text) = run(Command::new("node")
        .arg(&tsc)
        .args(["-p", "../../connectors/jsconfig.json"])
        .current_dir(&dir));
    assert!(ok, "connectors/jsconfig.json does not check:\n{text}");
}
