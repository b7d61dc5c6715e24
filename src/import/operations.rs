//! Import of the production objects maestroc's `ingress`, `metrics` and `autoscale` say:
//! Ingress routes, ServiceMonitors, `prometheus.io/*` pod annotations and
//! HorizontalPodAutoscalers. PodDisruptionBudgets need no line: maestroc derives them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::kdl_out::quote;

/// The `ingress …` lines for the Service `service` in `namespace`, from every Ingress whose
/// backend is it. `port_names` maps a Service port number to the port's name in the spec.
pub(super) fn ingress_lines<'a>(
    docs: impl Iterator<Item = &'a Value>,
    service: &str,
    namespace: &str,
    port_names: &BTreeMap<i64, String>,
) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    for ing in docs.filter(|d| d["kind"] == "Ingress") {
        if ing["metadata"]["namespace"].as_str().unwrap_or("default") != namespace {
            continue;
        }
        let spec = &ing["spec"];
        let class = spec["ingressClassName"].as_str();
        for rule in spec["rules"].as_array().into_iter().flatten() {
            let host = rule["host"].as_str();
            for path in rule["http"]["paths"].as_array().into_iter().flatten() {
                let backend = &path["backend"]["service"];
                if backend["name"] != service {
                    continue;
                }
                let port = match (&backend["port"]["name"], &backend["port"]["number"]) {
                    (Value::String(n), _) => Some(n.clone()),
                    (_, n) => n.as_i64().and_then(|n| port_names.get(&n).cloned()),
                };
                let Some(port) = port else { continue };
                let mut line = format!("ingress port={}", quote(&port));
                let port = port.clone();
                if let Some(h) = host {
                    line.push_str(&format!(" host={}", quote(h)));
                }
                if let Some(p) = path["path"].as_str().filter(|p| *p != "/") {
                    line.push_str(&format!(" path={}", quote(p)));
                }
                if let Some(c) = class {
                    line.push_str(&format!(" class={}", quote(c)));
                }
                let tls = spec["tls"].as_array().into_iter().flatten().find(|t| {
                    t["hosts"]
                        .as_array()
                        .is_some_and(|hs| hs.iter().any(|x| x.as_str() == host))
                });
                if let Some(secret) = tls.and_then(|t| t["secretName"].as_str()) {
                    line.push_str(&format!(" tls-secret={}", quote(secret)));
                }
                lines.push((port, line));
            }
        }
    }
    lines
}

/// `metrics …` from a ServiceMonitor selecting the service's labels, else from the pod's
/// `prometheus.io/*` annotations (then `true` in the second place: the platform scrapes by
/// annotation).
pub(super) fn metrics_line<'a>(
    mut docs: impl Iterator<Item = &'a Value>,
    service_labels: &Value,
    namespace: &str,
    pod_annotations: &Value,
    names_by_number: &BTreeMap<i64, String>,
) -> Option<(String, bool, String)> {
    let monitor = docs.find(|d| {
        d["kind"] == "ServiceMonitor"
            && d["metadata"]["namespace"].as_str().unwrap_or("default") == namespace
            && d["spec"]["selector"]["matchLabels"]
                .as_object()
                .is_some_and(|m| !m.is_empty() && m.iter().all(|(k, v)| &service_labels[k] == v))
    });
    if let Some(m) = monitor {
        let e = &m["spec"]["endpoints"][0];
        let port = e["port"].as_str()?;
        let mut line = format!("metrics port={}", quote(port));
        if let Some(p) = e["path"].as_str().filter(|p| *p != "/metrics") {
            line.push_str(&format!(" path={}", quote(p)));
        }
        if let Some(i) = e["interval"].as_str() {
            line.push_str(&format!(" interval={}", quote(i)));
        }
        return Some((line, false, port.to_string()));
    }
    if pod_annotations["prometheus.io/scrape"] != "true" {
        return None;
    }
    let number: i64 = pod_annotations["prometheus.io/port"]
        .as_str()?
        .parse()
        .ok()?;
    let port = names_by_number.get(&number)?;
    let mut line = format!("metrics port={}", quote(port));
    if let Some(p) = pod_annotations["prometheus.io/path"]
        .as_str()
        .filter(|p| *p != "/metrics")
    {
        line.push_str(&format!(" path={}", quote(p)));
    }
    Some((line, true, port.clone()))
}

