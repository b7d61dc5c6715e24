//! `patch "Kind" { … }`: a KDL tree read as the JSON object it spells. A node with children
//! is an object (its properties are keys too), a node whose children are all `-` is a list,
//! a node with one argument is that value, with several a list, `#null` removes the key:
//!
//! ```kdl
//! patch "Deployment" {
//!     spec { template { spec {
//!         affinity { nodeAffinity { requiredDuringSchedulingIgnoredDuringExecution {
//!             nodeSelectorTerms { - { matchExpressions { - key="gpu" operator="Exists" } } }
//!         } } }
//!     } } }
//! }
//! ```

use kdl::{KdlNode, KdlValue};
use serde_json::{Map, Value};

use super::common::one_of;
use super::reader::{self, NodeReader};
use crate::diagnostic::{Finding, Findings};
use crate::model::{Patch, Spanned};

pub(super) fn read_patch(node: &KdlNode, out: &mut Findings) -> Option<Patch> {
    let r = NodeReader::new(node, 1, &["file", "name", "reason"], out);
    let kind = r.string_arg(0, "the kind of object to patch", out)?;
    let name = r.string_prop("name", out);
    let reason = r.string_prop("reason", out);
    if !Patch::KINDS.contains(&kind.value.as_str()) {
        out.push(one_of(&kind, "patchable kind", &Patch::KINDS));
        return None;
    }
    if let Some(file) = r.string_prop("file", out) {
        if node.children().is_some() {
            out.push(
                Finding::new("MC004", "`patch` takes a body or `file=`, not both")
                    .at(file.span, "the body is this file")
                    .help("move the KDL body into the file, or drop `file=`"),
            );
            return None;
        }
        // The body is read by `resolve::files`, which has the loader.
        return Some(Patch {
            kind: Spanned::new(kind.value, kind.span),
            name,
            reason,
            file: Some(file),
            body: Value::Null,
            spans: Vec::new(),
            span: node.span(),
        });
    }
    let Some(children) = node.children() else {
        out.push(
            Finding::new("MC005", "`patch` has no body")
                .at(node.span(), "nothing to merge")
                .help("write the fields to merge as child nodes: `patch \"Deployment\" { spec { … } }`"),
        );
        return None;
    };
    let mut spans = Vec::new();
    let mut body = Map::new();
    for child in children.nodes() {
        let key = reader::name_of(child).to_string();
        let v = node_value(child, &key, &mut spans);
        body.insert(key, v);
    }
    Some(Patch {
        kind: Spanned::new(kind.value, kind.span),
        name,
        reason,
        file: None,
        body: Value::Object(body),
        spans,
        span: node.span(),
    })
}

fn scalar(v: &KdlValue) -> Value {
    match v {
        KdlValue::String(s) => Value::from(s.as_str()),
        KdlValue::Integer(i) => {
            i64::try_from(*i).map_or_else(|_| Value::from(i.to_string()), Value::from)
        }
        KdlValue::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        KdlValue::Bool(b) => Value::Bool(*b),
        KdlValue::Null => Value::Null,
    }
}

fn node_value(node: &KdlNode, path: &str, spans: &mut Vec<(String, miette::SourceSpan)>) -> Value {
    spans.push((path.to_string(), node.span()));
    let args: Vec<Value> = node
        .entries()
        .iter()
        .filter(|e| e.name().is_none())
        .map(|e| scalar(e.value()))
        .collect();
    let props: Vec<(String, Value)> = node
        .entries()
        .iter()
        .filter_map(|e| e.name().map(|n| (n.value().to_string(), scalar(e.value()))))
        .collect();
    if let Some(children) = node.children() {
        let kids = children.nodes();
        if !kids.is_empty() && kids.iter().all(|k| reader::name_of(k) == "-") {
            return Value::Array(
                kids.iter()
                    .enumerate()
                    .map(|(i, k)| node_value(k, &format!("{path}/{i}"), spans))
                    .collect(),
            );
        }
        let mut m: Map<String, Value> = props.into_iter().collect();
        for k in kids {
            let key = reader::name_of(k).to_string();
            let v = node_value(k, &format!("{path}/{key}"), spans);
            m.insert(key, v);
        }
        return Value::Object(m);
    }
    if !props.is_empty() {
        return Value::Object(props.into_iter().collect());
    }
    match args.len() {
        0 => Value::Null,
        1 => args.into_iter().next().unwrap_or(Value::Null),
        _ => Value::Array(args),
    }
}
