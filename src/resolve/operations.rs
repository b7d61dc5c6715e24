//! Checks of `ingress`, `metrics`, `autoscale`, `exposure` and `prometheus`: references to
//! ports and services (MC007), autoscaling against fixed replicas (MC015), routes that claim
//! the same host and path (MC107) or have no host (MC108).

use std::collections::HashMap;

use miette::SourceSpan;

use super::unknown_ref;
use crate::diagnostic::{Finding, Findings};
use crate::model::{Exposure, GitOps, GitOpsTool, Platform, Service, Spanned};
use crate::target::Target;

pub(super) fn check(p: &Platform, services: &HashMap<&str, &Service>, out: &mut Findings) {
    for svc in &p.services {
        check_service(svc, out);
    }
    if let Some(name) = p.prometheus.as_ref().and_then(|x| x.service.as_ref())
        && !services.contains_key(name.value.as_str())
    {
        out.push(unknown_ref("service", name, services.keys().copied()));
    }
    for env in &p.environments {
        for o in &env.services {
            let Some(svc) = services.get(o.name.value.as_str()) else {
                continue;
            };
            if let Some(a) = &o.autoscale {
                autoscale_fits(svc, a.span, out);
                if let Some(r) = o.replicas.as_ref().or(svc.replicas.as_ref()) {
                    out.push(autoscale_with_replicas(svc, a.span, r));
                }
            }
            if let (Some(r), Some(a)) = (&o.replicas, &svc.ops.autoscale)
                && o.autoscale.is_none()
            {
                out.push(autoscale_with_replicas(svc, a.span, r));
            }
        }
    }
    for t in Target::all(p) {
        check_routes(&t, out);
    }
}

fn check_service(svc: &Service, out: &mut Findings) {
    let port_ref = |name: &Spanned<String>, out: &mut Findings| {
        if !svc.ports.iter().any(|p| p.name.value == name.value) {
            out.push(unknown_ref(
                &format!("port of `{}`", svc.name.value),
                name,
                svc.ports.iter().map(|p| p.name.value.as_str()),
            ));
        }
    };
    for route in &svc.ops.ingress {
        port_ref(&route.port, out);
    }
    let classes: Vec<&Spanned<String>> = svc
        .ops
        .ingress
        .iter()
        .filter_map(|r| r.class.as_ref())
        .collect();
    if let Some(other) = classes.iter().find(|c| c.value != classes[0].value) {
        out.push(
            Finding::new(
                "MC004",
                format!("`{}` routes through two IngressClasses", svc.name.value),
            )
            .at(other.span, "a second class")
            .also(classes[0].span, "first class")
            .help("one Ingress object has one class: give every route of the service the same `class=`"),
        );
    }
    if let Some(m) = &svc.ops.metrics {
        port_ref(&m.port, out);
    }
    if let Some(a) = &svc.ops.autoscale {
        autoscale_fits(svc, a.span, out);
        if let Some(r) = &svc.replicas {
            out.push(autoscale_with_replicas(svc, a.span, r));
        }
    }
    if !svc.ops.ingress.is_empty() && !svc.workload.value.is_long_running() {
        out.push(
            Finding::new(
                "MC004",
                format!("`{}` is a batch workload with an ingress", svc.name.value),
            )
            .at(svc.ops.ingress[0].span, "nothing serves this route")
            .help("a job has no Service to route to: remove `ingress`"),
        );
    }
}

/// MC004: only Deployments and StatefulSets scale.
fn autoscale_fits(svc: &Service, span: SourceSpan, out: &mut Findings) {
    if !svc.workload.value.has_replicas() {
        out.push(
            Finding::new(
                "MC004",
                format!(
                    "`{}` is a {} and cannot autoscale",
                    svc.name.value,
                    svc.workload.value.keyword()
                ),
            )
            .at(span, "no replica count to scale")
            .help("only a deployment or a statefulset takes `autoscale`"),
        );
    }
}

