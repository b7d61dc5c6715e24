//! Helpers shared by the integration tests that run the built binary.

pub mod netpol;
pub mod pss;

use std::path::Path;
use std::process::{Command, Output};

/// Runs the built `maestroc` in `dir`, without colour.
#[allow(dead_code)] // not every test crate runs the binary
pub fn maestroc(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_maestroc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// Copies a fixture tree into a scratch directory (not every test crate uses it).
#[allow(dead_code)]
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Validates every one of `docs` against `schema` (a path under the crate, e.g.
/// `schemas/port-registry.v1.schema.json`) with Python's jsonschema, Draft 2020-12. Returns
/// the process output, so a test can assert that a valid set passes and a broken one fails.
#[allow(dead_code)]
pub fn validate_with_schema(schema: &str, docs: &[&serde_json::Value]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("docs.json");
    std::fs::write(&path, serde_json::to_string(docs).unwrap()).unwrap();
    Command::new("python3")
        .args([
            "-c",
            "import json,sys,jsonschema\ns=json.load(open(sys.argv[1]))\nfor d in json.load(open(sys.argv[2])): jsonschema.validate(d, s, cls=jsonschema.Draft202012Validator)",
        ])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(schema))
        .arg(&path)
        .output()
        .expect("python3 with jsonschema: run the tests with `bash scripts/test`")
}

/// (code, severity, file, line, column) of a finding of `check --scan --format json`.
#[allow(dead_code)]
pub type Found = (String, String, String, u64, u64);

/// The findings of a `--format json` report on stdout.
#[allow(dead_code)]
pub fn report_findings(o: &Output) -> Vec<serde_json::Value> {
    let report: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    report["findings"].as_array().cloned().unwrap_or_default()
}

/// Builds the repository in `dir`, then runs `check --scan --format json`: the exit code and
/// every finding.
#[allow(dead_code)]
pub fn scan_findings(dir: &Path) -> (i32, Vec<Found>) {
    assert!(maestroc(dir, &["build"]).status.success());
    let o = maestroc(dir, &["check", "--scan", "--format", "json"]);
    let list = report_findings(&o)
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    (o.status.code().unwrap_or(-1), list)
}

/// A planted drift of a scanner corpus (`tests/corpus/*-planted.json`, shared with
/// `scripts/scan-eval`): one edit, and the finding it must give.
#[allow(dead_code)]
#[derive(serde::Deserialize)]
pub struct Plant {
    pub file: String,
    pub from: String,
    pub to: String,
    pub code: String,
    pub line: u64,
    pub column: u64,
    /// Where the finding is, when the edit is to the spec.
    pub found_in: Option<String>,
}

/// Every file under `dir`, recursively, as a path string.
#[allow(dead_code)]
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p.to_string_lossy().to_string());
        }
    }
    out
}

/// Applies `p` to a fresh copy of `fixture` and asserts that the scan exits 1 with exactly the
/// plant's error (at `found_in` when the edit is to the spec).
#[allow(dead_code)]
pub fn assert_plant_found(fixture: &Path, p: &Plant) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(fixture, dir.path());
    let path = dir.path().join(&p.file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(&p.from), "{} lacks {:?}", p.file, p.from);
    std::fs::write(&path, text.replacen(&p.from, &p.to, 1)).unwrap();
    let (exit, list) = scan_findings(dir.path());
    let errors: Vec<_> = list
        .iter()
        .filter(|f| f.1 == "error")
        .map(|f| (f.0.as_str(), f.2.as_str(), f.3, f.4))
        .collect();
    let file = p.found_in.as_deref().unwrap_or(&p.file);
    assert_eq!(exit, 1, "{} → {:?}: {list:?}", p.file, p.to);
    assert_eq!(
        errors,
        vec![(p.code.as_str(), file, p.line, p.column)],
        "{} → {:?}",
        p.file,
        p.to
    );
}
