//! One bad spec per rule under tests/fixtures/spec/: each must report its own code, and the
//! whole rendered report is pinned as a snapshot (no colour, fixed width).

use std::path::Path;

use maestroc::report::{self, SourceFile};
use maestroc::resolve::compile;

fn render(path: &Path) -> (Vec<&'static str>, String, bool) {
    let text = std::fs::read_to_string(path).expect("fixture readable");
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let source = SourceFile::new(name, text);
    let (compiled, findings) = compile(&source.text);
    let findings = findings.into_sorted();
    let codes = findings.iter().map(|f| f.code()).collect();
    (
        codes,
        report::human(&findings, &source, false),
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
    assert!(paths.len() >= 15, "fixtures missing: {paths:?}");
    for path in paths {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let code = &stem[..5];
        let (codes, rendered, compiled) = render(&path);
        assert!(
            codes.contains(&code),
            "{stem}: expected {code}, got {codes:?}\n{rendered}"
        );
        assert!(!compiled, "{stem}: an erroneous spec must not compile");
        // The rule's name appears in the rendered code, so the snapshot shows it too.
        let rule = maestroc::rules::find(code).unwrap();
        assert_eq!(stem[6..], *rule.name, "fixture name must be CODE-rule-name");
        insta::assert_snapshot!(stem, rendered);
    }
}

#[test]
fn bundled_platform_is_clean() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("platform.kdl");
    let (codes, rendered, compiled) = render(&path);
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
