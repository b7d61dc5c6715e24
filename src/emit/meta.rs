//! Names and labels shared by every emitted object.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::model::Platform;

pub const PORTS_CONFIGMAP: &str = "service-ports";
pub const DEFAULTS_CONFIGMAP: &str = "service-defaults";

/// Labels on every object: the selector labels plus who manages it.
pub fn labels(platform: &Platform, component: Option<&str>) -> BTreeMap<String, String> {
    let mut l = BTreeMap::from([
        (
            "app.kubernetes.io/part-of".to_string(),
            platform.name.value.clone(),
        ),
        (
            "app.kubernetes.io/managed-by".to_string(),
            "maestroc".to_string(),
        ),
    ]);
    if let Some(c) = component {
        l.insert("app.kubernetes.io/name".to_string(), c.to_string());
    }
    l
}

pub fn meta(
    platform: &Platform,
    name: &str,
    namespace: Option<&str>,
    component: Option<&str>,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.map(str::to_string),
        labels: Some(labels(platform, component)),
        annotations: namespace
            .and_then(default_namespace_skip)
            .map(|skip| BTreeMap::from([(format!("{CHECKOV_SKIP}1"), skip.to_string())])),
        ..Default::default()
    }
}

/// The prefix of checkov's skip annotations (`checkov.io/skip1: CKV_K8S_…=reason`).
pub const CHECKOV_SKIP: &str = "checkov.io/skip";

/// checkov's CKV_K8S_21 ("the default namespace should not be used") explained by the spec:
/// an object lands in `default` only because the spec's `namespace "default"` says so.
pub fn default_namespace_skip(namespace: &str) -> Option<&'static str> {
    (namespace == "default")
        .then_some("CKV_K8S_21=the spec places it in namespace default (`namespace \"default\"`)")
}
