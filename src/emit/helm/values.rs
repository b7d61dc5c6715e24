//! The chart's values: the whole platform as seen by one target, as a JSON tree, and the
//! difference between an environment's tree and the base one (what `values-<env>.yaml` holds).
//!
//! Every field a template reads is present in the tree (null when unset), so no template can
//! render an empty field for want of a value.

use serde_json::{Map, Value, json};

use crate::emit::config::{ports_data, workload_namespaces};
use crate::model::{EnvValue, Health, Service, WorkloadKind, service_keys};
use crate::target::Target;

fn workload_name(k: WorkloadKind) -> &'static str {
    match k {
        WorkloadKind::Deployment => "deployment",
        WorkloadKind::StatefulSet => "statefulset",
        WorkloadKind::Job => "job",
        WorkloadKind::CronJob => "cronjob",
    }
}

fn env_list(t: &Target<'_>, svc: &Service, dependencies: &[&Service]) -> Vec<Value> {
    let p = t.platform;
    let mut v: Vec<Value> = service_keys(p, svc)
        .into_iter()
        .map(|k| json!({"name": k.key, "configMapKey": k.key}))
        .collect();
    for d in dependencies {
        v.extend(
            service_keys(p, d)
                .into_iter()
                .map(|k| json!({"name": k.key, "configMapKey": k.key})),
        );
    }
    for var in t.env(svc) {
        let name = &var.name.value;
        v.push(match &var.value {
            EnvValue::Literal(l) => json!({"name": name, "value": l.value}),
            EnvValue::Ref(key) => json!({"name": name, "configMapKey": key.value}),
            EnvValue::Secret { secret, key } => {
                json!({"name": name, "secret": secret.value, "key": key.value})
            }
        });
    }
    v
}

fn resources(t: &Target<'_>, svc: &Service) -> Value {
    let Some(r) = t.resources(svc) else {
        return Value::Null;
    };
    let pair = |a: &Option<crate::model::Spanned<String>>,
                b: &Option<crate::model::Spanned<String>>| {
        let mut m = Map::new();
        if let Some(v) = a {
            m.insert("cpu".into(), json!(v.value));
        }
        if let Some(v) = b {
            m.insert("memory".into(), json!(v.value));
        }
        m
    };
    let mut out = Map::new();
    let req = pair(&r.cpu, &r.memory);
    let lim = pair(&r.cpu_limit, &r.memory_limit);
    if !req.is_empty() {
        out.insert("requests".into(), Value::Object(req));
    }
    if !lim.is_empty() {
        out.insert("limits".into(), Value::Object(lim));
    }
    Value::Object(out)
}

fn health(svc: &Service) -> Value {
    if !svc.workload.value.is_long_running() {
        return Value::Null;
    }
    let Some(h) = &svc.health else {
        return Value::Null;
    };
    let number = svc
        .ports
        .iter()
        .find(|p| p.name.value == h.port().value)
        .map_or(0, |p| p.number.value.get());
    match h {
        Health::Http { path, port } => {
            json!({"type": "http", "path": path.value, "port": port.value})
        }
        Health::Grpc { .. } => json!({"type": "grpc", "path": null, "port": number}),
        Health::Tcp { port } => json!({"type": "tcp", "path": null, "port": port.value}),
    }
}

