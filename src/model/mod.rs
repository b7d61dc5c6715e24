//! The platform as maestroc understands it, after parsing and before any output exists.
//!
//! These types are produced by `spec` and checked by `resolve`; emitters read them. They carry
//! meaning (a [`PortNumber`] is not a bare `u16`) and every user-written value keeps its span.

mod keys;
mod names;
mod operations;
mod pod;
mod span;

pub use keys::{ConfigKey, expand_placeholders, key_prefix, placeholders, port_key, service_keys};
pub use names::{
    config_key_stem, is_config_map_key, is_dns1035_label, is_dns1123_label, is_dns1123_subdomain,
    is_env_var_name, is_iana_port_name, is_label_value, is_qualified_name,
};
pub use operations::*;
pub use pod::*;
pub use span::Spanned;

use miette::SourceSpan;

/// A TCP port number, 1–65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortNumber(u16);

impl PortNumber {
    /// `None` for 0; every other `u16` is a valid port.
    pub fn new(n: u16) -> Option<Self> {
        (n != 0).then_some(Self(n))
    }
    pub fn get(self) -> u16 {
        self.0
    }
    /// Ports below 1024 need root (or `CAP_NET_BIND_SERVICE`) to bind.
    pub fn is_privileged(self) -> bool {
        self.0 < 1024
    }
}

impl std::fmt::Display for PortNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The whole platform described by one `platform.kdl`.
#[derive(Debug, Clone)]
pub struct Platform {
    pub name: Spanned<String>,
    pub namespace: Spanned<String>,
    pub cluster_domain: Spanned<String>,
    pub node_ports: Option<NodePortRange>,
    pub kubernetes: Option<Spanned<String>>,
    /// `version "1.2.3"`: the Helm chart's version and appVersion (SemVer).
    pub version: Option<Spanned<String>>,
    pub defaults: Defaults,
    /// `existing-namespaces "default" …`: namespaces the team does not own, so no `Namespace`
    /// object is emitted for them (`default` and `kube-*` never get one).
    pub existing_namespaces: Vec<Spanned<String>>,
    /// `addresses "short"`: the host form of every `<SVC>_ADDRESS`.
    pub addresses: Option<Spanned<AddressForm>>,
    /// `network-policies #false`: the cluster's CNI does not enforce them, so none are emitted.
    pub network_policies: Option<Spanned<bool>>,
    /// `egress "restricted"`: pods may reach only DNS and their dependencies.
    pub egress_restricted: Option<Spanned<bool>>,
    /// `prometheus "operator"|"annotations" …`: how `metrics` ports are scraped.
    pub prometheus: Option<Prometheus>,
    /// `node-cidr "10.0.0.0/16" …`: the nodes' addresses. NodePort and load-balancer traffic
    /// reaches a pod from them (source-NATed under `externalTrafficPolicy: Cluster`), so a
    /// published port admits exactly these networks instead of every pod in the cluster.
    pub node_cidrs: Vec<Spanned<String>>,
    /// `pod-security "baseline" [namespace=…]`: the lowest level the team accepts; a final pod
    /// below it is an error (MC501). Without one, a service's `allow`s are its consent.
    pub pod_security: Vec<PodSecurityFloor>,
    /// `gitops "argocd"|"flux" …`: the delivery objects `build` writes to `output/gitops/`.
    pub gitops: Vec<GitOps>,
    pub secrets: Vec<Secret>,
    pub services: Vec<Service>,
    pub environments: Vec<Environment>,
}

/// One `pod-security` declaration.
#[derive(Debug, Clone)]
pub struct PodSecurityFloor {
    pub level: Spanned<PodSecurityLevel>,
    /// The namespace it is about; `None`: every namespace without its own declaration.
    pub namespace: Option<Spanned<String>>,
}

/// How `<SVC>_ADDRESS` names a host: `name.ns.svc.<domain>` (the default, valid from any
/// namespace), `name.ns`, or `name` alone (what many teams' manifests already use; valid only
/// from the service's own namespace, which `resolve` checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressForm {
    Fqdn,
    Namespaced,
    Short,
}

