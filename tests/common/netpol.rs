//! A NetworkPolicy evaluator over emitted YAML (as JSON values), written from the Kubernetes
//! NetworkPolicy semantics independently of the compiler's `emit::workload`: which actor may
//! open a TCP connection to which pod port. Strict where implementations differ: an `ipBlock`
//! also matches pods whose address lies inside it (Calico's reading), so `0.0.0.0/0` admits
//! every pod.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use serde_json::Value;

use super::pss;

/// Something that opens connections: a pod (namespace and labels) or a bare address.
#[derive(Debug, Clone)]
pub struct Actor {
    pub name: String,
    /// The pod's namespace; `None` for an address outside the pod network (a node, a client).
    pub namespace: Option<String>,
    pub labels: Value,
    pub ip: Ipv4Addr,
    /// A pod the output itself runs: its egress is governed by the output's policies.
    pub emitted: bool,
}

impl Actor {
    pub fn pod(name: &str, ns: &str, labels: Value, ip: Ipv4Addr) -> Actor {
        Actor {
            name: name.to_string(),
            namespace: Some(ns.to_string()),
            labels,
            ip,
            emitted: false,
        }
    }

    pub fn address(name: &str, ip: Ipv4Addr) -> Actor {
        Actor {
            name: name.to_string(),
            namespace: None,
            labels: Value::Null,
            ip,
            emitted: false,
        }
    }
}

