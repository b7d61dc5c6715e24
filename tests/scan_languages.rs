//! Every MC2xx message and help, per file language: one service's code reads a peer's address
//! with a wrong hardcoded port (and a hardcoded default) in Python, Go, TypeScript, Java, C#,
//! Rust, shell, a Dockerfile and Spring properties (tests/fixtures/languages/), and a Go read
//! under a feature flag the spec leaves off (MC203 as information). The report is
//! pinned, so each help can be read in the language of its file — and a help that drifts into
//! another language's idiom shows up in review.

mod common;

use std::path::Path;

#[test]
fn drift_help_speaks_the_language_of_each_file() {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/languages");
    std::fs::create_dir_all(dir.path().join("web")).unwrap();
    for rel in std::fs::read_dir(src.join("web")).unwrap().flatten() {
        std::fs::copy(rel.path(), dir.path().join("web").join(rel.file_name())).unwrap();
    }
    std::fs::copy(src.join("platform.kdl"), dir.path().join("platform.kdl")).unwrap();
    assert!(common::maestroc(dir.path(), &["build"]).status.success());
    let o = common::maestroc(dir.path(), &["check", "--scan", "--verbose"]);
    assert_eq!(o.status.code(), Some(1));
    let report = String::from_utf8_lossy(&o.stderr).to_string();
    // Each language's own idiom is in its finding's help.
    for (file, idiom) in [
        ("web/app.py", "os.environ["),
        ("web/main.go", "os.Getenv("),
        ("web/index.ts", "process.env."),
        ("web/Cart.java", "System.getenv("),
        ("web/Program.cs", "Environment.GetEnvironmentVariable("),
        ("web/main.rs", "std::env::var("),
        ("web/probe.sh", "${CART_"),
        ("web/Dockerfile", "EXPOSE 8080"),
    ] {
        let at = report
            .find(&format!("[{file}:"))
            .unwrap_or_else(|| panic!("no finding in {file}:\n{report}"));
        let section = &report[at..];
        let end = section.find("\nMC").unwrap_or(section.len());
        assert!(
            section[..end].contains(idiom),
            "{file}: help lacks `{idiom}`:\n{}",
            &section[..end]
        );
    }
    insta::assert_snapshot!("drift-per-language", report);
}
