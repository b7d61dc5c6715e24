//! One file per deployed service: its workload (Deployment, StatefulSet, Job or CronJob),
//! Service, PersistentVolumeClaims and NetworkPolicy.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    DaemonSet, DaemonSetSpec, Deployment, DeploymentSpec, StatefulSet, StatefulSetSpec,
};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimSpec, PodTemplateSpec, Service as K8sService,
    ServicePort, ServiceSpec, VolumeResourceRequirements,
};
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::operations;
use super::pod::{
    pod_template, privilege_annotations, selector, selector_labels, service_account, service_meta,
};
use super::yaml::{YamlError, YamlFile};
use crate::model::{ExposedFrom, Platform, Port, Service, ServiceType, WorkloadKind};
use crate::target::Target;
use crate::verify::admission::FinalPod;
use crate::verify::api_rules;

/// Everything in `NN-<service>.yaml`.
pub fn service_file(
    t: &Target<'_>,
    svc: &Service,
    dependencies: &[&Service],
    dependents: &[&Service],
) -> Result<YamlFile, YamlError> {
    service_file_into(t, svc, dependencies, dependents, &mut Sink::default())
}

/// The service's file and its final pods (the workload's, after patches, and those of its
/// `extra` files), for `verify::admission`.
pub fn service_file_judged<'a>(
    t: &Target<'a>,
    svc: &'a Service,
    dependencies: &[&Service],
    dependents: &[&Service],
) -> Result<(YamlFile, Vec<FinalPod<'a>>), YamlError> {
    let mut sink = Sink {
        pods: Some(Vec::new()),
        ..Sink::default()
    };
    let file = service_file_into(t, svc, dependencies, dependents, &mut sink)?;
    Ok((file, sink.pods.unwrap_or_default()))
}

/// The service's final pods alone, without serialising its file (the chart's namespace
/// labels need the pods, and the k8s/ emitter already writes and judges the files).
pub fn final_pods<'a>(
    t: &Target<'a>,
    svc: &'a Service,
    dependencies: &[&Service],
    dependents: &[&Service],
) -> Result<Vec<FinalPod<'a>>, YamlError> {
    let mut sink = Sink {
        pods: Some(Vec::new()),
        discard_file: true,
        ..Sink::default()
    };
    service_file_into(t, svc, dependencies, dependents, &mut sink)?;
    Ok(sink.pods.unwrap_or_default())
}

/// Patched objects by kind, as JSON: what the chart's values carry for a patched service.
pub type PatchedObjects = BTreeMap<String, serde_json::Value>;

/// What emitting a service records besides its file, each only when asked for.
#[derive(Default)]
struct Sink<'a> {
    patched: Option<PatchedObjects>,
    pods: Option<Vec<FinalPod<'a>>>,
    /// Build the objects but serialise none of them.
    discard_file: bool,
}

/// The objects of a service's `patch` kinds after patching, for the chart.
pub fn patched_objects(
    t: &Target<'_>,
    svc: &Service,
    dependencies: &[&Service],
    dependents: &[&Service],
) -> PatchedObjects {
    let mut sink = Sink {
        patched: Some(PatchedObjects::new()),
        discard_file: true,
        ..Sink::default()
    };
    let _ = service_file_into(t, svc, dependencies, dependents, &mut sink);
    sink.patched.unwrap_or_default()
}

/// `obj` with the service's patches of `kind` applied; recorded in `sink` when it is patched.
fn patched<T: serde::Serialize + serde::de::DeserializeOwned>(
    t: &Target<'_>,
    svc: &Service,
    kind: &str,
    obj: T,
    sink: &mut Sink<'_>,
) -> Result<T, YamlError> {
    let (obj, applied) = super::patch::apply(svc, &t.patches(svc), kind, obj)?;
    if applied && let Some(sink) = sink.patched.as_mut() {
        let value = serde_json::to_value(&obj).unwrap_or(serde_json::Value::Null);
        // The chart's key: the kind for the object named like the service, `Kind/name` else
        // (a patch never renames the object).
        let name = value["metadata"]["name"].as_str().unwrap_or_default();
        let key = if name == svc.name.value {
            kind.to_string()
        } else {
            format!("{kind}/{name}")
        };
        sink.insert(key, value);
    }
    Ok(obj)
}

