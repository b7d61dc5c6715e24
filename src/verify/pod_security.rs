//! The Pod Security Standards, evaluated the way the admission controller does: over a final
//! pod (after patches, `extra` files and annotations), control by control, as the published
//! standard lists them for Kubernetes 1.33 ("latest"). A namespace's `enforce` label is the
//! lowest level its final pods meet, so no emitted pod is refused by its own namespace.
//!
//! Written from the control list at
//! <https://kubernetes.io/docs/concepts/security/pod-security-standards/>; `tests/security.rs`
//! holds a second, independent evaluator over the emitted YAML.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, ContainerPort, PodSpec, SeccompProfile, SecurityContext,
};

use crate::model::{BASELINE_CAPABILITIES, PodSecurityLevel};

/// One control a pod fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The control's name in the standard ("Host Namespaces", "Running as Non-root").
    pub control: &'static str,
    /// The highest level the pod still meets because of this control alone.
    pub meets: PodSecurityLevel,
    /// The offending field, as the standard names it (`spec.containers[app].securityContext…`).
    pub field: String,
    /// What the standard allows there, in its own wording.
    pub allowed: &'static str,
}

/// The level a pod meets: the lowest `meets` of its violations.
pub fn level(violations: &[Violation]) -> PodSecurityLevel {
    violations
        .iter()
        .map(|v| v.meets)
        .min()
        .unwrap_or(PodSecurityLevel::Restricted)
}

/// The "safe" sysctls baseline allows (the 1.33 list).
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

const SELINUX_TYPES: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

const RESTRICTED_VOLUMES: &str = "configMap, csi, downwardAPI, emptyDir, ephemeral, \
persistentVolumeClaim, projected, secret";

/// A container of any of the three lists, seen the same way.
struct AnyContainer<'a> {
    /// `containers[app]`, `initContainers[migrate]`, `ephemeralContainers[debug]`.
    path: String,
    security: Option<&'a SecurityContext>,
    ports: &'a [ContainerPort],
}

fn containers(spec: &PodSpec) -> Vec<AnyContainer<'_>> {
    let mut out = Vec::new();
    for c in &spec.containers {
        out.push(AnyContainer {
            path: format!("spec.containers[{}]", c.name),
            security: c.security_context.as_ref(),
            ports: c.ports.as_deref().unwrap_or_default(),
        });
    }
    for c in spec.init_containers.iter().flatten() {
        out.push(AnyContainer {
            path: format!("spec.initContainers[{}]", c.name),
            security: c.security_context.as_ref(),
            ports: c.ports.as_deref().unwrap_or_default(),
        });
    }
    for c in spec.ephemeral_containers.iter().flatten() {
        out.push(AnyContainer {
            path: format!("spec.ephemeralContainers[{}]", c.name),
            security: c.security_context.as_ref(),
            ports: c.ports.as_deref().unwrap_or_default(),
        });
    }
    out
}

/// Every control a pod (its annotations and spec) fails.
pub fn evaluate(annotations: Option<&BTreeMap<String, String>>, spec: &PodSpec) -> Vec<Violation> {
    let mut out = Vec::new();
    let cs = containers(spec);
    baseline(annotations, spec, &cs, &mut out);
    restricted(spec, &cs, &mut out);
    out
}

fn push(
    out: &mut Vec<Violation>,
    control: &'static str,
    meets: PodSecurityLevel,
    field: String,
    allowed: &'static str,
) {
    out.push(Violation {
        control,
        meets,
        field,
        allowed,
    });
}

