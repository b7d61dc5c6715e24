//! Stage 4: what the spec says once for all services — the `platform` block (namespace,
//! addressing, egress, Pod Security as imported, Prometheus), `defaults`, the `secret`
//! declarations; after the services, the `external` services `service-ports` publishes and the
//! `environment` every workload shares.

use std::collections::{BTreeMap, BTreeSet};

use super::index::Input;
use super::kdl_out::{Block, quote};
use super::operations;
use super::read::Doc;
use super::secrets::Secrets;
use super::translate::Seen;

/// The spec's text before the services.
pub(super) fn head(input: &Input, seen: &Seen, secrets: &Secrets) -> String {
    let mut out = String::from(
        "// Imported by `maestroc import`: check it, then `maestroc build` and compare.\n\n",
    );
    out.push_str(&platform(input, seen).render(0));
    let defaults = input
        .find("ConfigMap", "service-defaults")
        .and_then(|d| d.value["data"].as_object())
        .filter(|m| !m.is_empty());
    if let Some(defaults) = defaults {
        let mut d = Block::new("defaults".to_string());
        for (k, v) in defaults {
            d.line(format!(
                "value {} {}",
                quote(k),
                quote(v.as_str().unwrap_or_default())
            ));
        }
        out.push('\n');
        out.push_str(&d.render(0));
    }
    for b in secrets.blocks(platform_name(input)) {
        out.push('\n');
        out.push_str(&b.render(0));
    }
    out
}

/// The platform's name: the workloads' `part-of` label, else the namespace.
fn platform_name<'a>(input: &'a Input<'_>) -> &'a str {
    input
        .workloads
        .iter()
        .find_map(|w| w.value["metadata"]["labels"]["app.kubernetes.io/part-of"].as_str())
        .unwrap_or(&input.platform_ns)
}

fn platform(input: &Input, seen: &Seen) -> Block {
    let part_of = platform_name(input);
    let mut p = Block::new(format!("platform {}", quote(part_of)));
    p.line(format!("namespace {}", quote(&input.platform_ns)));
    // maestroc's own output says how it addressed services and whether egress was closed.
    let short_in_map = input.ports_data.iter().any(|(k, v)| {
        k.ends_with("_ADDRESS")
            && v.as_str().is_some_and(|a| {
                let host = a.rsplit("://").next().unwrap_or(a);
                !host.split(':').next().unwrap_or("").contains('.')
            })
    });
    if (seen.short_addresses || short_in_map) && input.namespaces.len() == 1 {
        p.line("addresses \"short\"".to_string());
    }
    let egress_closed = input.docs.iter().any(|d| {
        d.kind() == "NetworkPolicy"
            && d.value["spec"]["podSelector"]
                .as_object()
                .is_some_and(|m| m.is_empty())
            && d.value["spec"]["policyTypes"]
                .as_array()
                .is_some_and(|t| t.iter().any(|x| x == "Egress"))
    });
    if egress_closed {
        p.line("egress \"restricted\"".to_string());
    }
    // Adopting changes nothing that runs: a namespace whose pods run below restricted today
    // is accepted at that level, said once in the spec where a reviewer sees it.
    for (ns, level) in input_pod_security(&input.workloads, &input.platform_ns) {
        p.line(format!(
            "pod-security {} namespace={} // as imported",
            quote(level.as_str()),
            quote(&ns)
        ));
    }
    if seen.operator_scraped
        && let Some(line) = operations::operator_line(&seen.scraper_peers)
    {
        p.line(line);
    }
    if !seen.annotation_scraped.is_empty() {
        let mut line = "prometheus \"annotations\"".to_string();
        if let Some(by) = operations::scraper(input.values(), &seen.annotation_scraped) {
            line.push_str(&format!(" service={}", quote(&by)));
        }
        p.line(line);
    }
    p
}

/// The spec's text after the services: externals, then the environment.
pub(super) fn tail(input: &Input, seen: &Seen, env: Option<&str>) -> String {
    let mut out = String::new();
    for b in externals(input) {
        out.push('\n');
        out.push_str(&b.render(0));
    }
    if let Some(b) = environment(input, seen, env) {
        out.push('\n');
        out.push_str(&b.render(0));
    }
    out
}

/// Keys of service-ports no imported workload owns: services that run elsewhere, published by
/// address only (`external host=`).
fn externals(input: &Input) -> Vec<Block> {
    let data = &input.ports_data;
    let mut blocks = Vec::new();
    for (key, value) in data {
        let Some(stem) = key.strip_suffix("_ADDRESS") else {
            continue;
        };
        if input.prefixes.values().any(|p| p == stem) {
            continue;
        }
        let addr = value.as_str().unwrap_or_default();
        let (scheme, rest) = match addr.split_once("://") {
            Some((s, r)) => (Some(s), r),
            None => (None, addr),
        };
        let Some((host, primary)) = rest.rsplit_once(':') else {
            continue;
        };
        let mut ports = external_ports(input, stem);
        // No usable `_PORT` key: the address's own port, else no service can be said.
        if ports.is_empty() {
            if !primary.parse::<u16>().is_ok_and(|p| p > 0) {
                continue;
            }
            ports.push(("port".to_string(), primary));
        }
        let name = stem.to_ascii_lowercase().replace('_', "-");
        let mut b = Block::new(format!("service {}", quote(&name)));
        b.comment("published by service-ports, not deployed here".to_string());
        b.line(format!("external host={}", quote(host)));
        let scheme = scheme.map_or(String::new(), |s| format!(" scheme={}", quote(s)));
        for (pname, n) in &ports {
            let primary_mark = if ports.len() > 1 && *n == primary {
                " primary=#true"
            } else {
                ""
            };
            let sch = if *n == primary { scheme.as_str() } else { "" };
            b.line(format!("port {pname} {n}{sch}{primary_mark}"));
        }
        blocks.push(b);
    }
    blocks
}

