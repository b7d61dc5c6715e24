//! `import` on the shapes real platforms have (tests/fixtures/import-real, written here): the
//! spec it writes builds, and `build(import(M))` contains every field of every object of M,
//! compared as data after Kubernetes' defaulting by ecosystem/lossless.py — an implementation
//! of the comparison independent of import's own residual stage. Credentials found in the
//! input become secret keys; their values are only in the git-ignored values file.

mod common;
use common::maestroc;

use std::path::Path;
use std::process::Command;

fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import-real")
}

/// Imports the fixture into `dir` and builds it; the build must succeed.
fn import_and_build(dir: &Path) {
    import_and_build_from(&fixture(), dir);
}

/// Imports `input` into `dir` and builds it; the build must succeed.
fn import_and_build_from(input: &Path, dir: &Path) {
    let spec = dir.join("platform.kdl");
    let o = maestroc(
        dir,
        &[
            "import",
            input.to_str().unwrap(),
            "--spec",
            spec.to_str().unwrap(),
        ],
    );
    assert!(
        o.status.code().is_some_and(|c| c < 2),
        "import: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let b = maestroc(dir, &["build"]);
    assert!(
        b.status.success(),
        "build: {}",
        String::from_utf8_lossy(&b.stderr)
    );
}

/// ecosystem/lossless.py's verdict on `output` rebuilding the objects of `input`.
fn lossless(output: &Path, input: &Path) -> serde_json::Value {
    let o = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("ecosystem/lossless.py"))
        .arg(output)
        .arg(input)
        .output()
        .expect("python3 (scripts/setup-tools provides one with PyYAML)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn the_imported_spec_builds_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    import_and_build(dir.path());
    let r = lossless(&dir.path().join("output"), &fixture());
    assert_eq!(r["objects"], 7, "{r}");
    assert_eq!(r["missing"], serde_json::json!([]), "{r}");
    assert_eq!(
        (r["lost"].as_u64(), r["changed"].as_u64()),
        (Some(0), Some(0)),
        "{r}"
    );
    // The one credential is a Secret reference now, counted apart.
    assert_eq!(r["secret_values"], 1, "{r}");
}

#[test]
fn credentials_are_secret_keys_and_their_values_stay_out_of_the_spec() {
    let dir = tempfile::tempdir().unwrap();
    import_and_build(dir.path());
    let spec = std::fs::read_to_string(dir.path().join("platform.kdl")).unwrap();
    assert!(
        spec.contains(r#"env "REDIS_PASSWORD" secret="cart-env" key="REDIS_PASSWORD""#),
        "{spec}"
    );
    let mut written = spec.clone();
    for f in std::fs::read_dir(dir.path().join("imported")).unwrap() {
        written.push_str(&std::fs::read_to_string(f.unwrap().path()).unwrap());
    }
    for out in common::files_under(&dir.path().join("output")) {
        written.push_str(&std::fs::read_to_string(out).unwrap());
    }
    assert!(
        !written.contains("s3cr3t-Redis-pw"),
        "a credential reached the spec or output"
    );
    let values = std::fs::read_to_string(dir.path().join("imported.secrets")).unwrap();
    assert!(
        values.contains("cart-env.REDIS_PASSWORD=s3cr3t-Redis-pw"),
        "{values}"
    );
    let ignore = std::fs::read_to_string(dir.path().join(".gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "imported.secrets"), "{ignore}");
}

#[test]
fn a_limit_alone_is_also_the_request() {
    // The cart container says only `limits.memory: 20Mi`: maestroc's fallback request
    // (128Mi) would be above it, an object the API server refuses.
    let dir = tempfile::tempdir().unwrap();
    import_and_build(dir.path());
    let cart = common::files_under(&dir.path().join("output/k8s"))
        .into_iter()
        .find(|p| p.ends_with("-cart.yaml"))
        .unwrap();
    let text = std::fs::read_to_string(cart).unwrap();
    let docs: Vec<serde_json::Value> = serde_saphyr::from_str_multiple(&text).unwrap();
    let d = docs.iter().find(|d| d["kind"] == "Deployment").unwrap();
    let r = &d["spec"]["template"]["spec"]["containers"][0]["resources"];
    assert_eq!(r["limits"]["memory"], "20Mi", "{r}");
    assert_eq!(r["requests"]["memory"], "20Mi", "{r}");
}

/// Two Deployments that select `app: store` alone, told apart by `role` in their pods, and
/// Services that narrow to one role each: the rebuilt Services keep their narrower selectors
/// (a patch may add the pods' own labels to a Service's selector), so no write goes to a
/// replica; the workloads keep their own immutable selectors.
#[test]
fn services_narrower_than_their_workloads_keep_their_selectors() {
    let dir = tempfile::tempdir().unwrap();
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import-selectors");
    import_and_build_from(&input, dir.path());
    let r = lossless(&dir.path().join("output"), &input);
    assert_eq!(
        (r["lost"].as_u64(), r["changed"].as_u64()),
        (Some(0), Some(0)),
        "{r}"
    );
    assert_eq!(r["missing"], serde_json::json!([]), "{r}");
    let env_dir = std::fs::read_dir(dir.path().join("output/k8s"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let leader = std::fs::read_to_string(
        std::fs::read_dir(&env_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with("-store-leader.yaml"))
            .unwrap(),
    )
    .unwrap();
    let docs: Vec<serde_json::Value> = serde_saphyr::from_str_multiple(&leader).unwrap();
    let svc = docs.iter().find(|d| d["kind"] == "Service").unwrap();
    assert_eq!(svc["spec"]["selector"]["role"], "leader", "{svc}");
}

/// The same patch adding a label the pods do not carry is refused: the Service would select
/// nothing, or another workload's pods.
#[test]
fn a_service_selector_patch_may_not_reach_beyond_its_pods() {
    let spec = "platform \"p\" {\n    namespace \"p\"\n}\nservice \"a\" {\n    image \"a:1\"\n    port http 8080\n    label \"role\" \"leader\"\n    patch \"Service\" {\n        spec {\n            selector {\n                role \"replica\"\n            }\n        }\n    }\n}\n";
    let (_, findings) = maestroc::resolve::compile(spec);
    assert!(findings.iter().any(|f| f.code() == "MC014"), "{findings:?}");
    let ok = spec.replace("role \"replica\"", "role \"leader\"");
    let (compiled, findings) = maestroc::resolve::compile(&ok);
    assert!(compiled.is_some(), "{findings:?}");
}

/// A workload's own ServiceAccount with labels and an image pull secret: maestroc builds an
/// account under the same name, and import carries the rest as a `patch "ServiceAccount"`.
#[test]
fn the_workloads_own_service_account_keeps_what_it_says() {
    let dir = tempfile::tempdir().unwrap();
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import-accounts");
    import_and_build_from(&input, dir.path());
    let spec = std::fs::read_to_string(dir.path().join("platform.kdl")).unwrap();
    assert!(spec.contains("patch \"ServiceAccount\""), "{spec}");
    let r = lossless(&dir.path().join("output"), &input);
    assert_eq!(
        (r["lost"].as_u64(), r["changed"].as_u64()),
        (Some(0), Some(0)),
        "{r}"
    );
}

/// A ServiceAccount patch needs an account of the service's own to patch.
#[test]
fn a_service_account_patch_needs_the_services_own_account() {
    let spec = "platform \"p\" {\n    namespace \"p\"\n}\nservice \"a\" {\n    image \"a:1\"\n    port http 8080\n    patch \"ServiceAccount\" {\n        imagePullSecrets {\n            - {\n                name \"regcred\"\n            }\n        }\n    }\n}\n";
    let (compiled, findings) = maestroc::resolve::compile(spec);
    assert!(compiled.is_some(), "{findings:?}");
    let files = maestroc::emit::emit(&compiled.unwrap()).unwrap();
    let file = files
        .iter()
        .find(|(k, _)| k.ends_with("-a.yaml"))
        .unwrap()
        .1;
    assert!(
        file.contains("imagePullSecrets:\n- name: regcred"),
        "{file}"
    );
    let existing = spec.replace(
        "    port http 8080\n",
        "    port http 8080\n    service-account \"shared\"\n",
    );
    let (_, findings) = maestroc::resolve::compile(&existing);
    assert!(findings.iter().any(|f| f.code() == "MC014"), "{findings:?}");
}
