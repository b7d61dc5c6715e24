//! Completion from where the cursor is: the nodes the block accepts, service names after
//! `depends-on`, `service-ports` keys in `ref="` and inside `{…}`, secrets and their keys,
//! the enclosing service's port names after `port=`, rule codes in `maestroc.toml`.
//!
//! The context is read lexically from the text before the cursor, not from the model: the
//! line being typed is usually not valid KDL yet.

use lsp_types::{CompletionItem, CompletionItemKind, Documentation};

use crate::model::{Platform, service_keys};

/// Where the cursor is, as far as completion cares.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// The enclosing nodes, outermost first, each with its first argument (`service "api"`).
    pub blocks: Vec<(String, Option<String>)>,
    /// The words of the current node before the cursor (the node name first); the last one
    /// is the one being typed, possibly empty.
    pub words: Vec<String>,
    /// The cursor is inside a string that started at this byte offset.
    pub in_string: bool,
    /// Byte offset where the word being typed starts.
    pub word_start: usize,
}

/// Reads `text[..offset]` as KDL tokens: strings (with escapes), raw strings, comments
/// (`//`, nested `/* */`), `{`, `}`, `;` and line ends.
pub fn context(text: &str, offset: usize) -> Context {
    let s = &text.as_bytes()[..offset.min(text.len())];
    let mut blocks: Vec<(String, Option<String>)> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut word_start = 0;
    let mut i = 0;
    let mut in_string = false;
    let end_word = |word: &mut String, words: &mut Vec<String>| {
        if !word.is_empty() {
            words.push(std::mem::take(word));
        }
    };
    while i < s.len() {
        let c = s[i];
        match c {
            b'"' => {
                // A quoted string: to its closing quote, or to the cursor.
                let start = i;
                i += 1;
                while i < s.len() && s[i] != b'"' {
                    i += if s[i] == b'\\' { 2 } else { 1 };
                }
                if i >= s.len() {
                    in_string = true;
                    word_start = start + 1;
                    word.push_str(&String::from_utf8_lossy(&s[start..]));
                    break;
                }
                word.push_str(&String::from_utf8_lossy(&s[start..=i]));
                i += 1;
                continue;
            }
            b'/' if s.get(i + 1) == Some(&b'/') => {
                while i < s.len() && s[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if s.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < s.len() {
                    if s[i..].starts_with(b"/*") {
                        depth += 1;
                        i += 2;
                    } else if s[i..].starts_with(b"*/") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'{' => {
                end_word(&mut word, &mut words);
                let name = words.first().cloned().unwrap_or_default();
                let arg = words.get(1).map(|w| w.trim_matches('"').to_string());
                blocks.push((name, arg));
                words.clear();
            }
            b'}' => {
                end_word(&mut word, &mut words);
                blocks.pop();
                words.clear();
            }
            b'\n' | b';' => {
                // A line ending in `\` continues the node.
                if !(c == b'\n' && word == "\\") {
                    words.clear();
                }
                word.clear();
            }
            b' ' | b'\t' | b'\r' => end_word(&mut word, &mut words),
            _ => {
                if word.is_empty() {
                    word_start = i;
                }
                word.push(c as char);
            }
        }
        i += 1;
    }
    if !in_string && word.is_empty() {
        word_start = s.len();
    }
    words.push(word);
    Context {
        blocks,
        words,
        in_string,
        word_start,
    }
}

impl Context {
    fn block_path(&self) -> Vec<&str> {
        self.blocks
            .iter()
            .map(|(n, _)| n.trim_matches('"'))
            .collect()
    }

    /// The service whose block the cursor is in.
    fn service(&self) -> Option<&str> {
        self.blocks
            .iter()
            .find(|(n, _)| n == "service")
            .and_then(|(_, a)| a.as_deref())
    }

    /// `prop=` of the word being typed, and the text typed after it.
    fn property(&self) -> Option<(&str, &str)> {
        let w = self.words.last()?;
        let (prop, value) = w.split_once('=')?;
        Some((prop, value.trim_start_matches('"')))
    }

    /// The value of `prop=` earlier on the node.
    fn earlier(&self, prop: &str) -> Option<&str> {
        self.words[..self.words.len() - 1]
            .iter()
            .find_map(|w| w.strip_prefix(prop)?.strip_prefix('='))
            .map(|v| v.trim_matches('"'))
    }
}

fn item(label: &str, kind: CompletionItemKind, detail: impl Into<String>) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail.into()),
        ..CompletionItem::default()
    }
}

fn keys(p: &Platform) -> Vec<CompletionItem> {
    p.services
        .iter()
        .flat_map(|s| {
            service_keys(p, s).into_iter().map(move |k| {
                item(
                    &k.key,
                    CompletionItemKind::CONSTANT,
                    format!("{} — {}", k.value, s.name.value),
                )
            })
        })
        .collect()
}

