//! Adopt in place, second demo: the banking fixture's build (tests/fixtures/bank-adopt/, with
//! the files it names: a `patch file=` and an `extra`) contains, field by field, the demo's own
//! objects as hand-written in tests/fixtures/bank-adopt/expected.yaml — its `app:` selectors and
//! container names, envFrom of the team's ConfigMap, JDBC URLs on service-ports addresses, the
//! JWT key pair as files, an optional secret, scratch limits, probe headers and a liveness path
//! of its own. Built by the binary, as a user would.

mod adopt;
mod common;

use std::path::Path;

use adopt::{assert_build_contains, docs};
use common::{copy_dir, maestroc};
use serde_json::Value;

fn built() -> (tempfile::TempDir, Vec<Value>) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bank-adopt");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture, dir.path());
    let o = maestroc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = maestroc(dir.path(), &["check"]);
    assert!(
        o.status.success() && String::from_utf8_lossy(&o.stderr).contains("0 errors, 0 warnings"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut objects = Vec::new();
    for entry in std::fs::read_dir(dir.path().join("output/k8s/base")).unwrap() {
        objects.extend(docs(
            &std::fs::read_to_string(entry.unwrap().path()).unwrap(),
        ));
    }
    (dir, objects)
}

#[test]
fn the_bank_build_contains_the_demos_own_objects() {
    let (_dir, objects) = built();
    let expected = docs(include_str!("fixtures/bank-adopt/expected.yaml"));
    assert!(expected.len() >= 6);
    assert_build_contains(objects, &expected);
}

/// The secrets the pods read only through files or an optional reference are emitted too, in
/// the pods' namespace.
#[test]
fn secrets_read_as_files_or_optionally_are_emitted() {
    let (_dir, objects) = built();
    for name in ["jwt-key", "oauth", "ledger-db"] {
        assert!(
            objects.iter().any(|o| o["metadata"]["name"] == name
                && (o["kind"] == "ExternalSecret" || o["kind"] == "Secret")),
            "{name}"
        );
    }
}

/// A misspelt field in a `patch file=` or an `extra` is refused with the spec's span, and
/// nothing is written.
#[test]
fn a_misspelt_field_in_a_named_file_is_refused() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bank-adopt");
    for (file, from, to, says) in [
        (
            "environment-config.yaml",
            "\ndata:",
            "\ndta:",
            "ConfigMap `environment-config` is invalid at `/dta`",
        ),
        (
            "patches/balancereader.yaml",
            "livenessProbe:",
            "livenesProbe:",
            "has no field `spec.template.spec.containers.0.livenesProbe`",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixture, dir.path());
        let path = dir.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap().replace(from, to);
        std::fs::write(&path, text).unwrap();
        let o = maestroc(dir.path(), &["build"]);
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert_eq!(o.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains(says), "{file}: {err}");
        assert!(
            err.contains("platform.kdl:"),
            "{file}: no span in the spec: {err}"
        );
        assert!(
            !dir.path().join("output").exists(),
            "{file}: something was written"
        );
    }
}
