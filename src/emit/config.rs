//! Namespaces and the two central ConfigMaps, `service-ports` and `service-defaults`, emitted
//! identically into every namespace that runs a workload.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicySpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::meta::{DEFAULTS_CONFIGMAP, PORTS_CONFIGMAP, meta};
use super::yaml::{YamlError, YamlFile};
use crate::model::{PodSecurityLevel, service_keys};
use crate::target::Target;

/// Namespaces that run at least one workload in this target, sorted.
pub fn workload_namespaces<'a>(t: &Target<'a>) -> BTreeSet<&'a str> {
    t.platform
        .services
        .iter()
        .filter(|s| t.runs(s))
        .map(|s| s.namespace(t.platform))
        .collect()
}

/// The `service-ports` data: every enabled service's keys, deployed or external.
pub fn ports_data(t: &Target<'_>) -> BTreeMap<String, String> {
    t.platform
        .services
        .iter()
        .filter(|s| t.enabled(s))
        .flat_map(|s| service_keys(t.platform, s))
        .map(|k| (k.key, k.value))
        .collect()
}

/// The Namespaces maestroc owns, each labelled with the lowest Pod Security level its final
/// pods meet (`verify::admission`).
pub fn namespaces(
    t: &Target<'_>,
    levels: &BTreeMap<String, PodSecurityLevel>,
) -> Result<YamlFile, YamlError> {
    let mut file = YamlFile::default();
    for (ns, level) in levels {
        let mut metadata = meta(t.platform, ns, None, None);
        if let Some(labels) = metadata.labels.as_mut() {
            // enforce refuses a pod below the level; warn and audit report it too.
            for mode in ["enforce", "warn", "audit"] {
                labels.insert(
                    format!("pod-security.kubernetes.io/{mode}"),
                    level.as_str().to_string(),
                );
            }
        }
        file.push(
            "Namespace",
            &Namespace {
                metadata,
                ..Default::default()
            },
        )?;
        // Whatever no policy admits is denied, also for pods maestroc does not emit.
        if t.platform.network_policies() {
            file.push(
                "NetworkPolicy",
                &NetworkPolicy {
                    metadata: meta(t.platform, DEFAULT_DENY, Some(ns), None),
                    spec: Some(NetworkPolicySpec {
                        pod_selector: Some(LabelSelector::default()),
                        policy_types: Some(super::workload::policy_types(t.platform)),
                        ..Default::default()
                    }),
                },
            )?;
        }
    }
    Ok(file)
}

/// The per-namespace NetworkPolicy that denies what no other policy admits.
pub const DEFAULT_DENY: &str = "default-deny";

pub fn config_maps(t: &Target<'_>) -> Result<YamlFile, YamlError> {
    let ports = ports_data(t);
    let defaults: BTreeMap<String, String> = t
        .default_values()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut file = YamlFile::default();
    for ns in workload_namespaces(t) {
        for (name, data) in [(PORTS_CONFIGMAP, &ports), (DEFAULTS_CONFIGMAP, &defaults)] {
            file.push(
                "ConfigMap",
                &ConfigMap {
                    metadata: meta(t.platform, name, Some(ns), None),
                    data: Some(data.clone()),
                    ..Default::default()
                },
            )?;
        }
    }
    Ok(file)
}
