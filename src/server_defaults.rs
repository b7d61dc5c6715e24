//! What the API server adds to an object — Kubernetes' semantics, shared by every comparison
//! of objects as data: `diff --live` takes it out of the cluster's copy before comparing it
//! with the build, and `import`'s residual fills the defaults into the input and the rebuilt
//! object so a default written out or left implicit is no difference. One function per
//! concern, each pinned by a test in `tests/live.rs`:
//!
//! 1. **Life, not intent** (`server_fields`): `status`; `metadata.managedFields`,
//!    `resourceVersion`, `uid`, `generation`, `creationTimestamp`, `selfLink`,
//!    `ownerReferences`, `finalizers`, `generateName`, `deletion*`; the annotations kubectl and
//!    controllers write (`kubectl.kubernetes.io/last-applied-configuration`,
//!    `deployment.kubernetes.io/revision`, `pv.kubernetes.io/*`, `volume.kubernetes.io/*`,
//!    `volume.beta.kubernetes.io/*`) and the labels the server writes
//!    (`kubernetes.io/metadata.name` on a Namespace; a Job's `controller-uid`, `job-name` and
//!    their `batch.kubernetes.io/` forms, on the Job, its selector and its pod template).
//! 2. **Defaults** (`defaults`), filled into *both* sides so writing a default out or leaving
//!    it implicit is no difference: pods (`restartPolicy`, `dnsPolicy`, `schedulerName`,
//!    `terminationGracePeriodSeconds`, `securityContext`, `enableServiceLinks`, volume
//!    `defaultMode`), containers (`imagePullPolicy` by tag, `terminationMessage*`, port
//!    `protocol`, probe timing, `httpGet.scheme`, a fieldRef's `apiVersion`), workloads
//!    (`replicas`, `revisionHistoryLimit`, `progressDeadlineSeconds`, rolling-update
//!    parameters, `podManagementPolicy`, StatefulSet `updateStrategy`,
//!    `persistentVolumeClaimRetentionPolicy`, claim templates' `volumeMode`/`apiVersion`/`kind`),
//!    Jobs (`backoffLimit`, `completions`, `parallelism`, `completionMode`, `suspend`,
//!    `podReplacementPolicy`, `manualSelector`), CronJobs (`concurrencyPolicy`, `suspend`,
//!    history limits), Services (`type`, `sessionAffinity`, `internalTrafficPolicy`, port
//!    `protocol` and `targetPort`, `externalTrafficPolicy`, `allocateLoadBalancerNodePorts`),
//!    NetworkPolicy `policyTypes`, Secret `type`, claims' `volumeMode`, Namespace
//!    `spec.finalizers`.
//! 3. **Allocated by the cluster** (`allocated`), dropped from the cluster's copy unless the
//!    spec fixes them: a Service's `clusterIP`, `clusterIPs`, `ipFamilies`, `ipFamilyPolicy`,
//!    `healthCheckNodePort` and each port's `nodePort`; a claim's `volumeName` and a
//!    `storageClassName` the cluster's default class filled in; a Job's generated `selector`;
//!    an HPA's `behavior` the spec leaves to the defaults.
//!
//! Not covered yet: admission webhooks' mutations (a service mesh's injected sidecars and
//! annotations, a policy engine's defaults) — an ignore rule in `maestroc.toml` says those.

use serde_json::{Map, Value, json};

/// Sets `key` when the object does not say it; an explicit `null` says nothing (the API
/// server treats `terminationGracePeriodSeconds: null`, as a chart renders it, as unset).
fn set(m: &mut Value, key: &str, v: Value) {
    if let Some(o) = m.as_object_mut() {
        let slot = o.entry(key.to_string()).or_insert(Value::Null);
        if slot.is_null() {
            *slot = v;
        }
    }
}

fn obj<'a>(v: &'a mut Value, path: &[&str]) -> Option<&'a mut Value> {
    let mut cur = v;
    for p in path {
        cur = cur.get_mut(*p)?;
    }
    cur.is_object().then_some(cur)
}

