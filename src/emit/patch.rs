//! Applies a service's `patch` nodes to the typed object maestroc built, and proves the result
//! is still that type: the merged JSON is deserialised into the k8s-openapi struct and
//! serialised back, so a misspelt field (it would vanish) or a wrong type (it would not
//! deserialise) is a finding with the patch's span — never a silently invalid manifest. A
//! patch may not change what identifies the object or selects its pods.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::diagnostic::Finding;
use crate::model::{Patch, Service};

/// Merges `patch` into `target`: maps key by key (`null` removes), lists of objects that all
/// carry a `name` item by item by name (containers, env, ports, volumes), other lists replace.
pub fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (Value::Array(t), Value::Array(p)) if shared_key(p, t).is_some() => {
            let key = shared_key(p, t).unwrap_or("name");
            for item in p {
                match t.iter_mut().find(|x| x[key] == item[key]) {
                    Some(x) => merge(x, item),
                    None => t.push(item.clone()),
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// The key items of a list merge by, as Kubernetes' strategic merge keys them: volume mounts
/// by `mountPath` (one volume may be mounted twice, at two paths), other items by `name`;
/// None for a list of unnamed items, which a patch replaces, and for an empty list.
pub fn merge_key(items: &[Value]) -> Option<&'static str> {
    if items.is_empty() {
        return None;
    }
    ["mountPath", "name"].into_iter().find(|k| {
        items
            .iter()
            .all(|i| i.get(*k).is_some_and(Value::is_string))
    })
}

/// The key a patch list `p` merges into the target list `t` by, when they merge item by item:
/// both keyed alike, or one of them empty (an empty patch list changes nothing, items merge
/// into an empty target by being added).
pub fn shared_key(p: &[Value], t: &[Value]) -> Option<&'static str> {
    match (merge_key(p), merge_key(t)) {
        (Some(a), Some(b)) if a == b => Some(a),
        (Some(a), None) if t.is_empty() => Some(a),
        (None, Some(b)) if p.is_empty() => Some(b),
        (None, None) if p.is_empty() && t.is_empty() => Some("name"),
        _ => None,
    }
}

/// The first path present in `patched` but not in `typed` (a field the type does not have).
fn unknown_field(patched: &Value, typed: &Value, path: &str) -> Option<String> {
    match (patched, typed) {
        (Value::Object(p), Value::Object(t)) => p.iter().find_map(|(k, v)| {
            let here = format!("{path}/{k}");
            match t.get(k) {
                None if !v.is_null() => Some(here),
                None => None,
                Some(tv) => unknown_field(v, tv, &here),
            }
        }),
        (Value::Array(p), Value::Array(t)) => p
            .iter()
            .zip(t)
            .enumerate()
            .find_map(|(i, (pv, tv))| unknown_field(pv, tv, &format!("{path}/{i}"))),
        _ => None,
    }
}

/// What identifies an object or selects its pods: a patch changing it breaks `kubectl apply`
/// over the live object, or the Service's reach.
const INVARIANTS: [&str; 5] = [
    "/apiVersion",
    "/kind",
    "/metadata/name",
    "/metadata/namespace",
    "/spec/selector",
];

/// `obj` with every patch of `kind` that targets it applied, and whether any did; or the
/// finding that says why it cannot be.
pub fn apply<T: Serialize + DeserializeOwned>(
    svc: &Service,
    all: &[&Patch],
    kind: &str,
    obj: T,
) -> Result<(T, bool), Box<Finding>> {
    if !all.iter().any(|p| p.kind.value == kind) {
        return Ok((obj, false));
    }
    let fail = |patch: &Patch, path: &str, msg: String, help: &str| {
        Box::new(
            Finding::new("MC014", msg)
                .at(patch.span_of(path), "here")
                .also(patch.kind.span, format!("patch of the {kind}"))
                .help(help.to_string()),
        )
    };
    let original = serde_json::to_value(&obj).map_err(|e| {
        Box::new(Finding::new(
            "MC091",
            format!("{kind} `{}`: {e}", svc.name.value),
        ))
    })?;
    let name = original
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let patches: Vec<&Patch> = all
        .iter()
        .copied()
        .filter(|p| p.targets(kind, name, &svc.name.value))
        .collect();
    if patches.is_empty() {
        return Ok((obj, false));
    }
    let mut value = original.clone();
    let mut last = patches[0];
    for patch in &patches {
        merge(&mut value, &patch.body);
        last = patch;
    }
    let typed: T = serde_path_to_error::deserialize(&value).map_err(|e| {
        let path = format!("/{}", e.path().to_string().replace('.', "/"));
        fail(
            last,
            &path,
            format!(
                "patch of `{}` makes `{}` invalid: {}",
                svc.name.value,
                e.path(),
                e.inner()
            ),
            "write the value with the type Kubernetes expects there (a list is `field { - … }`, a number unquoted)",
        )
    })?;
    let back = serde_json::to_value(&typed).unwrap_or(Value::Null);
    if let Some(path) = unknown_field(&value, &back, "") {
        let field = path.trim_start_matches('/').replace('/', ".");
        return Err(fail(
            last,
            &path,
            format!("a {kind} has no field `{field}`"),
            "check the spelling against the Kubernetes API reference (`kubectl explain`); an unknown field would be dropped silently",
        ));
    }
    for inv in INVARIANTS {
        if original.pointer(inv) != back.pointer(inv)
            && !(kind == "Service" && inv == "/spec/selector" && narrows(svc, &original, &back))
        {
            return Err(fail(
                last,
                inv,
                format!(
                    "patch of `{}` changes `{}`",
                    svc.name.value,
                    inv.trim_start_matches('/').replace('/', ".")
                ),
                "a patch may not rename the object or change its selector: selectors are immutable on a live object; use `selector` and `container-name` in the service instead",
            ));
        }
    }
    Ok((typed, true))
}

/// Whether a patch of a Service's selector only adds labels the service's own pods carry: it
/// then selects a subset of its own pods, never another workload's (an adopted Service that
/// picks the leader out of pods both Deployments label `app: redis`). A Service's selector is
/// mutable, unlike a workload's.
fn narrows(svc: &Service, original: &Value, back: &Value) -> bool {
    let (Some(before), Some(after)) = (
        original
            .pointer("/spec/selector")
            .and_then(Value::as_object),
        back.pointer("/spec/selector").and_then(Value::as_object),
    ) else {
        return false;
    };
    let pod_label = |k: &str, v: &Value| {
        svc.pod
            .labels
            .iter()
            .chain(&svc.pod.selector)
            .any(|(lk, lv)| lk.value == k && v.as_str() == Some(lv.value.as_str()))
    };
    before.iter().all(|(k, v)| after.get(k) == Some(v))
        && after
            .iter()
            .all(|(k, v)| before.get(k) == Some(v) || pod_label(k, v))
}

/// Whether `value` is a valid `T`: it deserialises, and nothing of it is dropped on the way
/// (a misspelt field would vanish). The error says where, as a `/`-path and a message.
pub fn check_typed<T: Serialize + DeserializeOwned>(value: &Value) -> Result<(), (String, String)> {
    let typed: T = serde_path_to_error::deserialize(value).map_err(|e| {
        (
            format!("/{}", e.path().to_string().replace('.', "/")),
            e.inner().to_string(),
        )
    })?;
    let back = serde_json::to_value(&typed).unwrap_or(Value::Null);
    match unknown_field(value, &back, "") {
        Some(path) => Err((
            path.clone(),
            format!(
                "no field `{}`",
                path.trim_start_matches('/').replace('/', ".")
            ),
        )),
        None => Ok(()),
    }
}

/// MC503, judged on the final object: a patch that makes the service's NetworkPolicy admit
/// what the dependency graph does not — a rule the built policy lacks, or a policy type it
/// drops (no `Egress` type, no egress isolation) — needs the patch's `reason=`, or the
/// guarantee "only dependents reach a service" breaks through the escape hatch unseen.
pub fn check_widening<T: Serialize>(
    svc: &Service,
    all: &[&Patch],
    built: &T,
    patched: &T,
) -> Result<(), Box<Finding>> {
    let (Ok(before), Ok(after)) = (serde_json::to_value(built), serde_json::to_value(patched))
    else {
        return Ok(());
    };
    let Some(widened) = crate::rules::widened_policy(&before, &after) else {
        return Ok(());
    };
    let name = before["metadata"]["name"].as_str().unwrap_or_default();
    let patches: Vec<&&Patch> = all
        .iter()
        .filter(|p| p.targets("NetworkPolicy", name, &svc.name.value))
        .collect();
    if patches.iter().any(|p| p.reason.is_some()) {
        return Ok(());
    }
    let Some(first) = patches.first() else {
        return Ok(());
    };
    Err(Box::new(
        Finding::new(
            "MC503",
            format!(
                "patch of `{}` widens its NetworkPolicy: {widened}",
                svc.name.value
            ),
        )
        .at(first.kind.span, "admits more than `depends-on` says")
        .help("add the dependency (`depends-on`) or `expose` it, or say why with `reason=\"…\"` on the patch"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn named_lists_merge_by_name_others_replace() {
        let mut t = json!({"c": [{"name": "a", "x": 1}, {"name": "b"}], "l": [1, 2], "gone": 1});
        merge(
            &mut t,
            &json!({"c": [{"name": "a", "y": 2}, {"name": "z"}], "l": [3], "gone": null}),
        );
        assert_eq!(
            t,
            json!({"c": [{"name": "a", "x": 1, "y": 2}, {"name": "b"}, {"name": "z"}], "l": [3]})
        );
    }
}
