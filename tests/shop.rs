//! Adopt in place: the shop-shaped fixture's build contains, field by field, the objects of
//! the demo's own hand-written manifests (tests/fixtures/shop/expected.yaml), so `kubectl
//! apply` of maestroc's output can replace them without touching an immutable selector. Its
//! output also passes kubernetes-validate and the chart renders the same objects (tests/helm.rs,
//! tests/k8s_validate.rs).

use serde_json::Value;

fn docs(text: &str) -> Vec<Value> {
    text.split("\n---\n")
        .map(|d| d.trim())
        .filter(|d| !d.is_empty() && d.lines().any(|l| !l.starts_with('#') && !l.is_empty()))
        .map(|d| serde_saphyr::from_str::<Value>(d).unwrap_or_else(|e| panic!("{e}: {d}")))
        .collect()
}

/// Every field of `want` is in `got` with the same value; a list element of `want` matches
/// some element of `got`.
fn contains(got: &Value, want: &Value, path: &str) -> Result<(), String> {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (k, wv) in w {
                let gv = g.get(k).ok_or_else(|| format!("{path}.{k}: missing"))?;
                contains(gv, wv, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(g), Value::Array(w)) => {
            for (i, wv) in w.iter().enumerate() {
                if !g.iter().any(|gv| contains(gv, wv, path).is_ok()) {
                    return Err(format!("{path}[{i}]: no element contains {wv}"));
                }
            }
            Ok(())
        }
        (g, w) if g == w => Ok(()),
        // Kubernetes quantities and numbers written as strings compare as text.
        (g, w) if g.to_string().trim_matches('"') == w.to_string().trim_matches('"') => Ok(()),
        (g, w) => Err(format!("{path}: {g} ≠ {w}")),
    }
}

/// Replaces each `configMapKeyRef` to service-ports with the value it points at.
fn resolve_refs(v: &mut Value, ports: &serde_json::Map<String, Value>) {
    match v {
        Value::Object(m) => {
            let key = m
                .get("valueFrom")
                .and_then(|f| f.get("configMapKeyRef"))
                .filter(|r| r["name"] == "service-ports")
                .and_then(|r| r["key"].as_str())
                .map(str::to_string);
            if let Some(key) = key {
                m.remove("valueFrom");
                m.insert(
                    "value".into(),
                    ports.get(&key).cloned().unwrap_or(Value::Null),
                );
            }
            for child in m.values_mut() {
                resolve_refs(child, ports);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| resolve_refs(c, ports)),
        _ => {}
    }
}

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