/// The pods of the emitted workloads, each at its own address in 10.244.0.0/16, with the
/// container ports it listens on.
pub fn emitted_pods(objects: &[Value]) -> Vec<(Actor, Vec<(i64, String)>)> {
    objects
        .iter()
        .filter_map(|o| {
            let (meta, spec) = pss::pod_of(o)?;
            let ports = spec["containers"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|c| c["ports"].as_array().into_iter().flatten())
                .map(|p| {
                    (
                        p["containerPort"].as_i64().unwrap(),
                        p["name"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            Some((o, meta.clone(), ports))
        })
        .enumerate()
        .map(|(i, (o, meta, ports))| {
            let i = u16::try_from(i).unwrap() + 10;
            let mut actor = Actor::pod(
                o["metadata"]["name"].as_str().unwrap(),
                o["metadata"]["namespace"].as_str().unwrap(),
                meta["labels"].clone(),
                Ipv4Addr::new(10, 244, (i >> 8) as u8, (i & 0xff) as u8),
            );
            actor.emitted = true;
            (actor, ports)
        })
        .collect()
}

fn selects(selector: &Value, labels: &Value) -> bool {
    assert!(
        selector.get("matchExpressions").is_none(),
        "the evaluator reads matchLabels only: {selector}"
    );
    match selector.get("matchLabels").and_then(Value::as_object) {
        None => true, // `{}` selects everything
        Some(m) => m.iter().all(|(k, v)| &labels[k] == v),
    }
}

fn in_cidr(ip: Ipv4Addr, cidr: &str) -> bool {
    let (net, len) = cidr.split_once('/').unwrap();
    let Ok(net) = net.parse::<Ipv4Addr>() else {
        return false; // an IPv6 block never holds these IPv4 actors
    };
    let len: u32 = len.parse().unwrap();
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    u32::from(ip) & mask == u32::from(net) & mask
}

/// Whether one `from`/`to` peer matches `actor`, for a policy in `policy_ns`.
fn peer_matches(peer: &Value, actor: &Actor, policy_ns: &str) -> bool {
    if let Some(block) = peer.get("ipBlock") {
        let except = block["except"].as_array().into_iter().flatten();
        return in_cidr(actor.ip, block["cidr"].as_str().unwrap())
            && !except
                .into_iter()
                .any(|e| in_cidr(actor.ip, e.as_str().unwrap()));
    }
    let Some(ns) = &actor.namespace else {
        return false; // selectors match pods only
    };
    let ns_ok = match peer.get("namespaceSelector") {
        // Namespaces carry `kubernetes.io/metadata.name` (the API server sets it).
        Some(sel) => selects(
            sel,
            &serde_json::json!({ "kubernetes.io/metadata.name": ns }),
        ),
        None => ns == policy_ns,
    };
    let pod_ok = peer
        .get("podSelector")
        .is_none_or(|sel| selects(sel, &actor.labels));
    ns_ok && pod_ok
}

fn port_matches(rule: &Value, port: i64, port_name: &str) -> bool {
    match rule["ports"].as_array() {
        None => true,
        Some(ports) if ports.is_empty() => true,
        Some(ports) => ports.iter().any(|p| {
            p["protocol"].as_str().unwrap_or("TCP") == "TCP"
                && match &p["port"] {
                    Value::Null => true,
                    Value::Number(n) => n.as_i64() == Some(port),
                    Value::String(s) => s == port_name,
                    other => panic!("port {other}"),
                }
        }),
    }
}

fn policies(objects: &[Value]) -> impl Iterator<Item = &Value> {
    objects.iter().filter(|o| o["kind"] == "NetworkPolicy")
}

fn has_type(np: &Value, kind: &str) -> bool {
    np["spec"]["policyTypes"]
        .as_array()
        .is_some_and(|t| t.iter().any(|x| x == kind))
}

/// Whether the policies let `from` open a TCP connection to `to` on `port`.
fn allowed(objects: &[Value], from: &Actor, to: &Actor, port: i64, port_name: &str) -> bool {
    let to_ns = to.namespace.as_deref().unwrap();
    let ingress: Vec<&Value> = policies(objects)
        .filter(|np| {
            np["metadata"]["namespace"] == to_ns
                && has_type(np, "Ingress")
                && selects(&np["spec"]["podSelector"], &to.labels)
        })
        .collect();
    let admitted = ingress.is_empty()
        || ingress.iter().any(|np| {
            np["spec"]["ingress"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|rule| {
                    port_matches(rule, port, port_name)
                        && match rule["from"].as_array() {
                            None => true,
                            Some(peers) if peers.is_empty() => true,
                            Some(peers) => peers.iter().any(|p| peer_matches(p, from, to_ns)),
                        }
                })
        });
    if !admitted {
        return false;
    }
    if !from.emitted {
        return true;
    }
    let from_ns = from.namespace.as_deref().unwrap();
    let egress: Vec<&Value> = policies(objects)
        .filter(|np| {
            np["metadata"]["namespace"] == from_ns
                && has_type(np, "Egress")
                && selects(&np["spec"]["podSelector"], &from.labels)
        })
        .collect();
    egress.is_empty()
        || egress.iter().any(|np| {
            np["spec"]["egress"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|rule| {
                    port_matches(rule, port, port_name)
                        && match rule["to"].as_array() {
                            None => true,
                            Some(peers) if peers.is_empty() => true,
                            Some(peers) => peers.iter().any(|p| peer_matches(p, to, from_ns)),
                        }
                })
        })
}

/// Every (actor, pod, port) connection the policies allow, between distinct actors: the
/// emitted pods and `others`, towards every port an emitted pod listens on.
pub fn connections(objects: &[Value], others: &[Actor]) -> BTreeSet<(String, String, i64)> {
    let pods = emitted_pods(objects);
    let actors: Vec<&Actor> = pods.iter().map(|(a, _)| a).chain(others).collect();
    let mut out = BTreeSet::new();
    for (to, ports) in &pods {
        for from in &actors {
            if from.name == to.name {
                continue;
            }
            for (port, name) in ports {
                if allowed(objects, from, to, *port, name) {
                    out.insert((from.name.clone(), to.name.clone(), *port));
                }
            }
        }
    }
    out
}

/// Whether an address lies in a CIDR (for the expectations).
pub fn contains(cidr: &str, ip: Ipv4Addr) -> bool {
    in_cidr(ip, cidr)
}
