//! Checks on a service's pod nodes that need more than the node itself: `{KEY}` placeholders,
//! volumes' secrets and privileges, `expose` ports, and the Service type against NodePorts.

use std::collections::HashMap;

use miette::SourceSpan;

use super::{unknown_ref, unknown_ref_as};
use crate::diagnostic::{Finding, Findings, Fix};
use crate::model::*;

/// Each `{KEY}` in a literal value must be a `service-ports` key the container receives (its
/// own or a dependency's), since the kubelet expands `$(KEY)` only from variables declared
/// before it.
pub(super) fn check_placeholders(
    svc: &Service,
    var: &EnvVar,
    keys: &HashMap<String, (&Service, SourceSpan)>,
    injected: &[String],
    out: &mut Findings,
) {
    if let EnvValue::Literal(value) = &var.value {
        check_placeholders_in(svc, value, keys, injected, out);
    }
}

/// The same for a command word or argument: the kubelet expands `$(KEY)` there too.
pub(super) fn check_placeholders_in(
    svc: &Service,
    value: &Spanned<String>,
    keys: &HashMap<String, (&Service, SourceSpan)>,
    injected: &[String],
    out: &mut Findings,
) {
    for (at, key) in placeholders(&value.value) {
        // The value's span includes its opening quote; point at the key inside it.
        let span = if value.span.len() >= value.value.len() + 2 {
            SourceSpan::new((value.span.offset() + 1 + at).into(), key.len())
        } else {
            value.span
        };
        let named = Spanned::new(key.to_string(), span);
        match keys.get(key) {
            None => {
                let mut known: Vec<&str> = keys.keys().map(String::as_str).collect();
                known.sort_unstable();
                out.push(unknown_ref("service-ports key", &named, known));
            }
            Some((owner, _)) if !injected.iter().any(|k| k == key) => out.push(
                Finding::new(
                    "MC007",
                    format!(
                        "`{{{key}}}` is a key of `{}`, which `{}` does not depend on",
                        owner.name.value, svc.name.value
                    ),
                )
                .at(span, "not received by this container")
                .help(format!(
                    "add `depends-on {}`: the container then receives {key}, and the NetworkPolicy lets it connect",
                    owner.name.value
                ))
                .fix(Fix::AddDependsOn {
                    service: svc.name.value.clone(),
                    on: owner.name.value.clone(),
                }),
            ),
            Some(_) => {}
        }
    }
}

pub(super) fn check_pod(p: &Platform, svc: &Service, out: &mut Findings) {
    let name = &svc.name.value;
    // Container names are unique in a pod: the main one, init containers and sidecars.
    let main = svc
        .pod
        .container_name
        .clone()
        .unwrap_or_else(|| svc.name.clone());
    let mut containers: HashMap<&str, SourceSpan> =
        HashMap::from([(main.value.as_str(), main.span)]);
    for c in svc.init_containers.iter().chain(&svc.sidecars) {
        if let Some(first) = containers.insert(&c.name.value, c.name.span) {
            out.push(
                Finding::new(
                    "MC006",
                    format!("container `{}` appears twice in `{name}`", c.name.value),
                )
                .at(c.name.span, "again here")
                .also(first, "first here")
                .help("give each container of the pod its own name"),
            );
        }
    }
    for e in &svc.env_from {
        if let crate::model::EnvFromSource::Secret(secret) = &e.source
            && !p.secrets.iter().any(|s| s.name.value == secret.value)
        {
            out.push(unknown_ref(
                "secret",
                secret,
                p.secrets.iter().map(|s| s.name.value.as_str()),
            ));
        }
    }
    let mut mounts: HashMap<&str, SourceSpan> = HashMap::new();
    for v in &svc.volumes {
        if let Some(first) = mounts.insert(&v.mount_path.value, v.mount_path.span) {
            out.push(
                Finding::new(
                    "MC006",
                    format!("two volumes of `{name}` mount at `{}`", v.mount_path.value),
                )
                .at(v.mount_path.span, "mounted again here")
                .also(first, "first mount")
                .help("give each volume its own path"),
            );
        }
        match &v.source {
            VolumeSource::Secret { secret }
                if !p.secrets.iter().any(|s| s.name.value == secret.value) =>
            {
                out.push(unknown_ref(
                    "secret",
                    secret,
                    p.secrets.iter().map(|s| s.name.value.as_str()),
                ));
            }
            VolumeSource::HostPath { path } if svc.allowed(Privilege::HostPath).is_none() => {
                out.push(
                    Finding::new(
                        "MC013",
                        format!("`{name}` mounts the node's `{}` without `allow \"host-path\"`", path.value),
                    )
                    .at(path.span, "a hostPath volume")
                    .help("add `allow \"host-path\" reason=\"…\"` to the service, or use another volume kind"),
                );
            }
            _ => {}
        }
    }
    for e in &svc.expose {
        for port in &e.ports {
            if !svc.ports.iter().any(|x| x.name.value == port.value) {
                out.push(unknown_ref_as(
                    "MC007",
                    &format!("port of `{name}`"),
                    port,
                    svc.ports.iter().map(|x| x.name.value.as_str()),
                ));
            }
        }
    }
    if let Some(kind) = &svc.service_type {
        let unpublished = matches!(kind.value, ServiceType::ClusterIp | ServiceType::Headless);
        for port in &svc.ports {
            if let Some(np) = port.node_port.as_ref().filter(|_| unpublished) {
                out.push(
                    Finding::new(
                        "MC004",
                        format!("`{name}` gives port `{}` a NodePort on a Service that publishes none", port.name.value),
                    )
                    .at(np.span, "never published")
                    .also(kind.span, "this Service type")
                    .help("remove `node-port=`, or use `service-type \"NodePort\"` or \"LoadBalancer\""),
                );
            }
        }
    }
}

