//! What a service says about its pod beyond the container: identity and privileges, volumes,
//! probes' timing, exposure, scheduling and the labels a team already uses.

use miette::SourceSpan;

use super::Spanned;

/// The UID, GID and fsGroup a pod runs with; unset fields fall back to `defaults`, then to
/// [`Identity::FALLBACK`].
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub run_as_user: Option<Spanned<u32>>,
    pub run_as_group: Option<Spanned<u32>>,
    pub fs_group: Option<Spanned<u32>>,
}

impl Identity {
    /// A high non-root ID: checkov's CKV_K8S_40 asks for ≥ 10000 so that a container user never
    /// collides with a host user, and Pod Security "restricted" needs any non-zero one.
    pub const FALLBACK: u32 = 10001;
}

/// A privilege the restricted default takes away, given back with `allow "…" reason="…"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Privilege {
    /// Run as UID 0 (no `runAsNonRoot`).
    Root,
    /// A writable root filesystem (no `readOnlyRootFilesystem`).
    WritableRoot,
    /// `allowPrivilegeEscalation` left to the image (setuid binaries such as `gosu`).
    PrivilegeEscalation,
    /// The ServiceAccount token mounted into the pod (it talks to the Kubernetes API).
    ServiceAccountToken,
    /// Linux capabilities added back after dropping ALL.
    Capabilities,
    /// `hostPath` volumes: the pod reads or writes the node's filesystem.
    HostPath,
}

impl Privilege {
    pub const ALL: [(&'static str, Privilege); 6] = [
        ("root", Privilege::Root),
        ("writable-root", Privilege::WritableRoot),
        ("privilege-escalation", Privilege::PrivilegeEscalation),
        ("service-account-token", Privilege::ServiceAccountToken),
        ("capabilities", Privilege::Capabilities),
        ("host-path", Privilege::HostPath),
    ];

    pub fn keyword(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, p)| *p == self)
            .map_or("", |(k, _)| k)
    }

    /// The checkov checks this privilege makes fail, skipped with the stated reason.
    pub fn checkov_checks(self) -> &'static [&'static str] {
        match self {
            Privilege::Root => &["CKV_K8S_23", "CKV_K8S_40"],
            Privilege::WritableRoot => &["CKV_K8S_22"],
            Privilege::PrivilegeEscalation => &["CKV_K8S_20"],
            Privilege::ServiceAccountToken => &["CKV_K8S_38"],
            // 37: capabilities not dropped/minimised; 39: SYS_ADMIN; 25: any added capability.
            Privilege::Capabilities => &["CKV_K8S_25", "CKV_K8S_37", "CKV_K8S_39"],
            Privilege::HostPath => &[],
        }
    }

    /// Whether a pod with this privilege still meets Pod Security "restricted"; below that it
    /// meets "baseline" (hostPath meets neither, see [`PodSecurityLevel`]).
    pub fn keeps_restricted(self) -> bool {
        matches!(
            self,
            Privilege::WritableRoot | Privilege::ServiceAccountToken
        )
    }
}

/// `allow "root" reason="…"` (`allow "capabilities" "NET_BIND_SERVICE" reason="…"`).
#[derive(Debug, Clone)]
pub struct Allow {
    pub privilege: Spanned<Privilege>,
    /// Only for `capabilities`: the names to add.
    pub capabilities: Vec<Spanned<String>>,
    pub reason: Option<Spanned<String>>,
    pub span: SourceSpan,
}

/// The Pod Security Standard level a pod meets, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PodSecurityLevel {
    Privileged,
    Baseline,
    Restricted,
}

impl PodSecurityLevel {
    pub const ALL: [PodSecurityLevel; 3] = [
        PodSecurityLevel::Privileged,
        PodSecurityLevel::Baseline,
        PodSecurityLevel::Restricted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PodSecurityLevel::Privileged => "privileged",
            PodSecurityLevel::Baseline => "baseline",
            PodSecurityLevel::Restricted => "restricted",
        }
    }
}

