//! `environment "name" { … }`: one deployment target's overlay.

use kdl::KdlNode;

use super::PULL_POLICIES;
use super::common::*;
use super::operations;
use super::reader::{self, NodeReader, children, no_children};
use super::service::{dedupe_env, read_env};
use crate::diagnostic::{Finding, Findings};
use crate::model::*;

pub(super) const ENVIRONMENT: &[&str] = &[
    "storage-class",
    "image-pull-policy",
    "external-secrets",
    "value",
    "service",
    "exposure",
    "ingress-domain",
    "node-cidr",
    "cluster",
];
pub(super) const OVERRIDE: &[&str] = &[
    "replicas",
    "image",
    "resources",
    "env",
    "node-port",
    "autoscale",
    "patch",
];

pub(super) fn read_environment(node: &KdlNode, out: &mut Findings) -> Option<Environment> {
    let r = NodeReader::new(node, 1, &[], out);
    let name = r.string_arg(0, "an environment name", out)?;
    check_dns_label(&name, "environment name", out);
    let mut env = Environment {
        name,
        span: node.span(),
        storage_class: None,
        image_pull_policy: None,
        external_secrets: None,
        values: Vec::new(),
        services: Vec::new(),
        exposure: None,
        ingress_domain: None,
        node_cidrs: Vec::new(),
        cluster: None,
    };
    for child in children(node, ENVIRONMENT, out) {
        if reader::name_of(child) != "service" {
            no_children(child, out);
        }
        match reader::name_of(child) {
            "storage-class" => env.storage_class = single_string(child, "a storage class", out),
            "image-pull-policy" => {
                env.image_pull_policy = single_string(child, "a pull policy", out);
                if let Some(p) = &env.image_pull_policy
                    && !PULL_POLICIES.contains(&p.value.as_str())
                {
                    out.push(one_of(p, "image-pull-policy", PULL_POLICIES));
                }
            }
            "external-secrets" => {
                let er = NodeReader::new(child, 1, &[], out);
                match node_bool(child, &er, out) {
                    Some(b) => env.external_secrets = Some(b),
                    None => continue,
                }
            }
            "value" => env.values.extend(read_value(child, out)),
            "service" => env.services.extend(read_override(child, out)),
            "exposure" => env.exposure = operations::read_exposure(child, out),
            "node-cidr" => env.node_cidrs = super::pod::read_cidrs(child, out),
            "cluster" => {
                env.cluster = single_string(child, "a cluster (an API server URL or a name)", out)
            }
            "ingress-domain" => {
                env.ingress_domain = single_string(child, "a DNS domain", out);
                if let Some(d) = &env.ingress_domain {
                    operations::check_host(d, out);
                }
            }
            _ => {}
        }
    }
    Some(env)
}

pub(super) fn read_override(node: &KdlNode, out: &mut Findings) -> Option<ServiceOverride> {
    let r = NodeReader::new(node, 1, &["enabled"], out);
    let name = r.string_arg(0, "a service name", out)?;
    let mut o = ServiceOverride {
        name,
        span: node.span(),
        enabled: r.bool_prop("enabled", out),
        replicas: None,
        image: None,
        resources: None,
        env: Vec::new(),
        node_ports: Vec::new(),
        autoscale: None,
        patches: Vec::new(),
    };
    for child in children(node, OVERRIDE, out) {
        if reader::name_of(child) != "patch" {
            no_children(child, out);
        }
        match reader::name_of(child) {
            "patch" => o.patches.extend(super::patch::read_patch(child, out)),
            "replicas" => o.replicas = read_replicas(child, out),
            "image" => o.image = single_string(child, "an image reference", out),
            "resources" => o.resources = Some(read_resources(child, out)),
            "autoscale" => o.autoscale = operations::read_autoscale(child, out),
            "env" => {
                if let Some(e) = read_env(child, out) {
                    o.env.push(e);
                }
            }
            "node-port" => {
                let r = NodeReader::new(child, 2, &[], out);
                let port = r.string_arg(0, "a port name", out);
                let number = r.int_arg(1, "a NodePort", out);
                if let (Some(port), Some(n)) = (port, number) {
                    if (30000..=32767).contains(&n.value) {
                        o.node_ports
                            .push((port, Spanned::new(n.value as u16, n.span)));
                    } else {
                        out.push(
                            Finding::new(
                                "MC103",
                                format!("NodePort {} is outside Kubernetes' 30000–32767", n.value),
                            )
                            .at(n.span, "not a valid NodePort")
                            .help("pick one inside the platform's `node-ports` registry"),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    dedupe_env(&mut o.env, out);
    Some(o)
}