fn service_values(
    t: &Target<'_>,
    svc: &Service,
    dependencies: &[&Service],
    dependents: &[&Service],
) -> Value {
    let p = t.platform;
    let long = svc.workload.value.is_long_running();
    json!({
        "enabled": t.enabled(svc),
        "description": svc.description.as_ref().map(|d| d.value.clone()),
        "namespace": svc.namespace(p),
        "workload": workload_name(svc.workload.value),
        "image": t.image(svc),
        "replicas": if long { json!(t.replicas(svc)) } else { Value::Null },
        "schedule": svc.schedule.as_ref().map(|s| s.value.clone()),
        "command": svc.command.iter().map(|c| c.value.clone()).collect::<Vec<_>>(),
        "args": svc.args.iter().map(|c| c.value.clone()).collect::<Vec<_>>(),
        "ports": svc.ports.iter().map(|port| json!({
            "name": port.name.value,
            "port": port.number.value.get(),
            "servicePort": port.exposed().get(),
            "nodePort": t.node_port(svc, port),
        })).collect::<Vec<_>>(),
        "env": env_list(t, svc, dependencies),
        "resources": resources(t, svc),
        "health": health(svc),
        "runAsUser": svc.run_as_user.as_ref().map(|u| u.value),
        "volumes": svc.volumes.iter().map(|v| json!({
            "name": v.name.value,
            "mountPath": v.mount_path.value,
            "size": v.size.value,
        })).collect::<Vec<_>>(),
        "allowFrom": dependents.iter().filter(|d| t.runs(d)).map(|d| json!({
            "name": d.name.value,
            "namespace": d.namespace(p),
        })).collect::<Vec<_>>(),
    })
}

/// The full values tree of one target.
pub fn values(t: &Target<'_>, graph: &crate::graph::DepGraph) -> Value {
    let p = t.platform;
    let mut secrets = Map::new();
    for s in &p.secrets {
        let mut namespaces: Vec<&str> = p
            .services
            .iter()
            .filter(|svc| t.runs(svc))
            .filter(|svc| {
                t.env(svc).iter().any(|v| {
                    matches!(&v.value, EnvValue::Secret { secret, .. } if secret.value == s.name.value)
                })
            })
            .map(|svc| svc.namespace(p))
            .collect();
        namespaces.sort_unstable();
        namespaces.dedup();
        secrets.insert(
            s.name.value.clone(),
            json!({
                "keys": s.keys.iter().map(|k| k.value.clone()).collect::<Vec<_>>(),
                "store": s.store.as_ref().map(|st| json!({"name": st.name.value, "path": st.path.value})),
                "namespaces": namespaces,
            }),
        );
    }
    let mut services = Map::new();
    for (i, svc) in p.services.iter().enumerate() {
        if svc.is_external() {
            continue;
        }
        let on: Vec<&Service> = graph.dependencies[i]
            .iter()
            .map(|&j| &p.services[j])
            .collect();
        let by: Vec<&Service> = graph.dependents[i]
            .iter()
            .map(|&j| &p.services[j])
            .collect();
        services.insert(svc.name.value.clone(), service_values(t, svc, &on, &by));
    }
    let defaults: Map<String, Value> = t
        .default_values()
        .into_iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    json!({
        "global": {
            "platform": p.name.value,
            "storageClass": t.storage_class(),
            "imagePullPolicy": t.pull_policy(),
            "externalSecrets": t.external_secrets(),
        },
        "namespaces": workload_namespaces(t).into_iter().collect::<Vec<_>>(),
        "config": {
            "ports": ports_data(t),
            "defaults": defaults,
        },
        "secrets": secrets,
        "services": services,
    })
}

/// What `env` changes relative to `base`, in Helm's merge semantics: maps merge key by key,
/// lists and scalars replace, and `null` deletes a key.
pub fn diff(base: &Value, env: &Value) -> Option<Value> {
    match (base, env) {
        (Value::Object(b), Value::Object(e)) => {
            let mut out = Map::new();
            for (k, ev) in e {
                match b.get(k) {
                    Some(bv) => {
                        if let Some(d) = diff(bv, ev) {
                            out.insert(k.clone(), d);
                        }
                    }
                    None => {
                        out.insert(k.clone(), ev.clone());
                    }
                }
            }
            for k in b.keys() {
                if !e.contains_key(k) {
                    out.insert(k.clone(), Value::Null);
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        (b, e) if b == e => None,
        (_, e) => Some(e.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_follows_helm_merge_semantics() {
        let base = json!({"a": {"x": 1, "y": 2}, "l": [1, 2], "gone": 1});
        let env = json!({"a": {"x": 1, "y": 3}, "l": [1, 2, 3], "new": true});
        assert_eq!(
            diff(&base, &env),
            Some(json!({"a": {"y": 3}, "l": [1, 2, 3], "new": true, "gone": null}))
        );
        assert_eq!(diff(&base, &base), None);
    }
}
