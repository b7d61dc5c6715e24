//! The pod of a service in one target: containers, env, probes, volumes, identity and
//! privileges. Secure by default — every pod meets Pod Security "restricted" unless the spec
//! gives a privilege back with `allow "…" reason="…"`.
//!
//! The plain YAML and the chart's values both read these functions, so the two views cannot
//! disagree on a pod field.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapEnvSource, ConfigMapKeySelector, ConfigMapVolumeSource, Container,
    ContainerPort, EmptyDirVolumeSource, EnvFromSource, EnvVar, EnvVarSource, ExecAction,
    GRPCAction, HTTPGetAction, HTTPHeader, HostPathVolumeSource, ObjectFieldSelector,
    PersistentVolumeClaimVolumeSource, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, SeccompProfile, SecretEnvSource, SecretKeySelector, SecretVolumeSource,
    SecurityContext, ServiceAccount, TCPSocketAction, Toleration, TopologySpreadConstraint, Volume,
    VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::meta::{DEFAULTS_CONFIGMAP, PORTS_CONFIGMAP, meta};
use crate::model::{
    EnvValue, HealthCheck, Platform, Privilege, Resources, Service, VolumeSource, WorkloadKind,
    expand_placeholders, service_keys,
};
use crate::target::Target;

/// Labels that select a service's pods: the spec's `selector` pairs when it has any (an
/// adopted Deployment keeps its immutable selector), else maestroc's two. Kept minimal.
pub fn selector_labels(platform: &Platform, svc: &Service) -> BTreeMap<String, String> {
    if !svc.pod.selector.is_empty() {
        return svc
            .pod
            .selector
            .iter()
            .map(|(k, v)| (k.value.clone(), v.value.clone()))
            .collect();
    }
    BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), svc.name.value.clone()),
        (
            "app.kubernetes.io/part-of".to_string(),
            platform.name.value.clone(),
        ),
    ])
}

pub fn selector(platform: &Platform, svc: &Service) -> LabelSelector {
    LabelSelector {
        match_labels: Some(selector_labels(platform, svc)),
        ..Default::default()
    }
}

/// Metadata of the objects of one service: maestroc's labels plus the spec's `label`s, and on
/// the workload the reasons for its privileges.
pub fn service_meta(p: &Platform, svc: &Service, name: &str) -> ObjectMeta {
    let mut m = meta(p, name, Some(svc.namespace(p)), Some(&svc.name.value));
    if let Some(labels) = m.labels.as_mut() {
        labels.extend(
            svc.pod
                .labels
                .iter()
                .map(|(k, v)| (k.value.clone(), v.value.clone())),
        );
    }
    m
}

/// `checkov.io/skipN: CKV_K8S_…=reason` for each check a reasoned privilege makes fail, so a
/// scanner reads the same reason the spec states; first the default namespace's, where the
/// spec puts the workload there.
pub fn privilege_annotations(p: &Platform, svc: &Service) -> BTreeMap<String, String> {
    let mut skips: Vec<String> = super::meta::default_namespace_skip(svc.namespace(p))
        .map(str::to_string)
        .into_iter()
        .collect();
    for a in &svc.allows {
        let Some(reason) = &a.reason else { continue };
        for check in a.privilege.value.checkov_checks() {
            skips.push(format!("{check}={}", reason.value));
        }
    }
    skips
        .into_iter()
        .enumerate()
        .map(|(i, s)| (format!("{}{}", super::meta::CHECKOV_SKIP, i + 1), s))
        .collect()
}

/// The ServiceAccount a workload runs as: its own (no token mounted) unless the spec names an
/// existing one.
pub fn service_account_name(svc: &Service) -> String {
    svc.pod
        .service_account
        .as_ref()
        .map_or_else(|| svc.name.value.clone(), |s| s.value.clone())
}

/// The ServiceAccount object maestroc emits for a workload that names none.
pub fn service_account(p: &Platform, svc: &Service) -> Option<ServiceAccount> {
    if svc.pod.service_account.is_some() {
        return None;
    }
    Some(ServiceAccount {
        metadata: service_meta(p, svc, &svc.name.value),
        automount_service_account_token: Some(false),
        ..Default::default()
    })
}

