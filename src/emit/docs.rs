//! The generated docs: `docs/PORTS.md` (the port allocation) and `docs/ARCHITECTURE.md` (the
//! graph, apply order, one section per service, what each environment changes).

use std::fmt::Write as _;

use super::graph::{View, mermaid};
use super::yaml::MARKDOWN_HEADER;
use crate::model::{EnvValue, Platform, Service, WorkloadKind, service_keys};
use crate::resolve::Compiled;
use crate::target::Target;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn description(svc: &Service) -> String {
    svc.description
        .as_ref()
        .map_or(String::new(), |d| cell(&d.value))
}

fn scheme(p: &crate::model::Port) -> &str {
    p.scheme.as_ref().map_or("", |s| s.value.as_str())
}

/// How a port is reached from outside the cluster in one target, if it is.
fn external_url(t: &Target<'_>, svc: &Service, port: &crate::model::Port) -> Option<String> {
    use crate::model::Exposure;
    let prefix = port
        .scheme
        .as_ref()
        .map_or(String::new(), |s| format!("{}://", s.value));
    match t.exposure() {
        Exposure::Ingress => {
            let urls: Vec<String> = t
                .routes(svc)
                .iter()
                .filter(|r| r.port.value == port.name.value)
                .filter_map(|r| {
                    let host = t.route_host(svc, r)?;
                    let scheme = if t.route_tls_secret(r).is_some() {
                        "https"
                    } else {
                        "http"
                    };
                    Some(format!("`{scheme}://{host}{}`", r.path()))
                })
                .collect();
            (!urls.is_empty()).then(|| urls.join(", "))
        }
        Exposure::NodePort => t
            .published_node_port(svc, port)
            .map(|n| format!("`{prefix}<node-ip>:{n}` (NodePort)")),
        Exposure::LoadBalancer => t.publishes(svc, port).then(|| {
            format!(
                "`{prefix}<load-balancer>:{}` (LoadBalancer)",
                port.exposed()
            )
        }),
    }
}

