//! Comparing a build with a demo's own hand-written manifests as data: every field the
//! manifest gives must be in the built object, list elements matched by content, and
//! `service-ports` references counted as the values they point at.

use serde_json::Value;

pub fn docs(text: &str) -> Vec<Value> {
    text.split("\n---\n")
        .map(|d| d.trim())
        .filter(|d| !d.is_empty() && d.lines().any(|l| !l.starts_with('#') && !l.is_empty()))
        .map(|d| serde_saphyr::from_str::<Value>(d).unwrap_or_else(|e| panic!("{e}: {d}")))
        .collect()
}

/// Every field of `want` is in `got` with the same value; a list element of `want` matches
/// some element of `got`.
pub fn contains(got: &Value, want: &Value, path: &str) -> Result<(), String> {
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
pub fn resolve_refs(v: &mut Value, ports: &serde_json::Map<String, Value>) {
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
            // `$(KEY)` in a literal is expanded by the kubelet from an earlier variable.
            if let Some(Value::String(v)) = m.get_mut("value") {
                for (k, val) in ports {
                    if let Some(val) = val.as_str() {
                        *v = v.replace(&format!("$({k})"), val);
                    }
                }
            }
            for child in m.values_mut() {
                resolve_refs(child, ports);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| resolve_refs(c, ports)),
        _ => {}
    }
}

/// Every object of `expected` (a demo's hand-written manifests) is contained in the built
/// `objects`, matched by kind and name, after service-ports references are resolved.
pub fn assert_build_contains(mut objects: Vec<Value>, expected: &[Value]) {
    let ports = objects
        .iter()
        .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == "service-ports")
        .and_then(|o| o["data"].as_object().cloned())
        .expect("service-ports");
    for o in &mut objects {
        resolve_refs(o, &ports);
    }
    for want in expected {
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
