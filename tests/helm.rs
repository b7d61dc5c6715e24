//! The Helm chart, judged by the real helm (installed by scripts/setup-tools): `helm lint
//! --strict` passes with every values file, and `helm template` with `values-<env>.yaml`
//! yields exactly the objects of `k8s/<env>/`, compared as data by tests/tools/same_objects.py.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn run(cmd: &str, args: &[&str], dir: &Path) -> Output {
    Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} not found ({e}): run the tests with `bash scripts/test`"))
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr)
}

/// Builds `spec` in a temp dir; returns it with the chart's directory name.
fn build(spec: &str) -> (tempfile::TempDir, String) {
    build_with(spec, &[])
}

/// As [`build`], with the files the spec names (`extra`, `patch file=`) beside it.
fn build_with(spec: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("platform.kdl"), spec).unwrap();
    for (rel, text) in files {
        let path = dir.path().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    let o = run(env!("CARGO_BIN_EXE_maestroc"), &["build"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let chart = fs::read_dir(dir.path().join("output/helm"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name()
        .to_string_lossy()
        .to_string();
    (dir, chart)
}

fn equivalent(spec: &str, envs: &[&str]) {
    equivalent_with(spec, &[], envs);
}

fn equivalent_with(spec: &str, files: &[(&str, &str)], envs: &[&str]) {
    let (dir, chart) = build_with(spec, files);
    let d = dir.path();
    let chart_dir = format!("output/helm/{chart}");
    let compare = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools/same_objects.py");
    for env in envs {
        let mut values = vec![];
        let vf = format!("{chart_dir}/values-{env}.yaml");
        if *env != "base" {
            values = vec!["-f", vf.as_str()];
        }
        let mut lint = vec!["lint", "--strict", chart_dir.as_str()];
        lint.extend(&values);
        let o = run("helm", &lint, d);
        assert!(
            o.status.success(),
            "{chart}/{env}: helm lint failed:\n{}",
            text(&o)
        );
        let mut template = vec!["template", "maestroc-test", chart_dir.as_str()];
        template.extend(&values);
        let o = run("helm", &template, d);
        assert!(
            o.status.success(),
            "{chart}/{env}: helm template failed:\n{}",
            text(&o)
        );
        let rendered = d.join(format!("helm-{env}.yaml"));
        fs::write(&rendered, &o.stdout).unwrap();
        let o = run(
            "python3",
            &[
                compare,
                &format!("output/k8s/{env}"),
                rendered.to_str().unwrap(),
            ],
            d,
        );
        assert!(
            o.status.success(),
            "{chart}/{env}: not equivalent:\n{}",
            text(&o)
        );
        assert!(text(&o).contains(" 0 differences"), "{}", text(&o));
    }
}

#[test]
fn bundled_chart_renders_the_plain_yaml() {
    equivalent(include_str!("../platform.kdl"), &["minikube", "production"]);
}

#[test]
fn fleet_chart_renders_the_plain_yaml() {
    equivalent(
        include_str!("fixtures/fleet/platform.kdl"),
        &["dev", "prod"],
    );
}

#[test]
fn forecasting_chart_renders_the_plain_yaml() {
    equivalent(
        include_str!("fixtures/forecasting/platform.kdl"),
        &["dev", "prod"],
    );
}

#[test]
fn operations_chart_renders_the_plain_yaml() {
    equivalent(
        include_str!("fixtures/operations/platform.kdl"),
        &["dev", "prod", "edge"],
    );
}

#[test]
fn adopted_bank_chart_renders_the_plain_yaml() {
    equivalent_with(
        include_str!("fixtures/bank-adopt/platform.kdl"),
        &[
            (
                "patches/balancereader.yaml",
                include_str!("fixtures/bank-adopt/patches/balancereader.yaml"),
            ),
            (
                "environment-config.yaml",
                include_str!("fixtures/bank-adopt/environment-config.yaml"),
            ),
        ],
        &["base"],
    );
}

#[test]
fn shop_chart_renders_the_plain_yaml() {
    equivalent(include_str!("fixtures/shop/platform.kdl"), &["base"]);
}

#[test]
fn widened_vocabulary_chart_renders_the_plain_yaml() {
    equivalent(include_str!("fixtures/clean/near-misses.kdl"), &["dev"]);
}

/// A secret's own labels (one overriding maestroc's) and annotations, on the value-less
/// Secret and on the ExternalSecret alike; the secret reached only through a patch.
#[test]
fn labelled_secrets_chart_renders_the_plain_yaml() {
    let spec = r#"platform "p" { namespace "p" }
secret "web-tls" {
    key "tls.crt"
    label "helm.sh/chart" "web-1.0.0"
    label "app.kubernetes.io/managed-by" "Helm"
    annotation "helm.sh/resource-policy" "keep"
}
secret "web-db" {
    key "password"
    store "vault" path="web/db"
    label "tier" "data"
    annotation "team" "payments"
}
service "web" {
    image "registry.example.com/web:1.0"
    port "http" 8080
    resources cpu="100m" memory="64Mi"
    health tcp="http"
    env "DB_PASSWORD" secret="web-db" key="password"
    patch "Deployment" {
        spec { template { spec {
            volumes { - name="certs" { projected { sources { - { secret name="web-tls" } } } } }
        } } }
    }
}
"#;
    equivalent(spec, &["base"]);
}

/// Patches of the objects beside the workload — a StatefulSet's headless Service by `name=`,
/// the NetworkPolicy (with its reason), the Ingress — reach the chart as the patched objects.
#[test]
fn patched_companions_chart_renders_the_plain_yaml() {
    let spec = r#"platform "p" { namespace "p" }
service "db" {
    image "registry.example.com/db:1.0"
    workload "statefulset"
    port "pg" 5432
    resources cpu="100m" memory="64Mi"
    health tcp="pg"
    patch "NetworkPolicy" reason="the chart's own policy" {
        metadata { labels { "helm.sh/chart" "db-1.0.0" } }
        spec { ingress { - { ports { - port=5432 } } } }
    }
    patch "Service" name="db-headless" {
        metadata { labels { "helm.sh/chart" "db-1.0.0" } }
    }
}
service "web" {
    image "registry.example.com/web:1.0"
    port "http" 8080
    resources cpu="100m" memory="64Mi"
    health http="/" port="http"
    depends-on "db"
    ingress port="http" host="web.example.com"
    patch "Ingress" {
        metadata { annotations { "nginx.ingress.kubernetes.io/proxy-body-size" "8m" } }
    }
}
environment "prod" {
    exposure "ingress" class="nginx"
}
"#;
    equivalent(spec, &["prod"]);
}

/// Without environments, values.yaml alone renders k8s/base; YAML-1.1 words stay strings.
#[test]
fn base_chart_renders_the_plain_yaml() {
    let spec = r#"platform "trap" { namespace "trap" }
defaults {
    value A "on"
    value B "NO"
    value C "y"
    value D "012"
}
service "api" {
    image "registry.local/trap/api:1.0.0"
    port http 8080 node-port=30080
    env FLAG "yes"
    health http="/" port=http
    run-as-user 0
}
"#;
    equivalent(spec, &["base"]);
}

#[test]
fn the_schema_rejects_mistyped_values() {
    let (dir, chart) = build(include_str!("fixtures/forecasting/platform.kdl"));
    let chart_dir = format!("output/helm/{chart}");
    for (set, field) in [
        ("services.inference.replicas=three", "replicas"),
        ("services.gateway.workload=daemon", "workload"),
        ("services.haproxy.ports[0].nodePort=8080", "nodePort"),
        ("global.imagePullPolicy=Sometimes", "imagePullPolicy"),
    ] {
        let lint = ["lint", "--strict", chart_dir.as_str(), "--set", set];
        let template = ["template", "t", chart_dir.as_str(), "--set", set];
        for args in [&lint, &template] {
            let o = run("helm", args, dir.path());
            assert!(!o.status.success(), "helm {} accepted {set}", args[0]);
            assert!(text(&o).contains(field), "{set}: {}", text(&o));
        }
    }
    // And a correct override is accepted.
    let o = run(
        "helm",
        &[
            "template",
            "t",
            &chart_dir,
            "--set",
            "services.inference.replicas=5",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("replicas: 5"));
}

#[test]
fn chart_files_are_pinned() {
    let (compiled, findings) =
        maestroc::resolve::compile(include_str!("fixtures/forecasting/platform.kdl"));
    let compiled = compiled.unwrap_or_else(|| panic!("{findings:#?}"));
    let files = maestroc::emit::emit(&compiled).unwrap();
    for name in [
        "Chart.yaml",
        "values.yaml",
        "values-dev.yaml",
        "values-prod.yaml",
    ] {
        insta::assert_snapshot!(
            format!("forecasting-{name}"),
            &files[&format!("helm/forecasting/{name}")]
        );
    }
}