/// The capabilities Pod Security baseline lets a container add (restricted: only
/// NET_BIND_SERVICE).
pub const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Where a volume's files come from.
#[derive(Debug, Clone)]
pub enum VolumeSource {
    /// A PersistentVolumeClaim of `size=` (claim templates for a StatefulSet).
    Claim { size: Spanned<String> },
    /// `empty-dir=#true`, optionally `medium="Memory"` and `size-limit=`.
    EmptyDir {
        medium: Option<Spanned<String>>,
        size_limit: Option<Spanned<String>>,
    },
    /// `secret="name"`: a spec secret's keys as files.
    Secret { secret: Spanned<String> },
    /// `config-map="name"`: a ConfigMap that exists in the namespace, as files.
    ConfigMap { name: Spanned<String> },
    /// `host-path="/var/log/pods"`: a privilege (`allow "host-path"`).
    HostPath { path: Spanned<String> },
}

/// Who may reach an exposed port from outside the dependency graph.
#[derive(Debug, Clone)]
pub enum ExposedFrom {
    Anywhere,
    Cidr(Spanned<String>),
    Namespace(Spanned<String>),
}

/// `expose PORT… [from-cidr="…" | from-namespace="…"]`.
#[derive(Debug, Clone)]
pub struct Expose {
    pub ports: Vec<Spanned<String>>,
    pub from: ExposedFrom,
    pub span: SourceSpan,
}

/// `service-type "LoadBalancer"` and friends: how the Service publishes its ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceType {
    ClusterIp,
    NodePort,
    LoadBalancer,
    /// `clusterIP: None`: DNS returns the pods' addresses.
    Headless,
}

impl ServiceType {
    pub const ALL: [(&'static str, ServiceType); 4] = [
        ("ClusterIP", ServiceType::ClusterIp),
        ("NodePort", ServiceType::NodePort),
        ("LoadBalancer", ServiceType::LoadBalancer),
        ("Headless", ServiceType::Headless),
    ];
}

/// Probe timing written on `health`; unset fields keep maestroc's defaults.
#[derive(Debug, Clone, Default)]
pub struct ProbeTiming {
    pub initial_delay: Option<Spanned<u32>>,
    pub period: Option<Spanned<u32>>,
    pub timeout: Option<Spanned<u32>>,
    pub failure_threshold: Option<Spanned<u32>>,
    /// `startup=#false` turns the startup probe off.
    pub startup: Option<Spanned<bool>>,
}

/// `toleration key="gpu" operator="Exists" effect="NoSchedule"`.
#[derive(Debug, Clone)]
pub struct Toleration {
    pub key: Option<Spanned<String>>,
    pub operator: Option<Spanned<String>>,
    pub value: Option<Spanned<String>>,
    pub effect: Option<Spanned<String>>,
}

/// Pod-level settings, each optional; names keep what a team already runs (adopt in place).
#[derive(Debug, Clone, Default)]
pub struct PodSettings {
    /// `label KEY VALUE`: on the workload and the pod template.
    pub labels: Vec<(Spanned<String>, Spanned<String>)>,
    /// `annotation KEY VALUE`: on the pod template.
    pub annotations: Vec<(Spanned<String>, Spanned<String>)>,
    /// `selector KEY VALUE`: replaces the default selector labels (immutable on a live
    /// Deployment, so an adopted one keeps its own, e.g. `app: cartservice`).
    pub selector: Vec<(Spanned<String>, Spanned<String>)>,
    pub container_name: Option<Spanned<String>>,
    /// `service-account "name"`: an existing account (not emitted); default: one per workload.
    pub service_account: Option<Spanned<String>>,
    pub node_selector: Vec<(Spanned<String>, Spanned<String>)>,
    pub tolerations: Vec<Toleration>,
    pub priority_class: Option<Spanned<String>>,
    pub termination_grace_period: Option<Spanned<u32>>,
}

/// An init container or a sidecar: its own image, command, env and resources; it shares the
/// pod's identity, privileges and writable directories.
#[derive(Debug, Clone)]
pub struct ExtraContainer {
    pub name: Spanned<String>,
    pub image: Option<Spanned<String>>,
    pub command: Vec<Spanned<String>>,
    pub args: Vec<Spanned<String>>,
    pub env: Vec<super::EnvVar>,
    pub resources: Option<super::Resources>,
    pub span: SourceSpan,
}

/// `patch "Deployment" { spec { template { spec { affinity { … } } } } }`: merged into the
/// object maestroc emits for the service (maps merge, lists of named items merge by `name`,
/// other lists replace, `#null` removes), then checked by deserialising the result into its
/// typed Kubernetes object.
#[derive(Debug, Clone)]
pub struct Patch {
    pub kind: Spanned<String>,
    /// `name="…"`: which of the service's objects of the kind (its headless Service); without
    /// it, the one named like the service.
    pub name: Option<Spanned<String>>,
    /// `reason="…"`: why the patch widens a NetworkPolicy (MC503), said where a reviewer sees it.
    pub reason: Option<Spanned<String>>,
    /// `file="patches/x.yaml"`: the body is that YAML file (relative to the spec), read by
    /// `resolve::files` through the loader the CLI gives; `body` is filled from it.
    pub file: Option<Spanned<String>>,
    pub body: serde_json::Value,
    /// The span of every node of the body, by its JSON path (`spec/template/spec/affinity`).
    pub spans: Vec<(String, SourceSpan)>,
    pub span: SourceSpan,
}

impl Patch {
    /// The kinds a patch can target: a service's workload, its Services (`name=` the headless
    /// one), its own ServiceAccount, NetworkPolicy and Ingress.
    pub const KINDS: [&'static str; 9] = [
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
        "Service",
        "ServiceAccount",
        "NetworkPolicy",
        "Ingress",
    ];