/// `## External URLs`: each published port, per environment.
fn external_urls(s: &mut String, ordered: &[&Service], targets: &[Target<'_>]) {
    let mut rows = Vec::new();
    for svc in ordered.iter().filter(|s| !s.is_external()) {
        for port in &svc.ports {
            let cells: Vec<Option<String>> = targets
                .iter()
                .map(|t| t.runs(svc).then(|| external_url(t, svc, port)).flatten())
                .collect();
            if cells.iter().any(Option::is_some) {
                let cells: Vec<String> = cells
                    .into_iter()
                    .map(|c| c.unwrap_or_else(|| "—".to_string()))
                    .collect();
                rows.push(format!(
                    "| {} | {} | {} |",
                    svc.name.value,
                    port.name.value,
                    cells.join(" | ")
                ));
            }
        }
    }
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(s, "\n## External URLs\n");
    let _ = writeln!(
        s,
        "How each published port is reached from outside the cluster, per environment (its \
         `exposure`). `—`: not published there.\n"
    );
    let names: Vec<&str> = targets.iter().map(|t| t.name()).collect();
    let _ = writeln!(s, "| service | port | {} |", names.join(" | "));
    let _ = writeln!(s, "|---|---|{}", "---|".repeat(names.len()));
    for row in rows {
        let _ = writeln!(s, "{row}");
    }
    admitted_on_published_ports(s, ordered, targets);
}

/// Who the NetworkPolicies let in on published ports, per environment — the NodePort caveat
/// where users read: node traffic arrives from node addresses, so only the declared node
/// networks narrow it.
fn admitted_on_published_ports(s: &mut String, ordered: &[&Service], targets: &[Target<'_>]) {
    let Some(first) = targets.first() else { return };
    if !first.platform.network_policies() {
        return;
    }
    let mut lines = Vec::new();
    for t in targets {
        let open = ordered
            .iter()
            .any(|svc| t.runs(svc) && !svc.is_external() && !t.open_to_outside(svc).is_empty());
        let routed = ordered
            .iter()
            .any(|svc| t.runs(svc) && !t.routes(svc).is_empty());
        let mut who = Vec::new();
        if open {
            let nodes: Vec<String> = t
                .node_cidrs()
                .iter()
                .map(|c| format!("`{}`", c.value))
                .collect();
            who.push(if nodes.is_empty() {
                "NodePort and load-balancer ports admit **every pod and address** (no \
                 `node-cidr`: MC410)"
                    .to_string()
            } else {
                format!(
                    "NodePort and load-balancer ports admit the nodes' networks {} only",
                    nodes.join(", ")
                )
            });
        }
        if routed {
            who.push(format!(
                "routed ports admit the ingress controller's namespace `{}`",
                t.ingress_controller_namespace()
            ));
        }
        if !who.is_empty() {
            lines.push(format!("- {}: {}.", t.name(), who.join("; ")));
        }
    }
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\nThe NetworkPolicies admit on these ports (besides the pods that depend on the \
         service): traffic to a NodePort or a load balancer reaches the pod from node addresses \
         (source-NATed), which no pod selector matches — `node-cidr` names them; `expose … \
         from-cidr=` narrows one port further.\n"
    );
    for l in lines {
        let _ = writeln!(s, "{l}");
    }
}

/// `docs/PORTS.md`.
pub fn ports(c: &Compiled) -> String {
    let p = &c.platform;
    let mut s = String::from(MARKDOWN_HEADER);
    let _ = writeln!(s, "# Ports of `{}`\n", p.name.value);
    let _ = writeln!(
        s,
        "Generated from `platform.kdl`: change ports there, never here. `maestroc ports` prints \
         this table; `maestroc ports allocate SERVICE PORT` picks a free NodePort.\n"
    );
    let ordered: Vec<&Service> = c.graph.order.iter().map(|&i| &p.services[i]).collect();

    let _ = writeln!(s, "## NodePorts\n");
    match &p.node_ports {
        Some(r) => {
            let used = ordered
                .iter()
                .flat_map(|svc| &svc.ports)
                .filter(|port| port.node_port.as_ref().is_some_and(|n| r.contains(n.value)))
                .count();
            let size = usize::from(r.high - r.low) + 1;
            let _ = writeln!(
                s,
                "Registry {}–{}: {used} used, {} free.\n",
                r.low,
                r.high,
                size - used
            );
        }
        None => {
            let _ = writeln!(
                s,
                "No NodePort registry is declared (`node-ports LO HI`).\n"
            );
        }
    }
    let _ = writeln!(
        s,
        "| NodePort | service | port | namespace | container port | Service port | scheme | description |\n|---:|---|---|---|---:|---:|---|---|"
    );
    let mut rows: Vec<(u16, String)> = Vec::new();
    for svc in &ordered {
        for port in &svc.ports {
            if let Some(np) = &port.node_port {
                rows.push((
                    np.value,
                    format!(
                        "| {} | {} | {} | {} | {} | {} | {} | {} |",
                        np.value,
                        svc.name.value,
                        port.name.value,
                        svc.namespace(p),
                        port.number.value,
                        port.exposed(),
                        scheme(port),
                        description(svc)
                    ),
                ));
            }
        }
    }
    rows.sort();
    for (_, row) in &rows {
        let _ = writeln!(s, "{row}");
    }

    let _ = writeln!(s, "\n## ClusterIP only\n");
    let _ = writeln!(
        s,
        "| service | port | namespace | container port | Service port | scheme | description |\n|---|---|---|---:|---:|---|---|"
    );
    for svc in ordered.iter().filter(|s| !s.is_external()) {
        for port in svc.ports.iter().filter(|p| p.node_port.is_none()) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                svc.name.value,
                port.name.value,
                svc.namespace(p),
                port.number.value,
                port.exposed(),
                scheme(port),
                description(svc)
            );
        }
    }

    let external: Vec<&&Service> = ordered.iter().filter(|s| s.is_external()).collect();
    if !external.is_empty() {
        let _ = writeln!(s, "\n## External (not deployed here)\n");
        let _ = writeln!(s, "| service | host | port | scheme |\n|---|---|---|---|");
        for svc in external {
            for port in &svc.ports {
                let host = svc.external.as_ref().map_or("", |h| h.value.as_str());
                let _ = writeln!(
                    s,
                    "| {} | {} | {} {} | {} |",
                    svc.name.value,
                    host,
                    port.name.value,
                    port.number.value,
                    scheme(port)
                );
            }
        }
    }

    let targets = Target::all(p);
    external_urls(&mut s, &ordered, &targets);
    let _ = writeln!(s, "\n## `service-ports` ConfigMap\n");
    let _ = writeln!(
        s,
        "Every workload receives its own keys and its dependencies' keys from this ConfigMap \
         (`configMapKeyRef`). `—`: the service is disabled in that environment.\n"
    );
    let mut header = String::from("| key |");
    let mut rule = String::from("|---|");
    for t in &targets {
        let _ = write!(header, " {} |", t.name());
        rule.push_str("---|");
    }
    let _ = writeln!(s, "{header}\n{rule}");
    let mut keys: Vec<(String, &Service, String)> = p
        .services
        .iter()
        .flat_map(|svc| {
            service_keys(p, svc)
                .into_iter()
                .map(move |k| (k.key, svc, k.value))
        })
        .collect();
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, svc, value) in &keys {
        let _ = write!(s, "| `{key}` |");
        for t in &targets {
            if t.enabled(svc) {
                let _ = write!(s, " `{value}` |");
            } else {
                s.push_str(" — |");
            }
        }
        s.push('\n');
    }

    let _ = writeln!(s, "\n## Port-forward\n");
    let _ = writeln!(s, "```sh");
    for svc in ordered
        .iter()
        .filter(|s| !s.is_external() && s.workload.value.is_long_running())
    {
        for port in &svc.ports {
            let local = port.exposed();
            let _ = writeln!(
                s,
                "kubectl -n {} port-forward svc/{} {local}:{}   # {}",
                svc.namespace(p),
                svc.name.value,
                port.exposed(),
                port.name.value
            );
        }
    }
    let _ = writeln!(s, "```");
    s
}

