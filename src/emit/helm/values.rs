//! The chart's values: the whole platform as seen by one target, as a JSON tree, and the
//! difference between an environment's tree and the base one (what `values-<env>.yaml` holds).
//!
//! Every field a template reads is present in the tree (null when unset), so no template can
//! render an empty field for want of a value.

use serde_json::{Map, Value, json};

use crate::emit::config::{ports_data, workload_namespaces};
use crate::emit::{operations, pod, workload};
use crate::model::{
    EnvValue, Privilege, Service, ServiceType, WorkloadKind, expand_placeholders, service_keys,
};
use crate::target::Target;

fn workload_name(k: WorkloadKind) -> &'static str {
    match k {
        WorkloadKind::Deployment => "deployment",
        WorkloadKind::StatefulSet => "statefulset",
        WorkloadKind::DaemonSet => "daemonset",
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
            EnvValue::Literal(l) => json!({"name": name, "value": expand_placeholders(&l.value)}),
            EnvValue::Field(f) => json!({"name": name, "fieldPath": f.value}),
            EnvValue::Ref(key) => json!({"name": name, "configMapKey": key.value}),
            EnvValue::Secret {
                secret,
                key,
                optional: false,
            } => json!({"name": name, "secret": secret.value, "key": key.value}),
            EnvValue::Secret { secret, key, .. } => {
                json!({"name": name, "secret": secret.value, "key": key.value, "optional": true})
            }
        });
    }
    v
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn service_values(
    t: &Target<'_>,
    svc: &Service,
    dependencies: &[&Service],
    dependents: &[&Service],
) -> Value {
    let p = t.platform;
    let labels = pod::service_meta(p, svc, &svc.name.value).labels;
    let annotations = pod::privilege_annotations(p, svc);
    let [startup, readiness, liveness] = pod::probes(svc);
    let (pod_volumes, mounts) = pod::volumes(svc);
    json!({
        "enabled": t.enabled(svc),
        "description": svc.description.as_ref().map(|d| d.value.clone()),
        "namespace": svc.namespace(p),
        "workload": workload_name(svc.workload.value),
        "image": t.image(svc),
        // null where there is no count to fix: a DaemonSet, a job, or an autoscaled workload.
        "replicas": if svc.workload.value.has_replicas() && t.autoscale(svc).is_none() { json!(t.replicas(svc)) } else { Value::Null },
        "spread": t.may_run_several(svc),
        "schedule": svc.schedule.as_ref().map(|s| s.value.clone()),
        "command": svc.command.iter().map(|c| expand_placeholders(&c.value)).collect::<Vec<_>>(),
        "args": svc.args.iter().map(|c| expand_placeholders(&c.value)).collect::<Vec<_>>(),
        "ports": svc.ports.iter().map(|port| json!({
            "name": port.name.value,
            "port": port.number.value.get(),
            "servicePort": port.exposed().get(),
            "nodePort": t.published_node_port(svc, port),
        })).collect::<Vec<_>>(),
        "serviceType": service_type_name(t.service_type(svc)),
        "governingService": svc.governing_service(),
        "env": env_list(t, svc, dependencies),
        "resources": to_json(&pod::resources(&t.resources(svc))),
        "envFrom": to_json(&pod::env_from(svc, !t.default_values().is_empty())),
        "probes": {"startup": to_json(&startup), "readiness": to_json(&readiness), "liveness": to_json(&liveness)},
        "labels": labels,
        "annotations": (!annotations.is_empty()).then_some(annotations),
        "selector": pod::selector_labels(p, svc),
        "podLabels": pod::pod_labels(p, svc),
        "podAnnotations": pod::pod_annotations(t, svc),
        "containerName": pod::container_name(svc),
        "initContainers": to_json(&pod::extra_containers(t, svc, &svc.init_containers)),
        "sidecars": to_json(&pod::extra_containers(t, svc, &svc.sidecars)),
        "serviceAccount": {
            "name": pod::service_account_name(svc),
            "create": svc.pod.service_account.is_none(),
        },
        "automountServiceAccountToken": svc.allowed(Privilege::ServiceAccountToken).is_some(),
        "podSecurityContext": to_json(&pod::pod_security_context(p, svc)),
        "securityContext": to_json(&pod::container_security_context(svc)),
        "claims": svc.volumes.iter().filter_map(|v| Some(json!({
            "name": v.name.value,
            "size": v.claim_size()?.value,
        }))).collect::<Vec<_>>(),
        "podVolumes": to_json(&pod_volumes),
        "volumeMounts": to_json(&mounts),
        "nodeSelector": pod::node_selector(svc),
        "tolerations": to_json(&pod::tolerations(svc)),
        "priorityClassName": svc.pod.priority_class.as_ref().map(|c| c.value.clone()),
        "terminationGracePeriodSeconds": svc.pod.termination_grace_period.as_ref().map(|s| s.value),
        "ingress": to_json(&workload::ingress_rules(t, svc, dependents)),
        // A patched object is carried whole: a generic template cannot replay a merge.
        "patched": if t.patches(svc).is_empty() { Value::Null } else {
            json!(workload::patched_objects(t, svc, dependencies, dependents))
        },
        // Production objects as the plain YAML has them: each template writes the metadata and
        // renders the spec as it is, so the two cannot disagree.
        "extras": svc.extras.iter().flat_map(|e| e.objects.clone()).collect::<Vec<_>>(),
        "routes": operations::ingress(t, svc).and_then(|o| o.spec).map(|s| to_json(&s)),
        "serviceMonitor": operations::service_monitor(t, svc).map(|o| to_json(&o.spec)),
        "autoscaler": operations::autoscaler(t, svc).and_then(|o| o.spec).map(|s| to_json(&s)),
        "disruptionBudget": operations::disruption_budget(t, svc).and_then(|o| o.spec).map(|s| to_json(&s)),
        "egress": if p.egress_restricted() { to_json(&workload::egress_rules(t, svc, dependencies)) } else { Value::Null },
    })
}

