//! MC502: what the API server's validation refuses in a pod template although the OpenAPI
//! schema (and so `kubernetes-validate`) accepts it — the checks of `ValidatePodSpec` and the
//! workload validators that schema validators skip. Each is a plain rule over typed objects.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Container, PodTemplateSpec, Probe};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::model as names;
use crate::spec::quantity;

const LABEL_NAME: &str = "is not a DNS-1123 label (at most 63 lowercase letters, digits and `-`, alphanumeric at each end)";

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
    /// The workload's kind and name, for the name's length.
    pub kind: &'a str,
    pub name: Option<&'a str>,
}

/// The longest name the API server (or the controller that names the pods) accepts for a
/// workload of `kind`, and why: a name reaches a label value (at most 63 characters).
fn max_name(kind: &str) -> (usize, &'static str) {
    match kind {
        // The Job controller's suffix and the `batch.kubernetes.io/job-name` label.
        "CronJob" => (
            52,
            "its Jobs are named `<name>-<time>` (11 more characters, 63 at most)",
        ),
        "Job" => (
            63,
            "its pods carry it in the `batch.kubernetes.io/job-name` label",
        ),
        "StatefulSet" => (
            52,
            "its pods carry `<name>-<hash>` in the `controller-revision-hash` label (63 at most)",
        ),
        _ => (253, "object names are DNS subdomains"),
    }
}

/// Every refusal of a workload's pod template.
pub fn refusals(w: Workload<'_>, t: &PodTemplateSpec) -> Vec<Refusal> {
    let selector = w.selector;
    let mut out = Vec::new();
    let mut push = |field: String, why: String| out.push(Refusal { field, why });
    if let Some(name) = w.name {
        let (max, why) = max_name(w.kind);
        if name.len() > max {
            push(
                "metadata.name".into(),
                format!(
                    "must be no more than {max} characters ({} here): {why}",
                    name.len()
                ),
            );
        }
    }
    for (k, v) in t
        .metadata
        .as_ref()
        .and_then(|m| m.labels.as_ref())
        .into_iter()
        .flatten()
    {
        if !names::is_qualified_name(k) {
            push(
                format!("metadata.labels['{k}']"),
                "is not a valid label key".into(),
            );
        }
        if !names::is_label_value(v) {
            push(
                format!("metadata.labels['{k}']"),
                "is not a valid label value (at most 63 characters, alphanumeric at each end)"
                    .into(),
            );
        }
    }
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
    for v in volumes.iter().filter(|v| !names::is_dns1123_label(v)) {
        push(format!("spec.volumes[{v}]"), LABEL_NAME.into());
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
        if !names::is_dns1123_label(&c.name) {
            push(format!("{at}.name"), LABEL_NAME.into());
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
        if let Some(n) = p.name.as_ref().filter(|n| !names::is_iana_port_name(n)) {
            push(
                format!("{at}.ports[{n}]"),
                "is not a port name (at most 15 lowercase letters, digits and `-`, with a letter)"
                    .into(),
            );
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
                ..Default::default()
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
            kind: "CronJob",
            name: Some(&"n".repeat(52)),
            ..Default::default()
        };
        assert!(refusals(w, &fine).is_empty());
    }

    #[test]
    fn names_longer_than_their_uses_allow_are_refused() {
        let t = template(
            "metadata: {labels: {team: \"-x\"}}
spec:
  volumes: [{name: Data, emptyDir: {}}]
  containers:
    - name: a_b
      image: x
      ports: [{name: metrics-endpoint, containerPort: 1}]
",
        );
        let long = "n".repeat(53);
        let fields: Vec<String> = refusals(
            Workload {
                kind: "CronJob",
                name: Some(&long),
                ..Default::default()
            },
            &t,
        )
        .into_iter()
        .map(|r| r.field)
        .collect();
        assert_eq!(
            fields,
            [
                "metadata.name",
                "metadata.labels['team']",
                "spec.volumes[Data]",
                "spec.containers[a_b].name",
                "spec.containers[a_b].ports[metrics-endpoint]"
            ]
        );
        // 53 characters is a fine Deployment name.
        let name = "n".repeat(53);
        let w = Workload {
            kind: "Deployment",
            name: Some(&name),
            ..Default::default()
        };
        assert!(refusals(w, &template("spec: {containers: [{name: a, image: x}]}")).is_empty());
    }
}
