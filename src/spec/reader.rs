//! Typed access to KDL nodes that reports every mismatch as a finding with a span.
//!
//! kdl's serde mapping cannot tell arguments from properties from children, so the spec is
//! walked by hand; these helpers keep that walk short and the messages uniform.

use kdl::{KdlEntry, KdlNode, KdlValue};
use miette::SourceSpan;

use crate::diagnostic::{Finding, Findings};
use crate::model::Spanned;

/// The closest candidate to a misspelt name, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        // Jaro-Winkler ties where characters merely moved (`MC4O1`: `MC401` and `MC410`
        // alike); the fewer edits wins then.
        .max_by(|a, b| {
            a.0.total_cmp(&b.0).then_with(|| {
                strsim::damerau_levenshtein(word, b.1).cmp(&strsim::damerau_levenshtein(word, a.1))
            })
        })
        .map(|(_, c)| c)
}

pub fn name_of(node: &KdlNode) -> &str {
    node.name().value()
}

pub fn name_span(node: &KdlNode) -> SourceSpan {
    node.name().span()
}

fn type_name(v: &KdlValue) -> &'static str {
    match v {
        KdlValue::String(_) => "a string",
        KdlValue::Integer(_) => "an integer",
        KdlValue::Float(_) => "a number",
        KdlValue::Bool(_) => "a boolean",
        KdlValue::Null => "#null",
    }
}

/// Reads one node; every accessor records what it consumed so `finish` can flag the rest.
pub struct NodeReader<'a> {
    pub node: &'a KdlNode,
    args: Vec<&'a KdlEntry>,
    allowed_props: &'static [&'static str],
}

impl<'a> NodeReader<'a> {
    /// Starts reading `node`, flagging properties outside `allowed_props` and more than
    /// `max_args` arguments.
    pub fn new(
        node: &'a KdlNode,
        max_args: usize,
        allowed_props: &'static [&'static str],
        out: &mut Findings,
    ) -> Self {
        let args: Vec<&KdlEntry> = node
            .entries()
            .iter()
            .filter(|e| e.name().is_none())
            .collect();
        let name = name_of(node);
        for entry in node.entries() {
            let Some(key) = entry.name() else { continue };
            if !allowed_props.contains(&key.value()) {
                let mut f = Finding::new(
                    "MC003",
                    format!("`{name}` has no property `{}`", key.value()),
                )
                .at(entry.span(), "unknown property");
                f = match did_you_mean(key.value(), allowed_props.iter().copied()) {
                    Some(s) => f.help(format!("did you mean `{s}=`?")),
                    None if allowed_props.is_empty() => {
                        f.help(format!("`{name}` takes no properties"))
                    }
                    None => f.help(format!(
                        "`{name}` takes: {}",
                        allowed_props
                            .iter()
                            .map(|p| format!("{p}="))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                };
                out.push(f);
            }
        }
        if args.len() > max_args {
            for extra in &args[max_args..] {
                out.push(
                    Finding::new("MC004", format!("too many arguments to `{name}`"))
                        .at(extra.span(), "unexpected argument")
                        .help(format!(
                            "`{name}` takes {max_args} argument{}",
                            if max_args == 1 { "" } else { "s" }
                        )),
                );
            }
        }
        Self {
            node,
            args,
            allowed_props,
        }
    }

    pub fn name(&self) -> &'a str {
        name_of(self.node)
    }

    pub fn arg_count(&self) -> usize {
        self.args.len()
    }

    fn prop_entry(&self, key: &str) -> Option<&'a KdlEntry> {
        debug_assert!(self.allowed_props.contains(&key), "{key} not declared");
        // KDL says the last occurrence of a property wins.
        self.node
            .entries()
            .iter()
            .rev()
            .find(|e| e.name().is_some_and(|n| n.value() == key))
    }

    /// Argument `idx` as a string; a missing one is reported as `what`.
    pub fn string_arg(
        &self,
        idx: usize,
        what: &str,
        out: &mut Findings,
    ) -> Option<Spanned<String>> {
        match self.args.get(idx) {
            Some(e) => string_of(e, &format!("{what} of `{}`", self.name()), out),
            None => {
                out.push(self.missing(what));
                None
            }
        }
    }

    /// All arguments from `from` on, as strings.
    pub fn string_args(&self, from: usize, what: &str, out: &mut Findings) -> Vec<Spanned<String>> {
        self.args
            .iter()
            .skip(from)
            .filter_map(|e| string_of(e, &format!("{what} of `{}`", self.name()), out))
            .collect()
    }

    pub fn int_arg(&self, idx: usize, what: &str, out: &mut Findings) -> Option<Spanned<i128>> {
        match self.args.get(idx) {
            Some(e) => int_of(e, &format!("{what} of `{}`", self.name()), out),
            None => {
                out.push(self.missing(what));
                None
            }
        }
    }

    pub fn has_prop(&self, key: &str) -> bool {
        self.prop_entry(key).is_some()
    }

    pub fn string_prop(&self, key: &str, out: &mut Findings) -> Option<Spanned<String>> {
        self.prop_entry(key)
            .and_then(|e| string_of(e, &format!("`{key}=`"), out))
    }

    pub fn int_prop(&self, key: &str, out: &mut Findings) -> Option<Spanned<i128>> {
        self.prop_entry(key)
            .and_then(|e| int_of(e, &format!("`{key}=`"), out))
    }

    pub fn bool_prop(&self, key: &str, out: &mut Findings) -> Option<Spanned<bool>> {
        let e = self.prop_entry(key)?;
        match e.value() {
            KdlValue::Bool(b) => Some(Spanned::new(*b, e.span())),
            other => {
                out.push(
                    Finding::new(
                        "MC004",
                        format!("`{key}=` must be a boolean, found {}", type_name(other)),
                    )
                    .at(e.span(), "expected #true or #false")
                    .help("KDL 2.0 writes booleans as #true and #false"),
                );
                None
            }
        }
    }

    pub fn missing(&self, what: &str) -> Finding {
        Finding::new("MC005", format!("`{}` needs {what}", self.name()))
            .at(name_span(self.node), format!("{what} missing"))
    }
}

