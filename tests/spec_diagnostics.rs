//! One bad spec per rule under tests/fixtures/spec/: each must report its own code, and the
//! whole rendered report is pinned as a snapshot (no colour, fixed width).

use std::path::Path;

use maestroc::report::{self, SourceFile};
use maestroc::resolve::compile;

/// The codes found, the rendered report of the findings of `only` (all when `None`), and
/// whether the spec compiled.
fn render(path: &Path, only: Option<&str>) -> (Vec<&'static str>, String, bool) {
    let text = std::fs::read_to_string(path).expect("fixture readable");
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let source = SourceFile::new(name, text);
    let (compiled, findings) = compile(&source.text);
    let findings = findings.into_sorted();
    let codes = findings.iter().map(|f| f.code()).collect();
    let shown: Vec<_> = findings
        .into_iter()
        .filter(|f| only.is_none_or(|c| f.code() == c))
        .collect();
    (
        codes,
        report::human(&shown, &source, false, true),
        compiled.is_some(),
    )
}

#[test]
fn every_spec_fixture_reports_its_rule() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "kdl"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 25, "fixtures missing: {paths:?}");
    for path in paths {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let code = &stem[..5];
        // Each fixture pins its own rule's findings, as ruff's per-rule snapshots do.
        let (codes, rendered, compiled) = render(&path, Some(code));
        assert!(
            codes.contains(&code),
            "{stem}: expected {code}, got {codes:?}\n{rendered}"
        );
        // The rule's name appears in the rendered code, so the snapshot shows it too.
        let rule = maestroc::rules::find(code).unwrap();
        if rule.severity == maestroc::diagnostic::Severity::Error {
            assert!(!compiled, "{stem}: an erroneous spec must not compile");
        } else {
            assert!(compiled, "{stem}: warnings alone must not block the build");
        }
        assert_eq!(stem[6..], *rule.name, "fixture name must be CODE-rule-name");
        insta::assert_snapshot!(stem, rendered);
    }
}

#[test]
fn bundled_platform_is_clean() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("platform.kdl");
    let (codes, rendered, compiled) = render(&path, None);
    assert!(codes.is_empty(), "{rendered}");
    assert!(compiled);
}

/// Spans are byte offsets into the source even after multi-byte characters.
#[test]
fn spans_point_at_the_exact_bytes() {
    let text = "// Übersicht: ünïcödé before the error\nplatform \"p\" { namespace \"p\" }\nservice \"api\" {\n    image \"api:1\"\n    depends-on ghost\n}\n";
    let (_, findings) = compile(text);
    let f = findings
        .iter()
        .find(|f| f.code() == "MC007")
        .expect("MC007");
    let span = f.primary_span().unwrap();
    assert_eq!(&text[span.offset()..span.offset() + span.len()], "ghost");
    let src = SourceFile::new("p.kdl", text);
    assert_eq!(src.line_col(span.offset()), (5, 16));
}

#[test]
fn a_chain_deeper_than_the_numbering_is_refused() {
    let mut text = String::from("platform \"deep\" { namespace \"deep\" }\n");
    for i in 0..=90 {
        text.push_str(&format!("service \"s{i}\" {{ image \"s:1\"\n"));
        if i < 90 {
            text.push_str(&format!("  depends-on s{}\n", i + 1));
        }
        text.push_str("}\n");
    }
    let (compiled, findings) = compile(&text);
    assert!(compiled.is_none());
    let deep: Vec<_> = findings.iter().filter(|f| f.code() == "MC011").collect();
    assert_eq!(deep.len(), 1, "only s0 is 90 levels deep");
    assert!(deep[0].message.contains("`s0` sits 90 levels deep"));
}

#[test]
fn a_cycle_is_reported_once_with_every_edge() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/spec/MC008-dependency-cycle.kdl");
    let text = std::fs::read_to_string(path).unwrap();
    let (_, findings) = compile(&text);
    let cycles: Vec<_> = findings.iter().filter(|f| f.code() == "MC008").collect();
    assert_eq!(cycles.len(), 1);
    assert_eq!(
        cycles[0].message,
        "dependency cycle: api → worker → queue → api"
    );
    assert_eq!(cycles[0].labels.len(), 3);
}

/// False alarms are bugs: two services in different pods may both listen on 8000.
#[test]
fn the_same_port_in_two_services_is_fine() {
    let text = "platform \"p\" { namespace \"p\" }\n\
        defaults { resources cpu=\"100m\" memory=\"128Mi\" }\n\
        service \"gateway\" { image \"gw:1.0.0\"; port http 8000; health http=\"/\" port=http }\n\
        service \"inference\" { image \"inf:1.0.0\"; port http 8000; health http=\"/\" port=http }\n";
    let (compiled, findings) = compile(text);
    assert!(findings.is_empty(), "{findings:#?}");
    assert!(compiled.is_some());
}

#[test]
fn the_agent_fleet_is_clean() {
    let (compiled, findings) = compile(include_str!("fixtures/fleet/platform.kdl"));
    assert!(findings.is_empty(), "{findings:#?}");
    assert!(compiled.is_some());
}

/// The JSON report of a multi-finding fixture, pinned.
#[test]
fn json_report_of_several_findings() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/spec/MC007-unknown-reference.kdl");
    let text = std::fs::read_to_string(path).unwrap();
    let source = SourceFile::new("platform.kdl", text);
    let (_, findings) = compile(&source.text);
    let json = report::json(&findings.into_sorted(), &source);
    insta::assert_snapshot!("json-report", json);
}

/// The "must not" side of every rule: near misses that a careless rule would flag.
#[test]
fn near_misses_are_clean() {
    let (compiled, findings) = compile(include_str!("fixtures/clean/near-misses.kdl"));
    let codes: Vec<&str> = findings.iter().map(|f| f.code()).collect();
    assert!(codes.is_empty(), "{codes:?}\n{findings:#?}");
    assert!(compiled.is_some());
}