impl AddressForm {
    pub const ALL: [(&'static str, AddressForm); 3] = [
        ("fqdn", AddressForm::Fqdn),
        ("namespaced", AddressForm::Namespaced),
        ("short", AddressForm::Short),
    ];
}

/// The NodePort registry range declared by `node-ports LO HI`.
#[derive(Debug, Clone)]
pub struct NodePortRange {
    pub low: u16,
    pub high: u16,
    pub span: SourceSpan,
    /// `registry="../shared/ports.json"`: the file other projects on the cluster share,
    /// relative to the spec.
    pub registry: Option<Spanned<String>>,
}

impl NodePortRange {
    pub fn contains(&self, port: u16) -> bool {
        (self.low..=self.high).contains(&port)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Defaults {
    /// `value KEY "V"` pairs, published in the `service-defaults` ConfigMap.
    pub values: Vec<(Spanned<String>, Spanned<String>)>,
    pub resources: Option<Resources>,
    /// `run-as-user`, `run-as-group`, `fs-group` for every service that sets none.
    pub identity: Identity,
}

impl Platform {
    /// The `pod-security` declaration that covers a namespace: its own, else the platform's.
    pub fn pod_security_floor(&self, namespace: &str) -> Option<&PodSecurityFloor> {
        let own = self
            .pod_security
            .iter()
            .rev()
            .find(|f| f.namespace.as_ref().is_some_and(|n| n.value == namespace));
        own.or_else(|| {
            self.pod_security
                .iter()
                .rev()
                .find(|f| f.namespace.is_none())
        })
    }

    /// Whether maestroc emits the `Namespace` object: not for one the cluster or another team
    /// owns.
    pub fn owns_namespace(&self, ns: &str) -> bool {
        ns != "default"
            && !ns.starts_with("kube-")
            && self.existing_namespaces.iter().all(|e| e.value != ns)
    }

    pub fn address_form(&self) -> AddressForm {
        self.addresses
            .as_ref()
            .map_or(AddressForm::Fqdn, |a| a.value)
    }

    pub fn network_policies(&self) -> bool {
        self.network_policies.as_ref().is_none_or(|b| b.value)
    }

    pub fn egress_restricted(&self) -> bool {
        self.network_policies() && self.egress_restricted.as_ref().is_some_and(|b| b.value)
    }
}

/// Requests and limits; each is a Kubernetes quantity string checked by `spec`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    pub cpu: Option<Spanned<String>>,
    pub memory: Option<Spanned<String>>,
    pub cpu_limit: Option<Spanned<String>>,
    pub memory_limit: Option<Spanned<String>>,
    /// `ephemeral-storage=`, `ephemeral-storage-limit=`: node-local scratch (emptyDirs, logs,
    /// the writable layer); unset means unbounded, as Kubernetes has it.
    pub ephemeral_storage: Option<Spanned<String>>,
    pub ephemeral_storage_limit: Option<Spanned<String>>,
    pub span: Option<SourceSpan>,
}

#[derive(Debug, Clone)]
pub struct Secret {
    pub name: Spanned<String>,
    pub keys: Vec<Spanned<String>>,
    pub store: Option<SecretStore>,
    /// `label`/`annotation` on the materialised object (a chart's labels, a hook annotation).
    pub labels: Vec<(Spanned<String>, Spanned<String>)>,
    pub annotations: Vec<(Spanned<String>, Spanned<String>)>,
    pub span: SourceSpan,
}

/// Where an ExternalSecret reads the values from.
#[derive(Debug, Clone)]
pub struct SecretStore {
    pub name: Spanned<String>,
    pub path: Spanned<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    /// One pod per node (log collectors such as Promtail); no replicas, no claims.
    DaemonSet,
    Job,
    CronJob,
}

impl WorkloadKind {
    pub const ALL: [(&'static str, WorkloadKind); 5] = [
        ("deployment", WorkloadKind::Deployment),
        ("statefulset", WorkloadKind::StatefulSet),
        ("daemonset", WorkloadKind::DaemonSet),
        ("job", WorkloadKind::Job),
        ("cronjob", WorkloadKind::CronJob),
    ];
    /// Long-running workloads get probes, Services and NetworkPolicies; batch ones do not.
    pub fn is_long_running(self) -> bool {
        matches!(
            self,
            WorkloadKind::Deployment | WorkloadKind::StatefulSet | WorkloadKind::DaemonSet
        )
    }

    /// Whether `replicas` means anything: a DaemonSet runs one pod per node, a job runs once.
    pub fn has_replicas(self) -> bool {
        matches!(self, WorkloadKind::Deployment | WorkloadKind::StatefulSet)
    }

    pub fn keyword(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("deployment", |(n, _)| n)
    }
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: Spanned<String>,
    pub span: SourceSpan,
    pub image: Option<Spanned<String>>,
    pub ports: Vec<Port>,
    pub depends_on: Vec<Spanned<String>>,
    pub env: Vec<EnvVar>,
    pub health: Option<Health>,
    pub source: Option<Spanned<String>>,
    pub external: Option<Spanned<String>>,
    pub workload: Spanned<WorkloadKind>,
    pub schedule: Option<Spanned<String>>,
    pub command: Vec<Spanned<String>>,
    pub args: Vec<Spanned<String>>,
    pub volumes: Vec<Volume>,
    pub replicas: Option<Spanned<u32>>,
    pub resources: Option<Resources>,
    pub namespace: Option<Spanned<String>>,
    pub config_prefix: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    /// `run-as-user`, `run-as-group`, `fs-group`.
    pub identity: Identity,
    /// `allow "…" reason="…"`: privileges given back from the restricted default.
    pub allows: Vec<Allow>,
    /// `writable "/path" …`: directories that get an emptyDir under a read-only root.
    pub writable: Vec<Spanned<String>>,
    pub expose: Vec<Expose>,
    pub service_type: Option<Spanned<ServiceType>>,
    pub pod: PodSettings,
    /// `init-container "name" { … }`: run to completion, in order, before the main container.
    pub init_containers: Vec<ExtraContainer>,
    /// `sidecar "name" { … }`: run beside the main container for the pod's lifetime.
    pub sidecars: Vec<ExtraContainer>,
    /// `patch "Kind" { … }`: the typed escape hatch for what the vocabulary cannot say.
    pub patches: Vec<Patch>,
    /// `env-from config-map="…"|secret="…"`: every key of it as a variable.
    pub env_from: Vec<EnvFrom>,
    /// `extra "objects.yaml"`: hand-written objects shipped with the service.
    pub extras: Vec<Extra>,
    /// `ingress`, `metrics`, `autoscale`.
    pub ops: Operations,
}

impl Service {
    /// A StatefulSet needs a headless governing Service; its own Service is that one when the
    /// spec makes it headless (an adopted StatefulSet keeps its single Service), else
    /// `<name>-headless`.
    pub fn needs_headless_companion(&self) -> bool {
        self.workload.value == WorkloadKind::StatefulSet
            && self
                .service_type
                .as_ref()
                .is_none_or(|t| t.value != ServiceType::Headless)
    }

