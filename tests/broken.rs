//! The broken-input corpus (tests/fixtures/broken/): syntax errors at every nesting level,
//! wrong types, unknown references, cycles of length 1..n, huge numbers, empty strings, a BOM,
//! CRLF, non-UTF-8, deep nesting, duplicates of everything. Each runs through the built binary
//! and its exit code and diagnostics are pinned; none may panic, hang or write anything.

mod common;

use std::path::Path;

use common::maestroc;

#[test]
fn every_broken_spec_gets_coded_diagnostics_and_an_exit_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "kdl"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 60, "the corpus shrank: {}", paths.len());
    for path in paths {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let work = tempfile::tempdir().unwrap();
        std::fs::copy(&path, work.path().join("platform.kdl")).unwrap();
        // Hygiene warnings (no resources, no probe) would bury what each file is about.
        std::fs::write(
            work.path().join("maestroc.toml"),
            "[rules]\nMC4 = \"off\"\n",
        )
        .unwrap();
        let o = maestroc(work.path(), &["build"]);
        let code = o.status.code().unwrap_or(-1);
        let stderr = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(!stderr.contains("panicked"), "{name} panicked:\n{stderr}");
        assert!(code == 0 || code == 2, "{name}: exit {code}\n{stderr}");
        if code == 2 {
            // An error writes nothing, and says what is wrong with a rule code.
            assert!(!work.path().join("output").exists(), "{name} wrote output");
            assert!(
                stderr.contains("MC0")
                    || stderr.contains("MC1")
                    || stderr.contains("MC2")
                    || stderr.contains("MC3")
                    || stderr.contains("MC4"),
                "{name}: no code\n{stderr}"
            );
        }
        insta::assert_snapshot!(format!("broken-{name}"), format!("exit {code}\n{stderr}"));
    }
}

/// Exact positions (line, column, length) of the primary span, for a sample of the corpus.
#[test]
fn spans_point_at_the_offending_bytes() {
    let cases = [
        ("huge-port", "MC102", 4, 15, 38),
        ("zero-port", "MC102", 4, 15, 1),
        ("unknown-dependency", "MC007", 9, 16, 4),
        ("unknown-placeholder", "MC007", 10, 22, 10),
        ("type-expose-bad-cidr", "MC004", 5, 17, 23),
        ("duplicate-mount-paths", "MC006", 5, 14, 7),
        ("crlf-line-ends", "MC102", 8, 15, 5),
        ("bom-prefix", "MC000", 0, 0, 0),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken");
    for (name, code, line, column, len) in cases {
        let text = std::fs::read_to_string(dir.join(format!("{name}.kdl"))).unwrap();
        let (_, findings) = maestroc::resolve::compile(&text);
        if code == "MC000" {
            // A BOM is not an error: the spec compiles clean.
            assert!(!findings.has_errors(), "{name}: {findings:#?}");
            continue;
        }
        let f = findings
            .iter()
            .find(|f| f.rule.code == code)
            .unwrap_or_else(|| panic!("{name}: no {code} in {findings:#?}"));
        let span = f.primary_span().unwrap();
        let source = maestroc::report::SourceFile::new(name, text.as_str());
        assert_eq!(
            (source.line_col(span.offset()), span.len()),
            ((line, column), len),
            "{name}: {}",
            &text[span.offset()..span.offset() + span.len()]
        );
    }
}

/// A 20 MB spec (about 90,000 services) parses and reports without running away; the
/// diagnostics for its one mistake near the end point at the right line. About 100 s in a
/// debug build, so CI runs it in release (`.ci/run`: `cargo test --release -- --ignored`).
#[test]
#[ignore = "slow in debug builds; CI runs it with --release"]
fn a_twenty_megabyte_spec_is_handled() {
    let mut text = String::from("platform \"big\" { namespace \"big\" }\n");
    let mut i = 0;
    while text.len() < 20 * 1024 * 1024 {
        text.push_str(&format!(
            "service \"s{i}\" {{\n    image \"registry.local/big/s:1.0.{i}\"\n    port http {}\n    health http=\"/\" port=http\n    description \"{}\"\n}}\n",
            1024 + i % 60000,
            "padding ".repeat(20)
        ));
        i += 1;
    }
    text.push_str("service \"last\" {\n    image \"x:1.0\"\n    port http 70000\n}\n");
    let (_, findings) = maestroc::resolve::compile(&text);
    let f = findings
        .iter()
        .find(|f| f.rule.code == "MC102")
        .expect("MC102");
    let source = maestroc::report::SourceFile::new("big.kdl", text.as_str());
    let (line, _) = source.line_col(f.primary_span().unwrap().offset());
    assert_eq!(line, text.lines().count() - 1);
}

/// The broken `maestroc.toml` corpus (tests/fixtures/broken-config/): unknown tables, codes and
/// levels, rules that cannot be configured, wrong types, bad globs, TOML syntax errors,
/// duplicate keys, non-UTF-8, a BOM with CRLF, and valid files beside them. `check` of a clean
/// spec with each: exit code and diagnostics pinned; never a panic.
#[test]
fn every_broken_config_gets_a_coded_diagnostic_and_an_exit_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken-config");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 15, "the corpus shrank: {}", paths.len());
    let spec = "platform \"p\" { namespace \"p\" }\n\
                defaults { resources cpu=\"100m\" memory=\"64Mi\" }\n\
                service \"web\" {\n    image \"registry.local/web:1.0.0\"\n    port http 8080\n    health http=\"/\" port=http\n}\n";
    for path in paths {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let work = tempfile::tempdir().unwrap();
        std::fs::write(work.path().join("platform.kdl"), spec).unwrap();
        std::fs::copy(&path, work.path().join("maestroc.toml")).unwrap();
        let o = maestroc(work.path(), &["check"]);
        let code = o.status.code().unwrap_or(-1);
        let stderr = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(!stderr.contains("panicked"), "{name} panicked:\n{stderr}");
        if code == 2 {
            assert!(
                stderr.contains("MC092") || stderr.contains("MC090"),
                "{name}: no code\n{stderr}"
            );
        } else {
            // A config that loads: the check ran (no output was built, so MC205).
            assert!(stderr.contains("MC205"), "{name}: exit {code}\n{stderr}");
        }
        insta::assert_snapshot!(
            format!("broken-config-{name}"),
            format!("exit {code}\n{stderr}")
        );
    }
}
