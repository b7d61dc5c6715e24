//! A Pod Security Standards evaluator over emitted YAML (as JSON values), written from the
//! published control list independently of the compiler's `verify::pod_security`: the tests
//! hold the compiler's labels and refusals to it.
#![allow(dead_code)]

use serde_json::Value;

/// The pod template's metadata and spec of a workload object of any kind.
pub fn pod_of(o: &Value) -> Option<(&Value, &Value)> {
    let t = match o["kind"].as_str()? {
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "ReplicaSet"
        | "ReplicationController" => &o["spec"]["template"],
        "CronJob" => &o["spec"]["jobTemplate"]["spec"]["template"],
        "Pod" => o,
        _ => return None,
    };
    Some((&t["metadata"], &t["spec"]))
}

const BASELINE_CAPS: &[&str] = &[
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
const RESTRICTED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];
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

fn str_list(v: &Value) -> Vec<&str> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// Baseline's checks of one security context (pod or container).
fn context_baseline(sc: &Value, fail: &mut Vec<String>) {
    if sc["windowsOptions"]["hostProcess"] == true {
        fail.push("hostProcess".into());
    }
    if sc["seccompProfile"]["type"] == "Unconfined" {
        fail.push("seccomp Unconfined".into());
    }
    if let Some(t) = sc["appArmorProfile"]["type"].as_str()
        && t != "RuntimeDefault"
        && t != "Localhost"
    {
        fail.push(format!("appArmor {t}"));
    }
    let se = &sc["seLinuxOptions"];
    if let Some(t) = se["type"].as_str()
        && ![
            "",
            "container_t",
            "container_init_t",
            "container_kvm_t",
            "container_engine_t",
        ]
        .contains(&t)
    {
        fail.push(format!("seLinux type {t}"));
    }
    for k in ["user", "role"] {
        if se[k].as_str().is_some_and(|v| !v.is_empty()) {
            fail.push(format!("seLinux {k}"));
        }
    }
}

/// The highest Pod Security Standard level the pod meets, with the controls it fails.
pub fn level(meta: &Value, pod: &Value) -> (&'static str, Vec<String>) {
    let mut baseline_fail = Vec::new();
    let mut restricted_fail = Vec::new();
    let containers: Vec<&Value> = ["containers", "initContainers", "ephemeralContainers"]
        .iter()
        .flat_map(|k| pod[*k].as_array().into_iter().flatten())
        .collect();
    for k in ["hostNetwork", "hostPID", "hostIPC"] {
        if pod[k] == true {
            baseline_fail.push(k.to_string());
        }
    }
    for (k, v) in meta["annotations"].as_object().into_iter().flatten() {
        if k.starts_with("container.apparmor.security.beta.kubernetes.io/")
            && v != "runtime/default"
            && !v.as_str().is_some_and(|v| v.starts_with("localhost/"))
        {
            baseline_fail.push(format!("apparmor annotation {v}"));
        }
    }
    for v in pod["volumes"].as_array().into_iter().flatten() {
        if v.get("hostPath").is_some() {
            baseline_fail.push("hostPath volume".into());
            continue;
        }
        let kind = v
            .as_object()
            .and_then(|m| m.keys().find(|k| *k != "name"))
            .cloned();
        if !kind
            .as_deref()
            .is_some_and(|k| RESTRICTED_VOLUMES.contains(&k))
        {
            restricted_fail.push(format!("volume type {kind:?}"));
        }
    }
    let pod_sc = &pod["securityContext"];
    context_baseline(pod_sc, &mut baseline_fail);
    for s in pod_sc["sysctls"].as_array().into_iter().flatten() {
        if !s["name"]
            .as_str()
            .is_some_and(|n| SAFE_SYSCTLS.contains(&n))
        {
            baseline_fail.push(format!("sysctl {}", s["name"]));
        }
    }
    if pod_sc["runAsNonRoot"] == false {
        restricted_fail.push("pod runAsNonRoot false".into());
    }
    if pod_sc["runAsUser"] == 0 {
        restricted_fail.push("pod runAsUser 0".into());
    }
    let windows = pod["os"]["name"] == "windows";
    for c in &containers {
        let sc = &c["securityContext"];
        context_baseline(sc, &mut baseline_fail);
        if sc["privileged"] == true {
            baseline_fail.push("privileged".into());
        }
        if sc["procMount"].as_str().is_some_and(|m| m != "Default") {
            baseline_fail.push("procMount".into());
        }
        for p in c["ports"].as_array().into_iter().flatten() {
            if p.get("hostPort").is_some_and(|h| h != 0) {
                baseline_fail.push("hostPort".into());
            }
        }
        let added = str_list(&sc["capabilities"]["add"]);
        if added.iter().any(|c| !BASELINE_CAPS.contains(c)) {
            baseline_fail.push(format!("capabilities {added:?}"));
        }
        // Restricted.
        let non_root = sc["runAsNonRoot"] == true
            || (sc["runAsNonRoot"].is_null() && pod_sc["runAsNonRoot"] == true);
        if !non_root {
            restricted_fail.push("runAsNonRoot".into());
        }
        if sc["runAsUser"] == 0 {
            restricted_fail.push("runAsUser 0".into());
        }
        let seccomp = if sc["seccompProfile"].is_null() {
            &pod_sc["seccompProfile"]["type"]
        } else {
            &sc["seccompProfile"]["type"]
        };
        if !windows && seccomp != "RuntimeDefault" && seccomp != "Localhost" {
            restricted_fail.push("seccompProfile".into());
        }
        if windows {
            continue;
        }
        if sc["allowPrivilegeEscalation"] != false {
            restricted_fail.push("allowPrivilegeEscalation".into());
        }
        if !str_list(&sc["capabilities"]["drop"]).contains(&"ALL") {
            restricted_fail.push("capabilities drop ALL".into());
        }
        if added.iter().any(|c| *c != "NET_BIND_SERVICE") {
            restricted_fail.push(format!("capabilities add {added:?}"));
        }
    }
    if !baseline_fail.is_empty() {
        return ("privileged", baseline_fail);
    }
    if !restricted_fail.is_empty() {
        return ("baseline", restricted_fail);
    }
    ("restricted", Vec::new())
}

pub fn rank(level: &str) -> u8 {
    match level {
        "privileged" => 0,
        "baseline" => 1,
        _ => 2,
    }
}