fn services(p: &Platform, except: Option<&str>) -> Vec<CompletionItem> {
    p.services
        .iter()
        .filter(|s| Some(s.name.value.as_str()) != except)
        .map(|s| {
            let detail = s
                .description
                .as_ref()
                .map_or_else(|| "service".to_string(), |d| d.value.clone());
            item(&s.name.value, CompletionItemKind::MODULE, detail)
        })
        .collect()
}

fn ports(p: &Platform, svc: Option<&str>) -> Vec<CompletionItem> {
    p.services
        .iter()
        .filter(|s| Some(s.name.value.as_str()) == svc)
        .flat_map(|s| &s.ports)
        .map(|port| {
            item(
                &port.name.value,
                CompletionItemKind::FIELD,
                format!("port {}", port.number.value),
            )
        })
        .collect()
}

/// Completion items for the spec at the cursor; `p` is the last model that parsed.
pub fn spec(p: Option<&Platform>, cx: &Context) -> Vec<CompletionItem> {
    let path = cx.block_path();
    let node = cx.words.first().map(String::as_str).unwrap_or_default();
    if cx.words.len() == 1 && !cx.in_string {
        return crate::spec::children_of(&path)
            .iter()
            .map(|n| item(n, CompletionItemKind::KEYWORD, "node"))
            .collect();
    }
    let Some(p) = p else { return Vec::new() };
    // `{` left open inside a string: a placeholder.
    if cx.in_string
        && let Some(w) = cx.words.last()
        && w.rfind('{').is_some_and(|o| !w[o..].contains('}'))
    {
        return keys(p);
    }
    if let Some((prop, _)) = cx.property() {
        return match prop {
            "ref" => keys(p),
            "secret" => p
                .secrets
                .iter()
                .map(|s| item(&s.name.value, CompletionItemKind::VARIABLE, "secret"))
                .collect(),
            "key" => {
                let secret = cx.earlier("secret");
                p.secrets
                    .iter()
                    .filter(|s| Some(s.name.value.as_str()) == secret)
                    .flat_map(|s| {
                        s.keys.iter().map(move |k| {
                            item(
                                &k.value,
                                CompletionItemKind::FIELD,
                                format!("key of {}", s.name.value),
                            )
                        })
                    })
                    .collect()
            }
            // `health tcp=PORT` and `grpc=PORT` name a port too.
            "port" | "tcp" | "grpc" => ports(p, cx.service()),
            "service" => services(p, None),
            _ => Vec::new(),
        };
    }
    match (path.as_slice(), node) {
        (_, "depends-on") => services(p, cx.service()),
        (["environment"], "service") => services(p, None),
        (["service"], "expose") => ports(p, cx.service()),
        _ => Vec::new(),
    }
}

/// Completion in `maestroc.toml`: rule codes under `[rules]`, then their levels.
pub fn config(text: &str, offset: usize) -> Vec<CompletionItem> {
    let before = &text[..offset.min(text.len())];
    let section = before
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix('['))
        .map(|l| l.trim_end_matches(']'));
    if section != Some("rules") {
        return Vec::new();
    }
    let line = before.rsplit('\n').next().unwrap_or_default();
    if line.contains('=') {
        return ["off", "info", "warning", "error"]
            .iter()
            .map(|l| item(l, CompletionItemKind::ENUM_MEMBER, "level"))
            .collect();
    }
    crate::rules::all()
        .map(|r| CompletionItem {
            documentation: Some(Documentation::String(r.summary.to_string())),
            ..item(r.code, CompletionItemKind::PROPERTY, r.name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx(text: &str) -> Context {
        context(text, text.len())
    }

    #[test]
    fn the_block_path_and_the_node_being_typed() {
        let t = "platform \"p\" {\n}\nservice \"api\" {\n    // a { comment\n    depends-on d";
        let c = cx(t);
        assert_eq!(c.blocks, vec![("service".into(), Some("api".into()))]);
        assert_eq!(c.words, vec!["depends-on".to_string(), "d".to_string()]);
        assert_eq!(
            c.word_start,
            t.len() - 1,
            "the word being typed starts at `d`"
        );
        let c = cx("service \"api\" {\n    env X \"http://{CA");
        assert!(c.in_string);
        let c = cx("environment \"prod\" {\n    service \"api\" {\n        ");
        assert_eq!(c.block_path(), vec!["environment", "service"]);
        assert_eq!(c.words, vec![String::new()]);
    }

    #[test]
    fn properties_are_read_with_what_was_typed_after_them() {
        let c = cx("service \"api\" {\n    env P secret=\"db\" key=\"PA");
        assert_eq!(c.property(), Some(("key", "PA")));
        assert_eq!(c.earlier("secret"), Some("db"));
    }

    #[test]
    fn rule_codes_complete_under_rules_only() {
        let t = "[output]\ndir = \"x\"\n[rules]\nMC4";
        assert!(config(t, t.len()).iter().any(|i| i.label == "MC401"));
        let t = "[rules]\nMC401 = \"";
        assert!(config(t, t.len()).iter().any(|i| i.label == "warning"));
        assert!(config("[scan]\n", 7).is_empty());
    }
}
