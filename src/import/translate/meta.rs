//! What a workload is and runs: kind, schedule, namespace, image, replicas, command; and how
//! its objects are found: selector, pod annotations and labels, key prefix, container name.

use std::collections::BTreeSet;

use serde_json::Value;

use super::Workload;
use crate::import::index::{Input, string_map};
use crate::import::kdl_out::{Block, quote, word};
use crate::import::operations;
use crate::model::config_key_stem;

/// The lines before the ports; returns the `autoscale` line, said after them (replicas are
/// left unsaid when an autoscaler sets them).
pub(super) fn head(b: &mut Block, input: &Input, w: &Workload) -> Option<String> {
    if w.kind != "Deployment" {
        b.line(format!("workload {}", quote(&w.kind.to_ascii_lowercase())));
    }
    if let Some(sched) = w.spec["schedule"].as_str().filter(|_| w.cron) {
        b.line(format!("schedule {}", quote(sched)));
    }
    if w.namespace != input.platform_ns {
        b.line(format!("namespace {}", quote(w.namespace)));
    }
    if let Some(img) = w.container["image"].as_str() {
        b.line(format!("image {}", quote(img)));
    }
    let autoscale = operations::autoscale_line(input.values(), w.kind, w.name, w.namespace);
    if let Some(n) = w.spec["replicas"]
        .as_i64()
        .filter(|n| *n != 1 && w.kind != "DaemonSet" && autoscale.is_none())
    {
        b.line(format!("replicas {n}"));
    }
    if let Some(cmd) = words(&w.container["command"]) {
        b.line(format!("command {cmd}"));
    }
    if let Some(args) = words(&w.container["args"]) {
        b.line(format!("args {args}"));
    }
    autoscale
}

/// A list of strings as quoted KDL arguments; None when empty.
fn words(v: &Value) -> Option<String> {
    let a = v.as_array()?;
    (!a.is_empty()).then(|| {
        a.iter()
            .filter_map(Value::as_str)
            .map(quote)
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// Selector and container name as they are, so the objects apply over the live ones; pod
/// annotations (less the scrape annotations `metrics` says) and labels beyond the selector
/// and maestroc's own.
pub(super) fn labels(b: &mut Block, input: &Input, w: &Workload, by_annotation: bool) {
    let matched = &w.spec["selector"]["matchLabels"];
    if matched.is_object() {
        let sel = string_map(matched);
        let is_maestroc = sel.get("app.kubernetes.io/name").map(String::as_str) == Some(w.name)
            && sel.contains_key("app.kubernetes.io/part-of")
            && sel.len() == 2;
        if !is_maestroc {
            for (k, v) in &sel {
                b.line(format!("selector {} {}", quote(k), quote(v)));
            }
        }
    }
    for (k, v) in w.template["metadata"]["annotations"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !(by_annotation && operations::is_scrape_annotation(k)))
    {
        b.line(format!(
            "annotation {} {}",
            quote(k),
            quote(v.as_str().unwrap_or_default())
        ));
    }
    let selector_keys: BTreeSet<&str> = matched
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    for (k, v) in w.template["metadata"]["labels"]
        .as_object()
        .into_iter()
        .flatten()
    {
        if !k.starts_with("app.kubernetes.io/") && !selector_keys.contains(k.as_str()) {
            b.line(format!(
                "label {} {}",
                quote(k),
                quote(v.as_str().unwrap_or_default())
            ));
        }
    }
    if let Some(prefix) = input
        .prefixes
        .get(w.name)
        .filter(|p| **p != config_key_stem(w.name))
    {
        b.line(format!("config-prefix {}", word(prefix)));
    }
    if let Some(cn) = w.container["name"].as_str().filter(|cn| *cn != w.name) {
        b.line(format!("container-name {}", quote(cn)));
    }
}