fn service_type_name(kind: ServiceType) -> &'static str {
    match kind {
        ServiceType::ClusterIp => "ClusterIP",
        ServiceType::NodePort => "NodePort",
        ServiceType::LoadBalancer => "LoadBalancer",
        ServiceType::Headless => "Headless",
    }
}

/// The full values tree of one target.
pub fn values(t: &Target<'_>, graph: &crate::graph::DepGraph) -> Value {
    let mut tree = top(t, graph);
    let services: Map<String, Value> = (0..t.platform.services.len())
        .filter_map(|i| service_entry(t, graph, i))
        .collect();
    tree["services"] = Value::Object(services);
    tree
}

/// The service `i`'s values in `t`, keyed by its name (none for an external service).
fn service_entry(
    t: &Target<'_>,
    graph: &crate::graph::DepGraph,
    i: usize,
) -> Option<(String, Value)> {
    let p = t.platform;
    let svc = &p.services[i];
    if svc.is_external() {
        return None;
    }
    let (on, by) = graph.neighbours(p, i);
    Some((svc.name.value.clone(), service_values(t, svc, &on, &by)))
}

/// What `values-<env>.yaml` holds: `diff(base, values(t))`, built one service at a time so
/// that an environment's full tree never exists at once (at thousands of services it would be
/// hundreds of megabytes of short-lived maps).
pub fn env_changes(base: &Value, t: &Target<'_>, graph: &crate::graph::DepGraph) -> Value {
    let mut changes = diff(base, &top(t, graph)).unwrap_or(Value::Object(Map::new()));
    // `top` has no services: the diff said "remove them all"; the real ones follow.
    if let Some(m) = changes.as_object_mut() {
        m.remove("services");
    }
    let mut services = Map::new();
    for i in 0..t.platform.services.len() {
        if let Some((name, v)) = service_entry(t, graph, i) {
            match base["services"].get(&name) {
                Some(b) => {
                    if let Some(d) = diff(b, &v) {
                        services.insert(name, d);
                    }
                }
                None => {
                    services.insert(name, v);
                }
            }
        }
    }
    if !services.is_empty()
        && let Some(m) = changes.as_object_mut()
    {
        m.insert("services".to_string(), Value::Object(services));
    }
    changes
}

/// Everything but the services.
fn top(t: &Target<'_>, graph: &crate::graph::DepGraph) -> Value {
    // The k8s/ emitter reports a pod below its accepted level; the chart only needs the labels.
    let levels = crate::emit::admission(t, graph)
        .map(|v| v.levels)
        .unwrap_or_default();
    let p = t.platform;
    let mut secrets = Map::new();
    for s in &p.secrets {
        let mut namespaces: Vec<&str> = p
            .services
            .iter()
            .filter(|svc| t.runs(svc))
            .filter(|svc| t.uses_secret(svc, &s.name.value))
            .map(|svc| svc.namespace(p))
            .collect();
        namespaces.sort_unstable();
        namespaces.dedup();
        let mut entry = json!({
            "keys": s.keys.iter().map(|k| k.value.clone()).collect::<Vec<_>>(),
            "store": s.store.as_ref().map(|st| json!({"name": st.name.value, "path": st.path.value})),
            "namespaces": namespaces,
        });
        // The spec's own labels and annotations, only where it says any.
        for (field, pairs) in [("labels", &s.labels), ("annotations", &s.annotations)] {
            if !pairs.is_empty() {
                let m: Map<String, Value> = pairs
                    .iter()
                    .map(|(k, v)| (k.value.clone(), json!(v.value)))
                    .collect();
                entry[field] = Value::Object(m);
            }
        }
        secrets.insert(s.name.value.clone(), entry);
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
            "networkPolicies": p.network_policies(),
            "policyTypes": workload::policy_types(p),
        },
        "namespaces": workload_namespaces(t).into_iter().collect::<Vec<_>>(),
        "ownedNamespaces": levels
            .into_iter()
            .map(|(ns, level)| (ns, json!({"podSecurity": level.as_str()})))
            .collect::<Map<String, Value>>(),
        "config": {
            "ports": ports_data(t),
            "defaults": defaults,
        },
        "secrets": secrets,
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
