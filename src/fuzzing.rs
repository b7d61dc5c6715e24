//! The invariants the fuzz targets (`fuzz/`) check, as plain functions: the targets call them
//! under libFuzzer on nightly, `tests/properties.rs` under proptest, and
//! `tests/fuzz_corpus.rs` replays the committed corpus
//! (`tests/fuzz-corpus/<target>/`: crashes found so far and a minimised share of what fuzzing
//! reached) through them on stable in every CI run. Each panics when its invariant breaks.

use std::path::Path;
use std::sync::OnceLock;

/// A target's check: panics when the invariant breaks on `data`.
pub type Check = fn(&[u8]);

/// Every target: its name (the directory of its corpus) and its check.
pub const TARGETS: &[(&str, Check)] = &[
    ("front_end", front_end),
    ("fmt_round_trip", fmt_round_trip),
    ("config", config),
    ("scanner", scanner),
    ("import", import),
    ("kdl_reader", kdl_reader),
    ("scan_tree", scan_tree),
];

/// Bytes → parse → resolve → graph → emit: findings point inside the text, and a spec that
/// compiles emits.
pub fn front_end(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (compiled, findings) = crate::resolve::compile(text);
    for f in findings.iter() {
        for l in &f.labels {
            assert!(
                l.span.offset() + l.span.len() <= text.len(),
                "{} span {:?} outside a {}-byte text",
                f.rule.code,
                l.span,
                text.len()
            );
        }
    }
    if let Some(c) = compiled {
        // A compiled spec emits, or the checks over its final objects (Pod Security, the API
        // server's rules) refuse it with findings at spans inside the text — never another
        // error.
        if let Err(e) = crate::emit::emit(&c) {
            assert!(
                !e.findings.is_empty(),
                "a compiled spec failed to emit: {e}"
            );
            for l in e.findings.iter().flat_map(|f| &f.labels) {
                assert!(l.span.offset() + l.span.len() <= text.len());
            }
        }
    }
}

/// A spec that compiles is formatted into one that builds the same, and `fmt` is idempotent.
pub fn fmt_round_trip(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (Some(before), _) = crate::resolve::compile(text) else {
        let _ = crate::fmt::format(text);
        return;
    };
    let formatted = crate::fmt::format(text).expect("a spec that compiles formats");
    let (after, findings) = crate::resolve::compile(&formatted);
    let after = after.unwrap_or_else(|| panic!("formatting broke the spec: {findings:?}"));
    let message = |e: crate::emit::YamlError| -> Vec<String> {
        e.findings.into_iter().map(|f| f.message).collect()
    };
    assert_eq!(
        crate::emit::emit(&before).map_err(message),
        crate::emit::emit(&after).map_err(message),
        "formatting changed what the spec builds"
    );
    let again = crate::fmt::format(&formatted).expect("formats again");
    assert_eq!(formatted, again, "fmt is not idempotent");
}

/// `maestroc.toml`: a config or coded findings pointing inside the text.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(findings) = crate::config::Config::parse(text) {
        assert!(!findings.is_empty(), "an error without a finding");
        for f in &findings {
            for l in &f.labels {
                assert!(l.span.offset() + l.span.len() <= text.len());
            }
        }
    }
}

/// The file names the scanner target reads its input as (the first byte picks one).
const SCANNED_AS: [&str; 10] = [
    "services/orchestrator/server.py",
    "services/orchestrator/main.go",
    "services/orchestrator/Dockerfile",
    "deploy/k8s/10-orchestrator.yaml",
    "services/orchestrator/src/main/resources/application.properties",
    "services/orchestrator/.env",
    "docker-compose.yml",
    "services/orchestrator/src/index.ts",
    "services/orchestrator/src/App.java",
    "services/orchestrator/Program.cs",
];

/// The scanner's per-file work (every extractor, the manifest reader, suppressions) on any
/// text as each kind of file: no panic, every finding inside the file.
pub fn scanner(data: &[u8]) {
    static FLEET: OnceLock<crate::model::Platform> = OnceLock::new();
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let platform = FLEET.get_or_init(|| {
        let (c, f) = crate::resolve::compile(include_str!("../tests/fixtures/fleet/platform.kdl"));
        c.unwrap_or_else(|| panic!("{f:?}")).platform
    });
    let rel = Path::new(SCANNED_AS[usize::from(pick) % SCANNED_AS.len()]);
    let lines = text.lines().count().max(1);
    for f in crate::scan::scan_text(platform, Path::new("."), rel, text.to_string()) {
        if let Some(l) = &f.location {
            assert!(
                l.line <= lines + 1,
                "{} at line {} of {lines}",
                f.rule.code,
                l.line
            );
        }
    }
}

