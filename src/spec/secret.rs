//! `secret "name" { key …; store …; label …; annotation … }`: names and keys only, never a
//! value.

use kdl::KdlNode;

use super::common::*;
use super::reader::{self, NodeReader, children, no_children};
use crate::diagnostic::{Finding, Findings};
use crate::model::*;

pub(super) const SECRET: &[&str] = &["key", "store", "label", "annotation"];

pub(super) fn read_secret(node: &KdlNode, out: &mut Findings) -> Option<Secret> {
    let r = NodeReader::new(node, 1, &[], out);
    let name = r.string_arg(0, "a secret name", out)?;
    check_dns_label(&name, "secret name", out);
    let mut keys: Vec<Spanned<String>> = Vec::new();
    let mut store = None;
    let (mut labels, mut annotations) = (Vec::new(), Vec::new());
    for child in children(node, SECRET, out) {
        no_children(child, out);
        match reader::name_of(child) {
            "label" => labels.extend(read_pair(child, true, out)),
            "annotation" => annotations.extend(read_pair(child, false, out)),
            "key" => {
                let kr = NodeReader::new(child, usize::MAX, &[], out);
                if kr.arg_count() == 0 {
                    out.push(kr.missing("a key name"));
                }
                for key in kr.string_args(0, "a key name", out) {
                    check_key(&key, "secret key", out);
                    keys.push(key);
                }
            }
            "store" => {
                let sr = NodeReader::new(child, 1, &["path"], out);
                let store_name = sr.string_arg(0, "a store name", out);
                let path = sr.string_prop("path", out);
                if path.is_none() && sr.arg_count() > 0 && !sr.has_prop("path") {
                    out.push(sr.missing("a `path=` in the store"));
                }
                if let (Some(name), Some(path)) = (store_name, path) {
                    store = Some(SecretStore { name, path });
                }
            }
            _ => {}
        }
    }
    dedupe(&mut keys, "key", |k| k, out);
    if keys.is_empty() {
        out.push(
            Finding::new("MC005", format!("secret `{}` declares no keys", name.value))
                .at(name.span, "no `key` inside")
                .help("list the keys it holds: `key PASSWORD`"),
        );
    }
    Some(Secret {
        name,
        keys,
        store,
        labels,
        annotations,
        span: node.span(),
    })
}