    /// The name of the Service that governs a StatefulSet's pods (the service's own otherwise).
    pub fn governing_service(&self) -> String {
        if self.needs_headless_companion() {
            format!("{}-headless", self.name.value)
        } else {
            self.name.value.clone()
        }
    }

    pub fn is_external(&self) -> bool {
        self.external.is_some()
    }

    /// The primary port: the one marked `primary=#true`, else the first declared.
    pub fn primary_port(&self) -> Option<&Port> {
        self.ports
            .iter()
            .find(|p| p.primary)
            .or_else(|| self.ports.first())
    }

    /// Whether a `volume … secret=` mounts this secret's keys as files.
    /// Whether the service reads this secret other than through `env … secret=`: mounted as
    /// files by a `volume … secret=`, or all its keys by `env-from secret=`.
    pub fn mounts_secret(&self, secret: &str) -> bool {
        self.volumes
            .iter()
            .any(|v| matches!(&v.source, VolumeSource::Secret { secret: s } if s.value == secret))
            || self
                .env_from
                .iter()
                .any(|e| matches!(&e.source, EnvFromSource::Secret(s) if s.value == secret))
    }

    /// The `allow` that gives this privilege back, if any.
    pub fn allowed(&self, privilege: Privilege) -> Option<&Allow> {
        self.allows.iter().find(|a| a.privilege.value == privilege)
    }