pub fn pod_security_context(p: &Platform, svc: &Service) -> PodSecurityContext {
    let (user, group, fs_group) = svc.identity(p);
    let root = svc.allowed(Privilege::Root).is_some() || user == Some(0);
    PodSecurityContext {
        run_as_non_root: (!root).then_some(true),
        run_as_user: user.map(i64::from),
        run_as_group: group.map(i64::from),
        fs_group: fs_group.map(i64::from),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".to_string(),
            localhost_profile: None,
        }),
        ..Default::default()
    }
}

pub fn container_security_context(svc: &Service) -> SecurityContext {
    let add: Vec<String> = svc
        .allowed(Privilege::Capabilities)
        .map(|a| a.capabilities.iter().map(|c| c.value.clone()).collect())
        .unwrap_or_default();
    SecurityContext {
        allow_privilege_escalation: svc
            .allowed(Privilege::PrivilegeEscalation)
            .is_none()
            .then_some(false),
        capabilities: Some(Capabilities {
            add: (!add.is_empty()).then_some(add),
            drop: Some(vec!["ALL".to_string()]),
        }),
        read_only_root_filesystem: Some(svc.allowed(Privilege::WritableRoot).is_none()),
        ..Default::default()
    }
}

/// The directories that get an emptyDir: `/tmp` under a read-only root, and every `writable`.
fn writable_dirs(svc: &Service) -> Vec<&str> {
    let mut dirs: Vec<&str> = Vec::new();
    if svc.allowed(Privilege::WritableRoot).is_none()
        && !svc.volumes.iter().any(|v| v.mount_path.value == "/tmp")
    {
        dirs.push("/tmp");
    }
    for w in &svc.writable {
        if !dirs.contains(&w.value.as_str()) {
            dirs.push(&w.value);
        }
    }
    dirs
}

/// `/var/run/postgresql` → `rw-var-run-postgresql` (a DNS-1123 label, unique in the pod).
fn writable_volume_name(path: &str, index: usize, taken: &[String]) -> String {
    let mut name: String = path
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    name = name.trim_matches('-').to_string();
    while name.contains("--") {
        name = name.replace("--", "-");
    }
    name.truncate(50);
    let mut name = format!("rw-{}", name.trim_end_matches('-'));
    if name == "rw-" || taken.contains(&name) {
        name = format!("rw-{index}");
    }
    name
}

