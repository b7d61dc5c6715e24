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
        ..Default::default()
    }
}
