//! The service container's resources and its probe (readiness, else liveness, gives the
//! check; its timing is kept).

use std::collections::BTreeMap;

use serde_json::Value;

use super::Workload;
use crate::diagnostic::Finding;
use crate::import::index::Input;
use crate::import::kdl_out::{Block, quote};

/// Requests and limits as the input says them. A limit given alone is also the request, as
/// the API server defaults it — said explicitly, since maestroc would otherwise fill in its
/// own fallback request and change what the scheduler reserves.
pub(super) fn resources(b: &mut Block, w: &Workload) {
    let r = &w.container["resources"];
    let quantity = |field: &str, key: &str| {
        r[field][key]
            .as_str()
            .map(str::to_string)
            .or_else(|| r[field][key].as_i64().map(|n| n.to_string()))
    };
    let mut res = Vec::new();
    for key in ["cpu", "memory"] {
        if let Some(v) = quantity("requests", key).or_else(|| quantity("limits", key)) {
            res.push(format!("{key}={}", quote(&v)));
        }
    }
    for key in ["cpu", "memory"] {
        if let Some(v) = quantity("limits", key) {
            res.push(format!("{key}-limit={}", quote(&v)));
        }
    }
    if !res.is_empty() {
        b.line(format!("resources {}", res.join(" ")));
    }
}

/// The `health` line.
pub(super) fn health(
    b: &mut Block,
    input: &Input,
    w: &Workload,
    names_by_number: &BTreeMap<i64, String>,
    findings: &mut Vec<Finding>,
) {
    let c = w.container;
    let probe = if c["readinessProbe"].is_object() {
        &c["readinessProbe"]
    } else {
        &c["livenessProbe"]
    };
    if !probe.is_object() {
        return;
    }
    let (check, unknown_port) = check(probe, names_by_number);
    if let Some(p) = unknown_port {
        findings.push(input.at(
            w.doc,
            format!(
                "`{}` probes port `{p}`, which its container does not declare",
                w.name
            ),
            "a probe on a port nothing names",
        ));
    }
    let Some(check) = check else {
        return;
    };
    let mut line = format!("health {check}");
    // maestroc's defaults (readiness every 10 s, liveness every 20 s, 3 failures) are left
    // unsaid, so a rebuilt spec reads like a written one.
    let defaults = probe["periodSeconds"].as_i64() == Some(10)
        && c["livenessProbe"]["periodSeconds"].as_i64() == Some(20);
    for (field, prop) in [
        ("initialDelaySeconds", "initial-delay"),
        ("periodSeconds", "period"),
        ("timeoutSeconds", "timeout"),
        ("failureThreshold", "failure-threshold"),
    ] {
        let Some(n) = probe[field].as_i64() else {
            continue;
        };
        let default =
            (field == "periodSeconds" && defaults) || (field == "failureThreshold" && n == 3);
        if !default {
            line.push_str(&format!(" {prop}={n}"));
        }
    }
    if !c["startupProbe"].is_object() {
        line.push_str(" startup=#false");
    }
    b.line(line);
}

/// The probe's check (`http=… port=…`, `tcp=…`, `exec=…`, `grpc=…`), and a port name it uses
/// that the container does not declare: drift, reported; when the container has a single
/// port it is the one meant.
fn check(
    probe: &Value,
    names_by_number: &BTreeMap<i64, String>,
) -> (Option<String>, Option<String>) {
    let mut unknown = None;
    let mut port_ref = |p: &Value| -> Option<String> {
        match p.as_str() {
            Some(n) if names_by_number.values().any(|v| v == n) => Some(n.to_string()),
            Some(n) => {
                unknown = Some(n.to_string());
                (names_by_number.len() == 1)
                    .then(|| names_by_number.values().next().cloned())
                    .flatten()
            }
            None => p.as_i64().and_then(|n| names_by_number.get(&n).cloned()),
        }
    };
    let check = if let (Some(path), Some(port)) = (
        probe["httpGet"]["path"].as_str(),
        port_ref(&probe["httpGet"]["port"]),
    ) {
        Some(format!("http={} port={port}", quote(path)))
    } else if let Some(port) = port_ref(&probe["tcpSocket"]["port"]) {
        Some(format!("tcp={port}"))
    } else if let Some(cmd) = probe["exec"]["command"].as_array() {
        let words: Vec<&str> = cmd.iter().filter_map(Value::as_str).collect();
        Some(format!("exec={}", quote(&words.join(" "))))
    } else {
        probe["grpc"]["port"]
            .as_i64()
            .and_then(|n| names_by_number.get(&n))
            .map(|p| format!("grpc={p}"))
    };
    (check, unknown)
}