/// A string value; integers are accepted where a string is wanted only if `lenient`.
pub fn string_of(e: &KdlEntry, what: &str, out: &mut Findings) -> Option<Spanned<String>> {
    match e.value() {
        KdlValue::String(s) => Some(Spanned::new(s.clone(), e.span())),
        other => {
            out.push(
                Finding::new(
                    "MC004",
                    format!("{what} must be a string, found {}", type_name(other)),
                )
                .at(e.span(), "expected a string")
                .help(format!("quote it: \"{}\"", display_value(other))),
            );
            None
        }
    }
}

pub fn int_of(e: &KdlEntry, what: &str, out: &mut Findings) -> Option<Spanned<i128>> {
    match e.value() {
        KdlValue::Integer(i) => Some(Spanned::new(*i, e.span())),
        KdlValue::String(s) if s.trim().parse::<i128>().is_ok() => {
            out.push(
                Finding::new("MC004", format!("{what} must be a number, found a string"))
                    .at(e.span(), "expected a number")
                    .help(format!("remove the quotes: {}", s.trim())),
            );
            None
        }
        other => {
            out.push(
                Finding::new(
                    "MC004",
                    format!("{what} must be a whole number, found {}", type_name(other)),
                )
                .at(e.span(), "expected a whole number"),
            );
            None
        }
    }
}

fn display_value(v: &KdlValue) -> String {
    match v {
        KdlValue::String(s) => s.clone(),
        KdlValue::Integer(i) => i.to_string(),
        KdlValue::Float(f) => f.to_string(),
        KdlValue::Bool(b) => b.to_string(),
        KdlValue::Null => "null".into(),
    }
}

/// The child nodes of `node`, flagging names outside `allowed` (MC002, with did-you-mean).
pub fn children<'a>(
    node: &'a KdlNode,
    allowed: &'static [&'static str],
    out: &mut Findings,
) -> Vec<&'a KdlNode> {
    let Some(doc) = node.children() else {
        return Vec::new();
    };
    let mut known = Vec::new();
    for child in doc.nodes() {
        let name = name_of(child);
        if allowed.contains(&name) {
            known.push(child);
        } else {
            out.push(unknown_node(child, name_of(node), allowed));
        }
    }
    known
}

/// Flags a children block on a node that takes none (it would be silently ignored).
pub fn no_children(node: &KdlNode, out: &mut Findings) {
    if let Some(doc) = node.children()
        && let Some(first) = doc.nodes().first()
    {
        out.push(
            Finding::new("MC002", format!("`{}` takes no child nodes", name_of(node)))
                .at(name_span(first), "unexpected child node")
                .help("write its settings as properties, e.g. `key=value`"),
        );
    }
}

pub fn unknown_node(node: &KdlNode, parent: &str, allowed: &[&str]) -> Finding {
    let name = name_of(node);
    let f = Finding::new("MC002", format!("unknown node `{name}` in {parent}"))
        .at(name_span(node), "not part of the spec language here");
    match did_you_mean(name, allowed.iter().copied()) {
        Some(s) => f.help(format!("did you mean `{s}`?")),
        None => f.help(format!("{parent} takes: {}", allowed.join(", "))),
    }
}
