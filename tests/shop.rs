//! Adopt in place: the shop-shaped fixture's build contains, field by field, the objects of
//! the demo's own hand-written manifests (tests/fixtures/shop/expected.yaml), so `kubectl
//! apply` of maestroc's output can replace them without touching an immutable selector. Its
//! output also passes kubernetes-validate and the chart renders the same objects (tests/helm.rs,
//! tests/k8s_validate.rs).

mod adopt;

use adopt::{assert_build_contains, contains, docs};
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
    let objects: Vec<Value> = files
        .iter()
        .filter(|(p, _)| p.starts_with("k8s/base/"))
        .flat_map(|(_, t)| docs(t))
        .collect();
    let expected = docs(include_str!("fixtures/shop/expected.yaml"));
    assert!(expected.len() >= 8);
    assert_build_contains(objects, &expected);
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
