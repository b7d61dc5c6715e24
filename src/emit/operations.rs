//! What a service needs to be reached and run in production: its Ingress (routes by host and
//! path, TLS), ServiceMonitor (the Prometheus operator's scrape config), HorizontalPodAutoscaler
//! and PodDisruptionBudget. Each is `None` where the target does not call for it; the plain
//! YAML and the chart's values read the same functions.

use std::collections::BTreeMap;

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
    MetricTarget, ResourceMetricSource,
};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

use super::pod::{selector, service_meta};
use crate::model::{Autoscale, Service};
use crate::target::Target;

/// The label that tells a StatefulSet's headless governing Service from its client-facing
/// one, which otherwise carry the same labels: a ServiceMonitor selecting both would scrape
/// every pod twice.
pub const GOVERNING_LABEL: &str = "maestroc.dev/governing-service";

/// One Ingress per service with routes here: a rule per host, a path per route, and a TLS
/// entry per certificate.
pub fn ingress(t: &Target<'_>, svc: &Service) -> Option<Ingress> {
    let routes = t.routes(svc);
    if routes.is_empty() || !svc.workload.value.is_long_running() {
        return None;
    }
    let mut hosts: Vec<(String, Vec<HTTPIngressPath>)> = Vec::new();
    let mut tls: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for route in routes {
        // A route without a host is refused by `resolve` (MC108); nothing to emit for it.
        let Some(host) = t.route_host(svc, route) else {
            continue;
        };
        let path = HTTPIngressPath {
            path: Some(route.path().to_string()),
            path_type: "Prefix".to_string(),
            backend: IngressBackend {
                service: Some(IngressServiceBackend {
                    name: svc.name.value.clone(),
                    port: Some(ServiceBackendPort {
                        name: Some(route.port.value.clone()),
                        number: None,
                    }),
                }),
                resource: None,
            },
        };
        if let Some(secret) = t.route_tls_secret(route) {
            let list = tls.entry(secret).or_default();
            if !list.contains(&host) {
                list.push(host.clone());
            }
        }
        match hosts.iter_mut().find(|(h, _)| *h == host) {
            Some((_, paths)) => paths.push(path),
            None => hosts.push((host, vec![path])),
        }
    }
    if hosts.is_empty() {
        return None;
    }
    Some(Ingress {
        metadata: service_meta(t.platform, svc, &svc.name.value),
        spec: Some(IngressSpec {
            ingress_class_name: routes
                .iter()
                .find_map(|r| t.route_class(r))
                .map(str::to_string),
            rules: Some(
                hosts
                    .into_iter()
                    .map(|(host, paths)| IngressRule {
                        host: Some(host),
                        http: Some(HTTPIngressRuleValue { paths }),
                    })
                    .collect(),
            ),
            tls: (!tls.is_empty()).then(|| {
                tls.into_iter()
                    .map(|(secret, hosts)| IngressTLS {
                        hosts: Some(hosts),
                        secret_name: Some(secret.to_string()),
                    })
                    .collect()
            }),
            default_backend: None,
        }),
        status: None,
    })
}

/// `monitoring.coreos.com/v1` ServiceMonitor: k8s-openapi has no CRD types, so the fields
/// maestroc sets are typed here (names as in the operator's CRD).
#[derive(Debug, Clone, Serialize)]
pub struct ServiceMonitor {
    #[serde(rename = "apiVersion")]
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: ServiceMonitorSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceMonitorSpec {
    pub endpoints: Vec<Endpoint>,
    pub selector: LabelSelector,
}

/// Fields in alphabetical order, as k8s-openapi writes every other object.
#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    pub path: String,
    pub port: String,
}