/// With `addresses "short"`, a dependency in another namespace is unreachable by its address.
pub(super) fn check_short_addresses(
    p: &Platform,
    services: &HashMap<&str, &Service>,
    out: &mut Findings,
) {
    let Some(form) = p
        .addresses
        .as_ref()
        .filter(|a| a.value != AddressForm::Fqdn)
    else {
        return;
    };
    if form.value != AddressForm::Short {
        return;
    }
    for svc in p.services.iter().filter(|s| !s.is_external()) {
        for dep in &svc.depends_on {
            let Some(d) = services.get(dep.value.as_str()) else {
                continue;
            };
            if !d.is_external() && d.namespace(p) != svc.namespace(p) {
                out.push(
                    Finding::new(
                        "MC004",
                        format!(
                            "`{}` in namespace `{}` cannot reach `{}` in `{}` by a short address",
                            svc.name.value,
                            svc.namespace(p),
                            d.name.value,
                            d.namespace(p)
                        ),
                    )
                    .at(dep.span, "in another namespace")
                    .also(form.span, "addresses are short")
                    .help("use `addresses \"namespaced\"` (name.namespace) or the default FQDN"),
                );
            }
        }
    }
}

/// MC014 for a `patch` of a kind (and `name=`) the service does not emit: it would apply to
/// nothing, and the change the author wanted would be silently missing.
pub(super) fn check_patch_kind(
    p: &crate::model::Platform,
    svc: &Service,
    patch: &crate::model::Patch,
    out: &mut Findings,
) {
    if svc.is_external() {
        return;
    }
    let workload = match svc.workload.value {
        crate::model::WorkloadKind::Deployment => "Deployment",
        crate::model::WorkloadKind::StatefulSet => "StatefulSet",
        crate::model::WorkloadKind::DaemonSet => "DaemonSet",
        crate::model::WorkloadKind::Job => "Job",
        crate::model::WorkloadKind::CronJob => "CronJob",
    };
    let long_running = svc.workload.value.is_long_running();
    let has_service = long_running && !svc.ports.is_empty();
    // The objects the service emits, by kind and name.
    let own = svc.name.value.as_str();
    let headless = svc.governing_service();
    let mut emitted: Vec<(&str, &str)> = vec![(workload, own)];
    if has_service {
        emitted.push(("Service", own));
        if headless != own {
            emitted.push(("Service", headless.as_str()));
        }
    }
    // Its own ServiceAccount, unless it runs as an existing one.
    if svc.pod.service_account.is_none() {
        emitted.push(("ServiceAccount", own));
    }
    if p.network_policies() {
        emitted.push(("NetworkPolicy", own));
    }
    if long_running && !svc.ops.ingress.is_empty() {
        emitted.push(("Ingress", own));
    }
    let kind = patch.kind.value.as_str();
    let named = patch.name.as_ref().map_or(own, |n| n.value.as_str());
    if emitted.contains(&(kind, named)) {
        return;
    }
    let list = emitted
        .iter()
        .map(|(k, n)| {
            if *n == own {
                (*k).to_string()
            } else {
                format!("{k} `{n}`")
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let (what, span) = match &patch.name {
        Some(n) => (format!("{kind} named `{}`", n.value), n.span),
        None => (kind.to_string(), patch.kind.span),
    };
    out.push(
        Finding::new("MC014", format!("`{own}` emits no {what} to patch"))
            .at(span, format!("it emits {list}"))
            .help(if crate::model::Patch::KINDS[..5].contains(&kind) {
                format!("patch \"{workload}\" instead, or change `workload`")
            } else {
                "patch one of the objects it emits (`name=` picks one named unlike the service)"
                    .to_string()
            }),
    );
}

/// MC502 where the spec itself asks for it: a request above its limit once each
/// environment's layers (environment, service, `defaults`) and the fallbacks are merged — the
/// API server refuses the pod. Said once per pair of spans, at the request.
pub(super) fn requests_within_limits(p: &Platform, out: &mut Findings) {
    let mut said = std::collections::HashSet::new();
    for t in crate::target::Target::all(p) {
        for svc in p.services.iter().filter(|s| t.runs(s)) {
            let main = t.resources(svc);
            let own = svc.sidecars.iter().chain(&svc.init_containers).map(|c| {
                crate::target::resources_with_fallbacks(
                    &c.resources.clone().unwrap_or_default(),
                    c.name.span,
                )
            });
            for r in std::iter::once(main).chain(own) {
                for (what, request, limit) in [
                    ("cpu", &r.cpu, &r.cpu_limit),
                    ("memory", &r.memory, &r.memory_limit),
                ] {
                    let (Some(req), Some(lim)) = (request, limit) else {
                        continue;
                    };
                    if crate::spec::quantity::exceeds(&req.value, &lim.value)
                        && said.insert((req.span, lim.span))
                    {
                        out.push(
                            Finding::new(
                                "MC502",
                                format!(
                                    "`{}` requests {what} {} above its limit {}: the API server refuses the pod",
                                    svc.name.value, req.value, lim.value
                                ),
                            )
                            .at(req.span, "the request")
                            .at(lim.span, "the limit")
                            .help("keep each request at or below its limit (a limit given alone is also the request)"),
                        );
                    }
                }
            }
        }
    }
}