fn workload_name(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Deployment => "Deployment",
        WorkloadKind::StatefulSet => "StatefulSet",
        WorkloadKind::DaemonSet => "DaemonSet",
        WorkloadKind::Job => "Job",
        WorkloadKind::CronJob => "CronJob",
    }
}

/// `docs/ARCHITECTURE.md`.
pub fn architecture(c: &Compiled) -> String {
    let p: &Platform = &c.platform;
    let mut s = String::from(MARKDOWN_HEADER);
    let _ = writeln!(s, "# Architecture of `{}`\n", p.name.value);
    let _ = writeln!(
        s,
        "Generated from `platform.kdl`. An arrow `a --> b` means *a depends on b*: b is applied \
         first, a receives b's ports and address, and b's NetworkPolicy admits a.\n"
    );
    let view = View {
        platform: p,
        graph: &c.graph,
        target: None,
    };
    let _ = writeln!(s, "```mermaid\n{}```\n", mermaid(&view));

    let _ = writeln!(s, "## Apply order\n");
    let _ = writeln!(
        s,
        "Files are numbered `10 + depth` (depth 0: no dependencies) and applied in name order.\n"
    );
    let _ = writeln!(
        s,
        "| file | service | kind | namespace |\n|---|---|---|---|"
    );
    for &i in &c.graph.order {
        let svc = &p.services[i];
        if svc.is_external() {
            continue;
        }
        let _ = writeln!(
            s,
            "| `{:02}-{}.yaml` | {} | {} | {} |",
            c.graph.file_number(i),
            svc.name.value,
            svc.name.value,
            workload_name(svc.workload.value),
            svc.namespace(p)
        );
    }

    let _ = writeln!(s, "\n## Services");
    for &i in &c.graph.order {
        let svc = &p.services[i];
        let _ = writeln!(s, "\n### {}\n", svc.name.value);
        if let Some(d) = &svc.description {
            let _ = writeln!(s, "{}\n", d.value);
        }
        match &svc.external {
            Some(host) => {
                let _ = writeln!(s, "- external: `{}` (not deployed here)", host.value);
            }
            None => {
                let _ = writeln!(
                    s,
                    "- {} in `{}`, image `{}`",
                    workload_name(svc.workload.value),
                    svc.namespace(p),
                    svc.image.as_ref().map_or("", |i| i.value.as_str())
                );
            }
        }
        if !svc.ports.is_empty() {
            let ports: Vec<String> = svc
                .ports
                .iter()
                .map(|port| {
                    let mut t = format!("{} {}", port.name.value, port.number.value);
                    if port.exposed() != port.number.value {
                        let _ = write!(t, " (Service {})", port.exposed());
                    }
                    if let Some(np) = &port.node_port {
                        let _ = write!(t, " (NodePort {})", np.value);
                    }
                    t
                })
                .collect();
            let _ = writeln!(s, "- ports: {}", ports.join(", "));
        }
        let names = |v: Vec<&str>| {
            if v.is_empty() {
                "—".to_string()
            } else {
                v.iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let _ = writeln!(
            s,
            "- depends on: {}",
            names(svc.depends_on.iter().map(|d| d.value.as_str()).collect())
        );
        let _ = writeln!(
            s,
            "- depended on by: {}",
            names(
                c.graph.dependents[i]
                    .iter()
                    .map(|&j| p.services[j].name.value.as_str())
                    .collect()
            )
        );
        if svc.is_external() {
            continue;
        }
        let mut received: Vec<String> = service_keys(p, svc).into_iter().map(|k| k.key).collect();
        for dep in &svc.depends_on {
            if let Some(d) = p.services.iter().find(|x| x.name.value == dep.value) {
                received.extend(service_keys(p, d).into_iter().map(|k| k.key));
            }
        }
        let mut secrets: Vec<String> = Vec::new();
        for var in &svc.env {
            match &var.value {
                EnvValue::Ref(key) => received.push(format!("{} ← {}", var.name.value, key.value)),
                EnvValue::Secret { secret, key, .. } => secrets.push(format!(
                    "{} ← {}/{}",
                    var.name.value, secret.value, key.value
                )),
                EnvValue::Literal(_) | EnvValue::Field(_) => {}
            }
        }
        for v in &svc.volumes {
            if let crate::model::VolumeSource::Secret { secret } = &v.source {
                secrets.push(format!("{} ← {} (files)", v.mount_path.value, secret.value));
            }
        }
        let _ = writeln!(
            s,
            "- receives from `service-ports`: {}",
            names(received.iter().map(String::as_str).collect())
        );
        if !secrets.is_empty() {
            let _ = writeln!(
                s,
                "- secrets: {}",
                names(secrets.iter().map(String::as_str).collect())
            );
        }
        // Every privilege given back from the restricted default, with the spec's reason.
        for a in &svc.allows {
            let what = match a.privilege.value {
                crate::model::Privilege::Capabilities => format!(
                    "capabilities {}",
                    a.capabilities
                        .iter()
                        .map(|c| c.value.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                other => other.keyword().to_string(),
            };
            let _ = writeln!(
                s,
                "- allowed {what}: {}",
                a.reason
                    .as_ref()
                    .map_or("(no reason given)", |r| r.value.as_str())
            );
        }
    }

    if !p.environments.is_empty() {
        let _ = writeln!(s, "\n## Environments");
        for env in &p.environments {
            let _ = writeln!(s, "\n### {}\n", env.name.value);
            let mut changes = Vec::new();
            if let Some(x) = &env.exposure {
                let how = match x.mode.value {
                    crate::model::Exposure::NodePort => "published ports on their NodePorts",
                    crate::model::Exposure::Ingress => {
                        "published ports through Ingress (NodePorts are not published)"
                    }
                    crate::model::Exposure::LoadBalancer => {
                        "published ports through LoadBalancer Services"
                    }
                };
                changes.push(how.to_string());
            }
            if let Some(d) = &env.ingress_domain {
                changes.push(format!("routes without a host at `<service>.{}`", d.value));
            }
            if let Some(sc) = &env.storage_class {
                changes.push(format!("storage class `{}`", sc.value));
            }
            if let Some(pp) = &env.image_pull_policy {
                changes.push(format!("image pull policy `{}`", pp.value));
            }
            if env.external_secrets.as_ref().is_some_and(|b| !b.value) {
                changes.push(
                    "no External Secrets operator: value-less Secrets, filled by hand".into(),
                );
            }
            for (k, v) in &env.values {
                changes.push(format!("`{}` = `{}`", k.value, v.value));
            }
            for o in &env.services {
                let mut what = Vec::new();
                if o.enabled.as_ref().is_some_and(|e| !e.value) {
                    what.push("disabled".to_string());
                }
                if let Some(r) = &o.replicas {
                    what.push(format!("{} replicas", r.value));
                }
                if let Some(a) = &o.autoscale {
                    what.push(format!("autoscaled {}–{}", a.min.value, a.max.value));
                }
                if let Some(i) = &o.image {
                    what.push(format!("image `{}`", i.value));
                }
                if o.resources.is_some() {
                    what.push("own resources".to_string());
                }
                for e in &o.env {
                    what.push(format!("env `{}`", e.name.value));
                }
                for (port, n) in &o.node_ports {
                    what.push(format!("NodePort {} for `{}`", n.value, port.value));
                }
                if !what.is_empty() {
                    changes.push(format!("`{}`: {}", o.name.value, what.join(", ")));
                }
            }
            if changes.is_empty() {
                let _ = writeln!(s, "Nothing changes from the base spec.");
            }
            for c in changes {
                let _ = writeln!(s, "- {c}");
            }
        }
    }
    s
}