/// A workload kind's pod template, and what the template's validity depends on.
trait PodOwner {
    fn pod(&self) -> Option<(&PodTemplateSpec, api_rules::Workload<'_>)>;
}

/// The pod and its workload's facts, named after the object.
fn named<'s>(
    kind: &'s str,
    meta: &'s ObjectMeta,
    (template, w): (&'s PodTemplateSpec, api_rules::Workload<'s>),
) -> (&'s PodTemplateSpec, api_rules::Workload<'s>) {
    (
        template,
        api_rules::Workload {
            kind,
            name: meta.name.as_deref(),
            ..w
        },
    )
}

/// The selector and the claim templates' names: what Deployments, StatefulSets and DaemonSets
/// hold beside their template.
fn owned<'s>(
    template: &'s PodTemplateSpec,
    selector: &'s LabelSelector,
    claims: Option<&'s Vec<PersistentVolumeClaim>>,
) -> (&'s PodTemplateSpec, api_rules::Workload<'s>) {
    let claims = claims
        .into_iter()
        .flatten()
        .filter_map(|c| c.metadata.name.as_deref())
        .collect();
    (
        template,
        api_rules::Workload {
            selector: Some(selector),
            claims,
            ..Default::default()
        },
    )
}

impl PodOwner for Deployment {
    fn pod(&self) -> Option<(&PodTemplateSpec, api_rules::Workload<'_>)> {
        let s = self.spec.as_ref()?;
        Some(named(
            "Deployment",
            &self.metadata,
            owned(&s.template, &s.selector, None),
        ))
    }
}

impl PodOwner for StatefulSet {
    fn pod(&self) -> Option<(&PodTemplateSpec, api_rules::Workload<'_>)> {
        let s = self.spec.as_ref()?;
        Some(named(
            "StatefulSet",
            &self.metadata,
            owned(&s.template, &s.selector, s.volume_claim_templates.as_ref()),
        ))
    }
}

impl PodOwner for DaemonSet {
    fn pod(&self) -> Option<(&PodTemplateSpec, api_rules::Workload<'_>)> {
        let s = self.spec.as_ref()?;
        Some(named(
            "DaemonSet",
            &self.metadata,
            owned(&s.template, &s.selector, None),
        ))
    }
}

impl PodOwner for Job {
    fn pod(&self) -> Option<(&PodTemplateSpec, api_rules::Workload<'_>)> {
        Some(named(
            "Job",
            &self.metadata,
            (
                &self.spec.as_ref()?.template,
                api_rules::Workload::default(),
            ),
        ))
    }
}

impl PodOwner for CronJob {
    fn pod(&self) -> Option<(&PodTemplateSpec, api_rules::Workload<'_>)> {
        let job = self.spec.as_ref()?.job_template.spec.as_ref()?;
        Some(named(
            "CronJob",
            &self.metadata,
            (&job.template, api_rules::Workload::default()),
        ))
    }
}

/// Patches the service's workload, records its final pod (judged before and after the kind's
/// patches) when `sink` asks for pods, and adds it to the file.
fn push_workload<'a, W>(
    file: &mut YamlFile,
    t: &Target<'a>,
    svc: &'a Service,
    kind: &'static str,
    obj: W,
    // The pod as built before patches; `None` when the service has no patch to change it.
    native: Option<&PodTemplateSpec>,
    sink: &mut Sink<'a>,
) -> Result<(), YamlError>
where
    W: serde::Serialize + serde::de::DeserializeOwned + PodOwner,
{
    let obj = patched(t, svc, kind, obj, sink)?;
    if let (Some(pods), Some((last, workload))) = (sink.pods.as_mut(), obj.pod()) {
        let patched = t.patches(svc).iter().any(|p| p.kind.value == kind);
        pods.push(FinalPod::workload(
            svc,
            svc.namespace(t.platform),
            kind,
            workload,
            last,
            native.filter(|_| patched),
        ));
    }
    file.push(kind, &obj)
}