/// The whole scan (walk, every extractor, the cross-file checks) over a generated tree: the
/// input, split at 0xFF bytes, gives up to 16 files; each piece's first byte picks its kind
/// (`SCANNED_AS`) and how deep it sits. No panic; every finding names a file of the tree at a
/// line inside it.
pub fn scan_tree(data: &[u8]) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static FLEET: OnceLock<crate::model::Platform> = OnceLock::new();
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let platform = FLEET.get_or_init(|| {
        let (c, f) = crate::resolve::compile(include_str!("../tests/fixtures/fleet/platform.kdl"));
        c.unwrap_or_else(|| panic!("{f:?}")).platform
    });
    let root = std::env::temp_dir().join(format!(
        "maestroc-fuzz-tree-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    ));
    let mut lines = std::collections::BTreeMap::new();
    for piece in data.split(|b| *b == 0xFF).take(16) {
        let Some((&pick, rest)) = piece.split_first() else {
            continue;
        };
        let depth = usize::from(pick >> 4) % 4;
        let rel = Path::new(&"deep/".repeat(depth))
            .join(SCANNED_AS[usize::from(pick & 0x0F) % SCANNED_AS.len()]);
        let path = root.join(&rel);
        if let Some(dir) = path.parent()
            && std::fs::create_dir_all(dir).is_ok()
            && std::fs::write(&path, rest).is_ok()
        {
            let n = String::from_utf8_lossy(rest).lines().count().max(1);
            lines.insert(rel.to_string_lossy().into_owned(), n);
        }
    }
    let (findings, _) =
        crate::scan::scan(platform, &root, std::slice::from_ref(&root), &[], &[], &[]);
    let _ = std::fs::remove_dir_all(&root);
    for f in findings {
        if let Some(l) = &f.location {
            let file = &l.file;
            let n = lines.get(file.as_str()).unwrap_or_else(|| {
                panic!("{} names `{file}`, not a file of the tree", f.rule.code)
            });
            assert!(
                l.line <= n + 1,
                "{} at {file}:{} of {n}",
                f.rule.code,
                l.line
            );
        }
    }
}

/// `import` of any YAML writes a spec that compiles — with the files it writes beside it —
/// and builds, or refuses the input with a coded finding.
pub fn import(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(imported) = crate::import::import(&[("in.yaml".to_string(), text.to_string())]) {
        let files = &imported.files;
        let loader = |path: &str| -> Result<String, String> {
            files
                .iter()
                .find(|(name, _)| name == path)
                .map(|(_, text)| text.clone())
                .ok_or_else(|| format!("`{path}` was not written by import"))
        };
        let config = crate::config::Config::default();
        let (compiled, findings) = crate::resolve::compile_from(&imported.spec, &config, &loader);
        let errors: Vec<String> = findings
            .iter()
            .filter(|f| f.severity == crate::diagnostic::Severity::Error)
            .map(|f| format!("{}: {}", f.rule.code, f.message))
            .collect();
        let Some(compiled) = compiled else {
            // Only input import itself reported as refused may leave a spec that does not
            // build: every error the compiler finds is among import's own errors.
            let reported: Vec<&str> = imported
                .findings
                .iter()
                .filter(|f| f.severity == crate::diagnostic::Severity::Error)
                .map(|f| f.rule.code)
                .collect();
            let unreported: Vec<&String> = errors
                .iter()
                .filter(|e| !reported.iter().any(|c| e.starts_with(c)))
                .collect();
            assert!(
                unreported.is_empty(),
                "import wrote a spec that does not compile and did not say why: {unreported:#?}\n{}",
                imported.spec
            );
            return;
        };
        if let Err(e) = crate::emit::emit(&compiled) {
            panic!(
                "an imported spec compiled but did not build: {e}\n{}",
                imported.spec
            );
        }
    }
}

/// The fast KDL reader reads whatever it accepts exactly as the `kdl` crate does.
pub fn kdl_reader(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(d) = crate::spec::syntax::disagreement(text) {
        panic!("{d}");
    }
}