    /// (runAsUser, runAsGroup, fsGroup): the service's, else `defaults`', else
    /// [`Identity::FALLBACK`]; the group is the user's when only a user is given. A service allowed root runs with the image's own IDs unless it
    /// names some.
    pub fn identity(&self, platform: &Platform) -> (Option<u32>, Option<u32>, Option<u32>) {
        let d = &platform.defaults.identity;
        let root = self.allowed(Privilege::Root).is_some();
        let pick = |own: &Option<Spanned<u32>>, def: &Option<Spanned<u32>>| {
            own.as_ref()
                .map(|v| v.value)
                .or_else(|| (!root).then(|| def.as_ref().map(|v| v.value)).flatten())
                .or((!root).then_some(Identity::FALLBACK))
        };
        let user = pick(&self.identity.run_as_user, &d.run_as_user);
        // The group follows the user unless something says otherwise: `run-as-user 1000`
        // alone runs as 1000:1000, not 1000:10001.
        let group_said =
            self.identity.run_as_group.is_some() || (!root && d.run_as_group.is_some());
        let user_said = self.identity.run_as_user.is_some() || (!root && d.run_as_user.is_some());
        let group = if !group_said && user_said {
            user
        } else {
            pick(&self.identity.run_as_group, &d.run_as_group)
        };
        let fs = self
            .identity
            .fs_group
            .as_ref()
            .map(|v| v.value)
            .or_else(|| {
                (!root)
                    .then(|| d.fs_group.as_ref().map(|v| v.value))
                    .flatten()
            })
            .or(group);
        (user, group, fs)
    }

    /// The Pod Security level this service's `allow`s consent to: what its pods may meet
    /// without an error when no `pod-security` declaration says otherwise.
    pub fn pod_security_level(&self, platform: &Platform) -> PodSecurityLevel {
        let mut level = PodSecurityLevel::Restricted;
        for a in &self.allows {
            let p = a.privilege.value;
            if p == Privilege::HostPath {
                return PodSecurityLevel::Privileged;
            }
            if p == Privilege::Capabilities {
                // Baseline admits a short list of capabilities; restricted only NET_BIND_SERVICE.
                for c in &a.capabilities {
                    let c = c.value.as_str();
                    if !BASELINE_CAPABILITIES.contains(&c) {
                        return PodSecurityLevel::Privileged;
                    }
                    if c != "NET_BIND_SERVICE" {
                        level = level.min(PodSecurityLevel::Baseline);
                    }
                }
                continue;
            }
            if !p.keeps_restricted() {
                level = level.min(PodSecurityLevel::Baseline);
            }
        }
        if self.identity(platform).0 == Some(0) {
            level = level.min(PodSecurityLevel::Baseline);
        }
        level
    }

