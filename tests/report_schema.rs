//! `check --format json` output validates against schemas/check-report.schema.json, judged by
//! the Python `jsonschema` validator (installed by scripts/setup-tools).

use std::process::Command;

use maestroc::report::{self, SourceFile};
use maestroc::resolve::compile;

fn validate(instance: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    std::fs::write(&path, instance).unwrap();
    let schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/check-report.schema.json"
    );
    Command::new("python3")
        .args([
            "-c",
            "import json,sys,jsonschema; s=json.load(open(sys.argv[1])); \
             jsonschema.Draft202012Validator.check_schema(s); \
             jsonschema.validate(json.load(open(sys.argv[2])), s, cls=jsonschema.Draft202012Validator)",
            schema,
        ])
        .arg(&path)
        .output()
        .expect("python3 with jsonschema: run the tests with `bash scripts/test`")
}

#[test]
fn json_report_matches_its_schema() {
    let text = include_str!("fixtures/spec/MC007-unknown-reference.kdl");
    let source = SourceFile::new("platform.kdl", text);
    let (_, findings) = compile(text);
    let mut findings = findings.into_sorted();
    assert!(findings.len() > 3);
    // A finding about another file (no spec labels) must fit the schema too.
    findings.push(
        maestroc::diagnostic::Finding::new("MC205", "generated file is missing").in_file(
            "output/k8s/base/10-api.yaml",
            1,
            1,
        ),
    );
    let out = validate(&report::json(&findings, &source));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The validator really judges: a report with a wrong field type is rejected.
#[test]
fn the_schema_rejects_a_malformed_report() {
    let out = validate(r#"{"findings": [{"code": "MC1"}], "summary": {"errors": "one"}}"#);
    assert!(!out.status.success());
}