fn remove(v: &mut Value, path: &[&str], key: &str) {
    if let Some(o) = obj(v, path).and_then(Value::as_object_mut) {
        o.remove(key);
    }
}

const LIFE: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
    "ownerReferences",
    "finalizers",
    "generateName",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

const ANNOTATION_PREFIXES: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/",
    "pv.kubernetes.io/",
    "volume.kubernetes.io/",
    "volume.beta.kubernetes.io/",
];

const JOB_LABELS: &[&str] = &[
    "controller-uid",
    "job-name",
    "batch.kubernetes.io/controller-uid",
    "batch.kubernetes.io/job-name",
];

/// 1. What describes the object's life: removed from the cluster's copy.
pub fn server_fields(o: &mut Value) {
    let kind = o["kind"].as_str().unwrap_or_default().to_string();
    if let Some(m) = o.as_object_mut() {
        m.remove("status");
    }
    if let Some(meta) = obj(o, &["metadata"]).and_then(Value::as_object_mut) {
        for k in LIFE {
            meta.remove(*k);
        }
        prune(meta, "annotations", |k| {
            ANNOTATION_PREFIXES.iter().any(|p| k.starts_with(p))
        });
        if kind == "Namespace" {
            prune(meta, "labels", |k| k == "kubernetes.io/metadata.name");
        }
        if kind == "Job" {
            prune(meta, "labels", |k| JOB_LABELS.contains(&k));
        }
    }
    // A pod template's creationTimestamp is `null` in what the server returns.
    for path in [
        &["spec", "template", "metadata"][..],
        &["spec", "jobTemplate", "spec", "template", "metadata"],
    ] {
        if let Some(m) = obj(o, path).and_then(Value::as_object_mut) {
            m.remove("creationTimestamp");
            if kind == "Job" {
                prune(m, "labels", |k| JOB_LABELS.contains(&k));
            }
        }
    }
}

/// Removes the keys of `meta[field]` that `drop` names, and the map when it ends empty.
fn prune(meta: &mut Map<String, Value>, field: &str, drop: impl Fn(&str) -> bool) {
    let Some(m) = meta.get_mut(field).and_then(Value::as_object_mut) else {
        return;
    };
    m.retain(|k, _| !drop(k));
    if m.is_empty() {
        meta.remove(field);
    }
}

fn probe(p: &mut Value) {
    if !p.is_object() {
        return;
    }
    for (k, v) in [
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
        // omitempty: the server never returns a zero delay, a client may write one.
        ("initialDelaySeconds", 0),
    ] {
        set(p, k, json!(v));
    }
    if let Some(h) = obj(p, &["httpGet"]) {
        set(h, "scheme", json!("HTTP"));
        set(h, "path", json!("/"));
    }
    if let Some(g) = obj(p, &["grpc"]) {
        set(g, "service", json!(""));
    }
}

fn container(c: &mut Value) {
    let image = c["image"].as_str().unwrap_or_default().to_string();
    let tag = image.rsplit('/').next().unwrap_or_default();
    let latest = !image.contains('@') && (!tag.contains(':') || tag.ends_with(":latest"));
    set(
        c,
        "imagePullPolicy",
        json!(if latest { "Always" } else { "IfNotPresent" }),
    );
    set(c, "terminationMessagePath", json!("/dev/termination-log"));
    set(c, "terminationMessagePolicy", json!("File"));
    for p in c["ports"].as_array_mut().into_iter().flatten() {
        set(p, "protocol", json!("TCP"));
    }
    for e in c["env"].as_array_mut().into_iter().flatten() {
        if let Some(f) = obj(e, &["valueFrom", "fieldRef"]) {
            set(f, "apiVersion", json!("v1"));
        }
    }
    for k in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = c.get_mut(k) {
            probe(p);
        }
    }
}