    /// Whether the patch targets the service's object of `kind` named `object`.
    pub fn targets(&self, kind: &str, object: &str, service: &str) -> bool {
        self.kind.value == kind
            && self
                .name
                .as_ref()
                .map_or(object == service, |n| n.value == object)
    }

    /// Whether the patch's body references Secret `name` — a volume's `secretName`, an
    /// `envFrom`/`valueFrom` reference, a projected source, an image pull secret — so the
    /// secret is materialised for the service as if the spec said it natively.
    pub fn names_secret(&self, name: &str) -> bool {
        fn walk(v: &serde_json::Value, name: &str, under: &str) -> bool {
            match v {
                serde_json::Value::Object(m) => m.iter().any(|(k, x)| {
                    (k == "secretName" && x == name)
                        || (k == "name"
                            && x == name
                            && matches!(
                                under,
                                "secretRef" | "secretKeyRef" | "secret" | "imagePullSecrets"
                            ))
                        || walk(x, name, k)
                }),
                serde_json::Value::Array(a) => a.iter().any(|x| walk(x, name, under)),
                _ => false,
            }
        }
        walk(&self.body, name, "")
    }

    /// The span of the patch node that best matches a path of the patched object (list
    /// indexes ignored: named items merge by name, so positions differ).
    pub fn span_of(&self, path: &str) -> SourceSpan {
        let keys = |p: &str| -> Vec<String> {
            p.split('/')
                .filter(|s| !s.is_empty() && !s.chars().all(|c| c.is_ascii_digit()))
                .map(str::to_string)
                .collect()
        };
        let want = keys(path);
        self.spans
            .iter()
            .map(|(p, span)| (keys(p), span))
            .filter(|(k, _)| want.starts_with(k))
            .max_by_key(|(k, _)| k.len())
            .map_or(self.span, |(_, s)| *s)
    }
}

/// `extra "objects.yaml"` on a service: hand-written objects (a CRD instance, a Role) shipped
/// in the service's numbered file and in the chart, after the checks of `resolve::files`.
#[derive(Debug, Clone)]
pub struct Extra {
    pub path: Spanned<String>,
    /// The file's objects, each namespaced (the service's namespace when it names none).
    pub objects: Vec<serde_json::Value>,
}