/// Every volume of the pod and where each is mounted, in spec order, writable dirs last.
pub fn volumes(svc: &Service) -> (Vec<Volume>, Vec<VolumeMount>) {
    let mut vols = Vec::new();
    let mut mounts = Vec::new();
    for v in &svc.volumes {
        mounts.push(VolumeMount {
            name: v.name.value.clone(),
            mount_path: v.mount_path.value.clone(),
            read_only: v.read_only.then_some(true),
            ..Default::default()
        });
        let mut vol = Volume {
            name: v.name.value.clone(),
            ..Default::default()
        };
        match &v.source {
            // A StatefulSet's claims come from its volumeClaimTemplates.
            VolumeSource::Claim { .. } if svc.workload.value == WorkloadKind::StatefulSet => {
                continue;
            }
            VolumeSource::Claim { .. } => {
                vol.persistent_volume_claim = Some(PersistentVolumeClaimVolumeSource {
                    claim_name: format!("{}-{}", svc.name.value, v.name.value),
                    read_only: None,
                });
            }
            VolumeSource::EmptyDir { medium, size_limit } => {
                vol.empty_dir = Some(EmptyDirVolumeSource {
                    medium: medium.as_ref().map(|m| m.value.clone()),
                    size_limit: size_limit.as_ref().map(|s| Quantity(s.value.clone())),
                });
            }
            VolumeSource::Secret { secret } => {
                vol.secret = Some(SecretVolumeSource {
                    secret_name: Some(secret.value.clone()),
                    ..Default::default()
                });
            }
            VolumeSource::ConfigMap { name } => {
                vol.config_map = Some(ConfigMapVolumeSource {
                    name: name.value.clone(),
                    ..Default::default()
                });
            }
            VolumeSource::HostPath { path } => {
                vol.host_path = Some(HostPathVolumeSource {
                    path: path.value.clone(),
                    type_: Some("Directory".to_string()),
                });
            }
        }
        vols.push(vol);
    }
    let mut taken: Vec<String> = svc.volumes.iter().map(|v| v.name.value.clone()).collect();
    for (i, dir) in writable_dirs(svc).into_iter().enumerate() {
        let name = writable_volume_name(dir, i, &taken);
        taken.push(name.clone());
        vols.push(Volume {
            name: name.clone(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Default::default()
        });
        mounts.push(VolumeMount {
            name,
            mount_path: dir.to_string(),
            ..Default::default()
        });
    }
    (vols, mounts)
}

/// (startup, readiness, liveness) from `health` and its timing; none for batch workloads.
pub fn probes(svc: &Service) -> [Option<Probe>; 3] {
    let Some(h) = svc
        .health
        .as_ref()
        .filter(|_| svc.workload.value.is_long_running())
    else {
        return [None, None, None];
    };
    let port_number = svc
        .ports
        .iter()
        .find(|p| h.port().is_some_and(|hp| p.name.value == hp.value))
        .map_or(0, |p| i32::from(p.number.value.get()));
    let action = match &h.check {
        HealthCheck::Http {
            path,
            port,
            headers,
        } => Probe {
            http_get: Some(HTTPGetAction {
                path: Some(path.value.clone()),
                port: IntOrString::String(port.value.clone()),
                http_headers: (!headers.is_empty()).then(|| {
                    headers
                        .iter()
                        .map(|(n, v)| HTTPHeader {
                            name: n.value.clone(),
                            value: v.value.clone(),
                        })
                        .collect()
                }),
                ..Default::default()
            }),
            ..Default::default()
        },
        // The gRPC probe takes a number, not a port name.
        HealthCheck::Grpc { .. } => Probe {
            grpc: Some(GRPCAction {
                port: port_number,
                service: None,
            }),
            ..Default::default()
        },
        HealthCheck::Tcp { port } => Probe {
            tcp_socket: Some(TCPSocketAction {
                port: IntOrString::String(port.value.clone()),
                host: None,
            }),
            ..Default::default()
        },
        HealthCheck::Exec { command } => Probe {
            exec: Some(ExecAction {
                command: Some(
                    command
                        .value
                        .split_whitespace()
                        .map(str::to_string)
                        .collect(),
                ),
            }),
            ..Default::default()
        },
    };
    let t = &h.timing;
    let get = |v: &Option<crate::model::Spanned<u32>>| v.as_ref().map(|v| v.value as i32);
    let probe = |period: i32, failures: i32, delay: Option<i32>| Probe {
        initial_delay_seconds: delay,
        period_seconds: Some(period),
        timeout_seconds: get(&t.timeout),
        failure_threshold: Some(failures),
        ..action.clone()
    };
    let period = get(&t.period);
    let failures = get(&t.failure_threshold);
    let delay = get(&t.initial_delay);
    // Up to five minutes to start before liveness takes over, unless `startup=#false`.
    let startup = t
        .startup
        .as_ref()
        .is_none_or(|s| s.value)
        .then(|| probe(10, 30, None));
    [
        startup,
        Some(probe(period.unwrap_or(10), failures.unwrap_or(3), delay)),
        Some(probe(period.unwrap_or(20), failures.unwrap_or(3), delay)),
    ]
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

/// Own keys, then each dependency's keys (never literals), then the service's own env. A
/// literal's `{KEY}` placeholders become `$(KEY)`, expanded from the keys declared before it.
pub fn env(t: &Target<'_>, svc: &Service, dependencies: &[&Service]) -> Vec<EnvVar> {
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
        vars.push(env_var(var));
    }
    vars
}

/// One spec env var as the container's: literals with placeholders expanded, refs to
/// `service-ports`, secret keys, downward-API fields.
fn env_var(var: &crate::model::EnvVar) -> EnvVar {
    let name = var.name.value.as_str();
    {
        match &var.value {
            EnvValue::Literal(v) => EnvVar {
                name: name.to_string(),
                value: Some(expand_placeholders(&v.value)),
                ..Default::default()
            },
            EnvValue::Ref(key) => from_ports_configmap(name, &key.value),
            EnvValue::Secret {
                secret,
                key,
                optional,
            } => EnvVar {
                name: name.to_string(),
                value_from: Some(EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector {
                        name: secret.value.clone(),
                        key: key.value.clone(),
                        optional: optional.then_some(true),
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            },
            EnvValue::Field(path) => EnvVar {
                name: name.to_string(),
                value_from: Some(EnvVarSource {
                    field_ref: Some(ObjectFieldSelector {
                        field_path: path.value.clone(),
                        api_version: None,
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            },
        }
    }
}

pub fn resources(r: &Resources) -> ResourceRequirements {
    let map = |pairs: [(&str, &Option<crate::model::Spanned<String>>); 3]| {
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
        requests: map([
            ("cpu", &r.cpu),
            ("memory", &r.memory),
            ("ephemeral-storage", &r.ephemeral_storage),
        ]),
        limits: map([
            ("cpu", &r.cpu_limit),
            ("memory", &r.memory_limit),
            ("ephemeral-storage", &r.ephemeral_storage_limit),
        ]),
        ..Default::default()
    }
}

/// `service-defaults` (when the platform has defaults), then each `env-from` in spec order:
/// a later source wins a key both define, as Kubernetes resolves it.
pub fn env_from(svc: &Service, has_defaults: bool) -> Option<Vec<EnvFromSource>> {
    let mut list = Vec::new();
    if has_defaults {
        list.push(EnvFromSource {
            config_map_ref: Some(ConfigMapEnvSource {
                name: DEFAULTS_CONFIGMAP.to_string(),
                optional: None,
            }),
            ..Default::default()
        });
    }
    for e in &svc.env_from {
        let optional = e.optional.then_some(true);
        list.push(match &e.source {
            crate::model::EnvFromSource::ConfigMap(name) => EnvFromSource {
                config_map_ref: Some(ConfigMapEnvSource {
                    name: name.value.clone(),
                    optional,
                }),
                prefix: e.prefix.as_ref().map(|p| p.value.clone()),
                ..Default::default()
            },
            crate::model::EnvFromSource::Secret(name) => EnvFromSource {
                secret_ref: Some(SecretEnvSource {
                    name: name.value.clone(),
                    optional,
                }),
                prefix: e.prefix.as_ref().map(|p| p.value.clone()),
                ..Default::default()
            },
        });
    }
    (!list.is_empty()).then_some(list)
}

pub fn container_name(svc: &Service) -> String {
    svc.pod
        .container_name
        .as_ref()
        .map_or_else(|| svc.name.value.clone(), |n| n.value.clone())
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
    let (_, mounts) = volumes(svc);
    let has_defaults = !t.default_values().is_empty();
    let [startup_probe, readiness_probe, liveness_probe] = probes(svc);
    Container {
        name: container_name(svc),
        image: t.image(svc).map(str::to_string),
        image_pull_policy: t.pull_policy().map(str::to_string),
        command: words(&svc.command),
        args: words(&svc.args),
        ports: (!ports.is_empty()).then_some(ports),
        env: Some(env(t, svc, dependencies)).filter(|e| !e.is_empty()),
        env_from: env_from(svc, has_defaults),
        resources: Some(resources(&t.resources(svc))),
        startup_probe,
        readiness_probe,
        liveness_probe,
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        security_context: Some(container_security_context(svc)),
        ..Default::default()
    }
}

/// The labels on a service's pods: the selector, maestroc's, and the spec's `label`s.
pub fn pod_labels(p: &Platform, svc: &Service) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), svc.name.value.clone()),
        (
            "app.kubernetes.io/part-of".to_string(),
            p.name.value.clone(),
        ),
        (
            "app.kubernetes.io/managed-by".to_string(),
            "maestroc".to_string(),
        ),
    ]);
    labels.extend(
        svc.pod
            .labels
            .iter()
            .map(|(k, v)| (k.value.clone(), v.value.clone())),
    );
    // The selector's labels last: the API server refuses a template its selector does not
    // match (a `selector "app.kubernetes.io/name" "x"` on service `y` used to emit name=y).
    labels.extend(selector_labels(p, svc));
    labels
}

pub fn pod_annotations(t: &Target<'_>, svc: &Service) -> Option<BTreeMap<String, String>> {
    let mut a = super::operations::scrape_annotations(t, svc);
    a.extend(
        svc.pod
            .annotations
            .iter()
            .map(|(k, v)| (k.value.clone(), v.value.clone())),
    );
    (!a.is_empty()).then_some(a)
}

pub fn tolerations(svc: &Service) -> Option<Vec<Toleration>> {
    let list: Vec<Toleration> = svc
        .pod
        .tolerations
        .iter()
        .map(|t| {
            let s = |v: &Option<crate::model::Spanned<String>>| v.as_ref().map(|v| v.value.clone());
            Toleration {
                key: s(&t.key),
                operator: s(&t.operator),
                value: s(&t.value),
                effect: s(&t.effect),
                toleration_seconds: None,
            }
        })
        .collect();
    (!list.is_empty()).then_some(list)
}

pub fn node_selector(svc: &Service) -> Option<BTreeMap<String, String>> {
    let m: BTreeMap<String, String> = svc
        .pod
        .node_selector
        .iter()
        .map(|(k, v)| (k.value.clone(), v.value.clone()))
        .collect();
    (!m.is_empty()).then_some(m)
}

pub fn pod_template(t: &Target<'_>, svc: &Service, dependencies: &[&Service]) -> PodTemplateSpec {
    let p = t.platform;
    let (vols, _) = volumes(svc);
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(pod_labels(p, svc)),
            annotations: pod_annotations(t, svc),
            ..Default::default()
        }),
        spec: Some(PodSpec {
            containers: std::iter::once(container(t, svc, dependencies))
                .chain(extra_containers(t, svc, &svc.sidecars))
                .collect(),
            init_containers: Some(extra_containers(t, svc, &svc.init_containers))
                .filter(|c| !c.is_empty()),
            volumes: (!vols.is_empty()).then_some(vols),
            security_context: Some(pod_security_context(p, svc)),
            service_account_name: Some(service_account_name(svc)),
            automount_service_account_token: svc
                .allowed(Privilege::ServiceAccountToken)
                .is_none()
                .then_some(false),
            node_selector: node_selector(svc),
            tolerations: tolerations(svc),
            priority_class_name: svc.pod.priority_class.as_ref().map(|c| c.value.clone()),
            termination_grace_period_seconds: svc
                .pod
                .termination_grace_period
                .as_ref()
                .map(|s| i64::from(s.value)),
            // Replicas on one node share its fate: spread them where the cluster allows.
            topology_spread_constraints: t.may_run_several(svc).then(|| {
                vec![TopologySpreadConstraint {
                    max_skew: 1,
                    topology_key: "kubernetes.io/hostname".to_string(),
                    when_unsatisfiable: "ScheduleAnyway".to_string(),
                    label_selector: Some(selector(p, svc)),
                    ..Default::default()
                }]
            }),
            ..Default::default()
        }),
    }
}

