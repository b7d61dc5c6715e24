//! The scanner reads Helm chart templates (tests/fixtures/helm-chart): actions blanked, so a
//! literal the template writes, or a port it takes from the chart's values, is compared; any
//! other value an action computes never is.

mod common;
use common::{copy_dir, maestroc};

use std::path::Path;

fn scan() -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/helm-chart"),
        dir.path(),
    );
    assert!(maestroc(dir.path(), &["build"]).status.success());
    let o = maestroc(dir.path(), &["check", "--scan", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    report["findings"].as_array().unwrap().clone()
}

#[test]
fn a_charts_literal_ports_and_values_are_compared_and_computed_values_are_not() {
    let found = scan();
    let at = |f: &serde_json::Value| {
        format!(
            "{} {} {}:{}",
            f["code"].as_str().unwrap(),
            f["severity"].as_str().unwrap(),
            f["file"].as_str().unwrap_or(""),
            f["line"]
        )
    };
    let got: Vec<String> = found.iter().map(at).collect();
    // The main Deployment's computed name is the chart's `<release>-<chart>`: `shop-cart`. Its
    // literal containerPort 8081 contradicts the spec's 8080, an error at that line (the
    // if/else above it sets LOG_LEVEL twice once blanked; the first branch is read).
    assert!(
        got.contains(&"MC206 error deploy/cart/templates/deployment.yaml:26".to_string()),
        "{got:#?}"
    );
    // The Service's port is `{{ .Values.service.port }}`: the chart's values.yaml says 9090,
    // the spec 8080 — an error shown where the number is written, in values.yaml. Its literal
    // targetPort agrees. The worker's computed name is not the chart's main object: no evidence.
    let from_values = found
        .iter()
        .find(|f| f["file"] == "deploy/cart/values.yaml")
        .unwrap_or_else(|| panic!("{got:#?}"));
    assert_eq!(at(from_values), "MC206 error deploy/cart/values.yaml:6");
    let message = from_values["message"].as_str().unwrap();
    assert!(
        message.contains("`service.port`") && message.contains("templates/service.yaml"),
        "{message}"
    );
    assert!(
        !got.iter()
            .any(|g| g.contains("service.yaml") || g.contains("worker.yaml")),
        "{got:#?}"
    );
    // A sidecar inside `{{ if .Values.proxy.enabled }}` renders only when enabled: its
    // undeclared port is a warning, not an error.
    assert!(
        got.contains(&"MC206 warning deploy/cart/templates/deployment.yaml:34".to_string()),
        "{got:#?}"
    );
    assert_eq!(
        got.iter()
            .filter(|g| g.starts_with("MC206 error deploy/cart"))
            .count(),
        2,
        "{got:#?}"
    );
}

/// A kustomization beside a manifest that lists it renames its objects: `cart` with
/// `namePrefix: shop-` is the spec's `shop-cart`, and its containerPort 8082 contradicts 8080.
#[test]
fn a_kustomizations_name_prefix_names_the_service() {
    let found = scan();
    let hits: Vec<String> = found
        .iter()
        .filter(|f| f["file"] == "deploy/kustomize/cart.yaml")
        .map(|f| format!("{} {} {}", f["code"], f["severity"], f["line"]))
        .collect();
    assert_eq!(hits, ["\"MC206\" \"error\" 13"], "{found:#?}");
}

/// A copy of tests/fixtures/helm-rendered, built, and a scan of it with `edit` applied.
fn rendered_scan(edit: Option<(&str, &str, &str)>, path: Option<&str>) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/helm-rendered"),
        d,
    );
    assert!(maestroc(d, &["build"]).status.success());
    if let Some((file, from, to)) = edit {
        let text = std::fs::read_to_string(d.join(file)).unwrap();
        assert!(text.contains(from), "{file}: {from}");
        std::fs::write(d.join(file), text.replacen(from, to, 1)).unwrap();
    }
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_maestroc"));
    cmd.args(["check", "--scan", "--format", "json"])
        .current_dir(d);
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    common::report_findings(&cmd.output().unwrap())
        .iter()
        .filter(|f| f["code"] == "MC206")
        .map(|f| {
            format!(
                "{} {}:{} {}",
                f["severity"].as_str().unwrap(),
                f["file"].as_str().unwrap_or(""),
                f["line"],
                f["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// With helm on PATH (scripts/setup-tools installs it), a chart is judged by what it renders
/// as maestroc.toml's `[[scan.chart]]` says it is installed: objects whose names a `range`
/// computes are compared, and each finding is shown where its number is written.
#[test]
fn a_rendered_charts_objects_are_compared_where_their_numbers_are_written() {
    assert_eq!(rendered_scan(None, None), Vec::<String>::new());
    // A literal in the range: both rendered Deployments contradict the spec at that line.
    let literal = rendered_scan(
        Some((
            "charts/temporal/templates/server-deployment.yaml",
            "containerPort: 9090",
            "containerPort: 9091",
        )),
        None,
    );
    assert_eq!(literal.len(), 2, "{literal:#?}");
    assert!(
        literal.iter().all(|f| f.starts_with(
            "error charts/temporal/templates/server-deployment.yaml:24 Deployment `temporal-"
        )),
        "{literal:#?}"
    );
    // A number from the chart's values: shown at its key in values.yaml.
    let from_values = rendered_scan(
        Some(("charts/temporal/values.yaml", "port: 8080", "port: 8081")),
        None,
    );
    assert_eq!(from_values.len(), 1, "{from_values:#?}");
    assert!(
        from_values[0].starts_with(
            "error charts/temporal/values.yaml:7 Service `temporal-web` has port: 8081"
        ) && from_values[0].contains("`web.port`"),
        "{from_values:#?}"
    );
}

/// A number the template computes (`index $.Values.server $name` in a `range`) is traced to
/// the values key it comes from by rendering again with each candidate key changed: the
/// chart's `values.yaml`, or the configured values file that overrides it. A key that only
/// holds the same number (history's 7234 beside frontend's) is not the source.
#[test]
fn a_computed_number_is_shown_at_the_values_key_it_comes_from() {
    let chart_default = rendered_scan(
        Some(("charts/temporal/values.yaml", "port: 7233", "port: 7234")),
        None,
    );
    assert_eq!(chart_default.len(), 1, "{chart_default:#?}");
    assert!(
        chart_default[0].starts_with("error charts/temporal/values.yaml:3 Deployment `temporal-frontend` has containerPort: 7234")
            && chart_default[0].contains("`server.frontend.port`"),
        "{chart_default:#?}"
    );
    let configured = rendered_scan(
        Some((
            "charts/temporal/values-prod.yaml",
            "  replicas: 2\n",
            "  replicas: 2\nserver:\n  history:\n    port: 7235\n",
        )),
        None,
    );
    assert_eq!(configured.len(), 1, "{configured:#?}");
    assert!(
        configured[0].starts_with("error charts/temporal/values-prod.yaml:5 Deployment `temporal-history` has containerPort: 7235")
            && configured[0].contains("`server.history.port`"),
        "{configured:#?}"
    );
}

/// Without helm the templates are read as written: names a `range` computes are no evidence,
/// so the same drift is not reported (the README says so).
#[test]
fn without_helm_a_computed_name_is_no_evidence() {
    let no_helm = tempfile::tempdir().unwrap();
    let found = rendered_scan(
        Some((
            "charts/temporal/templates/server-deployment.yaml",
            "containerPort: 9090",
            "containerPort: 9091",
        )),
        Some(no_helm.path().to_str().unwrap()),
    );
    assert_eq!(found, Vec::<String>::new());
}