/// Whether a pod annotation is one `metrics_line` turned into the spec's `metrics`.
pub(super) fn is_scrape_annotation(key: &str) -> bool {
    matches!(
        key,
        "prometheus.io/scrape" | "prometheus.io/port" | "prometheus.io/path"
    )
}

/// `autoscale …` from a HorizontalPodAutoscaler over the workload `kind`/`name`.
pub(super) fn autoscale_line<'a>(
    mut docs: impl Iterator<Item = &'a Value>,
    kind: &str,
    name: &str,
    namespace: &str,
) -> Option<String> {
    let hpa = docs.find(|d| {
        d["kind"] == "HorizontalPodAutoscaler"
            && d["metadata"]["namespace"].as_str().unwrap_or("default") == namespace
            && d["spec"]["scaleTargetRef"]["kind"] == kind
            && d["spec"]["scaleTargetRef"]["name"] == name
    })?;
    let spec = &hpa["spec"];
    let mut line = format!(
        "autoscale min={} max={}",
        spec["minReplicas"].as_i64().unwrap_or(1),
        spec["maxReplicas"].as_i64()?
    );
    for m in spec["metrics"].as_array().into_iter().flatten() {
        let r = &m["resource"];
        if let (Some(n @ ("cpu" | "memory")), Some(u)) = (
            r["name"].as_str(),
            r["target"]["averageUtilization"].as_i64(),
        ) {
            line.push_str(&format!(" {n}={u}"));
        }
    }
    Some(line)
}

/// The service whose pods every scraped workload's NetworkPolicy admits on exactly its
/// metrics port: the scraper a `prometheus "annotations" service=…` names. A dependent admitted
/// on the same single port is told apart by not being admitted everywhere.
pub(super) fn scraper<'a>(
    docs: impl Iterator<Item = &'a Value> + Clone,
    metrics_ports: &[(String, i64)],
) -> Option<String> {
    let mut common: Option<std::collections::BTreeSet<String>> = None;
    for (workload, port) in metrics_ports {
        let peers: std::collections::BTreeSet<String> = docs
            .clone()
            .filter(|np| {
                np["kind"] == "NetworkPolicy" && np["metadata"]["name"] == workload.as_str()
            })
            .flat_map(|np| np["spec"]["ingress"].as_array().into_iter().flatten())
            .filter(|r| {
                r["ports"]
                    .as_array()
                    .is_some_and(|ps| ps.len() == 1 && ps[0]["port"].as_i64() == Some(*port))
            })
            .flat_map(|r| r["from"].as_array().into_iter().flatten())
            .filter_map(|peer| {
                peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                    .as_str()
                    .map(str::to_string)
            })
            .collect();
        common = Some(match common {
            None => peers,
            Some(c) => c.intersection(&peers).cloned().collect(),
        });
    }
    common.and_then(|c| (c.len() == 1).then(|| c.into_iter().next()).flatten())
}

/// The namespaces a NetworkPolicy of `workload` admits as a whole (a namespace selector and
/// no pod selector) on container port `port`: the ingress controller's on a routed port, the
/// Prometheus operator's on a metrics port.
pub(super) fn namespace_peers<'a>(
    docs: impl Iterator<Item = &'a Value>,
    workload: &str,
    namespace: &str,
    port: i64,
) -> std::collections::BTreeSet<String> {
    docs.filter(|d| {
        d["kind"] == "NetworkPolicy"
            && d["metadata"]["name"] == workload
            && d["metadata"]["namespace"].as_str().unwrap_or("default") == namespace
    })
    .flat_map(|np| np["spec"]["ingress"].as_array().into_iter().flatten())
    .filter(|r| {
        r["ports"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["port"].as_i64() == Some(port)))
    })
    .flat_map(|r| r["from"].as_array().into_iter().flatten())
    .filter(|peer| peer.get("podSelector").is_none())
    .filter_map(|peer| {
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            .as_str()
            .map(str::to_string)
    })
    .collect()
}