fn service_file_into<'a>(
    t: &Target<'a>,
    svc: &'a Service,
    dependencies: &[&Service],
    dependents: &[&Service],
    sink: &mut Sink<'a>,
) -> Result<YamlFile, YamlError> {
    let p = t.platform;
    let name = svc.name.value.as_str();
    let mut file = if sink.discard_file {
        YamlFile::discarding()
    } else {
        YamlFile::default()
    };
    if let Some(sa) = service_account(p, svc) {
        file.push(
            "ServiceAccount",
            &patched(t, svc, "ServiceAccount", sa, sink)?,
        )?;
    }
    let template = pod_template(t, svc, dependencies);
    // The pod before patches is kept only where a patch may change it: elsewhere the final
    // pod is the native one.
    let native = (sink.pods.is_some() && !t.patches(svc).is_empty()).then(|| template.clone());
    let long_running = svc.workload.value.is_long_running();
    // A StatefulSet gets its claims from volumeClaimTemplates; every other kind mounts PVCs
    // declared beside it.
    if svc.workload.value != WorkloadKind::StatefulSet {
        for vol in &svc.volumes {
            if let Some(size) = vol.claim_size() {
                file.push(
                    "PersistentVolumeClaim",
                    &pvc(t, svc, &vol.name.value, &size.value),
                )?;
            }
        }
    }
    let mut workload_meta = service_meta(p, svc, name);
    let skips = privilege_annotations(p, svc);
    workload_meta.annotations = (!skips.is_empty()).then_some(skips);
    let native = native.as_ref();
    match svc.workload.value {
        WorkloadKind::Deployment => push_workload(
            &mut file,
            t,
            svc,
            "Deployment",
            Deployment {
                metadata: workload_meta,
                spec: Some(DeploymentSpec {
                    replicas: fixed_replicas(t, svc),
                    selector: selector(p, svc),
                    template,
                    ..Default::default()
                }),
                ..Default::default()
            },
            native,
            sink,
        )?,
        WorkloadKind::StatefulSet => {
            let claims = svc
                .volumes
                .iter()
                .filter_map(|v| {
                    let size = v.claim_size()?;
                    let mut c = pvc(t, svc, &v.name.value, &size.value);
                    // Claim templates are named after the volume; the controller adds the pod.
                    c.metadata = ObjectMeta {
                        name: Some(v.name.value.clone()),
                        labels: c.metadata.labels,
                        ..Default::default()
                    };
                    Some(c)
                })
                .collect::<Vec<_>>();
            push_workload(
                &mut file,
                t,
                svc,
                "StatefulSet",
                StatefulSet {
                    metadata: workload_meta,
                    spec: Some(StatefulSetSpec {
                        replicas: fixed_replicas(t, svc),
                        selector: selector(p, svc),
                        service_name: Some(svc.governing_service()),
                        template,
                        volume_claim_templates: (!claims.is_empty()).then_some(claims),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                native,
                sink,
            )?;
        }
        WorkloadKind::DaemonSet => push_workload(
            &mut file,
            t,
            svc,
            "DaemonSet",
            DaemonSet {
                metadata: workload_meta,
                spec: Some(DaemonSetSpec {
                    selector: selector(p, svc),
                    template,
                    ..Default::default()
                }),
                ..Default::default()
            },
            native,
            sink,
        )?,
        WorkloadKind::Job => push_workload(
            &mut file,
            t,
            svc,
            "Job",
            Job {
                metadata: workload_meta,
                spec: Some(job_spec(template)),
                ..Default::default()
            },
            native,
            sink,
        )?,
        WorkloadKind::CronJob => push_workload(
            &mut file,
            t,
            svc,
            "CronJob",
            CronJob {
                metadata: workload_meta,
                spec: Some(CronJobSpec {
                    schedule: svc
                        .schedule
                        .as_ref()
                        .map(|s| s.value.clone())
                        .unwrap_or_default(),
                    concurrency_policy: Some("Forbid".to_string()),
                    job_template: JobTemplateSpec {
                        metadata: None,
                        spec: Some(job_spec(template)),
                    },
                    ..Default::default()
                }),
                ..Default::default()
            },
            native,
            sink,
        )?,
    }
    if long_running && !svc.ports.is_empty() {
        file.push(
            "Service",
            &patched(t, svc, "Service", service(t, svc), sink)?,
        )?;
        if svc.needs_headless_companion() {
            file.push(
                "Service",
                &patched(t, svc, "Service", headless_service(t, svc), sink)?,
            )?;
        }
    }
    if let Some(ingress) = operations::ingress(t, svc) {
        file.push("Ingress", &patched(t, svc, "Ingress", ingress, sink)?)?;
    }
    if let Some(monitor) = operations::service_monitor(t, svc) {
        file.push("ServiceMonitor", &monitor)?;
    }
    if let Some(hpa) = operations::autoscaler(t, svc) {
        file.push("HorizontalPodAutoscaler", &hpa)?;
    }
    if let Some(pdb) = operations::disruption_budget(t, svc) {
        file.push("PodDisruptionBudget", &pdb)?;
    }
    // Hand-written objects (`extra`), checked by `resolve::files`, after maestroc's own.
    for extra in &svc.extras {
        for obj in &extra.objects {
            file.push("extra object", obj)?;
            let namespace = obj
                .pointer("/metadata/namespace")
                .and_then(|n| n.as_str())
                .unwrap_or(svc.namespace(p));
            if let Some(pods) = sink.pods.as_mut()
                && let Some(pod) = FinalPod::extra(svc, namespace, extra, obj)
            {
                pods.push(pod);
            }
        }
    }
    // Every pod gets a policy: one that listens on nothing is denied all ingress.
    if p.network_policies() {
        let policy = network_policy(t, svc, dependencies, dependents);
        let patches = t.patches(svc);
        if patches.iter().any(|p| p.kind.value == "NetworkPolicy") {
            let after = patched(t, svc, "NetworkPolicy", policy.clone(), sink)?;
            super::patch::check_widening(svc, &patches, &policy, &after)?;
            file.push("NetworkPolicy", &after)?;
        } else {
            file.push("NetworkPolicy", &policy)?;
        }
    }
    Ok(file)
}

/// The replica count written on the workload: none when an autoscaler owns it (a fixed count
/// would be reset by every apply, fighting the HPA).
fn fixed_replicas(t: &Target<'_>, svc: &Service) -> Option<i32> {
    t.autoscale(svc).is_none().then(|| t.replicas(svc) as i32)
}

fn job_spec(mut template: PodTemplateSpec) -> JobSpec {
    if let Some(spec) = template.spec.as_mut() {
        spec.restart_policy = Some("OnFailure".to_string());
    }
    JobSpec {
        backoff_limit: Some(3),
        template,
        ..Default::default()
    }
}

fn pvc(t: &Target<'_>, svc: &Service, volume: &str, size: &str) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: service_meta(t.platform, svc, &format!("{}-{volume}", svc.name.value)),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".to_string()]),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_string(),
                    Quantity(size.to_string()),
                )])),
                ..Default::default()
            }),
            storage_class_name: t.storage_class().map(str::to_string),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn service_ports(t: &Target<'_>, svc: &Service, with_node_ports: bool) -> Vec<ServicePort> {
    svc.ports
        .iter()
        .map(|port| ServicePort {
            name: Some(port.name.value.clone()),
            port: i32::from(port.exposed().get()),
            target_port: Some(IntOrString::String(port.name.value.clone())),
            node_port: t
                .published_node_port(svc, port)
                .filter(|_| with_node_ports)
                .map(i32::from),
            protocol: Some("TCP".to_string()),
            ..Default::default()
        })
        .collect()
}