/// MC015: a fixed count beside an autoscaler.
fn autoscale_with_replicas(
    svc: &Service,
    autoscale: SourceSpan,
    replicas: &Spanned<u32>,
) -> Finding {
    Finding::new(
        "MC015",
        format!("`{}` sets both `replicas` and `autoscale`", svc.name.value),
    )
    .at(replicas.span, "a fixed count")
    .also(autoscale, "the autoscaler owns the count")
    .help("remove `replicas`: the HorizontalPodAutoscaler keeps the count between min and max")
}

/// MC107 and MC108 in one target: every route has a host, and no two claim one host+path.
fn check_routes(t: &Target<'_>, out: &mut Findings) {
    if t.exposure() != Exposure::Ingress {
        return;
    }
    let mut claimed: HashMap<(String, String), (&Service, SourceSpan)> = HashMap::new();
    for svc in t.platform.services.iter().filter(|s| t.runs(s)) {
        for route in t.routes(svc) {
            let Some(host) = t.route_host(svc, route) else {
                let mut f = Finding::new(
                    "MC108",
                    format!(
                        "`{}` is routed by Ingress in `{}` but has no host there",
                        svc.name.value,
                        t.name()
                    ),
                )
                .at(route.span, "no host= here");
                if let Some(x) = t.env.and_then(|e| e.exposure.as_ref()) {
                    f = f.also(
                        x.mode.span,
                        "published through Ingress here, with no ingress-domain",
                    );
                }
                out.push(
                    f
                    .help(format!(
                        "write `host=\"{}.example.com\"` on the route, or `ingress-domain \"example.com\"` in environment `{}`",
                        svc.name.value,
                        t.name()
                    )),
                );
                continue;
            };
            let key = (host.clone(), route.path().to_string());
            match claimed.get(&key) {
                Some((other, first)) => out.push(
                    Finding::new(
                        "MC107",
                        format!(
                            "`{}` and `{}` both route {host}{} in `{}`",
                            other.name.value,
                            svc.name.value,
                            route.path(),
                            t.name()
                        ),
                    )
                    .at(route.span, "second claim")
                    .also(*first, "first claim")
                    .help("give one of them another host= or path="),
                ),
                None => {
                    claimed.insert(key, (svc, route.span));
                }
            }
        }
    }
}

/// `gitops`: one node per controller; Argo CD's clusters all URLs or all names (its
/// ApplicationSet template says `server` or `name` for every environment); Flux's clusters
/// name the Secret holding each kubeconfig.
pub(super) fn check_gitops(p: &Platform, out: &mut Findings) {
    let mut seen: Vec<&GitOps> = Vec::new();
    for g in &p.gitops {
        if let Some(first) = seen.iter().find(|f| f.tool.value == g.tool.value) {
            out.push(
                Finding::new(
                    "MC006",
                    "the platform declares this GitOps controller twice",
                )
                .at(g.tool.span, "again here")
                .also(first.tool.span, "first here")
                .help("keep one `gitops` node per controller"),
            );
        }
        seen.push(g);
    }
    let clusters: Vec<&Spanned<String>> = p
        .environments
        .iter()
        .filter_map(|e| e.cluster.as_ref())
        .collect();
    let is_url = |c: &Spanned<String>| crate::model::is_api_server_url(&c.value);
    if p.gitops.iter().any(|g| g.tool.value == GitOpsTool::ArgoCd)
        && let (Some(url), Some(name)) = (
            clusters.iter().find(|c| is_url(c)),
            clusters.iter().find(|c| !is_url(c)),
        )
    {
        out.push(
            Finding::new("MC004", "environments name their clusters both by URL and by name")
                .at(name.span, "a cluster name")
                .also(url.span, "an API server URL")
                .help("Argo CD's ApplicationSet gives every environment the same kind of destination: use URLs everywhere, or the names Argo CD knows the clusters by"),
        );
    }
    if p.gitops.iter().any(|g| g.tool.value == GitOpsTool::Flux) {
        for c in clusters
            .iter()
            .filter(|c| !crate::model::is_dns1123_subdomain(&c.value))
        {
            out.push(
                Finding::new("MC009", format!("`{}` cannot name a Secret", c.value))
                    .at(c.span, "Flux reads the cluster's kubeconfig from a Secret of this name")
                    .help("name the Secret in flux-system that holds the cluster's kubeconfig, e.g. `cluster \"prod-kubeconfig\"`"),
            );
        }
    }
}