fn pod(spec: &mut Value) {
    if !spec.is_object() {
        return;
    }
    set(spec, "restartPolicy", json!("Always"));
    set(spec, "terminationGracePeriodSeconds", json!(30));
    set(spec, "dnsPolicy", json!("ClusterFirst"));
    set(spec, "schedulerName", json!("default-scheduler"));
    set(spec, "securityContext", json!({}));
    set(spec, "enableServiceLinks", json!(true));
    for key in ["containers", "initContainers"] {
        for c in spec[key].as_array_mut().into_iter().flatten() {
            container(c);
        }
    }
    for v in spec["volumes"].as_array_mut().into_iter().flatten() {
        for src in ["secret", "configMap"] {
            if let Some(s) = obj(v, &[src]) {
                set(s, "defaultMode", json!(420));
            }
        }
    }
}

/// 2. The API server's defaults, filled in where the object does not say them.
pub fn defaults(o: &mut Value) {
    let kind = o["kind"].as_str().unwrap_or_default().to_string();
    if kind == "Secret" {
        set(o, "type", json!("Opaque"));
    }
    if kind == "Namespace" {
        set(o, "spec", json!({"finalizers": ["kubernetes"]}));
    }
    let Some(spec) = obj(o, &["spec"]) else {
        return;
    };
    match kind.as_str() {
        "Deployment" | "StatefulSet" | "DaemonSet" => workload(&kind, spec),
        "Job" => job(spec),
        "CronJob" => {
            set(spec, "concurrencyPolicy", json!("Allow"));
            set(spec, "suspend", json!(false));
            set(spec, "successfulJobsHistoryLimit", json!(3));
            set(spec, "failedJobsHistoryLimit", json!(1));
            if let Some(j) = obj(spec, &["jobTemplate", "spec"]) {
                job(j);
            }
        }
        "Service" => service(spec),
        "NetworkPolicy" => {
            let egress = spec.get("egress").is_some();
            let types = if egress {
                json!(["Ingress", "Egress"])
            } else {
                json!(["Ingress"])
            };
            set(spec, "policyTypes", types);
        }
        "PersistentVolumeClaim" => set(spec, "volumeMode", json!("Filesystem")),
        _ => {}
    }
}

fn workload(kind: &str, spec: &mut Value) {
    if kind != "DaemonSet" {
        set(spec, "replicas", json!(1));
    }
    set(spec, "revisionHistoryLimit", json!(10));
    match kind {
        "Deployment" => {
            set(spec, "progressDeadlineSeconds", json!(600));
            set(spec, "strategy", json!({}));
            set(&mut spec["strategy"], "type", json!("RollingUpdate"));
            if spec["strategy"]["type"] == "RollingUpdate" {
                let s = &mut spec["strategy"];
                set(s, "rollingUpdate", json!({}));
                set(&mut s["rollingUpdate"], "maxSurge", json!("25%"));
                set(&mut s["rollingUpdate"], "maxUnavailable", json!("25%"));
            }
        }
        "StatefulSet" => {
            set(spec, "podManagementPolicy", json!("OrderedReady"));
            set(spec, "updateStrategy", json!({}));
            set(&mut spec["updateStrategy"], "type", json!("RollingUpdate"));
            if spec["updateStrategy"]["type"] == "RollingUpdate" {
                set(&mut spec["updateStrategy"], "rollingUpdate", json!({}));
                set(
                    &mut spec["updateStrategy"]["rollingUpdate"],
                    "partition",
                    json!(0),
                );
            }
            set(
                spec,
                "persistentVolumeClaimRetentionPolicy",
                json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
            );
            for t in spec["volumeClaimTemplates"]
                .as_array_mut()
                .into_iter()
                .flatten()
            {
                set(t, "apiVersion", json!("v1"));
                set(t, "kind", json!("PersistentVolumeClaim"));
                if let Some(m) = t.as_object_mut() {
                    m.remove("status");
                }
                if let Some(s) = obj(t, &["spec"]) {
                    set(s, "volumeMode", json!("Filesystem"));
                }
            }
        }
        _ => {
            set(spec, "updateStrategy", json!({}));
            set(&mut spec["updateStrategy"], "type", json!("RollingUpdate"));
            if spec["updateStrategy"]["type"] == "RollingUpdate" {
                let s = &mut spec["updateStrategy"];
                set(s, "rollingUpdate", json!({}));
                set(&mut s["rollingUpdate"], "maxSurge", json!(0));
                set(&mut s["rollingUpdate"], "maxUnavailable", json!(1));
            }
        }
    }
    if let Some(p) = obj(spec, &["template", "spec"]) {
        pod(p);
    }
}

