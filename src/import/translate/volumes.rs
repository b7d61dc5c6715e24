//! Volumes the service container mounts: claims (a StatefulSet's templates or a
//! PersistentVolumeClaim's size), emptyDirs (maestroc's own `writable` ones), Secrets and
//! ConfigMaps, host paths (with the `allow` they need). A mount of part of a volume
//! (`subPath`, `items`) is the residual patch's.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::Workload;
use crate::import::index::Input;
use crate::import::kdl_out::{Block, quote};
use crate::import::secrets::Secrets;

pub(super) fn volumes(b: &mut Block, input: &Input, w: &Workload, secrets: &Secrets) {
    let claims: BTreeMap<String, String> = w.spec["volumeClaimTemplates"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some((
                t["metadata"]["name"].as_str()?.to_string(),
                t["spec"]["resources"]["requests"]["storage"]
                    .as_str()?
                    .to_string(),
            ))
        })
        .collect();
    // A volume mounted twice (two `subPath`s of one emptyDir) is one `volume` natively; the
    // second mount is the residual patch's.
    let mut mounted: BTreeSet<&str> = BTreeSet::new();
    let mut host_path_allowed = false;
    for m in w.container["volumeMounts"].as_array().into_iter().flatten() {
        let (Some(vn), Some(path)) = (m["name"].as_str(), m["mountPath"].as_str()) else {
            continue;
        };
        if !mounted.insert(vn) || !m["subPath"].is_null() || !m["subPathExpr"].is_null() {
            continue;
        }
        let ro = if m["readOnly"] == true {
            " read-only=#true"
        } else {
            ""
        };
        let vol = w.pod["volumes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|v| v["name"] == vn);
        let source = match vol.map(|v| source(input, v, vn, secrets)) {
            None => claims.get(vn).map(|size| format!("size={}", quote(size))),
            Some(Source::Said(s)) => s,
            Some(Source::Residual) => continue,
            // `/tmp` is writable by default.
            Some(Source::Writable) => {
                if path != "/tmp" {
                    b.line(format!("writable {}", quote(path)));
                }
                continue;
            }
            Some(Source::HostPath(p)) => {
                if !std::mem::replace(&mut host_path_allowed, true) {
                    b.line(
                        "allow \"host-path\" reason=\"imported: mounts the node's files\""
                            .to_string(),
                    );
                }
                Some(format!("host-path={}", quote(&p)))
            }
        };
        match source {
            Some(src) => b.line(format!("volume {} {} {src}{ro}", quote(vn), quote(path))),
            None => b.comment(format!("volume {vn} at {path}: its source is not imported")),
        }
    }
}

enum Source {
    /// The `volume` line's source, or None for a source the vocabulary has no word for.
    Said(Option<String>),
    /// Carried whole by the residual patch.
    Residual,
    /// maestroc's own writable directories (`rw-…` emptyDirs) come back as `writable`.
    Writable,
    HostPath(String),
}

fn source(input: &Input, v: &Value, name: &str, secrets: &Secrets) -> Source {
    Source::Said(if v["emptyDir"].is_object() {
        if name.starts_with("rw-") {
            return Source::Writable;
        }
        Some("empty-dir=#true".to_string())
    } else if v["secret"].is_object() {
        let Some(n) = v["secret"]["secretName"].as_str() else {
            return Source::Residual;
        };
        // A Secret whose keys the input never says (made by a script), or a volume of some
        // of its keys (`items`), is the residual patch's to carry.
        if !secrets.has_keys(n) || !v["secret"]["items"].is_null() {
            return Source::Residual;
        }
        Some(format!("secret={}", quote(n)))
    } else if v["configMap"].is_object() {
        v["configMap"]["name"]
            .as_str()
            .map(|n| format!("config-map={}", quote(n)))
    } else if v["persistentVolumeClaim"].is_object() {
        let claim = v["persistentVolumeClaim"]["claimName"]
            .as_str()
            .unwrap_or_default();
        let size = input
            .find("PersistentVolumeClaim", claim)
            .and_then(|d| d.value["spec"]["resources"]["requests"]["storage"].as_str())
            .unwrap_or("1Gi");
        Some(format!("size={}", quote(size)))
    } else if v["hostPath"].is_object() {
        match v["hostPath"]["path"].as_str() {
            Some(p) => return Source::HostPath(p.to_string()),
            None => None,
        }
    } else {
        None
    })
}
