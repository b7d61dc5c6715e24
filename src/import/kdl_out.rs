//! Writing KDL: quoted strings, nested blocks with four-space indentation (what `maestroc fmt`
//! produces), and JSON trees as `patch` bodies (the reverse of `spec/patch.rs`).

use serde_json::Value;

/// A KDL string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            // Code points KDL 2.0 forbids in a document (controls, the BOM, bidi overrides):
            // written as escapes, so the string keeps its value and the file parses.
            c if c.is_control()
                || matches!(c, '\u{FEFF}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A value of several lines (a script in `command`, a config file) as a raw multi-line KDL
/// string, line for line as the input wrote it: `#"""`, the lines, `"""#` — raw, so a
/// backslash or a quote is itself; its lines are unindented here, and `Block::render` indents
/// them with the node (KDL removes the closing line's indentation). None when the value has
/// no newline, or holds what a document cannot (a control character, a carriage return), or
/// lines with trailing whitespace a formatter could strip.
fn multi_line(s: &str) -> Option<String> {
    if !s.contains('\n')
        || s.chars().any(|c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{FEFF}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
        || s.split('\n').any(|l| l != l.trim_end() || (l.trim().is_empty() && !l.is_empty()))
    {
        return None;
    }
    // Enough `#` that no `"""` in the value closes the string early.
    let mut hashes = 1;
    while s.contains(&format!("\"\"\"{}", "#".repeat(hashes))) {
        hashes += 1;
    }
    let h = "#".repeat(hashes);
    // The first and last newline belong to the delimiters: a value ending in a newline keeps
    // it as an empty last line.
    Some(format!("{h}\"\"\"\n{s}\n\"\"\"{h}"))
}

/// A KDL string as a bare identifier when it is a plain one (`cartservice`, `MLFLOW_DB`), and
/// quoted otherwise: names come from the input, which may hold anything.
pub fn word(s: &str) -> String {
    let mut chars = s.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !matches!(s, "true" | "false" | "null" | "inf" | "nan");
    if plain { s.to_string() } else { quote(s) }
}

/// A node with children.
pub struct Block {
    head: String,
    items: Vec<Item>,
}

enum Item {
    Line(String),
    Comment(String),
    Block(Block),
}

impl Block {
    pub fn new(head: String) -> Self {
        Block {
            head,
            items: Vec::new(),
        }
    }
    pub fn line(&mut self, l: String) {
        self.items.push(Item::Line(l));
    }
    pub fn comment(&mut self, c: String) {
        self.items.push(Item::Comment(c));
    }
    /// Removes the last `n` items (a stage undoing what it added).
    pub fn drop_last(&mut self, n: usize) {
        let keep = self.items.len().saturating_sub(n);
        self.items.truncate(keep);
    }

    pub fn block(&mut self, b: Block) {
        self.items.push(Item::Block(b));
    }
    pub fn render(&self, depth: usize) -> String {
        let pad = "    ".repeat(depth);
        let mut out = format!("{pad}{} {{\n", self.head);
        for item in &self.items {
            match item {
                // A multi-line string's lines (after the first) are indented like the node:
                // KDL removes the closing line's indentation from each of them.
                Item::Line(l) => {
                    let mut lines = l.split('\n');
                    out.push_str(&format!("{pad}    {}\n", lines.next().unwrap_or_default()));
                    for line in lines {
                        if line.is_empty() {
                            out.push('\n');
                        } else {
                            out.push_str(&format!("{pad}    {line}\n"));
                        }
                    }
                }
                Item::Comment(c) => out.push_str(&format!("{pad}    // {c}\n")),
                Item::Block(b) => out.push_str(&b.render(depth + 1)),
            }
        }
        out.push_str(&format!("{pad}}}\n"));
        out
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => multi_line(s).unwrap_or_else(|| quote(s)),
        Value::Bool(b) => if *b { "#true" } else { "#false" }.to_string(),
        Value::Null => "#null".to_string(),
        other => other.to_string(),
    }
}

fn node(name: &str, v: &Value) -> Item {
    // `-` (a list item) is a bare identifier in KDL 2, as `spec/patch.rs` reads it.
    // Any other key is bare only when it is a plain identifier and no keyword (`inf`, `true`).
    let head = if name == "-" {
        name.to_string()
    } else {
        word(name)
    };
    match v {
        Value::Object(m) => {
            let mut b = Block::new(head);
            for (k, v) in m {
                b.items.push(node(k, v));
            }
            if b.items.is_empty() {
                return Item::Line(format!("{} {{ }}", b.head));
            }
            Item::Block(b)
        }
        Value::Array(a) => {
            let mut b = Block::new(head);
            for v in a {
                b.items.push(node("-", v));
            }
            Item::Block(b)
        }
        scalar_value => Item::Line(format!("{head} {}", scalar(scalar_value))),
    }
}

/// `patch "Kind" { … }` spelling `body`.
pub fn patch(kind: &str, body: &Value) -> Block {
    patch_of(kind, None, None, body)
}

/// `patch "Kind" name="…" reason="…" { … }`: the object named unlike the service, and why a
/// patch that widens a NetworkPolicy is there.
pub fn patch_of(kind: &str, name: Option<&str>, reason: Option<&str>, body: &Value) -> Block {
    let mut head = format!("patch {}", quote(kind));
    if let Some(n) = name {
        head.push_str(&format!(" name={}", quote(n)));
    }
    if let Some(r) = reason {
        head.push_str(&format!(" reason={}", quote(r)));
    }
    let mut b = Block::new(head);
    for (k, v) in body.as_object().into_iter().flatten() {
        b.items.push(node(k, v));
    }
    b
}

#[cfg(test)]
mod quote_tests {
    use super::{Block, quote};

    /// A script of several lines is written as a raw multi-line string, indented with its node
    /// at any depth, and reads back byte for byte — through `maestroc fmt` too.
    #[test]
    fn multi_line_values_read_back_as_written_at_any_depth() {
        for s in [
            "until nc -zv db 5432; do\n  echo \"waiting \\ for db\"\ndone\n",
            "a\n\nb",
            "\tindented by a tab\nx",
            "ends in\n\"\"\"# a closing\n",
            "  leading spaces\nkept",
            // Not as a multi-line string (trailing spaces), still exact through `quote`.
            "trailing  \nspaces",
        ] {
            for depth in [0, 3] {
                let mut b = Block::new("outer".to_string());
                b.items
                    .push(super::node("command", &serde_json::json!([s])));
                let doc = b.render(depth);
                let formatted = crate::fmt::format(&doc).unwrap_or_else(|e| panic!("{doc}: {e:?}"));
                for text in [&doc, &formatted] {
                    let parsed: kdl::KdlDocument =
                        text.parse().unwrap_or_else(|e| panic!("{text}: {e:?}"));
                    let item = &parsed.nodes()[0].children().unwrap().nodes()[0]
                        .children()
                        .unwrap()
                        .nodes()[0];
                    assert_eq!(item.entries()[0].value().as_string(), Some(s), "{text}");
                }
                if s.starts_with("until") {
                    assert!(doc.contains("#\"\"\"\n") && doc.contains("  echo"), "{doc}");
                }
            }
        }
    }

    /// Found by the `import` fuzz target: a key holding U+FEFF was written raw, and KDL
    /// forbids that code point in a document. Every character now survives a parse.
    #[test]
    fn every_string_quotes_into_kdl_that_parses_back() {
        for s in [
            "MINI\u{feff}O",
            "a\u{0}b",
            "bidi\u{202e}x",
            "\u{7f}",
            "tab\tq\"\\",
            "ok",
        ] {
            let doc = format!("node {}", quote(s));
            let parsed: kdl::KdlDocument = doc.parse().unwrap_or_else(|e| panic!("{doc:?}: {e:?}"));
            let value = parsed.nodes()[0].entries()[0]
                .value()
                .as_string()
                .map(str::to_string);
            assert_eq!(value.as_deref(), Some(s), "{doc:?}");
        }
    }
}