/// The `_PORT` keys of an external stem, as (port name, number).
fn external_ports<'a>(input: &'a Input, stem: &str) -> Vec<(String, &'a str)> {
    // A key is this stem's unless a longer stem with an address claims it (REGISTRY_UI_PORT
    // is registry-ui's, not registry's port `ui`).
    let longer_claims = |k: &str| {
        input.external_stems.iter().any(|other| {
            other.len() > stem.len()
                && other.starts_with(&format!("{stem}_"))
                && (k == format!("{other}_ADDRESS") || k.starts_with(&format!("{other}_")))
        })
    };
    input
        .ports_data
        .iter()
        .filter(|(k, _)| input.owner_of_key(k).is_none() && !longer_claims(k))
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix(&format!("{stem}_"))?.strip_suffix("PORT")?;
            let pname = rest
                .trim_end_matches('_')
                .to_ascii_lowercase()
                .replace('_', "-");
            // The ConfigMap is input: only a port number and a plain name are written into
            // the spec (anything else would not even parse as KDL).
            let n = v.as_str()?;
            if !n.parse::<u16>().is_ok_and(|p| p > 0)
                || !pname
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                return None;
            }
            Some((
                if pname.is_empty() {
                    "port".to_string()
                } else {
                    pname
                },
                n,
            ))
        })
        .collect()
}

/// `environment NAME { image-pull-policy …; storage-class … }` when every container agrees on
/// a pull policy or every claim on a storage class; a value some disagree with is left out
/// (maestroc sets these per environment, not per service). Also the exposure the routes and
/// published ports share.
fn environment(input: &Input, seen: &Seen, env: Option<&str>) -> Option<Block> {
    let mut exposure: Vec<String> = seen
        .routed
        .then(|| {
            let mut line = "exposure \"ingress\"".to_string();
            if let Some(ns) = operations::common(&seen.controller_peers)
                .filter(|ns| ns != crate::model::ExposureSettings::DEFAULT_CONTROLLER_NAMESPACE)
            {
                line.push_str(&format!(" controller-namespace={}", quote(&ns)));
            }
            line
        })
        .into_iter()
        .collect();
    exposure.extend(operations::node_cidr_line(&seen.node_peers));
    let docs = input.values();
    let pods = docs.clone().filter_map(|d| match d["kind"].as_str()? {
        "CronJob" => Some(&d["spec"]["jobTemplate"]["spec"]["template"]["spec"]),
        "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => Some(&d["spec"]["template"]["spec"]),
        _ => None,
    });
    let policies: BTreeSet<Option<&str>> = pods
        .flat_map(|pod| {
            ["initContainers", "containers"]
                .into_iter()
                .flat_map(move |k| pod[k].as_array().into_iter().flatten())
        })
        .map(|c| c["imagePullPolicy"].as_str())
        .collect();
    let claims = docs.flat_map(|d| match d["kind"].as_str() {
        Some("PersistentVolumeClaim") => vec![&d["spec"]],
        Some("StatefulSet") => d["spec"]["volumeClaimTemplates"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| &c["spec"])
            .collect(),
        _ => Vec::new(),
    });
    let classes: BTreeSet<Option<&str>> = claims.map(|c| c["storageClassName"].as_str()).collect();
    let only = |set: &BTreeSet<Option<&str>>| match set.iter().collect::<Vec<_>>()[..] {
        [Some(v)] => Some(v.to_string()),
        _ => None,
    };
    let policy = only(&policies);
    let class = only(&classes);
    if policy.is_none() && class.is_none() && exposure.is_empty() {
        return None;
    }
    let mut b = Block::new(format!("environment {}", quote(env.unwrap_or("imported"))));
    b.comment("what every workload of the input shares".to_string());
    for x in exposure {
        b.line(x);
    }
    if let Some(c) = class {
        b.line(format!("storage-class {}", quote(&c)));
    }
    if let Some(p) = policy {
        b.line(format!("image-pull-policy {}", quote(&p)));
    }
    Some(b)
}

/// Each namespace whose imported pods meet less than restricted, with the lowest level they
/// meet (`verify::pod_security` over the input's own pod templates).
fn input_pod_security(
    workloads: &[&Doc],
    platform_ns: &str,
) -> BTreeMap<String, crate::model::PodSecurityLevel> {
    use crate::verify::admission::{judge_template, template_of};
    let mut levels = BTreeMap::new();
    for w in workloads {
        let Some(template) = template_of(&w.value) else {
            continue;
        };
        let level = crate::verify::pod_security::level(&judge_template(&template));
        if level == crate::model::PodSecurityLevel::Restricted {
            continue;
        }
        let ns = w.value["metadata"]["namespace"]
            .as_str()
            .unwrap_or(platform_ns)
            .to_string();
        let slot = levels.entry(ns).or_insert(level);
        *slot = (*slot).min(level);
    }
    levels
}
