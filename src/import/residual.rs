//! The residual: what the native spec import wrote does not rebuild of the input, as a patch.
//!
//! Import translates what the vocabulary says natively; this stage makes the result lossless
//! by construction. It compiles the native spec, emits its objects, compares each with the
//! input object of the same kind and name as data, and returns exactly the difference as a
//! `patch` body: every leaf of the input the built object lacks or says differently. Patches
//! merge as `emit::patch::merge` does — maps key by key, lists of named items item by item,
//! other lists replace — so the residual is shaped the same way: a named item that differs is
//! written with its name and its differing leaves; a one-of member the built object chose
//! differently (`valueFrom` for an input `value`, a `tcpSocket` probe for an input `httpGet`)
//! is removed with `null`; an unnamed list that differs is written whole.
//!
//! What a patch may not change (the object's name, namespace, selector) is left out and
//! reported by the caller. Leaves equal to what the API server fills in by default are no
//! difference (`protocol: TCP`, a probe's `periodSeconds: 10`).

use serde_json::{Map, Value};

/// Members of which an object has one: a built object that chose another than the input's
/// gets that one removed.
const ONE_OF: &[&[&str]] = &[
    &["value", "valueFrom"],
    &["httpGet", "tcpSocket", "exec", "grpc"],
    &[
        "emptyDir",
        "secret",
        "configMap",
        "persistentVolumeClaim",
        "hostPath",
        "projected",
        "downwardAPI",
        "nfs",
        "ephemeral",
        "csi",
    ],
];

/// Leaves the API server sets when an object leaves them out: writing them is no difference.
fn is_default(key: &str, v: &Value) -> bool {
    matches!(
        (key, v),
        ("protocol", Value::String(s)) if s == "TCP"
    ) || matches!(
        (key, v.as_i64()),
        ("timeoutSeconds", Some(1))
            | ("successThreshold", Some(1))
            | ("failureThreshold", Some(3))
            | ("initialDelaySeconds", Some(0))
            | ("revisionHistoryLimit", Some(10))
            | ("progressDeadlineSeconds", Some(600))
            | ("terminationGracePeriodSeconds", Some(30))
            | ("defaultMode", Some(420))
    ) || matches!(
        (key, v.as_str()),
        ("terminationMessagePath", Some("/dev/termination-log"))
            | ("terminationMessagePolicy", Some("File"))
            | ("dnsPolicy", Some("ClusterFirst"))
            | ("restartPolicy", Some("Always"))
            | ("schedulerName", Some("default-scheduler"))
            | ("scheme", Some("HTTP"))
            | ("sessionAffinity", Some("None"))
            | ("type", Some("ClusterIP"))
            | ("imagePullPolicy", Some("IfNotPresent"))
    ) || (key == "securityContext" && v.as_object().is_some_and(Map::is_empty))
}

/// Numeric fields the API server defaults when an object leaves them out.
const SERVER_DEFAULTS: &[(&str, i64)] = &[
    ("periodSeconds", 10),
    ("timeoutSeconds", 1),
    ("failureThreshold", 3),
    ("successThreshold", 1),
    ("initialDelaySeconds", 0),
    ("terminationGracePeriodSeconds", 30),
];

/// Fields a patch may not touch, at the object's top: identity and the pod selector.
const FIXED: &[(&str, &str)] = &[
    ("metadata", "name"),
    ("metadata", "namespace"),
    ("spec", "selector"),
];