/// Init containers or sidecars: each with the pod's privileges and writable directories, its
/// own resources (else the fallback), and its env — a `service-ports` key it names in a
/// `{KEY}` placeholder is declared first so the kubelet can expand it.
pub fn extra_containers(
    t: &Target<'_>,
    svc: &Service,
    list: &[crate::model::ExtraContainer],
) -> Vec<Container> {
    let (_, mounts) = volumes(svc);
    // Only the writable directories: the service's own volumes belong to its main container.
    let writable: Vec<VolumeMount> = mounts
        .into_iter()
        .filter(|m| m.name.starts_with("rw-"))
        .collect();
    list.iter()
        .map(|c| {
            // Keys its placeholders name (in env, command or args) are declared first.
            let mut env: Vec<EnvVar> = Vec::new();
            let literals = c
                .env
                .iter()
                .filter_map(|v| match &v.value {
                    EnvValue::Literal(l) => Some(l),
                    _ => None,
                })
                .chain(&c.command)
                .chain(&c.args);
            for text in literals {
                for (_, key) in crate::model::placeholders(&text.value) {
                    let declared = env.iter().any(|e| e.name == key)
                        || c.env.iter().any(|e| e.name.value == key);
                    if !declared {
                        env.push(from_ports_configmap(key, key));
                    }
                }
            }
            env.extend(c.env.iter().map(env_var));
            let res = crate::target::resources_with_fallbacks(
                &c.resources.clone().unwrap_or_default(),
                c.name.span,
            );
            Container {
                name: c.name.value.clone(),
                image: c.image.as_ref().map(|i| i.value.clone()),
                image_pull_policy: t.pull_policy().map(str::to_string),
                command: words(&c.command),
                args: words(&c.args),
                env: (!env.is_empty()).then_some(env),
                resources: Some(resources(&res)),
                volume_mounts: (!writable.is_empty()).then(|| writable.clone()),
                security_context: Some(container_security_context(svc)),
                ..Default::default()
            }
        })
        .collect()
}

/// Command words or arguments, `{KEY}` placeholders turned into `$(KEY)` as in env values.
fn words(v: &[crate::model::Spanned<String>]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.iter().map(|s| expand_placeholders(&s.value)).collect())
}
