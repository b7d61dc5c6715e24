//! Namespaces and the two central ConfigMaps, `service-ports` and `service-defaults`, emitted
//! identically into every namespace that runs a workload.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};

use super::meta::{DEFAULTS_CONFIGMAP, PORTS_CONFIGMAP, meta};
use super::yaml::{YamlError, YamlFile};
use crate::model::service_keys;
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

pub fn namespaces(t: &Target<'_>) -> Result<YamlFile, YamlError> {
    let mut file = YamlFile::default();
    for ns in workload_namespaces(t) {
        file.push(
            "Namespace",
            &Namespace {
                metadata: meta(t.platform, ns, None, None),
                ..Default::default()
            },
        )?;
    }
    Ok(file)
}

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
