//! `maestroc import`: existing manifests in, the platform.kdl that rebuilds them out.
//! - round trip: maestroc's own output of the shop platform imports into a spec that builds
//!   it again byte for byte, and the bundled platform's workloads and Services come back equal
//!   as data (environment-wide settings aside);
//! - drift in the input is reported with its file and line, exit 1;
//! - a Secret's values never reach the spec or anything printed.

mod common;
use common::maestroc;

use std::fs;
use std::path::Path;

fn build_into(spec: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("platform.kdl"), spec).unwrap();
    assert!(maestroc(dir.path(), &["build"]).status.success());
    dir
}

fn files(dir: &Path) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for e in fs::read_dir(dir).unwrap().flatten() {
        out.insert(
            e.file_name().to_string_lossy().to_string(),
            fs::read_to_string(e.path()).unwrap(),
        );
    }
    out
}

#[test]
fn the_shop_round_trips_byte_for_byte() {
    let original = build_into(include_str!("fixtures/shop/platform.kdl"));
    let re = tempfile::tempdir().unwrap();
    let o = maestroc(
        re.path(),
        &[
            "import",
            original.path().join("output/k8s/base").to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let spec = fs::read_to_string(re.path().join("platform.kdl")).unwrap();
    // The written spec is canonical, builds clean and gives the same objects.
    assert!(maestroc(re.path(), &["fmt", "--check"]).status.success());
    assert!(maestroc(re.path(), &["build"]).status.success(), "{spec}");
    let (a, b) = (
        files(&original.path().join("output/k8s/base")),
        files(&re.path().join("output/k8s/base")),
    );
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, text) in &a {
        assert!(text == &b[name], "{name} differs after the round trip");
    }
    let spec: String = spec
        .lines()
        .filter(|l| !l.trim_start().starts_with("// from "))
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("shop-imported-spec", spec);
}

#[test]
fn the_bundled_platform_comes_back_equal_apart_from_environment_settings() {
    let original = build_into(include_str!("../platform.kdl"));
    let re = tempfile::tempdir().unwrap();
    let o = maestroc(
        re.path(),
        &[
            "import",
            original
                .path()
                .join("output/k8s/minikube")
                .to_str()
                .unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(maestroc(re.path(), &["build"]).status.success());
    // imagePullPolicy and storageClassName belong to an `environment`, which import does not
    // recreate; everything else of every object is the same.
    let strip = |t: &str| -> String {
        t.lines()
            .filter(|l| !l.contains("imagePullPolicy:") && !l.contains("storageClassName:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let a = files(&original.path().join("output/k8s/minikube"));
    let b = files(&re.path().join("output/k8s/base"));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, text) in &a {
        assert_eq!(strip(text), strip(&b[name]), "{name}");
    }
}

#[test]
fn drift_in_the_input_is_reported_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import-drift");
    let o = maestroc(dir.path(), &["import", input.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    for (what, at) in [
        ("Service `orphan` selects no workload", "02-db.yaml:38"),
        (
            "Service `api` targets port 8081, which `api` does not declare",
            "01-app.yaml:33",
        ),
        (
            "sets DB_ADDR to db:5433, but `db` exposes [5432]",
            "01-app.yaml:1",
        ),
        (
            "NodePort 30080 is used by `api` and `orphan`",
            "02-db.yaml:38",
        ),
        (
            "`POSTGRES_PASSWORD` is set to the well-known default `password`",
            "02-db.yaml:24",
        ),
    ] {
        assert!(err.contains(what), "missing {what:?} in\n{err}");
        assert!(err.contains(at), "missing {at} in\n{err}");
    }
    // The spec is still written, with what could be said.
    let spec = fs::read_to_string(dir.path().join("platform.kdl")).unwrap();
    assert!(spec.contains("selector \"app\" \"api\""));
    assert!(spec.contains("container-name \"server\""));
    assert!(spec.contains("secret \"db-auth\""));
    assert!(spec.contains("key \"password\""));
    // A Secret's value is never copied, decoded or printed.
    for text in [&spec, &err, &String::from_utf8_lossy(&o.stdout).to_string()] {
        assert!(!text.contains("c3VwZXItc2VjcmV0LXZhbHVl"));
        assert!(!text.contains("super-secret-value"));
    }
    // And it refuses to overwrite without --force.
    let again = maestroc(dir.path(), &["import", input.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
}