/// A ServiceMonitor for a service with `metrics`, where the platform runs the Prometheus
/// operator (the default); it selects the client-facing Service only.
pub fn service_monitor(t: &Target<'_>, svc: &Service) -> Option<ServiceMonitor> {
    let m = svc.ops.metrics.as_ref()?;
    let operator = t.platform.prometheus.as_ref().is_none_or(|p| p.operator);
    if !operator || svc.ports.is_empty() || !svc.workload.value.is_long_running() {
        return None;
    }
    let meta = service_meta(t.platform, svc, &svc.name.value);
    let selector = LabelSelector {
        match_labels: meta.labels.clone(),
        match_expressions: svc.needs_headless_companion().then(|| {
            vec![LabelSelectorRequirement {
                key: GOVERNING_LABEL.to_string(),
                operator: "DoesNotExist".to_string(),
                values: None,
            }]
        }),
    };
    Some(ServiceMonitor {
        api_version: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: meta,
        spec: ServiceMonitorSpec {
            endpoints: vec![Endpoint {
                interval: m.interval.as_ref().map(|i| i.value.clone()),
                path: m.path().to_string(),
                port: m.port.value.clone(),
            }],
            selector,
        },
    })
}

/// `prometheus.io/scrape|port|path` pod annotations, for a plain Prometheus that discovers
/// pods by annotation (`prometheus "annotations"`).
pub fn scrape_annotations(t: &Target<'_>, svc: &Service) -> BTreeMap<String, String> {
    let annotations = t.platform.prometheus.as_ref().is_some_and(|p| !p.operator);
    let port = svc.ops.metrics.as_ref().and_then(|m| {
        svc.ports
            .iter()
            .find(|p| p.name.value == m.port.value)
            .map(|p| (m, p))
    });
    match port {
        Some((m, p)) if annotations => BTreeMap::from([
            ("prometheus.io/scrape".to_string(), "true".to_string()),
            ("prometheus.io/port".to_string(), p.number.value.to_string()),
            ("prometheus.io/path".to_string(), m.path().to_string()),
        ]),
        _ => BTreeMap::new(),
    }
}

fn resource_metric(name: &str, percent: u32) -> MetricSpec {
    MetricSpec {
        type_: "Resource".to_string(),
        resource: Some(ResourceMetricSource {
            name: name.to_string(),
            target: MetricTarget {
                type_: "Utilization".to_string(),
                average_utilization: Some(percent as i32),
                ..Default::default()
            },
        }),
        ..Default::default()
    }
}

/// `autoscaling/v2` HorizontalPodAutoscaler over the service's Deployment or StatefulSet.
pub fn autoscaler(t: &Target<'_>, svc: &Service) -> Option<HorizontalPodAutoscaler> {
    let a: &Autoscale = t.autoscale(svc)?;
    let mut metrics = Vec::new();
    let cpu = a.cpu.as_ref().map(|c| c.value);
    if let Some(c) = cpu.or(a.memory.is_none().then_some(Autoscale::DEFAULT_CPU)) {
        metrics.push(resource_metric("cpu", c));
    }
    if let Some(m) = &a.memory {
        metrics.push(resource_metric("memory", m.value));
    }
    let kind = if svc.workload.value == crate::model::WorkloadKind::StatefulSet {
        "StatefulSet"
    } else {
        "Deployment"
    };
    Some(HorizontalPodAutoscaler {
        metadata: service_meta(t.platform, svc, &svc.name.value),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".to_string()),
                kind: kind.to_string(),
                name: svc.name.value.clone(),
            },
            min_replicas: Some(a.min.value as i32),
            max_replicas: a.max.value as i32,
            metrics: Some(metrics),
            behavior: None,
        }),
        status: None,
    })
}

/// `policy/v1` PodDisruptionBudget for a workload that may run more than one pod: a node
/// drain takes them down one at a time.
pub fn disruption_budget(t: &Target<'_>, svc: &Service) -> Option<PodDisruptionBudget> {
    if !t.runs(svc) || !t.may_run_several(svc) {
        return None;
    }
    Some(PodDisruptionBudget {
        metadata: service_meta(t.platform, svc, &svc.name.value),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(selector(t.platform, svc)),
            ..Default::default()
        }),
        status: None,
    })
}
