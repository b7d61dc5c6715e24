//! Adopt in place: the shop-shaped fixture's build contains, field by field, the objects of
//! the demo's own hand-written manifests (tests/fixtures/shop/expected.yaml), so `kubectl
//! apply` of maestroc's output can replace them without touching an immutable selector. Its
//! output also passes kubernetes-validate and the chart renders the same objects (tests/helm.rs,
//! tests/k8s_validate.rs).

mod adopt;

use adopt::{contains, docs, resolve_refs};
use serde_json::Value;

#[test]
fn the_shop_build_contains_the_demos_own_objects() {
    let (compiled, findings) =
        maestroc::resolve::compile(include_str!("fixtures/shop/platform.kdl"));
    let compiled = compiled.unwrap_or_else(|| panic!("{findings:#?}"));
    assert!(
        findings.is_empty(),
        "the shop spec has findings: {findings:#?}"
    );
    let files = maestroc::emit::emit(&compiled).unwrap();
    let mut objects: Vec<Value> = files
        .iter()
        .filter(|(p, _)| p.starts_with("k8s/base/"))
        .flat_map(|(_, t)| docs(t))
        .collect();
    let ports = objects
        .iter()
        .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == "service-ports")
        .and_then(|o| o["data"].as_object().cloned())
        .expect("service-ports");
    for o in &mut objects {
        resolve_refs(o, &ports);
    }
    let expected = docs(include_str!("fixtures/shop/expected.yaml"));
    assert!(expected.len() >= 8);
    for want in &expected {
        let (kind, name) = (&want["kind"], &want["metadata"]["name"]);
        let got = objects
            .iter()
            .find(|o| &o["kind"] == kind && &o["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no {kind} {name} in the build"));
        if let Err(e) = contains(got, want, &format!("{kind}/{name}")) {
            panic!(
                "{e}\n\nbuilt:\n{}",
                serde_json::to_string_pretty(got).unwrap()
            );
        }
    }
}

/// The matcher itself: a changed selector, a renamed container or a wrong address is caught.
#[test]
fn a_drifted_object_is_not_contained() {
    let got: Value = serde_json::json!({"spec": {"selector": {"matchLabels": {"app": "cart", "x": "y"}},
        "containers": [{"name": "server", "env": [{"name": "A", "value": "cart:7070"}]}]}});
    assert!(
        contains(
            &got,
            &serde_json::json!({"spec": {"selector": {"matchLabels": {"app": "cart"}}}}),
            ""
        )
        .is_ok()
    );
    assert!(
        contains(
            &got,
            &serde_json::json!({"spec": {"selector": {"matchLabels": {"app": "cartservice"}}}}),
            ""
        )
        .is_err()
    );
    assert!(
        contains(
            &got,
            &serde_json::json!({"spec": {"containers": [{"name": "main"}]}}),
            ""
        )
        .is_err()
    );
    assert!(contains(&got, &serde_json::json!({"spec": {"containers": [{"env": [{"name": "A", "value": "cart:7071"}]}]}}), "").is_err());
}
