//! Hand-written Kubernetes YAML in the repository (not maestroc's output): container ports,
//! Service ports, target ports and NodePorts of objects named like a spec service must agree
//! with the spec (MC206).

use std::path::Path;
use std::sync::Arc;

use regex::Regex;
use serde_json::Value;

use super::Knowledge;
use crate::diagnostic::Finding;
use crate::emit::HEADER;
use crate::model::Service;

pub struct ManifestDrift<'a> {
    svc: &'a Service,
    kind: String,
    field: &'static str,
    value: i64,
    expected: String,
    span: std::ops::Range<usize>,
}

impl ManifestDrift<'_> {
    pub fn into_finding(self, file: &str, text: &Arc<String>) -> Finding {
        let mut f = Finding::new(
            "MC206",
            format!(
                "{} `{}` has {}: {}, but the spec says {}",
                self.kind, self.svc.name.value, self.field, self.value, self.expected
            ),
        )
        .in_text(
            file,
            text,
            self.span,
            format!("{}: {}", self.field, self.value),
        )
        .help("generate this manifest with `maestroc build`, or make it agree with platform.kdl");
        f = f.with_ports_of(self.svc);
        f
    }
}

fn as_i64(v: &Value) -> Option<i64> {
    v.as_i64()
}

/// Where `field: value` first appears in the text (the report's line).
fn locate(text: &str, field: &str, value: i64) -> std::ops::Range<usize> {
    Regex::new(&format!(r#"\b{field}\s*:\s*["']?{value}\b"#))
        .ok()
        .and_then(|re| re.find(text).map(|m| m.range()))
        .unwrap_or(0..0)
}

pub fn check<'a>(k: &Knowledge<'a>, rel: &Path, text: &str) -> Vec<ManifestDrift<'a>> {
    let yaml = rel.extension().is_some_and(|e| e == "yaml" || e == "yml");
    if !yaml || !text.contains("kind:") || !text.contains("apiVersion:") || text.starts_with(HEADER)
    {
        return Vec::new();
    }
    // Helm templates and other non-YAML are not manifests we can read: skipped quietly.
    let Ok(docs) = serde_saphyr::from_str_multiple::<Value, Vec<Value>>(text) else {
        return Vec::new();
    };
    let p = k.platform;
    let mut out = Vec::new();
    for doc in docs {
        let kind = doc["kind"].as_str().unwrap_or_default().to_string();
        let Some(name) = doc["metadata"]["name"].as_str() else {
            continue;
        };
        let Some(svc) = p
            .services
            .iter()
            .find(|s| s.name.value == name && !s.is_external())
        else {
            continue;
        };
        if let Some(ns) = doc["metadata"]["namespace"].as_str()
            && ns != svc.namespace(p)
        {
            continue;
        }
        let container_ports: Vec<i64> = svc
            .ports
            .iter()
            .map(|x| i64::from(x.number.value.get()))
            .collect();
        let expected_ports = || {
            svc.ports
                .iter()
                .map(|x| x.number.value.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut push = |field: &'static str, value: i64, expected: String| {
            out.push(ManifestDrift {
                svc,
                kind: kind.clone(),
                field,
                value,
                expected,
                span: locate(text, field, value),
            });
        };
        match kind.as_str() {
            "Deployment" | "StatefulSet" | "DaemonSet" | "Pod" => {
                let pod = if kind == "Pod" {
                    &doc["spec"]
                } else {
                    &doc["spec"]["template"]["spec"]
                };
                for c in pod["containers"].as_array().into_iter().flatten() {
                    for port in c["ports"].as_array().into_iter().flatten() {
                        if let Some(n) = as_i64(&port["containerPort"])
                            && !container_ports.contains(&n)
                        {
                            push("containerPort", n, expected_ports());
                        }
                    }
                }
            }
            "Service" => {
                for port in doc["spec"]["ports"].as_array().into_iter().flatten() {
                    if let Some(n) = as_i64(&port["port"]) {
                        let exposed: Vec<i64> = svc
                            .ports
                            .iter()
                            .map(|x| i64::from(x.exposed().get()))
                            .collect();
                        if !exposed.contains(&n) {
                            let e = exposed
                                .iter()
                                .map(i64::to_string)
                                .collect::<Vec<_>>()
                                .join(", ");
                            push("port", n, e);
                        }
                    }
                    if let Some(n) = as_i64(&port["targetPort"])
                        && !container_ports.contains(&n)
                    {
                        push("targetPort", n, expected_ports());
                    }
                    if let Some(n) = as_i64(&port["nodePort"]) {
                        let nps: Vec<i64> = svc
                            .ports
                            .iter()
                            .filter_map(|x| x.node_port.as_ref().map(|np| i64::from(np.value)))
                            .collect();
                        if !nps.contains(&n) {
                            let e = if nps.is_empty() {
                                "no NodePort".to_string()
                            } else {
                                nps.iter()
                                    .map(i64::to_string)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            };
                            push("nodePort", n, e);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}
