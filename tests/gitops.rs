//! The Argo CD Config Management Plugin (gitops/argocd/): its `generate` command, run as Argo
//! CD runs it (`sh -c` in the repository, the Application's plugin env as `ARGOCD_ENV_*`),
//! prints what `maestroc render` prints; discovery finds the spec; the example Application
//! names the plugin as Argo CD registers it and an environment the bundled spec declares.

mod common;

use std::path::Path;

use serde_json::Value;

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

fn generate(dir: &Path, env: Option<&str>) -> std::process::Output {
    let plugin = yaml("gitops/argocd/plugin.yaml");
    let command: Vec<&str> = plugin["spec"]["generate"]["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let script = plugin["spec"]["generate"]["args"][0].as_str().unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_maestroc")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = std::process::Command::new(command[0]);
    cmd.args(&command[1..])
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("ARGOCD_ENV_MAESTROC_ENV");
    if let Some(e) = env {
        cmd.env("ARGOCD_ENV_MAESTROC_ENV", e);
    }
    cmd.output().unwrap()
}

#[test]
fn the_plugin_generates_what_render_prints() {
    let plugin = yaml("gitops/argocd/plugin.yaml");
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    let discover = plugin["spec"]["discover"]["fileName"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("platform.kdl"),
        dir.path().join("platform.kdl"),
    )
    .unwrap();
    assert!(
        dir.path().join(discover).exists(),
        "discovery misses {discover}"
    );
    for env in ["minikube", "production"] {
        let out = generate(dir.path(), Some(env));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let render = common::maestroc(dir.path(), &["render", "--env", env]);
        assert!(!out.stdout.is_empty());
        assert_eq!(out.stdout, render.stdout, "{env}");
    }
    // Two environments and none chosen: Argo CD shows the error, nothing is applied.
    let out = generate(dir.path(), None);
    assert_eq!(out.status.code(), Some(2));
    // A spec with one environment needs no choice.
    let single = tempfile::tempdir().unwrap();
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/helm-chart"),
        single.path(),
    );
    let out = generate(single.path(), None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("kind: Deployment"));
}

#[test]
fn the_example_application_uses_the_plugin_and_a_declared_environment() {
    let plugin = yaml("gitops/argocd/plugin.yaml");
    let app = yaml("gitops/argocd/application.yaml");
    // Argo CD registers a versioned plugin as `<name>-<version>`.
    let registered = format!(
        "{}-{}",
        plugin["metadata"]["name"].as_str().unwrap(),
        plugin["spec"]["version"].as_str().unwrap()
    );
    assert_eq!(app["spec"]["source"]["plugin"]["name"], registered.as_str());
    let env = app["spec"]["source"]["plugin"]["env"][0]["value"]
        .as_str()
        .unwrap();
    assert!(
        include_str!("../platform.kdl").contains(&format!("environment \"{env}\"")),
        "{env}"
    );
    // The sidecar patch mounts the plugin file where the cmp-server reads it.
    let patch = yaml("gitops/argocd/repo-server-patch.yaml");
    let mounts = &patch["spec"]["template"]["spec"]["containers"][0]["volumeMounts"];
    assert!(
        mounts
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["mountPath"] == "/home/argocd/cmp-server/config/plugin.yaml")
    );
}
