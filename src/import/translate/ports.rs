//! Ports and how they are reached: each container port with what the main Service does with
//! it (Service port, NodePort, scheme, Service type), the Ingress routes to it, its metrics.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Seen, Workload};
use crate::diagnostic::Finding;
use crate::import::index::{Input, Svc};
use crate::import::kdl_out::{Block, quote};
use crate::import::operations;
use crate::model::is_iana_port_name;

/// A Service port's target number: its `targetPort`, else its `port`.
fn target(sp: &Value) -> Option<i64> {
    sp["targetPort"].as_i64().or_else(|| {
        sp["targetPort"]
            .is_null()
            .then(|| sp["port"].as_i64())
            .flatten()
    })
}

/// `p8080` for an unnamed port: an IANA name needs a letter.
fn port_name(c: &Value, number: i64) -> String {
    c["name"]
        .as_str()
        .map_or_else(|| format!("p{number}"), str::to_string)
}

/// The container's ports, each named as the input names it: its own name, else the name of
/// the Service port that targets it (meshes read the protocol from that name), else none. A
/// container that declares no port gets the ports its Service targets — a pod serves on
/// them whether or not it lists them, and another pod may address them.
fn declared_ports(c: &Value, svc_ports: &[&Value]) -> Vec<Value> {
    let own: Vec<Value> = c["ports"].as_array().cloned().unwrap_or_default();
    if own.is_empty() {
        let mut seen = BTreeSet::new();
        return svc_ports
            .iter()
            .filter_map(|sp| {
                let n = target(sp)?;
                seen.insert(n).then(|| {
                    let mut p = serde_json::json!({"containerPort": n});
                    if let Some(name) = sp["name"].as_str().filter(|n| is_iana_port_name(n)) {
                        p["name"] = Value::from(name);
                    }
                    p
                })
            })
            .collect();
    }
    own.into_iter()
        .map(|mut p| {
            if p["name"].is_null()
                && let Some(name) = svc_ports
                    .iter()
                    .find(|sp| target(sp).is_some() && target(sp) == p["containerPort"].as_i64())
                    .and_then(|sp| sp["name"].as_str())
                    .filter(|n| is_iana_port_name(n))
            {
                p["name"] = Value::from(name);
            }
            p
        })
        .collect()
}

/// The `port` lines and the Service type; returns the spec's port names by number.
pub(super) fn ports(
    b: &mut Block,
    input: &Input,
    w: &Workload,
    svc: Option<&Svc>,
    seen: &mut Seen,
    findings: &mut Vec<Finding>,
) -> BTreeMap<i64, String> {
    let svc_ports: Vec<&Value> = svc.map(Svc::ports).unwrap_or_default();
    let mut names_by_number: BTreeMap<i64, String> = BTreeMap::new();
    let mut published = Vec::new();
    for p in &declared_ports(w.container, &svc_ports) {
        let Some(n) = p["containerPort"].as_i64() else {
            continue;
        };
        let pname = port_name(p, n);
        names_by_number.insert(n, pname.clone());
        let mut line = format!("port {pname} {n}");
        let targets = |sp: &&&Value| {
            sp["targetPort"].as_i64() == Some(n)
                || sp["targetPort"].as_str() == Some(pname.as_str())
        };
        let service_port = svc.map(|_| {
            svc_ports
                .iter()
                .find(targets)
                .and_then(|sp| sp["port"].as_i64())
                .unwrap_or(n)
        });
        if let Some(scheme) = input.address_scheme(w.name, service_port) {
            line.push_str(&format!(" scheme={}", quote(&scheme)));
        }
        let exposed = svc_ports.iter().find(|sp| {
            targets(sp) || (sp["targetPort"].is_null() && sp["port"].as_i64() == Some(n))
        });
        if let Some(sp) = exposed {
            if let Some(sport) = sp["port"].as_i64().filter(|sp| *sp != n) {
                line.push_str(&format!(" service-port={sport}"));
            }
            if let Some(np) = sp["nodePort"].as_i64() {
                line.push_str(&format!(" node-port={np}"));
            }
            let load_balancer =
                svc.is_some_and(|sv| sv.doc.value["spec"]["type"] == "LoadBalancer");
            if sp["nodePort"].is_i64() || load_balancer {
                published.push(n);
            }
        }
        b.line(line);
    }
    if !published.is_empty() {
        seen.node_peers.push(operations::ip_block_peers(
            input.values(),
            w.name,
            w.namespace,
            &published,
        ));
    }
    if let Some(svc) = svc {
        drift(input, w, svc, &svc_ports, findings);
        match svc.doc.value["spec"]["type"].as_str() {
            Some("LoadBalancer") => b.line("service-type \"LoadBalancer\"".to_string()),
            _ if svc.doc.value["spec"]["clusterIP"] == "None" => {
                b.line("service-type \"Headless\"".to_string())
            }
            _ => {}
        }
    }
    names_by_number
}