fn job(spec: &mut Value) {
    set(spec, "backoffLimit", json!(6));
    set(spec, "completions", json!(1));
    set(spec, "parallelism", json!(1));
    set(spec, "completionMode", json!("NonIndexed"));
    set(spec, "suspend", json!(false));
    set(spec, "manualSelector", json!(false));
    set(spec, "podReplacementPolicy", json!("TerminatingOrFailed"));
    if let Some(p) = obj(spec, &["template", "spec"]) {
        // A Job's pods are never restarted in place by default.
        set(p, "restartPolicy", json!("Never"));
        pod(p);
    }
}

fn service(spec: &mut Value) {
    set(spec, "type", json!("ClusterIP"));
    set(spec, "sessionAffinity", json!("None"));
    let kind = spec["type"].as_str().unwrap_or_default().to_string();
    if kind != "ExternalName" {
        set(spec, "internalTrafficPolicy", json!("Cluster"));
    }
    for p in spec["ports"].as_array_mut().into_iter().flatten() {
        set(p, "protocol", json!("TCP"));
        let port = p["port"].clone();
        set(p, "targetPort", port);
    }
    if kind == "NodePort" || kind == "LoadBalancer" {
        set(spec, "externalTrafficPolicy", json!("Cluster"));
    }
    if kind == "LoadBalancer" {
        set(spec, "allocateLoadBalancerNodePorts", json!(true));
    }
}

/// 3. What the cluster allocates: dropped from its copy wherever the build does not fix it.
pub fn allocated(live: &mut Value, expected: &Value) {
    let kind = live["kind"].as_str().unwrap_or_default().to_string();
    let says = |path: &[&str]| {
        let mut cur = expected;
        for p in path {
            match cur.get(*p) {
                Some(v) => cur = v,
                None => return false,
            }
        }
        true
    };
    match kind.as_str() {
        "Service" => {
            for k in [
                "clusterIP",
                "clusterIPs",
                "ipFamilies",
                "ipFamilyPolicy",
                "healthCheckNodePort",
            ] {
                if !says(&["spec", k]) {
                    remove(live, &["spec"], k);
                }
            }
            let fixed: Vec<Value> = expected["spec"]["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p.get("nodePort").is_some())
                .map(|p| p["port"].clone())
                .collect();
            for p in live["spec"]["ports"].as_array_mut().into_iter().flatten() {
                if !fixed.contains(&p["port"])
                    && let Some(m) = p.as_object_mut()
                {
                    m.remove("nodePort");
                }
            }
        }
        "PersistentVolumeClaim" => {
            remove(live, &["spec"], "volumeName");
            if !says(&["spec", "storageClassName"]) {
                remove(live, &["spec"], "storageClassName");
            }
        }
        "Job" if !says(&["spec", "selector"]) => remove(live, &["spec"], "selector"),
        "HorizontalPodAutoscaler" if !says(&["spec", "behavior"]) => {
            remove(live, &["spec"], "behavior");
        }
        "StatefulSet" => {
            for (i, t) in live["spec"]["volumeClaimTemplates"]
                .as_array_mut()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let fixes = expected["spec"]["volumeClaimTemplates"][i]["spec"]
                    .get("storageClassName")
                    .is_some();
                if !fixes {
                    remove(t, &["spec"], "storageClassName");
                }
            }
        }
        _ => {}
    }
}