/// The Service's type here: the spec's `service-type`; else, when a port is published here,
/// NodePort or LoadBalancer as the environment's `exposure` says (an Ingress reaches a
/// ClusterIP Service); else ClusterIP.
fn service(t: &Target<'_>, svc: &Service) -> K8sService {
    let p = t.platform;
    let kind = t.service_type(svc);
    let (type_, cluster_ip) = match kind {
        ServiceType::ClusterIp => ("ClusterIP", None),
        ServiceType::NodePort => ("NodePort", None),
        ServiceType::LoadBalancer => ("LoadBalancer", None),
        ServiceType::Headless => ("ClusterIP", Some("None".to_string())),
    };
    let node_ports = matches!(kind, ServiceType::NodePort | ServiceType::LoadBalancer);
    K8sService {
        metadata: service_meta(p, svc, &svc.name.value),
        spec: Some(ServiceSpec {
            type_: Some(type_.to_string()),
            cluster_ip,
            selector: Some(selector_labels(p, svc)),
            ports: Some(service_ports(t, svc, node_ports)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The governing Service a StatefulSet needs for stable pod DNS names.
fn headless_service(t: &Target<'_>, svc: &Service) -> K8sService {
    let p = t.platform;
    let mut metadata = service_meta(p, svc, &svc.governing_service());
    if let Some(labels) = metadata.labels.as_mut() {
        labels.insert(operations::GOVERNING_LABEL.to_string(), "true".to_string());
    }
    K8sService {
        metadata,
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_string()),
            cluster_ip: Some("None".to_string()),
            publish_not_ready_addresses: Some(true),
            selector: Some(selector_labels(p, svc)),
            ports: Some(service_ports(t, svc, false)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn namespace_peer(ns: &str) -> LabelSelector {
    LabelSelector {
        match_labels: Some(BTreeMap::from([(
            "kubernetes.io/metadata.name".to_string(),
            ns.to_string(),
        )])),
        ..Default::default()
    }
}

/// Who may reach which port from outside the graph: each `expose` line; the ingress
/// controller on routed ports (exposure "ingress"); the nodes (`node-cidr`) on ports published
/// as NodePort or through a load balancer and not narrowed by an `expose` — that traffic
/// arrives from node addresses, so no pod selector can admit it; without `node-cidr`, anyone
/// (MC410 says so); the Prometheus scraper's pods on the metrics port.
fn exposure<'s>(
    t: &Target<'_>,
    svc: &'s Service,
    dependents: &[&Service],
) -> Vec<(Vec<&'s Port>, Option<NetworkPolicyPeer>)> {
    let p = t.platform;
    let find = |name: &str| svc.ports.iter().find(|p| p.name.value == name);
    let mut rules: Vec<(Vec<&Port>, Option<NetworkPolicyPeer>)> = svc
        .expose
        .iter()
        .map(|e| {
            let ports = e.ports.iter().filter_map(|n| find(&n.value)).collect();
            let peer = match &e.from {
                ExposedFrom::Anywhere => None,
                ExposedFrom::Cidr(c) => Some(ip_block(&c.value)),
                ExposedFrom::Namespace(n) => Some(namespace_only(&n.value)),
            };
            (ports, peer)
        })
        .collect();
    let routed: Vec<&Port> = svc
        .ports
        .iter()
        .filter(|port| {
            t.routes(svc)
                .iter()
                .any(|r| r.port.value == port.name.value)
        })
        .collect();
    if !routed.is_empty() {
        rules.push((
            routed,
            Some(namespace_only(t.ingress_controller_namespace())),
        ));
    }
    let open = t.open_to_outside(svc);
    if !open.is_empty() {
        let nodes = t.node_cidrs();
        if nodes.is_empty() {
            rules.push((open, None));
        } else {
            for cidr in nodes {
                rules.push((open.clone(), Some(ip_block(&cidr.value))));
            }
        }
    }
    if let Some(m) = &svc.ops.metrics
        && let Some(port) = find(&m.port.value)
    {
        let scraper = p.prometheus.as_ref();
        let by_service = scraper
            .and_then(|s| s.service.as_ref())
            .and_then(|name| p.services.iter().find(|x| x.name.value == name.value));
        match by_service {
            // A scraper that already depends on the service reaches every port of it.
            Some(prom) if dependents.iter().any(|d| d.name.value == prom.name.value) => {}
            Some(prom) => rules.push((
                vec![port],
                Some(NetworkPolicyPeer {
                    namespace_selector: Some(namespace_peer(prom.namespace(p))),
                    pod_selector: Some(selector(p, prom)),
                    ..Default::default()
                }),
            )),
            None => {
                let (ns, key, value) = crate::model::Prometheus::outside_scraper(scraper);
                rules.push((
                    vec![port],
                    Some(NetworkPolicyPeer {
                        namespace_selector: Some(namespace_peer(ns)),
                        pod_selector: Some(LabelSelector {
                            match_labels: Some(BTreeMap::from([(
                                key.to_string(),
                                value.to_string(),
                            )])),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                ));
            }
        }
    }
    rules
}

fn ip_block(cidr: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        ip_block: Some(IPBlock {
            cidr: cidr.to_string(),
            except: None,
        }),
        ..Default::default()
    }
}

fn namespace_only(ns: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(namespace_peer(ns)),
        ..Default::default()
    }
}

/// The ingress rules of a service's NetworkPolicy: from the pods of each dependent on all its
/// ports, then whatever `exposure` opens. Anything else is denied (everything, for a pod with
/// no ports). Shared with the chart's values.
pub fn ingress_rules(
    t: &Target<'_>,
    svc: &Service,
    dependents: &[&Service],
) -> Vec<NetworkPolicyIngressRule> {
    let p = t.platform;
    let policy_port = |port: &Port| NetworkPolicyPort {
        port: Some(IntOrString::Int(i32::from(port.number.value.get()))),
        protocol: Some("TCP".to_string()),
        ..Default::default()
    };
    let mut rules = Vec::new();
    let peers: Vec<NetworkPolicyPeer> = dependents
        .iter()
        .filter(|d| t.runs(d))
        .map(|d| NetworkPolicyPeer {
            namespace_selector: Some(namespace_peer(d.namespace(p))),
            pod_selector: Some(selector(p, d)),
            ..Default::default()
        })
        .collect();
    // An empty `ports` would admit the peers on every port: only a pod that listens gets one.
    if !peers.is_empty() && !svc.ports.is_empty() {
        rules.push(NetworkPolicyIngressRule {
            from: Some(peers),
            ports: Some(svc.ports.iter().map(policy_port).collect()),
        });
    }
    for (ports, peer) in exposure(t, svc, dependents) {
        if ports.is_empty() {
            continue;
        }
        rules.push(NetworkPolicyIngressRule {
            from: peer.map(|p| vec![p]),
            ports: Some(ports.into_iter().map(policy_port).collect()),
        });
    }
    rules
}

/// With `egress "restricted"`: DNS (kube-dns in kube-system), then each dependency's pods on
/// its ports; an external dependency, which no selector reaches, on its ports anywhere; for
/// the spec service that scrapes (`prometheus … service=`), every other service's metrics port.
pub fn egress_rules(
    t: &Target<'_>,
    svc: &Service,
    dependencies: &[&Service],
) -> Vec<NetworkPolicyEgressRule> {
    let p = t.platform;
    let port = |n: u16, proto: &str| NetworkPolicyPort {
        port: Some(IntOrString::Int(i32::from(n))),
        protocol: Some(proto.to_string()),
        ..Default::default()
    };
    let mut rules = vec![NetworkPolicyEgressRule {
        to: Some(vec![NetworkPolicyPeer {
            namespace_selector: Some(namespace_peer("kube-system")),
            pod_selector: Some(LabelSelector {
                match_labels: Some(BTreeMap::from([(
                    "k8s-app".to_string(),
                    "kube-dns".to_string(),
                )])),
                ..Default::default()
            }),
            ..Default::default()
        }]),
        ports: Some(vec![port(53, "UDP"), port(53, "TCP")]),
    }];
    for d in dependencies.iter().filter(|d| !d.ports.is_empty()) {
        if d.is_external() {
            rules.push(NetworkPolicyEgressRule {
                to: None,
                ports: Some(
                    d.ports
                        .iter()
                        .map(|x| port(x.number.value.get(), "TCP"))
                        .collect(),
                ),
            });
        } else if t.runs(d) {
            rules.push(NetworkPolicyEgressRule {
                to: Some(vec![NetworkPolicyPeer {
                    namespace_selector: Some(namespace_peer(d.namespace(p))),
                    pod_selector: Some(selector(p, d)),
                    ..Default::default()
                }]),
                ports: Some(
                    d.ports
                        .iter()
                        .map(|x| port(x.number.value.get(), "TCP"))
                        .collect(),
                ),
            });
        }
    }
    for (target, metrics) in scrape_targets(t, svc) {
        if dependencies
            .iter()
            .any(|d| d.name.value == target.name.value)
        {
            continue; // already reached on every port
        }
        rules.push(NetworkPolicyEgressRule {
            to: Some(vec![NetworkPolicyPeer {
                namespace_selector: Some(namespace_peer(target.namespace(p))),
                pod_selector: Some(selector(p, target)),
                ..Default::default()
            }]),
            ports: Some(vec![port(metrics.number.value.get(), "TCP")]),
        });
    }
    rules
}

/// The services a spec service scrapes, with their metrics port: every running service with
/// `metrics` when `svc` is the platform's `prometheus … service=`, none otherwise.
fn scrape_targets<'s>(t: &Target<'s>, svc: &Service) -> Vec<(&'s Service, &'s Port)> {
    let p = t.platform;
    let is_scraper = p
        .prometheus
        .as_ref()
        .and_then(|x| x.service.as_ref())
        .is_some_and(|s| s.value == svc.name.value);
    if !is_scraper {
        return Vec::new();
    }
    p.services
        .iter()
        .filter(|s| t.runs(s) && s.name.value != svc.name.value)
        .filter_map(|s| {
            let m = s.ops.metrics.as_ref()?;
            let port = s.ports.iter().find(|x| x.name.value == m.port.value)?;
            Some((s, port))
        })
        .collect()
}

/// `Ingress`, plus `Egress` when the platform restricts it.
pub fn policy_types(p: &Platform) -> Vec<String> {
    let mut types = vec!["Ingress".to_string()];
    if p.egress_restricted() {
        types.push("Egress".to_string());
    }
    types
}

fn network_policy(
    t: &Target<'_>,
    svc: &Service,
    dependencies: &[&Service],
    dependents: &[&Service],
) -> NetworkPolicy {
    let p: &Platform = t.platform;
    NetworkPolicy {
        metadata: service_meta(p, svc, &svc.name.value),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(selector(p, svc)),
            policy_types: Some(policy_types(p)),
            ingress: Some(ingress_rules(t, svc, dependents)),
            egress: p
                .egress_restricted()
                .then(|| egress_rules(t, svc, dependencies)),
        }),
    }
}
