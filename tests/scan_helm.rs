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
