//! One file per deployed service: its workload (Deployment, StatefulSet, Job or CronJob),
//! Service, PersistentVolumeClaims and NetworkPolicy.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, StatefulSet, StatefulSetSpec};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    ConfigMapEnvSource, ConfigMapKeySelector, Container, ContainerPort, EnvFromSource, EnvVar,
    EnvVarSource, GRPCAction, HTTPGetAction, PersistentVolumeClaim, PersistentVolumeClaimSpec,
    PersistentVolumeClaimVolumeSource, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, SecretKeySelector, Service as K8sService, ServicePort, ServiceSpec,
    TCPSocketAction, TopologySpreadConstraint, Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::meta::{DEFAULTS_CONFIGMAP, PORTS_CONFIGMAP, meta, selector, selector_labels};
use super::yaml::{YamlError, YamlFile};
use crate::model::{EnvValue, Health, Resources, Service, WorkloadKind, service_keys};
use crate::target::Target;

/// Everything in `NN-<service>.yaml`.
pub fn service_file(
    t: &Target<'_>,
    svc: &Service,
    dependencies: &[&Service],
    dependents: &[&Service],
) -> Result<YamlFile, YamlError> {
    let p = t.platform;
    let name = svc.name.value.as_str();
    let ns = svc.namespace(p);
    let mut file = YamlFile::default();
    let template = pod_template(t, svc, dependencies);
    let long_running = svc.workload.value.is_long_running();
    // A StatefulSet gets its claims from volumeClaimTemplates; every other kind mounts PVCs
    // declared beside it.
    if svc.workload.value != WorkloadKind::StatefulSet {
        for vol in &svc.volumes {
            file.push(
                "PersistentVolumeClaim",
                &pvc(t, svc, &vol.name.value, &vol.size.value),
            )?;
        }
    }
    match svc.workload.value {
        WorkloadKind::Deployment => {
            file.push(
                "Deployment",
                &Deployment {
                    metadata: meta(p, name, Some(ns), Some(name)),
                    spec: Some(DeploymentSpec {
                        replicas: Some(t.replicas(svc) as i32),
                        selector: selector(p, name),
                        template,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            )?;
        }
        WorkloadKind::StatefulSet => {
            let claims = svc
                .volumes
                .iter()
                .map(|v| {
                    let mut c = pvc(t, svc, &v.name.value, &v.size.value);
                    // Claim templates are named after the volume; the controller adds the pod.
                    c.metadata = ObjectMeta {
                        name: Some(v.name.value.clone()),
                        labels: c.metadata.labels,
                        ..Default::default()
                    };
                    c
                })
                .collect::<Vec<_>>();
            file.push(
                "StatefulSet",
                &StatefulSet {
                    metadata: meta(p, name, Some(ns), Some(name)),
                    spec: Some(StatefulSetSpec {
                        replicas: Some(t.replicas(svc) as i32),
                        selector: selector(p, name),
                        service_name: Some(headless_name(name)),
                        template,
                        volume_claim_templates: (!claims.is_empty()).then_some(claims),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            )?;
        }
        WorkloadKind::Job => {
            file.push(
                "Job",
                &Job {
                    metadata: meta(p, name, Some(ns), Some(name)),
                    spec: Some(job_spec(template)),
                    ..Default::default()
                },
            )?;
        }
        WorkloadKind::CronJob => {
            file.push(
                "CronJob",
                &CronJob {
                    metadata: meta(p, name, Some(ns), Some(name)),
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
            )?;
        }
    }
    if long_running && !svc.ports.is_empty() {
        file.push("Service", &service(t, svc))?;
        if svc.workload.value == WorkloadKind::StatefulSet {
            file.push("Service", &headless_service(t, svc))?;
        }
    }
    // Every pod gets a policy: one that listens on nothing is denied all ingress.
    file.push("NetworkPolicy", &network_policy(t, svc, dependents))?;
    Ok(file)
}

fn headless_name(name: &str) -> String {
    format!("{name}-headless")
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
    let name = svc.name.value.as_str();
    PersistentVolumeClaim {
        metadata: meta(
            t.platform,
            &format!("{name}-{volume}"),
            Some(svc.namespace(t.platform)),
            Some(name),
        ),
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

fn pod_template(t: &Target<'_>, svc: &Service, dependencies: &[&Service]) -> PodTemplateSpec {
    let p = t.platform;
    let name = svc.name.value.as_str();
    let mut labels = selector_labels(p, name);
    labels.insert(
        "app.kubernetes.io/managed-by".to_string(),
        "maestroc".to_string(),
    );
    let volumes: Vec<Volume> = match svc.workload.value {
        // StatefulSet volumes come from its claim templates.
        WorkloadKind::StatefulSet => Vec::new(),
        _ => svc
            .volumes
            .iter()
            .map(|v| Volume {
                name: v.name.value.clone(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: format!("{name}-{}", v.name.value),
                    read_only: None,
                }),
                ..Default::default()
            })
            .collect(),
    };
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels),
            ..Default::default()
        }),
        spec: Some(PodSpec {
            containers: vec![container(t, svc, dependencies)],
            volumes: (!volumes.is_empty()).then_some(volumes),
            security_context: svc.run_as_user.as_ref().map(|uid| PodSecurityContext {
                run_as_user: Some(i64::from(uid.value)),
                run_as_non_root: (uid.value != 0).then_some(true),
                ..Default::default()
            }),
            // Replicas on one node share its fate: spread them where the cluster allows.
            topology_spread_constraints: (svc.workload.value.is_long_running()
                && t.replicas(svc) > 1)
                .then(|| {
                    vec![TopologySpreadConstraint {
                        max_skew: 1,
                        topology_key: "kubernetes.io/hostname".to_string(),
                        when_unsatisfiable: "ScheduleAnyway".to_string(),
                        label_selector: Some(selector(p, name)),
                        ..Default::default()
                    }]
                }),
            ..Default::default()
        }),
    }
}

fn container(t: &Target<'_>, svc: &Service, dependencies: &[&Service]) -> Container {
    let ports: Vec<ContainerPort> = svc
        .ports
        .iter()
        .map(|port| ContainerPort {
            name: Some(port.name.value.clone()),
            container_port: i32::from(port.number.value.get()),
            protocol: Some("TCP".to_string()),
            ..Default::default()
        })
        .collect();
    let mounts: Vec<VolumeMount> = svc
        .volumes
        .iter()
        .map(|v| VolumeMount {
            name: v.name.value.clone(),
            mount_path: v.mount_path.value.clone(),
            ..Default::default()
        })
        .collect();
    let has_defaults = !t.default_values().is_empty();
    let long_running = svc.workload.value.is_long_running();
    let probe = |period: i32, failures: i32| {
        svc.health.as_ref().filter(|_| long_running).map(|h| Probe {
            period_seconds: Some(period),
            failure_threshold: Some(failures),
            ..probe_action(svc, h)
        })
    };
    let list = |v: &[crate::model::Spanned<String>]| {
        (!v.is_empty()).then(|| v.iter().map(|s| s.value.clone()).collect())
    };
    Container {
        name: svc.name.value.clone(),
        image: t.image(svc).map(str::to_string),
        image_pull_policy: t.pull_policy().map(str::to_string),
        command: list(&svc.command),
        args: list(&svc.args),
        ports: (!ports.is_empty()).then_some(ports),
        env: Some(env(t, svc, dependencies)).filter(|e| !e.is_empty()),
        env_from: has_defaults.then(|| {
            vec![EnvFromSource {
                config_map_ref: Some(ConfigMapEnvSource {
                    name: DEFAULTS_CONFIGMAP.to_string(),
                    optional: None,
                }),
                ..Default::default()
            }]
        }),
        resources: t.resources(svc).map(resources),
        // Up to five minutes to start before liveness takes over.
        startup_probe: probe(10, 30),
        readiness_probe: probe(10, 3),
        liveness_probe: probe(20, 3),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        ..Default::default()
    }
}

fn probe_action(svc: &Service, health: &Health) -> Probe {
    let port_number = svc
        .ports
        .iter()
        .find(|p| p.name.value == health.port().value)
        .map_or(0, |p| i32::from(p.number.value.get()));
    match health {
        Health::Http { path, port } => Probe {
            http_get: Some(HTTPGetAction {
                path: Some(path.value.clone()),
                port: IntOrString::String(port.value.clone()),
                ..Default::default()
            }),
            ..Default::default()
        },
        // The gRPC probe takes a number, not a port name.
        Health::Grpc { .. } => Probe {
            grpc: Some(GRPCAction {
                port: port_number,
                service: None,
            }),
            ..Default::default()
        },
        Health::Tcp { port } => Probe {
            tcp_socket: Some(TCPSocketAction {
                port: IntOrString::String(port.value.clone()),
                host: None,
            }),
            ..Default::default()
        },
    }
}

fn from_ports_configmap(name: &str, key: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value_from: Some(EnvVarSource {
            config_map_key_ref: Some(ConfigMapKeySelector {
                name: PORTS_CONFIGMAP.to_string(),
                key: key.to_string(),
                optional: None,
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Own keys, then each dependency's keys (never literals), then the service's own env.
fn env(t: &Target<'_>, svc: &Service, dependencies: &[&Service]) -> Vec<EnvVar> {
    let p = t.platform;
    let mut vars: Vec<EnvVar> = service_keys(p, svc)
        .iter()
        .map(|k| from_ports_configmap(&k.key, &k.key))
        .collect();
    for d in dependencies {
        vars.extend(
            service_keys(p, d)
                .iter()
                .map(|k| from_ports_configmap(&k.key, &k.key)),
        );
    }
    for var in t.env(svc) {
        let name = var.name.value.as_str();
        vars.push(match &var.value {
            EnvValue::Literal(v) => EnvVar {
                name: name.to_string(),
                value: Some(v.value.clone()),
                ..Default::default()
            },
            EnvValue::Ref(key) => from_ports_configmap(name, &key.value),
            EnvValue::Secret { secret, key } => EnvVar {
                name: name.to_string(),
                value_from: Some(EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector {
                        name: secret.value.clone(),
                        key: key.value.clone(),
                        optional: None,
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            },
        });
    }
    vars
}

fn resources(r: &Resources) -> ResourceRequirements {
    let map = |pairs: [(&str, &Option<crate::model::Spanned<String>>); 2]| {
        let m: BTreeMap<String, Quantity> = pairs
            .iter()
            .filter_map(|(k, v)| {
                v.as_ref()
                    .map(|v| (k.to_string(), Quantity(v.value.clone())))
            })
            .collect();
        (!m.is_empty()).then_some(m)
    };
    ResourceRequirements {
        requests: map([("cpu", &r.cpu), ("memory", &r.memory)]),
        limits: map([("cpu", &r.cpu_limit), ("memory", &r.memory_limit)]),
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
                .node_port(svc, port)
                .filter(|_| with_node_ports)
                .map(i32::from),
            protocol: Some("TCP".to_string()),
            ..Default::default()
        })
        .collect()
}

fn service(t: &Target<'_>, svc: &Service) -> K8sService {
    let p = t.platform;
    let name = svc.name.value.as_str();
    let node_port = svc
        .ports
        .iter()
        .any(|port| t.node_port(svc, port).is_some());
    K8sService {
        metadata: meta(p, name, Some(svc.namespace(p)), Some(name)),
        spec: Some(ServiceSpec {
            type_: Some(if node_port { "NodePort" } else { "ClusterIP" }.to_string()),
            selector: Some(selector_labels(p, name)),
            ports: Some(service_ports(t, svc, true)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The governing Service a StatefulSet needs for stable pod DNS names.
fn headless_service(t: &Target<'_>, svc: &Service) -> K8sService {
    let p = t.platform;
    let name = svc.name.value.as_str();
    K8sService {
        metadata: meta(p, &headless_name(name), Some(svc.namespace(p)), Some(name)),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_string()),
            cluster_ip: Some("None".to_string()),
            publish_not_ready_addresses: Some(true),
            selector: Some(selector_labels(p, name)),
            ports: Some(service_ports(t, svc, false)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Ingress to a service: from the pods of each dependent on all its ports, and from anywhere
/// on the ports it exposes as NodePorts. Anything else is denied (everything, for a pod with
/// no ports).
fn network_policy(t: &Target<'_>, svc: &Service, dependents: &[&Service]) -> NetworkPolicy {
    let p = t.platform;
    let name = svc.name.value.as_str();
    let policy_port = |port: &crate::model::Port| NetworkPolicyPort {
        port: Some(IntOrString::Int(i32::from(port.number.value.get()))),
        protocol: Some("TCP".to_string()),
        ..Default::default()
    };
    let mut rules = Vec::new();
    let peers: Vec<NetworkPolicyPeer> = dependents
        .iter()
        .filter(|d| t.runs(d))
        .map(|d| NetworkPolicyPeer {
            namespace_selector: Some(LabelSelector {
                match_labels: Some(BTreeMap::from([(
                    "kubernetes.io/metadata.name".to_string(),
                    d.namespace(p).to_string(),
                )])),
                ..Default::default()
            }),
            pod_selector: Some(selector(p, &d.name.value)),
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
    let exposed: Vec<NetworkPolicyPort> = svc
        .ports
        .iter()
        .filter(|port| t.node_port(svc, port).is_some())
        .map(policy_port)
        .collect();
    if !exposed.is_empty() {
        rules.push(NetworkPolicyIngressRule {
            from: None,
            ports: Some(exposed),
        });
    }
    NetworkPolicy {
        metadata: meta(p, name, Some(svc.namespace(p)), Some(name)),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(selector(p, name)),
            policy_types: Some(vec!["Ingress".to_string()]),
            ingress: Some(rules),
            ..Default::default()
        }),
    }
}
