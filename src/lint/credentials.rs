//! MC301, MC302, MC306, MC307 over every string the spec can put into output: each string of
//! the KDL document (env of every container, `defaults` and environment values, command and
//! args, labels, annotations, probe headers, `external` hosts, patch bodies) and of the files
//! it ships (`patch file=`, `extra`). The walk is over the document, not the vocabulary, so a
//! string in a node added tomorrow is covered too. Nothing here prints a credential: each
//! finding masks its span.

use kdl::{KdlDocument, KdlEntry, KdlNode, KdlValue};
use miette::SourceSpan;

use super::{holds_secret, is_default_credential};
use crate::credential;
use crate::diagnostic::{Finding, Findings};
use crate::model::Platform;

/// The checks on every string of the document.
pub fn document(text: &str, doc: &KdlDocument, out: &mut Findings) {
    walk(text, doc.nodes(), false, out);
}

fn string(e: &KdlEntry) -> Option<&str> {
    match e.value() {
        KdlValue::String(s) => Some(s),
        _ => None,
    }
}

fn walk(text: &str, nodes: &[KdlNode], in_patch: bool, out: &mut Findings) {
    for node in nodes {
        let name = node.name().value();
        let args: Vec<&KdlEntry> = node
            .entries()
            .iter()
            .filter(|e| e.name().is_none())
            .collect();
        // Where a string is a value under a name: `env NAME "v"`, `value K "v"`, `label K "v"`,
        // `annotation K "v"`, and in a patch body `key "v"` (`name "X"` / `value "v"` pairs
        // of an env list read under X).
        let named_pair = matches!(name, "env" | "value" | "label" | "annotation") && !in_patch;
        for (i, e) in args.iter().enumerate() {
            let Some(v) = string(e) else { continue };
            let under = if named_pair && i == 1 {
                args.first().and_then(|a| string(a))
            } else if in_patch && i == 0 {
                Some(patch_name(nodes, node))
            } else {
                None
            };
            check(text, e, under, v, out);
        }
        for e in node.entries().iter().filter(|e| e.name().is_some()) {
            if let Some(v) = string(e) {
                let key = e.name().map(|n| n.value());
                // `secret=`, `key=`, `ref=`, `field=` name things; only the value is a value.
                check(text, e, key.filter(|_| in_patch), v, out);
            }
        }
        if let Some(children) = node.children() {
            walk(text, children.nodes(), in_patch || name == "patch", out);
        }
    }
}

/// The name a patch leaf is read under: its node's name, or for `value` the sibling `name`.
fn patch_name<'a>(siblings: &'a [KdlNode], node: &'a KdlNode) -> &'a str {
    let own = node.name().value();
    if own == "value"
        && let Some(n) = siblings
            .iter()
            .find(|s| s.name().value() == "name")
            .and_then(|s| s.entries().first())
            .and_then(string)
    {
        return n;
    }
    own
}

/// The name an object's entry is read under: its key, but for `{name: X, value: "v"}` (an env
/// entry) the value is read under X — the JSON twin of [`patch_name`].
fn read_under<'m>(map: &'m serde_json::Map<String, serde_json::Value>, key: &'m str) -> &'m str {
    match map.get("name").and_then(|n| n.as_str()) {
        Some(entry) if key == "value" => entry,
        _ => key,
    }
}

/// The span of `value`'s text inside the entry (its quotes excluded), when it appears there
/// verbatim; the entry's span otherwise (an escaped or raw string).
fn value_span(text: &str, e: &KdlEntry, value: &str, range: std::ops::Range<usize>) -> SourceSpan {
    let span = e.span();
    let src = text
        .get(span.offset()..span.offset() + span.len())
        .unwrap_or("");
    match src.find('"') {
        Some(q) if src[q + 1..].starts_with(value) => {
            SourceSpan::new((span.offset() + q + 1 + range.start).into(), range.len())
        }
        _ => span,
    }
}

fn check(text: &str, e: &KdlEntry, name: Option<&str>, value: &str, out: &mut Findings) {
    let at = |r: std::ops::Range<usize>| value_span(text, e, value, r);
    for f in judge(name, value, &at) {
        out.push(f);
    }
}

/// Whether a string read under `name` is a credential by any of these rules (for `import`,
/// which must not carry one into the spec's files).
pub fn is_credential(name: Option<&str>, value: &str) -> bool {
    // Randomness alone (MC308, a warning) is no evidence: import keeps such a value.
    judge(name, value, &|_| SourceSpan::new(0.into(), 0))
        .iter()
        .any(|f| f.rule.code != "MC308")
}

/// Removes every credential string from a hand-written object or a patch body (an entry of a
/// map, an item of a list, an `{name, value}` env entry's value), returning the paths removed.
pub fn strip(v: &mut serde_json::Value, path: &str) -> Vec<String> {
    let mut removed = Vec::new();
    strip_under(v, path, None, &mut removed);
    removed
}

