//! `maestroc render`: an environment's objects as one stream, byte for byte what `build` writes
//! into output/k8s/<env>/ concatenated in apply order, and every document an object.

mod common;
use common::{copy_dir, maestroc};

use std::path::Path;

#[test]
fn render_is_the_built_environment_concatenated_in_apply_order() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("platform.kdl"),
        dir.path().join("platform.kdl"),
    )
    .unwrap();
    assert!(maestroc(dir.path(), &["build"]).status.success());
    for env in ["minikube", "production"] {
        let o = maestroc(dir.path(), &["render", "--env", env]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let k8s = dir.path().join("output/k8s").join(env);
        let mut names: Vec<_> = std::fs::read_dir(&k8s)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        let mut built = Vec::new();
        for n in &names {
            built.extend(std::fs::read(k8s.join(n)).unwrap());
        }
        assert_eq!(o.stdout, built, "{env}");
        // One stream: every document is an object, and the namespace comes before the rest.
        let docs: Vec<serde_json::Value> =
            serde_saphyr::from_str_multiple(std::str::from_utf8(&o.stdout).unwrap()).unwrap();
        assert!(
            docs.len() > names.len() / 2,
            "{env}: {} documents",
            docs.len()
        );
        assert!(
            docs.iter()
                .all(|d| d["kind"].is_string() && d["apiVersion"].is_string())
        );
        assert_eq!(docs[0]["kind"], "Namespace", "{env}");
    }
    // Several environments and no --env: which one is a choice, not a guess.
    let o = maestroc(dir.path(), &["render"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("minikube, production"));
    let o = maestroc(dir.path(), &["render", "--env", "minikub"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean `minikube`"));
}

#[test]
fn a_spec_without_environments_renders_its_base_without_env() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/helm-chart"),
        dir.path(),
    );
    let o = maestroc(dir.path(), &["render"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("name: shop-cart"), "{text}");
    // Nothing written: render only prints.
    assert!(!dir.path().join("output").exists());
}