fn baseline(
    annotations: Option<&BTreeMap<String, String>>,
    spec: &PodSpec,
    cs: &[AnyContainer<'_>],
    out: &mut Vec<Violation>,
) {
    use PodSecurityLevel::Privileged as P;
    let pod_sc = spec.security_context.as_ref();
    // HostProcess
    let host_process = |w: Option<bool>| w == Some(true);
    if host_process(
        pod_sc
            .and_then(|s| s.windows_options.as_ref())
            .and_then(|w| w.host_process),
    ) {
        let f = "spec.securityContext.windowsOptions.hostProcess".into();
        push(out, "HostProcess", P, f, "undefined/nil, false");
    }
    // Host Namespaces
    for (set, name) in [
        (spec.host_network, "hostNetwork"),
        (spec.host_pid, "hostPID"),
        (spec.host_ipc, "hostIPC"),
    ] {
        if set == Some(true) {
            let f = format!("spec.{name}");
            push(out, "Host Namespaces", P, f, "undefined/nil, false");
        }
    }
    // HostPath Volumes
    for v in spec.volumes.iter().flatten() {
        if v.host_path.is_some() {
            let f = format!("spec.volumes[{}].hostPath", v.name);
            push(out, "HostPath Volumes", P, f, "undefined/nil");
        }
    }
    // AppArmor, as the (deprecated, still honoured) annotation.
    for (k, v) in annotations.into_iter().flatten() {
        if let Some(c) = k.strip_prefix("container.apparmor.security.beta.kubernetes.io/")
            && v != "runtime/default"
            && !v.starts_with("localhost/")
        {
            let f = format!("metadata.annotations['{k}'] of container {c}");
            push(
                out,
                "AppArmor",
                P,
                f,
                "undefined/nil, runtime/default, localhost/*",
            );
        }
    }
    if let Some(sc) = pod_sc {
        apparmor(sc.app_armor_profile.as_ref(), "spec.securityContext", out);
        selinux(sc.se_linux_options.as_ref(), "spec.securityContext", out);
        if seccomp_type(sc.seccomp_profile.as_ref()) == Some("Unconfined") {
            let f = "spec.securityContext.seccompProfile.type".into();
            push(
                out,
                "Seccomp",
                P,
                f,
                "undefined/nil, RuntimeDefault, Localhost",
            );
        }
        for s in sc.sysctls.iter().flatten() {
            if !SAFE_SYSCTLS.contains(&s.name.as_str()) {
                let f = format!("spec.securityContext.sysctls[{}]", s.name);
                push(out, "Sysctls", P, f, "undefined/nil, the safe sysctls");
            }
        }
    }
    for c in cs {
        for p in c.ports {
            if p.host_port.is_some_and(|h| h != 0) {
                let f = format!("{}.ports[{}].hostPort", c.path, p.container_port);
                push(out, "Host Ports", P, f, "undefined/nil, 0");
            }
        }
        let Some(sc) = c.security else { continue };
        let at = format!("{}.securityContext", c.path);
        if host_process(sc.windows_options.as_ref().and_then(|w| w.host_process)) {
            let f = format!("{at}.windowsOptions.hostProcess");
            push(out, "HostProcess", P, f, "undefined/nil, false");
        }
        if sc.privileged == Some(true) {
            let f = format!("{at}.privileged");
            push(out, "Privileged Containers", P, f, "undefined/nil, false");
        }
        for cap in added(sc.capabilities.as_ref()) {
            if !BASELINE_CAPABILITIES.contains(&cap.as_str()) {
                let f = format!("{at}.capabilities.add[{cap}]");
                push(
                    out,
                    "Capabilities",
                    P,
                    f,
                    "undefined/nil, AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, \
MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT",
                );
            }
        }
        apparmor(sc.app_armor_profile.as_ref(), &at, out);
        selinux(sc.se_linux_options.as_ref(), &at, out);
        if sc.proc_mount.as_deref().is_some_and(|m| m != "Default") {
            let f = format!("{at}.procMount");
            push(out, "/proc Mount Type", P, f, "undefined/nil, Default");
        }
        if seccomp_type(sc.seccomp_profile.as_ref()) == Some("Unconfined") {
            let f = format!("{at}.seccompProfile.type");
            push(
                out,
                "Seccomp",
                P,
                f,
                "undefined/nil, RuntimeDefault, Localhost",
            );
        }
    }
}

fn apparmor(
    profile: Option<&k8s_openapi::api::core::v1::AppArmorProfile>,
    at: &str,
    out: &mut Vec<Violation>,
) {
    if let Some(p) = profile
        && p.type_ != "RuntimeDefault"
        && p.type_ != "Localhost"
    {
        push(
            out,
            "AppArmor",
            PodSecurityLevel::Privileged,
            format!("{at}.appArmorProfile.type"),
            "undefined/nil, RuntimeDefault, Localhost",
        );
    }
}

fn selinux(
    opts: Option<&k8s_openapi::api::core::v1::SELinuxOptions>,
    at: &str,
    out: &mut Vec<Violation>,
) {
    let Some(o) = opts else { return };
    if let Some(t) = &o.type_
        && !SELINUX_TYPES.contains(&t.as_str())
    {
        push(
            out,
            "SELinux",
            PodSecurityLevel::Privileged,
            format!("{at}.seLinuxOptions.type"),
            "undefined/\"\", container_t, container_init_t, container_kvm_t, container_engine_t",
        );
    }
    for (v, name) in [(&o.user, "user"), (&o.role, "role")] {
        if v.as_deref().is_some_and(|v| !v.is_empty()) {
            push(
                out,
                "SELinux",
                PodSecurityLevel::Privileged,
                format!("{at}.seLinuxOptions.{name}"),
                "undefined/\"\"",
            );
        }
    }
}

fn seccomp_type(p: Option<&SeccompProfile>) -> Option<&str> {
    p.map(|p| p.type_.as_str())
}

fn added(caps: Option<&Capabilities>) -> impl Iterator<Item = &String> {
    caps.and_then(|c| c.add.as_ref()).into_iter().flatten()
}

fn restricted(spec: &PodSpec, cs: &[AnyContainer<'_>], out: &mut Vec<Violation>) {
    use PodSecurityLevel::Baseline as B;
    let pod_sc = spec.security_context.as_ref();
    // Volume Types
    for v in spec.volumes.iter().flatten() {
        let allowed = v.config_map.is_some()
            || v.csi.is_some()
            || v.downward_api.is_some()
            || v.empty_dir.is_some()
            || v.ephemeral.is_some()
            || v.persistent_volume_claim.is_some()
            || v.projected.is_some()
            || v.secret.is_some();
        // hostPath is already a baseline failure; every other source fails restricted.
        if !allowed && v.host_path.is_none() {
            let f = format!("spec.volumes[{}]", v.name);
            push(out, "Volume Types", B, f, RESTRICTED_VOLUMES);
        }
    }
    let pod_non_root = pod_sc.and_then(|s| s.run_as_non_root);
    let pod_user = pod_sc.and_then(|s| s.run_as_user);
    let pod_seccomp = seccomp_type(pod_sc.and_then(|s| s.seccomp_profile.as_ref()));
    if pod_non_root == Some(false) {
        let f = "spec.securityContext.runAsNonRoot".into();
        push(out, "Running as Non-root", B, f, "true");
    }
    if pod_user == Some(0) {
        let f = "spec.securityContext.runAsUser".into();
        push(
            out,
            "Running as Non-root user",
            B,
            f,
            "any non-zero value, undefined/null",
        );
    }
    // The standard exempts Windows pods from the Linux-only controls.
    let windows = spec.os.as_ref().is_some_and(|o| o.name == "windows");
    let pod_seccomp_ok = matches!(pod_seccomp, Some("RuntimeDefault" | "Localhost"));
    for c in cs {
        let sc = c.security;
        let at = format!("{}.securityContext", c.path);
        if !windows && sc.and_then(|s| s.allow_privilege_escalation) != Some(false) {
            let f = format!("{at}.allowPrivilegeEscalation");
            push(out, "Privilege Escalation", B, f, "false");
        }
        // runAsNonRoot: the container's own, else the pod's, must be true.
        match sc.and_then(|s| s.run_as_non_root).or(pod_non_root) {
            Some(true) => {}
            _ => {
                let f = format!("{at}.runAsNonRoot");
                push(out, "Running as Non-root", B, f, "true");
            }
        }
        if sc.and_then(|s| s.run_as_user) == Some(0) {
            let f = format!("{at}.runAsUser");
            push(
                out,
                "Running as Non-root user",
                B,
                f,
                "any non-zero value, undefined/null",
            );
        }
        match seccomp_type(sc.and_then(|s| s.seccomp_profile.as_ref())) {
            Some("RuntimeDefault" | "Localhost") => {}
            // Unconfined already fails baseline.
            Some("Unconfined") => {}
            None if pod_seccomp_ok || windows => {}
            _ => {
                let f = format!("{at}.seccompProfile.type");
                push(out, "Seccomp", B, f, "RuntimeDefault, Localhost");
            }
        }
        if windows {
            // Privilege escalation and capabilities are Linux controls.
            continue;
        }
        let caps = sc.and_then(|s| s.capabilities.as_ref());
        let drops_all = caps
            .and_then(|c| c.drop.as_ref())
            .is_some_and(|d| d.iter().any(|x| x == "ALL"));
        if !drops_all {
            let f = format!("{at}.capabilities.drop");
            push(
                out,
                "Capabilities",
                B,
                f,
                "any list of capabilities that includes ALL",
            );
        }
        for cap in added(caps) {
            if cap != "NET_BIND_SERVICE" && BASELINE_CAPABILITIES.contains(&cap.as_str()) {
                let f = format!("{at}.capabilities.add[{cap}]");
                push(out, "Capabilities", B, f, "undefined/nil, NET_BIND_SERVICE");
            }
        }
    }
}