    pub fn namespace<'a>(&'a self, platform: &'a Platform) -> &'a str {
        self.namespace
            .as_ref()
            .map_or(platform.namespace.value.as_str(), |n| n.value.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct Port {
    pub name: Spanned<String>,
    pub number: Spanned<PortNumber>,
    pub scheme: Option<Spanned<String>>,
    pub primary: bool,
    pub service_port: Option<Spanned<PortNumber>>,
    pub node_port: Option<Spanned<u16>>,
    pub span: SourceSpan,
}

impl Port {
    /// The port clients dial through the Service (`service-port=`, else the container port).
    pub fn exposed(&self) -> PortNumber {
        self.service_port
            .as_ref()
            .map_or(self.number.value, |p| p.value)
    }
}

#[derive(Debug, Clone)]
pub struct EnvVar {
    pub name: Spanned<String>,
    pub value: EnvValue,
    pub span: SourceSpan,
}

#[derive(Debug, Clone)]
pub enum EnvValue {
    Literal(Spanned<String>),
    Secret {
        secret: Spanned<String>,
        key: Spanned<String>,
        /// `optional=#true`: the pod starts without it when the secret or key is missing.
        optional: bool,
    },
    /// A key of the `service-ports` ConfigMap.
    Ref(Spanned<String>),
    /// `field="status.podIP"`: the downward API.
    Field(Spanned<String>),
}

/// `env-from config-map="environment-config" [prefix="APP_"] [optional=#true]` or
/// `env-from secret="s"`: all keys of an existing ConfigMap, or of a spec secret, as variables.
#[derive(Debug, Clone)]
pub struct EnvFrom {
    pub source: EnvFromSource,
    pub prefix: Option<Spanned<String>>,
    pub optional: bool,
    pub span: SourceSpan,
}

#[derive(Debug, Clone)]
pub enum EnvFromSource {
    /// A ConfigMap maestroc does not emit (the team's own), named as it is.
    ConfigMap(Spanned<String>),
    /// A secret the spec declares: emitted, and counted as used.
    Secret(Spanned<String>),
}

#[derive(Debug, Clone)]
pub struct Health {
    pub check: HealthCheck,
    pub timing: ProbeTiming,
}

#[derive(Debug, Clone)]
pub enum HealthCheck {
    Http {
        path: Spanned<String>,
        port: Spanned<String>,
        /// `health http=… { header "Host" "app.example.com" }`.
        headers: Vec<(Spanned<String>, Spanned<String>)>,
    },
    Grpc {
        port: Spanned<String>,
    },
    Tcp {
        port: Spanned<String>,
    },
    /// `exec="airflow jobs check"`: a command in the container (split on whitespace), for a
    /// workload with no port to probe.
    Exec {
        command: Spanned<String>,
    },
}

impl Health {
    /// The port name the probe targets (none for an `exec` probe).
    pub fn port(&self) -> Option<&Spanned<String>> {
        match &self.check {
            HealthCheck::Http { port, .. }
            | HealthCheck::Grpc { port }
            | HealthCheck::Tcp { port } => Some(port),
            HealthCheck::Exec { .. } => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Volume {
    pub name: Spanned<String>,
    pub mount_path: Spanned<String>,
    pub source: VolumeSource,
    pub read_only: bool,
    pub span: SourceSpan,
}

impl Volume {
    /// The requested size when the volume is a PersistentVolumeClaim.
    pub fn claim_size(&self) -> Option<&Spanned<String>> {
        match &self.source {
            VolumeSource::Claim { size } => Some(size),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Environment {
    pub name: Spanned<String>,
    pub span: SourceSpan,
    pub storage_class: Option<Spanned<String>>,
    pub image_pull_policy: Option<Spanned<String>>,
    /// `external-secrets #false`: the cluster has no External Secrets operator, so secrets are
    /// materialised as value-less Secrets to be filled by hand.
    pub external_secrets: Option<Spanned<bool>>,
    pub values: Vec<(Spanned<String>, Spanned<String>)>,
    pub services: Vec<ServiceOverride>,
    /// `exposure "ingress" …`: how published ports are reached here (NodePorts when unset).
    pub exposure: Option<ExposureSettings>,
    /// `ingress-domain "example.com"`: routes without `host=` are `<service>.<domain>`.
    pub ingress_domain: Option<Spanned<String>>,
    /// `cluster "https://…"|"name"`: where the GitOps controller deploys this environment (an
    /// API server URL or a cluster name for Argo CD; a kubeconfig Secret's name for Flux).
    pub cluster: Option<Spanned<String>>,
    /// `node-cidr "192.168.49.0/24" …`: this cluster's node networks (else the platform's).
    pub node_cidrs: Vec<Spanned<String>>,
}

/// `service "x" { … }` inside an environment.
#[derive(Debug, Clone)]
pub struct ServiceOverride {
    pub name: Spanned<String>,
    pub span: SourceSpan,
    pub enabled: Option<Spanned<bool>>,
    pub replicas: Option<Spanned<u32>>,
    pub image: Option<Spanned<String>>,
    pub resources: Option<Resources>,
    pub env: Vec<EnvVar>,
    /// `node-port PORTNAME N`: a different NodePort for one port in this environment.
    pub node_ports: Vec<(Spanned<String>, Spanned<u16>)>,
    /// `autoscale min= max= …`: this environment's bounds instead of the service's.
    pub autoscale: Option<Autoscale>,
    /// `patch "Kind" { … }`: merged after the service's own patches, here only.
    pub patches: Vec<Patch>,
}
