//! Env: literal values (addresses of other imported Services become `{KEY}` placeholders and
//! `depends-on`; credentials become keys of the workload's own secret), Secret and
//! `service-ports` references, downward-API fields; a credential in a ConfigMap read whole.

use std::collections::{BTreeMap, BTreeSet};

use super::{Seen, Workload};
use crate::diagnostic::Finding;
use crate::import::index::Input;
use crate::import::kdl_out::{Block, quote, word};
use crate::import::secrets::Secrets;
use crate::model::config_key_stem;

#[allow(clippy::too_many_arguments)]
pub(super) fn env(
    b: &mut Block,
    input: &Input,
    w: &Workload,
    names_by_number: &BTreeMap<i64, String>,
    secrets: &mut Secrets,
    seen: &mut Seen,
    findings: &mut Vec<Finding>,
) {
    // In order of first use: maestroc injects dependencies' keys in depends-on order.
    let mut depends: Vec<String> = Vec::new();
    for e in w.container["env"].as_array().into_iter().flatten() {
        let Some(en) = e["name"].as_str() else {
            continue;
        };
        if let Some(v) = e["value"].as_str() {
            if let Some(key) = own_port_key(input, w, names_by_number, en, v) {
                b.line(format!("env {} ref={}", quote(en), quote(&key)));
            } else if let Some(line) =
                literal(input, w, en, v, secrets, &mut depends, seen, findings)
            {
                b.line(line);
            }
        } else if let Some(r) = Some(&e["valueFrom"]["secretKeyRef"]).filter(|r| r.is_object()) {
            // `r` stays a Value: indexing a missing key of a Map panics, of a Value is null.
            let (sn, sk) = (
                r["name"].as_str().unwrap_or_default(),
                r["key"].as_str().unwrap_or_default(),
            );
            secrets.add_key(sn, sk);
            b.line(format!(
                "env {} secret={} key={}",
                quote(en),
                quote(sn),
                quote(sk)
            ));
        } else if let Some(r) = Some(&e["valueFrom"]["configMapKeyRef"]).filter(|r| r.is_object()) {
            let key = r["key"].as_str().unwrap_or_default();
            if r["name"] == "service-ports" {
                // maestroc's own output: own and dependencies' keys are injected.
                match input.dependency_of_key(key) {
                    Some(o) if en == key => {
                        if o != w.name && !depends.contains(&o) {
                            depends.push(o);
                        }
                    }
                    _ => b.line(format!("env {} ref={}", quote(en), quote(key))),
                }
            } else {
                b.comment(format!(
                    "env {en} comes from ConfigMap {}: not imported",
                    r["name"]
                ));
            }
        } else if let Some(f) = e["valueFrom"]["fieldRef"]["fieldPath"].as_str() {
            b.line(format!("env {} field={}", quote(en), quote(f)));
        }
    }
    env_from_credentials(b, input, w, secrets);
    if !depends.is_empty() {
        b.line(format!(
            "depends-on {}",
            depends
                .into_iter()
                .map(|d| word(&d))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
}

/// The `service-ports` key of the container's own port when a variable named for a port holds
/// its number (`PORT=9555` beside `containerPort: 9555`): written as a reference, the port is
/// said once and the variable follows it.
fn own_port_key(
    input: &Input,
    w: &Workload,
    names_by_number: &BTreeMap<i64, String>,
    en: &str,
    v: &str,
) -> Option<String> {
    if !en.to_ascii_uppercase().contains("PORT") || input.injected(en) {
        return None;
    }
    let name = names_by_number.get(&v.trim().parse::<i64>().ok()?)?;
    let prefix = input
        .prefixes
        .get(w.name)
        .cloned()
        .unwrap_or_else(|| config_key_stem(w.name));
    Some(crate::model::port_key(
        &prefix,
        name,
        names_by_number.len() == 1,
    ))
}

/// The line for a literal `env NAME value`, or None when the residual patch is to carry it.
#[allow(clippy::too_many_arguments)]
fn literal(
    input: &Input,
    w: &Workload,
    en: &str,
    v: &str,
    secrets: &mut Secrets,
    depends: &mut Vec<String>,
    seen: &mut Seen,
    findings: &mut Vec<Finding>,
) -> Option<String> {
    // A credential is never written into the spec: it becomes a key of the workload's own
    // imported secret, its value goes to the values file beside the spec (`maestroc secrets
    // --from` reads it back).
    if crate::lint::is_literal_secret(en, v) {
        return Some(secrets.credential(w.doc, en, v));
    }
    // What the vocabulary would read differently stays out of the native spec and is carried
    // exactly by the residual patch: text shaped like a `{KEY}` placeholder, and a variable
    // maestroc injects itself.
    if !crate::model::placeholders(v).is_empty() || input.injected(en) {
        return None;
    }
    let mut value = v.to_string();
    for cap in input.address_re.captures_iter(v) {
        let (Some(h), Some(p)) = (cap.get(1), cap.get(2)) else {
            continue;
        };
        let Some((target, ports)) = input.hosts.get(h.as_str()) else {
            continue;
        };
        let port: i64 = p.as_str().parse().unwrap_or(0);
        if target == w.name {
            continue;
        }
        if !ports.contains(&port) {
            findings.push(input.at(
                w.doc,
                format!(
                    "`{}` sets {en} to {}:{port}, but `{target}` exposes {ports:?}",
                    w.name,
                    h.as_str()
                ),
                "an address to a port the target does not expose",
            ));
            continue;
        }
        // `{X_ADDRESS}` carries the primary (first) port only: an address to another port
        // stays as written (the residual keeps it exact).
        if ports.first() != Some(&port) {
            continue;
        }
        if !h.as_str().contains('.') {
            seen.short_addresses = true;
        }
        if !depends.contains(target) {
            depends.push(target.clone());
        }
        let key = format!("{}_ADDRESS", config_key_stem(target));
        value = value.replace(&format!("{}:{port}", h.as_str()), &format!("{{{key}}}"));
    }
    let key_only =
        value.starts_with('{') && value.ends_with('}') && value.matches('{').count() == 1;
    Some(if key_only {
        format!(
            "env {} ref={}",
            quote(en),
            quote(&value[1..value.len() - 1])
        )
    } else {
        format!("env {} {}", quote(en), quote(&value))
    })
}

/// A credential in a ConfigMap the container reads whole (`envFrom`) is never carried into
/// the spec's files (the `extra` loses the key); the container still gets it, from the
/// workload's imported secret, so what runs is unchanged.
fn env_from_credentials(b: &mut Block, input: &Input, w: &Workload, secrets: &mut Secrets) {
    let own: BTreeSet<&str> = w.container["env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["name"].as_str())
        .collect();
    for from in w.container["envFrom"].as_array().into_iter().flatten() {
        let Some(cm) = from["configMapRef"]["name"].as_str() else {
            continue;
        };
        let prefix = from["prefix"].as_str().unwrap_or_default();
        let Some(map) = input
            .find("ConfigMap", cm)
            .and_then(|d| d.value["data"].as_object())
        else {
            continue;
        };
        for (k, v) in map {
            let (Some(v), en) = (v.as_str(), format!("{prefix}{k}")) else {
                continue;
            };
            if own.contains(en.as_str()) || !crate::lint::credentials::is_credential(Some(k), v) {
                continue;
            }
            b.line(secrets.credential(w.doc, &en, v));
        }
    }
}
