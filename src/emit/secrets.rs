//! Secrets: names and keys only, never a value. Each is materialised in every namespace whose
//! workloads reference it — as an ExternalSecret when it has a store and the environment runs
//! the External Secrets operator, else as a value-less Secret to be filled out of band.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Secret as K8sSecret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::meta::meta;
use super::yaml::{YamlError, YamlFile};
use crate::model::Secret;
use crate::target::Target;

/// external-secrets.io/v1 ExternalSecret: a CRD, so not in k8s-openapi; typed here with only
/// the fields maestroc sets.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalSecret {
    api_version: &'static str,
    kind: &'static str,
    metadata: ObjectMeta,
    spec: ExternalSecretSpec,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalSecretSpec {
    refresh_interval: &'static str,
    secret_store_ref: StoreRef,
    target: SecretTarget,
    data: Vec<SecretData>,
}

#[derive(Serialize)]
struct StoreRef {
    name: String,
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SecretTarget {
    name: String,
    creation_policy: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SecretData {
    secret_key: String,
    remote_ref: RemoteRef,
}

#[derive(Serialize)]
struct RemoteRef {
    key: String,
    property: String,
}

/// Annotation listing the keys a value-less Secret must be given.
pub const REQUIRED_KEYS_ANNOTATION: &str = "maestroc.dev/required-keys";

/// Secret name → namespaces whose running workloads reference it.
pub fn usage<'a>(t: &Target<'a>) -> BTreeMap<&'a str, BTreeSet<&'a str>> {
    let mut used: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for svc in t.platform.services.iter().filter(|s| t.runs(s)) {
        for secret in &t.platform.secrets {
            if t.uses_secret(svc, &secret.name.value) {
                used.entry(secret.name.value.as_str())
                    .or_default()
                    .insert(svc.namespace(t.platform));
            }
        }
    }
    used
}

pub fn secrets(t: &Target<'_>) -> Result<YamlFile, YamlError> {
    let mut file = YamlFile::default();
    let used = usage(t);
    let mut declared: Vec<&Secret> = t.platform.secrets.iter().collect();
    declared.sort_by(|a, b| a.name.value.cmp(&b.name.value));
    for secret in declared {
        let Some(namespaces) = used.get(secret.name.value.as_str()) else {
            continue;
        };
        for ns in namespaces {
            push_secret(t, secret, ns, &mut file)?;
        }
    }
    Ok(file)
}

/// The metadata of a secret's object in `ns`: maestroc's labels, then the spec's own `label`s
/// and `annotation`s, which win.
fn secret_meta(t: &Target<'_>, s: &Secret, ns: &str) -> ObjectMeta {
    let mut m = meta(t.platform, &s.name.value, Some(ns), None);
    for (k, v) in &s.labels {
        m.labels
            .get_or_insert_default()
            .insert(k.value.clone(), v.value.clone());
    }
    for (k, v) in &s.annotations {
        m.annotations
            .get_or_insert_default()
            .insert(k.value.clone(), v.value.clone());
    }
    m
}

fn push_secret(t: &Target<'_>, s: &Secret, ns: &str, file: &mut YamlFile) -> Result<(), YamlError> {
    let name = &s.name.value;
    match (&s.store, t.external_secrets()) {
        (Some(store), true) => file.push(
            "ExternalSecret",
            &ExternalSecret {
                api_version: "external-secrets.io/v1",
                kind: "ExternalSecret",
                metadata: secret_meta(t, s, ns),
                spec: ExternalSecretSpec {
                    refresh_interval: "1h",
                    secret_store_ref: StoreRef {
                        name: store.name.value.clone(),
                        kind: "ClusterSecretStore",
                    },
                    target: SecretTarget {
                        name: name.clone(),
                        creation_policy: "Owner",
                    },
                    data: s
                        .keys
                        .iter()
                        .map(|k| SecretData {
                            secret_key: k.value.clone(),
                            remote_ref: RemoteRef {
                                key: store.path.value.clone(),
                                property: k.value.clone(),
                            },
                        })
                        .collect(),
                },
            },
        ),
        _ => {
            let mut metadata = secret_meta(t, s, ns);
            metadata.annotations.get_or_insert_default().insert(
                REQUIRED_KEYS_ANNOTATION.to_string(),
                s.keys
                    .iter()
                    .map(|k| k.value.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            );
            file.push(
                "Secret",
                &K8sSecret {
                    metadata,
                    type_: Some("Opaque".to_string()),
                    ..Default::default()
                },
            )
        }
    }
}

/// The Secrets of one target filled from `values` (`(secret, key)` → value), for
/// `maestroc secrets`: printed for `kubectl apply -f -`, never written under `output/`. `Err`
/// lists the `secret.key` pairs the target needs and `values` lacks.
pub fn filled(
    t: &Target<'_>,
    values: &BTreeMap<(String, String), String>,
) -> Result<String, Vec<String>> {
    let used = usage(t);
    let mut missing = Vec::new();
    let mut file = YamlFile::default();
    let mut declared: Vec<&Secret> = t.platform.secrets.iter().collect();
    declared.sort_by(|a, b| a.name.value.cmp(&b.name.value));
    for secret in declared {
        let Some(namespaces) = used.get(secret.name.value.as_str()) else {
            continue;
        };
        let mut data = BTreeMap::new();
        for key in &secret.keys {
            match values.get(&(secret.name.value.clone(), key.value.clone())) {
                Some(v) => {
                    data.insert(key.value.clone(), v.clone());
                }
                None => missing.push(format!("{}.{}", secret.name.value, key.value)),
            }
        }
        for ns in namespaces {
            let obj = K8sSecret {
                metadata: secret_meta(t, secret, ns),
                type_: Some("Opaque".to_string()),
                string_data: Some(data.clone()),
                ..Default::default()
            };
            if file.push("Secret", &obj).is_err() {
                missing.push(format!("{} (could not serialise)", secret.name.value));
            }
        }
    }
    if !missing.is_empty() {
        return Err(missing);
    }
    // Not a generated file: no header, nothing for `build` to own.
    Ok(file
        .finish()
        .strip_prefix(super::yaml::HEADER)
        .unwrap_or_default()
        .to_string())
}
