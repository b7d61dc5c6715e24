//! Stage 3: each workload → one `service` block, concern by concern: what it is and runs
//! (`meta`), its ports and how they are reached (`ports`), env (`env`), resources and probes
//! (`container`), volumes (`volumes`), identity and scheduling (`identity`). Each concern
//! writes what the vocabulary says natively; everything else is the residual's
//! (`carry.rs`), which makes the whole lossless.

mod container;
mod env;
mod identity;
mod meta;
mod ports;
mod volumes;

use std::collections::BTreeSet;

use serde_json::Value;

use super::index::Input;
use super::kdl_out::{Block, quote};
use super::read::Doc;
use super::secrets::Secrets;
use crate::diagnostic::Finding;

/// A workload of the input and the pod it runs; the service's container is the first.
pub(super) struct Workload<'a> {
    pub doc: &'a Doc,
    pub name: &'a str,
    pub namespace: &'a str,
    pub kind: &'a str,
    pub spec: &'a Value,
    pub template: &'a Value,
    pub pod: &'a Value,
    pub container: &'a Value,
    /// A CronJob: its pod sits one level deeper, in its job template.
    pub cron: bool,
}

impl<'a> Workload<'a> {
    /// None for a pod without containers: nothing to import.
    fn of(doc: &'a Doc) -> Option<Self> {
        let spec = &doc.value["spec"];
        let cron = doc.kind() == "CronJob";
        let template = if cron {
            &spec["jobTemplate"]["spec"]["template"]
        } else {
            &spec["template"]
        };
        let pod = &template["spec"];
        let container = pod["containers"].as_array().and_then(|a| a.first())?;
        Some(Workload {
            doc,
            name: doc.name(),
            namespace: doc.namespace(),
            kind: doc.kind(),
            spec,
            template,
            pod,
            container,
            cron,
        })
    }
}

/// What translation learns across workloads that the platform block says once.
#[derive(Default)]
pub(super) struct Seen {
    /// Workloads scraped by `prometheus.io/*` annotations, with the metrics port's number.
    pub annotation_scraped: Vec<(String, i64)>,
    /// Namespaces admitted whole on each routed port and on each ServiceMonitor's port: the
    /// ingress controller's and the Prometheus operator's are the ones all of them share.
    pub controller_peers: Vec<BTreeSet<String>>,
    pub scraper_peers: Vec<BTreeSet<(String, Option<String>)>>,
    /// The ipBlocks each workload's policy admits on its published ports: the nodes' networks.
    pub node_peers: Vec<BTreeSet<String>>,
    pub routed: bool,
    pub operator_scraped: bool,
    /// An address to another workload used its short name (`cart:7070`).
    pub short_addresses: bool,
}

/// The `service` block of workload `w`, or None when it runs no container.
pub(super) fn service(
    input: &Input,
    w: &Doc,
    secrets: &mut Secrets,
    seen: &mut Seen,
    findings: &mut Vec<Finding>,
) -> Option<Block> {
    let wl = Workload::of(w)?;
    let mut b = Block::new(format!("service {}", quote(wl.name)));
    b.comment(format!("from {}:{}", input.inputs[w.file].0, w.line));
    let autoscale = meta::head(&mut b, input, &wl);
    let svc = input.main_service(w);
    let names = ports::ports(&mut b, input, &wl, svc, seen, findings);
    if let Some(svc) = svc {
        ports::ingress(&mut b, input, &wl, svc, &names, seen);
    }
    let by_annotation = ports::metrics(&mut b, input, &wl, svc, &names, seen);
    if let Some(line) = autoscale {
        b.line(line);
    }
    meta::labels(&mut b, input, &wl, by_annotation);
    env::env(&mut b, input, &wl, &names, secrets, seen, findings);
    container::resources(&mut b, &wl);
    container::health(&mut b, input, &wl, &names, findings);
    volumes::volumes(&mut b, input, &wl, secrets);
    identity::identity(&mut b, &wl);
    identity::scheduling(&mut b, &wl);
    identity::rest(&mut b, &wl);
    Some(b)
}
