//! The files a spec names beside itself — `patch "Kind" file="…"` bodies and `extra "…"`
//! objects — read through a loader the CLI gives (so `resolve` itself does no I/O) and checked:
//! YAML that parses, objects with an apiVersion, kind and name, known kinds re-typed through
//! k8s-openapi so a misspelt field is a finding, never a silently dropped one.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ConfigMap, PersistentVolumeClaim, ReplicationController, Service as K8sService, ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use serde_json::Value;

use crate::diagnostic::{Finding, Findings};
use crate::emit::patch::check_typed;
use crate::model::{Platform, Spanned, is_dns1123_subdomain};

/// Reads a file named in the spec (a path relative to the spec's directory).
pub type Loader<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// The loader of a spec given as text alone: it has no directory to read from.
pub fn no_files(path: &str) -> Result<String, String> {
    Err(format!(
        "`{path}`: this spec was given as text, with no directory to read files from"
    ))
}

/// Kinds that live outside any namespace: an `extra` of these gets none.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "ClusterIssuer",
    "ClusterSecretStore",
];

pub(super) fn load(p: &mut Platform, loader: Loader<'_>, out: &mut Findings) {
    let platform_ns = p.namespace.value.clone();
    for patch in p
        .environments
        .iter_mut()
        .flat_map(|e| &mut e.services)
        .flat_map(|o| &mut o.patches)
    {
        load_patch(patch, loader, out);
    }
    for svc in &mut p.services {
        let ns = svc
            .namespace
            .as_ref()
            .map_or(platform_ns.clone(), |n| n.value.clone());
        for patch in &mut svc.patches {
            load_patch(patch, loader, out);
        }
        for extra in &mut svc.extras {
            let Some(text) = read(loader, &extra.path, out) else {
                continue;
            };
            let docs: Vec<Value> = match serde_saphyr::from_str_multiple(&text) {
                Ok(d) => d,
                Err(e) => {
                    out.push(not_yaml(&extra.path, &e.to_string()));
                    continue;
                }
            };
            for (i, mut obj) in docs.into_iter().filter(|d| !d.is_null()).enumerate() {
                let at = |msg: String, help: &str| {
                    Finding::new(
                        "MC004",
                        format!("`{}` object {}: {msg}", extra.path.value, i + 1),
                    )
                    .at(extra.path.span, "in this file")
                    .help(help.to_string())
                };
                let (Some(api), Some(kind), Some(name)) = (
                    obj["apiVersion"].as_str().map(str::to_string),
                    obj["kind"].as_str().map(str::to_string),
                    obj["metadata"]["name"].as_str().map(str::to_string),
                ) else {
                    out.push(at(
                        "needs apiVersion, kind and metadata.name".into(),
                        "every Kubernetes object says what it is and what it is called",
                    ));
                    continue;
                };
                if !is_dns1123_subdomain(&name) {
                    out.push(at(
                        format!("`{name}` is not a valid object name"),
                        "lower-case letters, digits, `-` and `.`",
                    ));
                    continue;
                }
                if kind == "Secret" {
                    out.push(
                        Finding::new(
                            "MC301",
                            format!("`{}` holds a Secret: its values would be committed", extra.path.value),
                        )
                        .at(extra.path.span, "a Secret object")
                        .help("declare it as a `secret` in the spec (names and keys only) and fill it from a store"),
                    );
                    continue;
                }
                if !CLUSTER_SCOPED.contains(&kind.as_str())
                    && obj["metadata"]["namespace"].is_null()
                {
                    obj["metadata"]["namespace"] = Value::from(ns.clone());
                }
                let known = match (api.as_str(), kind.as_str()) {
                    ("v1", "ConfigMap") => Some(check_typed::<ConfigMap>(&obj)),
                    ("v1", "Service") => Some(check_typed::<K8sService>(&obj)),
                    ("v1", "ServiceAccount") => Some(check_typed::<ServiceAccount>(&obj)),
                    ("v1", "PersistentVolumeClaim") => {
                        Some(check_typed::<PersistentVolumeClaim>(&obj))
                    }
                    // The legacy controller older manifests still use (guestbook's); its pods
                    // are judged like every other workload's (`verify::admission`).
                    ("v1", "ReplicationController") => {
                        Some(check_typed::<ReplicationController>(&obj))
                    }
                    ("apps/v1", "Deployment") => Some(check_typed::<Deployment>(&obj)),
                    ("apps/v1", "StatefulSet") => Some(check_typed::<StatefulSet>(&obj)),
                    ("apps/v1", "DaemonSet") => Some(check_typed::<DaemonSet>(&obj)),
                    ("batch/v1", "Job") => Some(check_typed::<Job>(&obj)),
                    ("batch/v1", "CronJob") => Some(check_typed::<CronJob>(&obj)),
                    ("networking.k8s.io/v1", "Ingress") => Some(check_typed::<Ingress>(&obj)),
                    ("networking.k8s.io/v1", "NetworkPolicy") => {
                        Some(check_typed::<NetworkPolicy>(&obj))
                    }
                    ("policy/v1", "PodDisruptionBudget") => {
                        Some(check_typed::<PodDisruptionBudget>(&obj))
                    }
                    ("autoscaling/v2", "HorizontalPodAutoscaler") => {
                        Some(check_typed::<HorizontalPodAutoscaler>(&obj))
                    }
                    ("rbac.authorization.k8s.io/v1", "Role") => Some(check_typed::<Role>(&obj)),
                    ("rbac.authorization.k8s.io/v1", "RoleBinding") => {
                        Some(check_typed::<RoleBinding>(&obj))
                    }
                    ("rbac.authorization.k8s.io/v1", "ClusterRole") => {
                        Some(check_typed::<ClusterRole>(&obj))
                    }
                    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
                        Some(check_typed::<ClusterRoleBinding>(&obj))
                    }
                    _ => None,
                };
                match known {
                    Some(Err((path, msg))) => {
                        out.push(at(
                            format!("{kind} `{name}` is invalid at `{path}`: {msg}"),
                            "check the spelling and type against the Kubernetes API reference (`kubectl explain`)",
                        ));
                        continue;
                    }
                    Some(Ok(())) => {}
                    // A custom resource: its schema lives in the cluster; the API group must
                    // at least be one (`cert-manager.io/v1`), not a core version.
                    None if !api.contains('/') => {
                        out.push(at(
                            format!("`{api}` `{kind}` is not a kind maestroc knows"),
                            "a custom resource names its group: `apiVersion: cert-manager.io/v1`",
                        ));
                        continue;
                    }
                    None => {}
                }
                extra.objects.push(obj);
            }
        }
    }
}

