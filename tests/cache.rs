//! The build cache never hides drift: `check` trusts the recorded output only when every input
//! and every generated file is as recorded, and otherwise builds and compares as before.
//! Which path `check` took is read from `MAESTROC_TIMINGS=1` (it names the cached one).

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{copy_dir, maestroc};

/// The bank demo (it reads `patch file=` and `extra` files), built once.
fn built() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bank-adopt"),
        dir.path(),
    );
    let out = maestroc(dir.path(), &["build"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn check(dir: &Path, extra: &[&str]) -> (Output, bool) {
    let out = Command::new(env!("CARGO_BIN_EXE_maestroc"))
        .arg("check")
        .args(extra)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("MAESTROC_TIMINGS", "1")
        .output()
        .unwrap();
    let cached = String::from_utf8_lossy(&out.stderr).contains("cached output verified");
    (out, cached)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_unchanged_output_is_verified_from_the_cache_which_git_ignores() {
    let dir = built();
    let (out, cached) = check(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(cached, "check did not use the cache: {}", stderr(&out));
    let ignore = std::fs::read_to_string(dir.path().join(".maestroc_cache/.gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "*"), "{ignore}");
    // A hand-written file in output/ is no reason to distrust it.
    std::fs::write(dir.path().join("output/k8s/NOTES.md"), "ours\n").unwrap();
    let (out, cached) = check(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(cached);
    // `--no-cache` always builds and compares.
    let (out, cached) = check(dir.path(), &["--no-cache"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!cached);
}

fn first_manifest(dir: &Path) -> std::path::PathBuf {
    let sorted = |d: &Path| {
        let mut v: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    };
    let env = sorted(&dir.join("output/k8s"))
        .into_iter()
        .find(|p| p.is_dir())
        .expect("an environment directory");
    sorted(&env).remove(0)
}

/// Each change below makes the output out of date; check must say so with MC205 (or, for a
/// changed input that builds the same, pass) — and never from the cache.
#[test]
fn every_kind_of_drift_defeats_the_cache() {
    type Change = fn(&Path);
    let changes: [(&str, Change, bool); 6] = [
        (
            "a generated file edited by hand",
            |d| {
                let f = first_manifest(d);
                let mut text = std::fs::read_to_string(&f).unwrap();
                text.push_str("# edited\n");
                std::fs::write(f, text).unwrap();
            },
            true,
        ),
        (
            "a generated file deleted",
            |d| std::fs::remove_file(first_manifest(d)).unwrap(),
            true,
        ),
        (
            "a generated file no build produces",
            |d| {
                let f = first_manifest(d);
                std::fs::copy(&f, f.with_file_name("99-copy.yaml")).unwrap();
            },
            true,
        ),
        (
            "the spec changed",
            |d| {
                let p = d.join("platform.kdl");
                let text = std::fs::read_to_string(&p).unwrap();
                let changed = text.replacen("ledger-db:v0.6.4", "ledger-db:v0.6.5", 1);
                assert_ne!(text, changed, "the fixture's image line moved");
                std::fs::write(p, changed).unwrap();
            },
            true,
        ),
        (
            "a file the spec reads changed",
            |d| {
                let p = d.join("environment-config.yaml");
                let text = std::fs::read_to_string(&p).unwrap();
                let changed = text.replace("883745000", "883745001");
                assert_ne!(text, changed, "the fixture's routing number moved");
                std::fs::write(p, changed).unwrap();
            },
            true,
        ),
        (
            "a comment added to the spec (same output)",
            |d| {
                let p = d.join("platform.kdl");
                let text = std::fs::read_to_string(&p).unwrap();
                std::fs::write(p, format!("// a note\n{text}")).unwrap();
            },
            false,
        ),
    ];
    for (what, change, drifts) in changes {
        let dir = built();
        change(dir.path());
        let (out, cached) = check(dir.path(), &[]);
        let err = stderr(&out);
        assert!(!cached, "{what}: check trusted the cache\n{err}");
        if drifts {
            assert_eq!(out.status.code(), Some(1), "{what}: {err}");
            assert!(err.contains("MC205"), "{what}: {err}");
        } else {
            assert_eq!(out.status.code(), Some(0), "{what}: {err}");
            // A clean full check records the new inputs: the next one is cached again.
            let (out, cached) = check(dir.path(), &[]);
            assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(&out));
            assert!(cached, "{what}: a clean check did not refresh the cache");
        }
    }
}

#[test]
fn a_build_of_one_environment_leaves_no_claim_about_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("platform.kdl"), dir.path().join("platform.kdl")).unwrap();
    let out = maestroc(dir.path(), &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(check(dir.path(), &[]).1, "the full build was not cached");
    let out = maestroc(dir.path(), &["build", "--env", "minikube"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (out, cached) = check(dir.path(), &[]);
    assert!(!cached, "{}", stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// `build` trusts the cache the same way: an unchanged output is left alone without emitting,
/// and a hand-edited generated file is rewritten as always.
#[test]
fn build_skips_only_what_is_provably_current() {
    let dir = built();
    let again = maestroc(dir.path(), &["build"]);
    let said = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        said.contains("(0 changed,") && said.contains(" 0 removed)"),
        "{said}"
    );
    let f = first_manifest(dir.path());
    let original = std::fs::read_to_string(&f).unwrap();
    std::fs::write(&f, format!("{original}# edited\n")).unwrap();
    let rebuilt = maestroc(dir.path(), &["build"]);
    let said = String::from_utf8_lossy(&rebuilt.stdout).into_owned();
    assert!(said.contains("(1 changed,"), "{said}");
    assert_eq!(std::fs::read_to_string(&f).unwrap(), original);
    let (out, cached) = check(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(cached);
}

/// A cache entry that is not what maestroc writes (truncated, edited, another format) is no
/// claim at all: `check` builds and compares.
#[test]
fn a_damaged_cache_entry_is_ignored() {
    let dir = built();
    let cache = dir.path().join(".maestroc_cache");
    let entries: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    for damage in ["", "{", "{\"inputs\": 5}", "null"] {
        std::fs::write(&entries[0], damage).unwrap();
        let (out, cached) = check(dir.path(), &[]);
        assert!(!cached, "{damage:?}: {}", stderr(&out));
        assert_eq!(out.status.code(), Some(0), "{damage:?}: {}", stderr(&out));
    }
}
