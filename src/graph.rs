//! The dependency graph: cycles, depth and the apply order that numbers the manifests.
//!
//! Numbering scheme: a service's file number is `10 + depth`, where depth is 0 for a service
//! that depends on nothing and otherwise 1 + the deepest of its dependencies. A number only
//! changes when the service's own dependency chain changes, so adding an unrelated service
//! never renumbers existing files. Services of equal depth share a number and are ordered by
//! name, which is also `kubectl apply -f`'s order.

use std::collections::HashMap;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::diagnostic::{Finding, Findings};
use crate::model::Platform;

/// The deepest chain the two-digit numbering can hold: depth 89 is file number 99.
pub const MAX_DEPTH: u32 = 89;

/// The checked dependency graph. Indices are positions in `Platform::services`.
#[derive(Debug, Clone)]
pub struct DepGraph {
    pub depth: Vec<u32>,
    /// Services in apply order: by depth, then name.
    pub order: Vec<usize>,
    /// `dependents[i]`: services that depend on service i, by name.
    pub dependents: Vec<Vec<usize>>,
    /// `dependencies[i]`: the services i depends on, in `depends-on` order.
    pub dependencies: Vec<Vec<usize>>,
}

impl DepGraph {
    pub fn file_number(&self, service: usize) -> u32 {
        10 + self.depth[service]
    }

    /// Service `i`'s dependencies and dependents, as services of `p` (the emitters need both).
    pub fn neighbours<'p>(
        &self,
        p: &'p Platform,
        i: usize,
    ) -> (
        Vec<&'p crate::model::Service>,
        Vec<&'p crate::model::Service>,
    ) {
        let of = |list: &[usize]| list.iter().map(|&j| &p.services[j]).collect();
        (of(&self.dependencies[i]), of(&self.dependents[i]))
    }
}

/// Builds the graph from the `depends-on` edges that name known services (unknown names are
/// reported by `resolve`). A cycle is reported once, with every edge labelled.
pub fn build(platform: &Platform, out: &mut Findings) -> Option<DepGraph> {
    let n = platform.services.len();
    let index: HashMap<&str, usize> = platform
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.value.as_str(), i))
        .collect();
    let mut g: DiGraph<usize, ()> = DiGraph::with_capacity(n, n * 2);
    let nodes: Vec<NodeIndex> = (0..n).map(|i| g.add_node(i)).collect();
    let mut dependents = vec![Vec::new(); n];
    let mut dependencies = vec![Vec::new(); n];
    for (i, svc) in platform.services.iter().enumerate() {
        for dep in &svc.depends_on {
            if let Some(&j) = index.get(dep.value.as_str())
                && i != j
            {
                g.add_edge(nodes[i], nodes[j], ());
                dependents[j].push(i);
                dependencies[i].push(j);
            }
        }
    }
    let mut cyclic = false;
    // tarjan_scc yields components in reverse topological order; any component with more
    // than one node is a cycle.
    let mut sccs = tarjan_scc(&g);
    sccs.retain(|c| c.len() > 1);
    for comp in &sccs {
        cyclic = true;
        out.push(cycle_finding(platform, &g, comp));
    }
    if cyclic {
        return None;
    }
    let mut depth = vec![0u32; n];
    let mut done = vec![false; n];
    // Reverse topological order = dependencies first.
    for comp in tarjan_scc(&g) {
        let i = g[comp[0]];
        let d = g
            .neighbors(comp[0])
            .map(|m| depth[g[m]] + 1)
            .max()
            .unwrap_or(0);
        depth[i] = d;
        done[i] = true;
    }
    debug_assert!(done.iter().all(|d| *d));
    let mut too_deep = false;
    for (i, d) in depth.iter().enumerate() {
        if *d > MAX_DEPTH {
            too_deep = true;
            let svc = &platform.services[i];
            out.push(
                Finding::new(
                    "MC011",
                    format!(
                        "`{}` sits {d} levels deep in the dependency graph; at most {MAX_DEPTH} can be numbered",
                        svc.name.value
                    ),
                )
                .at(svc.name.span, "too deep")
                .help("remove depends-on edges that are not start-up dependencies"),
            );
        }
    }
    if too_deep {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        (depth[a], &platform.services[a].name.value)
            .cmp(&(depth[b], &platform.services[b].name.value))
    });
    for d in &mut dependents {
        d.sort_by(|&a, &b| {
            platform.services[a]
                .name
                .value
                .cmp(&platform.services[b].name.value)
        });
    }
    Some(DepGraph {
        depth,
        order,
        dependents,
        dependencies,
    })
}

/// The shortest cycle through the component's first service by name (BFS), so the message is
/// the same on every run and as short as the graph allows.
fn cycle_finding(platform: &Platform, g: &DiGraph<usize, ()>, comp: &[NodeIndex]) -> Finding {
    let name = |n: NodeIndex| platform.services[g[n]].name.value.as_str();
    let start = comp
        .iter()
        .copied()
        .min_by(|a, b| name(*a).cmp(name(*b)))
        .unwrap_or(comp[0]);
    let mut parent: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    let mut last = start;
    'search: while let Some(n) = queue.pop_front() {
        let mut next: Vec<NodeIndex> = g.neighbors(n).filter(|m| comp.contains(m)).collect();
        next.sort_by(|a, b| name(*a).cmp(name(*b)));
        for m in next {
            if m == start {
                last = n;
                break 'search;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(m) {
                e.insert(n);
                queue.push_back(m);
            }
        }
    }
    let mut path = vec![last];
    while let Some(&p) = path.last().and_then(|n| parent.get(n)) {
        path.push(p);
    }
    path.reverse();
    let names: Vec<&str> = path.iter().map(|n| name(*n)).collect();
    let shown = format!("{} → {}", names.join(" → "), names[0]);
    let mut f = Finding::new("MC008", format!("dependency cycle: {shown}"));
    for (k, n) in path.iter().enumerate() {
        let from = &platform.services[g[*n]];
        let to = names[(k + 1) % names.len()];
        if let Some(dep) = from.depends_on.iter().find(|d| d.value == to) {
            let text = format!("{} depends on {to}", from.name.value);
            f = if k == 0 {
                f.at(dep.span, text)
            } else {
                f.also(dep.span, text)
            };
        }
    }
    f.help("break the cycle by removing the depends-on edge that is not a start-up dependency")
}