/// The body of a `patch … file=`.
fn load_patch(patch: &mut crate::model::Patch, loader: Loader<'_>, out: &mut Findings) {
    let Some(file) = &patch.file else { return };
    let Some(text) = read(loader, file, out) else {
        return;
    };
    match serde_saphyr::from_str::<Value>(&text) {
        Ok(v @ Value::Object(_)) => patch.body = v,
        Ok(_) => out.push(
            Finding::new("MC014", format!("`{}` is not a patch body", file.value))
                .at(file.span, "expected a YAML mapping")
                .help(
                    "write the fields to merge as a mapping, e.g. `spec: {template: {spec: {…}}}`",
                ),
        ),
        Err(e) => out.push(not_yaml(file, &e.to_string())),
    }
}

fn read(loader: Loader<'_>, file: &Spanned<String>, out: &mut Findings) -> Option<String> {
    match loader(&file.value) {
        Ok(t) => Some(t),
        Err(e) => {
            out.push(
                Finding::new("MC090", format!("cannot read {e}"))
                    .at(file.span, "this file")
                    .help("paths are relative to the spec's directory"),
            );
            None
        }
    }
}

fn not_yaml(file: &Spanned<String>, e: &str) -> Finding {
    Finding::new("MC004", format!("`{}` is not YAML: {e}", file.value))
        .at(file.span, "this file")
        .help("fix the file's YAML syntax")
}
