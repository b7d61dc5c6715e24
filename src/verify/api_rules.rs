//! MC502: what the API server's validation refuses in a pod template although the OpenAPI
//! schema (and so `kubernetes-validate`) accepts it — the checks of `ValidatePodSpec` and the
//! workload validators that schema validators skip. Each is a plain rule over typed objects.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Container, PodTemplateSpec, Probe};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::spec::quantity;

/// One thing the API server would refuse: the field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: String,
    pub why: String,
}

/// The workload around a pod template, as far as the pod's validity depends on it.
#[derive(Debug, Default, Clone)]
pub struct Workload<'a> {
    /// The selector the template's labels must match (none for Jobs).
    pub selector: Option<&'a LabelSelector>,
    /// A StatefulSet's claim templates: volumes the controller adds to each pod.
    pub claims: Vec<&'a str>,
}

/// Every refusal of a workload's pod template.
pub fn refusals(w: Workload<'_>, t: &PodTemplateSpec) -> Vec<Refusal> {
    let selector = w.selector;
    let mut out = Vec::new();
    let mut push = |field: String, why: String| out.push(Refusal { field, why });
    if let Some(sel) = selector {
        let labels = t.metadata.as_ref().and_then(|m| m.labels.as_ref());
        for (k, v) in sel.match_labels.iter().flatten() {
            if labels.and_then(|l| l.get(k)) != Some(v) {
                push(
                    format!("spec.selector.matchLabels['{k}']"),
                    "`selector` does not match template `labels`".into(),
                );
            }
        }
    }
    let Some(spec) = &t.spec else { return out };
    let mut volumes: BTreeSet<&str> = spec
        .volumes
        .iter()
        .flatten()
        .map(|v| v.name.as_str())
        .collect();
    if volumes.len() != spec.volumes.as_ref().map_or(0, Vec::len) {
        push("spec.volumes".into(), "duplicate volume name".into());
    }
    volumes.extend(w.claims.iter().copied());
    let mut names = BTreeSet::new();
    let all = spec.containers.iter().map(|c| ("containers", c)).chain(
        spec.init_containers
            .iter()
            .flatten()
            .map(|c| ("initContainers", c)),
    );
    for (list, c) in all {
        let at = format!("spec.{list}[{}]", c.name);
        if !names.insert(c.name.as_str()) {
            push(at.clone(), "duplicate container name".into());
        }
        container(c, &at, &volumes, &mut push);
    }
    out
}

fn container(
    c: &Container,
    at: &str,
    volumes: &BTreeSet<&str>,
    push: &mut impl FnMut(String, String),
) {
    let mut ports = BTreeSet::new();
    for p in c.ports.iter().flatten() {
        if let Some(n) = &p.name
            && !ports.insert(n.as_str())
        {
            push(format!("{at}.ports[{n}]"), "duplicate port name".into());
        }
    }
    let mut paths = BTreeSet::new();
    for m in c.volume_mounts.iter().flatten() {
        if !volumes.contains(m.name.as_str()) {
            push(
                format!("{at}.volumeMounts[{}]", m.mount_path),
                format!("mounts volume `{}`, which the pod does not declare", m.name),
            );
        }
        if !paths.insert(m.mount_path.as_str()) {
            push(
                format!("{at}.volumeMounts[{}]", m.mount_path),
                "must be unique".into(),
            );
        }
    }
    if let Some(r) = &c.resources {
        for (name, request) in r.requests.iter().flatten() {
            if let Some(limit) = r.limits.as_ref().and_then(|l| l.get(name))
                && quantity::exceeds(&request.0, &limit.0)
            {
                push(
                    format!("{at}.resources.requests.{name}"),
                    format!("must be less than or equal to {name} limit of {}", limit.0),
                );
            }
        }
    }
    for (kind, probe) in [
        ("livenessProbe", &c.liveness_probe),
        ("readinessProbe", &c.readiness_probe),
        ("startupProbe", &c.startup_probe),
    ] {
        if let Some(p) = probe {
            let handlers = handlers(p);
            if handlers != 1 {
                push(
                    format!("{at}.{kind}"),
                    format!("must have exactly one handler, found {handlers}"),
                );
            }
        }
    }
}

fn handlers(p: &Probe) -> usize {
    usize::from(p.exec.is_some())
        + usize::from(p.http_get.is_some())
        + usize::from(p.tcp_socket.is_some())
        + usize::from(p.grpc.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(yaml: &str) -> PodTemplateSpec {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn refuses_what_the_api_server_refuses() {
        let t = template(
            "metadata: {labels: {app: a}}
spec:
  containers:
    - name: a
      image: x
      ports: [{name: http, containerPort: 1}, {name: http, containerPort: 2}]
      volumeMounts: [{name: data, mountPath: /d}]
      resources: {requests: {memory: 128Mi}, limits: {memory: 20Mi}}
      livenessProbe: {exec: {command: [x]}, tcpSocket: {port: 1}}
    - name: a
      image: y
",
        );
        let sel = LabelSelector {
            match_labels: Some([("app".to_string(), "b".to_string())].into()),
            ..Default::default()
        };
        let why: Vec<String> = refusals(
            Workload {
                selector: Some(&sel),
                claims: Vec::new(),
            },
            &t,
        )
        .into_iter()
        .map(|r| r.why)
        .collect();
        assert_eq!(why.len(), 6, "{why:?}");
        let fine = template(
            "metadata: {labels: {app: a}}
spec:
  volumes: [{name: data, emptyDir: {}}]
  containers:
    - name: a
      image: x
      volumeMounts: [{name: data, mountPath: /d}]
      resources: {requests: {memory: 20Mi}, limits: {memory: 20Mi}}
",
        );
        let sel = LabelSelector {
            match_labels: Some([("app".to_string(), "a".to_string())].into()),
            ..Default::default()
        };
        let w = Workload {
            selector: Some(&sel),
            claims: Vec::new(),
        };
        assert!(refusals(w, &fine).is_empty());
    }
}
