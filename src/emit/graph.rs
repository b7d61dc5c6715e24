//! The dependency graph as Mermaid, Graphviz DOT and JSON: for `maestroc graph` and the
//! generated ARCHITECTURE.md. An edge `a → b` means "a depends on b".

use std::collections::BTreeMap;

use serde::Serialize;

use crate::graph::DepGraph;
use crate::model::{Platform, Service};
use crate::target::Target;

/// The services shown in one view: every service, or those enabled in one environment.
pub struct View<'a> {
    pub platform: &'a Platform,
    pub graph: &'a DepGraph,
    pub target: Option<Target<'a>>,
}

impl<'a> View<'a> {
    fn shown(&self, svc: &Service) -> bool {
        self.target.is_none_or(|t| t.enabled(svc))
    }

    /// Shown services in apply order.
    fn services(&self) -> Vec<(usize, &'a Service)> {
        self.graph
            .order
            .iter()
            .map(|&i| (i, &self.platform.services[i]))
            .filter(|(_, s)| self.shown(s))
            .collect()
    }

    /// `(dependent, dependency)` pairs between shown services, in apply order then
    /// declaration order.
    fn edges(&self) -> Vec<(&'a str, &'a str)> {
        let mut edges = Vec::new();
        for (_, svc) in self.services() {
            for dep in &svc.depends_on {
                if let Some(d) = self
                    .platform
                    .services
                    .iter()
                    .find(|s| s.name.value == dep.value)
                    && self.shown(d)
                {
                    edges.push((svc.name.value.as_str(), d.name.value.as_str()));
                }
            }
        }
        edges
    }

    /// Namespace (or "external") → services in it, sorted by namespace.
    fn groups(&self) -> BTreeMap<String, Vec<&'a Service>> {
        let mut groups: BTreeMap<String, Vec<&Service>> = BTreeMap::new();
        for (_, svc) in self.services() {
            let key = if svc.is_external() {
                "external".to_string()
            } else {
                svc.namespace(self.platform).to_string()
            };
            groups.entry(key).or_default().push(svc);
        }
        groups
    }
}

/// Mermaid ids may not contain `-`; names may not contain `_`, so the mapping is reversible.
pub fn mermaid_id(name: &str) -> String {
    name.replace('-', "_")
}

fn port_summary(svc: &Service) -> String {
    svc.ports
        .iter()
        .map(|p| match &p.node_port {
            Some(np) => format!(":{} ({})", p.number.value, np.value),
            None => format!(":{}", p.number.value),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn mermaid(view: &View<'_>) -> String {
    let mut out = String::from("flowchart LR\n");
    for (group, services) in view.groups() {
        out.push_str(&format!(
            "  subgraph ns_{}[\"{group}\"]\n",
            mermaid_id(&group)
        ));
        for svc in services {
            let ports = port_summary(svc);
            let label = if ports.is_empty() {
                svc.name.value.clone()
            } else {
                format!("{}<br/>{ports}", svc.name.value)
            };
            out.push_str(&format!(
                "    {}[\"{label}\"]\n",
                mermaid_id(&svc.name.value)
            ));
        }
        out.push_str("  end\n");
    }
    for (from, to) in view.edges() {
        out.push_str(&format!("  {} --> {}\n", mermaid_id(from), mermaid_id(to)));
    }
    out
}

pub fn dot(view: &View<'_>) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut out = format!(
        "digraph {} {{\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n",
        q(&view.platform.name.value)
    );
    for (group, services) in view.groups() {
        out.push_str(&format!(
            "  subgraph {} {{\n    label={};\n",
            q(&format!("cluster_{group}")),
            q(&group)
        ));
        for svc in services {
            let ports = port_summary(svc);
            let label = if ports.is_empty() {
                svc.name.value.clone()
            } else {
                format!("{}\\n{ports}", svc.name.value)
            };
            out.push_str(&format!(
                "    {} [label=\"{label}\"];\n",
                q(&svc.name.value)
            ));
        }
        out.push_str("  }\n");
    }
    for (from, to) in view.edges() {
        out.push_str(&format!("  {} -> {};\n", q(from), q(to)));
    }
    out.push_str("}\n");
    out
}

#[derive(Serialize)]
struct JsonGraph<'a> {
    platform: &'a str,
    environment: Option<&'a str>,
    services: Vec<JsonService<'a>>,
    edges: Vec<JsonEdge<'a>>,
}

#[derive(Serialize)]
struct JsonService<'a> {
    name: &'a str,
    namespace: Option<&'a str>,
    external: Option<&'a str>,
    workload: &'static str,
    file_number: u32,
    ports: Vec<JsonPort<'a>>,
}

#[derive(Serialize)]
struct JsonPort<'a> {
    name: &'a str,
    port: u16,
    service_port: u16,
    node_port: Option<u16>,
    scheme: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonEdge<'a> {
    from: &'a str,
    to: &'a str,
}

pub fn json(view: &View<'_>) -> String {
    let g = JsonGraph {
        platform: &view.platform.name.value,
        environment: view.target.map(|t| t.name()),
        services: view
            .services()
            .into_iter()
            .map(|(i, svc)| JsonService {
                name: &svc.name.value,
                namespace: (!svc.is_external()).then(|| svc.namespace(view.platform)),
                external: svc.external.as_ref().map(|h| h.value.as_str()),
                workload: crate::model::WorkloadKind::ALL
                    .iter()
                    .find(|(_, k)| *k == svc.workload.value)
                    .map_or("deployment", |(n, _)| n),
                file_number: view.graph.file_number(i),
                ports: svc
                    .ports
                    .iter()
                    .map(|p| JsonPort {
                        name: &p.name.value,
                        port: p.number.value.get(),
                        service_port: p.exposed().get(),
                        node_port: p.node_port.as_ref().map(|n| n.value),
                        scheme: p.scheme.as_ref().map(|s| s.value.as_str()),
                    })
                    .collect(),
            })
            .collect(),
        edges: view
            .edges()
            .into_iter()
            .map(|(from, to)| JsonEdge { from, to })
            .collect(),
    };
    serde_json::to_string_pretty(&g).unwrap_or_default() + "\n"
}