/// The patch that makes `built` say everything `input` says, or None when it already does.
/// `skipped` collects the paths of differences a patch may not carry.
pub fn residual(input: &Value, built: &Value, skipped: &mut Vec<String>) -> Option<Value> {
    // Compared after Kubernetes' defaulting, both sides: a Job's unset `backoffLimit` is 6
    // where maestroc writes 3, a Service port's unset `targetPort` is its `port`.
    let (said, built_said) = (input, built);
    let (mut input, mut built) = (input.clone(), built.clone());
    crate::server_defaults::defaults(&mut input);
    crate::server_defaults::defaults(&mut built);
    let (Value::Object(i), Value::Object(b)) = (&input, &built) else {
        return None;
    };
    let mut out = Map::new();
    for (k, v) in i {
        if matches!(k.as_str(), "status" | "apiVersion" | "kind") {
            continue;
        }
        let bv = b.get(k).unwrap_or(&Value::Null);
        let Some(mut d) = diff(k, v, bv) else {
            continue;
        };
        drop_implicit(&mut d, &said[k], &built_said[k]);
        if let Value::Object(dm) = &mut d {
            // A Service's selector is mutable: a patch may narrow it to the pods' own labels
            // (emit/patch.rs checks that it only adds labels the pods carry).
            let narrowing =
                input["kind"] == "Service" && only_adds(dm.get("selector"), &bv["selector"]);
            for (top, field) in FIXED {
                let carried = *field == "selector" && narrowing;
                if k == top && !carried && dm.remove(*field).is_some() {
                    skipped.push(format!("{top}.{field}"));
                }
            }
            if k == "metadata" {
                // The API server's own bookkeeping is no intent.
                for f in [
                    "creationTimestamp",
                    "resourceVersion",
                    "uid",
                    "generation",
                    "managedFields",
                ] {
                    dm.remove(f);
                }
                if let Some(Value::Object(a)) = dm.get_mut("annotations") {
                    a.remove("kubectl.kubernetes.io/last-applied-configuration");
                    if a.is_empty() {
                        dm.remove("annotations");
                    }
                }
            }
            if dm.is_empty() {
                continue;
            }
        }
        out.insert(k.clone(), d);
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// Drops from a difference the defaults that neither the input nor the build writes: the
/// comparison filled them into both, the API server fills them in again (a probe's
/// `scheme: HTTP` under an input `httpGet` the build lacks). A default the build says
/// otherwise stays, written out (`backoffLimit: 6` where maestroc writes 3).
fn drop_implicit(d: &mut Value, input: &Value, built: &Value) {
    let says = |v: Option<&Value>| v.is_some_and(|v| !v.is_null());
    match d {
        Value::Object(m) => {
            m.retain(|k, v| v.is_null() || says(input.get(k)) || says(built.get(k)));
            for (k, v) in m.iter_mut() {
                drop_implicit(
                    v,
                    input.get(k).unwrap_or(&Value::Null),
                    built.get(k).unwrap_or(&Value::Null),
                );
            }
        }
        Value::Array(items) => {
            let Some(key) = crate::emit::patch::merge_key(items) else {
                return;
            };
            let find = |list: &Value, item: &Value| {
                list.as_array()
                    .and_then(|l| l.iter().find(|x| x[key] == item[key]))
                    .cloned()
                    .unwrap_or(Value::Null)
            };
            for item in items.iter_mut() {
                let (i, b) = (find(input, item), find(built, item));
                drop_implicit(item, &i, &b);
            }
        }
        _ => {}
    }
}

/// Whether `diff` (what a built map lacks) only adds keys the built map does not have.
fn only_adds(diff: Option<&Value>, built: &Value) -> bool {
    diff.and_then(Value::as_object).is_some_and(|d| {
        d.iter()
            .all(|(k, v)| built.get(k).is_none() && !v.is_null())
    })
}

/// What `built` lacks of `input` at key `key`, shaped as a patch; None when nothing.
fn diff(key: &str, input: &Value, built: &Value) -> Option<Value> {
    match (input, built) {
        (Value::Null, _) => None,
        (Value::Object(i), Value::Object(b)) => {
            let mut out = Map::new();
            for (k, v) in i {
                let bv = b.get(k).unwrap_or(&Value::Null);
                if bv.is_null() && is_default(k, v) {
                    continue;
                }
                if let Some(d) = diff(k, v, bv) {
                    out.insert(k.clone(), d);
                }
            }
            // A field the input leaves to the API server's default, which the build sets
            // otherwise (a liveness probe every 20 s where the input's runs every 10): the
            // default, written out, so adopting changes nothing that runs.
            for (k, default) in SERVER_DEFAULTS {
                if !i.contains_key(*k)
                    && b.get(*k).is_some_and(|v| v.as_i64() != Some(*default))
                    && b.get(*k).is_some_and(Value::is_number)
                {
                    out.insert((*k).to_string(), Value::from(*default));
                }
            }
            if !out.is_empty() {
                // A one-of member the input does not use, but the built object does, goes.
                for group in ONE_OF {
                    if group.iter().any(|m| i.contains_key(*m)) {
                        for m in *group {
                            if !i.contains_key(*m) && b.contains_key(*m) {
                                out.insert((*m).to_string(), Value::Null);
                            }
                        }
                    }
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        (Value::Object(i), _) if i.is_empty() => None,
        (Value::Array(i), Value::Array(b)) => list_diff(i, b),
        (Value::Array(i), _) if i.is_empty() => None,
        (i, b) if same_scalar(i, b) => None,
        (i, Value::Null) if is_default(key, i) => None,
        (i, _) => Some(i.clone()),
    }
}

fn list_diff(i: &[Value], b: &[Value]) -> Option<Value> {
    // Item by item where the patch merges item by item (`emit::patch::shared_key`).
    match crate::emit::patch::shared_key(i, b).filter(|_| !i.is_empty()) {
        Some(k) => {
            let mut out = Vec::new();
            for item in i {
                match b.iter().find(|x| x[k] == item[k]) {
                    None => out.push(item.clone()),
                    Some(x) => {
                        if let Some(Value::Object(mut d)) = diff("", item, x) {
                            d.insert(k.to_string(), item[k].clone());
                            out.push(Value::Object(d));
                        }
                    }
                }
            }
            (!out.is_empty()).then_some(Value::Array(out))
        }
        // Unnamed (or differently keyed) lists replace: written whole when they differ.
        _ => {
            let equal =
                i.len() == b.len() && i.iter().zip(b).all(|(x, y)| diff("", x, y).is_none());
            (!equal).then(|| Value::Array(i.to_vec()))
        }
    }
}

/// `built` as it runs: each env entry reading a `service-ports` key gets that key's value,
/// and `$(KEY)` in a value is expanded, so `cart:7070` written literally in the input and
/// `{CART_ADDRESS}` in the spec compare equal.
pub fn resolve_port_refs(built: &mut Value, ports: &Value) {
    match built {
        Value::Object(m) => {
            if let (Some(Value::String(_)), Some(vf)) = (m.get("name"), m.get("valueFrom"))
                && vf["configMapKeyRef"]["name"] == "service-ports"
                && let Some(v) = vf["configMapKeyRef"]["key"]
                    .as_str()
                    .and_then(|k| ports[k].as_str())
            {
                let v = v.to_string();
                m.remove("valueFrom");
                m.insert("value".to_string(), Value::String(v));
                return;
            }
            if let (Some(Value::String(_)), Some(Value::String(v))) =
                (m.get("name"), m.get("value"))
                && v.contains("$(")
            {
                let mut out = v.clone();
                for (k, pv) in ports.as_object().into_iter().flatten() {
                    if let Some(pv) = pv.as_str() {
                        out = out.replace(&format!("$({k})"), pv);
                    }
                }
                m.insert("value".to_string(), Value::String(out));
                return;
            }
            for v in m.values_mut() {
                resolve_port_refs(v, ports);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|v| resolve_port_refs(v, ports)),
        _ => {}
    }
}

/// Removes from a residual every env entry whose literal value is a credential: import
/// declared those as secret keys, and a patch must not write the value back.
pub fn strip_credentials(body: &mut Value) {
    strip_env_credentials(body);
    // Any other credential string (a password in an argument's URL, a token in an
    // annotation): the spec's files never carry one.
    crate::lint::credentials::strip(body, "");
}

fn strip_env_credentials(body: &mut Value) {
    match body {
        Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                if k == "env"
                    && let Value::Array(items) = v
                {
                    items.retain(|e| {
                        !matches!(
                            (e["name"].as_str(), e["value"].as_str()),
                            (Some(n), Some(x)) if crate::lint::is_literal_secret(n, x)
                        )
                    });
                } else {
                    strip_env_credentials(v);
                }
            }
            // An emptied env list would replace nothing: drop it.
            m.retain(|k, v| !(k == "env" && v.as_array().is_some_and(Vec::is_empty)));
        }
        Value::Array(a) => a.iter_mut().for_each(strip_env_credentials),
        _ => {}
    }
}

fn same_scalar(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    // "8080" and 8080, "1" and 1: the same quantity or port, written two ways.
    match (a, b) {
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => {
            s == &n.to_string()
        }
        (Value::String(x), Value::String(y)) => crate::spec::quantity::value(x).is_some_and(|qx| {
            crate::spec::quantity::value(y).is_some_and(|qy| (qx - qy).abs() <= qx.abs() * 1e-9)
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn carries_what_the_build_lacks_and_nothing_else() {
        let input = json!({"kind": "Deployment", "metadata": {"name": "a", "labels": {"app": "a"}},
            "spec": {"selector": {"matchLabels": {"app": "a"}}, "strategy": {"type": "Recreate"},
              "template": {"spec": {"containers": [{"name": "a", "image": "i:1",
                "env": [{"name": "X", "value": "${Y}"}, {"name": "Z", "value": "1"}],
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                "readinessProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 10}}]}}}});
        let built = json!({"kind": "Deployment", "metadata": {"name": "a", "labels": {"app.kubernetes.io/name": "a"}},
            "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "a"}},
              "template": {"spec": {"containers": [{"name": "a", "image": "i:1",
                "env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "service-ports", "key": "Y"}}}, {"name": "Z", "value": "1"}],
                "ports": [{"containerPort": 80}],
                "readinessProbe": {"tcpSocket": {"port": 80}, "periodSeconds": 10}}]}}}});
        let mut skipped = Vec::new();
        let r = residual(&input, &built, &mut skipped).unwrap();
        assert_eq!(
            r,
            json!({"metadata": {"labels": {"app": "a"}},
            "spec": {"strategy": {"type": "Recreate"}, "template": {"spec": {"containers": [{"name": "a",
                "env": [{"name": "X", "value": "${Y}", "valueFrom": null}],
                "readinessProbe": {"httpGet": {"path": "/", "port": 80}, "tcpSocket": null}}]}}}})
        );
        assert_eq!(skipped, ["spec.selector"]);
        let mut none = Vec::new();
        assert_eq!(residual(&input, &input, &mut none), None);
    }

    /// Compared after Kubernetes' defaulting: what the input leaves to the API server is the
    /// server's default, written out where the build says otherwise — and only there.
    #[test]
    fn an_implicit_default_the_build_changes_is_written_out() {
        let job = json!({"kind": "Job", "metadata": {"name": "j"},
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "j", "image": "i:1"}]}}}});
        let built_job = json!({"kind": "Job", "metadata": {"name": "j"},
            "spec": {"backoffLimit": 3, "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "j", "image": "i:1"}]}}}});
        let mut skipped = Vec::new();
        assert_eq!(
            residual(&job, &built_job, &mut skipped),
            Some(json!({"spec": {"backoffLimit": 6}}))
        );
        let svc = json!({"kind": "Service", "metadata": {"name": "s"},
            "spec": {"ports": [{"name": "http", "port": 80}]}});
        let built = json!({"kind": "Service", "metadata": {"name": "s"},
            "spec": {"ports": [{"name": "http", "port": 80, "targetPort": "http"}]}});
        assert_eq!(
            residual(&svc, &built, &mut skipped),
            Some(json!({"spec": {"ports": [{"name": "http", "targetPort": 80}]}}))
        );
        // An explicit null is unset, as the API server reads it.
        let mut nulled = job.clone();
        nulled["spec"]["backoffLimit"] = Value::Null;
        let mut six = built_job.clone();
        six["spec"]["backoffLimit"] = json!(6);
        assert_eq!(residual(&nulled, &six, &mut skipped), None);
    }

    #[test]
    fn volume_mounts_merge_by_path() {
        let i = json!([{"name": "v", "mountPath": "/a"}, {"name": "v", "mountPath": "/b", "subPath": "b"}]);
        let b = json!([{"name": "v", "mountPath": "/a"}]);
        assert_eq!(
            diff("", &i, &b),
            Some(json!([{"name": "v", "mountPath": "/b", "subPath": "b"}]))
        );
    }
}
