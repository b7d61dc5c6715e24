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
        // What Argo CD's cmp-server sets beside the Application's plugin env.
        .env("ARGOCD_APP_NAME", "ml-platform")
        .env("ARGOCD_APP_NAMESPACE", "mlops")
        .env("ARGOCD_APP_REVISION", "0123456789abcdef")
        .env("ARGOCD_APP_SOURCE_PATH", ".")
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
        // Argo CD parses stdout as manifests: nothing but YAML documents on it.
        let docs: Vec<Value> =
            serde_saphyr::from_str_multiple(&String::from_utf8_lossy(&out.stdout)).unwrap();
        assert!(docs.iter().all(|d| d["kind"].is_string()), "{env}");
    }
    // A broken spec: a non-zero exit, nothing on stdout, the finding on stderr.
    let broken = tempfile::tempdir().unwrap();
    std::fs::write(
        broken.path().join("platform.kdl"),
        "platform \"p\" {\n    namespace \"p\"\n",
    )
    .unwrap();
    let out = generate(broken.path(), Some("base"));
    assert_ne!(out.status.code(), Some(0));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("MC001") && err.contains("platform.kdl"),
        "{err}"
    );
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

/// The bundled spec with `gitops` nodes added to its platform block and `cluster`s to its
/// environments, built into `dir`; the generated file's documents.
fn gitops_build(dir: &Path, nodes: &str, clusters: [&str; 2]) -> std::process::Output {
    let mut spec =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("platform.kdl"))
            .unwrap();
    spec = spec.replacen(
        "    namespace \"mlops\"\n",
        &format!("    namespace \"mlops\"\n{nodes}"),
        1,
    );
    for (env, cluster) in ["minikube", "production"].iter().zip(clusters) {
        if !cluster.is_empty() {
            spec = spec.replacen(
                &format!("environment \"{env}\" {{\n"),
                &format!("environment \"{env}\" {{\n    cluster \"{cluster}\"\n"),
                1,
            );
        }
    }
    std::fs::write(dir.join("platform.kdl"), spec).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_maestroc"))
        .args(["build", "--spec"])
        .arg(dir.join("platform.kdl"))
        .output()
        .unwrap()
}

fn docs(path: &Path) -> Vec<Value> {
    serde_saphyr::from_str_multiple(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The ApplicationSet a successful `gitops_build` wrote, validated against its schema.
fn valid_appset(dir: &Path, build: &std::process::Output) -> Vec<Value> {
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let appset = docs(&dir.join("output/gitops/argocd/applicationset.yaml"));
    let o = common::validate_with_schema(
        "schemas/gitops/applicationset.v1alpha1.schema.json",
        &appset.iter().collect::<Vec<_>>(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    appset
}

#[test]
fn an_applicationset_per_platform_and_flux_kustomizations_per_environment_match_their_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let out = gitops_build(
        dir.path(),
        "    gitops \"argocd\" repo=\"https://github.com/acme/ml.git\" revision=\"main\" project=\"platform\" path=\"deploy\"\n    gitops \"flux\" repo=\"https://github.com/acme/ml.git\" path=\"deploy\"\n",
        ["dev", "prod"],
    );
    let appset = valid_appset(dir.path(), &out);
    let elements = appset[0]["spec"]["generators"][0]["list"]["elements"]
        .as_array()
        .unwrap();
    assert_eq!(elements.len(), 2);
    assert_eq!(elements[1]["env"], "production");
    assert_eq!(elements[1]["cluster"], "prod");
    assert_eq!(elements[1]["path"], "deploy/output/k8s/production");
    let t = &appset[0]["spec"]["template"]["spec"];
    assert_eq!(t["destination"]["name"], "{{.cluster}}");
    assert_eq!(t["project"], "platform");
    assert_eq!(t["source"]["targetRevision"], "main");
    // Each element's path is a directory `build` wrote for that environment.
    for e in elements {
        assert!(
            dir.path()
                .join(e["path"].as_str().unwrap().trim_start_matches("deploy/"))
                .is_dir()
        );
    }

    let flux = docs(&dir.path().join("output/gitops/flux/kustomizations.yaml"));
    let o = common::validate_with_schema(
        "schemas/gitops/flux.v1.schema.json",
        &flux.iter().collect::<Vec<_>>(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let kinds: Vec<&str> = flux.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["GitRepository", "Kustomization", "Kustomization"]);
    assert_eq!(flux[2]["spec"]["path"], "./deploy/output/k8s/production");
    assert_eq!(flux[2]["spec"]["kubeConfig"]["secretRef"]["name"], "prod");
}

#[test]
fn with_the_plugin_argo_cd_renders_the_spec_on_clusters_by_url() {
    let dir = tempfile::tempdir().unwrap();
    let out = gitops_build(
        dir.path(),
        "    gitops \"argocd\" repo=\"https://github.com/acme/ml.git\" plugin=#true\n",
        ["https://10.0.0.1:6443", ""],
    );
    let appset = valid_appset(dir.path(), &out);
    let t = &appset[0]["spec"]["template"]["spec"];
    assert_eq!(t["destination"]["server"], "{{.cluster}}");
    assert_eq!(t["source"]["path"], ".");
    assert_eq!(t["source"]["targetRevision"], "HEAD");
    // The plugin's name and env are the ones gitops/argocd/plugin.yaml registers and reads.
    let plugin = yaml("gitops/argocd/plugin.yaml");
    assert_eq!(
        t["source"]["plugin"]["name"],
        format!(
            "{}-{}",
            plugin["metadata"]["name"].as_str().unwrap(),
            plugin["spec"]["version"].as_str().unwrap()
        )
    );
    assert_eq!(t["source"]["plugin"]["env"][0]["name"], "MAESTROC_ENV");
    let elements = appset[0]["spec"]["generators"][0]["list"]["elements"]
        .as_array()
        .unwrap();
    assert_eq!(elements[0]["cluster"], "https://10.0.0.1:6443");
    assert_eq!(
        elements[1]["cluster"], "https://kubernetes.default.svc",
        "an environment without a cluster: where Argo CD runs"
    );
}

#[test]
fn the_schemas_can_fail_and_the_spec_refuses_what_they_would() {
    let broken = serde_json::json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet",
        "metadata": {"name": "x", "namespace": "argocd"},
        "spec": {"generators": [{"list": {"elements": [{"env": "a", "cluster": "b", "path": "c"}]}}],
                 "template": {"metadata": {"name": "x"}, "spec": {"project": "default", "source": {"repoURL": "r", "path": "p"}, "destination": {"server": "s", "name": "n"}}}}});
    let o = common::validate_with_schema(
        "schemas/gitops/applicationset.v1alpha1.schema.json",
        &[&broken],
    );
    assert!(
        !o.status.success(),
        "a destination with both server and name"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = gitops_build(
        dir.path(),
        "    gitops \"argocd\" repo=\"https://github.com/acme/ml.git\"\n",
        ["https://10.0.0.1:6443", "prod"],
    );
    assert_eq!(out.status.code(), Some(2), "the spec has errors");
    assert!(String::from_utf8_lossy(&out.stderr).contains("both by URL and by name"));
    let out = gitops_build(
        dir.path(),
        "    gitops \"flux\" repo=\"https://github.com/acme/ml.git\"\n",
        ["https://10.0.0.1:6443", ""],
    );
    assert_eq!(out.status.code(), Some(2), "the spec has errors");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot name a Secret"));
}