/// The peers a NetworkPolicy of `workload` admits on exactly its metrics port `port` by
/// namespace: `(namespace, Some("key=value"))` for a pod selector of one label (the Prometheus
/// pods), `(namespace, None)` for the whole namespace.
pub(super) fn scrape_peers<'a>(
    docs: impl Iterator<Item = &'a Value>,
    workload: &str,
    namespace: &str,
    port: i64,
) -> BTreeSet<(String, Option<String>)> {
    docs.filter(|d| {
        d["kind"] == "NetworkPolicy"
            && d["metadata"]["name"] == workload
            && d["metadata"]["namespace"].as_str().unwrap_or("default") == namespace
    })
    .flat_map(|np| np["spec"]["ingress"].as_array().into_iter().flatten())
    .filter(|r| {
        r["ports"]
            .as_array()
            .is_some_and(|ps| ps.len() == 1 && ps[0]["port"].as_i64() == Some(port))
    })
    .flat_map(|r| r["from"].as_array().into_iter().flatten())
    .filter_map(|peer| {
        let ns =
            peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"].as_str()?;
        let label = match peer.get("podSelector") {
            None => None,
            Some(sel) => {
                let labels = sel["matchLabels"].as_object()?;
                let [(k, v)] = labels.iter().collect::<Vec<_>>()[..] else {
                    return None; // a spec service's selector: a dependent, not the scraper
                };
                Some(format!("{k}={}", v.as_str()?))
            }
        };
        Some((ns.to_string(), label))
    })
    .collect()
}

/// `prometheus "operator" …` when the scraper every metrics port admits is not the default
/// (the operator's pods in `monitoring`).
pub(super) fn operator_line(peers: &[BTreeSet<(String, Option<String>)>]) -> Option<String> {
    let mut it = peers.iter();
    let first = it.next()?.clone();
    let all: Vec<_> = it
        .fold(first, |acc, s| acc.intersection(s).cloned().collect())
        .into_iter()
        .collect();
    let [(ns, label)] = &all[..] else {
        return None;
    };
    let (dk, dv) = crate::model::Prometheus::DEFAULT_POD_LABEL;
    let mut line = "prometheus \"operator\"".to_string();
    if ns != crate::model::Prometheus::DEFAULT_NAMESPACE {
        line.push_str(&format!(" namespace={}", quote(ns)));
    }
    match label {
        Some(l) if *l != format!("{dk}={dv}") => {
            line.push_str(&format!(" pod-label={}", quote(l)));
        }
        _ => {}
    }
    (line != "prometheus \"operator\"").then_some(line)
}

/// The CIDRs a NetworkPolicy of `workload` admits by `ipBlock` (without exceptions) on its
/// published container ports `ports`.
pub(super) fn ip_block_peers<'a>(
    docs: impl Iterator<Item = &'a Value>,
    workload: &str,
    namespace: &str,
    ports: &[i64],
) -> BTreeSet<String> {
    docs.filter(|d| {
        d["kind"] == "NetworkPolicy"
            && d["metadata"]["name"] == workload
            && d["metadata"]["namespace"].as_str().unwrap_or("default") == namespace
    })
    .flat_map(|np| np["spec"]["ingress"].as_array().into_iter().flatten())
    .filter(|r| {
        r["ports"].as_array().is_some_and(|ps| {
            ports
                .iter()
                .all(|n| ps.iter().any(|p| p["port"].as_i64() == Some(*n)))
        })
    })
    .flat_map(|r| r["from"].as_array().into_iter().flatten())
    .filter(|peer| peer["ipBlock"]["except"].is_null())
    .filter_map(|peer| peer["ipBlock"]["cidr"].as_str().map(str::to_string))
    .collect()
}

/// `node-cidr …` when every workload with a published port admits the same networks on it.
pub(super) fn node_cidr_line(peers: &[BTreeSet<String>]) -> Option<String> {
    let first = peers.first()?;
    if first.is_empty() || peers.iter().any(|s| s != first) {
        return None;
    }
    let cidrs: Vec<String> = first.iter().map(|c| quote(c)).collect();
    Some(format!("node-cidr {}", cidrs.join(" ")))
}

/// The one value every set has, if exactly one.
pub(super) fn common(sets: &[std::collections::BTreeSet<String>]) -> Option<String> {
    let mut it = sets.iter();
    let first = it.next()?.clone();
    let all = it.fold(first, |acc, s| acc.intersection(s).cloned().collect());
    (all.len() == 1).then(|| all.into_iter().next()).flatten()
}