/// A Service port targeting a number the container does not declare: drift.
fn drift(
    input: &Input,
    w: &Workload,
    svc: &Svc,
    svc_ports: &[&Value],
    findings: &mut Vec<Finding>,
) {
    let declared = w.container["ports"].as_array();
    for sp in svc_ports {
        if let Some(t) = sp["targetPort"].as_i64()
            && !declared.is_some_and(|ps| ps.iter().any(|p| p["containerPort"].as_i64() == Some(t)))
            && declared.is_some_and(|ps| !ps.is_empty())
        {
            findings.push(input.at(
                svc.doc,
                format!(
                    "Service `{}` targets port {t}, which `{}` does not declare",
                    svc.name, w.name
                ),
                "the same service's port, given differently",
            ));
        }
    }
}

/// The `ingress` lines of every Ingress routing to the main Service.
pub(super) fn ingress(
    b: &mut Block,
    input: &Input,
    w: &Workload,
    svc: &Svc,
    names_by_number: &BTreeMap<i64, String>,
    seen: &mut Seen,
) {
    let by_service_port: BTreeMap<i64, String> = svc
        .ports()
        .iter()
        .filter_map(|sp| Some((sp["port"].as_i64()?, sp["name"].as_str()?.to_string())))
        .collect();
    for (port, line) in
        operations::ingress_lines(input.values(), svc.name, svc.namespace, &by_service_port)
    {
        if let Some((n, _)) = names_by_number.iter().find(|(_, v)| **v == port) {
            seen.controller_peers.push(operations::namespace_peers(
                input.values(),
                w.name,
                w.namespace,
                *n,
            ));
        }
        seen.routed = true;
        b.line(line);
    }
}

/// The `metrics` line (a ServiceMonitor, else `prometheus.io/*` annotations); returns whether
/// the annotations say it (they are then not repeated as `annotation`).
pub(super) fn metrics(
    b: &mut Block,
    input: &Input,
    w: &Workload,
    svc: Option<&Svc>,
    names_by_number: &BTreeMap<i64, String>,
    seen: &mut Seen,
) -> bool {
    let pod_annotations = &w.template["metadata"]["annotations"];
    let metrics = operations::metrics_line(
        input.values(),
        svc.map_or(&Value::Null, |sv| &sv.doc.value["metadata"]["labels"]),
        w.namespace,
        pod_annotations,
        names_by_number,
    );
    let by_annotation = matches!(metrics, Some((_, true, _)));
    if let Some((_, false, port)) = &metrics
        && let Some((n, _)) = names_by_number.iter().find(|(_, v)| *v == port)
    {
        seen.operator_scraped = true;
        seen.scraper_peers.push(operations::scrape_peers(
            input.values(),
            w.name,
            w.namespace,
            *n,
        ));
    }
    if let Some((line, annotated, _)) = metrics {
        if annotated
            && let Some(n) = pod_annotations["prometheus.io/port"]
                .as_str()
                .and_then(|p| p.parse().ok())
        {
            seen.annotation_scraped.push((w.name.to_string(), n));
        }
        b.line(line);
    }
    by_annotation
}