fn strip_under(
    v: &mut serde_json::Value,
    path: &str,
    name: Option<&str>,
    removed: &mut Vec<String>,
) {
    use serde_json::Value;
    let is_cred =
        |v: &Value, under: Option<&str>| v.as_str().is_some_and(|s| is_credential(under, s));
    match v {
        Value::Object(map) => {
            let keys: Vec<(String, String)> = map
                .keys()
                .map(|k| (k.clone(), read_under(map, k).to_string()))
                .collect();
            for (k, under) in keys {
                let here = format!("{path}.{k}");
                if map.get(&k).is_some_and(|x| is_cred(x, Some(&under))) {
                    map.remove(&k);
                    removed.push(here);
                } else if let Some(item) = map.get_mut(&k) {
                    strip_under(item, &here, Some(&under), removed);
                }
            }
        }
        Value::Array(items) => {
            let mut i = 0;
            items.retain(|x| {
                let keep = !is_cred(x, name);
                if !keep {
                    removed.push(format!("{path}[{i}]"));
                }
                i += 1;
                keep
            });
            for (i, item) in items.iter_mut().enumerate() {
                strip_under(item, &format!("{path}[{i}]"), name, removed);
            }
        }
        _ => {}
    }
}

/// The findings for one string `value` read under `name`, with `at` turning a range of the
/// value into a span.
fn judge(
    name: Option<&str>,
    value: &str,
    at: &dyn Fn(std::ops::Range<usize>) -> SourceSpan,
) -> Vec<Finding> {
    let whole = at(0..value.len());
    let label = name.map_or_else(|| "this value".to_string(), |n| format!("`{n}`"));
    if let Some(n) = name {
        if is_default_credential(n, value) {
            return vec![
                Finding::new("MC302", format!("{label} is set to a well-known default credential"))
                    .at(whole, "a default credential")
                    .redacting(whole)
                    .help("generate a real credential in your secret store and reference it with `secret=`"),
            ];
        }
        if holds_secret(n, value) {
            return vec![
                Finding::new("MC301", format!("{label} holds a literal value"))
                    .at(whole, "a credential in a committed file")
                    .redacting(whole)
                    .help(format!(
                        "declare it in a `secret` and write `env {n} secret=\"NAME\"`"
                    )),
            ];
        }
    }
    let mut found = Vec::new();
    for s in credential::shapes(value) {
        let span = at(s.range.clone());
        let (code, help) = if s.what == "a password in a URL" {
            (
                "MC306",
                "keep it in a secret (`env DB_PASSWORD secret=\"db\"`) and write `$(DB_PASSWORD)` in its place",
            )
        } else {
            (
                "MC307",
                "revoke it, keep the new one in a `secret`, and read it with `env NAME secret=\"…\"`",
            )
        };
        found.push(
            Finding::new(code, format!("{label} carries {}", s.what))
                .at(span, "a literal credential")
                .redacting(span)
                .help(help),
        );
    }
    if found.is_empty() {
        for range in credential::high_entropy(value) {
            let span = at(range);
            found.push(
                Finding::new("MC308", format!("{label} carries a random-looking string"))
                    .at(span, "high entropy: a token of no known format?")
                    .redacting(span)
                    .help("keep it in a `secret` and read it with `env NAME secret=\"…\"`; if it is public, `MC308 = \"off\"` under `[rules]` in maestroc.toml"),
            );
        }
    }
    found
}

/// The same checks over the files the spec ships: a `patch file=`'s body and each `extra`
/// object, reported at the line that names the file (the file's own text is not shown).
pub fn shipped_files(p: &Platform, out: &mut Findings) {
    let patches = p.services.iter().flat_map(|s| &s.patches).chain(
        p.environments
            .iter()
            .flat_map(|e| &e.services)
            .flat_map(|o| &o.patches),
    );
    for patch in patches {
        if let Some(file) = &patch.file {
            json(&patch.body, "", None, file.span, &file.value, out);
        }
    }
    for extra in p.services.iter().flat_map(|s| &s.extras) {
        for obj in &extra.objects {
            json(obj, "", None, extra.path.span, &extra.path.value, out);
        }
    }
}

fn json(
    v: &serde_json::Value,
    path: &str,
    name: Option<&str>,
    span: SourceSpan,
    file: &str,
    out: &mut Findings,
) {
    match v {
        serde_json::Value::String(s) => {
            for mut f in judge(name, s, &|_| span) {
                f.message = format!("{file} `{path}`: {}", f.message);
                // The spec's line names the file; nothing of the value is shown.
                f.redact.clear();
                out.push(f);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                json(item, &format!("{path}[{i}]"), name, span, file, out);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, item) in map {
                let under = Some(read_under(map, k));
                json(item, &format!("{path}.{k}"), under, span, file, out);
            }
        }
        _ => {}
    }
}
