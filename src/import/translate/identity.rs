//! Who the pod runs as and where: user, group, fsGroup (root with the `allow` it needs),
//! grace period, priority class, node selector; and whatever else the pod says, as a patch.

use serde_json::Value;

use super::Workload;
use crate::import::kdl_out::{self, Block, quote};

pub(super) fn identity(b: &mut Block, w: &Workload) {
    let sc = &w.pod["securityContext"];
    let fallback = i64::from(crate::model::Identity::FALLBACK);
    let root = sc["runAsUser"].as_i64() == Some(0);
    for (field, node) in [
        ("runAsUser", "run-as-user"),
        ("runAsGroup", "run-as-group"),
        ("fsGroup", "fs-group"),
    ] {
        let Some(n) = sc[field].as_i64() else {
            continue;
        };
        if field == "runAsUser" && n == 0 {
            b.line("allow \"root\" reason=\"imported: runs as root\"".to_string());
        }
        // What maestroc would pick anyway is left unsaid: 10001 for a non-root user, the user
        // for the group, the group for fsGroup.
        let implied = !root
            && match field {
                "fsGroup" => {
                    n == sc["runAsGroup"]
                        .as_i64()
                        .or(sc["runAsUser"].as_i64())
                        .unwrap_or(fallback)
                }
                "runAsGroup" => n == sc["runAsUser"].as_i64().unwrap_or(fallback),
                _ => n == fallback,
            };
        if !implied {
            b.line(format!("{node} {n}"));
        }
    }
}

pub(super) fn scheduling(b: &mut Block, w: &Workload) {
    if let Some(g) = w.pod["terminationGracePeriodSeconds"].as_i64() {
        b.line(format!("termination-grace-period {g}"));
    }
    if let Some(pc) = w.pod["priorityClassName"].as_str() {
        b.line(format!("priority-class {}", quote(pc)));
    }
    for (k, v) in w.pod["nodeSelector"].as_object().into_iter().flatten() {
        b.line(format!(
            "node-selector {} {}",
            quote(k),
            quote(v.as_str().unwrap_or_default())
        ));
    }
}

/// Whatever else the pod says goes into a patch, so nothing is dropped silently.
pub(super) fn rest(b: &mut Block, w: &Workload) {
    const SAID: &[&str] = &[
        "containers",
        "volumes",
        "securityContext",
        "serviceAccountName",
        "automountServiceAccountToken",
        "nodeSelector",
        "terminationGracePeriodSeconds",
        "priorityClassName",
        "topologySpreadConstraints",
        "restartPolicy",
    ];
    let rest: serde_json::Map<String, Value> = w
        .pod
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !SAID.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if rest.is_empty() {
        return;
    }
    let pod_patch = serde_json::json!({"template": {"spec": Value::Object(rest)}});
    let body = if w.cron {
        serde_json::json!({"spec": {"jobTemplate": {"spec": pod_patch}}})
    } else {
        serde_json::json!({"spec": pod_patch})
    };
    b.block(kdl_out::patch(w.kind, &body));
}
